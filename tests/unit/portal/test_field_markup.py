"""A section form's fields as markup (portal/peps/field_markup.py): the behaviours that are easy
to lose when the markup is written by hand. Every text is escaped once, only sentences are shown
as errors, a half-typed date keeps what was typed and marks only the empty boxes, autofocus
lands on one control, unticking every checkbox still posts an answer, and a removed row is
announced."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jinja2
import pytest
import yaml
from flask import Flask
from werkzeug.datastructures import MultiDict

from forms import form_from_answers
from forms.builder import build_section_form
from forms.schema import SectionDefinition, load_definition
from portal.peps.field_markup import render_field
from portal.peps.presenters import section_page

HOSTILE_LABEL = 'Carer\'s "view" <b>now</b>'
HOSTILE_HINT = "Use <i>plain</i> words & no 'tags'"
HOSTILE_ANSWER = '<script>alert("x")</script>'

DOCUMENT = {
    "key": "sample",
    "version": 1,
    "title": "Sample",
    "phase": "school_age",
    "sections": [
        {
            "key": "views",
            "title": "Views",
            "owner": "designated_teacher",
            "description": "What people think.",
            "fields": [
                {
                    "key": "view",
                    "type": "short_text",
                    "label": HOSTILE_LABEL,
                    "hint": HOSTILE_HINT,
                    "max_length": 100,
                },
                {
                    "key": "name",
                    "type": "short_text",
                    "label": "Name",
                    "error_name": "the name",
                    "required": True,
                    "max_length": 100,
                },
                {"key": "review_date", "type": "date", "label": "Review date"},
                {"key": "has_mentor", "type": "yes_no", "label": "Has a mentor?"},
                {
                    "key": "mentor_name",
                    "type": "short_text",
                    "label": "Mentor's name",
                    "max_length": 100,
                    "shown_if": {"field": "has_mentor", "equals": True},
                },
                {
                    "key": "support",
                    "type": "checkboxes",
                    "label": "Support",
                    "options": [
                        {"value": "mentor", "label": "Mentor <b>"},
                        {"value": "tutor", "label": "Tutor"},
                    ],
                },
                {
                    "key": "feeling",
                    "type": "feelings_scale",
                    "label": "How do you feel?",
                    "options": [
                        {"value": "happy", "label": "Happy & <b>", "picture": "happy"},
                        {"value": "sad", "label": "Sad", "picture": "sad"},
                    ],
                },
                {
                    "key": "people",
                    "type": "repeating_group",
                    "label": "People",
                    "row_label": "Person",
                    "row_label_plural": "People",
                    "max_rows": 5,
                    "columns": [
                        {
                            "key": "who",
                            "type": "short_text",
                            "label": "Who",
                            "error_name": "who it is",
                            "required": True,
                            "max_length": 100,
                        }
                    ],
                },
            ],
        }
    ],
}


@pytest.fixture(scope="module")
def section(tmp_path_factory: pytest.TempPathFactory) -> SectionDefinition:
    path: Path = tmp_path_factory.mktemp("markup") / "sample.v1.yaml"
    path.write_text(yaml.safe_dump(DOCUMENT, sort_keys=False), encoding="utf-8")
    return load_definition(path).sections[0]


@pytest.fixture(autouse=True)
def request_context() -> Iterator[None]:
    """A feelings scale's pictures are static files: their addresses need an app."""
    with Flask(__name__).test_request_context():
        yield


def _form(section: SectionDefinition, answers: dict[str, object] | None = None, **kwargs: Any):
    return form_from_answers(build_section_form(section, draft=True), section, answers, **kwargs)


def _posted(section: SectionDefinition, post: MultiDict[str, str]) -> Any:
    form = _form(section, {}, formdata=post)
    form.validate()
    return form


def _tag(markup: str, tag: str, element_id: str) -> str:
    """The opening tag of the element with this id."""
    found = re.search(rf'<{tag} [^>]*id="{re.escape(element_id)}"[^>]*>', markup)
    assert found, f"no <{tag} id={element_id}> in {markup}"
    return found.group(0)


def test_a_hostile_label_hint_and_answer_are_escaped_exactly_once(
    section: SectionDefinition,
) -> None:
    form = _form(section, {"view": HOSTILE_ANSWER})
    markup = render_field(form["view"])
    assert "Carer&#39;s &#34;view&#34; &lt;b&gt;now&lt;/b&gt; (optional)" in markup
    assert "Use &lt;i&gt;plain&lt;/i&gt; words &amp; no &#39;tags&#39;" in markup
    assert 'value="&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"' in markup
    assert "<script>" not in markup and "<b>now" not in markup
    # In a template the markup is written as it is, not escaped a second time.
    environment = jinja2.Environment(autoescape=True)
    page = environment.from_string("{{ render_field(field) }}").render(
        render_field=render_field, field=form["view"]
    )
    assert page == str(markup)


def test_an_option_label_is_escaped_and_a_required_question_is_not_marked_optional(
    section: SectionDefinition,
) -> None:
    form = _form(section, {})
    assert "Mentor &lt;b&gt;" in render_field(form["support"])
    assert "(optional)" not in render_field(form["name"])
    assert "Support (optional)" in render_field(form["support"])


def test_only_the_errors_that_are_sentences_are_shown(section: SectionDefinition) -> None:
    form = _form(section, {})
    # A table's errors also hold its rows' errors (lists and dicts): its cells show those.
    form["name"].errors = [{"who": ["Enter who it is"]}, ["Enter a date"], "Enter the name"]
    markup = render_field(form["name"])
    assert markup.count('class="govuk-error-message"') == 1
    assert '<span class="govuk-visually-hidden">Error:</span> Enter the name' in markup
    assert "Enter who it is" not in markup and "Enter a date" not in markup
    assert 'aria-describedby="name-error"' in markup
    assert "govuk-form-group--error" in markup


def test_a_half_typed_date_keeps_what_was_typed_and_marks_only_the_empty_boxes(
    section: SectionDefinition,
) -> None:
    form = _posted(
        section, MultiDict([("review_date", ""), ("review_date", "3"), ("review_date", "2026")])
    )
    markup = render_field(form["review_date"])
    day = _tag(markup, "input", "review_date-day")
    month = _tag(markup, "input", "review_date-month")
    year = _tag(markup, "input", "review_date-year")
    assert 'value=""' in day and "govuk-input--error" in day
    assert 'value="3"' in month and "govuk-input--error" not in month
    assert 'value="2026"' in year and "govuk-input--error" not in year
    assert 'id="review_date-error"' in markup


def test_a_date_that_cannot_be_read_marks_every_box(section: SectionDefinition) -> None:
    post = MultiDict([("review_date", "31"), ("review_date", "2"), ("review_date", "2026")])
    markup = render_field(_posted(section, post)["review_date"])
    for part in ("day", "month", "year"):
        assert "govuk-input--error" in _tag(markup, "input", f"review_date-{part}")


def test_a_saved_date_fills_its_boxes_and_an_empty_one_shows_the_example(
    section: SectionDefinition,
) -> None:
    saved = render_field(_form(section, {"review_date": "2026-03-07"})["review_date"])
    assert 'value="7"' in _tag(saved, "input", "review_date-day")
    assert 'value="3"' in _tag(saved, "input", "review_date-month")
    assert 'value="2026"' in _tag(saved, "input", "review_date-year")
    empty = render_field(_form(section, {})["review_date"])
    assert "For example, 27 3 2026" in empty
    assert 'value=""' in _tag(empty, "input", "review_date-day")


def test_autofocus_goes_to_the_first_box_or_item_only(section: SectionDefinition) -> None:
    form = _form(section, {})
    for key in ("review_date", "support", "name"):
        form[key].autofocus = True
    date_markup = render_field(form["review_date"])
    assert date_markup.count('autofocus=""') == 1
    assert 'autofocus=""' in _tag(date_markup, "input", "review_date-day")
    checkboxes = render_field(form["support"])
    assert checkboxes.count('autofocus=""') == 1
    assert 'autofocus=""' in _tag(checkboxes, "input", "support")
    assert render_field(form["name"]).count('autofocus=""') == 1
    # Only True turns it on: WTForms fields have no such attribute otherwise.
    form["view"].autofocus = "yes"
    assert "autofocus" not in render_field(form["view"])


def test_the_checkboxes_post_a_blank_so_that_unticking_every_box_is_saved(
    section: SectionDefinition,
) -> None:
    markup = render_field(_form(section, {})["support"])
    assert markup.startswith('<input type="hidden" name="support" value="">\n')
    assert " checked" not in markup
    assert "Select all that apply" in markup
    ticked = render_field(_form(section, {"support": ["tutor"]})["support"])
    assert " checked" in _tag(ticked, "input", "support-2")
    assert " checked" not in _tag(ticked, "input", "support")


def test_a_feeling_shows_its_picture_beside_the_escaped_word(section: SectionDefinition) -> None:
    markup = render_field(_form(section, {})["feeling"])
    assert (
        '<img class="openpep-feeling__picture" src="/static/images/feelings/happy.svg" alt=""'
        ' width="44" height="44"><span class="openpep-feeling__word">Happy &amp; &lt;b&gt;</span>'
    ) in markup
    assert "govuk-fieldset__legend--m" in markup


def test_a_removed_row_is_announced_where_focus_lands(section: SectionDefinition) -> None:
    form = _form(section, {})
    form["people"].row_change = 'Person 2 removed <b>"now"</b>.'
    markup = render_field(form["people"])
    change = _tag(markup, "p", "people-change")
    assert 'tabindex="-1"' in change and "autofocus" in change
    assert "Person 2 removed &lt;b&gt;&#34;now&#34;&lt;/b&gt;." in markup
    # Without a change there is nothing to announce.
    assert "openpep-row-change" not in render_field(_form(section, {})["people"])


def test_a_table_names_its_rows_and_offers_buttons_only_when_editable(
    section: SectionDefinition,
) -> None:
    form = _form(section, {"people": [{"who": "Sam"}]})
    form["people"].entries[0].form.row_id.data = "row-1"
    editable = render_field(form["people"])
    assert '<span class="govuk-visually-hidden">Person 1: </span>Who' in editable
    assert 'value="remove_row:people:row-1"' in editable
    assert 'value="add_row:people"' in editable
    read_only = render_field(form["people"], editable=False)
    assert "remove_row" not in read_only and "add_row" not in read_only
    empty = _form(section, {})["people"]
    empty.entries = []
    assert '    <p class="govuk-body">No people yet.</p>\n' in render_field(empty)


def test_a_conditional_question_is_wrapped_with_its_condition_only_on_a_page(
    section: SectionDefinition,
) -> None:
    form = _form(section, {})
    question = render_field(form["mentor_name"])
    assert "openpep-conditional" not in question
    wrapped = render_field(form["mentor_name"], page=section_page(form))
    assert wrapped.startswith(
        '<div class="openpep-conditional" id="mentor_name-conditional"'
        ' data-openpep-shown-if="{&#34;'
    )
    assert 'data-openpep-name-prefix=""' in wrapped
    assert '<p class="govuk-body openpep-conditional__hint" id="mentor_name-only-if">' in wrapped
    # The question inside is the same markup as without the page.
    assert str(question) in wrapped
    assert wrapped.endswith(f"{question}\n</div>\n")


# Every text a form's author or the people using it write, holding each character that must be
# escaped. Escaped once it reads HOSTILE_ESCAPED; escaped twice it would hold "&amp;lt;".
HOSTILE = "<script>alert(\"x\")</script> & 'y'"
HOSTILE_ESCAPED = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#39;y&#39;"
HOSTILE_DOCUMENT = {
    "key": "hostile",
    "version": 1,
    "title": "Hostile",
    "phase": "school_age",
    "sections": [
        {
            "key": "texts",
            "title": "Texts",
            "owner": "designated_teacher",
            "description": "Every text holds characters to escape.",
            "fields": [
                {
                    "key": "child_name",
                    "type": "fact",
                    "label": "Child's name",
                    "source": "child_name",
                },
                {
                    "key": "choice",
                    "type": "radios",
                    "label": "Choice",
                    "options": [
                        {"value": "first", "label": f"Radio {HOSTILE}", "hint": f"Hint {HOSTILE}"},
                        {"value": "second", "label": "Second"},
                    ],
                },
                {
                    "key": "follow_up",
                    "type": "short_text",
                    "label": "Follow up",
                    "max_length": 100,
                    "shown_if": {"field": "choice", "equals": "first"},
                },
                {
                    "key": "pick",
                    "type": "select",
                    "label": "Pick",
                    "options": [
                        {"value": "one", "label": f"Select {HOSTILE}"},
                        {"value": "two", "label": "Two"},
                    ],
                },
                {"key": "notes", "type": "long_text", "label": "Notes", "max_length": 2000},
                {"key": "missed", "type": "whole_number", "label": "Missed", "min": 0, "max": 400},
                {
                    "key": "possible",
                    "type": "whole_number",
                    "label": "Possible",
                    "min": 0,
                    "max": 400,
                },
                {
                    "key": "rate",
                    "type": "calculated",
                    "label": "Rate",
                    "calculation": "percentage",
                    "numerator": ["missed"],
                    "denominator": "possible",
                    "decimal_places": 1,
                    "bands": [{"at_least": 10, "label": f"Band {HOSTILE}"}],
                    "otherwise": "Fine",
                },
                {
                    "key": "people",
                    "type": "repeating_group",
                    "label": f"Table {HOSTILE}",
                    "hint": f"Table hint {HOSTILE}",
                    "row_label": f"Row {HOSTILE}",
                    "row_label_plural": "Rows",
                    "max_rows": 5,
                    "columns": [
                        {"key": "who", "type": "short_text", "label": "Who", "max_length": 100}
                    ],
                },
            ],
        }
    ],
}


@pytest.fixture(scope="module")
def hostile_section(tmp_path_factory: pytest.TempPathFactory) -> SectionDefinition:
    path: Path = tmp_path_factory.mktemp("hostile") / "hostile.v1.yaml"
    path.write_text(yaml.safe_dump(HOSTILE_DOCUMENT, sort_keys=False), encoding="utf-8")
    return load_definition(path).sections[0]


def _escaped_once(markup: str, times: int = 1) -> None:
    """The hostile text is in the markup escaped, exactly once, and never as it is."""
    assert markup.count(HOSTILE_ESCAPED) == times, markup
    assert "<script>" not in markup and "&amp;lt;" not in markup and "&amp;#" not in markup


def test_option_labels_and_hints_of_radios_and_a_select_are_escaped_once(
    hostile_section: SectionDefinition,
) -> None:
    form = _form(hostile_section, {})
    radios = render_field(form["choice"])
    _escaped_once(radios, times=2)
    assert f"Radio {HOSTILE_ESCAPED}\n" in radios
    assert f"Hint {HOSTILE_ESCAPED}\n" in radios
    select = render_field(form["pick"])
    _escaped_once(select)
    assert f'<option value="one">Select {HOSTILE_ESCAPED}</option>' in select


def test_error_messages_are_escaped_once(hostile_section: SectionDefinition) -> None:
    form = _form(hostile_section, {})
    for key in ("choice", "pick", "notes", "missed"):
        form[key].errors = [HOSTILE]
        markup = render_field(form[key])
        assert f'<span class="govuk-visually-hidden">Error:</span> {HOSTILE_ESCAPED}' in markup
        if key == "choice":
            _escaped_once(markup, times=3)
        elif key == "pick":
            _escaped_once(markup, times=2)
        else:
            _escaped_once(markup)


def test_a_textarea_value_is_escaped_once(hostile_section: SectionDefinition) -> None:
    markup = render_field(_form(hostile_section, {"notes": HOSTILE})["notes"])
    _escaped_once(markup)
    assert f'rows="6" aria-describedby="notes-info">{HOSTILE_ESCAPED}</textarea>' in markup


def test_a_tables_label_hint_and_row_label_are_escaped_once(
    hostile_section: SectionDefinition,
) -> None:
    form = _form(hostile_section, {"people": [{"who": HOSTILE}]})
    markup = render_field(form["people"])
    assert f"Table {HOSTILE_ESCAPED} (optional)</legend>" in markup
    assert f'<div id="people-hint" class="govuk-hint">Table hint {HOSTILE_ESCAPED}</div>' in markup
    assert f'<h2 class="govuk-heading-s">Row {HOSTILE_ESCAPED} 1</h2>' in markup
    assert f'<span class="govuk-visually-hidden">Row {HOSTILE_ESCAPED} 1: </span>Who' in markup
    # The answer in the row's box too.
    assert f'value="{HOSTILE_ESCAPED}"' in markup
    assert "<script>" not in markup and "&amp;lt;" not in markup and "&amp;#" not in markup


def test_a_tables_fieldset_names_its_hint_and_each_error_message(
    hostile_section: SectionDefinition, section: SectionDefinition
) -> None:
    """A screen reader entering the table reads its hint and errors, as GOV.UK's fieldsets
    give them; every id named is on the page once."""
    form = _form(hostile_section, {})
    form["people"].errors = ["Add at least 1 row", {"who": ["Enter who"]}, "Remove a row"]
    markup = render_field(form["people"])
    assert '<fieldset class="govuk-fieldset" aria-describedby="people-hint people-error' in markup
    described = re.search(r'<fieldset[^>]* aria-describedby="([^"]+)"', markup)
    assert described is not None
    assert described.group(1).split() == ["people-hint", "people-error", "people-error-2"]
    for element_id in described.group(1).split():
        assert markup.count(f'id="{element_id}"') == 1
    assert '<p id="people-error-2" class="govuk-error-message">' in markup
    # Without a hint or an error there is nothing to name.
    plain = render_field(_form(section, {})["people"])
    assert '<fieldset class="govuk-fieldset">' in plain
    # A hint alone.
    assert 'aria-describedby="people-hint">' in render_field(_form(hostile_section, {})["people"])


def test_a_fact_is_escaped_once(hostile_section: SectionDefinition) -> None:
    form = _form(hostile_section, {}, facts={"child_name": HOSTILE})
    markup = render_field(form["child_name"])
    _escaped_once(markup)
    assert f'id="child_name">{HOSTILE_ESCAPED}</p>' in markup


def test_a_calculated_figures_text_is_escaped_once(hostile_section: SectionDefinition) -> None:
    form = _form(hostile_section, {"missed": 50, "possible": 100})
    markup = render_field(form["rate"], page=section_page(form))
    assert f"Band {HOSTILE_ESCAPED}" in markup
    _escaped_once(markup)


def test_the_answer_this_only_if_hint_is_escaped_once(hostile_section: SectionDefinition) -> None:
    form = _form(hostile_section, {})
    markup = render_field(form["follow_up"], page=section_page(form))
    assert f"Answer this only if &#34;Choice&#34; is &#34;Radio {HOSTILE_ESCAPED}&#34;" in markup
    _escaped_once(markup)
