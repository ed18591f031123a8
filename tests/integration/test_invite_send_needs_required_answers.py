"""Sending through a link finishes the holder's part: staff cannot change their words after,
so "Send" takes only a section the PEP can be submitted with. What was typed is saved all the
same, the link stays open, and the page says which answers are still needed."""

import re

import lxml.html
import pytest

from forms.completeness import SectionStatus, missing_answers, section_status
from portal.extensions import db
from portal.form_registry import definition_for
from portal.judging_days import judging_days_for
from portal.models import Pep
from tests.integration.pep_helpers import (
    form_fields,
    invite_token,
    open_pep_id,
    replace_field,
    stored_section,
)
from tests.integration.test_invites import (
    CHLOE,
    holder_client,
    holder_page,
    holder_post,
    invite_row,
)
from tests.integration.test_page_accessibility import assert_accessible

AVA = "DCC-1001"  # nursery: early-years band
HARRY = "DCC-1106"
TYPED = "Likes the big slide"


def status_of(app, pep_id, section_key):
    with app.app_context():
        pep = db.session.get(Pep, pep_id)
        section = definition_for(pep).section(section_key)
        answers = stored_section(app, pep_id, section_key).answers
        return section_status(section, answers, days=judging_days_for(pep))


def still_missing(app, pep_id, section_key):
    with app.app_context():
        pep = db.session.get(Pep, pep_id)
        section = definition_for(pep).section(section_key)
        answers = stored_section(app, pep_id, section_key).answers
        return missing_answers(section, answers, days=judging_days_for(pep))


def error_summary(html):
    """The error summary's links, as (href, words)."""
    document = lxml.html.document_fromstring(html)
    return [
        (link.get("href"), " ".join(link.text_content().split()))
        for link in document.xpath("//*[contains(@class, 'govuk-error-summary')]//a")
    ]


def inline_errors(html):
    document = lxml.html.document_fromstring(html)
    return [
        " ".join(message.text_content().replace("Error:", "").split())
        for message in document.xpath("//*[contains(@class, 'govuk-error-message')]")
    ]


@pytest.mark.parametrize(
    ("reference", "section_key", "field", "question"),
    [
        (AVA, "my_views", "own_words", "Who gathered these views?"),
        (HARRY, "carers_views", "going_well", "How you support learning at home"),
    ],
)
def test_sending_without_the_required_answers_is_refused(
    reference, section_key, field, question, seeded
):
    pep_id = open_pep_id(seeded, reference)
    token = invite_token(seeded, pep_id, section_key)
    holder = holder_client(seeded)
    html = holder_page(holder, token).get_data(as_text=True)
    assert question in html and f"{question} (optional)" not in html
    data = replace_field(form_fields(html), field, TYPED)
    response = holder_post(holder, token, data, send=True)
    status = status_of(seeded, pep_id, section_key)
    sent = invite_row(seeded, token).completed_at_utc is not None
    assert not (sent and status is not SectionStatus.COMPLETED)

    # Refused, plainly: one error per answer still needed, each linking to its question.
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert_accessible(page, f"the refused send of {section_key}")
    assert "<title>Error:" in page and "There is a problem" in page
    assert "Your answers have been saved, but they have not been sent yet" in page
    missing = still_missing(seeded, pep_id, section_key)
    assert missing, "the test needs a section with answers still required"
    links = error_summary(page)
    assert [words for _, words in links] == [answer.message for answer in missing]
    document = lxml.html.document_fromstring(page)
    for (href, _), answer in zip(links, missing, strict=True):
        target = document.get_element_by_id(href.removeprefix("#"))
        assert target.get("name") == answer.field_key, (href, answer)
    assert inline_errors(page) == [answer.message for answer in missing]
    for answer in missing:
        assert re.match(r"(Enter|Select|Choose) ", answer.message), answer.message

    # Nothing typed is lost: it is on the page, and saved.
    assert TYPED in page
    answers = stored_section(seeded, pep_id, section_key).answers
    if section_key == "my_views":
        assert answers["band"] == "early_years" and answers["answers"][field] == TYPED
    else:
        assert answers[field] == TYPED
    assert status_of(seeded, pep_id, section_key) is SectionStatus.IN_PROGRESS

    # The link still works, with what was typed; a complete Send then goes through.
    again = holder_page(holder, token).get_data(as_text=True)
    assert TYPED in again and 'id="section-form"' in again
    complete = form_fields(again)
    for answer in missing:
        value = "play" if answer.field_key == "how_gathered" else f"Answer to {answer.label}"
        complete = replace_field(complete, answer.field_key, value)
    sent_response = holder_post(holder, token, complete, send=True)
    assert sent_response.status_code == 303
    assert invite_row(seeded, token).completed_at_utc is not None
    assert status_of(seeded, pep_id, section_key) is SectionStatus.COMPLETED
    thanks = holder_page(holder, token).get_data(as_text=True)
    assert "Thank you, your views have been sent" in thanks


def test_saving_for_later_still_takes_part_of_the_answers(seeded):
    pep_id = open_pep_id(seeded, AVA)
    token = invite_token(seeded, pep_id, "my_views")
    holder = holder_client(seeded)
    html = holder_page(holder, token).get_data(as_text=True)
    saved = holder_post(holder, token, replace_field(form_fields(html), "own_words", TYPED))
    assert saved.status_code == 303 and saved.headers["Location"].endswith("?saved=1")
    assert stored_section(seeded, pep_id, "my_views").answers["answers"]["own_words"] == TYPED
    assert invite_row(seeded, token).completed_at_utc is None


@pytest.mark.parametrize(("reference", "band"), [(HARRY, "primary"), (CHLOE, "secondary")])
def test_a_child_may_send_whatever_they_chose_to_answer(reference, band, seeded):
    # Nothing on the child's own pages is required: their views are theirs to give.
    pep_id = open_pep_id(seeded, reference)
    token = invite_token(seeded, pep_id, "my_views")
    holder = holder_client(seeded)
    html = holder_page(holder, token).get_data(as_text=True)
    data = replace_field(form_fields(html), "going_well", "Reading with my foster mum")
    assert holder_post(holder, token, data, send=True).status_code == 303
    assert invite_row(seeded, token).completed_at_utc is not None
    assert stored_section(seeded, pep_id, "my_views").answers["band"] == band
    assert status_of(seeded, pep_id, "my_views") is SectionStatus.COMPLETED
