"""A section form's fields are written as plain markup by Python functions
(portal/peps/field_markup.py, the template global `render_field`) rather than through the
govuk-frontend-jinja macros, which cost most of a section page's time. This proves the markup is
the same: every section of the latest version of every form (and of the drafts of the next
versions), with sample answers, empty, with every kind of error and with autofocus, rendered both
ways and compared element by element (attributes in any order, whitespace between words
collapsed).

section_fields_govuk_reference.html is the section form's field macros as they were when they
called the GOV.UK macros. What the GOV.UK macros have no part in is left out of the comparison,
and only that: the wrapper of a conditional question and its "Answer this only if" hint (the
question's own markup inside the wrapper is compared), and a calculated figure (which the
reference does not render).
"""

from __future__ import annotations

from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, render_template_string
from werkzeug.datastructures import MultiDict

from devtools.oidc_provider import OidcProvider
from forms import form_from_answers, load_definitions
from forms.rows import give_new_rows_ids
from forms.samples import sample_answers
from forms.schema import DEFAULT_DIRECTORY, SectionType
from portal import create_app
from portal.form_registry import draft_form_class, form_registry
from tests.conftest import portal_config

# The reference marks as "(optional)" every question not required; the portal leaves a question
# required under a condition (required_if) unmarked too. That is the portal's own wording, not
# GOV.UK markup, so the reference is given the same rule.
REFERENCE = (
    (Path(__file__).parent / "section_fields_govuk_reference.html")
    .read_text()
    .replace(
        "{% if not definition.required %} (optional)",
        "{% if not definition.required and not definition.required_if %} (optional)",
    )
    .replace(
        "not group.required and not group.min_rows %} (optional)",
        "not group.required and not group.required_if and not group.min_rows %} (optional)",
    )
)
RENDER_ALL = "{% for field in form %}{{ render_field(field) }}{% endfor %}"
# As the section page renders its fields (templates/peps/_section_form.html).
RENDER_ALL_ON_THE_PAGE = (
    "{% set page = section_page(form) %}"
    "{% for field in form %}{{ render_field(field, page=page) }}{% endfor %}"
)
DRAFTS = DEFAULT_DIRECTORY.parent / "drafts"
VOID_TAGS = frozenset(
    {"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}
)
FACTS = {
    "child_name": "Ada Example",
    "date_of_birth": date(2014, 3, 27),
    "school_name": "Oakfield Primary",
    "year_group": "Year 6",
    "legal_status": "Care order",
    "date_entered_care": date(2020, 1, 6),
    "upn": "A123456789012",
    "local_authority_reference": "LA-1",
}


class Elements(HTMLParser):
    """The page as a list of tags (attributes sorted) and words, without what only the portal
    adds around the GOV.UK components: a conditional question's wrapper (its contents are kept)
    and hint, and calculated figures."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.items: list[Any] = []
        self.wrappers_left_out = 0
        self.hints_left_out = 0
        self.figures_left_out = 0
        # For each open element: whether its tags are left out, and whether all it holds is.
        self._open: list[tuple[bool, bool]] = []

    @property
    def _inside_left_out(self) -> bool:
        return any(whole for _tag_only, whole in self._open)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        classes = (names.get("class") or "").split()
        whole = "openpep-conditional__hint" in classes or "data-openpep-calculated" in names
        tag_only = "data-openpep-shown-if" in names
        if not self._inside_left_out:
            # A figure carries its inputs' conditions itself: it is counted as a figure.
            self.wrappers_left_out += tag_only and not whole
            self.hints_left_out += "openpep-conditional__hint" in classes
            self.figures_left_out += "data-openpep-calculated" in names
            if not (whole or tag_only):
                self.items.append(("<", tag, tuple(sorted(attrs))))
        if tag not in VOID_TAGS:
            self._open.append((tag_only, whole))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID_TAGS:
            return
        tag_only, whole = self._open.pop()
        if not (whole or tag_only or self._inside_left_out):
            self.items.append((">", tag))

    def handle_data(self, data: str) -> None:
        words = " ".join(data.split())
        if words and not self._inside_left_out:
            self.items.append(("text", words))


def parsed(html: str) -> Elements:
    parser = Elements()
    parser.feed(html)
    return parser


def elements(html: str) -> list[Any]:
    return parsed(html).items


def _garbage_post(form: Any) -> MultiDict[str, str]:
    """Something wrong in every box: words where numbers and dates go, unknown choices."""
    post: MultiDict[str, str] = MultiDict()
    for field in form:
        for name in _names(field):
            post.add(name, "not right <b>")
    return post


def _names(field: Any) -> list[str]:
    if hasattr(field, "entries"):
        return [name for entry in field.entries for sub in entry.form for name in _names(sub)]
    if (
        getattr(field, "definition", None) is not None
        and field.definition.field_type.value == "date"
    ):
        return [field.name] * 3
    return [field.name]


def _draft_definitions() -> list[Any]:
    """The latest version of each form with the drafts of the next versions beside the
    published ones, as the portal will load them once they are published."""
    if not any(DRAFTS.glob("*.yaml")):
        return []
    registry = load_definitions(DEFAULT_DIRECTORY, DRAFTS)
    return [registry.latest(definition.key) for definition in registry]


def _sections() -> list[Any]:
    # The latest version of each form: older versions' fields are of the same kinds.
    definitions = {(d.key, d.version): d for d in form_registry()}
    latest = {d.key: form_registry().latest(d.key) for d in form_registry()}
    for definition in _draft_definitions():
        if (definition.key, definition.version) not in definitions:
            latest[definition.key] = definition
    return [
        pytest.param(section, id=f"{definition.key}-v{definition.version}-{section.key}")
        for definition in latest.values()
        for section in definition.sections
        if section.section_type is SectionType.STANDARD
    ]


@pytest.fixture(scope="module")
def templates_app(oidc_provider: OidcProvider, tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """Markup only: one app for every section, on a database it never opens."""
    database = tmp_path_factory.mktemp("markup") / "unused.sqlite3"
    return create_app(portal_config(f"sqlite:///{database}", oidc_provider))


@pytest.mark.parametrize("section", _sections())
def test_every_section_form_renders_the_same_markup_as_the_govuk_macros(
    templates_app: Flask, section: Any
) -> None:
    app = templates_app
    form_class = draft_form_class(section)
    answers = sample_answers(section, today=date(2026, 11, 28))
    with app.test_request_context():
        cases = {"sample answers": form_from_answers(form_class, section, answers, facts=FACTS)}
        cases["empty, validated"] = form_from_answers(
            form_class, section, {}, facts=FACTS, formdata=MultiDict({"x": "y"})
        )
        cases["empty, validated"].validate()
        wrong = form_from_answers(form_class, section, answers, facts=FACTS)
        cases["wrong answers, validated"] = form_from_answers(
            form_class, section, answers, facts=FACTS, formdata=_garbage_post(wrong)
        )
        cases["wrong answers, validated"].validate()
        focused = form_from_answers(form_class, section, answers, facts=FACTS)
        for field in focused:
            field.autofocus = True
        cases["autofocus"] = focused
        for case, form in cases.items():
            give_new_rows_ids(form)
            fast = render_template_string(RENDER_ALL_ON_THE_PAGE, form=form)
            reference = render_template_string(REFERENCE + RENDER_ALL, form=form)
            page = parsed(fast)
            assert page.items == elements(reference), case
            assert page.items, case
            # Every conditional question has its wrapper and hint; every figure is on the page.
            assert page.wrappers_left_out == page.hints_left_out, case
            assert page.wrappers_left_out >= sum(1 for f in section.fields if f.shown_if), case
            figures = [f for f in section.fields if f.field_type.value == "calculated"]
            assert page.figures_left_out == len(figures), case
