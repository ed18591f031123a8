"""Schools from the DfE's Get Information About Schools (GIAS) establishment extract.

The file is read as it is downloaded (`edubasealldata<date>.csv`: Windows-1252, about 50,000
rows and 130 columns); only the columns below are kept. Every school in England fits, because
children placed out of area go to schools in other authorities. A re-import updates what
changed and reports each change; a closed school is marked, never deleted; a school that is not
in the file is left alone, so an extract of one authority does not touch the rest of England.

Checking loads the compared columns of every school in one query, and applying writes in
batches (executemany), so a whole extract is checked and written in seconds.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from portal.imports import Plan, Problem, Progress, RowChange, Rows
from portal.models import ImportKind, School, SchoolPhase, SettingSource
from portal.models.base import utc_now

URN = "URN"
NAME = "EstablishmentName"
TYPE = "TypeOfEstablishment (name)"
PHASE = "PhaseOfEducation (name)"
LOCAL_AUTHORITY = "LA (name)"
STATUS = "EstablishmentStatus (name)"
POSTCODE = "Postcode"
CLOSE_DATE = "CloseDate"
UKPRN = "UKPRN"
LOW_AGE = "StatutoryLowAge"
HIGH_AGE = "StatutoryHighAge"

BATCH_SIZE = 1000
PROGRESS_EVERY = 500
URN_PATTERN = re.compile(r"[0-9]{6}")
UKPRN_PATTERN = re.compile(r"1[0-9]{7}")
# GIAS writes dates day-month-year with dashes; a file saved again by Excel may use slashes.
DATE_FORMATS = ("%d-%m-%Y", "%d/%m/%Y", "%Y-%m-%d")
# Longest text each column holds (portal.models.school).
MOST_CHARACTERS = {NAME: 200, TYPE: 120, LOCAL_AUTHORITY: 120, POSTCODE: 10}

GIAS_CODES_FILE = Path(__file__).resolve().parents[2] / "codes" / "gias.yaml"


@dataclass(frozen=True)
class AgeRule:
    phase: SchoolPhase
    low_at_least: int | None
    high_at_most: int | None

    def fits(self, low: int, high: int) -> bool:
        if self.low_at_least is not None and low < self.low_at_least:
            return False
        return self.high_at_most is None or high <= self.high_at_most


@dataclass(frozen=True)
class GiasCodes:
    """GIAS's own words, and the phase each means (portal/codes/gias.yaml)."""

    type_phases: dict[str, SchoolPhase]
    types_by_phase: dict[str, SchoolPhase]
    phases: dict[str, SchoolPhase | None]
    age_ranges: tuple[AgeRule, ...]
    statuses: tuple[str, ...]
    closed_statuses: frozenset[str]

    def phase_for(
        self, type_name: str, phase_name: str, low_age: int | None, high_age: int | None
    ) -> SchoolPhase | None:
        """The school's phase: by its type, its phase of education, its age range, or what
        its type is when nothing else says. None when neither type nor phase is known."""
        if type_name in self.type_phases:
            return self.type_phases[type_name]
        by_phase = self.phases.get(phase_name)
        if by_phase is not None:
            return by_phase
        if type_name not in self.types_by_phase and phase_name not in self.phases:
            return None
        if low_age is not None and high_age is not None:
            for rule in self.age_ranges:
                if rule.fits(low_age, high_age):
                    return rule.phase
        return self.types_by_phase.get(type_name)


@cache
def gias_codes() -> GiasCodes:
    raw = yaml.safe_load(GIAS_CODES_FILE.read_text(encoding="utf-8"))
    return GiasCodes(
        type_phases={str(k): SchoolPhase(v) for k, v in raw["type_phases"].items()},
        types_by_phase={str(k): SchoolPhase(v) for k, v in raw["types_by_phase"].items()},
        phases={str(k): SchoolPhase(v) if v else None for k, v in raw["phases"].items()},
        age_ranges=tuple(
            AgeRule(SchoolPhase(rule["phase"]), rule.get("low_at_least"), rule.get("high_at_most"))
            for rule in raw["age_ranges"]
        ),
        statuses=tuple(str(status) for status in raw["statuses"]),
        closed_statuses=frozenset(str(status) for status in raw["closed_statuses"]),
    )


# The columns a re-import compares, with the words the preview uses for them.
COMPARED = {
    "name": "Name",
    "establishment_type": "Type",
    "phase": "Phase",
    "status": "Status",
    "local_authority": "Local authority",
    "postcode": "Postcode",
    "closed_on": "Close date",
    "ukprn": "UKPRN",
    "source": "Source",
}


def shown(column: str, value: Any) -> str | None:
    """A stored value as the preview shows it."""
    if value is None:
        return None
    if column == "phase":
        return SchoolPhase(value).label
    if column == "closed_on":
        return f"{value.day} {value:%B %Y}"
    if column == "source":
        return "From GIAS" if value == SettingSource.GIAS.value else "Added by hand"
    return str(value)


@dataclass(frozen=True)
class ExistingSchool:
    id: uuid.UUID
    values: dict[str, Any]  # the compared columns, as stored


@dataclass
class SchoolsPlan(Plan):
    """What the file would change: rows to insert and rows to update (by id)."""

    inserts: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)


GIAS_DATE = re.compile(r"([0-9]{2})-([0-9]{2})-([0-9]{4})")


def parse_date(text: str) -> date | None:
    match = GIAS_DATE.fullmatch(text)
    if match:  # GIAS's own form, read without strptime: a third of the rows have a date
        day, month, year = (int(part) for part in match.groups())
        try:
            return date(year, month, day)
        except ValueError:
            return None
    for date_format in DATE_FORMATS:
        try:
            return datetime.strptime(text, date_format).date()
        except ValueError:
            continue
    return None


def _age(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isascii() and text.isdigit() else None


def load_existing(session: Session) -> tuple[dict[str, ExistingSchool], dict[str, ExistingSchool]]:
    """Every school's compared columns in one query: by URN, and by UKPRN."""
    columns = [getattr(School, name) for name in COMPARED]
    by_urn: dict[str, ExistingSchool] = {}
    by_ukprn: dict[str, ExistingSchool] = {}
    for row in session.execute(select(School.id, School.urn, *columns)):
        existing = ExistingSchool(row[0], dict(zip(COMPARED, row[2:], strict=True)))
        if row[1] is not None:
            by_urn[row[1]] = existing
        if existing.values["ukprn"] is not None:
            by_ukprn[existing.values["ukprn"]] = existing
    return by_urn, by_ukprn


class GiasImporter:
    """The GIAS establishment extract, checked against the schools already known."""

    kind = ImportKind.SCHOOLS
    encodings = ("utf-8-sig", "cp1252")
    required_columns = (URN, NAME, TYPE, PHASE, LOCAL_AUTHORITY, STATUS, POSTCODE)
    optional_columns = (CLOSE_DATE, UKPRN, LOW_AGE, HIGH_AGE)

    def check(self, session: Session, rows: Rows, progress: Progress) -> SchoolsPlan:
        codes = gias_codes()
        plan = SchoolsPlan()
        by_urn, by_ukprn = load_existing(session)
        first_row_of_urn: dict[str, int] = {}
        first_urn_of_ukprn: dict[str, str] = {}
        now = utc_now()
        done = 0
        for number, row in rows:
            done += 1
            if done % PROGRESS_EVERY == 0:
                progress(done)
            values, problems, notes = self._read_row(
                number, row, codes, first_row_of_urn, first_urn_of_ukprn, by_urn, by_ukprn
            )
            if problems:
                plan.problems.extend(problems)
                continue
            assert values is not None
            self._plan_row(plan, number, values, by_urn.get(values["urn"]), notes, now)
        progress(done)
        return plan

    def _read_row(
        self,
        number: int,
        row: dict[str, str],
        codes: GiasCodes,
        first_row_of_urn: dict[str, int],
        first_urn_of_ukprn: dict[str, str],
        by_urn: dict[str, ExistingSchool],
        by_ukprn: dict[str, ExistingSchool],
    ) -> tuple[dict[str, Any] | None, list[Problem], list[str]]:
        """One row's values as they would be stored, or its problems."""
        problems: list[Problem] = []
        notes: list[str] = []

        def problem(column: str, what: str, fix: str) -> None:
            problems.append(Problem(number, column, what, fix))

        urn = row[URN].strip()
        if not urn:
            problem(
                URN, "The URN is missing.", "Enter the school's 6-digit URN, or delete the row."
            )
        elif not URN_PATTERN.fullmatch(urn):
            problem(
                URN,
                f"The URN '{urn}' is not 6 digits.",
                "Enter the school's 6-digit unique reference number (URN) from Get "
                "Information About Schools.",
            )
        elif urn in first_row_of_urn:
            problem(
                URN,
                f"URN {urn} is also on row {first_row_of_urn[urn]}.",
                f"Keep one row for each school: delete this row or row "
                f"{first_row_of_urn[urn]}, and upload the file again.",
            )
        else:
            first_row_of_urn[urn] = number

        # Text is kept exactly as written (a cell starting with '=' is a name, not a formula);
        # exports neutralise it.
        name = row[NAME]
        if not name.strip():
            problem(NAME, "The school's name is missing.", "Enter the establishment's name.")
        type_name = row[TYPE].strip()
        phase_name = row[PHASE].strip()
        local_authority = row[LOCAL_AUTHORITY]
        if not local_authority.strip():
            problem(
                LOCAL_AUTHORITY,
                "The local authority is missing.",
                "Enter the local authority the school is in, as Get Information About "
                "Schools names it.",
            )
        postcode = row[POSTCODE].strip().upper() or None
        for column, text in ((NAME, name), (TYPE, type_name), (LOCAL_AUTHORITY, local_authority)):
            if len(text) > MOST_CHARACTERS[column]:
                problem(
                    column,
                    f"The {column} is {len(text)} characters long.",
                    f"Shorten it to {MOST_CHARACTERS[column]} characters or fewer.",
                )
        if postcode and len(postcode) > MOST_CHARACTERS[POSTCODE]:
            problem(POSTCODE, f"'{postcode}' is not a postcode.", "Enter the school's postcode.")

        phase = codes.phase_for(
            type_name, phase_name, _age(row.get(LOW_AGE)), _age(row.get(HIGH_AGE))
        )
        if phase is None:
            problem(
                TYPE,
                f"The school's phase cannot be worked out: the type '{type_name}' is not one "
                f"OpenPEP knows, and the phase of education '{phase_name}' does not say it.",
                "Check the row came from Get Information About Schools unchanged; if GIAS has "
                "a new type, add it to portal/codes/gias.yaml.",
            )

        status = row[STATUS].strip()
        if status not in codes.statuses:
            listed = "; ".join(codes.statuses)
            problem(
                STATUS,
                f"The status '{status}' is not one of GIAS's statuses."
                if status
                else "The status is missing.",
                f"Enter one of: {listed}.",
            )

        closed_on: date | None = None
        close_text = (row.get(CLOSE_DATE) or "").strip()
        if close_text:
            closed_on = parse_date(close_text)
            if closed_on is None:
                problem(
                    CLOSE_DATE,
                    f"The close date '{close_text}' is not a date.",
                    "Write it as day-month-year, for example 31-08-2024, as Get Information "
                    "About Schools does, or leave it empty.",
                )

        values: dict[str, Any] = {
            "urn": urn,
            "name": name,
            "establishment_type": type_name or None,
            "phase": phase.value if phase else None,
            "status": status,
            "local_authority": local_authority,
            "postcode": postcode,
            "closed_on": closed_on,
            "source": SettingSource.GIAS.value,
        }
        if UKPRN in row:
            ukprn = row[UKPRN].strip() or None
            existing = by_urn.get(urn)
            if ukprn is not None and not UKPRN_PATTERN.fullmatch(ukprn):
                problem(
                    UKPRN,
                    f"The UKPRN '{ukprn}' is not 8 digits starting with 1.",
                    "Enter the UK provider reference number as GIAS gives it, or leave it empty.",
                )
            elif ukprn is not None:
                holder = by_ukprn.get(ukprn)
                other_row_urn = first_urn_of_ukprn.setdefault(ukprn, urn)
                is_this_school = (
                    holder is not None and existing is not None and (holder.id == existing.id)
                )
                if (
                    holder is not None
                    and not is_this_school
                    and holder.values["source"] == SettingSource.MANUAL.value
                ):
                    problem(
                        UKPRN,
                        f"UKPRN {ukprn} belongs to '{holder.values['name']}', a setting added "
                        "by hand.",
                        "If they are the same place, remove the UKPRN from the setting added "
                        "by hand (Admin, Schools and settings), then upload the file again.",
                    )
                elif other_row_urn != urn or (holder is not None and not is_this_school):
                    # GIAS itself gives one UKPRN to more than one establishment now and then
                    # (a closed school and its successor): the first keeps it.
                    kept = existing.values["ukprn"] if existing else None
                    if kept != ukprn:
                        notes.append(f"UKPRN {ukprn} left off: another school already has it")
                    ukprn = kept
            values["ukprn"] = ukprn
        return (None if problems else values), problems, notes

    def _plan_row(
        self,
        plan: SchoolsPlan,
        number: int,
        values: dict[str, Any],
        existing: ExistingSchool | None,
        notes: list[str],
        now: datetime,
    ) -> None:
        urn = values["urn"]
        noted = f" ({'; '.join(notes)})" if notes else ""
        if existing is None:
            plan.inserts.append(
                {"id": uuid.uuid4(), "created_at_utc": now, "updated_at_utc": now, **values}
            )
            plan.changes.append(
                RowChange(number, urn, "new", f"New school: {values['name']} (URN {urn}){noted}")
            )
            return
        changed = {
            column: value
            for column, value in values.items()
            if column in COMPARED and existing.values[column] != value
        }
        if not changed:
            plan.changes.append(
                RowChange(
                    number, urn, "unchanged", f"No change: {values['name']} (URN {urn}){noted}"
                )
            )
            return
        plan.updates.append({"id": existing.id, "updated_at_utc": now, **changed})
        closes = values["status"] in gias_codes().closed_statuses and (
            existing.values["status"] not in gias_codes().closed_statuses
        )
        plan.changes.append(
            RowChange(
                number,
                urn,
                "closed" if closes else "changed",
                f"{'Closed' if closes else 'Changed'}: {values['name']} (URN {urn}){noted}",
                {
                    COMPARED[column]: (shown(column, existing.values[column]), shown(column, new))
                    for column, new in changed.items()
                },
            )
        )

    def apply(self, session: Session, actor: Any, plan: Plan) -> None:
        """Write the plan in batches; the import's own audit event and commit are the
        caller's (the import run keeps every change)."""
        assert isinstance(plan, SchoolsPlan)
        # Core statements on the table, not ORM bulk operations: the same executemany at a
        # quarter of the cost per row (the ORM's per-row bookkeeping buys nothing here).
        table = School.__table__
        by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for values in plan.updates:
            columns = tuple(sorted(column for column in values if column != "id"))
            by_columns.setdefault(columns, []).append(
                {"school_id": values["id"], **{f"new_{c}": values[c] for c in columns}}
            )
        for columns, parameters in by_columns.items():
            statement = (
                update(table)
                .where(table.c.id == bindparam("school_id"))
                .values({column: bindparam(f"new_{column}") for column in columns})
            )
            for start in range(0, len(parameters), BATCH_SIZE):
                session.execute(statement, parameters[start : start + BATCH_SIZE])
        for start in range(0, len(plan.inserts), BATCH_SIZE):
            session.execute(insert(table), plan.inserts[start : start + BATCH_SIZE])


IMPORTER = GiasImporter()
