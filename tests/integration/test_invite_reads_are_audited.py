"""Reading through a link is attributable too: a link can be forwarded, and whoever opens it
reads the child's saved words. Each showing of the holder's page is a "pep.viewed" row, like a
staff read, naming the link, the section and the address it was read from."""

from sqlalchemy import select

from portal.children.queries import child_history_query
from portal.extensions import db
from portal.models import Child
from tests.integration.pep_helpers import form_fields, open_pep_id, replace_field
from tests.integration.sql_statements import statements_sent
from tests.integration.test_child_life_events import child_id_of
from tests.integration.test_invites import (
    HARRY,
    audit_actions,
    create_link,
    holder_client,
    holder_page,
    holder_post,
    invite_row,
    open_link,
    token_of,
)

WORDS = "My foster mum helps me read"


def reads_from(app, address):
    return [e for e in audit_actions(app, action="pep.viewed") if e.client_address == address]


def test_someone_reading_a_forwarded_link_is_recorded_in_the_childs_history(client_for, seeded):
    pep_id = open_pep_id(seeded, HARRY)
    token = token_of(create_link(client_for("dt_oakfield"), pep_id, "my_views")[0])
    child = holder_client(seeded, "10.0.0.1")
    html = holder_page(child, token).get_data(as_text=True)
    assert (
        holder_post(child, token, replace_field(form_fields(html), "going_well", WORDS)).status_code
        == 303
    )

    stranger = holder_client(seeded, "203.0.113.9")
    assert WORDS in holder_page(stranger, token).get_data(as_text=True)

    invite = invite_row(seeded, token)
    (read,) = reads_from(seeded, "203.0.113.9")
    assert read.actor_user_id is None and read.actor_description == "Child (invite link)"
    assert (read.object_type, read.object_id) == ("pep", str(pep_id))
    assert read.details == {
        "child_id": str(child_id_of(seeded, HARRY)),
        "part": "section",
        "section": "my_views",
        "invite_id": str(invite.id),
    }
    # The child's own look at the page is recorded too: once, from their address.
    assert len(reads_from(seeded, "10.0.0.1")) == 1

    with seeded.app_context():
        child_row = db.session.scalar(select(Child).where(Child.authority_reference == HARRY))
        history = {
            event.id for event in db.session.scalars(child_history_query(db.session, child_row))
        }
    assert read.id in history


def test_showing_the_page_writes_one_row_and_nothing_else(client_for, seeded):
    pep_id = open_pep_id(seeded, HARRY)
    token = token_of(create_link(client_for("dt_oakfield"), pep_id, "my_views")[0])
    holder = holder_client(seeded, "203.0.113.9")
    location, _ = open_link(holder, token)  # the exchange for a cookie shows nothing
    assert location is not None
    assert reads_from(seeded, "203.0.113.9") == []
    with statements_sent(seeded) as statements:
        assert holder.get(location).status_code == 200
    writes = [
        s for s in statements if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert len(writes) == 1 and "audit_event" in writes[0].lower(), writes
    assert len(reads_from(seeded, "203.0.113.9")) == 1


def test_pages_that_show_no_answers_are_not_recorded_as_reads(client_for, seeded):
    pep_id = open_pep_id(seeded, HARRY)
    token = token_of(create_link(client_for("dt_oakfield"), pep_id, "my_views")[0])
    holder = holder_client(seeded, "203.0.113.9")
    html = holder_page(holder, token).get_data(as_text=True)
    data = replace_field(form_fields(html), "going_well", WORDS)
    assert holder_post(holder, token, data, send=True).status_code == 303
    assert len(reads_from(seeded, "203.0.113.9")) == 1
    thanks = holder_page(holder, token).get_data(as_text=True)  # the thank-you page only
    assert WORDS not in thanks
    assert len(reads_from(seeded, "203.0.113.9")) == 1
    holder_page(holder_client(seeded, "198.51.100.7"), "x" * 43, status=404)
    assert reads_from(seeded, "198.51.100.7") == []
