"""Arranging a PEP's meeting from the PEP: who is invited, the term it must fall in, the
calendar file parsed back, the one meeting date, conflicts, the audit trail and refusals."""

from __future__ import annotations

import re
import uuid
from datetime import date, time, timedelta

import lxml.html
import pytest
from icalendar import Calendar
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from devtools.smtp_sink import running_smtp_sink
from forms.fields import format_date_for_people
from portal import create_app
from portal.config import SmtpSettings
from portal.extensions import db
from portal.meetings.ics import build_invitation, pep_short_reference
from portal.models import AuditEvent, Child, Email, Pep, PepMeeting, RoleGrant, User
from portal.operations.emails import wait_for_background_emails
from portal.operations.meetings import MeetingRequest, term_window
from tests.conftest import DEMO_EMAILS, csrf_token_from, portal_config
from tests.integration.clock import Clock
from tests.integration.pep_helpers import open_pep_id
from tests.integration.test_page_accessibility import assert_accessible
from workflows.roles import Role

CHLOE = "DCC-1201"  # Riverside, draft PEP; social worker Sam Okoro, carer Jo Marsh
MAIL_FROM = "virtual.school@demo.openpep.test"
BASE_URL = "https://pep.testshire.example"


@pytest.fixture(scope="module")
def smtp_sink():
    with running_smtp_sink() as sink:
        yield sink


@pytest.fixture
def app(migrated_database, oidc_provider, smtp_sink):
    """The portal, sending its email through a real SMTP server on loopback."""
    application = create_app(
        portal_config(
            migrated_database,
            oidc_provider,
            SMTP=SmtpSettings(host=smtp_sink.host, port=smtp_sink.port, timeout_seconds=5),
            MAIL_FROM=MAIL_FROM,
            BASE_URL=BASE_URL,
        )
    )
    smtp_sink.clear()
    yield application
    wait_for_background_emails(application)
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def user_by_email(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


@pytest.fixture
def chloe_pep(seeded) -> dict:
    """Chloe's open PEP, moved to the autumn term of next academic year so every date the
    tests choose is in the future, with the term's dates as the portal works them out."""
    pep_id = open_pep_id(seeded, CHLOE)
    with seeded.app_context():
        pep = db.session.get(Pep, uuid.UUID(str(pep_id)))
        pep.academic_year = date.today().year + 1
        pep.term = "autumn"
        db.session.commit()
        window = term_window(db.session, pep)
        return {
            "id": pep.id,
            "window": window,
            "meeting_date": window.starts_on + timedelta(days=20),
            "due_on": window.starts_on + timedelta(days=15),
        }


def date_fields(prefix: str, day: date) -> list[tuple[str, str]]:
    return [
        (f"{prefix}-day", str(day.day)),
        (f"{prefix}-month", str(day.month)),
        (f"{prefix}-year", str(day.year)),
    ]


def arrange_url(pep_id) -> str:
    return f"/peps/{pep_id}/meeting/arrange"


def ticked_invitees(client, pep_id) -> list[tuple[str, str, bool]]:
    page = client.get(arrange_url(pep_id))
    assert page.status_code == 200
    document = lxml.html.document_fromstring(page.get_data(as_text=True))
    boxes = document.xpath("//input[@name='invitees']")
    return [
        (
            box.get("value"),
            " ".join(document.xpath(f"//label[@for='{box.get('id')}']")[0].text_content().split()),
            box.get("checked") is not None,
        )
        for box in boxes
    ]


def page_value(client, pep_id, name: str) -> str:
    """What the arrange page has in a box, as a browser would send it back."""
    document = lxml.html.document_fromstring(client.get(arrange_url(pep_id)).get_data(as_text=True))
    boxes = document.xpath(f"//input[@name='{name}']")
    return boxes[0].get("value") or "" if boxes else ""


def meeting_form(client, pep, *, meeting_date=None, due_on=None, version=None, **extra):
    ticked = ticked_invitees(client, pep["id"])
    data = [
        ("csrf_token", csrf_token_from(client, arrange_url(pep["id"]))),
        *date_fields("meeting_date", meeting_date or pep["meeting_date"]),
        *date_fields("contributions_due_on", due_on or pep["due_on"]),
        ("starts_at", extra.pop("starts_at", "10:00")),
        ("ends_at", extra.pop("ends_at", "11:00")),
        ("place", extra.pop("place", "Riverside Academy, meeting room 2")),
        ("online_link", extra.pop("online_link", "")),
        ("iro_name", extra.pop("iro_name", page_value(client, pep["id"], "iro_name"))),
        ("iro_email", extra.pop("iro_email", page_value(client, pep["id"], "iro_email"))),
        ("people", "1"),
        ("person-0-name", extra.pop("person_name", "")),
        ("person-0-email", extra.pop("person_email", "")),
        *[("invitees", key) for key, _label, checked in ticked if checked],
    ]
    if version is not None:
        data.append(("version", str(version)))
    return data


def post_meeting(client, pep, **options):
    return client.post(
        f"/peps/{pep['id']}/meeting", data=MultiDict(meeting_form(client, pep, **options))
    )


def ics_of(client, pep_id) -> Calendar:
    response = client.get(f"/peps/{pep_id}/meeting.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    return Calendar.from_ical(response.get_data())


def audit_rows(pep_id, action: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_id == str(pep_id), AuditEvent.action == action)
            .order_by(AuditEvent.occurred_at_utc)
        )
    )


# --- Invitees --------------------------------------------------------------------------------


def test_invitees_are_the_childs_network_exactly(seeded, client_for, chloe_pep):
    client = client_for("social_worker")
    with seeded.app_context():
        teacher = user_by_email(DEMO_EMAILS["dt_riverside"])
        social_worker = user_by_email(DEMO_EMAILS["social_worker"])
        carer = user_by_email(DEMO_EMAILS["carer"])
        expected = [
            (f"user:{teacher.id}", "Tom Fletcher (Designated teacher)", True),
            (f"user:{social_worker.id}", "Sam Okoro (Social worker)", True),
            (f"user:{carer.id}", "Jo Marsh (Carer)", True),
            ("child", "Chloe Brown (Child or young person)", True),
        ]
    assert ticked_invitees(client, chloe_pep["id"]) == expected

    # A Virtual School adviser assigned to the child is invited too, after the carer.
    with seeded.app_context():
        adviser = user_by_email("vs.adviser@demo.openpep.test")
        child = db.session.scalar(select(Child).where(Child.authority_reference == CHLOE))
        db.session.add(RoleGrant(user_id=adviser.id, role=Role.VS_ADVISER.value, child_id=child.id))
        db.session.commit()
        adviser_key = f"user:{adviser.id}"
    assert ticked_invitees(client, chloe_pep["id"]) == [
        *expected[:3],
        (adviser_key, "Nadia Rahman (Virtual School adviser)", True),
        expected[3],
    ]
    page = client.get(arrange_url(chloe_pep["id"])).get_data(as_text=True)
    assert "Invited through their carer: the child is not emailed." in page


def test_a_carer_placed_after_the_peps_term_is_not_its_carer(
    seeded, client_for, chloe_pep, smtp_sink
):
    """A carer whose placement begins after the PEP's term may not read the PEP
    (`may_read_pep`): they are not proposed for its meeting, and one invited before their
    placement's start was moved later is emailed no link to a page that would refuse them."""
    client = client_for("social_worker")
    pep_id = chloe_pep["id"]
    with seeded.app_context():
        # The term's last day by the term dates the school follows.
        last_day = chloe_pep["window"].ends_on
        child = db.session.scalar(select(Child).where(Child.authority_reference == CHLOE))
        jo = user_by_email(DEMO_EMAILS["carer"])
        on_the_last_day = User(email="lee.stone@example.test", display_name="Lee Stone")
        after_the_term = User(email="kim.ward@example.test", display_name="Kim Ward")
        db.session.add_all([on_the_last_day, after_the_term])
        db.session.flush()
        db.session.add_all(
            [
                RoleGrant(
                    user=on_the_last_day,
                    role=Role.CARER.value,
                    child_id=child.id,
                    starts_on=last_day,
                ),
                RoleGrant(
                    user=after_the_term,
                    role=Role.CARER.value,
                    child_id=child.id,
                    starts_on=last_day + timedelta(days=1),
                ),
            ]
        )
        db.session.commit()
        jo_key, lee_key = f"user:{jo.id}", f"user:{on_the_last_day.id}"
        kim_key = f"user:{after_the_term.id}"
    proposed = ticked_invitees(client, pep_id)
    carers = [(key, label) for key, label, _ticked in proposed if "(Carer)" in label]
    assert carers == [(jo_key, "Jo Marsh (Carer)"), (lee_key, "Lee Stone (Carer)")]
    assert kim_key not in {key for key, _label, _ticked in proposed}

    assert post_meeting(client, chloe_pep).status_code == 303
    assert wait_for_background_emails(seeded)
    invited = {message.to: message for message in smtp_sink.wait_for(3)}
    assert set(invited) == {
        DEMO_EMAILS["carer"],
        DEMO_EMAILS["dt_riverside"],
        "lee.stone@example.test",
    }
    assert f"{BASE_URL}/peps/{pep_id}" in invited[DEMO_EMAILS["carer"]].text
    assert "left-network" not in client.get(arrange_url(pep_id)).get_data(as_text=True)

    # Jo's placement is recorded again as beginning after the term. When the meeting moves,
    # she is no longer proposed, so she is told she is no longer invited to the day she was
    # invited for: with no link to the PEP, which would refuse her, and the organiser's address
    # instead.
    with seeded.app_context():
        grant = db.session.scalar(
            select(RoleGrant).where(RoleGrant.user_id == jo.id, RoleGrant.child_id == child.id)
        )
        grant.starts_on = last_day + timedelta(days=1)
        db.session.commit()
    # The person arranging is told before they save.
    arrange_page = client.get(arrange_url(pep_id)).get_data(as_text=True)
    assert_accessible(arrange_page, "change, with someone no longer in the network")
    page = lxml.html.document_fromstring(arrange_page)
    [notice] = page.xpath("//*[@id='left-network']")
    assert "no longer in the child's network for this PEP, so not listed: Jo Marsh (Carer)." in (
        " ".join(notice.text_content().split())
    )
    smtp_sink.clear()
    moved = chloe_pep["meeting_date"] + timedelta(days=1)
    assert post_meeting(client, chloe_pep, meeting_date=moved, version=1).status_code == 303
    assert wait_for_background_emails(seeded)
    sent = {message.to: message for message in smtp_sink.wait_for(3)}
    to_jo = sent[DEMO_EMAILS["carer"]]
    first_day = format_date_for_people(chloe_pep["meeting_date"])
    assert to_jo.subject.startswith("No longer invited: PEP meeting")
    assert to_jo.subject.endswith(f"on {first_day}")
    assert "You are no longer invited to the PEP meeting" in to_jo.text
    assert str(calendar_attached(to_jo)["METHOD"]) == "CANCEL"
    assert BASE_URL not in to_jo.text and BASE_URL not in (to_jo.html or "")
    assert BASE_URL not in calendar_attached(to_jo).to_ical().decode()
    assert f"mailto:{DEMO_EMAILS['social_worker']}" in to_jo.text
    to_lee = sent["lee.stone@example.test"]
    assert to_lee.subject.startswith("Changed: PEP meeting")
    assert f"{BASE_URL}/peps/{pep_id}" in to_lee.text


def move_a_day_later_without_the_carer(
    seeded, client_for, pep: dict, smtp_sink, person_name: str, person_email: str
) -> date:
    """The social worker arranges the meeting, then moves it a day later with the carer
    unticked and someone added by hand; the first invitations are cleared from the sink.
    Returns the new day."""
    client = client_for("social_worker")
    assert post_meeting(client, pep).status_code == 303
    assert wait_for_background_emails(seeded)
    smtp_sink.wait_for(2)
    smtp_sink.clear()
    with seeded.app_context():
        jo_key = f"user:{user_by_email(DEMO_EMAILS['carer']).id}"
    moved = pep["meeting_date"] + timedelta(days=1)
    form = meeting_form(
        client,
        pep,
        meeting_date=moved,
        version=1,
        person_name=person_name,
        person_email=person_email,
    )
    assert ("invitees", jo_key) in form
    form = [pair for pair in form if pair != ("invitees", jo_key)]
    assert client.post(f"/peps/{pep['id']}/meeting", data=MultiDict(form)).status_code == 303
    return moved


def test_someone_still_invited_at_the_same_address_is_sent_the_change_only(
    seeded, client_for, chloe_pep, smtp_sink
):
    """A carer unticked and added again by hand (as when they are no longer proposed) is still
    invited: they are sent the change, and no cancellation that would remove the meeting from
    their calendar after it."""
    move_a_day_later_without_the_carer(
        seeded, client_for, chloe_pep, smtp_sink, "Jo Marsh", DEMO_EMAILS["carer"].upper()
    )
    assert wait_for_background_emails(seeded)
    sent = smtp_sink.wait_for(2)
    assert sorted((message.to.lower(), message.subject.split(":")[0]) for message in sent) == [
        (DEMO_EMAILS["carer"], "Changed"),
        (DEMO_EMAILS["dt_riverside"], "Changed"),
    ]
    with seeded.app_context():
        cancellations = db.session.scalar(
            select(func.count(Email.id)).where(
                Email.kind.in_(["meeting_cancelled", "meeting_uninvited"])
            )
        )
    assert cancellations == 0


def meeting_emails(app, pep_id) -> list[tuple[str, str]]:
    """(address, kind) of each meeting email recorded for the PEP, oldest first."""
    with app.app_context():
        return [
            (email.address, email.kind)
            for email in db.session.scalars(
                select(Email)
                .where(Email.pep_id == pep_id, Email.kind.like("meeting_%"))
                .order_by(Email.created_at_utc)
            )
        ]


def test_an_account_whose_address_changed_is_sent_the_change_only(seeded, client_for, chloe_pep):
    client = client_for("social_worker")
    assert post_meeting(client, chloe_pep).status_code == 303
    new_address = "tom.fletcher@riverside.sch.uk"
    with seeded.app_context():
        user_by_email(DEMO_EMAILS["dt_riverside"]).email = new_address
        db.session.commit()
    moved = chloe_pep["meeting_date"] + timedelta(days=1)
    assert post_meeting(client, chloe_pep, meeting_date=moved, version=1).status_code == 303
    to_tom = [
        kind for address, kind in meeting_emails(seeded, chloe_pep["id"]) if address == new_address
    ]
    assert to_tom == ["meeting_changed"]


def test_a_meeting_must_email_someone_the_child_alone_is_not_enough(seeded, client_for, chloe_pep):
    client = client_for("social_worker")
    form = [
        (key, value)
        for key, value in meeting_form(client, chloe_pep, iro_name="", iro_email="")
        if key != "invitees" or value == "child"
    ]
    assert ("invitees", "child") in form
    response = client.post(f"/peps/{chloe_pep['id']}/meeting", data=MultiDict(form))
    assert response.status_code == 400
    assert (
        "Select at least one person to invite by email: the child is invited through their carer"
        in response.get_data(as_text=True)
    )
    with seeded.app_context():
        assert (
            db.session.scalar(select(PepMeeting).where(PepMeeting.pep_id == chloe_pep["id"]))
            is None
        )


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"person_name": "A" * 201, "person_email": "amy@camhs.nhs.uk"},
            "person-0-name",
            "The name of person 1 must be 200 characters or fewer",
        ),
        (
            {"person_name": "Amy Lee", "person_email": "a" * 250 + "@camhs.nhs.uk"},
            "person-0-email",
            "The email address of person 1 must be 254 characters or fewer",
        ),
        (
            {"iro_name": "I" * 201, "iro_email": "irene@iro.gov.uk"},
            "iro_name",
            "The independent reviewing officer's name must be 200 characters or fewer",
        ),
        (
            {"iro_name": "Irene Roberts", "iro_email": "i" * 250 + "@iro.gov.uk"},
            "iro_email",
            "The independent reviewing officer's email address must be 254 characters or fewer",
        ),
    ],
)
def test_a_name_or_address_too_long_is_refused_in_plain_words(
    seeded, client_for, chloe_pep, changes, field, message
):
    """Never cut short without a word, and never a failure on PostgreSQL's column limits."""
    client = client_for("social_worker")
    response = client.post(
        f"/peps/{chloe_pep['id']}/meeting",
        data=MultiDict(meeting_form(client, chloe_pep, **changes)),
    )
    assert response.status_code == 400
    page = lxml.html.document_fromstring(response.get_data(as_text=True))
    assert page.xpath(f"//a[@href='#{field}']")[0].text_content().strip() == message
    with seeded.app_context():
        assert (
            db.session.scalar(select(PepMeeting).where(PepMeeting.pep_id == chloe_pep["id"]))
            is None
        )


def test_a_count_of_other_people_that_is_not_a_number_is_ignored(client_for, chloe_pep):
    """The hidden count is the browser's to send: anything else shows one row, as a form with
    an error does, rather than failing."""
    client = client_for("social_worker")
    form = [
        (key, "two" if key == "people" else value)
        for key, value in meeting_form(client, chloe_pep, starts_at="half ten")
    ]
    response = client.post(f"/peps/{chloe_pep['id']}/meeting", data=MultiDict(form))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="person-0-name"' in page and 'id="person-1-name"' not in page


def test_an_officer_left_out_of_a_meeting_is_not_put_back_when_it_changes(
    seeded, client_for, chloe_pep
):
    client = client_for("social_worker")
    pep_id = chloe_pep["id"]
    irene = "irene.roberts@iro.gov.uk"
    assert (
        post_meeting(client, chloe_pep, iro_name="Irene Roberts", iro_email=irene).status_code
        == 303
    )
    cancel = client.post(
        f"/peps/{pep_id}/meeting/cancel",
        data={"csrf_token": csrf_token_from(client, f"/peps/{pep_id}/meeting"), "version": "1"},
    )
    assert cancel.status_code == 303
    # A new meeting offers the officer remembered from the last; this one leaves her out.
    assert page_value(client, pep_id, "iro_email") == irene
    assert post_meeting(client, chloe_pep, iro_name="", iro_email="").status_code == 303
    assert page_value(client, pep_id, "iro_email") == ""
    moved = chloe_pep["meeting_date"] + timedelta(days=1)
    assert post_meeting(client, chloe_pep, meeting_date=moved, version=1).status_code == 303
    to_irene = [kind for address, kind in meeting_emails(seeded, pep_id) if address == irene]
    assert to_irene == ["meeting_invitation", "meeting_cancelled"]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)


def test_a_meeting_can_still_change_once_contributions_are_due(
    seeded, client_for, chloe_pep, clock
):
    """The date contributions were due by is not judged against today again: the room can
    change after it, and on the morning of the meeting it can move online."""
    client = client_for("social_worker")
    assert post_meeting(client, chloe_pep).status_code == 303
    meeting_date = chloe_pep["meeting_date"]
    clock.day = meeting_date - timedelta(days=2)  # contributions were due three days ago
    moved_room = post_meeting(client, chloe_pep, version=1, place="Riverside Academy, room 5")
    assert moved_room.status_code == 303
    clock.day = meeting_date
    online = post_meeting(
        client, chloe_pep, version=2, place="", online_link="https://meet.example.gov.uk/pep"
    )
    assert online.status_code == 303
    with seeded.app_context():
        meeting = db.session.scalar(select(PepMeeting).where(PepMeeting.pep_id == chloe_pep["id"]))
        assert (meeting.place, meeting.online_link) == (None, "https://meet.example.gov.uk/pep")
        assert meeting.contributions_due_on == chloe_pep["due_on"]
    # A new date for contributions is still judged: it cannot be in the past.
    refused = post_meeting(client, chloe_pep, version=3, due_on=meeting_date - timedelta(days=1))
    assert refused.status_code == 400
    assert "The date contributions are due by must be today or in the future" in (
        refused.get_data(as_text=True)
    )


def test_a_meeting_that_took_place_cannot_be_cancelled(seeded, client_for, chloe_pep, clock):
    """Its date is what the PEP's plans start from, and submitting needs it."""
    client = client_for("social_worker")
    pep_id = chloe_pep["id"]
    assert post_meeting(client, chloe_pep).status_code == 303
    assert wait_for_background_emails(seeded)
    clock.day = chloe_pep["meeting_date"]
    assert "Cancel the meeting" in client.get(f"/peps/{pep_id}/meeting").get_data(as_text=True)
    clock.day = chloe_pep["meeting_date"] + timedelta(days=3)
    page = client.get(f"/peps/{pep_id}/meeting").get_data(as_text=True)
    assert "Cancel the meeting" not in page and "Change the meeting" in page
    refused = client.post(
        f"/peps/{pep_id}/meeting/cancel",
        data={"csrf_token": csrf_token_from(client, f"/peps/{pep_id}/meeting"), "version": "1"},
    )
    assert refused.status_code == 403
    took_place = format_date_for_people(chloe_pep["meeting_date"])
    assert f"The meeting took place on {took_place}, so it cannot be cancelled." in (
        refused.get_data(as_text=True)
    )
    with seeded.app_context():
        pep = db.session.get(Pep, pep_id)
        assert pep.meeting_date == chloe_pep["meeting_date"]
        assert pep.section("meeting_details").answers["meeting_date"] == (
            chloe_pep["meeting_date"].isoformat()
        )
    kinds = [kind for _address, kind in meeting_emails(seeded, pep_id)]
    assert "meeting_cancelled" not in kinds


def at_riverside(pep: dict, starts_at: time) -> MeetingRequest:
    """An hour's meeting at Riverside on the PEP's meeting day, the child and an officer
    invited."""
    return MeetingRequest(
        meeting_date=pep["meeting_date"],
        starts_at=starts_at,
        ends_at=starts_at.replace(hour=starts_at.hour + 1),
        place="Riverside Academy, meeting room 2",
        online_link="",
        contributions_due_on=pep["due_on"],
        invitee_keys=["child"],
        iro_name="Irene Roberts",
        iro_email="irene.roberts@iro.gov.uk",
    )


@pytest.mark.parametrize("change", ["reschedule", "cancel"])
def test_a_change_that_races_a_submission_is_refused(seeded, chloe_pep, change):
    """The meeting page was loaded while the PEP was a draft; it was submitted before the
    change was sent. The change is refused and nothing of it is written."""
    from portal.children.queries import roles_for_child
    from portal.operations.audit import Actor
    from portal.operations.meetings import (
        MeetingRefused,
        cancel_meeting,
        reschedule_meeting,
        schedule_meeting,
    )

    with seeded.app_context():
        worker = user_by_email(DEMO_EMAILS["social_worker"])
        pep = db.session.get(Pep, chloe_pep["id"])
        roles = roles_for_child(worker, pep.child)
        meeting = schedule_meeting(
            db.session,
            Actor.for_user(worker, None),
            worker,
            pep,
            roles,
            at_riverside(chloe_pep, time(10, 0)),
            settings=seeded.config,
        )
        assert pep.state == "draft" and meeting.version == 1
        # Another request submits the PEP and commits.
        with db.engine.begin() as other:
            other.execute(
                Pep.__table__.update()
                .where(Pep.__table__.c.id == pep.id)
                .values(state="submitted", version=Pep.__table__.c.version + 1)
            )
        actor = Actor.for_user(worker, None)
        with pytest.raises(MeetingRefused):
            if change == "reschedule":
                reschedule_meeting(
                    db.session,
                    actor,
                    worker,
                    meeting,
                    roles,
                    at_riverside(chloe_pep, time(14, 0)),
                    1,
                    settings=seeded.config,
                )
            else:
                cancel_meeting(db.session, actor, worker, meeting, roles, 1, settings=seeded.config)
        db.session.rollback()
        stored = db.session.scalar(select(PepMeeting).where(PepMeeting.id == meeting.id))
        assert (stored.starts_at, stored.cancelled_at_utc, stored.version) == (time(10, 0), None, 1)


def test_a_change_invites_those_added_and_tells_those_taken_off_which_day(
    seeded, client_for, chloe_pep, smtp_sink
):
    """Someone added when the meeting moves is invited, not told of a change to a meeting they
    never knew of; someone taken off is told they are no longer invited, to the day they were
    invited for, not that the meeting is cancelled."""
    pep_id = chloe_pep["id"]
    moved = move_a_day_later_without_the_carer(
        seeded, client_for, chloe_pep, smtp_sink, "Bo Rahman", "bo.rahman@camhs.nhs.uk"
    )
    assert wait_for_background_emails(seeded)
    sent = {message.to: message for message in smtp_sink.wait_for(3)}
    with seeded.app_context():
        reference = pep_short_reference(db.session.get(Pep, pep_id))
    first, now = (format_date_for_people(day) for day in (chloe_pep["meeting_date"], moved))
    assert {to: message.subject for to, message in sent.items()} == {
        "bo.rahman@camhs.nhs.uk": f"Invitation: PEP meeting {reference} on {now}",
        DEMO_EMAILS["dt_riverside"]: f"Changed: PEP meeting {reference}, now on {now}",
        DEMO_EMAILS["carer"]: f"No longer invited: PEP meeting {reference} on {first}",
    }
    assert "You are invited to a PEP meeting." in sent["bo.rahman@camhs.nhs.uk"].text
    to_jo = sent[DEMO_EMAILS["carer"]]
    assert "You are no longer invited to the PEP meeting" in to_jo.text
    assert f"on {calendar_day(chloe_pep['meeting_date'])} {first}, 10:00 to 11:00" in to_jo.text
    assert str(calendar_attached(to_jo)["METHOD"]) == "CANCEL"


def calendar_day(day: date) -> str:
    return f"{day:%A}"


def test_someone_invited_who_changes_the_meeting_is_sent_the_change(
    seeded, client_for, chloe_pep, smtp_sink
):
    """The teacher was emailed the social worker's invitation, so their calendar holds it:
    when they move or cancel the meeting themselves, they are sent the change too. The person
    who arranged it, never emailed it, is not."""
    social_worker, teacher = client_for("social_worker"), client_for("dt_riverside")
    pep_id = chloe_pep["id"]
    assert post_meeting(social_worker, chloe_pep).status_code == 303
    assert wait_for_background_emails(seeded)
    smtp_sink.wait_for(2)
    smtp_sink.clear()
    moved = chloe_pep["meeting_date"] + timedelta(days=1)
    assert post_meeting(teacher, chloe_pep, meeting_date=moved, version=1).status_code == 303
    assert wait_for_background_emails(seeded)
    changed = smtp_sink.wait_for(3)
    assert sorted(message.to for message in changed) == sorted(
        [DEMO_EMAILS["carer"], DEMO_EMAILS["dt_riverside"], DEMO_EMAILS["social_worker"]]
    )
    smtp_sink.clear()
    cancel = teacher.post(
        f"/peps/{pep_id}/meeting/cancel",
        data={"csrf_token": csrf_token_from(teacher, f"/peps/{pep_id}/meeting"), "version": "2"},
    )
    assert cancel.status_code == 303
    assert wait_for_background_emails(seeded)
    cancelled = smtp_sink.wait_for(3)
    assert DEMO_EMAILS["dt_riverside"] in {message.to for message in cancelled}


def test_saving_the_meeting_unchanged_sends_nobody_anything(seeded, client_for, chloe_pep):
    client = client_for("social_worker")
    pep_id = chloe_pep["id"]
    assert post_meeting(client, chloe_pep).status_code == 303
    sent_before = meeting_emails(seeded, pep_id)
    response = post_meeting(client, chloe_pep, version=1)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("done=unchanged")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Nothing was changed, so nobody has been sent anything" in page
    assert meeting_emails(seeded, pep_id) == sent_before
    with seeded.app_context():
        meeting = db.session.scalar(select(PepMeeting).where(PepMeeting.pep_id == pep_id))
        assert (meeting.version, meeting.sequence) == (1, 0)
    # A change of one word is a change.
    assert (
        post_meeting(client, chloe_pep, version=1, place="Riverside Academy, room 3")
        .headers["Location"]
        .endswith("done=changed")
    )


def test_the_meeting_details_venue_follows_the_meeting_unless_typed_by_hand(
    seeded, client_for, chloe_pep
):
    client = client_for("social_worker")
    pep_id = chloe_pep["id"]

    def venue() -> str | None:
        with seeded.app_context():
            return (
                db.session.get(Pep, pep_id).section("meeting_details").answers.get("meeting_venue")
            )

    with seeded.app_context():
        section = db.session.get(Pep, pep_id).section("meeting_details")
        section.answers = {k: v for k, v in section.answers.items() if k != "meeting_venue"}
        db.session.commit()
    assert post_meeting(client, chloe_pep, place="Riverside Academy, room 2").status_code == 303
    assert venue() == "Riverside Academy, room 2"
    assert post_meeting(client, chloe_pep, version=1, place="Town Hall, room 4").status_code == 303
    assert venue() == "Town Hall, room 4"
    # Typed into the section by the teacher: theirs, kept when the meeting moves again.
    with seeded.app_context():
        section = db.session.get(Pep, pep_id).section("meeting_details")
        section.answers = {**section.answers, "meeting_venue": "Town Hall, the blue room"}
        section.answer_editors = {**(section.answer_editors or {}), "meeting_venue": "dt"}
        db.session.commit()
    assert post_meeting(client, chloe_pep, version=2, place="Library, room 1").status_code == 303
    assert venue() == "Town Hall, the blue room"


def test_someone_already_invited_and_added_by_hand_too_is_invited_once(
    seeded, client_for, chloe_pep, smtp_sink
):
    client = client_for("social_worker")
    response = post_meeting(
        client, chloe_pep, person_name="Jo Marsh", person_email=DEMO_EMAILS["carer"].upper()
    )
    assert response.status_code == 303
    assert wait_for_background_emails(seeded)
    assert sorted(message.to.lower() for message in smtp_sink.wait_for(2)) == sorted(
        [DEMO_EMAILS["carer"], DEMO_EMAILS["dt_riverside"]]
    )
    assert [to for to, _kind in meeting_emails(seeded, chloe_pep["id"])].count(
        DEMO_EMAILS["carer"]
    ) == 1


# --- Schedule, reschedule, cancel ------------------------------------------------------------


def test_schedule_reschedule_and_cancel_with_the_calendar_file_and_the_audit(
    seeded, client_for, chloe_pep
):
    client = client_for("social_worker")
    pep_id = chloe_pep["id"]
    response = post_meeting(
        client,
        chloe_pep,
        iro_name="Irene Roberts",
        iro_email="Irene.Roberts@iro.example.gov.uk",
        person_name="Dr Amy Lin",
        person_email="amy.lin@camhs.example.nhs.uk",
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    assert response.headers["Location"].startswith(f"/peps/{pep_id}/meeting")
    meeting_date = chloe_pep["meeting_date"]

    with seeded.app_context():
        pep = db.session.get(Pep, pep_id)
        meeting = db.session.scalar(select(PepMeeting).where(PepMeeting.pep_id == pep_id))
        meeting_uid = meeting.calendar_uid
        # One date everywhere: the PEP, its section, and the Word record.
        assert pep.meeting_date == meeting_date
        section = pep.section("meeting_details")
        assert section.answers["meeting_date"] == meeting_date.isoformat()
        assert section.answer_versions["meeting_date"] == section.version
        from portal.exports.content import _meeting_date

        answers = {s.section_key: s.answers for s in pep.sections}
        assert _meeting_date(pep, answers) == format_date_for_people(meeting_date)
        invited = [
            (row.role, row.name, row.email, row.invited_by_email) for row in meeting.invitees
        ]
        assert invited == [
            ("designated_teacher", "Tom Fletcher", DEMO_EMAILS["dt_riverside"], True),
            ("social_worker", "Sam Okoro", DEMO_EMAILS["social_worker"], True),
            ("carer", "Jo Marsh", DEMO_EMAILS["carer"], True),
            ("child", "Chloe Brown", None, False),
            (
                "independent_reviewing_officer",
                "Irene Roberts",
                "irene.roberts@iro.example.gov.uk",
                True,
            ),
            ("other", "Dr Amy Lin", "amy.lin@camhs.example.nhs.uk", True),
        ]
        [scheduled] = audit_rows(pep_id, "pep.meeting_scheduled")
        assert scheduled.details["meeting_date"] == meeting_date.isoformat()
        assert scheduled.details["starts_at"] == "10:00"
        assert scheduled.details["sequence"] == 0
        assert scheduled.details["section_version"] == section.version
        assert "Chloe" not in str(scheduled.details)
        reference = pep_short_reference(pep)

    calendar = ics_of(client, pep_id)
    assert str(calendar["METHOD"]) == "REQUEST"
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == meeting_uid
    assert event.decoded("SEQUENCE") == 0
    assert str(event["SUMMARY"]) == f"PEP meeting {reference}"
    assert "Chloe" not in calendar.to_ical().decode()
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert (start.date(), start.hour, start.minute) == (meeting_date, 10, 0)
    assert (end.hour, end.minute) == (11, 0)
    assert str(start.tzinfo) == "Europe/London"
    assert event["DTSTART"].params["TZID"] == "Europe/London"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/London"]
    assert str(event["LOCATION"]) == "Riverside Academy, meeting room 2"
    assert str(event["ORGANIZER"]) == f"mailto:{DEMO_EMAILS['social_worker']}"
    assert event["ORGANIZER"].params["CN"] == "Sam Okoro"
    attendees = event["ATTENDEE"]
    assert sorted(str(a) for a in attendees) == sorted(
        f"mailto:{email}"
        for email in (
            DEMO_EMAILS["dt_riverside"],
            DEMO_EMAILS["social_worker"],
            DEMO_EMAILS["carer"],
            "irene.roberts@iro.example.gov.uk",
            "amy.lin@camhs.example.nhs.uk",
        )
    )
    description = str(event["DESCRIPTION"])
    assert f"contributions by {format_date_for_people(chloe_pep['due_on'])}" in description
    assert f"/peps/{pep_id}" in description

    # Moved a day later and online: same UID, sequence 1, the dates follow.
    new_date = meeting_date + timedelta(days=1)
    response = post_meeting(
        client,
        chloe_pep,
        meeting_date=new_date,
        version=1,
        starts_at="14:30",
        ends_at="15:15",
        place="",
        online_link="https://meet.example.gov.uk/pep-123",
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    calendar = ics_of(client, pep_id)
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == meeting_uid
    assert event.decoded("SEQUENCE") == 1
    assert event.decoded("DTSTART").date() == new_date
    assert (event.decoded("DTSTART").hour, event.decoded("DTSTART").minute) == (14, 30)
    assert str(event["URL"]) == "https://meet.example.gov.uk/pep-123"
    assert "LOCATION" not in event
    with seeded.app_context():
        pep = db.session.get(Pep, pep_id)
        assert pep.meeting_date == new_date
        assert pep.section("meeting_details").answers["meeting_date"] == new_date.isoformat()
        [moved] = audit_rows(pep_id, "pep.meeting_rescheduled")
        assert moved.details["before"]["meeting_date"] == meeting_date.isoformat()
        assert moved.details["meeting_date"] == new_date.isoformat()
        assert moved.details["sequence"] == 1
        meeting = db.session.scalar(select(PepMeeting).where(PepMeeting.pep_id == pep_id))
        version = meeting.version

    # The IRO is remembered: the form offers them again.
    page = client.get(arrange_url(pep_id)).get_data(as_text=True)
    assert 'value="irene.roberts@iro.example.gov.uk"' in page

    response = client.post(
        f"/peps/{pep_id}/meeting/cancel",
        data={"csrf_token": csrf_token_from(client, f"/peps/{pep_id}/meeting"), "version": version},
    )
    assert response.status_code == 303
    assert client.get(f"/peps/{pep_id}/meeting.ics").status_code == 404
    with seeded.app_context():
        pep = db.session.get(Pep, pep_id)
        meeting = db.session.scalar(select(PepMeeting).where(PepMeeting.pep_id == pep_id))
        assert meeting.cancelled and meeting.sequence == 2
        assert pep.meeting_date is None
        assert "meeting_date" not in pep.section("meeting_details").answers
        [cancelled] = audit_rows(pep_id, "pep.meeting_cancelled")
        assert cancelled.details["sequence"] == 2
        cancellation = Calendar.from_ical(
            build_invitation(
                meeting,
                "https://pep.example/peps/x",
                organizer_name="Sam Okoro",
                organizer_email=DEMO_EMAILS["social_worker"],
                cancelled=True,
            )
        )
    assert str(cancellation["METHOD"]) == "CANCEL"
    [event] = cancellation.walk("VEVENT")
    assert str(event["UID"]) == meeting_uid
    assert event.decoded("SEQUENCE") == 2
    assert str(event["STATUS"]) == "CANCELLED"

    # Another meeting can now be arranged: a new one, with its own UID.
    assert post_meeting(client, chloe_pep).status_code == 303
    [event] = ics_of(client, pep_id).walk("VEVENT")
    assert str(event["UID"]) != meeting_uid
    assert event.decoded("SEQUENCE") == 0


def test_a_date_outside_the_term_is_refused_with_the_terms_dates(seeded, client_for, chloe_pep):
    client = client_for("dt_riverside")
    window = chloe_pep["window"]
    response = post_meeting(
        client,
        chloe_pep,
        meeting_date=window.ends_on + timedelta(days=1),
        due_on=window.ends_on - timedelta(days=3),
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    sentence = (
        f"The meeting must be in the PEP&#39;s term: {window.name} runs from "
        f"{format_date_for_people(window.starts_on)} to {format_date_for_people(window.ends_on)}"
    )
    assert sentence in page
    assert 'href="#meeting_date-day"' in page
    assert_accessible(page, "arrange with an error")
    with seeded.app_context():
        assert (
            db.session.scalar(select(PepMeeting).where(PepMeeting.pep_id == chloe_pep["id"]))
            is None
        )


def test_contributions_due_on_or_after_the_meeting_and_bad_times_are_refused(client_for, chloe_pep):
    client = client_for("dt_riverside")
    response = post_meeting(
        client, chloe_pep, due_on=chloe_pep["meeting_date"], starts_at="11:00", ends_at="10:00"
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Contributions must be due before the day of the meeting" in page
    assert "The meeting must end after it starts" in page
    response = post_meeting(client, chloe_pep, starts_at="25:00", place="", online_link="")
    page = response.get_data(as_text=True)
    assert "The start time must be a time on the 24-hour clock, for example 14:30" in page
    assert "Enter where the meeting will be, or a link to join it online" in page


@pytest.mark.parametrize(
    ("day", "month", "message"),
    [
        # Too large for any date: once a server error that lost the whole form.
        ("99999999999999999999", "1", "The date of the meeting must be a real date"),
        ("1", "99999999999999999999", "The date of the meeting must be a real date"),
        ("31", "2", "The date of the meeting must be a real date"),
        ("", "3", "The date of the meeting must include a day"),
    ],
)
def test_a_meeting_date_that_is_no_date_is_refused_in_words_keeping_what_was_typed(
    seeded, client_for, chloe_pep, day, month, message
):
    client = client_for("dt_riverside")
    data = MultiDict(meeting_form(client, chloe_pep, place="The library, Riverside Academy"))
    data.setlist("meeting_date-day", [day])
    data.setlist("meeting_date-month", [month])
    response = client.post(f"/peps/{chloe_pep['id']}/meeting", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert 'href="#meeting_date-day"' in page or 'href="#meeting_date-month"' in page
    assert "The library, Riverside Academy" in page  # nothing typed is lost
    with seeded.app_context():
        assert (
            db.session.scalar(select(PepMeeting).where(PepMeeting.pep_id == chloe_pep["id"]))
            is None
        )


def test_a_change_from_an_out_of_date_page_is_a_conflict(seeded, client_for, chloe_pep):
    teacher, social_worker = client_for("dt_riverside"), client_for("social_worker")
    assert post_meeting(teacher, chloe_pep).status_code == 303
    # Both open the change page at version 1; the teacher saves first.
    stale = meeting_form(social_worker, chloe_pep, version=1, starts_at="09:00", ends_at="09:45")
    moved = chloe_pep["meeting_date"] + timedelta(days=2)
    assert post_meeting(teacher, chloe_pep, meeting_date=moved, version=1).status_code == 303
    response = social_worker.post(f"/peps/{chloe_pep['id']}/meeting", data=MultiDict(stale))
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert (
        "Someone changed this meeting after you opened the page: it is now on "
        f"{format_date_for_people(moved)} at 10:00. Check the details and make your change again."
    ) in page
    with seeded.app_context():
        meeting = db.session.scalar(select(PepMeeting).where(PepMeeting.pep_id == chloe_pep["id"]))
        assert (meeting.meeting_date, meeting.starts_at.hour, meeting.sequence) == (moved, 10, 1)


def test_a_section_page_open_from_before_cannot_overwrite_the_meeting_date(
    seeded, client_for, chloe_pep
):
    """The meeting's date goes through the section's version rules."""
    from tests.integration.pep_helpers import form_fields, replace_field, section_url

    teacher = client_for("dt_riverside")
    pep_id = chloe_pep["id"]
    before = form_fields(teacher.get(section_url(pep_id, "meeting_details")).get_data(as_text=True))
    assert post_meeting(client_for("social_worker"), chloe_pep).status_code == 303
    other_day = chloe_pep["meeting_date"] + timedelta(days=5)
    data = replace_field(before, "meeting_date-day", str(other_day.day))
    data = replace_field(data, "meeting_date-month", str(other_day.month))
    data = replace_field(data, "meeting_date-year", str(other_day.year))
    response = teacher.post(section_url(pep_id, "meeting_details"), data=MultiDict(data))
    assert response.status_code == 409
    with seeded.app_context():
        pep = db.session.get(Pep, pep_id)
        assert pep.section("meeting_details").answers["meeting_date"] == (
            chloe_pep["meeting_date"].isoformat()
        )


# --- Who may arrange -------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["carer", "reviewer", "admin"])
def test_people_who_may_not_arrange_are_refused(who, seeded, client_for, chloe_pep):
    arranger = client_for("social_worker")
    assert post_meeting(arranger, chloe_pep).status_code == 303
    client = client_for(who)
    pep_id = chloe_pep["id"]
    # They read the meeting and its calendar file...
    page = client.get(f"/peps/{pep_id}/meeting")
    assert page.status_code == 200
    assert "Cancel the meeting" not in page.get_data(as_text=True)
    assert client.get(f"/peps/{pep_id}/meeting.ics").status_code == 200
    # ...but cannot arrange, change or cancel it.
    token = csrf_token_from(client, f"/peps/{pep_id}/meeting")
    assert client.get(arrange_url(pep_id)).status_code == 403
    form = meeting_form(arranger, chloe_pep, version=1)
    form = [(k, token if k == "csrf_token" else v) for k, v in form]
    assert client.post(f"/peps/{pep_id}/meeting", data=MultiDict(form)).status_code == 403
    response = client.post(
        f"/peps/{pep_id}/meeting/cancel", data={"csrf_token": token, "version": "1"}
    )
    assert response.status_code == 403
    with seeded.app_context():
        meeting = db.session.scalar(select(PepMeeting).where(PepMeeting.pep_id == pep_id))
        assert not meeting.cancelled and meeting.sequence == 0


def test_a_teacher_at_another_school_cannot_see_the_meeting(client_for, chloe_pep):
    client = client_for("dt_oakfield")
    pep_id = chloe_pep["id"]
    for url in (f"/peps/{pep_id}/meeting", arrange_url(pep_id), f"/peps/{pep_id}/meeting.ics"):
        assert client.get(url).status_code == 404


def test_a_submitted_pep_has_its_meeting_fixed(seeded, client_for, chloe_pep):
    client = client_for("social_worker")
    with seeded.app_context():
        pep = db.session.get(Pep, chloe_pep["id"])
        pep.state = "submitted"
        db.session.commit()
    page = client.get(arrange_url(chloe_pep["id"]))
    assert page.status_code == 200
    assert "This PEP is submitted, so its meeting cannot be arranged or changed." in re.sub(
        r"\s+", " ", page.get_data(as_text=True)
    )
    response = post_meeting(client, chloe_pep)
    assert response.status_code == 403


def test_the_pages_pass_the_page_checks(client_for, chloe_pep):
    client = client_for("social_worker")
    pep_id = chloe_pep["id"]
    assert_accessible(client.get(f"/peps/{pep_id}/meeting").get_data(as_text=True), "no meeting")
    arrange_page = client.get(arrange_url(pep_id)).get_data(as_text=True)
    assert_accessible(arrange_page, "arrange")
    # Everyone invited sees the place: the hint warns against a home address.
    assert "Do not put a home address here" in arrange_page
    assert (
        post_meeting(client, chloe_pep, online_link="https://meet.example.gov.uk/a").status_code
        == 303
    )
    assert_accessible(client.get(f"/peps/{pep_id}/meeting").get_data(as_text=True), "meeting")
    assert_accessible(client.get(arrange_url(pep_id)).get_data(as_text=True), "change")
    form = meeting_form(client, chloe_pep, version=1)
    form = [(k, v) for k, v in form if k != "action"] + [("action", "add_person")]
    response = client.post(f"/peps/{pep_id}/meeting", data=MultiDict(form))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'id="person-1-name"' in page
    assert_accessible(page, "add another person")


# --- The invitation by email -----------------------------------------------------------------


def calendar_attached(message) -> Calendar:
    """The .ics attached to a received email, parsed back."""
    [part] = [
        p for p in message.message.iter_attachments() if p.get_content_type() == "text/calendar"
    ]
    assert part.get_filename().endswith("-meeting.ics")
    return Calendar.from_ical(part.get_content())


def test_the_invitation_arrives_through_smtp(seeded, client_for, chloe_pep, smtp_sink):
    """Each invitee with an email address is emailed (not the person who arranged it) with the
    calendar invitation attached; the subject names the PEP's reference, never the child; the
    email links to the PEP; a change and a cancellation are sent again."""
    client = client_for("social_worker")
    pep_id = chloe_pep["id"]
    iro = "irene.roberts@iro.example.gov.uk"
    response = post_meeting(client, chloe_pep, iro_name="Irene Roberts", iro_email=iro)
    assert response.status_code == 303
    assert wait_for_background_emails(seeded)
    with seeded.app_context():
        reference = pep_short_reference(db.session.get(Pep, pep_id))
        uid = db.session.scalar(select(PepMeeting).where(PepMeeting.pep_id == pep_id)).calendar_uid
    day = format_date_for_people(chloe_pep["meeting_date"])
    messages = smtp_sink.wait_for(3)
    invitation = f"Invitation: PEP meeting {reference} on {day}"
    assert sorted((m.to, m.subject) for m in messages) == [
        (DEMO_EMAILS["carer"], invitation),
        (DEMO_EMAILS["dt_riverside"], invitation),
        (iro, invitation),
    ]
    for message in messages:
        assert f"by {format_date_for_people(chloe_pep['due_on'])}" in message.text
        calendar = calendar_attached(message)
        assert str(calendar["METHOD"]) == "REQUEST"
        [event] = calendar.walk("VEVENT")
        # Each file names the organiser and its recipient: nobody else's address.
        assert str(event["ORGANIZER"]) == f"mailto:{DEMO_EMAILS['social_worker']}"
        assert str(event["ATTENDEE"]) == f"mailto:{message.to}"
        if message.to == iro:
            # No account: no portal link they could not open; the calendar file is attached.
            assert BASE_URL not in message.text and BASE_URL not in (message.html or "")
            assert BASE_URL not in calendar.to_ical().decode()
            assert "The calendar invitation is attached to this email" in message.text
            assert f"mailto:{DEMO_EMAILS['social_worker']}" in message.text
            # Nor is someone without an account told their emails are kept for them to read.
            assert "you were invited to a PEP meeting" in message.text
            assert "have an account" not in message.text + (message.html or "")
        else:
            assert f"{BASE_URL}/peps/{pep_id}" in message.text
            assert "you have an account" in message.text
        assert (str(event["UID"]), event.decoded("SEQUENCE")) == (uid, 0)
        assert event.decoded("DTSTART").date() == chloe_pep["meeting_date"]
        assert str(event["SUMMARY"]) == f"PEP meeting {reference}"

    smtp_sink.clear()
    moved = chloe_pep["meeting_date"] + timedelta(days=1)
    assert post_meeting(client, chloe_pep, meeting_date=moved, version=1).status_code == 303
    assert wait_for_background_emails(seeded)
    messages = smtp_sink.wait_for(3)
    changed = f"Changed: PEP meeting {reference}, now on {format_date_for_people(moved)}"
    assert sorted(m.subject for m in messages) == [changed] * 3
    for message in messages:
        [event] = calendar_attached(message).walk("VEVENT")
        assert (str(event["UID"]), event.decoded("SEQUENCE")) == (uid, 1)
        assert event.decoded("DTSTART").date() == moved

    smtp_sink.clear()
    with seeded.app_context():
        version = db.session.scalar(select(PepMeeting.version).where(PepMeeting.pep_id == pep_id))
    response = client.post(
        f"/peps/{pep_id}/meeting/cancel",
        data={"csrf_token": csrf_token_from(client, f"/peps/{pep_id}/meeting"), "version": version},
    )
    assert response.status_code == 303
    assert wait_for_background_emails(seeded)
    messages = smtp_sink.wait_for(3)
    cancelled = f"Cancelled: PEP meeting {reference} on {format_date_for_people(moved)}"
    assert sorted(m.subject for m in messages) == [cancelled] * 3
    for message in messages:
        calendar = calendar_attached(message)
        assert str(calendar["METHOD"]) == "CANCEL"
        [event] = calendar.walk("VEVENT")
        assert (str(event["UID"]), event.decoded("SEQUENCE")) == (uid, 2)
        assert str(event["STATUS"]) == "CANCELLED"


def test_the_childs_virtual_school_adviser_may_arrange(seeded, sign_in, chloe_pep, smtp_sink):
    with seeded.app_context():
        adviser = user_by_email("vs.adviser@demo.openpep.test")
        child = db.session.scalar(select(Child).where(Child.authority_reference == CHLOE))
        db.session.add(RoleGrant(user_id=adviser.id, role=Role.VS_ADVISER.value, child_id=child.id))
        db.session.commit()
    client = seeded.test_client()
    assert sign_in(client, "vs.adviser@demo.openpep.test").status_code == 302
    response = post_meeting(client, chloe_pep)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("?done=arranged")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Meeting arranged: the invitations are being sent" in page
    with seeded.app_context():
        meeting = db.session.scalar(select(PepMeeting).where(PepMeeting.pep_id == chloe_pep["id"]))
        assert meeting.arranged_by_id == adviser.id


def test_a_section_date_changed_by_hand_is_shown_as_disagreeing(seeded, client_for, chloe_pep):
    client = client_for("social_worker")
    assert post_meeting(client, chloe_pep).status_code == 303
    other_day = chloe_pep["meeting_date"] + timedelta(days=3)
    with seeded.app_context():
        section = db.session.get(Pep, chloe_pep["id"]).section("meeting_details")
        section.answers = {**section.answers, "meeting_date": other_day.isoformat()}
        db.session.commit()
    page = client.get(f"/peps/{chloe_pep['id']}/meeting").get_data(as_text=True)
    assert (
        f"The meeting details section gives the meeting date as {format_date_for_people(other_day)}"
        f", but the meeting is arranged for {format_date_for_people(chloe_pep['meeting_date'])}."
    ) in page
    assert_accessible(page, "dates disagree")
    # Words in the address never reach the page.
    page = client.get(f"/peps/{chloe_pep['id']}/meeting?done=Your+account+is+locked")
    assert "Your account is locked" not in page.get_data(as_text=True)


def test_the_schools_own_term_dates_decide_the_term(seeded, client_for, chloe_pep):
    """With term dates recorded for the child's school, the meeting must fall inside them."""
    from portal.models import TermDate

    year = chloe_pep["window"].starts_on.year
    with seeded.app_context():
        child = db.session.scalar(select(Child).where(Child.authority_reference == CHLOE))
        db.session.add(
            TermDate(
                school_id=child.current_school_id,
                academic_year=year,
                term="autumn",
                starts_on=date(year, 9, 6),
                ends_on=date(year, 12, 17),
                half_term_starts_on=date(year, 10, 25),
                half_term_ends_on=date(year, 10, 29),
                inset_days=[],
            )
        )
        db.session.commit()
        window = term_window(db.session, db.session.get(Pep, chloe_pep["id"]))
    assert (window.starts_on, window.ends_on) == (date(year, 9, 6), date(year, 12, 17))
    client = client_for("dt_riverside")
    response = post_meeting(
        client, chloe_pep, meeting_date=date(year, 12, 18), due_on=date(year, 12, 10)
    )
    assert response.status_code == 400
    assert (
        f"Autumn term {year}/{(year + 1) % 100:02d} runs from 6 September {year} to "
        f"17 December {year}"
    ) in response.get_data(as_text=True)
    assert (
        post_meeting(
            client, chloe_pep, meeting_date=date(year, 12, 17), due_on=date(year, 12, 10)
        ).status_code
        == 303
    )


def test_downloading_the_calendar_file_is_audited_like_reading_the_meeting(
    seeded, client_for, chloe_pep
):
    """The downloaded file names everyone invited, with their addresses: a read of the meeting."""
    pep_id = chloe_pep["id"]
    assert post_meeting(client_for("social_worker"), chloe_pep).status_code == 303

    def meeting_reads():
        with seeded.app_context():
            return [
                (row.actor_user_id, (row.details or {}).get("part"))
                for row in audit_rows(pep_id, "pep.viewed")
                if (row.details or {}).get("part") == "meeting"
            ]

    before = meeting_reads()
    teacher = client_for("dt_riverside")
    ics_of(teacher, pep_id)
    after = meeting_reads()
    assert len(after) == len(before) + 1
    with seeded.app_context():
        teacher_id = db.session.scalar(
            select(User.id).where(User.email == DEMO_EMAILS["dt_riverside"])
        )
    assert after[-1] == (teacher_id, "meeting")


def test_opening_the_arrange_page_is_audited_like_reading_the_meeting(
    seeded, client_for, chloe_pep
):
    """It shows the booked meeting as the meeting page does: the place, everyone invited and
    their addresses."""
    pep_id = chloe_pep["id"]
    social_worker = client_for("social_worker")
    assert post_meeting(social_worker, chloe_pep).status_code == 303
    with seeded.app_context():
        sam_id = db.session.scalar(
            select(User.id).where(User.email == DEMO_EMAILS["social_worker"])
        )

    def meeting_reads_by_sam() -> int:
        with seeded.app_context():
            return sum(
                1
                for row in audit_rows(pep_id, "pep.viewed")
                if row.actor_user_id == sam_id and (row.details or {}).get("part") == "meeting"
            )

    before = meeting_reads_by_sam()
    page = social_worker.get(arrange_url(pep_id))
    assert page.status_code == 200
    shown = page.get_data(as_text=True)
    assert "Riverside Academy, meeting room 2" in shown
    assert DEMO_EMAILS["carer"] in shown
    assert meeting_reads_by_sam() == before + 1
