"""Finding demo PEPs and posting section forms as a browser would."""

import re
import uuid

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from portal.extensions import db
from portal.form_registry import form_registry
from portal.models import Child, Pep, PepSection, User
from workflows.pep import OPEN_STATES, PepState
from workflows.roles import Role


def open_pep_id(app, reference):
    with app.app_context():
        child = db.session.scalar(select(Child).where(Child.authority_reference == reference))
        pep = db.session.scalar(
            select(Pep).where(
                Pep.child_id == child.id, Pep.state.in_([s.value for s in OPEN_STATES])
            )
        )
        return pep.id


def add_pep_with_empty_sections(child_id, academic_year, term, state=PepState.DRAFT):
    """A school-age PEP of the latest form for the child, every section blank, in the current
    app context's session (not committed)."""
    definition = form_registry().latest("school_age")
    pep = Pep(
        child_id=child_id,
        academic_year=academic_year,
        term=str(term),
        state=state.value,
        form_key=definition.key,
        form_version=definition.version,
    )
    db.session.add(pep)
    db.session.flush()
    db.session.add_all(
        PepSection(pep_id=pep.id, section_key=s.key, answers={}) for s in definition.sections
    )
    return pep


def stored_section(app, pep_id, section_key):
    with app.app_context():
        return db.session.scalar(
            select(PepSection).where(
                PepSection.pep_id == uuid.UUID(str(pep_id)), PepSection.section_key == section_key
            )
        )


def form_fields(page_html):
    """The values a browser would send from the section form as it stands."""
    form = (
        page_html[page_html.index('id="section-form"') :]
        if 'id="section-form"' in page_html
        else page_html
    )
    form = form[: form.index("</form>")]
    data = []
    for match in re.finditer(r"<input([^>]*)>", form):
        attributes = match.group(1)
        name = re.search(r'name="([^"]+)"', attributes)
        if not name:
            continue
        kind = re.search(r'type="([^"]+)"', attributes)
        value = re.search(r'value="([^"]*)"', attributes)
        if kind and kind.group(1) in ("radio", "checkbox") and "checked" not in attributes:
            continue
        data.append((name.group(1), unescape(value.group(1)) if value else ""))
    for match in re.finditer(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        data.append((match.group(1), unescape(match.group(2)).lstrip("\n")))
    for match in re.finditer(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]*selected', match.group(2))
        data.append((match.group(1), chosen.group(1) if chosen else ""))
    return data


def unescape(text):
    import html

    return html.unescape(text)


def replace_field(data, name, *values):
    kept = [(key, value) for key, value in data if key != name]
    return kept + [(name, value) for value in values]


def section_url(pep_id, key):
    return f"/peps/{pep_id}/sections/{key}"


def post_form(client, pep_id, key, data, headers=None):
    """Post a section form as a browser would (repeated names kept)."""
    return client.post(section_url(pep_id, key), data=MultiDict(data), headers=headers or {})


def page(client, url):
    """A page's HTML, which must have loaded."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def invite_token(app, pep_id, section_key):
    """A working link for the child or the carer, made by the operation itself (as an admin
    acting for the designated teacher), for PEPs no demo teacher can reach too."""
    from portal.form_registry import definition_for
    from portal.operations.audit import Actor
    from portal.operations.invites import create_invite
    from tests.conftest import DEMO_EMAILS

    with app.app_context():
        pep = db.session.get(Pep, uuid.UUID(str(pep_id)))
        admin = db.session.scalar(select(User).where(User.email == DEMO_EMAILS["admin"]))
        created = create_invite(
            db.session,
            Actor.for_user(admin, None),
            admin,
            pep,
            definition_for(pep).section(section_key),
            frozenset({Role.DESIGNATED_TEACHER}),
        )
        return created.token
