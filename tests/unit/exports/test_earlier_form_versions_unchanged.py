"""A PEP started on any published form version reads and exports exactly as it did: the signed-off
Word record (.docx bytes) and the read view of every section (the HTML of the section page's
content) are compared byte for byte with golden copies in tests/fixtures/golden/.

Everything that goes in is fixed, so the output only changes when the code does: the answers
come from forms.samples (no randomness) for a fixed day, the child, school, PEP id, dates and
audit trail are fixed, and the record's generation moment is fixed (the Word writer stamps
docProps/core.xml and every zip member from `generated_at` and a fixed zip time, never the
clock). The section pages are rendered from the real template with the context the section view
builds for the designated teacher reading a signed-off PEP; only the page's content block is kept,
so the layout around it (navigation, asset links, anything set per request) is left out, and
no database is needed.

A change that is meant to alter these outputs regenerates the golden copies deliberately:

    OPENPEP_REGENERATE_GOLDEN=1 .venv/bin/python -m pytest -q \
        tests/unit/exports/test_earlier_form_versions_unchanged.py

and the regenerated files are committed with the change (review their diff first).
"""

from __future__ import annotations

import difflib
import functools
import io
import itertools
import os
import re
import zipfile
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from forms import load_definitions
from forms.answers import computed_totals
from forms.completeness import missing_answers
from forms.samples import sample_answers
from forms.schema import (
    DEFAULT_DIRECTORY,
    FormDefinition,
    RepeatingGroupDefinition,
    SectionType,
    VoiceBand,
)
from portal import create_app
from portal.exports.builder import build_pep_document
from portal.exports.samples import sample_pep
from portal.exports.trail import TrailEntry
from portal.form_registry import pep_child_facts
from portal.models import Pep, PepSection
from portal.peps.permissions import reads_everything, section_refusal
from portal.peps.presenters import display_rows
from workflows.quality import load_qa_criteria
from workflows.roles import Role

REPOSITORY_ROOT = Path(__file__).resolve().parents[3]
GOLDEN_DIRECTORY = REPOSITORY_ROOT / "tests" / "fixtures" / "golden"
REGENERATE = os.environ.get("OPENPEP_REGENERATE_GOLDEN") == "1"

SETTINGS = {"AUTHORITY_NAME": "Testshire County Council"}
ANSWERED_ON = date(2026, 11, 2)  # the day the sample answers' dates are counted from
GENERATED_AT = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)  # the record's moment of generation
# The first day of the PEP's academic year: the day the section pages work the year group out
# for (the live view would use today, which would make the pages change with the calendar).
FACTS_ON = date(2026, 9, 1)
# The pages are read as the designated teacher: the owner of many sections (which show that a
# signed-off PEP cannot be changed) and not of the rest (which name their owner); a reviewer
# would be sent to the quality assurance page instead of the section's read view.
READER_ROLES = frozenset({Role.DESIGNATED_TEACHER})

PUBLISHED_FORMS = [
    (key, version) for key in ("school_age", "early_years", "post_16") for version in (1, 2)
]

# Values that could differ between two renderings of the same page; none are expected in the
# content block, but a token or nonce must never make the comparison flaky.
_PER_REQUEST_VALUES = [
    (re.compile(r'(name="csrf_token"[^>]*value=")[^"]*(")'), r"\1CSRF\2"),
    (re.compile(r'(nonce=")[^"]*(")'), r"\1NONCE\2"),
]


def pep_on(definition: FormDefinition) -> tuple[Pep, list[TrailEntry]]:
    """The fixed, signed-off example PEP, started on exactly this form version, with every
    section answered (the child's views in the primary band)."""
    pep, trail = sample_pep(form_key=definition.key, today=ANSWERED_ON)
    pep.form_version = definition.version
    pep.pep_type = "termly"
    sections = []
    for section in definition.sections:
        if section.section_type is SectionType.QUALITY_ASSURANCE:
            answers: dict[str, object] = {
                "scale": "rag",
                "rating": "green",
                "judgements": {c.key: "met" for c in load_qa_criteria().criteria},
                "feedback": "A strong plan: the targets answer what Harry said about reading.",
            }
        else:
            answers = dict(sample_answers(section, today=ANSWERED_ON, band=VoiceBand.PRIMARY))
        sections.append(PepSection(section_key=section.key, answers=answers))
    pep.sections = sections
    return pep, trail


@functools.cache
def definition(form_key: str, version: int) -> FormDefinition:
    return load_definitions(DEFAULT_DIRECTORY).get(form_key, version)


@functools.cache
def page_app() -> Flask:
    """The portal, for its templates, filters and url_for: no request reaches the database."""
    return create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "golden"})


def section_read_view(pep: Pep, section_key: str) -> str:
    """The content block of the section page as the designated teacher sees it on a signed-off
    PEP: the same context the section view gives peps/section.html when nothing is editable."""
    app = page_app()
    form = definition(pep.form_key, pep.form_version)
    section = form.section(section_key)
    stored = next(s for s in pep.sections if s.section_key == section_key)
    facts = pep_child_facts(pep, on=FACTS_ON)
    context: dict[str, Any] = {
        "pep": pep,
        "section": section,
        "stored": stored,
        "form": None,
        "errors": [],
        "refusal": section_refusal(pep, section, READER_ROLES),
        "rows": [],
        "totals": [],
        "conflict": None,
        "staff": reads_everything(READER_ROLES),
    }
    if section.section_type is SectionType.CHILD_VOICE:
        voice_section = section.voice_section(stored.answers["band"])
        context["voice_section"] = voice_section
        context["rows"] = display_rows(voice_section, stored.answers.get("answers", {}), facts)
    else:
        context["rows"] = display_rows(section, stored.answers, facts)
        amounts = computed_totals(section, stored.answers)
        context["totals"] = [
            (total.label, amounts[total.key])
            for field in section.fields
            if isinstance(field, RepeatingGroupDefinition)
            for total in field.computed_totals
            if total.key in amounts
        ]
        context["missing"] = missing_answers(section, stored.answers)
    path = f"/peps/{pep.id}/sections/{section_key}"
    with app.test_request_context(path):
        app.update_template_context(context)
        template = app.jinja_env.get_template("peps/section.html")
        html = "".join(template.blocks["content"](template.new_context(context)))
    for pattern, replacement in _PER_REQUEST_VALUES:
        html = pattern.sub(replacement, html)
    return html


def golden_folder(form_key: str, version: int) -> Path:
    return GOLDEN_DIRECTORY / f"{form_key}.v{version}"


def differing_members(expected: bytes, actual: bytes) -> str:
    """The parts of the .docx package that differ, to name in the failure."""
    try:
        with (
            zipfile.ZipFile(io.BytesIO(expected)) as wanted,
            zipfile.ZipFile(io.BytesIO(actual)) as got,
        ):
            wanted_names, got_names = set(wanted.namelist()), set(got.namelist())
            differing = [
                name
                for name in sorted(wanted_names | got_names)
                if name not in wanted_names
                or name not in got_names
                or wanted.read(name) != got.read(name)
            ]
    except zipfile.BadZipFile:
        return "the golden copy is not a zip"
    if not differing:
        return "the parts are the same; only the zip's own headers differ"
    return "parts that differ: " + ", ".join(differing)


def first_differing_lines(expected: bytes, actual: bytes) -> str:
    """The start of a line diff of two pages, enough to see what moved."""
    diff = difflib.unified_diff(
        expected.decode("utf-8", "replace").splitlines(),
        actual.decode("utf-8", "replace").splitlines(),
        "golden",
        "now",
        lineterm="",
        n=1,
    )
    return "\n".join(itertools.islice(diff, 20))


def compare_with_golden(
    path: Path, actual: bytes, what: str, explain: Callable[[bytes, bytes], str]
) -> str | None:
    """None when `actual` matches the golden copy (or has just been written as it, when
    regenerating); otherwise what changed, naming the form, version and part."""
    if REGENERATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(actual)
        return None
    shown = path.relative_to(REPOSITORY_ROOT)
    if not path.exists():
        return f"{what}: there is no golden copy at {shown}"
    expected = path.read_bytes()
    if actual == expected:
        return None
    return f"{what} changed (golden copy {shown}): {explain(expected, actual)}"


def fail_on(problems: list[str]) -> None:
    if problems:
        pytest.fail(
            "\n\n".join(problems)
            + "\n\nIf the change is intended, regenerate the golden copies with "
            "OPENPEP_REGENERATE_GOLDEN=1 and review their diff.",
            pytrace=False,
        )


@pytest.mark.parametrize(("form_key", "version"), PUBLISHED_FORMS)
def test_the_word_record_is_unchanged(form_key: str, version: int) -> None:
    pep, trail = pep_on(definition(form_key, version))
    document = build_pep_document(
        pep, settings=SETTINGS, draft=False, generated_at=GENERATED_AT, trail=trail
    )
    problem = compare_with_golden(
        golden_folder(form_key, version) / "record.docx",
        document,
        f"The Word record of {form_key} version {version}",
        differing_members,
    )
    fail_on([problem] if problem else [])


@pytest.mark.parametrize(("form_key", "version"), PUBLISHED_FORMS)
def test_every_section_read_view_is_unchanged(form_key: str, version: int) -> None:
    form = definition(form_key, version)
    pep, _trail = pep_on(form)
    keys = [section.key for section in form.sections]
    folder = golden_folder(form_key, version) / "sections"
    problems = []
    if not REGENERATE:
        on_disk = {path.stem for path in folder.glob("*.html")}
        gone = sorted(on_disk - set(keys))
        if gone:
            problems.append(
                f"{form_key} version {version} no longer has the sections {gone} "
                f"(golden copies in {folder.relative_to(REPOSITORY_ROOT)})"
            )
    for key in keys:
        problem = compare_with_golden(
            folder / f"{key}.html",
            section_read_view(pep, key).encode("utf-8"),
            f"The read view of section {key!r} of {form_key} version {version}",
            first_differing_lines,
        )
        if problem:
            problems.append(problem)
    fail_on(problems)


def test_two_renderings_are_identical() -> None:
    """The goldens can only be trusted if nothing in the output depends on the run."""
    form = definition("school_age", 1)
    first_pep, first_trail = pep_on(form)
    second_pep, second_trail = pep_on(form)
    first = build_pep_document(
        first_pep, settings=SETTINGS, draft=False, generated_at=GENERATED_AT, trail=first_trail
    )
    second = build_pep_document(
        second_pep, settings=SETTINGS, draft=False, generated_at=GENERATED_AT, trail=second_trail
    )
    assert first == second
    for section in form.sections:
        assert section_read_view(first_pep, section.key) == section_read_view(
            second_pep, section.key
        )
