"""Filling in PEP sections: saving, ownership, conflicts, bad input, rows and starting a PEP."""

import re

import pytest
from markupsafe import escape
from sqlalchemy import select

from forms.schema import FormDefinition, SectionType, section_readers
from portal.extensions import db
from portal.form_registry import definition_for
from portal.models import AuditEvent, Child, Pep, RoleGrant, School, User
from tests.conftest import csrf_token_from
from tests.integration.pep_helpers import (
    form_fields,
    open_pep_id,
    page,
    post_form,
    replace_field,
    section_url,
    stored_section,
)
from workflows.roles import Role

OAKFIELD_DRAFT = "DCC-1106"  # Harry Wilson, Year 5, draft PEP with earlier signed-off PEPs
EARLY_YEARS_DRAFT = "DCC-1001"
POST_16_DRAFT = "DCC-1401"

# Attendance this term and this school year so far, in sessions, that add up (attended and
# absences make the sessions possible; the term is part of the year).
ATTENDANCE_IN_SESSIONS = {
    "sessions_possible_term": "120",
    "sessions_attended_term": "110",
    "authorised_absences_term": "6",
    "unauthorised_absences_term": "4",
    "sessions_possible_year": "240",
    "sessions_attended_year": "222",
    "authorised_absences_year": "10",
    "unauthorised_absences_year": "8",
}


def pep_definition(app, pep_id) -> FormDefinition:
    """The form and version the PEP was started on."""
    with app.app_context():
        return definition_for(db.session.get(Pep, pep_id))


def with_attendance(data, **changes):
    """The attendance form with its sessions (and any other answers) replaced."""
    for name, value in {**ATTENDANCE_IN_SESSIONS, **changes}.items():
        data = replace_field(data, name, value)
    return data


def test_task_list_shows_every_section_with_owner_and_status(client_for, seeded):
    pep_id = open_pep_id(seeded, OAKFIELD_DRAFT)
    html = page(client_for("dt_oakfield"), f"/peps/{pep_id}")
    definition = pep_definition(seeded, pep_id)
    for section in definition.sections:
        assert escape(section.title) in html
        assert section_url(pep_id, section.key) in html
    assert "Designated teacher (you)" in html
    assert "Social worker" in html
    assert "Cannot start yet" in html  # quality assurance waits for approval
    assert "Completed" in html and "Not started" in html


@pytest.mark.parametrize(
    ("reference", "form_key", "who"),
    [
        (OAKFIELD_DRAFT, "school_age", "dt_oakfield"),
        (EARLY_YEARS_DRAFT, "early_years", "admin"),
        (POST_16_DRAFT, "post_16", "admin"),
        ("DCC-1201", "school_age", "carer"),
    ],
)
def test_every_section_of_every_form_renders(reference, form_key, who, client_for, seeded):
    client = client_for(who)
    pep_id = open_pep_id(seeded, reference)
    with seeded.app_context():
        definition = definition_for(db.session.get(Pep, pep_id))
    assert definition.key == form_key
    for section in definition.sections:
        if who == "carer" and Role.CARER not in section_readers(definition, section):
            # A carer reads their own section and what the form shares with carers.
            assert client.get(section_url(pep_id, section.key)).status_code == 403
            continue
        html = page(client, section_url(pep_id, section.key))
        assert escape(section.title) in html
        assert "Traceback" not in html


def test_the_owner_sees_a_form_and_others_see_answers(client_for, seeded):
    pep_id = open_pep_id(seeded, OAKFIELD_DRAFT)
    owner_view = page(client_for("dt_oakfield"), section_url(pep_id, "meeting_details"))
    assert 'id="section-form"' in owner_view
    assert "From the child's record (name)" in owner_view
    reviewer_view = page(client_for("reviewer"), section_url(pep_id, "meeting_details"))
    assert 'id="section-form"' not in reviewer_view
    assert "Only the designated teacher can change this section." in reviewer_view
    assert "Harry Wilson" in reviewer_view  # the prefilled fact, shown read-only


def test_designated_teacher_saves_a_section_by_plain_post(client_for, seeded):
    client = client_for("dt_oakfield")
    pep_id = open_pep_id(seeded, OAKFIELD_DRAFT)
    data = form_fields(page(client, section_url(pep_id, "attendance_exclusions")))
    data = with_attendance(
        data,
        suspensions_this_year="no",
        permanently_excluded="no",
        attendance_support="Breakfast club\nand a morning check-in",
    )
    response = post_form(client, pep_id, "attendance_exclusions", [*data, ("action", "save")])
    assert response.status_code == 303
    stored = stored_section(seeded, pep_id, "attendance_exclusions")
    assert stored.answers["sessions_attended_term"] == 110
    assert stored.answers["permanently_excluded"] is False
    assert stored.answers["attendance_support"] == "Breakfast club\nand a morning check-in"
    assert stored.version == 2
    with seeded.app_context():
        saved = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "pep.section_saved")
        )
        assert saved.details["section"] == "attendance_exclusions"
        assert "sessions_attended_term" in saved.details["fields"]
        assert saved.details["autosave"] is False


def test_save_and_continue_goes_to_the_next_section_of_mine(client_for, seeded):
    client = client_for("dt_oakfield")
    pep_id = open_pep_id(seeded, OAKFIELD_DRAFT)
    # From a section of the designated teacher's followed by someone else's, "continue" skips
    # to the designated teacher's next one.
    sections = pep_definition(seeded, pep_id).sections
    mine = [
        section.key
        for section in sections
        if section.owner is Role.DESIGNATED_TEACHER and section.section_type is SectionType.STANDARD
    ]
    keys = [section.key for section in sections]
    start = next(key for key in mine[:-1] if keys[keys.index(key) + 1] not in mine)
    expected = mine[mine.index(start) + 1]
    data = form_fields(page(client, section_url(pep_id, start)))
    response = post_form(client, pep_id, start, [*data, ("action", "continue")])
    assert response.status_code == 303
    assert response.headers["Location"].endswith(section_url(pep_id, expected))


def test_autosave_returns_the_status_and_the_new_version(client_for, seeded):
    client = client_for("dt_oakfield")
    pep_id = open_pep_id(seeded, OAKFIELD_DRAFT)
    data = form_fields(page(client, section_url(pep_id, "transitions_aspirations")))
    data = replace_field(data, "aspirations", "Wants to be a vet")
    response = post_form(
        client,
        pep_id,
        "transitions_aspirations",
        [*data, ("autosave", "1")],
        {"HX-Request": "true"},
    )
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert re.search(r"Saved at \d\d:\d\d", fragment)
    assert 'hx-swap-oob="true"' in fragment and 'value="2"' in fragment
    assert "<html" not in fragment
    assert (
        stored_section(seeded, pep_id, "transitions_aspirations").answers["aspirations"]
        == "Wants to be a vet"
    )
    with seeded.app_context():
        saved = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "pep.section_saved")
        )
        assert saved.details["autosave"] is True


def test_an_autosave_racing_my_own_save_is_not_a_conflict(client_for, seeded):
    client = client_for("dt_oakfield")
    pep_id = open_pep_id(seeded, OAKFIELD_DRAFT)
    data = form_fields(page(client, section_url(pep_id, "transitions_aspirations")))
    first = replace_field(data, "aspirations", "Vet")
    post_form(
        client,
        pep_id,
        "transitions_aspirations",
        [*first, ("autosave", "1")],
        {"HX-Request": "true"},
    )
    # The button press still carries the version from before the autosave came back.
    second = replace_field(data, "aspirations", "Vet, or a zookeeper")
    response = post_form(client, pep_id, "transitions_aspirations", [*second, ("action", "save")])
    assert response.status_code == 303
    assert (
        stored_section(seeded, pep_id, "transitions_aspirations").answers["aspirations"]
        == "Vet, or a zookeeper"
    )


@pytest.mark.parametrize(
    ("who", "section_key", "status"),
    [
        ("social_worker", "meeting_details", 403),
        ("reviewer", "meeting_details", 403),
        ("admin", "smart_targets", 403),
        ("carer", "meeting_details", 403),
        ("dt_riverside", "meeting_details", 404),  # another school's child: not revealed
        ("dt_oakfield", "about_me", 403),  # the social worker's section
        ("dt_oakfield", "carers_views", 403),
        ("dt_oakfield", "my_views", 403),  # the child's own words
        ("dt_oakfield", "quality_assurance", 403),
    ],
)
def test_only_the_sections_owner_may_save_it(who, section_key, status, client_for, seeded):
    # DCC-1102 (Oliver) is at Oakfield, on the social worker's caseload and with the carer.
    pep_id = open_pep_id(seeded, "DCC-1102")
    client = client_for(who)
    before = stored_section(seeded, pep_id, section_key)
    token = csrf_token_from(client, "/children")
    response = post_form(
        client,
        pep_id,
        section_key,
        [("csrf_token", token), ("version", str(before.version)), ("action", "save")],
    )
    assert response.status_code == status
    assert stored_section(seeded, pep_id, section_key).answers == before.answers


def test_owners_of_other_sections_can_save_their_own(client_for, seeded):
    pep_id = open_pep_id(seeded, "DCC-1101")  # Ella: Oakfield, social worker's caseload, draft
    client = client_for("social_worker")
    data = form_fields(page(client, section_url(pep_id, "health_wellbeing")))
    data = replace_field(data, "emotional_wellbeing", "Settled; sleeping better since the move")
    assert (
        post_form(client, pep_id, "health_wellbeing", [*data, ("action", "save")]).status_code
        == 303
    )


def test_carer_saves_the_carers_views(client_for, seeded):
    pep_id = open_pep_id(seeded, "DCC-1201")  # Chloe: with the demo carer, draft
    client = client_for("carer")
    data = form_fields(page(client, section_url(pep_id, "carers_views")))
    data = replace_field(data, "going_well", "Reading every night together")
    data = replace_field(data, "support_at_home", "A quiet desk and a library card")
    assert post_form(client, pep_id, "carers_views", [*data, ("action", "save")]).status_code == 303
    assert (
        stored_section(seeded, pep_id, "carers_views").answers["going_well"]
        == "Reading every night together"
    )


def second_oakfield_teacher(app):
    with app.app_context():
        school = db.session.scalar(select(School).where(School.urn == "900201"))
        user = User(email="deputy.oakfield@demo.openpep.test", display_name="Dev Patel")
        db.session.add(user)
        db.session.flush()
        db.session.add(RoleGrant(user_id=user.id, role="designated_teacher", school_id=school.id))
        db.session.commit()
        return user.email


def test_a_stale_save_shows_both_versions_and_loses_nothing(client_for, seeded, sign_in):
    pep_id = open_pep_id(seeded, OAKFIELD_DRAFT)
    first = client_for("dt_oakfield")
    second = seeded.test_client()
    sign_in(second, second_oakfield_teacher(seeded))

    first_form = form_fields(page(first, section_url(pep_id, "transitions_aspirations")))
    second_form = form_fields(page(second, section_url(pep_id, "transitions_aspirations")))

    saved = replace_field(first_form, "aspirations", "Wants to be a nurse")
    assert (
        post_form(
            first, pep_id, "transitions_aspirations", [*saved, ("action", "save")]
        ).status_code
        == 303
    )

    stale = replace_field(second_form, "aspirations", "Wants to be a footballer")
    response = post_form(second, pep_id, "transitions_aspirations", [*stale, ("action", "save")])
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Someone else saved" in html
    assert "Priya Shah" in html
    assert "Wants to be a nurse" in html  # the saved text
    assert html.count("Wants to be a footballer") >= 2  # in the comparison and still in the form
    assert (
        stored_section(seeded, pep_id, "transitions_aspirations").answers["aspirations"]
        == "Wants to be a nurse"
    )

    # Choosing "Save my answers" sends the newer version: now it saves.
    chosen = form_fields(
        html[html.index('<h2 class="govuk-heading-m">Your answers</h2>') :].replace(
            "<form", 'id="section-form" <form', 1
        )
    )
    response = post_form(second, pep_id, "transitions_aspirations", [*chosen, ("action", "save")])
    assert response.status_code == 303
    assert (
        stored_section(seeded, pep_id, "transitions_aspirations").answers["aspirations"]
        == "Wants to be a footballer"
    )


def test_a_stale_autosave_says_so_without_saving(client_for, seeded, sign_in):
    pep_id = open_pep_id(seeded, OAKFIELD_DRAFT)
    first = client_for("dt_oakfield")
    second = seeded.test_client()
    sign_in(second, second_oakfield_teacher(seeded))
    first_form = form_fields(page(first, section_url(pep_id, "transitions_aspirations")))
    second_form = form_fields(page(second, section_url(pep_id, "transitions_aspirations")))
    post_form(
        first,
        pep_id,
        "transitions_aspirations",
        [*replace_field(first_form, "aspirations", "A"), ("action", "save")],
    )
    response = post_form(
        second,
        pep_id,
        "transitions_aspirations",
        [*replace_field(second_form, "aspirations", "B"), ("autosave", "1")],
        {"HX-Request": "true"},
    )
    assert response.status_code == 409
    assert "Not saved: someone else saved this section" in response.get_data(as_text=True)
    assert stored_section(seeded, pep_id, "transitions_aspirations").answers["aspirations"] == "A"


def test_bad_input_is_explained_and_loses_nothing_saved(client_for, seeded):
    client = client_for("dt_oakfield")
    pep_id = open_pep_id(seeded, OAKFIELD_DRAFT)
    data = form_fields(page(client, section_url(pep_id, "attendance_exclusions")))
    good = with_attendance(data, attendance_support="Breakfast club")
    assert (
        post_form(client, pep_id, "attendance_exclusions", [*good, ("action", "save")]).status_code
        == 303
    )

    data = form_fields(page(client, section_url(pep_id, "attendance_exclusions")))
    bad = replace_field(data, "sessions_possible_term", "201")
    bad = replace_field(bad, "attendance_support", "Breakfast club and a morning check-in")
    response = post_form(client, pep_id, "attendance_exclusions", [*bad, ("action", "save")])
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "There is a problem" in html
    assert re.search(r'href="#sessions_possible_term">[^<]*0 to 200', html)
    assert 'value="201"' in html  # what they typed stays on the page to correct
    stored = stored_section(seeded, pep_id, "attendance_exclusions").answers
    assert stored["sessions_possible_term"] == 120  # the bad value did not replace the good one
    # The good change beside it was saved.
    assert stored["attendance_support"] == "Breakfast club and a morning check-in"
    assert "<title>Error:" in html


def test_length_limits_are_enforced_on_the_server(client_for, seeded):
    client = client_for("dt_oakfield")
    pep_id = open_pep_id(seeded, OAKFIELD_DRAFT)
    definition = (
        pep_definition(seeded, pep_id).section("transitions_aspirations").get_field("aspirations")
    )
    data = form_fields(page(client, section_url(pep_id, "transitions_aspirations")))
    too_long = replace_field(data, "aspirations", "x" * (definition.max_length + 1))
    response = post_form(client, pep_id, "transitions_aspirations", [*too_long, ("action", "save")])
    assert response.status_code == 400
    assert f"{definition.max_length:,} characters or fewer" in response.get_data(
        as_text=True
    ) or f"{definition.max_length} characters or fewer" in response.get_data(as_text=True)
    stored = stored_section(seeded, pep_id, "transitions_aspirations").answers.get(
        "aspirations", ""
    )
    assert len(stored) <= definition.max_length


def test_control_characters_are_stripped_and_markup_is_escaped(client_for, seeded):
    client = client_for("dt_oakfield")
    pep_id = open_pep_id(seeded, OAKFIELD_DRAFT)
    data = form_fields(page(client, section_url(pep_id, "transitions_aspirations")))
    hostile = replace_field(data, "aspirations", "Vet\x00\x07 <script>alert(1)</script>")
    post_form(client, pep_id, "transitions_aspirations", [*hostile, ("action", "save")])
    stored = stored_section(seeded, pep_id, "transitions_aspirations").answers["aspirations"]
    assert "\x00" not in stored and "\x07" not in stored
    html = page(client_for("reviewer"), section_url(pep_id, "transitions_aspirations"))
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def add_target(client, pep_id, outcome, amount):
    data = form_fields(page(client, section_url(pep_id, "smart_targets")))
    response = post_form(client, pep_id, "smart_targets", [*data, ("action", "add_row:targets")])
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    new = len(re.findall(r'name="targets-\d+-outcome"', html)) - 1
    assert f"Target {new + 1}" in html
    data = replace_field(form_fields(html), f"targets-{new}-outcome", outcome)
    data = replace_field(data, f"targets-{new}-pp_plus_amount", amount)
    response = post_form(client, pep_id, "smart_targets", [*data, ("action", "save")])
    assert response.status_code in (303, 400)  # 400: other answers in the new row still to give


def test_target_rows_are_added_and_removed_without_javascript(client_for, seeded):
    client = client_for("dt_oakfield")
    pep_id = open_pep_id(seeded, OAKFIELD_DRAFT)
    before = stored_section(seeded, pep_id, "smart_targets").answers.get("targets", [])
    add_target(client, pep_id, "Read a chapter book on his own", "120.50")
    add_target(client, pep_id, "Join the after-school football club", "60")
    targets = stored_section(seeded, pep_id, "smart_targets").answers["targets"]
    assert [t["outcome"] for t in targets[len(before) :]] == [
        "Read a chapter book on his own",
        "Join the after-school football club",
    ]
    assert targets[-1]["pp_plus_amount"] == "60.00"

    data = form_fields(page(client, section_url(pep_id, "smart_targets")))
    remove = f"remove_row:targets:{targets[len(before)]['row_id']}"
    response = post_form(client, pep_id, "smart_targets", [*data, ("action", remove)])
    assert response.status_code in (200, 400)
    after = stored_section(seeded, pep_id, "smart_targets").answers["targets"]
    assert [t["outcome"] for t in after[len(before) :]] == ["Join the after-school football club"]
    assert after[: len(before)] == targets[: len(before)]


def test_the_pp_plus_total_is_computed(client_for, seeded):
    client = client_for("dt_oakfield")
    pep_id = open_pep_id(seeded, OAKFIELD_DRAFT)
    targets = stored_section(seeded, pep_id, "smart_targets").answers.get("targets", [])
    from decimal import Decimal

    expected = sum((Decimal(row.get("pp_plus_amount", "0")) for row in targets), Decimal("0"))
    html = page(client, section_url(pep_id, "smart_targets"))
    assert f"£{expected:,.2f}" in html


def test_previous_targets_arrive_for_review(seeded, client_for):
    client = client_for("admin")
    with seeded.app_context():
        child = db.session.scalar(select(Child).where(Child.authority_reference == "DCC-1107"))
        child_id = child.id
        last = db.session.scalar(
            select(Pep).where(Pep.child_id == child.id, Pep.state == "signed_off")
        )
        last_targets = next(s for s in last.sections if s.section_key == "smart_targets").answers[
            "targets"
        ]
    page(client, f"/children/{child_id}/peps/new")
    from tests.conftest import csrf_token_from

    token = csrf_token_from(client, f"/children/{child_id}/peps/new")
    response = client.post(
        f"/children/{child_id}/peps",
        data={"csrf_token": token, "term": page_term(client, child_id)},
    )
    assert response.status_code == 303
    new_id = response.headers["Location"].rsplit("/", 1)[-1]
    previous = stored_section(seeded, new_id, "review_previous_targets").answers["previous_targets"]
    assert [row["target"] for row in previous] == [row["outcome"] for row in last_targets]
    html = page(client_for("dt_oakfield"), section_url(new_id, "review_previous_targets"))
    assert last_targets[0]["outcome"] in html


def page_term(client, child_id):
    html = client.get(f"/children/{child_id}/peps/new").get_data(as_text=True)
    return re.search(r'name="term" type="radio" value="([^"]+)"', html).group(1)


def test_starting_a_pep_chooses_the_form_from_age_and_an_admin_can_override(seeded, client_for):
    from tests.conftest import csrf_token_from

    client = client_for("admin")
    with seeded.app_context():
        ids = {c.authority_reference: c.id for c in db.session.scalars(select(Child))}
    # Isla, Year 6: the school-age form is suggested.
    html = page(client, f"/children/{ids['DCC-1208']}/peps/new")
    assert "Which PEP form?" in html
    token = csrf_token_from(client, f"/children/{ids['DCC-1208']}/peps/new")
    response = client.post(
        f"/children/{ids['DCC-1208']}/peps",
        data={
            "csrf_token": token,
            "term": page_term(client, ids["DCC-1208"]),
            "form_key": "post_16",
        },
    )
    assert response.status_code == 303
    with seeded.app_context():
        pep = db.session.get(
            Pep, __import__("uuid").UUID(response.headers["Location"].rsplit("/", 1)[-1])
        )
        assert pep.form_key == "post_16"
        started = db.session.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "pep.started", AuditEvent.object_id == str(pep.id)
            )
        )
        assert started.details["form_chosen_by_admin"] is True


def test_a_social_worker_starts_a_pep_on_the_suggested_form(seeded, client_for):
    from tests.conftest import csrf_token_from

    client = client_for("social_worker")
    with seeded.app_context():
        child_id = db.session.scalar(
            select(Child.id).where(Child.authority_reference == "DCC-1501")
        )
    html = page(client, f"/children/{child_id}/peps/new")
    assert "Which PEP form?" not in html
    token = csrf_token_from(client, f"/children/{child_id}/peps/new")
    response = client.post(
        f"/children/{child_id}/peps",
        data={"csrf_token": token, "term": page_term(client, child_id), "form_key": "early_years"},
    )
    assert response.status_code == 303
    with seeded.app_context():
        pep = db.session.scalar(select(Pep).where(Pep.child_id == child_id))
        assert pep.form_key == "school_age"  # a social worker cannot override the form


def test_a_second_open_pep_is_refused_with_a_reason(seeded, client_for):
    from tests.conftest import csrf_token_from

    client = client_for("admin")
    with seeded.app_context():
        child_id = db.session.scalar(
            select(Child.id).where(Child.authority_reference == OAKFIELD_DRAFT)
        )
    html = page(client, f"/children/{child_id}/peps/new")
    assert "already has an open PEP" in html
    token = csrf_token_from(client, "/children")
    response = client.post(
        f"/children/{child_id}/peps", data={"csrf_token": token, "term": "2026-autumn"}
    )
    assert response.status_code == 400
    assert "already has an open PEP" in response.get_data(as_text=True)


@pytest.mark.parametrize("who", ["carer", "reviewer"])
def test_only_starting_roles_may_start_a_pep(who, seeded, client_for):
    client = client_for(who)
    with seeded.app_context():
        child_id = db.session.scalar(
            select(Child.id).where(Child.authority_reference == "DCC-1201")
        )
    assert client.get(f"/children/{child_id}/peps/new").status_code == 403
