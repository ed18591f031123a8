"""A child's history as an admin reads and exports it for a subject access request."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from portal.models import AuditEvent

# A spreadsheet treats a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_HEADERS = ("When (UTC)", "Who", "What happened", "Record", "Record id", "Details", "From")


def neutralise_cell(value: str) -> str:
    """A cell a spreadsheet will show as text, never run as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def utc_cell(moment: datetime) -> str:
    """A time in a CSV column headed "(UTC)": "2026-07-01 12:00:00", in UTC whatever zone it
    was given in, and sorting as text in time order."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True)
class HistoryRow:
    when: str
    who: str
    action: str
    record: str
    record_id: str
    details: str
    client_address: str

    def cells(self) -> tuple[str, ...]:
        return (
            self.when,
            self.who,
            self.action,
            self.record,
            self.record_id,
            self.details,
            self.client_address,
        )


def history_row(event: AuditEvent) -> HistoryRow:
    details = json.dumps(event.details or {}, sort_keys=True, ensure_ascii=False)
    return HistoryRow(
        when=utc_cell(event.occurred_at_utc),
        who=event.actor_description,
        action=event.action,
        record=event.object_type,
        record_id=event.object_id or "",
        details="" if details == "{}" else details,
        client_address=event.client_address or "",
    )
