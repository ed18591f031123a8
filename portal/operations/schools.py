"""Settings not in GIAS, added and edited by hand: private nurseries, childminders, training
providers. Schools from GIAS change only through the GIAS import."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from forms.dates import read_date_boxes
from portal.models import School, SchoolPhase, SettingSource
from portal.operations import audit
from portal.operations.audit import Actor

# What a setting added by hand is; stored as its type, in the words a person uses.
SETTING_KINDS = (
    "Private, voluntary or independent nursery",
    "Childminder",
    "Training provider",
    "Independent school not in GIAS",
    "Other setting",
)
OPEN, CLOSED = "Open", "Closed"
# A DfE URN (6 digits), or an Ofsted reference for an early years setting (EY123456, 2123456).
URN_PATTERN = re.compile(r"[0-9]{6,7}|EY[0-9]{6}")
UKPRN_PATTERN = re.compile(r"1[0-9]{7}")
POSTCODE_PATTERN = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}")
NAME_MOST = 200
LOCAL_AUTHORITY_MOST = 120


@dataclass(frozen=True)
class FieldError:
    field_id: str
    message: str


@dataclass(frozen=True)
class SettingDetails:
    """A setting's details as a person entered them, checked."""

    name: str
    kind: str | None
    phase: str
    local_authority: str
    postcode: str | None
    urn: str | None
    ukprn: str | None
    status: str
    closed_on: date | None

    def stored(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "establishment_type": self.kind,
            "phase": self.phase,
            "local_authority": self.local_authority,
            "postcode": self.postcode,
            "urn": self.urn,
            "ukprn": self.ukprn,
            "status": self.status,
            "closed_on": self.closed_on,
        }


@dataclass
class SettingOutcome:
    """What an operation did, or the errors to show beside the form's fields."""

    school: School | None = None
    errors: list[FieldError] = field(default_factory=list)
    message: str = ""


FORM_FIELDS = (
    "name", "kind", "phase", "local_authority", "postcode", "urn", "ukprn", "status",
    "closed_on-day", "closed_on-month", "closed_on-year",
)  # fmt: skip


def form_values(school: School) -> dict[str, str]:
    """A setting's stored details as the edit form shows them."""
    closed_on = school.closed_on
    return {
        "name": school.name,
        "kind": school.establishment_type or "",
        "phase": school.phase,
        "local_authority": school.local_authority,
        "postcode": school.postcode or "",
        "urn": school.urn or "",
        "ukprn": school.ukprn or "",
        "status": CLOSED if school.is_closed else OPEN,
        "closed_on-day": str(closed_on.day) if closed_on else "",
        "closed_on-month": str(closed_on.month) if closed_on else "",
        "closed_on-year": str(closed_on.year) if closed_on else "",
    }


def _closed_on(values: dict[str, str]) -> tuple[date | None, str | None]:
    """The date a setting closed, or what is wrong with it; none typed is no date (a setting
    that is open has none)."""
    reading = read_date_boxes(values, "closed_on", "the setting closed")
    if reading.blank:
        return None, None
    return reading.on, f"{reading.problem}." if reading.problem else None


def check_setting(values: dict[str, str]) -> tuple[SettingDetails | None, list[FieldError]]:
    """The details, or an error for each field that is wrong, in the form's order."""
    errors: list[FieldError] = []
    name = values.get("name", "").strip()
    if not name:
        errors.append(FieldError("name", "Enter the setting's name."))
    elif len(name) > NAME_MOST:
        errors.append(FieldError("name", f"The name must be {NAME_MOST} characters or fewer."))
    kind = values.get("kind", "").strip()
    if kind and kind not in SETTING_KINDS:
        errors.append(FieldError("kind", "Choose what kind of setting it is."))
    phase = values.get("phase", "").strip()
    if phase not in {p.value for p in SchoolPhase}:
        errors.append(FieldError("phase", "Choose the setting's phase."))
    local_authority = values.get("local_authority", "").strip()
    if not local_authority:
        errors.append(FieldError("local_authority", "Enter the local authority it is in."))
    elif len(local_authority) > LOCAL_AUTHORITY_MOST:
        errors.append(
            FieldError(
                "local_authority",
                f"The local authority must be {LOCAL_AUTHORITY_MOST} characters or fewer.",
            )
        )
    postcode = " ".join(values.get("postcode", "").upper().split())
    if postcode and not POSTCODE_PATTERN.fullmatch(postcode):
        errors.append(FieldError("postcode", "Enter a real postcode, like WR1 2AB."))
    urn = values.get("urn", "").strip().upper()
    if urn and not URN_PATTERN.fullmatch(urn):
        errors.append(
            FieldError(
                "urn",
                "Enter the URN as 6 digits, or the Ofsted reference (like EY123456), or leave "
                "it empty.",
            )
        )
    ukprn = values.get("ukprn", "").strip()
    if ukprn and not UKPRN_PATTERN.fullmatch(ukprn):
        errors.append(
            FieldError(
                "ukprn", "Enter a UKPRN of 8 digits starting with 1, like 10012345, or leave it "
                "empty.",
            )
        )  # fmt: skip
    status = values.get("status", OPEN)
    if status not in (OPEN, CLOSED):
        errors.append(FieldError("status", "Choose whether the setting is open or closed."))
    closed_on, date_error = _closed_on(values)
    if date_error:
        errors.append(FieldError("closed_on-day", date_error))
    elif status == CLOSED and closed_on is None:
        errors.append(FieldError("closed_on-day", "Enter the date the setting closed."))
    if errors:
        return None, errors
    return SettingDetails(
        name=name,
        kind=kind or None,
        phase=phase,
        local_authority=local_authority,
        postcode=postcode or None,
        urn=urn or None,
        ukprn=ukprn or None,
        status=status,
        closed_on=closed_on if status == CLOSED else None,
    ), []


def _clashes(session: Session, details: SettingDetails, school: School | None) -> list[FieldError]:
    """A URN or UKPRN another school or setting already has."""
    errors: list[FieldError] = []
    for column, value, field_id, label in (
        (School.urn, details.urn, "urn", "URN"),
        (School.ukprn, details.ukprn, "ukprn", "UKPRN"),
    ):
        if value is None:
            continue
        holder = session.execute(select(School.id, School.name).where(column == value)).first()
        if holder is not None and (school is None or holder.id != school.id):
            errors.append(
                FieldError(
                    field_id,
                    f"{label} {value} is already {holder.name}'s. Find it in the list of "
                    "schools and settings instead of adding it again.",
                )
            )
    return errors


def add_setting(session: Session, actor: Actor, values: dict[str, str]) -> SettingOutcome:
    """A setting not in GIAS, added by hand."""
    details, errors = check_setting(values)
    if details is None:
        return SettingOutcome(errors=errors)
    errors = _clashes(session, details, None)
    if errors:
        return SettingOutcome(errors=errors)
    school = School(source=SettingSource.MANUAL.value, **details.stored())
    session.add(school)
    session.flush()
    audit.record(
        session, actor, "school.added", "school", school.id,
        name=school.name, urn=school.urn, ukprn=school.ukprn, phase=school.phase,
        local_authority=school.local_authority,
    )  # fmt: skip
    try:
        session.commit()
    except IntegrityError:  # the same URN or UKPRN added by someone else at this moment
        session.rollback()
        return SettingOutcome(errors=_clashes(session, details, None) or _gone_errors())
    return SettingOutcome(school=school, message=f"{school.name} has been added.")


def _gone_errors() -> list[FieldError]:
    return [FieldError("name", "The setting could not be saved. Check the details and try again.")]


def edit_setting(
    session: Session, actor: Actor, school: School, values: dict[str, str]
) -> SettingOutcome:
    """Change a setting added by hand; schools from GIAS change only through the import."""
    if school.source != SettingSource.MANUAL.value:
        return SettingOutcome(
            school=school,
            errors=[
                FieldError(
                    "name",
                    f"{school.name} is updated from Get Information About Schools, so it cannot "
                    "be changed by hand. Import the latest GIAS extract instead.",
                )
            ],
        )
    details, errors = check_setting(values)
    if details is None:
        return SettingOutcome(school=school, errors=errors)
    errors = _clashes(session, details, school)
    if errors:
        return SettingOutcome(school=school, errors=errors)
    changes = {
        column: (getattr(school, column), value)
        for column, value in details.stored().items()
        if getattr(school, column) != value
    }
    if not changes:
        return SettingOutcome(
            school=school, message=f"Nothing changed: {school.name} is as it was."
        )
    for column, (_, value) in changes.items():
        setattr(school, column, value)
    audit.record(
        session, actor, "school.changed", "school", school.id,
        changes={column: [_text(before), _text(after)] for column, (before, after) in
                 changes.items()},
    )  # fmt: skip
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        session.refresh(school)
        return SettingOutcome(school=school, errors=_clashes(session, details, school) or
                              _gone_errors())  # fmt: skip
    return SettingOutcome(school=school, message=f"{school.name} has been changed.")


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def record_schools_exported(
    session: Session, actor: Actor, count: int, filters: dict[str, str]
) -> None:
    """Who downloaded the list of schools, and which part of it."""
    audit.record_at_once(
        session, actor, "school.list_exported", "school", None, rows=count, **filters
    )
    session.commit()
