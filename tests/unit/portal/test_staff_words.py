"""The words staff pages, the CLI and the staff import share: roles, addresses, dates."""

from datetime import date

import pytest

from portal.models import School
from portal.operations.staff import (
    email_problem,
    is_school,
    parse_day,
    parse_role,
    role_label,
    tidy_name,
)
from workflows.roles import Role


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("designated_teacher", Role.DESIGNATED_TEACHER),
        ("Designated Teacher", Role.DESIGNATED_TEACHER),
        ("designated lead", Role.DESIGNATED_TEACHER),
        ("SOCIAL WORKER", Role.SOCIAL_WORKER),
        ("social_worker", Role.SOCIAL_WORKER),
        (" carer ", Role.CARER),
        ("Virtual School adviser", Role.VS_ADVISER),
        ("vs_adviser", Role.VS_ADVISER),
        ("Virtual School reviewer", Role.REVIEWER),
        ("reviewer", Role.REVIEWER),
        ("Admin", Role.ADMIN),
        ("virtual school admin", Role.ADMIN),
        ("child", None),
        ("Child or young person", None),
        ("head teacher", None),
        ("", None),
    ],
)
def test_a_role_is_read_from_its_value_or_its_label_in_any_case(text, role):
    assert parse_role(text) is role


def setting(phase, source="gias"):
    return School(name="A setting", phase=phase, local_authority="Testshire", source=source)


@pytest.mark.parametrize(
    ("phase", "source", "label"),
    [
        ("primary", "gias", "Designated teacher"),
        ("secondary", "gias", "Designated teacher"),
        ("special", "gias", "Designated teacher"),
        ("alternative_provision", "gias", "Designated teacher"),
        ("early_years", "gias", "Designated lead"),
        ("post_16", "gias", "Designated lead"),
        ("primary", "manual", "Designated lead"),
    ],
)
def test_a_setting_that_is_not_a_school_has_a_designated_lead(phase, source, label):
    school = setting(phase, source)
    assert role_label(Role.DESIGNATED_TEACHER, school) == label
    assert is_school(school) is (label == "Designated teacher")


def test_other_roles_keep_their_own_label_wherever_they_are():
    assert role_label(Role.SOCIAL_WORKER) == "Social worker"
    assert role_label("designated_teacher") == "Designated teacher"


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("name@example.gov.uk", None),
        ("First.Last+pep@school.sch.uk", None),
        ("", "Enter an email address"),
        ("name@example", "Enter an email address in the correct format"),
        ("two words@example.org", "Enter an email address in the correct format"),
        ("a@b@example.org", "Enter an email address in the correct format"),
        ("x" * 250 + "@example.org", "An email address must be 254 characters or fewer"),
    ],
)
def test_an_address_is_checked_before_anyone_is_added(address, problem):
    found = email_problem(address)
    assert (found is None) if problem is None else found.startswith(problem)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("01/09/2025", date(2025, 9, 1)),
        ("1/9/2025", date(2025, 9, 1)),
        ("2025-09-01", date(2025, 9, 1)),
        (" 15/10/2025 ", date(2025, 10, 15)),
        ("31/02/2026", None),
        ("09/01/25", None),
        ("next week", None),
        ("", None),
    ],
)
def test_a_day_is_read_as_people_write_it_or_as_iso(text, day):
    assert parse_day(text) == day


def test_a_name_keeps_everything_but_surrounding_spaces():
    assert tidy_name("  Jo Marsh ") == "Jo Marsh"
    assert tidy_name('=HYPERLINK("x")') == '=HYPERLINK("x")'
    assert tidy_name("\t=1+1") == "\t=1+1"
