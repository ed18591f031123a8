"""PEP task list, section pages and starting a PEP."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import lazyload
from werkzeug.wrappers import Response
from wtforms import Form

from forms import form_errors, form_from_answers
from forms.answers import computed_totals
from forms.completeness import SectionStatus, section_status
from forms.phases import choose_voice_band, school_year_group
from forms.rows import (
    give_new_rows_ids,
    new_editor_token,
    parse_row_action,
    posted_section,
    read_editor_token,
    show_row_change,
)
from forms.schema import FormDefinition, RepeatingGroupDefinition, SectionDefinition, SectionType
from portal.academic import england_today, following_terms, term_label
from portal.auth import access
from portal.children.queries import find_visible_child, roles_for_child
from portal.extensions import db, htmx, reads_only
from portal.form_registry import (
    age_in_years,
    definition_for,
    draft_form_class,
    form_registry,
    pep_child_facts,
)
from portal.judging_days import judge_form_on_pep_days, judging_days_for
from portal.models import Pep, PepRecord, PepSection, Term
from portal.operations.audit import Actor
from portal.operations.peps import (
    PepRefused,
    SectionConflict,
    SectionSaved,
    choose_form,
    open_pep_of,
    proposed_pep_type,
    save_section,
    start_pep,
)
from portal.operations.views_audit import PepPart, record_pep_viewed
from portal.peps.loading import find_visible_pep_section
from portal.peps.permissions import (
    may_choose_form,
    may_download_record,
    may_read_section,
    may_start_pep,
    pep_start_refusal,
    reads_everything,
    section_refusal,
)
from portal.peps.presenters import display_rows, display_value
from portal.peps.queries import find_visible_pep
from portal.timeliness.calendars import calendar_for_school, term_of_day
from workflows.pep_types import PEP_TYPE_LABELS, PepType
from workflows.roles import Role

blueprint = Blueprint("peps", __name__)

STATUS_LABELS = {
    SectionStatus.NOT_STARTED: ("Not started", "govuk-tag--blue"),
    SectionStatus.IN_PROGRESS: ("In progress", "govuk-tag--light-blue"),
    SectionStatus.COMPLETED: ("Completed", ""),
}


@blueprint.app_template_filter("pep_type_label")
def pep_type_label(value: str | None) -> str:
    """ "Change of school or setting": a PEP's type as people read it (a PEP saved before types
    were recorded is a termly review, the column's default)."""
    try:
        return PepType(value or PepType.TERMLY.value).label
    except ValueError:
        return str(value)


def _pep_or_404(pep_id: uuid.UUID) -> Pep:
    pep = find_visible_pep(db.session, g.user, pep_id)
    if pep is None:
        abort(404)
    return pep


def _stored(pep: Pep, section_key: str) -> PepSection:
    return pep.section(section_key)


def _pep_and_section_or_404(
    pep_id: uuid.UUID, section_key: str
) -> tuple[Pep, FormDefinition, SectionDefinition, PepSection]:
    """The PEP, its form, the section's definition and its saved row, loading no other
    section: 404 when the PEP is not visible or its form has no such section."""
    found = find_visible_pep_section(db.session, g.user, pep_id, section_key)
    if found is None:
        abort(404)
    definition = definition_for(found.pep)
    section = _section_or_404(definition, section_key)
    if found.stored is None:  # every section gets its row when the PEP starts
        raise KeyError(f"PEP {found.pep.id} has no section {section_key!r}")
    # The read is audited after the page is built: keep the PEP for it (see audit_pep_reads).
    g.pep_shown = found.pep
    return found.pep, definition, section, found.stored


def _section_or_404(definition: FormDefinition, section_key: str) -> SectionDefinition:
    try:
        return definition.section(section_key)
    except KeyError:
        abort(404)


# Every page that shows a PEP's content, and which part it shows: each successful GET of one
# is audited (who, which child, which part) after the page is built, like a change is.
AUDITED_READS = {
    "peps.show_pep": PepPart.TASK_LIST,
    "peps.show_section": PepPart.SECTION,
    "peps.quality_assurance": PepPart.QUALITY_ASSURANCE,
    "invites.manage": PepPart.CONTRIBUTIONS,
    "meetings.show_meeting": PepPart.MEETING,
    # The arrange page shows the booked meeting too: when, where, and everyone invited.
    "meetings.arrange_meeting": PepPart.MEETING,
}


@blueprint.after_app_request
def audit_pep_reads(response: Response) -> Response:
    """Record who read which part of a PEP, for every page in AUDITED_READS that was shown."""
    part = AUDITED_READS.get(request.endpoint or "")
    user = g.get("user")
    if part is None or user is None or request.method != "GET" or response.status_code != 200:
        return response
    # The audit event names the PEP and its child, nothing more: never reload its answers,
    # nor the PEP itself when the view kept it.
    pep_id = (request.view_args or {}).get("pep_id")
    pep = g.get("pep_shown")
    if pep is None or pep.id != pep_id:
        pep = db.session.get(Pep, pep_id, options=[lazyload(Pep.sections)])
    if pep is None:
        return response
    section_key = (request.view_args or {}).get("section_key") if part is PepPart.SECTION else None
    record_pep_viewed(db.session, Actor.for_user(user, request.remote_addr), pep, part, section_key)
    return response


def task_status(pep: Pep, section: SectionDefinition) -> tuple[str, str]:
    """The task list status: not started, in progress, completed or cannot start yet."""
    if section.section_type is SectionType.QUALITY_ASSURANCE and pep.state not in {
        "approved",
        "signed_off",
        "superseded",
    }:
        return "Cannot start yet", "govuk-tag--grey"
    status = section_status(section, _stored(pep, section.key).answers, days=judging_days_for(pep))
    return STATUS_LABELS[status]


def render_pep_page(
    pep: Pep, *, refusal: list[str] | None = None, refused_event: Any = None
) -> str:
    """The task list, the actions this person may take, and the timeline."""
    from portal.peps.signoff import action_offers, timeline

    definition = definition_for(pep)
    roles = roles_for_child(g.user, pep.child)
    # Only the sections this person may read are listed (the form definition says whose).
    tasks = [
        {"section": section, "status": task_status(pep, section), "mine": section.owner in roles}
        for section in definition.sections
        if may_read_section(definition, section, roles)
    ]
    staff = reads_everything(roles)
    completed = sum(1 for task in tasks if task["status"][0] == "Completed")
    return render_template(
        "peps/show.html",
        pep=pep,
        definition=definition,
        tasks=tasks,
        completed=completed,
        offers=action_offers(pep, roles),
        timeline=timeline(pep),
        refusal=refusal or [],
        refused_event=refused_event,
        record=db.session.scalar(select(PepRecord).where(PepRecord.pep_id == pep.id)),
        may_download_record=may_download_record(roles),
        # Reasons for returns and quality assurance feedback are for the people who read it all.
        show_reasons=staff,
        staff=staff,
    )


@blueprint.get("/peps/<uuid:pep_id>")
@reads_only
@access.signed_in
def show_pep(pep_id: uuid.UUID) -> str:
    """The PEP's task list: every section this person may read, with its owner and status."""
    return render_pep_page(_pep_or_404(pep_id))


def _voice_band(pep: Pep) -> str:
    child = pep.child
    today = england_today()
    return choose_voice_band(
        age_in_years(child.date_of_birth, today), school_year_group(child.year_group(today))
    )


def _next_section(definition: FormDefinition, section: SectionDefinition, roles: Any) -> str | None:
    keys = [s.key for s in definition.sections]
    for candidate in definition.sections[keys.index(section.key) + 1 :]:
        if candidate.owner in roles and candidate.section_type is SectionType.STANDARD:
            return candidate.key
    return None


def _render_section(
    pep: Pep,
    section: SectionDefinition,
    stored: PepSection,
    form: Form | None,
    *,
    status: int = 200,
    errors: list[Any] | None = None,
    conflict: SectionConflict | None = None,
) -> tuple[str, int]:
    roles = roles_for_child(g.user, pep.child)
    if form is not None:
        give_new_rows_ids(form)  # every row on the page travels with its id
    context: dict[str, Any] = {
        "pep": pep,
        "section": section,
        "stored": stored,
        "form": form,
        "errors": errors or [],
        "refusal": section_refusal(pep, section, roles),
        "rows": [],
        "totals": [],
        "conflict": conflict,
        # The child's and carer's links are managed on a page for staff only (invites.manage).
        "staff": reads_everything(roles),
        # A page keeps its token across its own saves (the post carries it back).
        "editor_token": read_editor_token(request.form.get("editor")) or new_editor_token(),
    }
    # The answers are shown as a read view only when the form is not (section.html): the
    # owner's page never builds them, which is most of what a section page is asked for.
    shows_answers = form is None or context["refusal"] is not None
    if section.section_type is SectionType.CHILD_VOICE:
        band = stored.answers.get("band") or _voice_band(pep)
        voice_section = section.voice_section(band)
        context["voice_section"] = voice_section
        if shows_answers:
            voice_answers = stored.answers.get("answers", {})
            context["rows"] = display_rows(voice_section, voice_answers, pep_child_facts(pep))
    else:
        if shows_answers:
            context["rows"] = display_rows(section, stored.answers, pep_child_facts(pep))
        amounts = computed_totals(section, stored.answers)
        context["totals"] = [
            (total.label, amounts[total.key])
            for field in section.fields
            if isinstance(field, RepeatingGroupDefinition)
            for total in field.computed_totals
            if total.key in amounts
        ]
    if conflict is not None:
        context["conflict_rows"] = _conflict_rows(section, conflict)
    template = "peps/conflict.html" if conflict is not None else "peps/section.html"
    return render_template(template, **context), status


def _conflict_rows(section: SectionDefinition, conflict: SectionConflict) -> list[dict[str, Any]]:
    rows = []
    for definition in section.answer_fields:
        mine = conflict.their_answers.get(definition.key)
        saved = conflict.section.answers.get(definition.key)
        if mine == saved:
            continue
        if isinstance(definition, RepeatingGroupDefinition):
            rows.append(
                {
                    "label": definition.label,
                    "mine": f"{len(mine or [])} {definition.row_label_plural.lower()} (see below)",
                    "saved": f"{len(saved or [])} {definition.row_label_plural.lower()}",
                }
            )
            continue
        rows.append(
            {
                "label": definition.label,
                "mine": display_value(definition, mine),
                "saved": display_value(definition, saved),
            }
        )
    return rows


@blueprint.get("/peps/<uuid:pep_id>/sections/<section_key>")
@reads_only
@access.signed_in
def show_section(pep_id: uuid.UUID, section_key: str) -> tuple[str, int]:
    """A section: the form for its owner, the answers for everyone else who may see the PEP."""
    pep, definition, section, stored = _pep_and_section_or_404(pep_id, section_key)
    roles = roles_for_child(g.user, pep.child)
    if not may_read_section(definition, section, roles):
        abort(403)
    if section.section_type is SectionType.QUALITY_ASSURANCE and Role.REVIEWER in roles:
        return redirect(url_for("peps.quality_assurance", pep_id=pep.id))  # type: ignore[return-value]
    form = None
    # Only the person who may change the section now is shown its form; everyone else reads
    # the answers (see _render_section), so no form is built for them.
    may_change = section_refusal(pep, section, roles) is None
    if section.section_type is SectionType.STANDARD and may_change:
        form_class = draft_form_class(section)
        form = form_from_answers(form_class, section, stored.answers, facts=pep_child_facts(pep))
    return _render_section(pep, section, stored, form)


@blueprint.post("/peps/<uuid:pep_id>/sections/<section_key>")
@access.signed_in
def save_section_answers(pep_id: uuid.UUID, section_key: str) -> Response | tuple[str, int]:
    """Save a section: as the person types (htmx), by a button, or by a plain form post."""
    pep, definition, section, stored = _pep_and_section_or_404(pep_id, section_key)
    roles = roles_for_child(g.user, pep.child)
    if section.section_type is not SectionType.STANDARD or section_refusal(pep, section, roles):
        abort(403)
    autosave = request.form.get("autosave") == "1" and bool(htmx) and not htmx.boosted
    action = request.form.get("action", "save")
    based_on = _posted_version(request.form.get("version", ""))

    form_class = draft_form_class(section)
    facts = pep_child_facts(pep)
    stored_answers = stored.answers
    form = form_from_answers(
        form_class, section, stored_answers, facts=facts, formdata=request.form
    )
    judge_form_on_pep_days(form, pep, section)
    valid = form.validate()
    row_action = parse_row_action(action, section)
    editor = read_editor_token(request.form.get("editor"))
    posted = posted_section(section, form, request.form, row_action, editor)
    try:
        outcome = save_section(
            db.session,
            Actor.for_user(g.user, request.remote_addr),
            g.user,
            pep,
            section,
            roles,
            posted,
            based_on,
            autosave=autosave,
            stored=stored,
        )
    except PepRefused:
        abort(403)
    if isinstance(outcome, SectionSaved) and outcome.refused:
        # Answers the save refused (a meeting date outside the PEP's term) show as errors on
        # their fields, like answers that could not be read.
        for key, message in outcome.refused.items():
            form[key].errors = [*form[key].errors, message]
        valid = False
    errors = form_errors(form) if not valid else []

    if isinstance(outcome, SectionConflict):
        if autosave:
            return render_template(
                "peps/_autosave_response.html",
                pep=pep,
                section=section,
                conflict=True,
                stored=outcome.section,
                errors=[],
            ), 409
        # What could not be read is shown as on the section page: marked on its box and
        # listed in the error summary (templates/peps/conflict.html).
        return _render_section(
            pep, section, stored, form, status=409, errors=errors, conflict=outcome
        )

    if autosave:
        return render_template(
            "peps/_autosave_response.html",
            pep=pep,
            section=section,
            stored=outcome.section,
            errors=errors,
            conflict=False,
        ), 200

    if row_action is not None or action.startswith(("add_row", "remove_row")):
        # Show the saved answers again, with a blank row to fill where one was asked for; what
        # could not be saved is shown as typed, with its message. A row action that names no
        # row of this page changes no row: the page is shown again.
        if not errors:
            form = form_from_answers(form_class, section, outcome.section.answers, facts=facts)
        if row_action is not None:
            show_row_change(form, row_action, stored_answers, posted)
        return _render_section(
            pep, section, stored, form, errors=errors, status=400 if errors else 200
        )

    if errors:
        return _render_section(pep, section, stored, form, status=400, errors=errors)
    if action == "continue":
        next_key = _next_section(definition, section, roles)
        if next_key:
            return redirect(url_for("peps.show_section", pep_id=pep.id, section_key=next_key), 303)
        return redirect(url_for("peps.show_pep", pep_id=pep.id), 303)
    return redirect(
        url_for("peps.show_section", pep_id=pep.id, section_key=section.key, saved="1"), 303
    )


def _posted_version(text: str) -> int:
    """The section version the page was showing; -1 when the post has none that reads."""
    text = text.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        return -1
    return int(text)


@blueprint.get("/children/<uuid:child_id>/peps/new")
@access.signed_in
def new_pep(child_id: uuid.UUID) -> tuple[str, int]:
    """Start a PEP for this term."""
    child = find_visible_child(db.session, g.user, child_id)
    if child is None:
        abort(404)
    roles = roles_for_child(g.user, child)
    if not may_start_pep(roles):
        abort(403)
    # A child who left care, or on a short-break status, has no PEP due: say so.
    return _render_start(child, roles, error=pep_start_refusal(child, roles))


def _render_start(
    child: Any,
    roles: Any,
    error: str | None = None,
    *,
    error_field: str = "term",
    chosen_type: str | None = None,
) -> tuple[str, int]:
    today = england_today()
    year, term = _term_now(child, today)
    proposal = proposed_pep_type(db.session, child)
    # A link from the child's page may ask for a type ("start a change of school PEP").
    asked = chosen_type or request.args.get("pep_type", "")
    return render_template(
        "peps/start.html",
        child=child,
        proposal=proposal,
        pep_types=list(PepType),
        pep_type_labels=PEP_TYPE_LABELS,
        chosen_type=asked if asked in PepType._value2member_map_ else proposal.pep_type.value,
        error_field=error_field,
        suggested=choose_form(child, today),
        forms=[form_registry().latest(key) for key in ("early_years", "school_age", "post_16")],
        may_choose_form=may_choose_form(roles),
        terms=_term_choices(year, term),
        open_pep=open_pep_of(db.session, child),
        error=error,
    ), 400 if error else 200


def _term_now(child: Any, today: date) -> tuple[int, Term]:
    """The term a PEP started today would be for, by the term dates the child's school follows."""
    return term_of_day(calendar_for_school(db.session, child.current_school_id), today)


def _term_choices(year: int, term: Term) -> list[tuple[str, str]]:
    return [
        (f"{choice_year}-{choice_term.value}", term_label(choice_year, choice_term))
        for choice_year, choice_term in following_terms(year, term, 3)
    ]


@blueprint.post("/children/<uuid:child_id>/peps")
@access.signed_in
def create_pep(child_id: uuid.UUID) -> Response | tuple[str, int]:
    """Start the PEP, on the form that suits the child unless an admin chose another."""
    child = find_visible_child(db.session, g.user, child_id)
    if child is None:
        abort(404)
    roles = roles_for_child(g.user, child)
    if not may_start_pep(roles):
        abort(403)
    today = england_today()
    year, term = _term_now(child, today)
    allowed_terms = dict(_term_choices(year, term))
    chosen = request.form.get("term", "")
    # The page always posts a type (the proposed one is chosen already); a post without one
    # (an older page, a script) takes the proposal the page would have chosen.
    posted_type = request.form.get("pep_type") or proposed_pep_type(db.session, child).pep_type
    if chosen not in allowed_terms:
        return _render_start(
            child, roles, error="Select the term this PEP is for", chosen_type=posted_type
        )
    if posted_type not in PepType._value2member_map_:
        return _render_start(child, roles, error="Select the type of PEP", error_field="pep_type")
    chosen_year, chosen_term = chosen.split("-")
    try:
        pep = start_pep(
            db.session,
            Actor.for_user(g.user, request.remote_addr),
            child,
            roles,
            int(chosen_year),
            Term(chosen_term),
            form_key=request.form.get("form_key") or None,
            today=today,
            pep_type=posted_type,
        )
    except PepRefused as refusal:
        return _render_start(child, roles, error=str(refusal), chosen_type=posted_type)
    return redirect(url_for("peps.show_pep", pep_id=pep.id), 303)


# The sign-off routes share this blueprint; importing the module registers them.
from portal.peps import signoff  # noqa: E402, F401
