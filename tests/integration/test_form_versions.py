"""A PEP keeps the form version it was started with; a bad definition stops the portal starting."""

import shutil
import uuid

import pytest
from sqlalchemy import select

from forms.schema import DEFAULT_DIRECTORY, FormDefinitionError
from portal import create_app
from portal.extensions import db
from portal.models import Child, Pep
from tests.conftest import DEMO_EMAILS, complete_oidc_sign_in, csrf_token_from, portal_config
from tests.integration.pep_helpers import open_pep_id, section_url

NEWEST_SCHOOL_AGE = max(
    int(path.name.split(".v")[1].split(".")[0])
    for path in DEFAULT_DIRECTORY.glob("school_age.v*.yaml")
)
NEWER = NEWEST_SCHOOL_AGE + 1


def definitions_with_a_newer_school_age_form(tmp_path):
    directory = tmp_path / "definitions"
    shutil.copytree(DEFAULT_DIRECTORY, directory)
    newest = (directory / f"school_age.v{NEWEST_SCHOOL_AGE}.yaml").read_text()
    newer = newest.replace(f"version: {NEWEST_SCHOOL_AGE}\n", f"version: {NEWER}\n", 1).replace(
        "title: Transitions, aspirations and careers", "title: Moving on and my future"
    )
    assert newer != newest
    (directory / f"school_age.v{NEWER}.yaml").write_text(newer)
    return directory


def test_a_pep_still_renders_on_its_own_version_after_a_newer_one_ships(
    migrated_database, oidc_provider, tmp_path, seeded
):
    directory = definitions_with_a_newer_school_age_form(tmp_path)
    app = create_app(
        portal_config(migrated_database, oidc_provider, FORMS_DIRECTORY=str(directory))
    )
    client = app.test_client()
    complete_oidc_sign_in(client, oidc_provider, DEMO_EMAILS["admin"])

    existing = open_pep_id(app, "DCC-1106")
    html = client.get(section_url(existing, "transitions_aspirations")).get_data(as_text=True)
    assert "Transitions, aspirations and careers" in html
    assert "Moving on and my future" not in html

    with app.app_context():
        child_id = db.session.scalar(
            select(Child.id).where(Child.authority_reference == "DCC-1501")
        )
    token = csrf_token_from(client, f"/children/{child_id}/peps/new")
    response = client.post(
        f"/children/{child_id}/peps", data={"csrf_token": token, "term": "2026-autumn"}
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    new_pep = uuid.UUID(response.headers["Location"].rsplit("/", 1)[-1])
    with app.app_context():
        pep = db.session.get(Pep, new_pep)
        assert (pep.form_key, pep.form_version) == ("school_age", NEWER)
    html = client.get(section_url(new_pep, "transitions_aspirations")).get_data(as_text=True)
    assert "Moving on and my future" in html
    with app.app_context():
        db.engine.dispose()


def test_the_portal_refuses_to_start_on_an_invalid_definition(
    migrated_database, oidc_provider, tmp_path
):
    directory = tmp_path / "broken"
    shutil.copytree(DEFAULT_DIRECTORY, directory)
    path = directory / "post_16.v1.yaml"
    path.write_text(path.read_text().replace("type: percentage", "type: percent", 1))
    with pytest.raises(FormDefinitionError) as refusal:
        create_app(portal_config(migrated_database, oidc_provider, FORMS_DIRECTORY=str(directory)))
    message = str(refusal.value)
    assert message.startswith("post_16.v1.yaml: sections[")
    assert "type" in message
