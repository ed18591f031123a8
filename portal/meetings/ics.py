"""The calendar invitation (.ics, RFC 5545 with iTIP methods) for a PEP meeting.

One UID per meeting, kept when it is rescheduled (SEQUENCE goes up, so calendars replace the
event) and when it is cancelled (METHOD:CANCEL, STATUS:CANCELLED). Times are local times in
England with their VTIMEZONE, so a meeting at 10:00 stays at 10:00 whatever the clocks do.
The summary never names the child: calendars are shared and shown on lock screens.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vCalAddress, vText

from forms.fields import format_date_for_people
from portal.models import Pep, PepMeeting, PepMeetingInvitee
from portal.models.meeting import MEETING_TIME_ZONE

LONDON = ZoneInfo(MEETING_TIME_ZONE)
PRODUCT_ID = "-//OpenPEP//Personal Education Plans//EN"


def pep_short_reference(pep: Pep) -> str:
    """A reference for the PEP that says nothing about the child: PEP-1A2B3C4D."""
    return f"PEP-{pep.id.hex[:8].upper()}"


def meeting_summary(pep: Pep) -> str:
    return f"PEP meeting {pep_short_reference(pep)}"


def meeting_start(meeting: PepMeeting) -> datetime:
    return datetime.combine(meeting.meeting_date, meeting.starts_at, tzinfo=LONDON)


def meeting_end(meeting: PepMeeting) -> datetime:
    return datetime.combine(meeting.meeting_date, meeting.ends_at, tzinfo=LONDON)


def _address(email: str, name: str, **parameters: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    address.params["CN"] = vText(name)
    for key, value in parameters.items():
        address.params[key] = vText(value)
    return address


def build_invitation(
    meeting: PepMeeting,
    pep_link: str | None,
    *,
    organizer_name: str,
    organizer_email: str,
    cancelled: bool = False,
    attendees: Iterable[PepMeetingInvitee] | None = None,
    stamped_at: datetime | None = None,
) -> bytes:
    """The .ics file: a request for the meeting as it now is, or its cancellation.

    `attendees` defaults to every invitee with an email address: the file downloaded from the
    meeting page, by people who may read the PEP. An emailed file lists only its recipient (with
    the organiser), so that nobody's address (a foster carer's own) goes to everyone invited.
    Without `pep_link` (someone with no account) the file offers no portal link."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "CANCEL" if cancelled else "REQUEST")

    event = Event()
    event.add("uid", meeting.calendar_uid)
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", (stamped_at or datetime.now(UTC)).astimezone(UTC))
    event.add("dtstart", meeting_start(meeting))
    event.add("dtend", meeting_end(meeting))
    event.add("summary", meeting_summary(meeting.pep))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if meeting.place:
        event.add("location", meeting.place)
    if meeting.online_link:
        event.add("url", meeting.online_link)
    lines = [
        "The Personal Education Plan (PEP) meeting.",
        "Please send your contributions by "
        f"{format_date_for_people(meeting.contributions_due_on)}.",
    ]
    if meeting.online_link:
        lines.append(f"Join online: {meeting.online_link}")
    if pep_link:
        lines.append(f"The PEP: {pep_link}")
    if cancelled:
        lines.insert(0, "This meeting has been cancelled.")
    event.add("description", "\n".join(lines))
    event.add("organizer", _address(organizer_email, organizer_name))
    for invitee in meeting.invitees if attendees is None else attendees:
        if invitee.email and invitee.invited_by_email:
            event.add(
                "attendee",
                _address(
                    invitee.email,
                    invitee.name,
                    ROLE="REQ-PARTICIPANT",
                    PARTSTAT="NEEDS-ACTION",
                    RSVP="TRUE",
                ),
            )
    calendar.add_component(event)
    # A VTIMEZONE for Europe/London, made from the time zone database, for calendars that
    # cannot resolve the TZID themselves.
    calendar.add_missing_timezones()
    return calendar.to_ical()
