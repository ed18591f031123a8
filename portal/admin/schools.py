"""Admin: schools and settings. Every school in England from GIAS, and settings added by hand
(private nurseries, childminders, training providers): a list to find them, a page for each,
and a form for the settings added by hand."""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from typing import Any

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse

from portal.admin import blueprint
from portal.auth import access
from portal.children.history import neutralise_cell
from portal.extensions import db
from portal.models import Child, School, SchoolPhase, SettingSource
from portal.operations import schools as operations
from portal.operations.audit import Actor
from portal.operations.schools import CLOSED, OPEN, SETTING_KINDS, FieldError
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
class SchoolFilters:
    text: str = ""
    local_authority: str = ""
    phase: str = ""
    status: str = ""
    source: str = ""
    sort: str = "name"

    @classmethod
    def from_args(cls, args: Any) -> SchoolFilters:
        phase = args.get("phase", "")
        status = args.get("status", "")
        source = args.get("source", "")
        sort = args.get("sort", "name")
        return cls(
            text=args.get("q", "").strip()[:200],
            local_authority=args.get("la", "").strip()[:120],
            phase=phase if phase in {p.value for p in SchoolPhase} else "",
            status=status if status in STATUSES else "",
            source=source if source in SOURCES else "",
            sort=sort if sort in SORTS else "name",
        )

    def query_args(self, **changes: Any) -> dict[str, Any]:
        values = {
            "q": self.text,
            "la": self.local_authority,
            "phase": self.phase,
            "status": self.status,
            "source": self.source,
            "sort": self.sort if self.sort != "name" else "",
        }
        values.update(changes)
        return {key: value for key, value in values.items() if value}

    @property
    def narrowed(self) -> bool:
        return bool(self.text or self.local_authority or self.phase or self.status or self.source)

    def audit_details(self) -> dict[str, str]:
        return {f"filter_{key}": value for key, value in self.query_args().items()}


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


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _filtered(filters: SchoolFilters) -> Select[Any]:
    query = select(*_ROW_COLUMNS)
    if filters.text:
        pattern = _like(filters.text)
        query = query.where(
            func.lower(School.name).like(pattern, escape="\\")
            | func.lower(School.urn).like(pattern, escape="\\")
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
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(page, pages)
    ordered = _ordered(query, filters.sort).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    return [_row(values) for values in session.execute(ordered)], total, page


def local_authorities(session: Session) -> list[str]:
    return list(
        session.scalars(select(School.local_authority).distinct().order_by(School.local_authority))
    )


def _page_number() -> int:
    text = request.args.get("page", "1")
    if not text.isascii() or not text.isdigit() or len(text) > 6 or int(text) < 1:
        return 1
    return int(text)


def _actor() -> Actor:
    return Actor.for_user(g.user, request.remote_addr)


@blueprint.get("/schools")
@access.roles(Role.ADMIN)
def list_schools() -> str:
    """Every school and setting: find them by name or URN, authority, phase, status, source."""
    filters = SchoolFilters.from_args(request.args)
    rows, total, page = schools_page(db.session, filters, _page_number())
    return render_template(
        "admin/schools/list.html",
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
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
    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\r\n")
    writer.writerow(CSV_HEADERS)
    count = 0
    for values in db.session.execute(_ordered(_filtered(filters), filters.sort)):
        row = _row(values)
        cells = (
            row.name, row.urn or "", row.ukprn or "", row.phase_label,
            row.establishment_type or "", row.local_authority, row.postcode or "", row.status,
            row.closed_on, row.source_label,
        )  # fmt: skip
        writer.writerow([neutralise_cell(cell) for cell in cells])
        count += 1
    operations.record_schools_exported(db.session, _actor(), count, filters.audit_details())
    response = Response(output.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="schools.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response


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
