"""The PEP meeting: arrange it from the PEP, see it, change or cancel it, download it.

Who may arrange: the child's designated teacher, social worker and Virtual School adviser.
Everyone who may read the PEP may read its meeting and download the calendar file.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import Any

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from forms.dates import read_date_boxes
from forms.fields import format_date_for_people
from portal.academic import england_today
from portal.auth import access
from portal.children.queries import roles_for_child
from portal.extensions import db
from portal.meetings.ics import build_invitation, pep_short_reference
from portal.models import Pep, PepMeeting
from portal.models.meeting import InviteeRole
from portal.operations.audit import Actor
from portal.operations.meetings import (
    ARRANGING_ROLES,
    MAX_EXTRA_PEOPLE,
    MeetingConflict,
    MeetingInvalid,
    MeetingRefused,
    MeetingRequest,
    MeetingUnchanged,
    ProposedInvitee,
    arranging_refusal,
    cancel_meeting,
    current_meeting,
    meeting_date_disagreement,
    meeting_was_held,
    proposed_invitees,
    reschedule_meeting,
    schedule_meeting,
    term_window,
)
from portal.operations.views_audit import PepPart, record_pep_viewed
from portal.peps.queries import find_visible_pep

blueprint = Blueprint("meetings", __name__)

DONE_MESSAGES = {
    "arranged": "Meeting arranged: the invitations are being sent",
    "changed": "Meeting changed: everyone invited is being sent the change",
    "cancelled": "Meeting cancelled: everyone invited is being sent the cancellation",
    "unchanged": "Nothing was changed, so nobody has been sent anything",
}

TIME = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*$")
# The order the form shows its boxes: the error summary lists problems in the same order.
FIELD_ORDER = (
    "meeting_date",
    "starts_at",
    "ends_at",
    "place",
    "online_link",
    "contributions_due_on",
    "invitees",
    "iro_name",
    "iro_email",
)


def _pep_or_404(pep_id: uuid.UUID) -> Pep:
    pep = find_visible_pep(db.session, g.user, pep_id)
    if pep is None:
        abort(404)
    return pep


def _pep_link(pep: Pep) -> str:
    base = current_app.config.get("BASE_URL") or request.host_url.rstrip("/")
    return f"{base}{url_for('peps.show_pep', pep_id=pep.id)}"


# --------------------------------------------------------------------------------------------
# Reading the form
# --------------------------------------------------------------------------------------------


def _read_date(form: MultiDict[str, str], prefix: str, what: str) -> tuple[date | None, str]:
    """The date in the boxes named `prefix`, or the sentence saying what is wrong with it; a
    date left blank is no problem here (the arrangement's own rules say which are needed)."""
    reading = read_date_boxes(form, prefix, what)
    if reading.blank:
        return None, ""
    return reading.on, reading.problem or ""


def _read_time(text: str, label: str) -> tuple[time | None, str]:
    if not text.strip():
        return None, ""
    match = TIME.match(text)
    if match and int(match.group(1)) < 24 and int(match.group(2)) < 60:
        return time(int(match.group(1)), int(match.group(2))), ""
    return None, f"{label} must be a time on the 24-hour clock, for example 14:30"


def _people_count(form: Mapping[str, Any]) -> int:
    """How many rows of "other people" the form shows: the hidden count, as a browser or
    anyone else sent it, kept between one and the most the form offers."""
    text = str(form.get("people") or "1")
    count = int(text) if text.isascii() and text.isdigit() and len(text) < 3 else 1
    return max(1, min(count, MAX_EXTRA_PEOPLE))


def read_request(form: MultiDict[str, str]) -> MeetingRequest:
    unreadable: dict[str, str] = {}
    meeting_date, problem = _read_date(form, "meeting_date", "of the meeting")
    if problem:
        unreadable["meeting_date"] = problem
    due_on, problem = _read_date(form, "contributions_due_on", "contributions are due")
    if problem:
        unreadable["contributions_due_on"] = problem
    starts_at, problem = _read_time(form.get("starts_at", ""), "The start time")
    if problem:
        unreadable["starts_at"] = problem
    ends_at, problem = _read_time(form.get("ends_at", ""), "The end time")
    if problem:
        unreadable["ends_at"] = problem
    people = [
        (form.get(f"person-{index}-name", "")[:1000], form.get(f"person-{index}-email", "")[:1000])
        for index in range(_people_count(form))
    ]
    return MeetingRequest(
        meeting_date=meeting_date,
        starts_at=starts_at,
        ends_at=ends_at,
        place=form.get("place", "")[:1000],
        online_link=form.get("online_link", "")[:1000],
        contributions_due_on=due_on,
        invitee_keys=form.getlist("invitees"),
        # Cut only far beyond what the checks allow: a name or address too long is refused
        # with a sentence, not shortened without a word.
        iro_name=form.get("iro_name", "")[:1000],
        iro_email=form.get("iro_email", "")[:1000],
        extra_people=people,
        unreadable=unreadable,
    )


def _date_parts(prefix: str, value: date | None) -> dict[str, str]:
    if value is None:
        return {}
    return {
        f"{prefix}-day": str(value.day),
        f"{prefix}-month": str(value.month),
        f"{prefix}-year": str(value.year),
    }


def _values_from_meeting(
    meeting: PepMeeting, proposed: list[ProposedInvitee]
) -> tuple[dict[str, Any], list[str]]:
    """The form's boxes filled from the meeting as it is, and who is ticked."""
    values: dict[str, Any] = {
        **_date_parts("meeting_date", meeting.meeting_date),
        **_date_parts("contributions_due_on", meeting.contributions_due_on),
        "starts_at": meeting.starts_at.strftime("%H:%M"),
        "ends_at": meeting.ends_at.strftime("%H:%M"),
        "place": meeting.place or "",
        "online_link": meeting.online_link or "",
    }
    ticked = []
    invited_users = {row.user_id for row in meeting.invitees if row.user_id}
    for person in proposed:
        if person.user_id in invited_users or (
            person.key == "child" and any(row.role == "child" for row in meeting.invitees)
        ):
            ticked.append(person.key)
    others = []
    for row in meeting.invitees:
        if row.role == "independent_reviewing_officer":
            values["iro_name"], values["iro_email"] = row.name, row.email or ""
        elif row.role == "other":
            others.append(row)
    for index, row in enumerate(others):
        values[f"person-{index}-name"] = row.name
        values[f"person-{index}-email"] = row.email or ""
    values["people"] = str(max(1, len(others)))
    return values, ticked


# --------------------------------------------------------------------------------------------
# Pages
# --------------------------------------------------------------------------------------------


def _render_form(
    pep: Pep,
    meeting: PepMeeting | None,
    values: dict[str, Any],
    ticked: list[str],
    *,
    errors: dict[str, str] | None = None,
    refusal: str | None = None,
    conflict: str | None = None,
    status: int = 200,
) -> tuple[str, int]:
    errors = errors or {}
    ordered = sorted(
        errors.items(),
        key=lambda item: FIELD_ORDER.index(item[0]) if item[0] in FIELD_ORDER else 99,
    )
    proposed = proposed_invitees(db.session, pep)
    iro = next((person for person in proposed if person.key == "iro"), None)
    # Remembered for a new meeting only: on a change, the boxes hold whoever this meeting
    # invited, and an officer left out of it stays out.
    if iro is not None and meeting is None and "iro_email" not in values:
        values = {**values, "iro_name": iro.name, "iro_email": iro.email or ""}
    # People invited from the network who are no longer in it (a grant taken away, a carer
    # placed after the PEP's term): not listed, so a save would tell them the meeting is off
    # for them. The person arranging is told, rather than finding out from them.
    in_network = {person.user_id for person in proposed if person.user_id}
    left_network = [
        f"{row.name} ({InviteeRole(row.role).label})"
        for row in (meeting.invitees if meeting is not None and not meeting.cancelled else ())
        # A switched-off account is neither listed nor emailed: nobody would be told.
        if row.user_id and row.user_id not in in_network and row.user and row.user.active
    ]
    return render_template(
        "meetings/arrange.html",
        pep=pep,
        meeting=meeting,
        values=values,
        ticked=ticked,
        proposed=[person for person in proposed if person.key != "iro"],
        left_network=left_network,
        people=_people_count(values),
        max_people=MAX_EXTRA_PEOPLE,
        errors=errors,
        error_list=[
            {"text": message, "href": "#" + _anchor(field_id)} for field_id, message in ordered
        ],
        refusal=refusal,
        conflict=conflict,
        window=term_window(db.session, pep),
    ), status


def _anchor(field_id: str) -> str:
    if field_id in ("meeting_date", "contributions_due_on"):
        return f"{field_id}-day"
    if field_id == "invitees":
        return "invitees"
    return field_id


@blueprint.get("/peps/<uuid:pep_id>/meeting")
@access.signed_in
def show_meeting(pep_id: uuid.UUID) -> str:
    """The PEP's meeting as arranged, for everyone who may read the PEP."""
    pep = _pep_or_404(pep_id)
    roles = roles_for_child(g.user, pep.child)
    meeting = current_meeting(db.session, pep)
    return render_template(
        "meetings/show.html",
        pep=pep,
        meeting=meeting,
        refusal=arranging_refusal(pep, roles),
        # Only the portal's own words: the address never puts text on the page.
        changed=DONE_MESSAGES.get(request.args.get("done", "")),
        disagreement=meeting_date_disagreement(pep, meeting),
        reference=pep_short_reference(pep),
        held=meeting is not None and meeting_was_held(meeting, england_today()),
    )


@blueprint.get("/peps/<uuid:pep_id>/meeting/arrange")
@access.signed_in
def arrange_meeting(pep_id: uuid.UUID) -> tuple[str, int]:
    """The form: a new meeting, or the current one to change."""
    pep = _pep_or_404(pep_id)
    roles = roles_for_child(g.user, pep.child)
    refusal = arranging_refusal(pep, roles)
    if not roles & ARRANGING_ROLES:
        abort(403)
    meeting = current_meeting(db.session, pep)
    proposed = proposed_invitees(db.session, pep)
    if meeting is not None:
        values, ticked = _values_from_meeting(meeting, proposed)
    else:
        values, ticked = {"people": "1"}, [person.key for person in proposed if person.ticked]
    return _render_form(pep, meeting, values, ticked, refusal=refusal)


@blueprint.post("/peps/<uuid:pep_id>/meeting")
@access.signed_in
def save_meeting(pep_id: uuid.UUID) -> Response | tuple[str, int]:
    """Arrange or change the meeting; "add another person" shows the form with another row."""
    pep = _pep_or_404(pep_id)
    roles = roles_for_child(g.user, pep.child)
    if not roles & ARRANGING_ROLES:
        abort(403)
    meeting = current_meeting(db.session, pep)
    values: dict[str, Any] = {key: request.form.get(key, "") for key in request.form}
    ticked = request.form.getlist("invitees")
    if request.form.get("action") == "add_person":
        values["people"] = str(min(_people_count(request.form) + 1, MAX_EXTRA_PEOPLE))
        return _render_form(pep, meeting, values, ticked)
    posted = read_request(request.form)
    actor = Actor.for_user(g.user, request.remote_addr)
    version_text = request.form.get("version", "")
    try:
        if meeting is None:
            if version_text:  # the page showed a meeting that has since been cancelled
                raise MeetingConflict(
                    "The meeting you were changing has been cancelled. Arrange a new meeting below."
                )
            meeting = schedule_meeting(db.session, actor, g.user, pep, roles, posted)
            done = "arranged"
        else:
            based_on = int(version_text) if version_text.isdigit() and len(version_text) < 9 else -1
            meeting, _removed = reschedule_meeting(
                db.session, actor, g.user, meeting, roles, posted, based_on
            )
            done = "changed"
    except MeetingUnchanged:
        done = "unchanged"
    except MeetingRefused as refused:
        return _render_form(pep, meeting, values, ticked, refusal=str(refused), status=403)
    except MeetingInvalid as invalid:
        return _render_form(pep, meeting, values, ticked, errors=invalid.errors, status=400)
    except MeetingConflict as conflict:
        db.session.rollback()
        meeting = current_meeting(db.session, pep)
        return _render_form(pep, meeting, values, ticked, conflict=str(conflict), status=409)
    return redirect(url_for("meetings.show_meeting", pep_id=pep.id, done=done), 303)


@blueprint.post("/peps/<uuid:pep_id>/meeting/cancel")
@access.signed_in
def cancel(pep_id: uuid.UUID) -> Response | tuple[str, int]:
    """Cancel the meeting: everyone invited by email is sent the cancellation."""
    pep = _pep_or_404(pep_id)
    roles = roles_for_child(g.user, pep.child)
    if not roles & ARRANGING_ROLES:
        abort(403)
    meeting = current_meeting(db.session, pep)
    if meeting is None:
        return redirect(url_for("meetings.show_meeting", pep_id=pep.id), 303)
    version_text = request.form.get("version", "")
    based_on = int(version_text) if version_text.isdigit() and len(version_text) < 9 else -1
    try:
        cancel_meeting(
            db.session,
            Actor.for_user(g.user, request.remote_addr),
            g.user,
            meeting,
            roles,
            based_on,
        )
    except (MeetingRefused, MeetingConflict) as refused:
        db.session.rollback()
        now = current_meeting(db.session, pep)
        return render_template(
            "meetings/show.html",
            pep=pep,
            meeting=now,
            refusal=arranging_refusal(pep, roles),
            problem=str(refused),
            reference=pep_short_reference(pep),
            held=now is not None and meeting_was_held(now, england_today()),
        ), 409 if isinstance(refused, MeetingConflict) else 403
    return redirect(url_for("meetings.show_meeting", pep_id=pep.id, done="cancelled"), 303)


@blueprint.get("/peps/<uuid:pep_id>/meeting.ics")
@access.signed_in
def download_ics(pep_id: uuid.UUID) -> Response:
    """The meeting as a calendar file, for anyone who may read the PEP."""
    pep = _pep_or_404(pep_id)
    meeting = current_meeting(db.session, pep)
    if meeting is None:
        abort(404)
    organizer = meeting.arranged_by or g.user
    body = build_invitation(
        meeting,
        _pep_link(pep),
        organizer_name=organizer.display_name,
        organizer_email=organizer.email,
        stamped_at=datetime.now(UTC),
    )
    # The file names everyone invited, with their addresses: reading it is a read of the
    # meeting, audited as the meeting page is (who, which child, which part).
    record_pep_viewed(db.session, Actor.for_user(g.user, request.remote_addr), pep, PepPart.MEETING)
    return Response(
        body,
        mimetype="text/calendar",
        headers={
            "Content-Disposition": (
                f'attachment; filename="{pep_short_reference(pep).lower()}-meeting.ics"'
            ),
            "Cache-Control": "no-store",
        },
    )


@blueprint.app_template_filter("meeting_day")
def meeting_day(value: date) -> str:
    """Monday 7 December 2026: the day of the week helps people check a meeting date."""
    return f"{value:%A} {format_date_for_people(value)}"
