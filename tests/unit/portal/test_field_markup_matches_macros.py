"""The section form's field markup, written by Python (portal/peps/field_markup.py), is the
markup the Jinja macros it replaced gave, to the byte.

tests/fixtures/field_macros_reference/peps/ holds those macros as the portal last used them.
Every standard section of every published form version and of the drafts is rendered both ways,
field by field, for several sets of answers (sample answers, empty, wrong answers with their
errors, half-typed dates, autofocus with a removed row announced, and answers and facts holding
< > & ' "), on the page (section_page, which gives conditional questions their wrapper and
calculated figures their value) and off it, editable and read-only; the two strings must be
equal. Nothing is normalised: one byte apart fails.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import jinja2
import pytest
from flask import Flask
from werkzeug.datastructures import MultiDict

from forms import form_from_answers, load_definitions
from forms.rows import give_new_rows_ids
from forms.samples import sample_answers
from forms.schema import DEFAULT_DIRECTORY, SectionDefinition, SectionType
from portal.form_registry import draft_form_class, form_registry
from portal.peps.field_markup import render_field
from portal.peps.presenters import section_page
from portal.presentation import display_fact

REFERENCE_MACROS = Path(__file__).parents[2] / "fixtures" / "field_macros_reference"
DRAFTS = DEFAULT_DIRECTORY.parent / "drafts"
HOSTILE = "<script>alert(\"x\")</script> & 'y' > z"
FACTS: dict[str, object] = {
    "child_name": "Ada Example",
    "date_of_birth": date(2014, 3, 27),
    "school_name": "Oakfield Primary",
    "year_group": "Year 6",
    "legal_status": "Care order",
    "date_entered_care": date(2020, 1, 6),
    "upn": "A123456789012",
    "local_authority_reference": "LA-1",
}
HOSTILE_FACTS: dict[str, object] = {
    **FACTS,
    "child_name": HOSTILE,
    "school_name": HOSTILE,
    "local_authority_reference": HOSTILE,
}
# Each field rendered by itself, as the section page loops over its fields
# (templates/peps/_section_form.html), through the reference macro and through the function.
RENDER_EACH_FIELD = (
    "{% for field in form %}{{ render(field, editable=editable, page=page) }}\x00{% endfor %}"
)


def _draft_definitions() -> list[Any]:
    """Every form with the drafts of the next versions beside the published versions, as the
    portal will load them once they are published."""
    if not any(DRAFTS.glob("*.yaml")):
        return []
    return list(load_definitions(DEFAULT_DIRECTORY, DRAFTS))


def _sections() -> list[Any]:
    definitions = {(d.key, d.version): d for d in form_registry()}
    for definition in _draft_definitions():
        definitions.setdefault((definition.key, definition.version), definition)
    return [
        pytest.param(section, id=f"{definition.key}-v{definition.version}-{section.key}")
        for definition in definitions.values()
        for section in definition.sections
        if section.section_type is SectionType.STANDARD
    ]


SECTIONS = _sections()


def _names(field: Any) -> list[str]:
    """The names a field posts, once for each box (a date has three)."""
    if hasattr(field, "entries"):
        return [name for entry in field.entries for sub in entry.form for name in _names(sub)]
    definition = getattr(field, "definition", None)
    if definition is not None and definition.field_type.value == "date":
        return [field.name] * 3
    return [field.name]


def _every_box_holds(form: Any, text: str) -> MultiDict[str, str]:
    post: MultiDict[str, str] = MultiDict()
    for field in form:
        for name in _names(field):
            post.add(name, text)
    return post


def _first_box_of_each_typed(form: Any) -> MultiDict[str, str]:
    """Only the first box of each field typed: a date with its day alone, the rest blank."""
    post: MultiDict[str, str] = MultiDict()
    for field in form:
        names = _names(field)
        for position, name in enumerate(names):
            post.add(name, "12" if position == 0 or names[position - 1] != name else "")
    return post


@pytest.fixture(scope="module")
def app() -> Flask:
    """Markup only: the globals the macros call, and no database. Named after the portal's
    package so that url_for("static") gives the portal's addresses."""
    application = Flask("portal")
    # The portal's template settings (portal/__init__.py): they decide the macros' whitespace.
    application.jinja_options = {
        **Flask.jinja_options,
        "undefined": jinja2.ChainableUndefined,
        "trim_blocks": True,
        "lstrip_blocks": True,
    }
    application.jinja_loader = jinja2.FileSystemLoader(REFERENCE_MACROS)
    application.jinja_env.globals.update(section_page=section_page, display_fact=display_fact)
    return application


@pytest.fixture(scope="module")
def renderers(app: Flask) -> tuple[jinja2.Template, jinja2.Template]:
    macro = app.jinja_env.from_string(
        '{% from "peps/_fields.html" import render_field as render %}' + RENDER_EACH_FIELD
    )
    function = app.jinja_env.from_string(RENDER_EACH_FIELD, globals={"render": render_field})
    return macro, function


@pytest.fixture
def request_context(app: Flask) -> Iterator[None]:
    with app.test_request_context():
        yield


def _cases(section: SectionDefinition) -> dict[str, Any]:
    """The section's form for each set of answers."""
    form_class = draft_form_class(section)
    answers = sample_answers(section, today=date(2026, 11, 28))

    def form(
        given: dict[str, object] | None = None,
        facts: dict[str, object] = FACTS,
        post: Callable[[Any], MultiDict[str, str]] | None = None,
    ) -> Any:
        built = form_from_answers(form_class, section, given, facts=facts)
        if post is None:
            return built
        posted = form_from_answers(form_class, section, given, facts=facts, formdata=post(built))
        posted.validate()
        return posted

    focused = form(answers)
    for field in focused:
        field.autofocus = True
        if hasattr(field, "entries"):
            field.row_change = f"Row 2 removed {HOSTILE}"
            for entry in field.entries:
                for cell in entry.form:
                    cell.autofocus = True
    return {
        "sample answers": form(answers),
        "empty": form({}),
        "empty, without facts": form({}, facts={}),
        "empty, validated": form({}, post=lambda _form: MultiDict({"x": "y"})),
        "wrong answers, validated": form(
            answers, post=lambda built: _every_box_holds(built, "not right <b>")
        ),
        "half-typed, validated": form(answers, post=_first_box_of_each_typed),
        "hostile answers and facts": form(
            answers, facts=HOSTILE_FACTS, post=lambda built: _every_box_holds(built, HOSTILE)
        ),
        "autofocus": focused,
    }


@pytest.mark.usefixtures("request_context")
@pytest.mark.parametrize("section", SECTIONS)
def test_each_field_is_the_reference_macros_markup_to_the_byte(
    renderers: tuple[jinja2.Template, jinja2.Template], section: SectionDefinition
) -> None:
    macro, function = renderers
    for case, form in _cases(section).items():
        give_new_rows_ids(form)
        for on_the_page in (True, False):
            page = section_page(form) if on_the_page else None
            for editable in (True, False):
                context = {"form": form, "page": page, "editable": editable}
                expected = macro.render(context)
                written = function.render(context)
                where = f"{case}, {'on' if on_the_page else 'off'} the page, " + (
                    "editable" if editable else "read-only"
                )
                # Hostile answers, facts and row announcements reach the page escaped.
                assert "<script>" not in written, where
                assert written == expected, (
                    where
                    + ":\n"
                    + "".join(
                        difflib.unified_diff(
                            expected.splitlines(True), written.splitlines(True), "macros", "python"
                        )
                    )
                )


def test_every_kind_of_field_conditional_question_and_figure_is_compared() -> None:
    """The sections compared hold every kind of field the forms use, conditional questions and
    calculated figures, inside tables too."""
    kinds: set[str] = set()
    conditional = 0
    for param in SECTIONS:
        (section,) = param.values
        for field in section.fields:
            kinds.add(field.field_type.value)
            conditional += bool(field.shown_if)
            for column in getattr(field, "columns", ()):
                kinds.add(column.field_type.value)
                conditional += bool(column.shown_if)
    expected = {
        "short_text",
        "long_text",
        "whole_number",
        "percentage",
        "money",
        "date",
        "yes_no",
        "radios",
        "feelings_scale",
        "checkboxes",
        "select",
        "fact",
        "calculated",
        "repeating_group",
    }
    assert expected <= kinds
    assert conditional > 0
