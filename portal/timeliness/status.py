"""Today's timeliness status from the stored rows: a status moves with the calendar alone (not
yet due, then due, then overdue), so the stored dates, not the stored status, decide it.

The same rule in Python (one child's page) and in SQL (the children list's column and filter).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import and_, case, func

from portal.models import ChildTimeliness, TimelinessObligation
from workflows.timeliness import STATUS_LABELS, TimelinessStatus

# Statuses that the calendar can still move on: nothing met them and no exemption applies.
OPEN_STATUSES = frozenset(
    {TimelinessStatus.NOT_YET_DUE, TimelinessStatus.DUE, TimelinessStatus.MEETING_BOOKED}
)
# The list's filter and the CSV: every status, in the order of urgency.
STATUS_CHOICES: dict[str, str] = {
    status.value: STATUS_LABELS[status]
    for status in (
        TimelinessStatus.OVERDUE,
        TimelinessStatus.DUE,
        TimelinessStatus.MEETING_BOOKED,
        TimelinessStatus.NOT_YET_DUE,
        TimelinessStatus.DONE_LATE,
        TimelinessStatus.DONE_ON_TIME,
        TimelinessStatus.EXEMPT,
    )
}
NOT_WORKED_OUT = "not_worked_out"
# The rule of the row that says a term's PEP cannot be worked out: its term dates are missing.
TERM_DATES_MISSING = "term_dates_missing"
NOT_WORKED_OUT_LABEL = "Not worked out yet"
# GOV.UK tag colours; the words always say the status too.
TAG_CLASSES = {
    TimelinessStatus.OVERDUE: "govuk-tag--red",
    TimelinessStatus.DUE: "govuk-tag--orange",
    TimelinessStatus.MEETING_BOOKED: "govuk-tag--blue",
    TimelinessStatus.NOT_YET_DUE: "govuk-tag--grey",
    TimelinessStatus.DONE_LATE: "govuk-tag--yellow",
    TimelinessStatus.DONE_ON_TIME: "govuk-tag--green",
    TimelinessStatus.EXEMPT: "govuk-tag--purple",
}


def status_today(
    stored: TimelinessStatus,
    due_on: date | None,
    due_from: date | None,
    today: date,
) -> TimelinessStatus:
    """An obligation's status today, from its status when last worked out and its dates."""
    if stored not in OPEN_STATUSES or due_on is None:
        return stored
    if today > due_on:
        return TimelinessStatus.OVERDUE
    if stored is TimelinessStatus.MEETING_BOOKED:
        return stored
    if due_from is not None and today >= due_from:
        return TimelinessStatus.DUE
    return stored


def obligation_status(row: TimelinessObligation, today: date) -> TimelinessStatus:
    return status_today(TimelinessStatus(row.status), row.due_on, row.due_from, today)


def child_status_sql(today: date) -> Any:
    """The child's most pressing status today (SQL, over a row of child_timeliness): overdue
    when anything open is past its date, else due, else a meeting booked, else not yet due;
    with nothing open, the latest term's status. NULL when never worked out."""
    summary = ChildTimeliness
    return case(
        (summary.id.is_(None), None),
        (summary.open_due_on.is_(None), summary.settled_status),
        (summary.open_due_on < today, TimelinessStatus.OVERDUE.value),
        (
            and_(summary.unbooked_due_from.is_not(None), summary.unbooked_due_from <= today),
            TimelinessStatus.DUE.value,
        ),
        (summary.meeting_booked.is_(True), TimelinessStatus.MEETING_BOOKED.value),
        else_=TimelinessStatus.NOT_YET_DUE.value,
    )


def child_due_on_sql() -> Any:
    """The due date the list shows beside the status: the earliest still open, else the
    latest term's."""
    return func.coalesce(ChildTimeliness.open_due_on, ChildTimeliness.settled_due_on)


def status_label(value: str | None) -> str:
    # Never worked out (no row), or stored so: the term dates it needs are missing.
    if not value or value == NOT_WORKED_OUT:
        return NOT_WORKED_OUT_LABEL
    return STATUS_LABELS[TimelinessStatus(value)]


def status_tag_class(value: str | None) -> str:
    if not value or value == NOT_WORKED_OUT:
        return "govuk-tag--grey"
    return TAG_CLASSES[TimelinessStatus(value)]
