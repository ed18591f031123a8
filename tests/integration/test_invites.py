"""Links for the child's voice and the carer's views: creating, using, stopping, reopening,
expiry, isolation, the rate limit, staff's note and the reason the child's views are absent."""

import hashlib
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select, update
from werkzeug.datastructures import MultiDict

from portal.academic import england_today
from portal.extensions import db
from portal.form_registry import definition_for
from portal.models import AuditEvent, Base, Child, ContributionInvite, Pep, User
from portal.operations.audit import Actor
from portal.operations.invites import (
    Contributor,
    InviteRefused,
    holder_actor,
    save_through_invite,
)
from tests.conftest import csrf_token_from
from tests.integration.pep_helpers import (
    form_fields,
    invite_token,
    open_pep_id,
    replace_field,
    stored_section,
)
from tests.integration.test_child_life_events import child_id_of, date_fields, post_change

HARRY = "DCC-1106"  # Oakfield, Year 5: primary band
CHLOE = "DCC-1201"  # Riverside, Year 7: secondary band; the demo social worker and carer's
AVA = "DCC-1001"  # nursery: early-years band
NOT_WORKING = "This link does not work"
ON = england_today()


def contributions_url(pep_id):
    return f"/peps/{pep_id}/contributions"


def staff_post(client, pep_id, path, data=None):
    token = csrf_token_from(client, contributions_url(pep_id))
    return client.post(contributions_url(pep_id) + path, data={"csrf_token": token, **(data or {})})


def create_link(client, pep_id, section_key):
    response = staff_post(client, pep_id, "", {"section_key": section_key})
    assert response.status_code == 200, response.status_code
    html = response.get_data(as_text=True)
    link = re.search(r'id="invite-link"[^>]*value="([^"]+)"', html).group(1)
    return link, html


def token_of(link):
    return urlsplit(link).path.rsplit("/", 1)[1]


def holder_client(app, address="10.0.0.1"):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def open_link(client, token):
    """Open the link as a browser does: the token is exchanged for a cookie and a redirect to
    the holder's page, whose address carries no token. None when the link does not open."""
    response = client.get(f"/i/{token}")
    if response.status_code != 303:
        return None, response
    location = response.headers["Location"]
    assert token not in location and re.fullmatch(r"/contribute/[0-9a-f-]{36}", location)
    assert "no-store" in response.headers["Cache-Control"]
    return location, response


def holder_page(client, token, status=200):
    location, response = open_link(client, token)
    if location is not None:
        response = client.get(location)
    assert response.status_code == status, response.status_code
    return response


def holder_post(client, token, data, send=False):
    location, response = open_link(client, token)
    if location is None:
        return response
    return client.post(location + ("/send" if send else ""), data=MultiDict(data))


def audit_actions(app, **filters):
    with app.app_context():
        query = select(AuditEvent).order_by(AuditEvent.occurred_at_utc)
        for name, value in filters.items():
            query = query.where(getattr(AuditEvent, name) == value)
        return list(db.session.scalars(query))


def invite_row(app, token):
    with app.app_context():
        digest = hashlib.sha256(token.encode()).hexdigest()
        return db.session.scalar(
            select(ContributionInvite).where(ContributionInvite.token_hash == digest)
        )


def set_in_db(app, model, condition, **values):
    """Change rows behind the portal's back, through the models' column types so that ids and
    times are written as each database stores them."""
    with app.app_context():
        db.session.execute(update(model).where(condition).values(**values))
        db.session.commit()


def test_the_designated_teacher_creates_a_link_shown_once_with_a_qr_code(client_for, seeded):
    pep_id = open_pep_id(seeded, HARRY)
    link, html = create_link(client_for("dt_oakfield"), pep_id, "my_views")
    assert link.startswith("http://localhost/i/")
    token = token_of(link)
    assert len(token) >= 43
    assert 'src="data:image/svg+xml' in html and 'alt="QR code for the link above"' in html
    assert "This link is shown only once" in html

    invite = invite_row(seeded, token)
    assert invite is not None and invite.section_key == "my_views"
    assert invite.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert (
        timedelta(days=13, hours=23)
        < invite.expires_at_utc - datetime.now(UTC)
        <= timedelta(days=14)
    )
    # The token itself is stored nowhere: not in any column of any table, audit trail included.
    with seeded.app_context():
        for table in Base.metadata.sorted_tables:
            for row in db.session.execute(select(table)):
                assert token not in repr(tuple(row)), table.name
    (created,) = audit_actions(seeded, action="invite.created")
    assert created.details["section"] == "my_views" and created.details["contributor"] == "child"
    assert "Priya Shah" in created.actor_description


@pytest.mark.parametrize(
    ("who", "reference", "expected"),
    [
        ("dt_oakfield", HARRY, 200),
        ("dt_riverside", CHLOE, 200),
        ("social_worker", CHLOE, 200),
        ("carer", CHLOE, 403),
        ("reviewer", HARRY, 403),
        ("admin", HARRY, 403),
        ("dt_riverside", HARRY, 404),  # not their pupil: the PEP is not even visible
    ],
)
def test_only_the_childs_designated_teacher_or_social_worker_creates_links(
    who, reference, expected, client_for, seeded
):
    client = client_for(who)
    pep_id = open_pep_id(seeded, reference)
    if expected == 404:
        assert client.get(contributions_url(pep_id)).status_code == 404
        return
    page = client.get(contributions_url(pep_id)).get_data(as_text=True)
    assert ("Create a link for the child" in page) == (expected == 200)
    response = staff_post(client, pep_id, "", {"section_key": "carers_views"})
    assert response.status_code == expected
    with seeded.app_context():
        count = len(list(db.session.scalars(select(ContributionInvite))))
    assert count == (1 if expected == 200 else 0)


def test_links_are_only_for_the_childs_and_carers_views(client_for, seeded):
    client = client_for("dt_oakfield")
    pep_id = open_pep_id(seeded, HARRY)
    for key in ("meeting_details", "quality_assurance", "nonsense"):
        assert staff_post(client, pep_id, "", {"section_key": key}).status_code == 400


def test_the_child_saves_comes_back_and_sends_to_their_teacher(client_for, seeded):
    pep_id = open_pep_id(seeded, HARRY)
    token = token_of(create_link(client_for("dt_oakfield"), pep_id, "my_views")[0])
    version_before = stored_section(seeded, pep_id, "my_views").version
    child = holder_client(seeded)

    response = holder_page(child, token)
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response.headers["Cache-Control"]
    html = response.get_data(as_text=True)
    assert "Your views" in html and "Your teacher will read this before your PEP meeting" in html
    assert "How do you feel about school?" in html and "openpep-feeling__picture" in html
    assert "Save and come back later" in html and "Send to my teacher" in html
    # Nothing of the signed-in service: no user, no navigation, no link to other pages.
    assert "Signed in as" not in html and "Sign out" not in html
    assert 'href="/children' not in html and 'href="/peps' not in html and 'href="/"' not in html

    data = replace_field(form_fields(html), "feel_about_school", "happy")
    data = replace_field(data, "going_well", "I like art and my new friend Sam")
    saved = holder_post(child, token, data)
    assert saved.status_code == 303 and saved.headers["Location"].endswith("?saved=1")
    again = child.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Your answers have been saved." in again
    assert "I like art and my new friend Sam" in again
    assert re.search(r'value="happy"\s+checked', again)

    stored = stored_section(seeded, pep_id, "my_views")
    assert stored.answers == {
        "band": "primary",
        "answers": {"feel_about_school": "happy", "going_well": "I like art and my new friend Sam"},
    }
    assert stored.version == version_before + 1
    assert stored.last_saved_by_id is None
    (save,) = audit_actions(seeded, action="pep.section_saved")
    assert save.actor_description == "Child (invite link)"
    assert save.actor_user_id is None and save.client_address == "10.0.0.1"
    assert save.details["fields"] == ["feel_about_school", "going_well"]

    sent = holder_post(child, token, form_fields(again), send=True)
    assert sent.status_code == 303
    thanks = holder_page(child, token).get_data(as_text=True)
    assert "Thank you, your views have been sent" in thanks and 'id="section-form"' not in thanks
    assert invite_row(seeded, token).completed_at_utc is not None
    assert [e.actor_description for e in audit_actions(seeded, action="invite.sent")] == [
        "Child (invite link)"
    ]

    # A sent link no longer edits, even with a hand-made post.
    late = holder_post(child, token, replace_field(data, "going_well", "changed"))
    assert late.status_code == 303
    assert stored_section(seeded, pep_id, "my_views").answers == stored.answers

    # The teacher reads the child's words on the PEP, and cannot change them.
    dt = client_for("dt_oakfield")
    section_page = dt.get(f"/peps/{pep_id}/sections/my_views").get_data(as_text=True)
    assert "I like art and my new friend Sam" in section_page
    assert 'id="section-form"' not in section_page


def test_staff_cannot_edit_the_childs_words(client_for, seeded):
    pep_id = open_pep_id(seeded, HARRY)
    dt = client_for("dt_oakfield")
    before = stored_section(seeded, pep_id, "my_views").answers
    token = csrf_token_from(dt, f"/peps/{pep_id}")
    response = dt.post(
        f"/peps/{pep_id}/sections/my_views",
        data={"csrf_token": token, "version": "1", "going_well": "Written by staff"},
    )
    assert response.status_code == 403
    assert stored_section(seeded, pep_id, "my_views").answers == before


def test_reopening_lets_the_holder_change_their_views_with_the_same_link(client_for, seeded):
    pep_id = open_pep_id(seeded, HARRY)
    dt = client_for("dt_oakfield")
    token = token_of(create_link(dt, pep_id, "my_views")[0])
    invite_id = invite_row(seeded, token).id
    child = holder_client(seeded)
    data = replace_field(
        form_fields(holder_page(child, token).get_data(as_text=True)), "hard", "Maths"
    )

    # Not sent yet: nothing to reopen.
    assert staff_post(dt, pep_id, f"/{invite_id}/reopen").status_code == 409
    assert holder_post(child, token, data, send=True).status_code == 303
    manage = dt.get(contributions_url(pep_id)).get_data(as_text=True)
    assert "Sent" in manage and "Open again" in manage

    reopened = staff_post(dt, pep_id, f"/{invite_id}/reopen")
    assert reopened.status_code == 303 and "changed=reopened" in reopened.headers["Location"]
    html = holder_page(child, token).get_data(as_text=True)
    assert 'id="section-form"' in html and "Maths" in html
    assert holder_post(child, token, replace_field(data, "hard", "Spelling")).status_code == 303
    assert stored_section(seeded, pep_id, "my_views").answers["answers"]["hard"] == "Spelling"
    assert len(audit_actions(seeded, action="invite.reopened")) == 1


def test_stopped_expired_and_unknown_links_show_the_same_kind_page(client_for, seeded):
    pep_id = open_pep_id(seeded, HARRY)
    dt = client_for("dt_oakfield")
    stopped = token_of(create_link(dt, pep_id, "my_views")[0])
    expired = token_of(create_link(dt, pep_id, "carers_views")[0])
    response = staff_post(dt, pep_id, f"/{invite_row(seeded, stopped).id}/revoke")
    assert response.status_code == 303
    set_in_db(
        seeded,
        ContributionInvite,
        ContributionInvite.token_hash == hashlib.sha256(expired.encode()).hexdigest(),
        expires_at_utc=datetime.now(UTC) - timedelta(minutes=1),
    )
    visitor = holder_client(seeded)
    pages = []
    for token in (stopped, expired, "A" * 43, "not-a-token"):
        response = holder_page(visitor, token, status=404)
        assert response.headers["Referrer-Policy"] == "no-referrer"
        pages.append(response.get_data(as_text=True))
        saved = holder_post(visitor, token, [("going_well", "x")])
        assert saved.status_code in (400, 404)  # no CSRF token or no link: nothing either way
    assert all(page == pages[0] for page in pages)
    assert NOT_WORKING in pages[0]
    assert "It may have expired. Ask the person who sent it to you for a new one." in pages[0]
    assert "Harry" not in pages[0] and "Signed in as" not in pages[0]

    reasons = [e.details["reason"] for e in audit_actions(seeded, action="invite.token_refused")]
    # Each token was tried twice: to open the page, and to post to it.
    assert reasons[:8] == [r for r in ("revoked", "expired", "unknown", "unknown") for _ in "12"]
    assert (
        stored_section(seeded, pep_id, "my_views").answers.get("answers", {}).get("going_well")
        != "x"
    )
    revoked = audit_actions(seeded, action="invite.revoked")
    assert len(revoked) == 1 and "Priya Shah" in revoked[0].actor_description


def test_a_new_link_stops_the_earlier_one(client_for, seeded):
    pep_id = open_pep_id(seeded, HARRY)
    dt = client_for("dt_oakfield")
    first = token_of(create_link(dt, pep_id, "my_views")[0])
    second = token_of(create_link(dt, pep_id, "my_views")[0])
    holder_page(holder_client(seeded), first, status=404)
    holder_page(holder_client(seeded), second, status=200)


def test_a_link_reaches_only_its_own_section_of_its_own_pep(client_for, seeded):
    harry = open_pep_id(seeded, HARRY)
    chloe = open_pep_id(seeded, CHLOE)
    carer_token = token_of(create_link(client_for("dt_oakfield"), harry, "carers_views")[0])
    child_token = token_of(create_link(client_for("dt_oakfield"), harry, "my_views")[0])
    before = {
        (pep, key): stored_section(seeded, pep, key).answers
        for pep in (harry, chloe)
        for key in ("my_views", "carers_views", "meeting_details")
    }
    holder = holder_client(seeded)
    carer_page = holder_page(holder, carer_token).get_data(as_text=True)
    assert (
        "Your views as Harry&#39;s carer" in carer_page
        and "How you support learning at home" in carer_page
    )
    assert "How do you feel about school?" not in carer_page
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', carer_page).group(1)
    # A hand-made post with the other section's fields and another PEP's id changes nothing else.
    forged = [
        ("csrf_token", csrf),
        ("feel_about_school", "sad"),
        ("going_well", "From the carer"),
        ("meeting_venue", "Somewhere else"),
        ("pep_id", str(chloe)),
        ("section_key", "my_views"),
    ]
    assert holder_post(holder, carer_token, forged).status_code == 303
    assert stored_section(seeded, harry, "carers_views").answers == {"going_well": "From the carer"}
    assert (
        holder_post(holder, child_token, [*forged[:1], ("support_at_home", "x")]).status_code == 303
    )
    for (pep, key), answers in before.items():
        if (pep, key) != (harry, "carers_views"):
            assert stored_section(seeded, pep, key).answers == answers, (pep, key)

    # The operation itself refuses another section, whatever a view passes it.
    with seeded.app_context():
        from portal.form_registry import definition_for

        invite = db.session.scalar(
            select(ContributionInvite).where(ContributionInvite.section_key == "carers_views")
        )
        my_views = definition_for(invite.pep).section("my_views")
        with pytest.raises(InviteRefused):
            save_through_invite(db.session, Actor(None, "test"), invite, my_views, {})
    carers_save = [
        e
        for e in audit_actions(seeded, action="pep.section_saved")
        if e.details["section"] == "carers_views"
    ]
    assert [e.actor_description for e in carers_save] == ["Carer (invite link)"]


def test_the_carer_must_answer_something_before_sending_and_bad_input_keeps_saved_answers(
    client_for, seeded
):
    pep_id = open_pep_id(seeded, CHLOE)
    token = token_of(create_link(client_for("social_worker"), pep_id, "carers_views")[0])
    carer = holder_client(seeded)
    html = holder_page(carer, token).get_data(as_text=True)
    assert ">Send<" in html.replace("\n", "").replace("  ", "") or "Send</button>" in html
    empty = form_fields(html)
    refused = holder_post(carer, token, empty, send=True)
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert "There is a problem" in page and "Answer at least one question before you send" in page
    assert invite_row(seeded, token).completed_at_utc is None

    good = replace_field(empty, "going_well", "Settled well")
    assert holder_post(carer, token, good).status_code == 303
    too_long = replace_field(good, "going_well", "x" * 2001)
    response = holder_post(carer, token, replace_field(too_long, "concerns", "Homework"))
    assert response.status_code == 400
    assert "2000 characters or fewer" in response.get_data(as_text=True).replace(",", "")
    answers = stored_section(seeded, pep_id, "carers_views").answers
    assert answers == {"going_well": "Settled well", "concerns": "Homework"}


@pytest.mark.parametrize(
    ("reference", "band", "question"),
    [
        (HARRY, "primary", "How do you feel about school?"),
        (CHLOE, "secondary", "What&#39;s going well for you at the moment?"),
        (AVA, "early_years", "Who gathered these views?"),
    ],
)
def test_the_childs_page_suits_their_age(reference, band, question, seeded):
    token = invite_token(seeded, open_pep_id(seeded, reference), "my_views")
    client = holder_client(seeded)
    html = holder_page(client, token).get_data(as_text=True)
    assert question in html
    data = form_fields(html)
    field = "gathered_by" if band == "early_years" else "going_well"
    assert holder_post(client, token, replace_field(data, field, "Words")).status_code == 303
    stored = stored_section(seeded, open_pep_id(seeded, reference), "my_views").answers
    assert stored["band"] == band and stored["answers"][field] == "Words"
    if band == "early_years":
        assert "Ava&#39;s views" in html and "Send to my teacher" not in html
    else:
        assert "Send to my teacher" in html
        assert ("openpep-feeling__picture" in html) == (band == "primary")


def test_failed_link_attempts_are_rate_limited_per_address_and_good_links_still_open(
    client_for, seeded
):
    pep_id = open_pep_id(seeded, HARRY)
    good = token_of(create_link(client_for("dt_oakfield"), pep_id, "my_views")[0])
    guesser = holder_client(seeded, "192.0.2.66")
    for attempt in range(10):
        holder_page(guesser, f"guess{attempt:040d}", status=404)
    blocked = guesser.get(f"/i/guess{99:040d}")
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.get_data(as_text=True)
    # A working link opens whoever failed before from the same address (a school's network,
    # everyone behind one proxy): only failures are limited.
    assert holder_page(guesser, good).status_code == 200
    assert holder_client(seeded, "192.0.2.67").get(f"/i/guess{99:040d}").status_code == 404
    reasons = [e.details["reason"] for e in audit_actions(seeded, action="invite.token_refused")]
    assert reasons.count("unknown") == 11 and reasons.count("rate_limited") == 1


def test_a_stopped_link_tried_from_many_addresses_is_limited_per_token(client_for, seeded):
    pep_id = open_pep_id(seeded, HARRY)
    dt = client_for("dt_oakfield")
    stopped = token_of(create_link(dt, pep_id, "my_views")[0])
    staff_post(dt, pep_id, f"/{invite_row(seeded, stopped).id}/revoke")
    for attempt in range(10):
        holder_page(holder_client(seeded, f"198.51.100.{attempt}"), stopped, status=404)
    assert holder_client(seeded, "198.51.100.200").get(f"/i/{stopped}").status_code == 429
    reasons = [e.details["reason"] for e in audit_actions(seeded, action="invite.token_refused")]
    assert reasons.count("revoked") == 10 and reasons.count("rate_limited") == 1


def test_the_note_and_the_absent_reason_are_saved_and_audited(client_for, seeded):
    pep_id = open_pep_id(seeded, HARRY)
    # The demo seed's own history of this PEP (started, answers entered) is not this test's.
    seeded_history = {e.id for e in audit_actions(seeded, object_id=str(pep_id))}
    dt = client_for("dt_oakfield")
    saved = staff_post(dt, pep_id, "/note", {"note": "Talked with Harry and his key adult"})
    assert saved.status_code == 303
    reason = "Harry was in hospital all term"
    assert staff_post(dt, pep_id, "/absent-reason", {"absent_reason": reason}).status_code == 303
    with seeded.app_context():
        pep = db.session.get(Pep, pep_id)
        assert pep.child_voice_note == "Talked with Harry and his key adult"
        assert pep.child_voice_absent_reason == reason
    page = dt.get(contributions_url(pep_id) + "?changed=reason").get_data(as_text=True)
    assert reason in page and "has been saved" in page
    assert staff_post(dt, pep_id, "/absent-reason", {"absent_reason": "  "}).status_code == 303
    with seeded.app_context():
        assert db.session.get(Pep, pep_id).child_voice_absent_reason is None
    changes = [
        e
        for e in audit_actions(seeded, object_id=str(pep_id))
        if e.action != "pep.viewed" and e.id not in seeded_history
    ]
    assert [e.action for e in changes] == [
        "pep.child_voice_note_saved",
        "pep.child_voice_absent_reason_recorded",
        "pep.child_voice_absent_reason_cleared",
    ]
    too_long = staff_post(dt, pep_id, "/note", {"note": "x" * 2001})
    assert too_long.status_code == 400
    assert "2,000 characters or fewer" in too_long.get_data(as_text=True)
    # Others who see the PEP read them, and cannot change them.
    reviewer = client_for("reviewer")
    assert "Talked with Harry and his key adult" in reviewer.get(
        contributions_url(pep_id)
    ).get_data(as_text=True)
    assert staff_post(reviewer, pep_id, "/note", {"note": "Changed"}).status_code == 403


def test_a_signed_off_pep_refuses_every_change(client_for, seeded):
    pep_id = open_pep_id(seeded, HARRY)
    dt = client_for("dt_oakfield")
    token = token_of(create_link(dt, pep_id, "my_views")[0])
    child = holder_client(seeded)
    data = replace_field(form_fields(holder_page(child, token).get_data(as_text=True)), "hard", "x")
    invite_id = invite_row(seeded, token).id
    set_in_db(seeded, Pep, Pep.id == pep_id, state="signed_off")
    before = stored_section(seeded, pep_id, "my_views").answers

    for path, values in [
        ("", {"section_key": "my_views"}),
        (f"/{invite_id}/revoke", {}),
        (f"/{invite_id}/reopen", {}),
        ("/note", {"note": "Late note"}),
        ("/absent-reason", {"absent_reason": "Late reason"}),
    ]:
        assert staff_post(dt, pep_id, path, values).status_code == 409, path
    page = dt.get(contributions_url(pep_id)).get_data(as_text=True)
    assert "Create a link" not in page and "signed off, so it cannot be changed" in page

    assert holder_post(child, token, data).status_code == 303
    assert holder_post(child, token, data, send=True).status_code == 303
    closed = holder_page(child, token).get_data(as_text=True)
    assert "This form is closed" in closed and 'id="section-form"' not in closed
    assert stored_section(seeded, pep_id, "my_views").answers == before
    with seeded.app_context():
        pep = db.session.get(Pep, pep_id)
        assert pep.child_voice_note is None and pep.child_voice_absent_reason is None
        assert len(list(db.session.scalars(select(ContributionInvite)))) == 1
    assert invite_row(seeded, token).completed_at_utc is None


def revoked_reasons(app):
    return [
        (event.details["section"], event.details.get("reason"))
        for event in audit_actions(app, action="invite.revoked")
    ]


def make_carer_account(app, email="kim.carer@example.test"):
    with app.app_context():
        db.session.add(User(email=email, display_name="Kim Carer"))
        db.session.commit()
    return email


def test_a_change_of_carer_stops_the_carers_links_and_not_the_childs(client_for, seeded):
    pep_id = open_pep_id(seeded, CHLOE)
    sw = client_for("social_worker")
    carer_token = token_of(create_link(sw, pep_id, "carers_views")[0])
    child_token = token_of(create_link(sw, pep_id, "my_views")[0])
    old_carer = holder_client(seeded)
    holder_page(old_carer, carer_token, status=200)  # opened before the change, cookie and all
    new_carer_email = make_carer_account(seeded)
    admin = client_for("admin")
    child_id = child_id_of(seeded, CHLOE)

    changed = post_change(admin, child_id, "carer", email=new_carer_email, **date_fields(ON))
    assert changed.status_code == 303
    # The old carer no longer looks after Chloe: their link opens nothing, nor does the page
    # it opened before; the child's own link goes on working.
    holder_page(old_carer, carer_token, status=404)
    holder_page(holder_client(seeded), carer_token, status=404)
    holder_page(holder_client(seeded), child_token, status=200)
    stopped = invite_row(seeded, carer_token)
    assert stopped.revoked_at_utc is not None and stopped.revoked_by_id is not None
    assert invite_row(seeded, child_token).revoked_at_utc is None
    assert revoked_reasons(seeded) == [("carers_views", "carer_changed")]
    (revoked,) = audit_actions(seeded, action="invite.revoked")
    assert revoked.details["pep_id"] == str(pep_id) and "admin" in revoked.actor_description.lower()

    # The new carer is given a new link, which the same change recorded again leaves alone.
    new_token = token_of(create_link(sw, pep_id, "carers_views")[0])
    again = post_change(admin, child_id, "carer", email=new_carer_email, **date_fields(ON))
    assert again.status_code == 400
    holder_page(holder_client(seeded), new_token, status=200)
    assert len(audit_actions(seeded, action="invite.revoked")) == 1


def test_leaving_care_stops_every_link_on_the_open_pep_sent_ones_included(client_for, seeded):
    pep_id = open_pep_id(seeded, CHLOE)
    sw = client_for("social_worker")
    carer_token = token_of(create_link(sw, pep_id, "carers_views")[0])
    child_token = token_of(create_link(sw, pep_id, "my_views")[0])
    carer = holder_client(seeded)
    data = replace_field(
        form_fields(holder_page(carer, carer_token).get_data(as_text=True)), "going_well", "Ok"
    )
    data = replace_field(data, "support_at_home", "Reading together at bedtime")
    assert holder_post(carer, carer_token, data, send=True).status_code == 303
    assert invite_row(seeded, carer_token).completed_at_utc is not None

    left = post_change(
        client_for("admin"),
        child_id_of(seeded, CHLOE),
        "leaving-care",
        reason="E13",
        **date_fields(ON),
    )
    assert left.status_code == 303
    for token in (carer_token, child_token):
        holder_page(holder_client(seeded), token, status=404)
        assert invite_row(seeded, token).revoked_at_utc is not None
    assert sorted(revoked_reasons(seeded)) == [
        ("carers_views", "left_care"),
        ("my_views", "left_care"),
    ]


def test_a_link_that_still_works_after_the_child_left_care_shows_only_the_closed_page(
    client_for, seeded
):
    # As a link made by older code would: the child left care and the link was not stopped.
    pep_id = open_pep_id(seeded, CHLOE)
    token = token_of(create_link(client_for("social_worker"), pep_id, "carers_views")[0])
    carer = holder_client(seeded)
    data = replace_field(
        form_fields(holder_page(carer, token).get_data(as_text=True)), "going_well", "Late"
    )
    before = stored_section(seeded, pep_id, "carers_views").answers
    set_in_db(seeded, Child, Child.authority_reference == CHLOE, date_left_care=ON)

    assert holder_post(carer, token, data).status_code == 303
    assert holder_post(carer, token, data, send=True).status_code == 303
    closed = holder_page(carer, token).get_data(as_text=True)
    assert "This form is closed" in closed and 'id="section-form"' not in closed
    assert stored_section(seeded, pep_id, "carers_views").answers == before
    assert invite_row(seeded, token).completed_at_utc is None
    with seeded.app_context():
        invite = db.session.get(ContributionInvite, invite_row(seeded, token).id)
        section = definition_for(invite.pep).section("carers_views")
        with pytest.raises(InviteRefused):
            save_through_invite(
                db.session, holder_actor(Contributor.CARER, None), invite, section, {"x": "y"}
            )
