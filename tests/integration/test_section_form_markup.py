"""A section form's fields are written as plain markup (templates/peps/_govuk_fields.html)
rather than through the govuk-frontend-jinja macros, which cost most of a section page's time.
This proves the markup is the same: every section of the latest version of every form, with
sample answers, empty, with every kind of error and with autofocus, rendered both ways and
compared element by element (attributes in any order, whitespace between words collapsed).

section_fields_govuk_reference.html is _fields.html as it was when it called the GOV.UK macros.
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
from forms import form_from_answers
from forms.rows import give_new_rows_ids
from forms.samples import sample_answers
from forms.schema import SectionType
from portal import create_app
from portal.form_registry import draft_form_class, form_registry
from tests.conftest import portal_config

REFERENCE = (Path(__file__).parent / "section_fields_govuk_reference.html").read_text()
RENDER_ALL = "{% for field in form %}{{ render_field(field) }}{% endfor %}"
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
    """The page as a list of tags (attributes sorted) and words."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.items: list[Any] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.items.append(("<", tag, tuple(sorted(attrs))))

    def handle_endtag(self, tag: str) -> None:
        self.items.append((">", tag))

    def handle_data(self, data: str) -> None:
        words = " ".join(data.split())
        if words:
            self.items.append(("text", words))


def elements(html: str) -> list[Any]:
    parser = Elements()
    parser.feed(html)
    return parser.items


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


def _sections() -> list[Any]:
    return [
        pytest.param(section, id=f"{definition.key}-v{definition.version}-{section.key}")
        # The latest version of each form: older versions' fields are of the same kinds.
        for definition in {d.key: form_registry().latest(d.key) for d in form_registry()}.values()
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
            fast = render_template_string(
                '{% from "peps/_fields.html" import render_field %}' + RENDER_ALL, form=form
            )
            reference = render_template_string(REFERENCE + RENDER_ALL, form=form)
            assert elements(fast) == elements(reference), case
            assert elements(fast), case
