"""A carer reads the PEPs of terms ending on or after their placement began, and a term ends
when the term dates the child's school follows say it does: a spring term that ends in March
because Easter is early is over for a carer placed in the Easter holiday after it, though
31 March (the month's end) is not yet past. The PEP page, the children list, My tasks and
who is proposed for the PEP's meeting all give the same answer."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, select

from portal.academic import Term
from portal.children.queries import peps_a_carer_may_read
from portal.extensions import db
from portal.models import Child, Pep, RoleGrant, TermDate, User
from portal.models.meeting import InviteeRole
from portal.operations.meetings import proposed_invitees
from portal.peps.permissions import may_read_pep, recorded_term_end, term_ends_on
from tests.conftest import DEMO_EMAILS
from tests.integration.pep_helpers import add_pep_with_empty_sections, open_pep_id
from tests.integration.test_children_list import references
from workflows.pep import PepState
from workflows.roles import Role

CHLOE = "DCC-1201"  # Riverside, draft PEP; carer Jo Marsh
YEAR = 2026
# Easter Sunday 2027 is 28 March: the spring term of 2026/27 ends on Friday 26 March.
SPRING_ENDS = date(2027, 3, 26)
THE_DAY_AFTER = SPRING_ENDS + timedelta(days=1)  # the Easter holiday, before 31 March
SPRING_LABEL = "Spring 2026/27"


def record_spring(app, school_id: uuid.UUID | None, ends_on: date) -> None:
    """Spring 2026/27 to `ends_on`, for the school or (replacing the demo's dates) the
    authority."""
    with app.app_context():
        whose = (
            TermDate.school_id.is_(None) if school_id is None else TermDate.school_id == school_id
        )
        db.session.execute(
            delete(TermDate).where(TermDate.academic_year == YEAR, TermDate.term == "spring", whose)
        )
        db.session.add(
            TermDate(
                school_id=school_id,
                academic_year=YEAR,
                term="spring",
                starts_on=date(2027, 1, 4),
                ends_on=ends_on,
                half_term_starts_on=date(2027, 2, 15),
                half_term_ends_on=date(2027, 2, 19),
                inset_days=[],
            )
        )
        db.session.commit()


def forget_spring(app) -> None:
    """No term dates recorded for spring 2026/27, the authority's or any school's."""
    with app.app_context():
        db.session.execute(
            delete(TermDate).where(TermDate.academic_year == YEAR, TermDate.term == "spring")
        )
        db.session.commit()


def chloe(app) -> tuple[uuid.UUID, uuid.UUID]:
    """Chloe's id and her school's."""
    with app.app_context():
        child = db.session.scalar(select(Child).where(Child.authority_reference == CHLOE))
        return child.id, child.current_school_id


def spring_pep_with_jo_placed_on(app, placed_on: date) -> uuid.UUID:
    """Chloe's open PEP, moved to spring 2026/27, with Jo's placement beginning `placed_on`."""
    pep_id = open_pep_id(app, CHLOE)
    with app.app_context():
        pep = db.session.get(Pep, uuid.UUID(str(pep_id)))
        pep.academic_year, pep.term = YEAR, "spring"
        jo = db.session.scalar(select(User).where(User.email == DEMO_EMAILS["carer"]))
        grant = db.session.scalar(
            select(RoleGrant).where(RoleGrant.user_id == jo.id, RoleGrant.child_id == pep.child_id)
        )
        grant.starts_on = placed_on
        db.session.commit()
        return pep.id


def assert_the_carer_reads(app, client_for, pep_id: uuid.UUID, reads: bool) -> None:
    """The PEP page, My tasks and the children list give the carer the same answer."""
    carer = client_for("carer")
    assert carer.get(f"/peps/{pep_id}").status_code == (200 if reads else 404)
    assert (str(pep_id) in carer.get("/tasks").get_data(as_text=True)) is reads
    # The children list follows the query (`peps_a_carer_may_read`): Chloe's latest PEP the
    # carer may read is this draft, or she has none yet.
    assert (CHLOE in references(carer, "/children?state=draft")) is reads
    assert (CHLOE in references(carer, "/children?state=none")) is not reads


@pytest.mark.parametrize("whose", ["authority", "school"])
@pytest.mark.parametrize(("placed_on", "reads"), [(SPRING_ENDS, True), (THE_DAY_AFTER, False)])
def test_a_carer_placed_after_an_early_spring_term_ended_cannot_read_its_pep(
    whose, placed_on, reads, seeded, client_for
):
    """Placed on the spring term's last day, the carer reads its PEP; placed the day after,
    in the Easter holiday, they do not (the summer term's PEP will be theirs). The school's
    own term dates come before the authority's, which here run to the month's end."""
    _, school_id = chloe(seeded)
    if whose == "school":
        record_spring(seeded, None, date(2027, 3, 31))
        record_spring(seeded, school_id, SPRING_ENDS)
    else:
        record_spring(seeded, None, SPRING_ENDS)
    pep_id = spring_pep_with_jo_placed_on(seeded, placed_on)
    with seeded.app_context():
        assert recorded_term_end(db.session.get(Pep, pep_id).child_id, YEAR, Term.SPRING) == (
            SPRING_ENDS
        )
    assert_the_carer_reads(seeded, client_for, pep_id, reads)


@pytest.mark.parametrize(
    ("placed_on", "reads"), [(date(2027, 3, 31), True), (date(2027, 4, 1), False)]
)
def test_without_recorded_term_dates_the_month_decides(placed_on, reads, seeded, client_for):
    forget_spring(seeded)
    pep_id = spring_pep_with_jo_placed_on(seeded, placed_on)
    assert_the_carer_reads(seeded, client_for, pep_id, reads)


def test_the_query_and_the_python_rule_agree_around_every_terms_end(seeded):
    """For a placement beginning on each day from ten weeks before a term's end by the month
    to five weeks after it, the lists' query (`peps_a_carer_may_read`) and the PEP page's rule
    (`may_read_pep`) choose the same PEPs of Chloe's: those of terms whose recorded last day
    (an autumn ending before Christmas, a spring ending in March, a summer in July, and a
    spring running into April) is on or after it, by the month where none is recorded."""
    child_id, _ = chloe(seeded)
    record_spring(seeded, None, SPRING_ENDS)
    late_spring = date(2028, 4, 7)
    with seeded.app_context():
        db.session.execute(
            delete(TermDate).where(TermDate.academic_year == YEAR + 1, TermDate.term == "spring")
        )
        db.session.add(
            TermDate(
                school_id=None,
                academic_year=YEAR + 1,
                term="spring",
                starts_on=date(2028, 1, 4),
                ends_on=late_spring,
                half_term_starts_on=date(2028, 2, 14),
                half_term_ends_on=date(2028, 2, 18),
                inset_days=[],
            )
        )
        # One PEP of each term from autumn 2025/26 (no term dates recorded) to summer 2027/28.
        held = set(
            db.session.execute(
                select(Pep.academic_year, Pep.term).where(Pep.child_id == child_id)
            ).all()
        )
        for year in (YEAR - 1, YEAR, YEAR + 1):
            for term in Term:
                if (year, term.value) not in held:
                    add_pep_with_empty_sections(child_id, year, term.value, PepState.SIGNED_OFF)
        db.session.commit()

        jo = db.session.scalar(select(User).where(User.email == DEMO_EMAILS["carer"]))
        [grant] = [g for g in jo.grants if g.child_id == child_id and g.role == Role.CARER.value]
        peps = list(db.session.scalars(select(Pep).where(Pep.child_id == child_id)))
        roles = frozenset({Role.CARER})
        ends = {
            (pep.academic_year, pep.term): recorded_term_end(
                child_id, pep.academic_year, Term(pep.term)
            )
            or term_ends_on(pep.academic_year, Term(pep.term))
            for pep in peps
        }
        # The cases that matter are really there: ends before the month's, and after it.
        assert ends[(YEAR, "autumn")] < date(2026, 12, 31)
        assert ends[(YEAR, "spring")] == SPRING_ENDS
        assert ends[(YEAR, "summer")] < date(2027, 8, 31)
        assert ends[(YEAR + 1, "spring")] == late_spring
        assert ends[(YEAR - 1, "spring")] == date(2026, 3, 31)  # none recorded

        days = sorted(
            {
                month_end + timedelta(days=offset)
                for month_end in (
                    date(2026, 3, 31),
                    date(2026, 12, 31),
                    date(2027, 3, 31),
                    date(2027, 8, 31),
                    date(2028, 3, 31),
                )
                for offset in range(-70, 36)
            }
        )
        for day in days:
            grant.starts_on = day
            expected = {pep.id for pep in peps if ends[(pep.academic_year, pep.term)] >= day}
            by_rule = {pep.id for pep in peps if may_read_pep(jo, pep, roles)}
            by_query = set(
                db.session.scalars(
                    select(Pep.id).where(Pep.child_id == child_id, peps_a_carer_may_read(jo))
                )
            )
            assert by_rule == expected, day
            assert by_query == expected, day
        db.session.rollback()


def test_only_a_carer_who_may_read_the_pep_is_proposed_for_its_meeting(seeded):
    """Placed on the early spring term's last day, a carer is proposed for the spring PEP's
    meeting; placed the day after, they are not (the person arranging may add them by hand)."""
    child_id, _ = chloe(seeded)
    record_spring(seeded, None, SPRING_ENDS)
    pep_id = spring_pep_with_jo_placed_on(seeded, SPRING_ENDS)
    with seeded.app_context():
        after = User(email="kim.ward@example.test", display_name="Kim Ward")
        db.session.add(after)
        db.session.flush()
        db.session.add(
            RoleGrant(user=after, role=Role.CARER.value, child_id=child_id, starts_on=THE_DAY_AFTER)
        )
        db.session.commit()
        pep = db.session.get(Pep, pep_id)
        carers = [
            invitee.email
            for invitee in proposed_invitees(db.session, pep)
            if invitee.role is InviteeRole.CARER
        ]
        assert carers == [DEMO_EMAILS["carer"]]
        assert not may_read_pep(after, pep, frozenset({Role.CARER}))
