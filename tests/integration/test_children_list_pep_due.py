"""The children list's PEP due column, filter and sort: staff only, and settled children after
those with something still open."""

from datetime import date, timedelta

import lxml.html
import pytest
from sqlalchemy import select

from portal.academic import england_today
from portal.extensions import db
from portal.models import Child, TimelinessObligation
from portal.operations.timeliness import refresh_timeliness
from portal.timeliness.calendars import calendar_for_school
from tests.integration.csv_downloads import csv_records
from tests.integration.csv_downloads import csv_rows as downloaded_rows
from workflows.timeliness import STATUS_LABELS, TimelinessStatus

SETTLED_LABELS = {
    STATUS_LABELS[status]
    for status in (
        TimelinessStatus.DONE_ON_TIME,
        TimelinessStatus.DONE_LATE,
        TimelinessStatus.EXEMPT,
    )
}
OPEN_LABELS = {
    STATUS_LABELS[status]
    for status in (
        TimelinessStatus.OVERDUE,
        TimelinessStatus.DUE,
        TimelinessStatus.MEETING_BOOKED,
        TimelinessStatus.NOT_YET_DUE,
    )
}


def listed(html: str) -> list[str]:
    page = lxml.html.document_fromstring(html)
    return [cell.text_content().strip() for cell in page.xpath("//table/tbody/tr/th")]


def test_a_carer_sees_no_pep_due_column_filter_or_sort(client_for):
    carer = client_for("carer")
    html = carer.get("/children").get_data(as_text=True)
    page = lxml.html.document_fromstring(html)
    headers = [" ".join(th.text_content().split()) for th in page.xpath("//table/thead//th")]
    assert "PEP due" not in headers and "Latest PEP" in headers
    assert not page.xpath("//select[@id='due']")
    assert not page.xpath("//select[@id='sort']/option[@value='pep_due']")
    assert "Overdue" not in html and "Meeting booked" not in html
    everyone = listed(html)
    assert sorted(everyone) == ["Chloe Brown", "Oliver Brown"]
    # Asking for a status in the address filters nothing, and sorts by name.
    for url in ("/children?due=overdue", "/children?due=done_on_time&sort=pep_due"):
        assert listed(carer.get(url).get_data(as_text=True)) == everyone
    staff = lxml.html.document_fromstring(
        client_for("social_worker").get("/children").get_data(as_text=True)
    )
    assert "PEP due" in [th.text_content().strip() for th in staff.xpath("//table/thead//th")]
    assert staff.xpath("//select[@id='due']")


def test_sorting_by_pep_due_puts_open_dates_first_then_settled_children(client_for):
    table = downloaded_rows(client_for("admin").get("/children.csv?sort=pep_due"))
    status_at = table[0].index("PEP due status")
    date_at = table[0].index("PEP due date")
    rows = [(row[status_at], row[date_at]) for row in table[1:]]
    kinds = ["open" if status in OPEN_LABELS else "settled" for status, _day in rows]
    assert "open" in kinds and "settled" in kinds
    assert kinds == sorted(kinds), kinds  # every open child before every settled one
    open_dates = [day for status, day in rows if status in OPEN_LABELS]
    settled_dates = [day for status, day in rows if status in SETTLED_LABELS]
    assert all(open_dates) and open_dates == sorted(open_dates)
    given = [day for day in settled_dates if day]
    assert settled_dates == given + [""] * (len(settled_dates) - len(given))
    assert given == sorted(given)


def csv_rows(client, query: str = "") -> dict[str, dict[str, str]]:
    return {row["Reference"]: row for row in csv_records(client.get(f"/children.csv{query}"))}


def test_a_child_with_nothing_owed_is_listed_with_this_terms_status_not_the_next(
    seeded, client_for
):
    """Hannah turns 18 the day after this term ends: this term's PEP was owed and signed off
    on time, the next term's is not owed. The list and its filter show this term's, as her
    own page does, not the next term's "Exempt"."""
    with seeded.app_context():
        child = db.session.scalar(select(Child).where(Child.authority_reference == "DCC-1403"))
        calendar = calendar_for_school(db.session, child.current_school_id)
        term = calendar.term_containing(england_today())
        if term is None:
            pytest.skip("today is in a school holiday: no term is this term")
        birthday = term.ends_on + timedelta(days=1)
        child.date_of_birth = date(birthday.year - 18, birthday.month, birthday.day)
        db.session.commit()
        refresh_timeliness(db.session, [child.id])
        this_term = db.session.scalar(
            select(TimelinessObligation).where(
                TimelinessObligation.child_id == child.id,
                TimelinessObligation.key == f"termly_pep:{term.academic_year}:{term.term}",
            )
        )
        assert this_term.status == TimelinessStatus.DONE_ON_TIME.value
        this_term_due = this_term.due_on.isoformat()

    admin = client_for("admin")
    row = csv_rows(admin)["DCC-1403"]
    assert (row["PEP due status"], row["PEP due date"]) == ("Done on time", this_term_due)
    assert "DCC-1403" in csv_rows(admin, "?due=done_on_time")
    assert "DCC-1403" not in csv_rows(admin, "?due=exempt")
