"""Pressing Enter in a box of a section form saves the answers; it never removes a row or adds
one.

A browser submits a form on Enter in a text box with the form's default button, the first
submit button in it, and sends that button's name and value (HTML, implicit submission). Each
row of a table has its own "Remove" button and each table an "Add another" button, all before
"Save and continue" and "Save": so the first of them would be sent. Each section form, and the
form on the page shown when someone else saved the section first, therefore starts with a
"Save" button that is the default button and nothing else: out of sight, out of the tab order
and hidden from screen readers, so that it changes nothing for anyone who sees or tabs
through the form.

The conflict page also shows what could not be read (an impossible date) as the section page
does: an error summary and "Error: " at the start of its title.
"""

import lxml.html
from werkzeug.datastructures import MultiDict

from portal.extensions import db
from portal.form_registry import definition_for
from portal.models import Pep
from tests.integration.pep_helpers import (
    form_fields,
    open_pep_id,
    page,
    replace_field,
    section_url,
    stored_section,
)
from tests.integration.test_page_accessibility import assert_accessible

HARRY = "DCC-1106"  # Oakfield, Year 5: the demo designated teacher's draft
SUBMIT_BUTTONS = ".//button[not(@type) or @type='submit'] | .//input[@type='submit']"


def the_form(html: str) -> lxml.html.HtmlElement:
    document = lxml.html.document_fromstring(html)
    forms = document.xpath("//form[@id='section-form']")
    assert len(forms) == 1, "one section form on the page"
    return forms[0]


def default_button(html: str) -> lxml.html.HtmlElement:
    """The button a browser sends when Enter is pressed in a box of the section form: the
    first submit button of the form, in tree order."""
    return the_form(html).xpath(SUBMIT_BUTTONS)[0]


def assert_saves_out_of_sight(button: lxml.html.HtmlElement, where: str) -> None:
    """The default button saves, may be pressed (a disabled one would stop Enter submitting
    at all) and is neither seen, tabbed to nor read out."""
    assert (button.get("name"), button.get("value")) == ("action", "save"), where
    assert button.get("disabled") is None, where
    # A `hidden` attribute (display: none) stops Enter submitting in some browsers: it is
    # hidden the way GOV.UK hides words on screen, and from assistive technology by aria.
    assert button.get("hidden") is None, where
    assert "govuk-visually-hidden" in (button.get("class") or "").split(), where
    assert button.get("aria-hidden") == "true", where
    assert button.get("tabindex") == "-1", where
    assert button.get("formnovalidate") is None and button.get("formaction") is None, where


def post_with_enter(client, url, data, html):
    """Post a form as a browser does when Enter is pressed in one of its boxes."""
    button = default_button(html)
    return client.post(url, data=MultiDict([*data, (button.get("name"), button.get("value"))]))


def two_tabs_in_conflict(client, url, mine):
    """Two tabs open the section; the first saves a venue; the second then saves `mine` (a
    function of its form's fields) and is shown the conflict page."""
    first = form_fields(page(client, url))
    second = form_fields(page(client, url))
    saved = client.post(
        url, data=MultiDict([*replace_field(first, "meeting_venue", "Room 4"), ("action", "save")])
    )
    assert saved.status_code == 303
    return client.post(url, data=MultiDict([*mine(second), ("action", "save")]))


# --- Enter on a section page -----------------------------------------------------------------


def test_every_section_form_has_a_hidden_save_as_its_default_button(client_for, seeded):
    client = client_for("dt_oakfield")
    pep_id = open_pep_id(seeded, HARRY)
    with seeded.app_context():
        keys = [section.key for section in definition_for(db.session.get(Pep, pep_id)).sections]
    checked = []
    for key in keys:
        html = page(client, section_url(pep_id, key))
        if 'id="section-form"' not in html:
            continue  # a section the designated teacher only reads
        button = default_button(html)
        assert_saves_out_of_sight(button, key)
        # The buttons people see are as they were: "Save and continue" first, then "Save".
        shown = [
            (other.get("value"), other.text_content().strip())
            for other in the_form(html).xpath(SUBMIT_BUTTONS)[1:]
            if other.get("value") in ("save", "continue")
        ]
        assert shown == [("continue", "Save and continue"), ("save", "Save")], key
        checked.append(key)
    # Sections with saved rows (remove buttons) and with empty tables (add buttons) among them.
    assert {"meeting_details", "key_people", "education_setting", "smart_targets"} <= set(checked)


def test_pressing_enter_in_the_venue_box_does_not_remove_a_person(client_for, seeded):
    client = client_for("dt_oakfield")
    pep_id = open_pep_id(seeded, HARRY)
    url = section_url(pep_id, "meeting_details")
    before = stored_section(seeded, pep_id, "meeting_details").answers["attendees"]
    assert len(before) >= 2  # a saved row: each has its "Remove person" button
    html = page(client, url)
    data = replace_field(form_fields(html), "meeting_venue", "Oakfield Primary, room 4")

    response = post_with_enter(client, url, data, html)

    # Saved, as the Save button saves: back to the section, which says so.
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"{url}?saved=1")
    after = stored_section(seeded, pep_id, "meeting_details").answers
    assert after["meeting_venue"] == "Oakfield Primary, room 4"
    assert len(after["attendees"]) == len(before)
    assert [row.get("name") for row in after["attendees"]] == [row.get("name") for row in before]


def test_pressing_enter_in_a_section_with_an_empty_table_adds_no_row(client_for, seeded):
    client = client_for("dt_oakfield")
    pep_id = open_pep_id(seeded, HARRY)
    url = section_url(pep_id, "education_setting")
    html = page(client, url)
    assert 'value="add_row:alternative_providers"' in html
    before = stored_section(seeded, pep_id, "education_setting").answers
    assert not before.get("alternative_providers")

    response = post_with_enter(client, url, form_fields(html), html)

    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"{url}?saved=1")
    assert not stored_section(seeded, pep_id, "education_setting").answers.get(
        "alternative_providers"
    )


# --- Enter on the conflict page ---------------------------------------------------------------


def test_pressing_enter_on_the_conflict_page_saves_my_answers_and_keeps_the_people(
    client_for, seeded
):
    client = client_for("dt_oakfield")
    pep_id = open_pep_id(seeded, HARRY)
    url = section_url(pep_id, "meeting_details")
    before = stored_section(seeded, pep_id, "meeting_details").answers["attendees"]
    conflict = two_tabs_in_conflict(
        client, url, lambda fields: replace_field(fields, "meeting_venue", "The library")
    )
    assert conflict.status_code == 409
    html = conflict.get_data(as_text=True)
    assert "Someone else saved" in html
    assert_saves_out_of_sight(default_button(html), "the conflict page")

    # Enter in the venue box of "Your answers": they are saved over the saved version.
    response = post_with_enter(client, url, form_fields(html), html)

    assert response.status_code == 303
    after = stored_section(seeded, pep_id, "meeting_details").answers
    assert after["meeting_venue"] == "The library"
    assert [row.get("name") for row in after["attendees"]] == [row.get("name") for row in before]


# --- Errors on the conflict page --------------------------------------------------------------


def test_the_conflict_page_summarises_the_errors_it_shows(client_for, seeded):
    client = client_for("dt_oakfield")
    pep_id = open_pep_id(seeded, HARRY)
    url = section_url(pep_id, "meeting_details")
    response = two_tabs_in_conflict(
        client,
        url,
        lambda fields: replace_field(
            replace_field(fields, "meeting_venue", "The library"),
            "next_pep_date",
            "31",
            "2",
            "2027",
        ),
    )
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    document = lxml.html.document_fromstring(html)
    assert "Someone else saved" in html
    assert document.xpath("//*[contains(@class, 'govuk-error-message')]")
    summary = document.xpath(
        "//*[contains(concat(' ', normalize-space(@class), ' '), ' govuk-error-summary ')]"
    )
    assert len(summary) == 1
    assert "There is a problem" in summary[0].text_content()
    assert summary[0].xpath(".//a/@href") == ["#next_pep_date-day"]
    assert document.xpath("//title")[0].text_content().startswith("Error: ")
    # Before the heading, as on every page with errors (GOV.UK error summary pattern).
    assert html.index("govuk-error-summary") < html.index("<h1")
    assert_accessible(html, "the conflict page with an impossible date")


def test_the_conflict_page_without_errors_says_no_error(client_for, seeded):
    client = client_for("dt_oakfield")
    pep_id = open_pep_id(seeded, HARRY)
    url = section_url(pep_id, "meeting_details")
    response = two_tabs_in_conflict(
        client, url, lambda fields: replace_field(fields, "meeting_venue", "The library")
    )
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    document = lxml.html.document_fromstring(html)
    assert not document.xpath("//*[contains(@class, 'govuk-error-summary')]")
    assert not document.xpath("//title")[0].text_content().startswith("Error")
    assert_accessible(html, "the conflict page")
