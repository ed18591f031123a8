"""A child's history as an admin reads and exports it for a subject access request."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass

from portal.models import AuditEvent

# A spreadsheet treats a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_HEADERS = ("When (UTC)", "Who", "What happened", "Record", "Record id", "Details", "From")


def neutralise_cell(value: str) -> str:
    """A cell a spreadsheet will show as text, never run as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


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
        when=event.occurred_at_utc.strftime("%Y-%m-%d %H:%M:%S"),
        who=event.actor_description,
        action=event.action,
        record=event.object_type,
        record_id=event.object_id or "",
        details="" if details == "{}" else details,
        client_address=event.client_address or "",
    )


def history_csv(events: Iterable[AuditEvent]) -> str:
    """Every event as one CSV row, each cell neutralised against formula injection."""
    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\r\n")
    writer.writerow(CSV_HEADERS)
    for event in events:
        writer.writerow([neutralise_cell(cell) for cell in history_row(event).cells()])
    return output.getvalue()
