"""Term dates: the authority's by academic year and a school's own, set, changed and removed by
an admin (each audited, each refusal a sentence), and read back as the calendar a school follows
in one query however many schools."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AuditEvent, School, TermDate
from portal.operations.term_dates import FieldError, form_values
from portal.timeliness.calendars import calendar_for_school, calendars_for_schools
from tests.conftest import csrf_token_from
from tests.integration.sql_statements import statements_sent
from tests.integration.test_page_accessibility import assert_accessible

OAKFIELD, RIVERSIDE = "900201", "900301"  # a maintained primary; the academy with its own autumn


def boxes(name: str, on: date | None) -> dict[str, str]:
    if on is None:
        return {f"{name}-day": "", f"{name}-month": "", f"{name}-year": ""}
    return {
        f"{name}-day": str(on.day),
        f"{name}-month": str(on.month),
        f"{name}-year": str(on.year),
    }


def term_form(
    starts_on: date | None,
    ends_on: date | None,
    half_term: tuple[date | None, date | None] = (None, None),
    inset: tuple[date, ...] = (),
    prefix: str = "",
) -> dict[str, str]:
    form = boxes(f"{prefix}starts_on", starts_on) | boxes(f"{prefix}ends_on", ends_on)
    form |= boxes(f"{prefix}half_term_starts_on", half_term[0])
    form |= boxes(f"{prefix}half_term_ends_on", half_term[1])
    for number, day in enumerate(inset, start=1):
        form |= boxes(f"{prefix}inset_{number}", day)
    return form


AUTUMN_2028 = term_form(
    date(2028, 9, 4), date(2028, 12, 20), (date(2028, 10, 23), date(2028, 10, 27)),
    (date(2028, 9, 4), date(2028, 11, 6)),
)  # fmt: skip


def school_id(app, urn: str):
    with app.app_context():
        return db.session.scalar(select(School.id).where(School.urn == urn))


def row_of(app, school, academic_year: int, term: str) -> TermDate | None:
    with app.app_context():
        whose = TermDate.school_id.is_(None) if school is None else TermDate.school_id == school
        row = db.session.scalar(
            select(TermDate).where(
                whose, TermDate.academic_year == academic_year, TermDate.term == term
            )
        )
        if row is not None:
            db.session.expunge(row)
        return row


def audit_events(app, action: str) -> list[AuditEvent]:
    """What people did (the demo seed's own term dates are audited too, as the system)."""
    with app.app_context():
        events = list(
            db.session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action == action, AuditEvent.actor_user_id.is_not(None))
                .order_by(AuditEvent.occurred_at_utc)
            )
        )
        for event in events:
            db.session.expunge(event)
        return events


def post(client, path: str, form: dict[str, str]):
    return client.post(path, data={"csrf_token": csrf_token_from(client, "/admin"), **form})


def page_text(response) -> str:
    return " ".join(response.get_data(as_text=True).split())


def test_the_demo_authority_has_this_year_and_next_and_an_academy_its_own_autumn(seeded):
    with seeded.app_context():
        authority = db.session.scalars(select(TermDate).where(TermDate.school_id.is_(None)))
        assert sorted((row.academic_year, row.term) for row in authority) == [
            (2026, "autumn"), (2026, "spring"), (2026, "summer"),
            (2027, "autumn"), (2027, "spring"), (2027, "summer"),
        ]  # fmt: skip
        riverside = db.session.scalar(select(School).where(School.urn == RIVERSIDE))
        own = calendar_for_school(db.session, riverside.id)
        authority_calendar = calendar_for_school(db.session, None)
        assert own.term(2026, "autumn").starts_on == date(2026, 9, 1)
        assert authority_calendar.term(2026, "autumn").starts_on == date(2026, 9, 2)
        # Its own autumn only: spring is the authority's.
        assert own.term(2026, "spring") == authority_calendar.term(2026, "spring")
        # The academy's two-week half term is no school days; the authority's second week is.
        assert not own.is_school_day(date(2026, 10, 20))
        assert authority_calendar.is_school_day(date(2026, 10, 20))
        assert not authority_calendar.is_school_day(date(2026, 10, 27))
        # An INSET day is a working day but not a school day.
        assert authority_calendar.is_working_day(date(2026, 11, 2))
        assert not authority_calendar.is_school_day(date(2026, 11, 2))


def test_an_admin_adds_changes_and_removes_a_term_and_each_is_audited(app, client_for):
    client = client_for("admin")
    response = post(client, "/admin/term-dates/2028/autumn", AUTUMN_2028)
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/term-dates"
    listing = page_text(client.get("/admin/term-dates"))
    assert "The authority&#39;s autumn term 2028/29 has been added." in listing
    assert "Mon 4 September 2028 to Wed 20 December 2028" in listing
    row = row_of(app, None, 2028, "autumn")
    assert (row.starts_on, row.ends_on) == (date(2028, 9, 4), date(2028, 12, 20))
    assert (row.half_term_starts_on, row.half_term_ends_on) == (date(2028, 10, 23),
                                                                date(2028, 10, 27))  # fmt: skip
    assert row.inset_days == ["2028-09-04", "2028-11-06"]
    [added] = audit_events(app, "term_dates.added")
    assert added.object_id == str(row.id)
    assert "<admin@demo.openpep.test>" in added.actor_description
    assert added.details["academic_year"] == 2028 and added.details["term"] == "autumn"
    assert added.details["dates"]["starts_on"] == "2028-09-04"
    assert "school_id" not in added.details

    # The form shows what is stored; saving it unchanged changes nothing and audits nothing.
    assert 'id="starts_on-day" name="starts_on-day" type="text" inputmode="numeric" value="4"' in (
        client.get("/admin/term-dates/2028/autumn").get_data(as_text=True)
    )
    post(client, "/admin/term-dates/2028/autumn", AUTUMN_2028)
    assert "Nothing changed." in page_text(client.get("/admin/term-dates"))
    assert audit_events(app, "term_dates.changed") == []

    changed = AUTUMN_2028 | boxes("ends_on", date(2028, 12, 19)) | boxes("inset_2", None)
    assert post(client, "/admin/term-dates/2028/autumn", changed).status_code == 303
    row = row_of(app, None, 2028, "autumn")
    assert row.ends_on == date(2028, 12, 19) and row.inset_days == ["2028-09-04"]
    [change] = audit_events(app, "term_dates.changed")
    assert change.details["changes"] == {
        "ends_on": ["2028-12-20", "2028-12-19"],
        "inset_days": [["2028-09-04", "2028-11-06"], ["2028-09-04"]],
    }

    confirm = client.get("/admin/term-dates/2028/autumn/remove")
    assert confirm.status_code == 200
    assert "Remove the autumn term 2028/29?" in page_text(confirm)
    response = post(client, "/admin/term-dates/2028/autumn/remove", {})
    assert response.status_code == 303
    assert row_of(app, None, 2028, "autumn") is None
    [removed] = audit_events(app, "term_dates.removed")
    assert removed.details["dates"]["ends_on"] == "2028-12-19"
    # Nothing left to remove: not found.
    assert client.get("/admin/term-dates/2028/autumn/remove").status_code == 404


REFUSALS = [
    pytest.param(
        term_form(None, date(2028, 12, 20)), "starts_on-day", "Enter the date the term starts.",
        id="no-start",
    ),
    pytest.param(
        term_form(date(2028, 9, 4), None) | {"ends_on-day": "31", "ends_on-month": "2",
                                              "ends_on-year": "2028"},
        "ends_on-day", "The date the term ends must be a real date, like 27 3 2026.",
        id="not-a-real-date",
    ),
    pytest.param(
        term_form(date(2028, 9, 4), None) | {"ends_on-month": "12", "ends_on-year": "2028"},
        "ends_on-day", "The date the term ends must include a day.", id="no-day",
    ),
    pytest.param(
        term_form(date(2028, 12, 20), date(2028, 9, 4)), "starts_on-day",
        "The autumn term of 2028/29 ends (Monday 4 September 2028) before it starts "
        "(Wednesday 20 December 2028): check both dates.", id="ends-before-it-starts",
    ),
    pytest.param(
        term_form(date(2027, 9, 4), date(2027, 12, 20)), "starts_on-day",
        "The autumn term of 2028/29 should start in 2028, not 2027: check the year.",
        id="wrong-year",
    ),
    pytest.param(
        term_form(date(2028, 9, 4), date(2029, 12, 20)), "ends_on-day",
        "longer than a term can: check the year of the last day.", id="too-long",
    ),
    pytest.param(
        term_form(date(2028, 9, 4), date(2028, 12, 20), (date(2028, 10, 23), None)),
        "half_term_ends_on-day",
        "Enter the date half term ends, or leave both half term dates empty.",
        id="half-a-half-term",
    ),
    pytest.param(
        term_form(date(2028, 9, 4), date(2028, 12, 20), (date(2028, 12, 18), date(2028, 12, 29))),
        "half_term_starts_on-day", "half term (Monday 18 December 2028 to Friday 29 December "
        "2028) must fall inside the term", id="half-term-outside-the-term",
    ),
    pytest.param(
        term_form(date(2028, 9, 4), date(2028, 12, 20), inset=(date(2029, 1, 3),)),
        "inset_1-day", "The INSET day Wednesday 3 January 2029 is not in the autumn term",
        id="inset-day-outside-the-term",
    ),
    pytest.param(
        term_form(date(2028, 9, 4), date(2028, 12, 20), inset=(date(2028, 9, 9),)),
        "inset_1-day",
        "Saturday 9 September 2028 is a Saturday: an INSET day is a weekday the school is open.",
        id="inset-day-on-a-saturday",
    ),
    pytest.param(
        term_form(date(2028, 9, 4), date(2028, 12, 20), inset=(date(2028, 9, 4),
                                                                  date(2028, 9, 4))),
        "inset_2-day", "Monday 4 September 2028 is given twice: remove it from INSET day 2.",
        id="inset-day-twice",
    ),
    pytest.param(
        # The demo's summer term 2027/28 ends on 20 July 2028.
        term_form(date(2028, 7, 17), date(2028, 11, 30)), "starts_on-day",
        "overlaps the autumn term 2028/29", id="overlaps-the-summer-before",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("form", "field_id", "message"), REFUSALS)
def test_dates_that_cannot_be_right_are_refused_in_plain_english(
    app, client_for, form, field_id, message
):
    client = client_for("admin")
    response = post(client, "/admin/term-dates/2028/autumn", form)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message.replace("'", "&#39;") in " ".join(html.split())
    # The summary links to the box the error is beside, and the box is marked.
    assert f'href="#{field_id}"' in html
    assert f'id="{field_id}-error"' in html
    assert_accessible(html, "a term refused")
    assert row_of(app, None, 2028, "autumn") is None
    assert audit_events(app, "term_dates.added") == []


def test_a_schools_own_term_replaces_the_authoritys_for_that_school_only(app, client_for):
    client = client_for("admin")
    oakfield = school_id(app, OAKFIELD)
    # Oakfield starts spring two days after the authority, and ends it six days later.
    own_spring = term_form(date(2027, 1, 6), date(2027, 4, 1), (date(2027, 2, 15),
                                                              date(2027, 2, 19)))  # fmt: skip
    school_page = f"/admin/schools/{oakfield}/term-dates"
    response = post(client, f"{school_page}/2026/spring", own_spring)
    assert response.status_code == 303 and response.headers["Location"] == school_page
    shown = page_text(client.get(school_page))
    assert "Oakfield Primary School&#39;s own spring term 2026/27 has been added." in shown
    assert "The school's own</strong>" in shown
    [added] = audit_events(app, "term_dates.added")
    assert added.details["school_id"] == str(oakfield)
    assert added.details["school"] == "Oakfield Primary School"

    with app.app_context():
        own = calendar_for_school(db.session, oakfield)
        authority = calendar_for_school(db.session, None)
        assert own.term(2026, "spring").starts_on == date(2027, 1, 6)
        assert authority.term(2026, "spring").starts_on == date(2027, 1, 4)
        assert own.term(2026, "autumn") == authority.term(2026, "autumn")
        # The authority starts with an INSET day on the 4th: the 5th is its first school day.
        assert not own.is_school_day(date(2027, 1, 5)) and authority.is_school_day(date(2027, 1, 5))
    # The authority's own row is untouched.
    assert row_of(app, None, 2026, "spring").starts_on == date(2027, 1, 4)

    # A school's own term must fit between the authority's terms either side of it.
    clash = post(
        client,
        f"{school_page}/2026/autumn",
        term_form(date(2026, 9, 2), date(2027, 1, 8)),
    )
    assert clash.status_code == 400
    assert "overlaps the spring term 2026/27" in page_text(clash)
    # ...and the authority cannot move a term over a school's own: a summer term starting on
    # 29 March fits the authority's spring (to 26 March) but not Oakfield's (to 1 April).
    clash = post(
        client,
        "/admin/term-dates/2026/summer",
        term_form(date(2027, 3, 29), date(2027, 7, 21), (date(2027, 5, 31), date(2027, 6, 4))),
    )
    assert clash.status_code == 400
    assert "Oakfield Primary School sets its own term dates, and with them:" in page_text(clash)
    assert row_of(app, None, 2026, "summer").starts_on == date(2027, 4, 12)

    # Removed, the school follows the authority's spring again.
    assert post(client, f"{school_page}/2026/spring/remove", {}).status_code == 303
    with app.app_context():
        assert calendar_for_school(db.session, oakfield).term(2026, "spring").starts_on == date(
            2027, 1, 4
        )
    [removed] = audit_events(app, "term_dates.removed")
    assert removed.details["school"] == "Oakfield Primary School"


def test_the_next_academic_year_is_added_all_at_once(app, client_for):
    client = client_for("admin")
    listing = client.get("/admin/term-dates").get_data(as_text=True)
    assert "Add the term dates for 2028/29" in listing
    page = client.get("/admin/term-dates/new-year").get_data(as_text=True)
    assert "Add the term dates for 2028/29" in page
    assert_accessible(page, "the next academic year")
    year = (
        {"academic_year": "2028"}
        | term_form(date(2028, 9, 4), date(2028, 12, 20), (date(2028, 10, 23), date(2028, 10, 27)),
                    prefix="autumn-")
        | term_form(date(2029, 1, 3), date(2029, 3, 29), (date(2029, 2, 12), date(2029, 2, 16)),
                    prefix="spring-")
        | term_form(date(2029, 4, 16), date(2029, 7, 20), (date(2029, 5, 28), date(2029, 6, 1)),
                    prefix="summer-")
    )  # fmt: skip
    # One term wrong: nothing is saved, and the error is beside that term's box.
    wrong = year | boxes("summer-ends_on", None)
    refused = post(client, "/admin/term-dates/new-year", wrong)
    assert refused.status_code == 400
    assert 'href="#summer-ends_on-day"' in refused.get_data(as_text=True)
    assert "Enter the date the term ends." in page_text(refused)
    assert_accessible(refused.get_data(as_text=True), "the next academic year refused")
    assert row_of(app, None, 2028, "autumn") is None

    response = post(client, "/admin/term-dates/new-year", year)
    assert response.status_code == 303
    assert "The authority&#39;s term dates for 2028/29 have been added." in page_text(
        client.get("/admin/term-dates")
    )
    assert row_of(app, None, 2028, "summer").ends_on == date(2029, 7, 20)
    assert len(audit_events(app, "term_dates.added")) == 3
    # The page now offers the year after; the same year again is refused.
    assert "Add the term dates for 2029/30" in client.get("/admin/term-dates").get_data(
        as_text=True
    )
    again = post(client, "/admin/term-dates/new-year", year)
    assert again.status_code == 400
    assert "The autumn term 2028/29 already has dates." in page_text(again)


def test_the_pages_pass_the_checks(app, client_for):
    client = client_for("admin")
    riverside = school_id(app, RIVERSIDE)
    for path in (
        "/admin",
        "/admin/term-dates",
        "/admin/term-dates/2026/autumn",
        "/admin/term-dates/2028/summer",
        "/admin/term-dates/2026/autumn/remove",
        f"/admin/schools/{riverside}",
        f"/admin/schools/{riverside}/term-dates",
        f"/admin/schools/{riverside}/term-dates/2026/autumn",
        f"/admin/schools/{riverside}/term-dates/2026/spring",
        f"/admin/schools/{riverside}/term-dates/2026/autumn/remove",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_accessible(response.get_data(as_text=True), path)
    # The school's page links to its term dates; the admin home to the authority's.
    assert f'href="/admin/schools/{riverside}/term-dates"' in client.get(
        f"/admin/schools/{riverside}"
    ).get_data(as_text=True)
    assert 'href="/admin/term-dates"' in client.get("/admin").get_data(as_text=True)
    # Addresses that name no term are not pages.
    for path in (
        "/admin/term-dates/2026/winter",
        "/admin/term-dates/1900/autumn",
        "/admin/term-dates/2027/summer/remove".replace("2027", "2030"),
    ):
        assert client.get(path).status_code == 404, path


@pytest.mark.parametrize("who", ["dt_oakfield", "social_worker", "carer", "reviewer"])
def test_only_admins_see_or_change_term_dates(app, client_for, who):
    client = client_for(who)
    riverside = school_id(app, RIVERSIDE)
    token = csrf_token_from(client, "/children")
    for path in (
        "/admin/term-dates",
        "/admin/term-dates/new-year",
        "/admin/term-dates/2026/autumn",
        "/admin/term-dates/2026/autumn/remove",
        f"/admin/schools/{riverside}/term-dates",
        f"/admin/schools/{riverside}/term-dates/2026/autumn",
    ):
        assert client.get(path).status_code == 403, (who, path)
    for path in (
        "/admin/term-dates/2028/autumn",
        "/admin/term-dates/2026/autumn/remove",
        f"/admin/schools/{riverside}/term-dates/2026/autumn/remove",
        "/admin/term-dates/new-year",
    ):
        response = client.post(path, data={"csrf_token": token, "academic_year": "2028",
                                           **AUTUMN_2028})  # fmt: skip
        assert response.status_code == 403, (who, path)
    assert row_of(app, None, 2028, "autumn") is None
    assert row_of(app, school_id(app, RIVERSIDE), 2026, "autumn") is not None
    assert row_of(app, None, 2026, "autumn") is not None


def add_schools_with_own_dates(app, count: int, first_urn: int) -> list:
    ids = []
    with app.app_context():
        for number in range(count):
            school = School(
                urn=str(first_urn + number), name=f"Own Dates Academy {number}", phase="primary",
                local_authority="Demo County Council",
            )  # fmt: skip
            db.session.add(school)
            db.session.flush()
            db.session.add(
                TermDate(
                    school_id=school.id,
                    academic_year=2026,
                    term="summer",
                    starts_on=date(2027, 4, 13),
                    ends_on=date(2027, 7, 20 - number % 3),
                    inset_days=["2027-04-13"],
                )
            )
            ids.append(school.id)
        db.session.commit()
    return ids


def test_the_calendars_of_many_schools_take_one_query(app):
    few = add_schools_with_own_dates(app, 3, 700000)
    many = few + add_schools_with_own_dates(app, 60, 710000)
    with app.app_context():
        plain = [None]  # a child with no school place follows the authority's dates
        with statements_sent(app) as for_few:
            calendars = calendars_for_schools(db.session, few + plain)
        with statements_sent(app) as for_many:
            many_calendars = calendars_for_schools(db.session, many + plain)
        with statements_sent(app) as for_one:
            calendar_for_school(db.session, many[-1])
    assert len(for_few) == len(for_many) == len(for_one) == 1
    assert set(many_calendars) == set(many) | {None}
    assert calendars[few[1]].term(2026, "summer").ends_on == date(2027, 7, 19)
    assert many_calendars[many[-1]].term(2026, "summer").inset_days == (date(2027, 4, 13),)
    # Without its own dates, a school follows the authority's (none in the empty database).
    assert calendars[None].terms == ()


def test_the_form_shows_stored_dates_in_its_boxes():
    row = TermDate(
        academic_year=2026, term="autumn", starts_on=date(2026, 9, 2), ends_on=date(2026, 12, 18),
        half_term_starts_on=None, half_term_ends_on=None, inset_days=["2026-11-02", "2026-09-02"],
    )  # fmt: skip
    values = form_values(row)
    assert (values["starts_on-day"], values["starts_on-month"], values["starts_on-year"]) == (
        "2", "9", "2026",
    )  # fmt: skip
    assert values["half_term_starts_on-day"] == ""
    # INSET days in date order, whatever order they were stored in.
    assert (values["inset_1-day"], values["inset_2-day"]) == ("2", "2")
    assert (values["inset_1-month"], values["inset_2-month"]) == ("9", "11")
    assert FieldError("x", "y").message == "y"


def test_the_database_holds_one_row_a_term_for_the_authority_and_for_each_school(app):
    from sqlalchemy.exc import IntegrityError

    with app.app_context():
        school = School(urn="799999", name="Unique Test", phase="primary", local_authority="X")
        db.session.add(school)
        db.session.commit()
        for whose in (None, school.id):
            for _ in range(2):
                db.session.add(
                    TermDate(
                        school_id=whose,
                        academic_year=2030,
                        term="autumn",
                        starts_on=date(2030, 9, 2),
                        ends_on=date(2030, 12, 18),
                        inset_days=[],
                    )
                )
            with pytest.raises(IntegrityError):
                db.session.commit()
            db.session.rollback()
        count = db.session.scalar(
            select(func.count(TermDate.id)).where(TermDate.academic_year == 2030)
        )
        assert count == 0


TERM_DATES_FILE = (
    "school_urn,academic_year,term,starts_on,ends_on,half_term_starts_on,half_term_ends_on,"
    "inset_days\n"
    ",2028/29,autumn,2028-09-04,2028-12-20,2028-10-23,2028-10-27,2028-09-04;2028-11-06\n"
    ",2028,spring,03/01/2029,29/03/2029,,,\n"
    f"{OAKFIELD},2028,autumn,2028-09-05,2028-12-19,2028-10-23,2028-10-27,\n"
)


def test_term_dates_load_from_a_csv_file_on_the_command_line(app, seeded, tmp_path):
    path = tmp_path / "term-dates.csv"
    path.write_text(TERM_DATES_FILE, encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["load-term-dates", str(path)])
    assert result.exit_code == 0, result.output
    assert "The authority's term dates: 2 terms added or changed." in result.output
    assert "Oakfield Primary School's own term dates: 1 term added or changed." in result.output
    assert row_of(app, None, 2028, "autumn").inset_days == ["2028-09-04", "2028-11-06"]
    assert row_of(app, None, 2028, "spring").half_term_starts_on is None
    assert row_of(app, school_id(app, OAKFIELD), 2028, "autumn").starts_on == date(2028, 9, 5)
    with app.app_context():
        loaded = db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "term_dates.added",
                AuditEvent.actor_description.like("%load-term-dates%"),
            )
        ).all()
        assert len(loaded) == 3
    # Loading it again changes nothing.
    again = app.test_cli_runner().invoke(args=["load-term-dates", str(path)])
    assert again.exit_code == 0 and "Nothing changed." in again.output


def test_a_file_with_a_wrong_row_saves_nothing_and_says_which_row(app, seeded, tmp_path):
    path = tmp_path / "term-dates.csv"
    path.write_text(
        TERM_DATES_FILE
        + ",2028,summer,2029-04-16,2029-04-01,,,\n"
        + "999999,2028,summer,2029-04-16,2029-07-20,,,\n"
        + ",2028,winter,2029-04-16,2029-07-20,,,\n",
        encoding="utf-8",
    )
    result = app.test_cli_runner().invoke(args=["load-term-dates", str(path)])
    assert result.exit_code != 0
    assert "Row 5: the summer term of 2028/29 ends (Sunday 1 April 2029) before it starts" in (
        result.output
    )
    assert 'Row 7: "winter" is not a term: use autumn, spring or summer.' in result.output
    assert "No school has the URN 999999" in result.output
    assert row_of(app, None, 2028, "autumn") is None


def test_changing_a_schools_term_dates_works_out_its_childrens_deadlines_again(seeded):
    from portal.models import Child, TimelinessObligation
    from portal.operations.audit import Actor
    from portal.operations.term_dates import set_term_dates

    key = "termly_pep:2026:spring"
    with seeded.app_context():
        oakfield = db.session.scalar(select(School).where(School.urn == OAKFIELD))
        assert oakfield is not None
        at_oakfield = set(
            db.session.scalars(select(Child.id).where(Child.current_school_id == oakfield.id))
        )

        def spring_due_dates() -> dict:
            db.session.expire_all()
            return dict(
                db.session.execute(
                    select(TimelinessObligation.child_id, TimelinessObligation.due_on).where(
                        TimelinessObligation.key == key
                    )
                ).all()
            )

        before = spring_due_dates()
        assert at_oakfield & set(before)
        # Oakfield ends spring on Thursday 1 April 2027, six days after the authority.
        outcome = set_term_dates(
            db.session,
            Actor.system("test"),
            oakfield,
            2026,
            "spring",
            term_form(date(2027, 1, 6), date(2027, 4, 1), (date(2027, 2, 15), date(2027, 2, 19))),
        )
        assert not outcome.errors, outcome.errors
        after = spring_due_dates()
        moved = {child for child in before if after.get(child) != before[child]}
        # Its children's spring PEPs fall due later at once; every other child's are as they were.
        assert moved == at_oakfield & set(before)
        assert all(after[child] > before[child] for child in moved)


def test_the_admin_is_warned_when_this_terms_dates_are_missing(seeded, client_for):
    from portal.academic import england_today

    client = client_for("admin")
    assert 'id="term-dates-missing"' not in client.get("/admin/term-dates").get_data(as_text=True)
    today = england_today()
    year = today.year if today.month >= 8 else today.year - 1
    with seeded.app_context():
        db.session.execute(
            TermDate.__table__.delete().where(
                TermDate.school_id.is_(None), TermDate.academic_year >= year
            )
        )
        db.session.commit()
    html = client.get("/admin/term-dates").get_data(as_text=True)
    label = f"{year}/{(year + 1) % 100:02d}"
    assert 'id="term-dates-missing"' in html
    assert f"Add the term dates for {label}: until then" in " ".join(html.split())
    assert_accessible(html, "term dates missing")
