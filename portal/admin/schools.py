"""Admin: schools and settings. Every school in England from GIAS, and settings added by hand
(private nurseries, childminders, training providers): a list to find them, a page for each,
and a form for the settings added by hand."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, ClassVar

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse

from portal.admin import blueprint
from portal.admin.listing import ListFilters, csv_download, page_count, page_number
from portal.auth import access
from portal.extensions import db
from portal.models import Child, School, SchoolPhase, SettingSource
from portal.operations import schools as operations
from portal.operations.audit import Actor
from portal.operations.schools import CLOSED, OPEN, SETTING_KINDS, FieldError
from portal.text_search import LIKE_ESCAPE, contains_pattern
from workflows.roles import Role

PAGE_SIZE = 25
SORTS = {"name": "Name", "urn": "URN", "local_authority": "Local authority"}
STATUSES = {"open": "Open", "closed": "Closed"}
SOURCES = {SettingSource.GIAS.value: "From GIAS", SettingSource.MANUAL.value: "Added by hand"}
CSV_HEADERS = (
    "Name", "URN", "UKPRN", "Phase", "Type", "Local authority", "Postcode", "Status",
    "Closed on", "Source",
)  # fmt: skip


@dataclass(frozen=True)
class SchoolFilters(ListFilters):
    text: str = ""
    local_authority: str = ""
    phase: str = ""
    status: str = ""
    source: str = ""
    sort: str = "name"

    ARGUMENTS: ClassVar[dict[str, str]] = {
        "text": "q",
        "local_authority": "la",
        "phase": "phase",
        "status": "status",
        "source": "source",
        "sort": "sort",
    }
    LONGEST: ClassVar[dict[str, int]] = {"local_authority": 120}

    @classmethod
    def allowed(cls, field: str) -> Any:
        return {
            "phase": {phase.value for phase in SchoolPhase},
            "status": STATUSES,
            "source": SOURCES,
            "sort": SORTS,
        }.get(field)

    @property
    def narrowed(self) -> bool:
        return bool(self.text or self.local_authority or self.phase or self.status or self.source)


@dataclass(frozen=True)
class SchoolRow:
    id: uuid.UUID
    name: str
    urn: str | None
    ukprn: str | None
    phase: str
    establishment_type: str | None
    local_authority: str
    postcode: str | None
    status: str
    closed_on: str
    source: str

    @property
    def phase_label(self) -> str:
        return SchoolPhase(self.phase).label

    @property
    def is_closed(self) -> bool:
        return self.status.strip().lower() == "closed"

    @property
    def source_label(self) -> str:
        return SOURCES.get(self.source, self.source)


_ROW_COLUMNS = (
    School.id,
    School.name,
    School.urn,
    School.ukprn,
    School.phase,
    School.establishment_type,
    School.local_authority,
    School.postcode,
    School.status,
    School.closed_on,
    School.source,
)


def _filtered(filters: SchoolFilters) -> Select[Any]:
    query = select(*_ROW_COLUMNS)
    if filters.text:
        pattern = contains_pattern(filters.text.lower())
        query = query.where(
            func.lower(School.name).like(pattern, escape=LIKE_ESCAPE)
            | func.lower(School.urn).like(pattern, escape=LIKE_ESCAPE)
        )
    if filters.local_authority:
        query = query.where(School.local_authority == filters.local_authority)
    if filters.phase:
        query = query.where(School.phase == filters.phase)
    if filters.status:
        closed = func.lower(School.status) == "closed"
        query = query.where(closed if filters.status == "closed" else ~closed)
    if filters.source:
        query = query.where(School.source == filters.source)
    return query


def _ordered(query: Select[Any], sort: str) -> Select[Any]:
    name = func.lower(School.name)
    if sort == "urn":
        return query.order_by(School.urn.is_(None), School.urn, name, School.id)
    if sort == "local_authority":
        return query.order_by(School.local_authority, name, School.id)
    return query.order_by(name, School.urn, School.id)


def _row(values: Any) -> SchoolRow:
    closed_on = values.closed_on
    return SchoolRow(
        id=values.id,
        name=values.name,
        urn=values.urn,
        ukprn=values.ukprn,
        phase=values.phase,
        establishment_type=values.establishment_type,
        local_authority=values.local_authority,
        postcode=values.postcode,
        status=values.status,
        closed_on=f"{closed_on.day} {closed_on:%B %Y}" if closed_on else "",
        source=values.source,
    )


def schools_page(
    session: Session, filters: SchoolFilters, page: int
) -> tuple[list[SchoolRow], int, int]:
    """One page of the filtered list, how many it holds in all, and the page shown."""
    query = _filtered(filters)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = min(page, page_count(total, PAGE_SIZE))
    ordered = _ordered(query, filters.sort).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    return [_row(values) for values in session.execute(ordered)], total, page


def local_authorities(session: Session) -> list[str]:
    return list(
        session.scalars(select(School.local_authority).distinct().order_by(School.local_authority))
    )


def _actor() -> Actor:
    return Actor.for_user(g.user, request.remote_addr)


@blueprint.get("/schools")
@access.roles(Role.ADMIN)
def list_schools() -> str:
    """Every school and setting: find them by name or URN, authority, phase, status, source."""
    filters = SchoolFilters.from_args(request.args)
    rows, total, page = schools_page(db.session, filters, page_number())
    return render_template(
        "admin/schools/list.html",
        rows=rows,
        total=total,
        page=page,
        pages=page_count(total, PAGE_SIZE),
        filters=filters,
        local_authorities=local_authorities(db.session),
        phases=list(SchoolPhase),
        statuses=STATUSES,
        sources=SOURCES,
        sorts=SORTS,
    )


@blueprint.get("/schools.csv")
@access.roles(Role.ADMIN)
def export_schools() -> Response:
    """The filtered list as CSV, every cell safe to open in a spreadsheet."""
    filters = SchoolFilters.from_args(request.args)
    query = _ordered(_filtered(filters), filters.sort)
    rows = [_row(values) for values in db.session.execute(query)]
    operations.record_schools_exported(db.session, _actor(), len(rows), filters.audit_details())
    return csv_download(
        "schools.csv",
        CSV_HEADERS,
        (_csv_cells(row) for row in rows),
    )


def _csv_cells(row: SchoolRow) -> tuple[str, ...]:
    return (
        row.name, row.urn or "", row.ukprn or "", row.phase_label, row.establishment_type or "",
        row.local_authority, row.postcode or "", row.status, row.closed_on, row.source_label,
    )  # fmt: skip


def _render_form_page(
    template: str, values: dict[str, str], errors: list[FieldError], **context: Any
) -> str:
    return render_template(
        template,
        values=values,
        errors=errors,
        phases=list(SchoolPhase),
        kinds=SETTING_KINDS,
        open_status=OPEN,
        closed_status=CLOSED,
        **context,
    )


def _submitted() -> dict[str, str]:
    return {name: request.form.get(name, "") for name in operations.FORM_FIELDS}


@blueprint.get("/schools/new")
@access.roles(Role.ADMIN)
def new_setting() -> str:
    """The form to add a setting that is not in GIAS."""
    return _render_form_page("admin/schools/new.html", {"status": OPEN}, [])


@blueprint.post("/schools/new")
@access.roles(Role.ADMIN)
def add_setting() -> BaseResponse | tuple[str, int]:
    """Add a setting by hand, then show it."""
    values = _submitted()
    outcome = operations.add_setting(db.session, _actor(), values)
    if outcome.errors or outcome.school is None:
        return _render_form_page("admin/schools/new.html", values, outcome.errors), 400
    flash(outcome.message)
    return redirect(url_for("admin.show_school", school_id=outcome.school.id), 303)


def _school_or_404(school_id: uuid.UUID) -> School:
    school = db.session.get(School, school_id)
    if school is None:
        abort(404)
    return school


def _children_on_roll(school: School) -> int:
    return (
        db.session.scalar(
            select(func.count()).select_from(Child).where(Child.current_school_id == school.id)
        )
        or 0
    )


def _render_school(
    school: School, values: dict[str, str] | None = None, errors: list[FieldError] | None = None
) -> str:
    return _render_form_page(
        "admin/schools/show.html",
        values if values is not None else operations.form_values(school),
        errors or [],
        school=school,
        children_on_roll=_children_on_roll(school),
        from_gias=school.source == SettingSource.GIAS.value,
    )


@blueprint.get("/schools/<uuid:school_id>")
@access.roles(Role.ADMIN)
def show_school(school_id: uuid.UUID) -> str:
    """A school's details and how many children are on roll there; a form for settings
    added by hand."""
    return _render_school(_school_or_404(school_id))


@blueprint.post("/schools/<uuid:school_id>")
@access.roles(Role.ADMIN)
def edit_setting(school_id: uuid.UUID) -> BaseResponse | tuple[str, int]:
    """Change a setting added by hand."""
    school = _school_or_404(school_id)
    values = _submitted()
    outcome = operations.edit_setting(db.session, _actor(), school, values)
    if outcome.errors and school.source != SettingSource.MANUAL.value:
        # A school from GIAS has no form to show the error beside: say it at the top.
        flash(outcome.errors[0].message, "error")
        return redirect(url_for("admin.show_school", school_id=school.id), 303)
    if outcome.errors:
        return _render_school(school, values, outcome.errors), 400
    flash(outcome.message)
    return redirect(url_for("admin.show_school", school_id=school.id), 303)
