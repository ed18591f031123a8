"""The children list's PEP due column, filter and sort: staff only, and settled children after
those with something still open."""

import csv
import io

import lxml.html

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
    response = client_for("admin").get("/children.csv?sort=pep_due")
    table = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
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
