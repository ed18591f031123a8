"""Children list and child record pages, and a child's history for subject access requests."""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar

from flask import Blueprint, Response, abort, g, render_template, request

from portal.academic import england_today
from portal.admin.listing import (
    ListFilters,
    csv_download,
    page_count,
    page_number,
    page_within,
)
from portal.auth import access
from portal.children.history import CSV_HEADERS as HISTORY_CSV_HEADERS
from portal.children.history import history_row
from portal.children.queries import (
    NO_PEP_YET,
    ChildrenListQuery,
    child_history_page,
    child_history_query,
    child_timeline_page,
    child_timeliness,
    children_matching,
    children_page,
    count_children,
    find_visible_child,
    roles_for_child,
)
from portal.codes import ssda903
from portal.extensions import db
from portal.form_registry import pep_child_facts
from portal.models import Child, Pep, User
from portal.operations.audit import Actor
from portal.operations.children import record_child_record_viewed, record_children_list_exported
from portal.operations.peps import open_pep_of, proposed_pep_type
from portal.operations.views_audit import (
    record_child_history_exported,
    record_child_history_viewed,
)
from portal.peps.permissions import (
    may_read_pep,
    may_start_pep,
    pep_start_refusal,
    reads_everything,
)
from portal.timeliness.status import NOT_WORKED_OUT, NOT_WORKED_OUT_LABEL, STATUS_CHOICES
from workflows.pep import PepState
from workflows.pep_types import PepType
from workflows.roles import Role

blueprint = Blueprint("children", __name__)

HISTORY_PAGE_SIZE = 50
TIMELINE_PAGE_SIZE = 20
CHILDREN_PAGE_SIZE = 50

NO_SCHOOL_PLACE = "No school place"
NO_PEP_YET_LABEL = "None yet"
# A key stage or one year group: its label and its lowest and highest year groups.
STAGES: dict[str, tuple[str, tuple[int, int]]] = {
    "early_years": ("Early years (up to reception)", (-3, 0)),
    "ks1": ("Key stage 1 (years 1 and 2)", (1, 2)),
    "ks2": ("Key stage 2 (years 3 to 6)", (3, 6)),
    "ks3": ("Key stage 3 (years 7 to 9)", (7, 9)),
    "ks4": ("Key stage 4 (years 10 and 11)", (10, 11)),
    "post_16": ("Post-16 (years 12 and 13)", (12, 13)),
    "nursery": ("Nursery", (-1, -1)),
    "reception": ("Reception", (0, 0)),
    **{f"year{year}": (f"Year {year}", (year, year)) for year in range(1, 14)},
}
KEY_STAGES = ("early_years", "ks1", "ks2", "ks3", "ks4", "post_16")
LATEST_STATES: dict[str, str] = {
    **{state.value: state.label for state in PepState},
    NO_PEP_YET: "No PEP yet",
}
CARE_STATUS_LABELS: dict[str, str] = {
    "in_care": "In care",
    "left_care": "Left care",
    "previously_looked_after": (
        "Previously looked after (adopted, special guardianship or child arrangements order)"
    ),
    "no_school_place": "No school place",
    "uasc": "Unaccompanied asylum-seeking child",
}
# The child's most pressing PEP deadline today (portal/timeliness/status.py).
PEP_DUE_STATUSES: dict[str, str] = {**STATUS_CHOICES, NOT_WORKED_OUT: NOT_WORKED_OUT_LABEL}
SORT_LABELS: dict[str, str] = {
    "name": "Name",
    "reference": "Reference",
    "year_group": "Year group (youngest first)",
    "school": "School or setting",
    "latest_pep": "Latest PEP (most recent first)",
    "pep_due": "PEP due (soonest or most overdue first)",
}
CSV_HEADERS = (
    "Name",
    "Reference",
    "Date of birth",
    "Year group",
    "School or setting",
    "Latest PEP",
    "Latest PEP type",
    "Latest PEP state",
    "PEP due status",
    "PEP due date",
)


@dataclass(frozen=True)
class ChildrenFilters(ListFilters):
    text: str = ""
    school: str = ""
    stage: str = ""
    state: str = ""
    status: str = ""
    due: str = ""
    sort: str = "name"

    ARGUMENTS: ClassVar[dict[str, str]] = {
        "text": "q",
        "school": "school",
        "stage": "stage",
        "state": "state",
        "status": "status",
        "due": "due",
        "sort": "sort",
    }

    @classmethod
    def allowed(cls, field: str) -> Any:
        return {
            "stage": STAGES,
            "state": LATEST_STATES,
            "status": CARE_STATUS_LABELS,
            "due": PEP_DUE_STATUSES,
            "sort": SORT_LABELS,
        }.get(field)

    @property
    def filtered(self) -> bool:
        return bool(self.text or self.school or self.stage or self.state or self.status or self.due)

    def asked(self, staff: bool) -> ChildrenListQuery:
        return ChildrenListQuery(
            text=self.text,
            school=self.school,
            year_groups=STAGES[self.stage][1] if self.stage else None,
            latest_state=self.state,
            # Care status is a care detail: staff filter by it, a carer does not.
            care_status=self.status if staff else "",
            timeliness=self.due,
            sort=self.sort,
        )


def _is_staff(user: User) -> bool:
    """Anyone who holds a role but carer's: a carer reads PEPs, not lists of children."""
    return any(Role(grant.role) is not Role.CARER for grant in user.grants)


def _filters(staff: bool) -> ChildrenFilters:
    filters = ChildrenFilters.from_args(request.args)
    if staff:
        return filters
    # A carer's view of a child has no Timeliness panel: nor does their list of children.
    sort = "name" if filters.sort == "pep_due" else filters.sort
    return dataclasses.replace(filters, status="", due="", sort=sort)


@blueprint.get("/children")
@access.signed_in
def list_children() -> str:
    """The children this person may see: found, sorted and paged in the database."""
    staff = _is_staff(g.user)
    filters = _filters(staff)
    asked = filters.asked(staff)
    total = count_children(db.session, g.user, asked)
    pages = page_count(total, CHILDREN_PAGE_SIZE)
    page = min(page_number(), pages)
    return render_template(
        "children/list.html",
        children=children_page(db.session, g.user, asked, page, CHILDREN_PAGE_SIZE),
        total=total,
        page=page,
        pages=pages,
        filters=filters,
        staff=staff,
        stages=STAGES,
        key_stages=KEY_STAGES,
        latest_states=LATEST_STATES,
        care_statuses=CARE_STATUS_LABELS,
        pep_due_statuses=PEP_DUE_STATUSES,
        sorts=SORT_LABELS if staff else {k: v for k, v in SORT_LABELS.items() if k != "pep_due"},
    )


@blueprint.get("/children.csv")
@access.signed_in
def export_children() -> Response:
    """The filtered list as CSV, every cell safe in a spreadsheet; staff only, and recorded."""
    staff = _is_staff(g.user)
    if not staff:
        abort(403)
    filters = _filters(staff)
    rows = children_matching(db.session, g.user, filters.asked(staff))
    record_children_list_exported(
        db.session,
        Actor.for_user(g.user, request.remote_addr),
        len(rows),
        filters.audit_details(),
    )
    today = england_today()
    return csv_download(
        "children.csv",
        CSV_HEADERS,
        (
            (
                row.full_name,
                row.authority_reference,
                row.date_of_birth.isoformat(),
                row.year_group_label(today),
                row.school_name or NO_SCHOOL_PLACE,
                row.latest.term_label if row.latest else "",
                row.latest.pep_type_label if row.latest else "",
                row.latest.state_enum.label if row.latest else NO_PEP_YET_LABEL,
                row.pep_due_label,
                row.pep_due_on.isoformat() if row.pep_due_on else "",
            )
            for row in rows
        ),
    )


@blueprint.get("/children/<uuid:child_id>")
@access.signed_in
def show_child(child_id: uuid.UUID) -> str:
    """One child's details, PEP history and timeline; 404 for a child this person may not see."""
    child = find_visible_child(db.session, g.user, child_id)
    if child is None:
        abort(404)
    record_child_record_viewed(db.session, Actor.for_user(g.user, request.remote_addr), child)
    roles = roles_for_child(g.user, child)
    staff = reads_everything(roles)
    # The timeline is care history (placements, legal status): staff only, like the care details.
    events, total, page = (
        page_within(
            partial(child_timeline_page, db.session, child, per_page=TIMELINE_PAGE_SIZE),
            page_number(),
            TIMELINE_PAGE_SIZE,
        )
        if staff
        else ([], 0, 1)
    )
    # When each PEP is due tells of the child's care (entering care, moves): staff only too.
    obligations, terms = child_timeliness(db.session, child) if staff else ([], [])
    may_start = may_start_pep(roles, child)
    open_pep = open_pep_of(db.session, child)
    # A change of school or placement since the latest PEP calls for a new PEP: say so, with
    # a link that starts one of that type (the Timeliness panel says when, not how).
    proposal = (
        proposed_pep_type(db.session, child) if staff and may_start and not open_pep else None
    )
    return render_template(
        "children/show.html",
        child=child,
        # A carer sees the PEPs from the start of the placement on, and not the care details.
        peps=[pep for pep in child.peps if may_read_pep(g.user, pep, roles)],
        staff=staff,
        is_admin=Role.ADMIN in roles,
        my_roles=roles,
        may_start=may_start,
        start_refusal=pep_start_refusal(child, roles) if staff else None,
        open_pep=open_pep,
        new_pep_due=proposal if proposal and proposal.pep_type in NEW_PEP_AFTER_A_CHANGE else None,
        left_care_reason=_left_care_reason(child),
        timeline=events,
        timeline_total=total,
        timeline_page=page,
        timeline_pages=page_count(total, TIMELINE_PAGE_SIZE),
        obligations=obligations,
        timeliness_terms=terms,
        readable_peps={pep.id: pep for pep in child.peps if may_read_pep(g.user, pep, roles)},
    )


# The life events that call for a new PEP, as the child's page offers to start one.
NEW_PEP_AFTER_A_CHANGE = frozenset({PepType.CHANGE_OF_SCHOOL, PepType.CHANGE_OF_PLACEMENT})


def _left_care_reason(child: Child) -> str | None:
    if child.reason_left_care is None:
        return None
    reason = ssda903().reasons_episode_ceased.get(child.reason_left_care)
    label = reason.label if reason else "Reason"
    return f"{label} ({child.reason_left_care})"


@blueprint.app_template_global("pep_caption_facts")
def pep_caption_facts(pep: Pep) -> list[str]:
    """The child's facts a PEP's pages show under its name: fixed at sign-off for a
    signed-off PEP, today's otherwise; the legal status (a care detail) for staff only."""
    facts = pep_child_facts(pep)
    shown = [str(facts["school_name"]), str(facts["year_group"])]
    user = g.get("user")
    if user is not None and reads_everything(roles_for_child(user, pep.child)):
        shown.append(str(facts["legal_status"]))
    return shown


def _child_or_404(child_id: uuid.UUID) -> Child:
    child = find_visible_child(db.session, g.user, child_id)
    if child is None:
        abort(404)
    return child


@blueprint.get("/children/<uuid:child_id>/history")
@access.roles(Role.ADMIN)
def child_history(child_id: uuid.UUID) -> str:
    """Everything that happened to this child's records, newest first (subject access)."""
    child = _child_or_404(child_id)
    events, total, page = page_within(
        partial(child_history_page, db.session, child, per_page=HISTORY_PAGE_SIZE),
        page_number(),
        HISTORY_PAGE_SIZE,
    )
    rows = [history_row(event) for event in events]
    pages = page_count(total, HISTORY_PAGE_SIZE)
    actor = Actor.for_user(g.user, request.remote_addr)
    record_child_history_viewed(db.session, actor, child, page)
    return render_template(
        "children/history.html",
        child=child,
        rows=rows,
        total=total,
        page=page,
        pages=pages,
    )


@blueprint.get("/children/<uuid:child_id>/history.csv")
@access.roles(Role.ADMIN)
def child_history_csv(child_id: uuid.UUID) -> Response:
    """The whole history as CSV, every cell safe to open in a spreadsheet."""
    child = _child_or_404(child_id)
    events = list(db.session.scalars(child_history_query(db.session, child)))
    reference = "".join(
        c if c.isascii() and (c.isalnum() or c in "-_") else "-" for c in child.authority_reference
    )
    # Written before the export is recorded, which commits (and would expire every event).
    response = csv_download(
        f"history-{reference}.csv",
        HISTORY_CSV_HEADERS,
        (history_row(event).cells() for event in events),
    )
    record_child_history_exported(
        db.session, Actor.for_user(g.user, request.remote_addr), child, len(events)
    )
    return response
