"""Invite links: staff create and manage them; the holder (child or carer) fills in one section.

Holder pages are public (the token in the link is the credential), never show the signed-in
header or navigation, and are neither cached nor sent as a referrer.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import segno
from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import Form

from forms import answers_from_form, form_errors, form_from_answers, voice_answers
from forms.answers import VOICE_ANSWERS_KEY, VOICE_BAND_KEY
from forms.builder import FormError
from forms.completeness import MissingAnswer, missing_answers, section_status
from forms.parsing import clean_text
from forms.phases import VoiceBand, choose_voice_band, school_year_group
from forms.schema import SectionDefinition
from portal.academic import england_today
from portal.auth import access
from portal.children.queries import roles_for_child
from portal.extensions import db
from portal.form_registry import (
    age_in_years,
    definition_for,
    draft_form_class,
    keep_saved_values_where_invalid,
    pep_child_facts,
)
from portal.invites.queries import find_invite_by_token, invites_for_pep
from portal.invites.tokens import hash_token
from portal.judging_days import judge_form_on_pep_days, judging_days_for
from portal.models import ContributionInvite, Pep, PepSection
from portal.operations.audit import Actor
from portal.operations.invites import (
    Contributor,
    InviteOvertaken,
    InviteRefused,
    RefusedToken,
    contributor_for,
    create_invite,
    holder_actor,
    holder_refusal,
    management_refusal,
    may_manage_invites,
    record_child_voice_absent_reason,
    record_child_voice_note,
    record_refused_token,
    reopen_invite,
    revoke_invite,
    save_through_invite,
    send_through_invite,
)
from portal.operations.rate_limit import (
    INVITE_FAILURES_BY_ADDRESS,
    INVITE_FAILURES_BY_TOKEN,
    MAX_FAILURES,
    WINDOW_SECONDS,
    Limit,
    count_hit,
    is_limited,
)
from portal.operations.views_audit import record_invite_page_viewed
from portal.peps.permissions import reads_everything
from portal.peps.queries import find_visible_pep
from workflows.roles import Role

blueprint = Blueprint("invites", __name__)

# Where the holder's pages live, and the signed cookie that opens them (the invites this
# browser opened with their links, newest first).
HOLDER_PATH = "/contribute"
HOLDER_COOKIE = "openpep_invite"
HOLDER_COOKIE_INVITES = 5
HOLDER_COOKIE_MAX_AGE = 12 * 60 * 60
HOLDER_ENDPOINTS = frozenset(
    {"invites.contribute", "invites.save_contribution", "invites.send_contribution"}
)
CHANGE_MESSAGES = {
    "revoked": "The link has been stopped. It no longer opens.",
    "reopened": "The link has been opened again. The same link can be used to change the views.",
    "note": "The note on how the child's views were gathered has been saved.",
    "reason": "The reason the child's views could not be gathered has been saved.",
}


@blueprint.after_request
def _keep_holder_pages_private(response: Response) -> Response:
    """No cache may keep these pages, and no link on them may leak the address they came from."""
    if request.endpoint in HOLDER_ENDPOINTS:
        response.cache_control.no_store = True
        response.cache_control.private = True
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


# --------------------------------------------------------------------------------------------
# Staff: creating and managing links, the note and the reason
# --------------------------------------------------------------------------------------------


def _pep_or_404(pep_id: uuid.UUID) -> Pep:
    pep = find_visible_pep(db.session, g.user, pep_id)
    if pep is None:
        abort(404)
    return pep


def _invite_or_404(pep: Pep, invite_id: uuid.UUID) -> ContributionInvite:
    invite = db.session.scalar(
        select(ContributionInvite).where(
            ContributionInvite.id == invite_id, ContributionInvite.pep_id == pep.id
        )
    )
    if invite is None:
        abort(404)
    return invite


def _invitable_sections(pep: Pep) -> list[tuple[SectionDefinition, Contributor]]:
    return [
        (section, contributor)
        for section in definition_for(pep).sections
        if (contributor := contributor_for(section)) is not None
    ]


def invite_status(invite: ContributionInvite, now: datetime) -> tuple[str, str]:
    """The status tag for a link: its words and GOV.UK tag colour."""
    if invite.revoked_at_utc is not None:
        return "Stopped", "govuk-tag--grey"
    if invite.is_expired(now):
        return "Expired", "govuk-tag--grey"
    if invite.completed_at_utc is not None:
        return "Sent", "govuk-tag--green"
    if invite.last_used_at_utc is not None:
        return "In progress", "govuk-tag--light-blue"
    return "Not started", "govuk-tag--blue"


def _render_manage(
    pep: Pep, *, errors: list[FormError] | None = None, status: int = 200, **values: str
) -> tuple[str, int]:
    roles = roles_for_child(g.user, pep.child)
    now = datetime.now(UTC)
    invites = invites_for_pep(db.session, pep)
    parts = []
    days = judging_days_for(pep)
    for section, contributor in _invitable_sections(pep):
        stored = pep.section(section.key)
        parts.append(
            {
                "section": section,
                "contributor": contributor,
                "status": section_status(section, stored.answers, days=days).value,
                "invites": [
                    (invite, invite_status(invite, now), invite.works(now))
                    for invite in invites
                    if invite.section_key == section.key
                ],
            }
        )
    return render_template(
        "invites/manage.html",
        pep=pep,
        parts=parts,
        may_manage=may_manage_invites(roles),
        refusal=management_refusal(pep, roles),
        errors=errors or [],
        changed=CHANGE_MESSAGES.get(request.args.get("changed", "")),
        note=values.get("note", pep.child_voice_note or ""),
        absent_reason=values.get("absent_reason", pep.child_voice_absent_reason or ""),
    ), status


def _roles_to_manage(pep: Pep) -> frozenset[Role]:
    """The person's roles for the child, or 403 when they may not manage links at all."""
    roles = roles_for_child(g.user, pep.child)
    if not may_manage_invites(roles):
        abort(403)
    return roles


def _refused(pep: Pep, refusal: InviteRefused, status: int = 409) -> tuple[str, int]:
    return _render_manage(pep, errors=[FormError("", str(refusal))], status=status)


def _staff_actor() -> Actor:
    return Actor.for_user(g.user, request.remote_addr)


def _posted_text(name: str) -> str:
    """Free text from the form, without characters that cannot be stored (a NUL, say)."""
    return clean_text(request.form.get(name, ""), multiline=True)


def _refusal_status(pep: Pep, roles: frozenset[Role], refusal: InviteRefused) -> int:
    """409 when the PEP changed under the person (a race, or it moved on); 400 for their input."""
    if isinstance(refusal, InviteOvertaken) or management_refusal(pep, roles) is not None:
        return 409
    return 400


@blueprint.get("/peps/<uuid:pep_id>/contributions")
@access.signed_in
def manage(pep_id: uuid.UUID) -> tuple[str, int]:
    """Links for the child's and carer's views, with the staff note and the absent reason.
    Staff who may see the PEP may see this page (a carer may not: it holds the staff note and
    who has links); only the child's designated teacher or social worker may change anything
    on it."""
    pep = _pep_or_404(pep_id)
    if not reads_everything(roles_for_child(g.user, pep.child)):
        abort(403)
    return _render_manage(pep)


@blueprint.post("/peps/<uuid:pep_id>/contributions")
@access.signed_in
def create(pep_id: uuid.UUID) -> tuple[str, int]:
    """Create a link and show it once, with a QR code to scan with a phone."""
    pep = _pep_or_404(pep_id)
    roles = _roles_to_manage(pep)
    sections = {section.key: section for section, _ in _invitable_sections(pep)}
    section = sections.get(request.form.get("section_key", ""))
    if section is None:
        return _render_manage(pep, errors=[FormError("", "Choose who the link is for")], status=400)
    try:
        created = create_invite(db.session, _staff_actor(), g.user, pep, section, roles)
    except InviteRefused as refusal:
        return _refused(pep, refusal)
    link = url_for("invites.contribute", token=created.token, _external=True)
    # A data: URI image: the Content-Security-Policy allows those, and no inline style is needed.
    qr_code = segno.make(link, error="m").svg_data_uri(scale=5, border=4)
    return render_template(
        "invites/created.html",
        pep=pep,
        section=section,
        contributor=contributor_for(section),
        invite=created.invite,
        link=link,
        qr_code=qr_code,
    ), 200


@blueprint.post("/peps/<uuid:pep_id>/contributions/<uuid:invite_id>/revoke")
@access.signed_in
def revoke(pep_id: uuid.UUID, invite_id: uuid.UUID) -> Response | tuple[str, int]:
    pep = _pep_or_404(pep_id)
    roles = _roles_to_manage(pep)
    invite = _invite_or_404(pep, invite_id)
    try:
        revoke_invite(db.session, _staff_actor(), g.user, invite, roles)
    except InviteRefused as refusal:
        return _refused(pep, refusal)
    return redirect(url_for("invites.manage", pep_id=pep.id, changed="revoked"), 303)


@blueprint.post("/peps/<uuid:pep_id>/contributions/<uuid:invite_id>/reopen")
@access.signed_in
def reopen(pep_id: uuid.UUID, invite_id: uuid.UUID) -> Response | tuple[str, int]:
    pep = _pep_or_404(pep_id)
    roles = _roles_to_manage(pep)
    invite = _invite_or_404(pep, invite_id)
    try:
        reopen_invite(db.session, _staff_actor(), g.user, invite, roles)
    except InviteRefused as refusal:
        return _refused(pep, refusal)
    return redirect(url_for("invites.manage", pep_id=pep.id, changed="reopened"), 303)


@blueprint.post("/peps/<uuid:pep_id>/contributions/note")
@access.signed_in
def save_note(pep_id: uuid.UUID) -> Response | tuple[str, int]:
    """Staff's note on how the child's views were gathered (never an edit of the views)."""
    pep = _pep_or_404(pep_id)
    roles = _roles_to_manage(pep)
    note = _posted_text("note")
    try:
        record_child_voice_note(db.session, _staff_actor(), pep, roles, note)
    except InviteRefused as refusal:
        return _render_manage(
            pep,
            errors=[FormError("note", str(refusal))],
            status=_refusal_status(pep, roles, refusal),
            note=note,
        )
    return redirect(url_for("invites.manage", pep_id=pep.id, changed="note"), 303)


@blueprint.post("/peps/<uuid:pep_id>/contributions/absent-reason")
@access.signed_in
def save_absent_reason(pep_id: uuid.UUID) -> Response | tuple[str, int]:
    """Why the child's views could not be gathered: the PEP may then go without them."""
    pep = _pep_or_404(pep_id)
    roles = _roles_to_manage(pep)
    reason = _posted_text("absent_reason")
    try:
        record_child_voice_absent_reason(db.session, _staff_actor(), pep, roles, reason)
    except InviteRefused as refusal:
        return _render_manage(
            pep,
            errors=[FormError("absent-reason", str(refusal))],
            status=_refusal_status(pep, roles, refusal),
            absent_reason=reason,
        )
    return redirect(url_for("invites.manage", pep_id=pep.id, changed="reason"), 303)


# --------------------------------------------------------------------------------------------
# The holder: one section of one PEP, through the link
# --------------------------------------------------------------------------------------------


def _client_key() -> str:
    # The client's own address: behind reverse proxies, OPENPEP_PROXIES makes ProxyFix read it
    # from exactly that many X-Forwarded-For entries, so one client cannot pose as another.
    return request.remote_addr or "unknown"


def _link_not_working() -> tuple[str, int]:
    """The same page and status for unknown, expired and stopped links: it reveals nothing."""
    return render_template("invites/link_not_working.html"), 404


def _too_many_attempts() -> tuple[str, int]:
    return render_template("invites/too_many_attempts.html"), 429


def _limits() -> tuple[Limit, Limit]:
    config = current_app.config
    max_failures = config.get("INVITE_MAX_FAILED_ATTEMPTS", MAX_FAILURES)
    window = config.get("INVITE_FAILED_ATTEMPTS_WINDOW_SECONDS", WINDOW_SECONDS)
    return (
        Limit(INVITE_FAILURES_BY_ADDRESS, max_failures, window),
        Limit(INVITE_FAILURES_BY_TOKEN, max_failures, window),
    )


def _invite_for_token(token: str) -> ContributionInvite | tuple[str, int]:
    """The invite the token opens, or the page to show instead.

    A working token always opens, whoever else failed from the same address (a school's or a
    proxy's address is shared by many). Failures are counted per address and per token in the
    database, so every worker sees the same counts; each refusal is audited until either count
    reaches the limit, and reaching it is audited once."""
    invite = find_invite_by_token(db.session, token)
    if invite is not None and invite.works(datetime.now(UTC)):
        return invite
    by_address, by_token = _limits()
    address, token_key = _client_key(), hash_token(token)
    if is_limited(db.session, by_address, address) or is_limited(db.session, by_token, token_key):
        # Not audited row by row: one row per refused request would let anyone fill the trail.
        current_app.logger.warning("Invite link attempts blocked for %s", address)
        return _too_many_attempts()
    if invite is None:
        reason = RefusedToken.UNKNOWN
    elif invite.revoked_at_utc is not None:
        reason = RefusedToken.REVOKED
    else:
        reason = RefusedToken.EXPIRED
    reached = (
        count_hit(db.session, by_address, address) == by_address.max_hits
        or count_hit(db.session, by_token, token_key) == by_token.max_hits
    )
    record_refused_token(db.session, request.remote_addr, reason, invite)
    if reached:
        record_refused_token(db.session, request.remote_addr, RefusedToken.RATE_LIMITED)
    return _link_not_working()


def _opened_invite_ids() -> list[str]:
    """The invites this browser opened with their links, from the signed holder cookie."""
    raw = request.cookies.get(HOLDER_COOKIE)
    if not raw:
        return []
    try:
        ids = _holder_serializer().loads(raw, max_age=HOLDER_COOKIE_MAX_AGE)
    except BadSignature:
        return []
    return [str(i) for i in ids] if isinstance(ids, list) else []


def _holder_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=HOLDER_COOKIE)


def _remember_opened_invite(response: Response, invite: ContributionInvite) -> None:
    """Exchange the link for a cookie: later pages are addressed by the invite's id, which
    opens nothing without this cookie, so the token leaves the address bar and the logs."""
    ids = [str(invite.id), *(i for i in _opened_invite_ids() if i != str(invite.id))]
    response.set_cookie(
        HOLDER_COOKIE,
        _holder_serializer().dumps(ids[:HOLDER_COOKIE_INVITES]),
        max_age=HOLDER_COOKIE_MAX_AGE,
        # Sent to the link (to add to the list) as well as to the pages; it opens nothing else.
        path="/",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )


def _invite_opened_here(invite_id: uuid.UUID) -> ContributionInvite | tuple[str, int]:
    """The invite this browser opened with its link, while the link still works."""
    if str(invite_id) not in _opened_invite_ids():
        return _link_not_working()
    invite = db.session.get(ContributionInvite, invite_id)
    if invite is None or not invite.works(datetime.now(UTC)):
        return _link_not_working()
    return invite


@dataclass(frozen=True)
class HolderPage:
    """What the holder fills in: for the child, their age band's section of the child's voice."""

    invite: ContributionInvite
    section: SectionDefinition  # the PEP's section
    form_section: SectionDefinition  # the section whose fields the holder answers
    contributor: Contributor
    band: VoiceBand | None
    stored: PepSection

    @classmethod
    def of(cls, invite: ContributionInvite) -> HolderPage:
        pep = invite.pep
        section = definition_for(pep).section(invite.section_key)
        contributor = contributor_for(section)
        assert contributor is not None  # create_invite only makes links for these sections
        stored = pep.section(section.key)
        if contributor is Contributor.CHILD:
            # Keep the band the child first answered in, so a birthday never hides answers.
            band = VoiceBand(stored.answers.get(VOICE_BAND_KEY) or _voice_band_today(pep))
            return cls(invite, section, section.voice_section(band), contributor, band, stored)
        return cls(invite, section, section, contributor, None, stored)

    @property
    def saved_answers(self) -> dict[str, Any]:
        if self.band is not None:
            return dict(self.stored.answers.get(VOICE_ANSWERS_KEY) or {})
        return dict(self.stored.answers)

    def to_store(self, answers: dict[str, Any]) -> dict[str, Any]:
        """The answers as the PEP section stores them (the child's with their band)."""
        return voice_answers(self.band, answers) if self.band is not None else answers

    @property
    def form_class(self) -> type[Form]:
        return draft_form_class(self.form_section)


def _voice_band_today(pep: Pep) -> VoiceBand:
    child = pep.child
    today = england_today()
    return choose_voice_band(
        age_in_years(child.date_of_birth, today), school_year_group(child.year_group(today))
    )


def _render_holder(
    page: HolderPage,
    form: Form,
    errors: list[FormError],
    status: int = 200,
    *,
    saved_not_sent: bool = False,
) -> tuple[str, int]:
    return render_template(
        "invites/contribute.html",
        page=page,
        child=page.invite.pep.child,
        form=form,
        errors=errors,
        saved=request.args.get("saved") == "1" and not errors,
        saved_not_sent=saved_not_sent,
    ), status


def _missing_answer_errors(form: Form, missing: list[MissingAnswer]) -> list[FormError]:
    """The answers still needed before sending, shown as the section page shows its own
    errors: each by its question, and in the error summary linking to it."""
    unplaced = []
    for answer in missing:
        if answer.field_key in form and answer.field_id == answer.field_key:
            field = form[answer.field_key]
            field.errors = [*field.errors, answer.message]
        else:  # a table's cell, say: the summary links straight to it
            unplaced.append(FormError(answer.field_id, answer.message))
    return [*form_errors(form), *unplaced]


def _holder_done_page(invite: ContributionInvite) -> tuple[str, int] | None:
    """The thank-you page after "Send", or the closed page once the PEP has moved on."""
    if invite.completed_at_utc is not None:
        return render_template("invites/sent.html", page=HolderPage.of(invite)), 200
    if holder_refusal(invite, datetime.now(UTC)) is not None:
        return render_template("invites/closed.html"), 200
    return None


def _holder_actor_here(contributor: Contributor) -> Actor:
    """The link's holder, as the audit trail names them, from the client's address."""
    actor = holder_actor(contributor, request.remote_addr)
    if g.get("user") is not None:
        # Someone signed in used the link (perhaps sitting with the child): say so.
        description = f"{actor.description}, in a browser signed in as {g.user.email}"
        actor = Actor(None, description, request.remote_addr)
    return actor


def _holder_page_url(invite: ContributionInvite, **values: str) -> str:
    return url_for("invites.contribute", invite_id=invite.id, **values)


@blueprint.get("/i/<token>", defaults={"invite_id": None})
@blueprint.get(f"{HOLDER_PATH}/<uuid:invite_id>", defaults={"token": None})
@access.public
def contribute(token: str | None, invite_id: uuid.UUID | None) -> Response | tuple[str, int]:
    """The link (/i/<token>) is exchanged for a cookie and a redirect to the holder's page;
    that page (/contribute/<invite id>) shows the one section, with what was saved before."""
    if token is not None:
        found = _invite_for_token(token)
        if not isinstance(found, ContributionInvite):
            return found
        response = redirect(_holder_page_url(found), 303)
        _remember_opened_invite(response, found)
        return response
    assert invite_id is not None  # one of the two rules matched
    found = _invite_opened_here(invite_id)
    if not isinstance(found, ContributionInvite):
        return found
    done = _holder_done_page(found)
    if done is not None:
        return done
    page = HolderPage.of(found)
    form = form_from_answers(
        page.form_class, page.form_section, page.saved_answers, facts=pep_child_facts(found.pep)
    )
    shown = _render_holder(page, form, [])
    # The page shows what was saved through the link, to whoever holds it (a link can be
    # forwarded): each showing is a read of the child's PEP, audited as staff reads are.
    record_invite_page_viewed(db.session, _holder_actor_here(page.contributor), found)
    return shown


def _save_posted_answers(invite_id: uuid.UUID, *, send: bool) -> Response | tuple[str, int]:
    found = _invite_opened_here(invite_id)
    if not isinstance(found, ContributionInvite):
        return found
    invite = found
    if _holder_done_page(invite) is not None:
        # Sent, or the PEP moved on while the page was open: show why, save nothing.
        return redirect(_holder_page_url(invite), 303)
    page = HolderPage.of(invite)
    saved = page.saved_answers
    form = form_from_answers(
        page.form_class,
        page.form_section,
        saved,
        facts=pep_child_facts(invite.pep),
        formdata=request.form,
    )
    judge_form_on_pep_days(form, invite.pep, page.form_section)
    valid = form.validate()
    answers = answers_from_form(page.form_section, form)
    if not valid:
        answers = keep_saved_values_where_invalid(form, saved, answers)
    actor = _holder_actor_here(page.contributor)
    try:
        save_through_invite(db.session, actor, invite, page.section, page.to_store(answers))
    except InviteOvertaken as refusal:
        if _holder_done_page(invite) is not None:  # the PEP moved on: that page says so
            return redirect(_holder_page_url(invite), 303)
        # Saved by someone else at the same moment: keep what they typed on the page.
        first_field = next(iter(form), None)
        error = FormError(first_field.id if first_field else "", str(refusal))
        return _render_holder(page, form, [error], status=409)
    except InviteRefused:
        return redirect(_holder_page_url(invite), 303)
    if not valid:
        return _render_holder(page, form, form_errors(form), status=400)
    if not send:
        return redirect(_holder_page_url(invite, saved="1"), 303)
    if not answers:
        first_field = next(iter(form), None)
        message = "Answer at least one question before you send"
        error = FormError(first_field.id if first_field else "", message)
        return _render_holder(page, form, [error], status=400)
    # Sending finishes the holder's part, and staff cannot change their words: what the
    # section needs must be there, or the PEP could never be submitted. What was typed is
    # saved above, and the link stays open.
    days = judging_days_for(invite.pep)
    missing = missing_answers(page.section, page.to_store(answers), days=days)
    if missing:
        errors = _missing_answer_errors(form, missing)
        return _render_holder(page, form, errors, status=400, saved_not_sent=True)
    with contextlib.suppress(InviteRefused):  # the page it redirects to says why
        send_through_invite(db.session, actor, invite)
    return redirect(_holder_page_url(invite), 303)


@blueprint.post(f"{HOLDER_PATH}/<uuid:invite_id>")
@access.public
def save_contribution(invite_id: uuid.UUID) -> Response | tuple[str, int]:
    """ "Save and come back later": the same link opens the saved answers again."""
    return _save_posted_answers(invite_id, send=False)


@blueprint.post(f"{HOLDER_PATH}/<uuid:invite_id>/send")
@access.public
def send_contribution(invite_id: uuid.UUID) -> Response | tuple[str, int]:
    """ "Send to my teacher" (or "Send"): save what is on the page, then finish."""
    return _save_posted_answers(invite_id, send=True)
