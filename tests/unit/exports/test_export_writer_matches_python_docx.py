"""The fast Word writer gives exactly the bytes python-docx's own API gives for the same PEP,
and the package writer exactly the bytes of Python's zipfile."""

import functools
import io
import itertools
import zipfile
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from docx import Document
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forms import load_definitions
from forms.schema import DEFAULT_DIRECTORY
from portal.exports.content import QuestionAnswer, Table, gather_content
from portal.exports.docx_writer import render_document
from portal.exports.package import deterministic_package, packed, write_package
from portal.exports.samples import sample_pep
from tests.unit.exports import python_docx_reference
from tests.unit.exports.hostile import hostile_pep

SETTINGS = {"AUTHORITY_NAME": "Testshire County Council"}
WHEN = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
FORM_KEYS = sorted(load_definitions(DEFAULT_DIRECTORY).form_keys())


def contents(pep, trail, **options):
    return [
        gather_content(pep, trail, settings=SETTINGS, draft=draft, generated_at=WHEN, **options)
        for draft in (True, False)
    ]


def assert_same_document(content):
    expected = python_docx_reference.render_document(content)
    actual = render_document(content)
    if actual != expected:
        with (
            zipfile.ZipFile(io.BytesIO(expected)) as wanted,
            zipfile.ZipFile(io.BytesIO(actual)) as got,
        ):
            assert got.namelist() == wanted.namelist()
            for name in wanted.namelist():
                assert got.read(name).decode() == wanted.read(name).decode(), name
    assert actual == expected


@pytest.mark.parametrize("form_key", FORM_KEYS)
def test_every_form_drafted_and_recorded_matches_python_docx(form_key):
    pep, trail = sample_pep(form_key=form_key)
    for content in contents(pep, trail):
        assert_same_document(content)


def test_hostile_text_matches_python_docx():
    pep, trail = hostile_pep()
    for content in contents(pep, trail):
        assert_same_document(content)


def test_a_carers_draft_of_some_sections_and_empty_tables_match_python_docx():
    pep, _trail = sample_pep()
    readable = frozenset({"meeting_details", "carers_views", "smart_targets"})
    for content in contents(pep, [], readable=readable):
        assert not content.signoffs.rows
        assert_same_document(content)


# Characters that change the markup: tabs, breaks, spaces at the ends (xml:space), what XML
# escapes, right-to-left scripts, emoji, and what clean_text removes.
AWKWARD_PIECES = [*"ab &<>\"'\t\r\n \xa0\u2028\x00\x0b\ufffe]]>£\u202e", "أحب", "אני", "😀👍🏽"]
AWKWARD = st.lists(st.sampled_from(AWKWARD_PIECES), max_size=12).map("".join)


@functools.cache
def sample_content():
    pep, trail = sample_pep()
    return gather_content(pep, trail, settings=SETTINGS, draft=True, generated_at=WHEN)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(AWKWARD, min_size=1, max_size=40), st.booleans())
def test_any_text_anywhere_matches_python_docx(texts, draft):
    awkward = itertools.cycle(texts)
    content = sample_content()

    def block(item):
        if isinstance(item, QuestionAnswer):
            return QuestionAnswer(next(awkward), next(awkward), next(awkward))
        if isinstance(item, Table):
            return replace(
                item,
                title=next(awkward),
                rows=tuple(tuple(next(awkward) for _ in row) for row in item.rows[:2]),
                totals=tuple((next(awkward), next(awkward)) for _ in item.totals),
            )
        return replace(item, text=next(awkward))

    sections = tuple(
        replace(
            section,
            title=next(awkward),
            completed_by=next(awkward),
            blocks=tuple(block(item) for item in section.blocks[:6]),
        )
        for section in content.sections
    )
    changed = replace(
        content,
        authority_name=next(awkward),
        form_title=next(awkward),
        cover=tuple((next(awkward), next(awkward)) for _ in content.cover[:3]),
        sections=sections,
        draft=draft,
        properties={"title": next(awkward), "author": next(awkward)},
    )
    assert_same_document(changed)


def test_the_package_writer_matches_zipfile():
    output = io.BytesIO()
    Document().save(output)
    with zipfile.ZipFile(io.BytesIO(output.getvalue())) as package:
        members = {name: package.read(name) for name in package.namelist()}
    expected = deterministic_package(output.getvalue())
    assert write_package({name: packed(name, data) for name, data in members.items()}) == expected
