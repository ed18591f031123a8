"""Admin: term dates. The authority's for each academic year, which every school follows by
default, and a school's own (academies, foundation and voluntary-aided schools set theirs),
reached from the school's page. School-day deadlines and reminders are counted in these."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from flask import abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from portal.academic import academic_year_start, england_today
from portal.admin import blueprint
from portal.auth import access
from portal.extensions import db
from portal.models import School, TermDate
from portal.operations import term_dates as operations
from portal.operations.audit import Actor
from portal.operations.term_dates import INSET_FIELDS, FieldError
from workflows.calendar import TERM_LABELS, TERMS, academic_year_label
from workflows.roles import Role
from workflows.timeliness import LONGEST_HOLIDAY


def _actor() -> Actor:
    return Actor.for_user(g.user, request.remote_addr)


def _day(on: date | None) -> str:
    return f"{on:%a} {on.day} {on:%B %Y}" if on else ""


@dataclass(frozen=True)
class TermShown:
    """One term of a year as a table row: the dates followed, and whose they are."""

    academic_year: int
    term: str
    row: TermDate | None  # the dates followed: the school's own, else the authority's
    own: bool  # the school's own (always False on the authority's page)

    @property
    def label(self) -> str:
        return f"{TERM_LABELS[self.term]} term"

    @property
    def dates(self) -> str:
        if self.row is None:
            return "Not set"
        return f"{_day(self.row.starts_on)} to {_day(self.row.ends_on)}"

    @property
    def half_term(self) -> str:
        if self.row is None or self.row.half_term_starts_on is None:
            return "None" if self.row else ""
        return f"{_day(self.row.half_term_starts_on)} to {_day(self.row.half_term_ends_on)}"

    @property
    def inset_days(self) -> list[str]:
        return [_day(day) for day in self.row.inset_dates] if self.row else []


@dataclass(frozen=True)
class YearShown:
    academic_year: int
    terms: list[TermShown]

    @property
    def label(self) -> str:
        return academic_year_label(self.academic_year)


def _current_year() -> int:
    return academic_year_start(england_today())


def _years_shown(
    authority: dict[tuple[int, str], TermDate],
    own: dict[tuple[int, str], TermDate] | None = None,
) -> list[YearShown]:
    """Every year with dates, and this year and next (to add them), newest first."""
    current = _current_year()
    years = {year for year, _ in authority} | {year for year, _ in (own or {})}
    years |= {current, current + 1}
    shown = []
    for year in sorted(years, reverse=True):
        terms = []
        for term in TERMS:
            school_row = (own or {}).get((year, term))
            row = school_row or authority.get((year, term))
            terms.append(TermShown(year, term, row, own=school_row is not None))
        shown.append(YearShown(year, terms))
    return shown


def _missing_year_label(rows: Iterable[TermDate], today: date) -> str | None:
    """The academic year to add when the authority has no dates for today's term or the one
    after today's holiday: every child following them has no termly PEP worked out."""
    for row in rows:
        if (
            row.starts_on <= today <= row.ends_on
            or today < row.starts_on <= today + LONGEST_HOLIDAY
        ):
            return None
    return academic_year_label(today.year if today.month >= 8 else today.year - 1)


def _rows_of(school_id: uuid.UUID | None) -> dict[tuple[int, str], TermDate]:
    whose = TermDate.school_id.is_(None) if school_id is None else TermDate.school_id == school_id
    return {
        (row.academic_year, row.term): row
        for row in db.session.scalars(select(TermDate).where(whose))
    }


def _school_or_404(school_id: uuid.UUID | None) -> School | None:
    if school_id is None:
        return None
    school = db.session.get(School, school_id)
    if school is None:
        abort(404)
    return school


def _term_or_404(academic_year: int, term: str) -> None:
    if not operations.is_term(academic_year, term):
        abort(404)


def _back_url(school: School | None) -> str:
    if school is None:
        return url_for("admin.list_term_dates")
    return url_for("admin.school_term_dates", school_id=school.id)


def _term_url(school: School | None, academic_year: int, term: str, remove: bool = False) -> str:
    endpoint = "admin.remove_school_term" if remove else "admin.edit_school_term"
    if school is None:
        endpoint = "admin.remove_term" if remove else "admin.edit_term"
        return url_for(endpoint, academic_year=academic_year, term=term)
    return url_for(endpoint, school_id=school.id, academic_year=academic_year, term=term)


def _next_year(authority: dict[tuple[int, str], TermDate]) -> int:
    """The academic year after the last one with dates (this year's when there are none)."""
    return max((year for year, _ in authority), default=_current_year() - 1) + 1


@blueprint.get("/term-dates")
@access.roles(Role.ADMIN)
def list_term_dates() -> str:
    """The authority's term dates, year by year: every school follows them unless it sets its
    own."""
    authority = _rows_of(None)
    return render_template(
        "admin/term_dates/list.html",
        missing_year_label=_missing_year_label(authority.values(), england_today()),
        years=_years_shown(authority),
        next_year_label=academic_year_label(_next_year(authority)),
        term_url=lambda year, term, remove=False: _term_url(None, year, term, remove),
    )


@blueprint.get("/schools/<uuid:school_id>/term-dates")
@access.roles(Role.ADMIN)
def school_term_dates(school_id: uuid.UUID) -> str:
    """The term dates a school follows: its own where it sets them, else the authority's."""
    school = db.session.get(School, school_id)
    if school is None:
        abort(404)
    return render_template(
        "admin/term_dates/school.html",
        school=school,
        years=_years_shown(_rows_of(None), _rows_of(school.id)),
        term_url=lambda year, term, remove=False: _term_url(school, year, term, remove),
    )


def _render_term(
    school: School | None,
    academic_year: int,
    term: str,
    values: dict[str, str],
    errors: list[FieldError],
    existing: TermDate | None,
) -> str:
    return render_template(
        "admin/term_dates/term.html",
        school=school,
        academic_year=academic_year,
        year_label=academic_year_label(academic_year),
        term=term,
        term_label=TERM_LABELS[term],
        values=values,
        errors=errors,
        existing=existing,
        inset_fields=INSET_FIELDS,
        authority_row=_rows_of(None).get((academic_year, term)) if school else None,
        action=_term_url(school, academic_year, term),
        back_url=_back_url(school),
        day=_day,
    )


def _term_page(school_id: uuid.UUID | None, academic_year: int, term: str) -> str:
    _term_or_404(academic_year, term)
    school = _school_or_404(school_id)
    existing = _rows_of(school.id if school else None).get((academic_year, term))
    return _render_term(school, academic_year, term, operations.form_values(existing), [], existing)


def _set_term(
    school_id: uuid.UUID | None, academic_year: int, term: str
) -> BaseResponse | tuple[str, int]:
    _term_or_404(academic_year, term)
    school = _school_or_404(school_id)
    values = {name: request.form.get(name, "") for name in operations.form_field_names()}
    outcome = operations.set_term_dates(db.session, _actor(), school, academic_year, term, values)
    if outcome.errors:
        existing = _rows_of(school.id if school else None).get((academic_year, term))
        return _render_term(school, academic_year, term, values, outcome.errors, existing), 400
    flash(outcome.message)
    return redirect(_back_url(school), 303)


@blueprint.get("/term-dates/<int:academic_year>/<term>")
@access.roles(Role.ADMIN)
def edit_term(academic_year: int, term: str) -> str:
    """The form for one term of the authority's dates."""
    return _term_page(None, academic_year, term)


@blueprint.post("/term-dates/<int:academic_year>/<term>")
@access.roles(Role.ADMIN)
def set_term(academic_year: int, term: str) -> BaseResponse | tuple[str, int]:
    """Add or change one term of the authority's dates."""
    return _set_term(None, academic_year, term)


@blueprint.get("/schools/<uuid:school_id>/term-dates/<int:academic_year>/<term>")
@access.roles(Role.ADMIN)
def edit_school_term(school_id: uuid.UUID, academic_year: int, term: str) -> str:
    """The form for one term of a school's own dates."""
    return _term_page(school_id, academic_year, term)


@blueprint.post("/schools/<uuid:school_id>/term-dates/<int:academic_year>/<term>")
@access.roles(Role.ADMIN)
def set_school_term(
    school_id: uuid.UUID, academic_year: int, term: str
) -> BaseResponse | tuple[str, int]:
    """Add or change one term of a school's own dates."""
    return _set_term(school_id, academic_year, term)


def _render_remove(
    school: School | None, row: TermDate, errors: list[FieldError] | None = None
) -> str:
    return render_template(
        "admin/term_dates/remove.html",
        school=school,
        row=row,
        shown=TermShown(row.academic_year, row.term, row, own=school is not None),
        year_label=academic_year_label(row.academic_year),
        errors=errors or [],
        action=_term_url(school, row.academic_year, row.term, remove=True),
        back_url=_back_url(school),
    )


def _existing_or_404(school: School | None, academic_year: int, term: str) -> TermDate:
    _term_or_404(academic_year, term)
    row = _rows_of(school.id if school else None).get((academic_year, term))
    if row is None:
        abort(404)
    return row


def _remove_page(school_id: uuid.UUID | None, academic_year: int, term: str) -> str:
    school = _school_or_404(school_id)
    return _render_remove(school, _existing_or_404(school, academic_year, term))


def _remove(
    school_id: uuid.UUID | None, academic_year: int, term: str
) -> BaseResponse | tuple[str, int]:
    school = _school_or_404(school_id)
    row = _existing_or_404(school, academic_year, term)
    outcome = operations.remove_term_dates(db.session, _actor(), school, academic_year, term)
    if outcome.errors:
        return _render_remove(school, row, outcome.errors), 400
    flash(outcome.message)
    return redirect(_back_url(school), 303)


@blueprint.get("/term-dates/<int:academic_year>/<term>/remove")
@access.roles(Role.ADMIN)
def confirm_remove_term(academic_year: int, term: str) -> str:
    """Ask before removing one term of the authority's dates."""
    return _remove_page(None, academic_year, term)


@blueprint.post("/term-dates/<int:academic_year>/<term>/remove")
@access.roles(Role.ADMIN)
def remove_term(academic_year: int, term: str) -> BaseResponse | tuple[str, int]:
    """Remove one term of the authority's dates."""
    return _remove(None, academic_year, term)


@blueprint.get("/schools/<uuid:school_id>/term-dates/<int:academic_year>/<term>/remove")
@access.roles(Role.ADMIN)
def confirm_remove_school_term(school_id: uuid.UUID, academic_year: int, term: str) -> str:
    """Ask before removing one term of a school's own dates."""
    return _remove_page(school_id, academic_year, term)


@blueprint.post("/schools/<uuid:school_id>/term-dates/<int:academic_year>/<term>/remove")
@access.roles(Role.ADMIN)
def remove_school_term(
    school_id: uuid.UUID, academic_year: int, term: str
) -> BaseResponse | tuple[str, int]:
    """Remove one term of a school's own dates: it follows the authority's again."""
    return _remove(school_id, academic_year, term)


def _render_new_year(academic_year: int, values: dict[str, str], errors: list[FieldError]) -> str:
    return render_template(
        "admin/term_dates/new_year.html",
        academic_year=academic_year,
        year_label=academic_year_label(academic_year),
        terms=[(term, TERM_LABELS[term]) for term in TERMS],
        values=values,
        errors=errors,
        inset_fields=INSET_FIELDS,
    )


@blueprint.get("/term-dates/new-year")
@access.roles(Role.ADMIN)
def new_year() -> str:
    """The form to add the authority's dates for the academic year after the last one set."""
    return _render_new_year(_next_year(_rows_of(None)), {}, [])


@blueprint.post("/term-dates/new-year")
@access.roles(Role.ADMIN)
def add_year() -> BaseResponse | tuple[str, int]:
    """Add the three terms of the next academic year, all at once."""
    try:
        academic_year = int(request.form.get("academic_year", ""))
    except ValueError:
        abort(400)
    if not operations.is_term(academic_year, TERMS[0]):
        abort(400)
    names = [name for term in TERMS for name in operations.form_field_names(f"{term}-")]
    values = {name: request.form.get(name, "") for name in names}
    outcome = operations.set_year_term_dates(db.session, _actor(), None, academic_year, values)
    if outcome.errors:
        return _render_new_year(academic_year, values, outcome.errors), 400
    flash(outcome.message)
    return redirect(url_for("admin.list_term_dates"), 303)
