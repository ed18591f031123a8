"""Each child's PEP deadlines stored and shown: Jayden (in care since October with no PEP) shows
as overdue; a child entering care in the Christmas holiday gets the exact dates; a status moves
with the date alone; the list filters and exports by it; a refresh reads a batch in a fixed
number of queries; and nobody sees the deadlines of a child they may not see."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

import lxml.html
import pytest
from flask import Flask
from sqlalchemy import delete, event, func, select
from sqlalchemy.exc import OperationalError
from werkzeug.datastructures import MultiDict

from portal.academic import england_today
from portal.children.queries import ChildrenListQuery, child_timeliness, children_matching
from portal.extensions import db
from portal.models import (
    AuditEvent,
    Child,
    ChildTimeliness,
    Pep,
    School,
    TermDate,
    TimelinessObligation,
    User,
)
from portal.operations import audit
from portal.operations import timeliness as timeliness_operations
from portal.operations.audit import Actor
from portal.operations.timeliness import refresh_timeliness
from portal.timeliness.facts import facts_for_children
from portal.timeliness.status import obligation_status
from tests.conftest import DEMO_EMAILS, csrf_token_from
from tests.integration.clock import Clock
from tests.integration.csv_downloads import csv_rows
from tests.integration.test_page_accessibility import assert_accessible
from workflows.timeliness import TimelinessStatus

CHRISTMAS_ENTRY = date(2026, 12, 23)


def words(html: str) -> str:
    return " ".join(lxml.html.document_fromstring(html).text_content().split())


def listed_names(html: str) -> list[str]:
    page = lxml.html.document_fromstring(html)
    return [cell.text_content().strip() for cell in page.xpath("//table/tbody/tr/th")]


def child_named(first_name: str) -> Child:
    child = db.session.scalar(select(Child).where(Child.first_name == first_name))
    assert child is not None
    return child


def admin() -> User:
    user = db.session.scalar(select(User).where(User.email == DEMO_EMAILS["admin"]))
    assert user is not None
    return user


def rows_of(child: Child) -> dict[str, TimelinessObligation]:
    return {
        row.key: row
        for row in db.session.scalars(
            select(TimelinessObligation).where(TimelinessObligation.child_id == child.id)
        )
    }


def christmas_child(today: date) -> Child:
    """A child with no school place who enters care on Wednesday 23 December 2026."""
    child = Child(
        id=uuid.uuid4(),
        first_name="Noel",
        last_name="Winter",
        date_of_birth=date(2015, 3, 1),
        authority_reference="XMAS-0001",
        legal_status="C2",
        date_entered_care=CHRISTMAS_ENTRY,
    )
    db.session.add(child)
    db.session.commit()
    refresh_timeliness(db.session, [child.id], today)
    return child


def overdue_names(today: date) -> set[str]:
    asked = ChildrenListQuery(timeliness=TimelinessStatus.OVERDUE.value)
    return {row.full_name for row in children_matching(db.session, admin(), asked, today)}


@contextmanager
def counted_queries() -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


# --- Jayden --------------------------------------------------------------------------------------


def test_jayden_with_no_pep_since_entering_care_shows_as_overdue(seeded: Flask, client_for):
    with seeded.app_context():
        jayden = child_named("Jayden")
        entered = jayden.date_entered_care
        rows = rows_of(jayden)
        today = date.today()
        initial = rows[f"initial_pep:{entered.isoformat()}"]
        assert initial.statutory and initial.completed_on is None
        assert obligation_status(initial, today) is TimelinessStatus.OVERDUE
        jayden_id = jayden.id
    client = client_for("admin")
    overdue = client.get("/children?due=overdue")
    assert "Jayden Scott" in listed_names(overdue.get_data(as_text=True))
    row = next(
        row
        for row in lxml.html.document_fromstring(overdue.get_data(as_text=True)).xpath(
            "//table/tbody/tr"
        )
        if "Jayden Scott" in row.text_content()
    )
    assert "Overdue by" in " ".join(row.text_content().split())
    assert_accessible(overdue.get_data(as_text=True), "children list, overdue")
    html = client.get(f"/children/{jayden_id}").get_data(as_text=True)
    assert_accessible(html, "Jayden's page")
    page = lxml.html.document_fromstring(html)
    initial_row = next(
        row
        for row in page.xpath("//table[@id='timeliness-obligations']/tbody/tr")
        if "The initial PEP, ready for the first care-plan review" in row.text_content()
    )
    cells = [" ".join(cell.text_content().split()) for cell in initial_row.xpath("td")]
    assert cells[2] == "RuleStatutory"
    assert cells[3] == "StatusOverdue"
    assert cells[4] == "PEP that met itNone yet"
    assert page.xpath("//dl[@id='timeliness-terms']//dt/text()")[0].strip() == "Autumn term"


# --- A child entering care in the Christmas holiday ----------------------------------------------


def test_a_child_entering_care_at_christmas_gets_the_exact_due_dates(seeded: Flask):
    with seeded.app_context():
        child = christmas_child(today=date(2026, 12, 24))
        rows = rows_of(child)
        # 10 working days after Wednesday 23 December: Christmas Day, the substitute Boxing
        # Day (Monday 28th) and New Year's Day are not working days; the school holiday is.
        care_plan = rows["care_plan:2026-12-23"]
        assert care_plan.due_on == date(2027, 1, 11)
        assert care_plan.statutory and care_plan.pep_type == "initial"
        assert care_plan.status == TimelinessStatus.DUE.value
        assert care_plan.reminders == {
            "due_in_5": "2027-01-04",
            "overdue": "2027-01-12",
            "escalation": "2027-01-25",
        }
        initial = rows["initial_pep:2026-12-23"]
        assert initial.due_on == date(2027, 1, 25)
        # The autumn term ended before the initial PEP fell due: spring is the first term,
        # due 10 school days before it ends on 26 March, shown as due from 15 school days
        # before that (half term 15 to 19 February skipped).
        assert "termly_pep:2026:autumn" not in rows
        spring = rows["termly_pep:2026:spring"]
        assert (spring.due_on, spring.due_from) == (date(2027, 3, 12), date(2027, 2, 12))
        assert spring.pep_type == "initial"
        assert spring.status == TimelinessStatus.NOT_YET_DUE.value


def test_statuses_move_with_the_date_without_a_refresh(seeded: Flask):
    with seeded.app_context():
        child = christmas_child(today=date(2026, 12, 24))
        rows = rows_of(child)
        care_plan, spring = rows["care_plan:2026-12-23"], rows["termly_pep:2026:spring"]
        assert obligation_status(care_plan, date(2027, 1, 11)) is TimelinessStatus.DUE
        assert obligation_status(care_plan, date(2027, 1, 12)) is TimelinessStatus.OVERDUE
        assert obligation_status(spring, date(2027, 2, 11)) is TimelinessStatus.NOT_YET_DUE
        assert obligation_status(spring, date(2027, 2, 12)) is TimelinessStatus.DUE
        assert obligation_status(spring, date(2027, 3, 13)) is TimelinessStatus.OVERDUE
        # The list's filter works it out in the database on the day.
        assert "Noel Winter" not in overdue_names(date(2027, 1, 11))
        assert "Noel Winter" in overdue_names(date(2027, 1, 12))
        summary = db.session.scalar(
            select(ChildTimeliness).where(ChildTimeliness.child_id == child.id)
        )
        assert summary is not None and summary.open_due_on == date(2027, 1, 11)
        obligations, terms = child_timeliness(db.session, child, today=date(2027, 1, 12))
        assert [row.status for row in obligations[:2]] == [
            TimelinessStatus.OVERDUE,
            TimelinessStatus.DUE,
        ]
        assert [row.stored.term for row in terms] == ["spring"]


# --- The children list: filter and CSV -----------------------------------------------------------


def test_the_overdue_filter_lists_exactly_the_children_with_something_overdue(
    seeded: Flask, client_for
):
    today = date.today()
    with seeded.app_context():
        expected = set()
        for child in db.session.scalars(select(Child)):
            if any(
                obligation_status(row, today) is TimelinessStatus.OVERDUE
                for row in rows_of(child).values()
            ):
                expected.add(child.full_name)
    assert "Jayden Scott" in expected
    client = client_for("admin")
    assert set(listed_names(client.get("/children?due=overdue").get_data(as_text=True))) == (
        expected
    )
    table = csv_rows(client.get("/children.csv?due=overdue"))
    header, body = table[0], table[1:]
    status_at, date_at = header.index("PEP due status"), header.index("PEP due date")
    assert {row[0] for row in body} == expected
    assert {row[status_at] for row in body} == {"Overdue"}
    assert all(date.fromisoformat(row[date_at]) < today for row in body)
    # Every child is in exactly one status (or not worked out yet).
    everyone = client.get("/children").get_data(as_text=True)
    total = len(listed_names(everyone))
    by_status = sum(
        len(listed_names(client.get(f"/children?due={status}").get_data(as_text=True)))
        for status in (*(s.value for s in TimelinessStatus), "not_worked_out")
    )
    assert by_status == total


# --- Queries ---------------------------------------------------------------------------------


def test_a_refresh_reads_and_writes_a_batch_in_a_fixed_number_of_queries(seeded: Flask):
    with seeded.app_context():
        every_id = list(db.session.scalars(select(Child.id)))
        assert len(every_id) > 20
        # The first refresh in a process also reads the day records begin (kept a while after).
        refresh_timeliness(db.session, every_id[:1])
        with counted_queries() as few:
            refresh_timeliness(db.session, every_id[:3])
        with counted_queries() as many:
            refresh_timeliness(db.session, every_id)
        assert len(few) == len(many), (few, many)
        assert db.session.scalar(select(func.count()).select_from(ChildTimeliness)) == len(every_id)


def test_the_nightly_command_refreshes_every_child_in_batches_and_records_one_event(
    seeded: Flask,
):
    result = seeded.test_cli_runner().invoke(args=["refresh-timeliness", "--batch-size", "10"])
    assert result.exit_code == 0, result.output
    with seeded.app_context():
        children = db.session.scalar(select(func.count()).select_from(Child))
        events = list(
            db.session.scalars(
                select(AuditEvent).where(AuditEvent.action == "timeliness.refreshed")
            )
        )
    assert f"10 of {children} children refreshed" in result.output
    assert f"{children} of {children} children refreshed" in result.output
    assert f"Timeliness worked out for {children} children." in result.output
    assert len(events) == 1 and events[0].details["children"] == children


def test_a_batch_that_loses_a_race_is_rolled_back_and_the_others_go_on(
    seeded: Flask, monkeypatch: pytest.MonkeyPatch
):
    """A per-change refresh racing the nightly run fails one batch (a lock or a row written
    twice): the run goes on, counts it, and the command says so and exits non-zero."""
    write_batch = timeliness_operations._write_batch
    calls: list[int] = []

    def second_batch_loses_a_race(session, child_ids, *args):  # type: ignore[no-untyped-def]
        calls.append(len(child_ids))
        if len(calls) == 2:
            raise OperationalError("UPDATE child_timeliness", {}, Exception("database is locked"))
        return write_batch(session, child_ids, *args)

    monkeypatch.setattr(timeliness_operations, "_write_batch", second_batch_loses_a_race)
    result = seeded.test_cli_runner().invoke(args=["refresh-timeliness", "--batch-size", "10"])
    assert result.exit_code != 0
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert "1 batch (10 children) could not be refreshed" in result.output
    with seeded.app_context():
        children = db.session.scalar(select(func.count()).select_from(Child))
        event_row = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "timeliness.refreshed")
        )
    assert len(calls) == -(-children // 10)
    assert f"Timeliness worked out for {children - 10} children." in result.output
    assert event_row is not None
    assert event_row.details["failed_batches"] == 1
    assert event_row.details["children"] == children - 10


def test_today_is_englands_day_not_the_servers():
    summer_half_past_midnight_in_london = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)
    assert england_today(summer_half_past_midnight_in_london) == date(2026, 7, 1)
    assert england_today(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == date(2026, 12, 31)


def test_one_schools_term_dates_that_cannot_be_used_hold_up_only_its_own_children(
    seeded: Flask,
):
    with seeded.app_context():
        jayden = child_named("Jayden")  # no school place: the authority's calendar
        broken = db.session.scalar(select(School).where(School.name.like("Oakfield%")))
        assert broken is not None
        # Two of the school's own terms overlap (a bad load): its calendar cannot be used.
        for term, starts_on, ends_on in (
            ("autumn", date(2031, 9, 3), date(2031, 12, 19)),
            ("spring", date(2031, 12, 1), date(2032, 3, 26)),
        ):
            db.session.add(
                TermDate(
                    school_id=broken.id,
                    academic_year=2031,
                    term=term,
                    starts_on=starts_on,
                    ends_on=ends_on,
                    half_term_starts_on=None,
                    half_term_ends_on=None,
                    inset_days=[],
                )
            )
        db.session.execute(delete(TimelinessObligation))
        db.session.execute(delete(ChildTimeliness))
        db.session.commit()
        at_broken = set(
            db.session.scalars(select(Child.id).where(Child.current_school_id == broken.id))
        )
        everyone = list(db.session.scalars(select(Child.id)))
        assert at_broken and jayden.id not in at_broken
        refreshed = refresh_timeliness(db.session, everyone)
        stored = set(db.session.scalars(select(ChildTimeliness.child_id)))
        assert refreshed == len(everyone) - len(at_broken)
        assert stored == set(everyone) - at_broken
        # An import stages timeliness in its own transaction: term dates never fail it.
        references = list(db.session.scalars(select(Child.authority_reference)))
        staged = timeliness_operations.stage_timeliness_of_references(db.session, references)
        assert staged == len(everyone) - len(at_broken)
        db.session.rollback()


def test_a_peps_start_is_the_day_its_start_was_recorded(seeded: Flask):
    with seeded.app_context():
        form = db.session.scalars(select(Pep)).first()
        assert form is not None
        pep = Pep(
            child_id=child_named("Jayden").id,
            academic_year=2026,
            term="autumn",
            state="signed_off",
            form_key=form.form_key,
            form_version=form.form_version,
        )
        db.session.add(pep)
        db.session.flush()
        recorded_start = datetime(2026, 9, 7, 23, 30, tzinfo=UTC)  # 00:30 on the 8th in London
        audit.record(
            db.session,
            Actor.system("test").at(recorded_start),
            "pep.started",
            "pep",
            pep.id,
            child_id=str(pep.child_id),
        )
        db.session.commit()
        (facts,) = facts_for_children(db.session, [pep.child_id])
        (record,) = [record for record in facts.peps if record.id == pep.id]
        assert record.started_on == date(2026, 9, 8)
        assert pep.created_at_utc.date() != date(2026, 9, 8)


@pytest.mark.parametrize("in_august", [False, True], ids=["today", "in August"])
def test_missing_term_dates_show_on_the_childs_page_and_the_list_not_as_not_yet_due(
    seeded: Flask, client_for, monkeypatch, in_august
):
    clock = Clock(monkeypatch)
    if in_august:
        # The summer holiday after this academic year: the missing dates are the next year's,
        # while "this year" on the child's page is still the one ending on 31 August.
        clock.day = date(clock.day.year if clock.day.month < 9 else clock.day.year + 1, 8, 15)
    today = clock.day
    year = today.year if today.month >= 8 else today.year - 1
    with seeded.app_context():
        child = Child(
            id=uuid.uuid4(),
            first_name="Ada",
            last_name="Longcare",
            date_of_birth=date(2014, 5, 1),
            authority_reference="LONG-0001",
            legal_status="C2",
            date_entered_care=date(2019, 3, 4),
        )
        db.session.add(child)
        # Nobody has entered this year's or next year's term dates yet.
        db.session.execute(delete(TermDate).where(TermDate.academic_year >= year - 1))
        db.session.commit()
        refresh_timeliness(db.session, [child.id])
        summary = db.session.scalar(
            select(ChildTimeliness).where(ChildTimeliness.child_id == child.id)
        )
        assert summary is not None and summary.settled_status == "not_worked_out"
        child_id = child.id
    admin_client = client_for("admin")
    label = f"{year}/{(year + 1) % 100:02d}"
    page = words(admin_client.get(f"/children/{child_id}").get_data(as_text=True))
    assert f"Add the term dates for {label} to work out termly PEPs" in page
    listing = csv_rows(admin_client.get("/children.csv"))
    ada = next(row for row in listing if "Longcare" in ",".join(row))
    assert "Not worked out yet" in ada and "Not yet due" not in ada
    found = listed_names(admin_client.get("/children?due=not_worked_out").get_data(as_text=True))
    assert "Ada Longcare" in found


# --- Refusals --------------------------------------------------------------------------------


def test_a_person_sees_deadlines_only_of_the_children_they_may_see(seeded: Flask, client_for):
    with seeded.app_context():
        jayden_id = child_named("Jayden").id
    teacher = client_for("dt_oakfield")
    visible = set(listed_names(teacher.get("/children").get_data(as_text=True)))
    for status in TimelinessStatus:
        shown = listed_names(teacher.get(f"/children?due={status.value}").get_data(as_text=True))
        assert set(shown) <= visible
    assert "Jayden Scott" not in visible
    assert teacher.get(f"/children/{jayden_id}").status_code == 404
    # A carer reads the child's PEPs, not when the care plan fell due.
    carer = client_for("carer")
    carer_children = lxml.html.document_fromstring(
        carer.get("/children").get_data(as_text=True)
    ).xpath("//table/tbody/tr/th/a/@href")
    assert carer_children
    page = carer.get(carer_children[0]).get_data(as_text=True)
    assert 'id="timeliness"' not in page


# --- Refreshed by the operations that change the facts ------------------------------------------


def test_a_change_of_school_makes_a_new_pep_due_at_once(seeded: Flask, client_for):
    today = date.today()
    with seeded.app_context():
        child = db.session.scalar(select(Child).where(Child.authority_reference == "DCC-1102"))
        assert child is not None
        child_id, riverside = (
            child.id,
            db.session.scalar(select(School.id).where(School.urn == "900301")),
        )
        assert not [key for key in rows_of(child) if key.startswith("change_of_school:")]
    admin_client = client_for("admin")
    path = f"/admin/children/{child_id}/school"
    response = admin_client.post(
        path,
        data={
            "csrf_token": csrf_token_from(admin_client, path),
            "school_id": str(riverside),
            "on-day": str(today.day),
            "on-month": str(today.month),
            "on-year": str(today.year),
        },
    )
    assert response.status_code == 303
    with seeded.app_context():
        row = rows_of(db.session.get(Child, child_id))[f"change_of_school:{today.isoformat()}"]
        assert row.rule == "change_of_school" and not row.statutory
        assert row.pep_type == "change_of_school"
        assert obligation_status(row, today) is TimelinessStatus.DUE
        assert row.due_from == today and row.due_on > today
    page = lxml.html.document_fromstring(
        admin_client.get(f"/children/{child_id}").get_data(as_text=True)
    )
    shown = page.xpath("//table[@id='timeliness-obligations']")[0].text_content()
    assert "A new PEP (change of school or setting)" in shown


def test_arranging_the_meeting_marks_the_terms_pep_meeting_booked(seeded: Flask, client_for):
    from portal.operations.meetings import term_window
    from tests.integration.pep_helpers import open_pep_id

    today = date.today()
    pep_id = open_pep_id(seeded, "DCC-1201")  # Chloe, at Riverside, a draft PEP this term
    with seeded.app_context():
        pep = db.session.get(Pep, pep_id)
        window = term_window(db.session, pep)
        term_key = f"termly_pep:{pep.academic_year}:{pep.term}"
        before = rows_of(pep.child)[term_key]
        assert before.status != TimelinessStatus.MEETING_BOOKED.value
    meeting_on = max(today + timedelta(days=3), window.starts_on + timedelta(days=3))
    assert meeting_on <= window.ends_on, "the demo's PEP is for a term still to run"
    client = client_for("dt_riverside")
    arrange = f"/peps/{pep_id}/meeting/arrange"
    page = lxml.html.document_fromstring(client.get(arrange).get_data(as_text=True))
    ticked = [box.get("value") for box in page.xpath("//input[@name='invitees'][@checked]")]
    contributions_by = meeting_on - timedelta(days=1)
    response = client.post(
        f"/peps/{pep_id}/meeting",
        data=MultiDict(
            [
                ("csrf_token", csrf_token_from(client, arrange)),
                ("meeting_date-day", str(meeting_on.day)),
                ("meeting_date-month", str(meeting_on.month)),
                ("meeting_date-year", str(meeting_on.year)),
                ("contributions_due_on-day", str(contributions_by.day)),
                ("contributions_due_on-month", str(contributions_by.month)),
                ("contributions_due_on-year", str(contributions_by.year)),
                ("starts_at", "10:00"),
                ("ends_at", "11:00"),
                ("place", "Riverside Academy, meeting room 2"),
                ("online_link", ""),
                ("people", "1"),
                ("person-0-name", ""),
                ("person-0-email", ""),
                *[("invitees", key) for key in ticked],
            ]
        ),
    )
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:2000]
    with seeded.app_context():
        after = rows_of(db.session.get(Pep, pep_id).child)[term_key]
        expected = (
            TimelinessStatus.OVERDUE
            if after.due_on is not None and today > after.due_on
            else TimelinessStatus.MEETING_BOOKED
        )
        assert obligation_status(after, today) is expected


def test_records_begin_on_the_configured_day(seeded: Flask):
    with seeded.app_context():
        jayden = child_named("Jayden")
        entered = jayden.date_entered_care
        # By default records begin with the earliest term any PEP is for: Jayden's deadlines
        # since October count.
        assert f"initial_pep:{entered.isoformat()}" in rows_of(jayden)
        seeded.config["TIMELINESS_SINCE"] = date.today()
        refresh_timeliness(db.session, [jayden.id])
        keys = rows_of(jayden)
        # What fell due before the day records began is not counted.
        assert f"care_plan:{entered.isoformat()}" not in keys
        assert all(
            row.due_on is None or row.due_on >= date.today() or row.term is not None
            for row in keys.values()
        )


def test_a_refresh_after_a_change_does_not_read_every_pep_for_the_day_records_begin(
    seeded: Flask,
):
    with seeded.app_context():
        jayden = child_named("Jayden")
        refresh_timeliness(db.session, [jayden.id])
        with counted_queries() as statements:
            refresh_timeliness(db.session, [jayden.id])
        every_pep = [sql for sql in statements if "min(peps.academic_year)" in sql.lower()]
        assert every_pep == [], statements
        before = rows_of(jayden)
        # A PEP recorded for a term before any other moves the day records begin: a refresh
        # of that child notices at once.
        earliest = db.session.scalar(select(func.min(Pep.academic_year)))
        form = db.session.scalars(select(Pep)).first()
        assert earliest is not None and form is not None
        db.session.add(
            Pep(
                child_id=jayden.id,
                academic_year=earliest - 3,
                term="autumn",
                state="signed_off",
                form_key=form.form_key,
                form_version=form.form_version,
            )
        )
        db.session.commit()
        with counted_queries() as statements:
            refresh_timeliness(db.session, [jayden.id])
        assert [sql for sql in statements if "min(peps.academic_year)" in sql.lower()]
        assert set(before) <= set(rows_of(jayden))
