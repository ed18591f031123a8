"""Admin: staff and their roles. A list to find people, a page for each person with a form
for every change, and confirmation before switching off, unlinking or moving a caseload."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar

from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, load_only, raiseload, selectinload
from werkzeug.wrappers import Response as BaseResponse

from portal.academic import england_today
from portal.admin import blueprint
from portal.admin.listing import ListFilters, csv_download, page_count, page_number
from portal.auth import access
from portal.children.history import utc_cell
from portal.extensions import db
from portal.models import Child, RoleGrant, User
from portal.operations import staff as operations
from portal.operations.audit import Actor
from portal.operations.staff import GRANTABLE_ROLES, Outcome, parse_day, role_label
from portal.presentation import local_datetime
from portal.text_search import LIKE_ESCAPE, contains_pattern
from workflows.roles import AUTHORITY_ROLES, CASE_ROLES, SCHOOL_ROLES, Role

PAGE_SIZE = 25
SORTS = {"name": "Name", "email": "Email address", "last_signed_in": "Last signed in"}
STATUSES = {"on": "Switched on", "off": "Switched off"}
CSV_HEADERS = ("Name", "Email", "Roles", "Account", "Sign-in linked", "Last signed in (UTC)")


# ---------------------------------------------------------------------------------------------
# The list: filtered, sorted and paginated in the database.


@dataclass(frozen=True)
class StaffFilters(ListFilters):
    text: str = ""
    role: str = ""
    status: str = ""
    sort: str = "name"

    ARGUMENTS: ClassVar[dict[str, str]] = {
        "text": "q",
        "role": "role",
        "status": "status",
        "sort": "sort",
    }

    @classmethod
    def allowed(cls, field: str) -> Any:
        return {
            "role": {role.value for role in GRANTABLE_ROLES},
            "status": STATUSES,
            "sort": SORTS,
        }.get(field)


@dataclass(frozen=True)
class StaffRow:
    id: uuid.UUID
    name: str
    email: str
    active: bool
    sign_in_linked: bool
    last_signed_in: str  # as the list shows it: England's clock
    last_signed_in_at_utc: datetime | None
    roles: list[str]


def _filtered(filters: StaffFilters) -> Select[Any]:
    query = select(User)
    if filters.text:
        pattern = contains_pattern(filters.text.lower())
        query = query.where(
            func.lower(User.display_name).like(pattern, escape=LIKE_ESCAPE)
            | func.lower(User.email).like(pattern, escape=LIKE_ESCAPE)
        )
    if filters.role:
        query = query.where(
            select(RoleGrant.id)
            .where(RoleGrant.user_id == User.id, RoleGrant.role == filters.role)
            .exists()
        )
    if filters.status:
        query = query.where(User.active.is_(filters.status == "on"))
    return query


def _ordered(query: Select[Any], sort: str) -> Select[Any]:
    name = func.lower(User.display_name)
    if sort == "email":
        return query.order_by(User.email, User.id)
    if sort == "last_signed_in":
        return query.order_by(User.last_signed_in_at_utc.desc().nulls_last(), name, User.id)
    return query.order_by(name, User.email, User.id)


_ROW_COLUMNS = (
    User.id,
    User.display_name,
    User.email,
    User.active,
    User.last_signed_in_at_utc,
    User.sso_subject,
    User.sso_object_id,
)


def _rows(session: Session, query: Select[Any]) -> list[StaffRow]:
    """The users a page shows (their columns only) and their roles counted in one query."""
    users = list(
        session.scalars(query.options(load_only(*_ROW_COLUMNS[1:]), raiseload(User.grants)))
    )
    counts: dict[uuid.UUID, dict[str, int]] = {}
    if users:
        for user_id, role, count in session.execute(
            select(RoleGrant.user_id, RoleGrant.role, func.count())
            .where(RoleGrant.user_id.in_([user.id for user in users]))
            .group_by(RoleGrant.user_id, RoleGrant.role)
        ):
            counts.setdefault(user_id, {})[role] = count
    return [
        StaffRow(
            id=user.id,
            name=user.display_name,
            email=user.email,
            active=user.active,
            sign_in_linked=user.sign_in_is_linked,
            last_signed_in=local_datetime(user.last_signed_in_at_utc)
            if user.last_signed_in_at_utc
            else "Never",
            last_signed_in_at_utc=user.last_signed_in_at_utc,
            roles=role_summaries(counts.get(user.id, {})),
        )
        for user in users
    ]


def role_summaries(counts: dict[str, int]) -> list[str]:
    """'Social worker (12 children)', in the order roles are listed everywhere."""
    summaries = []
    for role in GRANTABLE_ROLES:
        count = counts.get(role.value)
        if not count:
            continue
        if role in SCHOOL_ROLES:
            summaries.append(
                f"Designated teacher or lead ({count} setting{'' if count == 1 else 's'})"
            )
        elif role in CASE_ROLES:
            summaries.append(f"{role.label} ({count} {'child' if count == 1 else 'children'})")
        else:
            summaries.append(role.label)
    return summaries


def staff_page(
    session: Session, filters: StaffFilters, page: int
) -> tuple[list[StaffRow], int, int]:
    """One page of the filtered list, the number of people it holds, and the page shown."""
    query = _filtered(filters)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = min(page, page_count(total, PAGE_SIZE))
    rows = _rows(
        session, _ordered(query, filters.sort).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    )
    return rows, total, page


def _actor() -> Actor:
    return Actor.for_user(g.user, request.remote_addr)


@blueprint.get("/staff")
@access.roles(Role.ADMIN)
def list_staff() -> str:
    """Everyone with an account: find people by name or address, role and status."""
    filters = StaffFilters.from_args(request.args)
    rows, total, page = staff_page(db.session, filters, page_number())
    return render_template(
        "admin/staff/list.html",
        rows=rows,
        total=total,
        page=page,
        pages=page_count(total, PAGE_SIZE),
        filters=filters,
        roles=GRANTABLE_ROLES,
        statuses=STATUSES,
        sorts=SORTS,
    )


@blueprint.get("/staff.csv")
@access.roles(Role.ADMIN)
def export_staff() -> Response:
    """The filtered list as CSV, every cell safe to open in a spreadsheet."""
    filters = StaffFilters.from_args(request.args)
    rows = _rows(db.session, _ordered(_filtered(filters), filters.sort))
    operations.record_staff_list_exported(db.session, _actor(), len(rows), filters.audit_details())
    return csv_download(
        "staff.csv",
        CSV_HEADERS,
        (
            (
                row.name,
                row.email,
                "; ".join(row.roles),
                "Switched on" if row.active else "Switched off",
                "Yes" if row.sign_in_linked else "No",
                # UTC, as the heading says, written as every CSV writes a time.
                utc_cell(row.last_signed_in_at_utc) if row.last_signed_in_at_utc else "Never",
            )
            for row in rows
        ),
    )


# ---------------------------------------------------------------------------------------------
# Adding a person.


@dataclass(frozen=True)
class FieldError:
    field_id: str
    message: str


def _errors(outcome: Outcome, default_field: str) -> list[FieldError]:
    return [FieldError(outcome.field or default_field, outcome.message)]


@blueprint.get("/staff/new")
@access.roles(Role.ADMIN)
def new_person() -> str:
    """The form to add a person."""
    return render_template("admin/staff/new.html", errors=[], values={})


@blueprint.post("/staff/new")
@access.roles(Role.ADMIN)
def add_person() -> BaseResponse | tuple[str, int]:
    """Add a person, then go to their page to give them a role."""
    email, name = request.form.get("email", ""), request.form.get("name", "")
    outcome = operations.add_person(db.session, _actor(), email, name)
    if outcome.refused or outcome.user is None:
        page = render_template(
            "admin/staff/new.html",
            errors=_errors(outcome, "email"),
            values={"email": email, "name": name},
        )
        return page, 400
    flash(outcome.message + " Now give them a role.")
    return redirect(url_for("admin.show_person", user_id=outcome.user.id), 303)


# ---------------------------------------------------------------------------------------------
# A person's page.


def _person_or_404(user_id: uuid.UUID) -> User:
    # The person's grants with the setting or child each covers, in two queries, not one a row.
    user = db.session.get(
        User,
        user_id,
        options=[
            selectinload(User.grants).selectinload(RoleGrant.school),
            selectinload(User.grants).selectinload(RoleGrant.child),
        ],
    )
    if user is None:
        abort(404)
    return user


def _provider_label(name: str | None) -> str | None:
    if name is None:
        return None
    for provider in current_app.config["OIDC_PROVIDERS"]:
        if provider.name == name:
            return str(provider.label)
    return name


@dataclass(frozen=True)
class GrantRow:
    id: uuid.UUID
    label: str
    covers: str
    order: tuple[int, str]


def _grant_rows(user: User) -> list[GrantRow]:
    order = {role.value: index for index, role in enumerate(GRANTABLE_ROLES)}
    rows = [
        GrantRow(
            id=grant.id,
            label=role_label(grant.role, grant.school),
            covers=operations.grant_description(grant),
            order=(order.get(grant.role, 99), operations.grant_description(grant)),
        )
        for grant in user.grants
    ]
    return sorted(rows, key=lambda row: row.order)


def _render_person(
    user: User, errors: list[FieldError] | None = None, values: dict[str, Any] | None = None
) -> str:
    caseload = operations.caseload_of(db.session, user)
    return render_template(
        "admin/staff/show.html",
        member=user,
        grants=_grant_rows(user),
        caseload=caseload,
        provider=_provider_label(user.sso_provider),
        roles=GRANTABLE_ROLES,
        school_roles={role.value for role in SCHOOL_ROLES},
        case_roles={role.value for role in CASE_ROLES},
        authority_roles={role.value for role in AUTHORITY_ROLES},
        errors=errors or [],
        values=values or {},
        today=england_today().strftime("%d/%m/%Y"),
        is_self=user.id == g.user.id,
    )


def _done(outcome: Outcome, user: User) -> BaseResponse:
    flash(outcome.message)
    if user.id == g.user.id and not (user.active and user.has_authority_role(Role.ADMIN)):
        # An admin who stepped down (or switched themselves off) can no longer see this page.
        return redirect(url_for("pages.home"), 303)
    return redirect(url_for("admin.show_person", user_id=user.id), 303)


def _refused(outcome: Outcome, user: User, field: str, values: dict[str, Any]) -> tuple[str, int]:
    db.session.refresh(user)  # a refusal rolled back or changed nothing: show what is stored
    return _render_person(user, _errors(outcome, field), values), 400


@blueprint.get("/staff/<uuid:user_id>")
@access.roles(Role.ADMIN)
def show_person(user_id: uuid.UUID) -> str:
    """One person: details, roles with what each covers, sign-in, and every change."""
    return _render_person(_person_or_404(user_id))


@blueprint.post("/staff/<uuid:user_id>/name")
@access.roles(Role.ADMIN)
def change_name(user_id: uuid.UUID) -> BaseResponse | tuple[str, int]:
    """Change the person's name."""
    user = _person_or_404(user_id)
    name = request.form.get("name", "")
    outcome = operations.change_name(db.session, _actor(), user, name)
    if outcome.refused:
        return _refused(outcome, user, "name", {"name": name})
    return _done(outcome, user)


@blueprint.post("/staff/<uuid:user_id>/roles")
@access.roles(Role.ADMIN)
def give_role(user_id: uuid.UUID) -> BaseResponse | tuple[str, int]:
    """Give the person a role, for the settings or children typed in."""
    user = _person_or_404(user_id)
    form = request.form
    values = {
        "role": form.get("role", ""),
        "schools": form.get("schools", ""),
        "children": form.get("children", ""),
        "starts_on": form.get("starts_on", ""),
    }
    role = next((r for r in GRANTABLE_ROLES if r.value == values["role"]), None)
    if role is None:
        return _refused(Outcome.refusal("Choose a role to give", "role"), user, "role", values)
    errors: list[FieldError] = []
    schools: list[Any] = []
    children: list[Any] = []
    if role in SCHOOL_ROLES:
        found = operations.find_settings(db.session, values["schools"].splitlines())
        schools = found.found
        errors += [FieldError("schools", problem) for problem in found.problems]
    if role in CASE_ROLES:
        found = operations.find_children(db.session, values["children"].splitlines())
        children = found.found
        errors += [FieldError("children", problem) for problem in found.problems]
    starts_on = None
    if role is Role.CARER and values["starts_on"].strip():
        starts_on = parse_day(values["starts_on"])
        if starts_on is None:
            errors.append(
                FieldError(
                    "starts_on",
                    "Enter the date the placement started as day/month/year, like 01/09/2026",
                )
            )
    if errors:
        return _render_person(user, errors, values), 400
    outcome = operations.grant_role(
        db.session, _actor(), user, role, schools=schools, children=children, starts_on=starts_on
    )
    if outcome.refused:
        return _refused(outcome, user, "role", values)
    return _done(outcome, user)


@blueprint.post("/staff/<uuid:user_id>/roles/<uuid:grant_id>/take-away")
@access.roles(Role.ADMIN)
def take_away_role(user_id: uuid.UUID, grant_id: uuid.UUID) -> BaseResponse | tuple[str, int]:
    """Take one role away from the person."""
    user = _person_or_404(user_id)
    outcome = operations.revoke_grant(db.session, _actor(), user, grant_id)
    if outcome.refused:
        # The error summary links to the button that was pressed.
        db.session.refresh(user)
        return _render_person(user, [FieldError(f"take-away-{grant_id}", outcome.message)]), 400
    return _done(outcome, user)


def _confirm(user: User, **page: Any) -> str:
    return render_template("admin/staff/confirm.html", member=user, **page)


@blueprint.get("/staff/<uuid:user_id>/switch-off")
@access.roles(Role.ADMIN)
def confirm_switch_off(user_id: uuid.UUID) -> str:
    """Are you sure: switching an account off ends its sessions at once."""
    user = _person_or_404(user_id)
    return _confirm(
        user,
        title=f"Are you sure you want to switch off {user.display_name}'s account?",
        explanation="They will be signed out at once and cannot sign in until the account is "
        "switched on again. Their roles and everything they wrote are kept.",
        action=url_for("admin.switch_off", user_id=user.id),
        button="Switch off the account",
        warning=True,
    )


@blueprint.post("/staff/<uuid:user_id>/switch-off")
@access.roles(Role.ADMIN)
def switch_off(user_id: uuid.UUID) -> BaseResponse | tuple[str, int]:
    """Switch the account off; never the last active admin's."""
    user = _person_or_404(user_id)
    outcome = operations.switch_off(db.session, _actor(), user)
    if outcome.refused:
        return _refused(outcome, user, "switch-off", {})
    return _done(outcome, user)


@blueprint.post("/staff/<uuid:user_id>/switch-on")
@access.roles(Role.ADMIN)
def switch_on(user_id: uuid.UUID) -> BaseResponse:
    """Switch the account on again."""
    user = _person_or_404(user_id)
    return _done(operations.switch_on(db.session, _actor(), user), user)


@blueprint.get("/staff/<uuid:user_id>/unlink")
@access.roles(Role.ADMIN)
def confirm_unlink(user_id: uuid.UUID) -> str:
    """Are you sure: unlinking lets the next sign-in with this address link afresh."""
    user = _person_or_404(user_id)
    provider = _provider_label(user.sso_provider) or "a provider"
    return _confirm(
        user,
        title=f"Are you sure you want to unlink {user.display_name}'s sign-in?",
        explanation=f"Their account is linked to their sign-in with {provider}. Once unlinked, "
        f"the next sign-in with any provider that confirms {user.email} links the account "
        "again. Do this only when you know the person is changing how they sign in.",
        action=url_for("admin.unlink", user_id=user.id),
        button="Unlink the sign-in",
        warning=True,
    )


@blueprint.post("/staff/<uuid:user_id>/unlink")
@access.roles(Role.ADMIN)
def unlink(user_id: uuid.UUID) -> BaseResponse:
    """Unlink the account's sign-in identity."""
    user = _person_or_404(user_id)
    return _done(operations.unlink(db.session, _actor(), user), user)


def _caseload_choice(user: User) -> tuple[User | None, list[Child], date | None, list[FieldError]]:
    """The worker, children and date a caseload move names, or what is wrong with them."""
    errors: list[FieldError] = []
    found = operations.find_person(db.session, request.form.get("to_worker", ""))
    to_worker = found.found[0] if found.found else None
    errors += [FieldError("to_worker", problem) for problem in found.problems]
    chosen_ids = set(request.form.getlist("child_id"))
    caseload = operations.caseload_of(db.session, user)
    children = [child for child in caseload if str(child.id) in chosen_ids]
    if request.form.get("which") == "chosen" and not children:
        errors.append(FieldError("which", "Choose the children to move, or choose all of them"))
    if request.form.get("which") != "chosen":
        children = []
    on_text = request.form.get("on", "").strip()
    on = parse_day(on_text) if on_text else england_today()
    if on is None:
        errors.append(
            FieldError("on", "Enter the date of the change as day/month/year, like 01/09/2026")
        )
    return to_worker, children, on, errors


def _caseload_values() -> dict[str, Any]:
    """What was chosen for a caseload move, to show again beside an error."""
    return {
        "to_worker": request.form.get("to_worker", ""),
        "which": request.form.get("which", "all"),
        "child_ids": set(request.form.getlist("child_id")),
        "on": request.form.get("on", ""),
    }


@blueprint.post("/staff/<uuid:user_id>/caseload")
@access.roles(Role.ADMIN)
def check_caseload_move(user_id: uuid.UUID) -> str | tuple[str, int]:
    """Are you sure: the move, named child by child, before it is made."""
    user = _person_or_404(user_id)
    to_worker, children, on, errors = _caseload_choice(user)
    values = _caseload_values()
    refusal = operations.caseload_receiver_refusal(user, to_worker) if to_worker else None
    if refusal is not None:
        errors.append(FieldError("to_worker", refusal.message))
    if errors or to_worker is None or on is None:
        return _render_person(user, errors, values), 400
    moving = children or operations.caseload_of(db.session, user)
    return _confirm(
        user,
        title=f"Are you sure you want to move {len(moving)} "
        f"{'child' if len(moving) == 1 else 'children'} from {user.display_name} to "
        f"{to_worker.display_name}?",
        explanation=f"From {on.strftime('%d/%m/%Y')}, {to_worker.display_name} "
        f"({to_worker.email}) will be the social worker for these children, and "
        f"{user.display_name} will no longer see them. Each child's timeline records the "
        "change.",
        children=moving,
        action=url_for("admin.move_caseload", user_id=user.id),
        button="Move the children",
        warning=False,
        hidden={
            "to_worker": to_worker.email,
            "which": "chosen" if children else "all",
            "on": on.strftime("%d/%m/%Y"),
        },
        hidden_children=[child.id for child in children],
    )


@blueprint.post("/staff/<uuid:user_id>/caseload/move")
@access.roles(Role.ADMIN)
def move_caseload(user_id: uuid.UUID) -> BaseResponse | tuple[str, int]:
    """Move the children to the other worker in one step."""
    user = _person_or_404(user_id)
    to_worker, children, on, errors = _caseload_choice(user)
    values = _caseload_values()
    if errors or to_worker is None or on is None:
        return _render_person(user, errors, values), 400
    outcome = operations.move_caseload(
        db.session, _actor(), user, to_worker, children=children or None, on=on
    )
    if outcome.refused:
        return _refused(outcome, user, "to_worker", values)
    return _done(outcome, user)
