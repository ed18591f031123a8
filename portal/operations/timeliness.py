"""Working out and storing each child's timeliness: after anything that changes the facts, and
each night for every child (`flask --app portal refresh-timeliness`).

The stored rows are derived data (the rules applied to facts the audit trail already records),
so a refresh after a change writes no audit event of its own; the nightly run records one.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from flask import current_app, has_app_context
from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from portal.academic import england_today
from portal.models import Child, ChildTimeliness, TimelinessObligation
from portal.models.base import utc_now
from portal.operations import audit
from portal.operations.audit import Actor
from portal.timeliness.facts import (
    ChildTimelinessFacts,
    facts_for_children,
    records_begin_on,
)
from portal.timeliness.status import NOT_WORKED_OUT, OPEN_STATUSES, TERM_DATES_MISSING
from workflows.calendar import TERMS, CalendarError, NoTermDatesError, SchoolCalendar
from workflows.pep_types import PepType
from workflows.timeliness import (
    Obligation,
    Timeliness,
    TimelinessRules,
    TimelinessStatus,
    evaluate,
    rules_from_environment,
)

log = logging.getLogger(__name__)

BATCH_SIZE = 500
T = TypeVar("T")
# Nothing has met these yet and no exemption applies: the child still owes them.
STILL_OWED = frozenset({*OPEN_STATUSES, TimelinessStatus.OVERDUE})
# What stops one batch of a refresh and no other: a lost race with another refresh of the same
# children (a unique row written twice, or a lock), or term dates that cannot be used.
REFRESH_FAILURES = (IntegrityError, OperationalError, CalendarError)


def timeliness_rules(settings: Mapping[str, Any]) -> TimelinessRules:
    """The authority's timeliness rules, as the portal loaded and checked them at startup."""
    return settings.get("TIMELINESS_RULES") or rules_from_environment()


def _rules() -> TimelinessRules:
    return timeliness_rules(current_app.config if has_app_context() else {})


def _configured_since() -> date | None:
    if has_app_context():
        return current_app.config.get("TIMELINESS_SINCE")
    return None


def _due_from(
    obligation: Obligation,
    calendar: SchoolCalendar,
    rules: TimelinessRules,
    meetings: Mapping[str, date | None],
) -> date | None:
    """The day an obligation shows as due. The rules work it out but do not return it: for a
    term's PEP, the first reminder's school day (the term's first day when the count runs out);
    for a deadline in working days, the day its clock started, which its key carries (a PEP's
    meeting day for a sign-off)."""
    if obligation.academic_year is not None and obligation.term is not None:
        try:
            return calendar.add_school_days(
                obligation.due_on, -rules.reminders.due_window_school_days
            )
        except NoTermDatesError:
            term = calendar.term(obligation.academic_year, obligation.term)
            return term.starts_on if term else obligation.due_on
    _, _, rest = obligation.key.partition(":")
    if obligation.rule == "sign_off":
        return meetings.get(rest)
    try:
        return date.fromisoformat(rest)
    except ValueError:
        return None


def _rows(
    facts: ChildTimelinessFacts,
    calendar: SchoolCalendar,
    timeliness: Timeliness,
    rules: TimelinessRules,
    today: date,
    now: Any,
) -> list[dict[str, Any]]:
    meetings = {str(pep.id): pep.meeting_on for pep in facts.peps}
    common = {
        "child_id": facts.child_id,
        "evaluated_on": today,
        "refreshed_at_utc": now,
        "created_at_utc": now,
        "updated_at_utc": now,
    }
    rows: list[dict[str, Any]] = []
    for obligation in timeliness.obligations:
        rows.append(
            {
                **common,
                "id": uuid.uuid4(),
                "key": obligation.key,
                "rule": obligation.rule,
                "statutory": obligation.statutory,
                "pep_type": obligation.pep_type.value,
                "what": obligation.what[:200],
                "why": obligation.why[:400],
                "academic_year": obligation.academic_year,
                "term": obligation.term,
                "due_on": obligation.due_on,
                "due_from": _due_from(obligation, calendar, rules, meetings),
                "status": obligation.status.value,
                "completed_on": obligation.completed_on,
                "satisfied_by_pep_id": (
                    obligation.satisfied_by
                    if isinstance(obligation.satisfied_by, uuid.UUID)
                    else None
                ),
                "exemption_rule": obligation.exemption.rule if obligation.exemption else None,
                "exemption_reason": (
                    obligation.exemption.reason[:300] if obligation.exemption else None
                ),
                "reminders": {point.kind: point.on.isoformat() for point in obligation.reminders},
            }
        )
    # A term before the child reached the starting age has no obligation but is still shown.
    for term in timeliness.terms:
        if term.obligation is not None:
            continue
        rows.append(
            {
                **common,
                "id": uuid.uuid4(),
                "key": f"{rules.termly.key}:{term.academic_year}:{term.term}",
                "rule": rules.termly.key,
                "statutory": rules.termly.statutory,
                "pep_type": PepType.TERMLY.value,
                "what": f"A signed-off PEP for the {term.name.lower()}"[:200],
                "why": term.reason[:400],
                "academic_year": term.academic_year,
                "term": term.term,
                "due_on": term.due_on,
                "due_from": None,
                "status": term.status.value,
                "completed_on": None,
                "satisfied_by_pep_id": None,
                "exemption_rule": None,
                "exemption_reason": None,
                "reminders": {},
            }
        )
    if timeliness.term_dates_missing_for is not None:
        # No term dates for today's term or the next: say so where the terms are shown, with
        # no date and no status of its own (dates are never guessed).
        year = timeliness.term_dates_missing_for
        term = "autumn" if today.month >= 8 else ("spring" if today.month < 4 else "summer")
        rows.append(
            {
                **common,
                "id": uuid.uuid4(),
                "key": f"{TERM_DATES_MISSING}:{year}:{term}",
                "rule": TERM_DATES_MISSING,
                "statutory": False,
                "pep_type": PepType.TERMLY.value,
                "what": "Term dates missing",
                "why": (timeliness.term_dates_missing or "")[:400],
                "academic_year": year,
                "term": term,
                "due_on": None,
                "due_from": None,
                "status": TimelinessStatus.NOT_YET_DUE.value,
                "completed_on": None,
                "satisfied_by_pep_id": None,
                "exemption_rule": None,
                "exemption_reason": None,
                "reminders": {},
            }
        )
    return rows


def _term_order(row: Mapping[str, Any]) -> tuple[int, int]:
    term = row["term"]
    return (row["academic_year"], TERMS.index(term) if term in TERMS else 0)


def _summary(
    child_id: uuid.UUID,
    rows: Sequence[Mapping[str, Any]],
    timeliness: Timeliness,
    calendar: SchoolCalendar,
    today: date,
    now: Any,
) -> dict[str, Any]:
    """What the children list needs: the dates the child's most pressing status moves on."""
    open_rows = [row for row in rows if row["status"] in STILL_OWED and row["due_on"] is not None]
    unbooked_from = [
        row["due_from"]
        for row in open_rows
        if row["status"] != TimelinessStatus.MEETING_BOOKED.value and row["due_from"] is not None
    ]
    settled_status: str | None = None
    settled_due_on: date | None = None
    if not open_rows and timeliness.term_dates_missing_for is not None:
        # Nothing open, and this term's PEP cannot be worked out: not "not yet due".
        settled_status = NOT_WORKED_OUT
    elif not open_rows:
        term_rows = sorted(
            (row for row in rows if row["academic_year"] is not None), key=_term_order
        )
        current = calendar.term_containing(today)
        chosen = next(
            (
                row
                for row in term_rows
                if current and (row["academic_year"], row["term"]) == current.key
            ),
            term_rows[-1] if term_rows else None,
        )
        if chosen is None and rows:
            chosen = max(rows, key=lambda row: row["due_on"] or date.min)
        if chosen is not None:
            settled_status, settled_due_on = chosen["status"], chosen["due_on"]
        elif timeliness.exemption is not None:
            settled_status = TimelinessStatus.EXEMPT.value
        else:
            settled_status = TimelinessStatus.NOT_YET_DUE.value
    return {
        "id": uuid.uuid4(),
        "child_id": child_id,
        "open_due_on": min((row["due_on"] for row in open_rows), default=None),
        "unbooked_due_from": min(unbooked_from, default=None),
        "meeting_booked": any(
            row["status"] == TimelinessStatus.MEETING_BOOKED.value for row in open_rows
        ),
        "settled_status": settled_status,
        "settled_due_on": settled_due_on,
        "evaluated_on": today,
        "refreshed_at_utc": now,
        "created_at_utc": now,
        "updated_at_utc": now,
    }


def _write_batch(
    session: Session,
    child_ids: Sequence[uuid.UUID],
    today: date,
    since: date,
    rules: TimelinessRules,
) -> int:
    """Work out and replace the stored timeliness of one batch: a fixed number of queries."""
    now = utc_now()
    obligation_rows: list[dict[str, Any]] = []
    summaries: list[dict[str, Any]] = []
    for facts in facts_for_children(session, child_ids):
        if facts.calendar is None:
            # The school's term dates cannot be used: this child alone waits (shown as not
            # worked out) until they are mended; the others in the batch go on.
            log.warning(
                "Timeliness of child %s not worked out: %s", facts.child_id, facts.calendar_problem
            )
            continue
        calendar = facts.calendar
        try:
            timeliness = evaluate(
                facts.child, facts.events, facts.peps, calendar, rules, today, since=since
            )
            rows = _rows(facts, calendar, timeliness, rules, today, now)
            summary = _summary(facts.child_id, rows, timeliness, calendar, today, now)
        except CalendarError as error:
            # Term dates that cannot answer (an admin is still entering them) must not stop
            # every other child: this one shows as not worked out until the next refresh.
            log.warning("Timeliness of child %s not worked out: %s", facts.child_id, error)
            continue
        obligation_rows.extend(rows)
        summaries.append(summary)
    session.execute(
        delete(TimelinessObligation).where(TimelinessObligation.child_id.in_(child_ids))
    )
    session.execute(delete(ChildTimeliness).where(ChildTimeliness.child_id.in_(child_ids)))
    # Every row carries every column (None included), so each table is one executemany.
    if obligation_rows:
        session.execute(
            insert(TimelinessObligation).execution_options(render_nulls=True), obligation_rows
        )
    if summaries:
        session.execute(insert(ChildTimeliness).execution_options(render_nulls=True), summaries)
    return len(summaries)


def refresh_timeliness(
    session: Session, child_ids: Iterable[uuid.UUID], today: date | None = None
) -> int:
    """Work out again and store the timeliness of these children, committing; called after an
    operation that changes a child's facts has committed. Another refresh of the same child at
    the same moment wins the race: its rows are as good as ours, so losing is not an error."""
    wanted = list(dict.fromkeys(child_ids))
    if not wanted:
        return 0
    today = today or england_today()
    rules = _rules()
    since = records_begin_on(session, _configured_since(), today, wanted)
    refreshed = 0
    for batch in _batches(wanted, BATCH_SIZE):
        try:
            refreshed += _write_batch(session, batch, today, since, rules)
            session.commit()
        except REFRESH_FAILURES as error:
            # The change that called this is already saved: a lost race or term dates that
            # cannot be used leave these children as they were until the nightly refresh.
            session.rollback()
            log.warning("Timeliness of %d children not refreshed: %s", len(batch), error)
    return refreshed


def stage_timeliness_of_references(
    session: Session, references: Iterable[str], today: date | None = None
) -> int:
    """Work out the timeliness of the children with these references inside the caller's
    transaction (an import: the rows are kept only if the import is), without committing."""
    wanted = list(dict.fromkeys(references))
    today = today or england_today()
    rules = _rules()
    since = records_begin_on(session, _configured_since(), today)
    staged = 0
    for references_batch in _batches(wanted, BATCH_SIZE):
        child_ids = list(
            session.scalars(select(Child.id).where(Child.authority_reference.in_(references_batch)))
        )
        staged += _write_batch(session, child_ids, today, since, rules)
    return staged


@dataclass(frozen=True)
class TimelinessRun:
    """What a run over every child did: the children refreshed, and the batches that were not
    (each rolled back alone; the next run tries them again)."""

    children: int
    failed_batches: int
    failed_children: int

    def problem(self) -> str | None:
        """A sentence for whoever runs the command, or None when every batch was refreshed."""
        if not self.failed_batches:
            return None
        batches = "batch" if self.failed_batches == 1 else "batches"
        return (
            f"{self.failed_batches} {batches} ({self.failed_children} children) could not be "
            "refreshed, because term dates could not be used or another change to the same "
            "children happened at the same moment. Check the log, then run "
            "refresh-timeliness again."
        )


def refresh_all_timeliness(
    session: Session,
    today: date | None = None,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int, int], None] | None = None,
) -> TimelinessRun:
    """Every child's timeliness, a batch at a time (each its own transaction, so a run over
    100,000 children holds no long lock), then one audit event for the run."""
    today = today or england_today()
    rules = _rules()
    since = records_begin_on(session, _configured_since(), today)
    child_ids = list(session.scalars(select(Child.id).order_by(Child.id)))
    done = failed_batches = failed_children = 0
    for batch in _batches(child_ids, batch_size):
        try:
            done += _write_batch(session, batch, today, since, rules)
            session.commit()
        except REFRESH_FAILURES as error:
            # Term dates that cannot be used, or a per-change refresh of the same children
            # racing this batch: roll this batch back and go on with the others.
            session.rollback()
            failed_batches += 1
            failed_children += len(batch)
            log.warning("Timeliness of %d children not refreshed: %s", len(batch), error)
        if progress is not None:
            progress(done, len(child_ids))
    audit.record(
        session,
        Actor.system("flask refresh-timeliness"),
        "timeliness.refreshed",
        "timeliness",
        None,
        children=done,
        failed_batches=failed_batches,
        failed_children=failed_children,
        today=today.isoformat(),
        records_begin_on=since.isoformat(),
    )
    session.commit()
    return TimelinessRun(done, failed_batches, failed_children)


def _batches(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
