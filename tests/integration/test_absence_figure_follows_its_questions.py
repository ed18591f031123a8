"""The absence rate on version 3 of the early years form follows the questions it is worked out
from: a child with no nursery place has none on the section page, in the read view or in the
Word record (nothing there names attendance questions nobody was asked), and a child whose
sessions are all 0 is told there is no percentage rather than that it is not worked out yet.

Ava Thompson's PEP at Little Acorns Nursery is on version 3 in the demo data; her designated
teacher saves the setting section and the social worker reads it, each signed in as people are.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal.extensions import db
from portal.form_registry import definition_for
from portal.models import Pep
from tests.integration.pep_helpers import (
    form_fields,
    open_pep_id,
    page,
    post_form,
    replace_field,
    section_url,
    stored_section,
)
from tests.unit.exports.docx_reading import all_text, open_docx

AVA = "DCC-1001"
DESIGNATED_TEACHER = "dt.littleacorns@demo.openpep.test"
SOCIAL_WORKER = "sw.north@demo.openpep.test"
FIGURES = ("absence_rate_term", "absence_rate_year")
LABELS = ("Absence this term", "Absence this school year")
NOTHING_POSSIBLE_TERM = (
    '"Sessions the child was booked in for this term" is 0, so there is no percentage to work out'
)
NO_SESSIONS_YET = {
    "sessions_possible_term": "0",
    "sessions_attended_term": "0",
    "authorised_absences_term": "0",
    "unauthorised_absences_term": "0",
    "sessions_possible_year": "0",
    "sessions_attended_year": "0",
    "authorised_absences_year": "0",
    "unauthorised_absences_year": "0",
}


@pytest.fixture
def signed_in(seeded: Flask, sign_in: Callable[..., Any]) -> Callable[[str], FlaskClient]:
    def make(email: str) -> FlaskClient:
        client = seeded.test_client()
        assert sign_in(client, email).status_code == 302
        return client

    return make


def words(markup: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def figure_tag(section_page: str, key: str) -> str:
    """The opening tag of the figure's block on the section page."""
    found = re.search(rf'<div [^>]*id="{key}-conditional"[^>]*>', section_page)
    assert found is not None, f"no figure {key} on the page"
    return found[0]


def without_hidden_blocks(section_page: str) -> str:
    """The page as a browser shows it: hidden blocks left out (a figure's block holds only
    paragraphs, so it ends at the first closing div)."""
    return re.sub(r"<div [^>]*\shidden>.*?</div>", "", section_page, flags=re.S)


def save_setting(client: FlaskClient, pep_id: Any, **answers: str) -> None:
    data = form_fields(page(client, section_url(pep_id, "setting")))
    for name, value in answers.items():
        data = replace_field(data, name, value)
    response = post_form(client, pep_id, "setting", [*data, ("action", "save")])
    assert response.status_code == 303, words(response.get_data(as_text=True))[:2000]


def word_record(client: FlaskClient, pep_id: Any) -> str:
    response = client.get(f"/peps/{pep_id}/export/draft.docx")
    assert response.status_code == 200
    return all_text(open_docx(response.data))


def test_a_child_with_no_setting_has_no_absence_figure_anywhere(
    seeded: Flask, signed_in: Callable[[str], FlaskClient]
) -> None:
    pep_id = open_pep_id(seeded, AVA)
    with seeded.app_context():
        definition = definition_for(db.session.get(Pep, pep_id))
    assert (definition.key, definition.version) == ("early_years", 3)
    teacher = signed_in(DESIGNATED_TEACHER)
    save_setting(
        teacher, pep_id, in_setting="no", no_setting_plan="A place at Little Acorns from May."
    )
    assert stored_section(seeded, pep_id, "setting").answers["in_setting"] is False

    # The section page: each figure starts hidden with its questions (with or without the
    # script), and carries their condition for the script to reveal it.
    section_page = page(teacher, section_url(pep_id, "setting"))
    for key in FIGURES:
        tag = figure_tag(section_page, key)
        assert re.search(r"\shidden>$", tag), tag
        assert "data-openpep-shown-if=" in tag
        assert html.unescape(tag).count('{"field":"in_setting","equals":true}') == 1
    shown = words(without_hidden_blocks(section_page))
    assert "Not worked out yet" not in shown
    for label in LABELS:
        assert label not in shown

    # The read view.
    read_view = words(page(signed_in(SOCIAL_WORKER), section_url(pep_id, "setting")))
    assert "A place at Little Acorns from May." in read_view
    assert "Not worked out yet" not in read_view
    for label in LABELS:
        assert label not in read_view

    # The Word record.
    record = word_record(teacher, pep_id)
    assert "A place at Little Acorns from May." in record
    assert "Not worked out yet" not in record
    for label in LABELS:
        assert label not in record


def test_a_child_in_a_setting_with_no_sessions_yet_is_told_there_is_no_percentage(
    seeded: Flask, signed_in: Callable[[str], FlaskClient]
) -> None:
    pep_id = open_pep_id(seeded, AVA)
    teacher = signed_in(DESIGNATED_TEACHER)
    save_setting(teacher, pep_id, in_setting="yes", **NO_SESSIONS_YET)
    assert stored_section(seeded, pep_id, "setting").answers["sessions_possible_term"] == 0

    section_page = page(teacher, section_url(pep_id, "setting"))
    for key in FIGURES:
        assert not re.search(r"\shidden>$", figure_tag(section_page, key))
    shown = words(section_page)
    assert f"Absence this term {NOTHING_POSSIBLE_TERM}" in shown
    assert "Not worked out yet" not in shown

    read_view = words(page(signed_in(SOCIAL_WORKER), section_url(pep_id, "setting")))
    assert f"Absence this term {NOTHING_POSSIBLE_TERM}" in read_view
    assert "Not worked out yet" not in read_view

    record = word_record(teacher, pep_id)
    assert NOTHING_POSSIBLE_TERM in record
    assert "Not worked out yet" not in record
