"""Who reads a section is part of its definition: staff read everything, carers and the child
read their own sections and what a section or the form shares with them."""

from pathlib import Path

import pytest
import yaml

from forms.schema import (
    DEFAULT_DIRECTORY,
    STAFF_READERS,
    FormDefinitionError,
    load_definition,
    load_definitions,
    section_readers,
)
from workflows.roles import Role


def sample(**form_extra: object) -> dict:
    return {
        "key": "sample",
        "version": 1,
        "title": "Sample",
        "phase": "school_age",
        "sections": [
            {
                "key": "staff_only",
                "title": "Staff only",
                "owner": "social_worker",
                "description": "Legal status.",
                "fields": [{"key": "status", "type": "short_text", "label": "Status"}],
            },
            {
                "key": "carers_own",
                "title": "Carer's views",
                "owner": "carer",
                "description": "The carer's views.",
                "fields": [{"key": "views", "type": "long_text", "label": "Views"}],
            },
            {
                "key": "shared",
                "title": "Shared",
                "owner": "designated_teacher",
                "description": "Meeting.",
                "readers": ["carer"],
                "fields": [{"key": "when", "type": "date", "label": "When"}],
            },
        ],
        **form_extra,
    }


def load(tmp_path: Path, document: dict):
    path = tmp_path / "sample.v1.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return load_definition(path)


def test_the_safe_default_is_staff_and_the_owner(tmp_path):
    form = load(tmp_path, sample())
    staff_only = form.section("staff_only")
    assert section_readers(form, staff_only) == STAFF_READERS
    assert Role.CARER not in section_readers(form, staff_only)
    assert Role.CHILD not in section_readers(form, staff_only)
    assert Role.CARER in section_readers(form, form.section("carers_own"))


def test_a_section_may_list_the_carer_as_a_reader(tmp_path):
    form = load(tmp_path, sample())
    assert Role.CARER in section_readers(form, form.section("shared"))
    keys = [section.key for section in form.sections_readable_by(frozenset({Role.CARER}))]
    assert keys == ["carers_own", "shared"]


def test_the_form_may_share_more_sections_with_carers(tmp_path):
    form = load(tmp_path, sample(carers_read=["staff_only"]))
    assert Role.CARER in section_readers(form, form.section("staff_only"))
    assert Role.CHILD not in section_readers(form, form.section("staff_only"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["sections"][2].update(readers=["burglar"]),
            "sample.v1.yaml: sections[2].readers[0]: unknown reader 'burglar'",
        ),
        (
            lambda d: d["sections"][2].update(readers="carer"),
            "sample.v1.yaml: sections[2].readers: must be a list",
        ),
        (
            lambda d: d.update(carers_read=["nowhere"]),
            "sample.v1.yaml: carers_read[0]: no section 'nowhere'",
        ),
    ],
)
def test_readers_that_do_not_make_sense_are_refused(tmp_path, change, message):
    document = sample()
    change(document)
    with pytest.raises(FormDefinitionError) as refused:
        load(tmp_path, document)
    assert str(refused.value).startswith(message)


def test_version_one_forms_use_the_safe_default():
    """v1 PEPs have shipped: carers read only their own section of them."""
    for path in sorted(DEFAULT_DIRECTORY.glob("*.v1.yaml")):
        form = load_definition(path)
        readable = form.sections_readable_by(frozenset({Role.CARER}))
        assert [section.owner for section in readable] in ([], [Role.CARER]), path.name


def test_version_two_keeps_the_parents_views_from_the_carer():
    registry = load_definitions()
    for key in ("early_years", "school_age", "post_16"):
        form = registry.get(key, 2)
        parents = form.section("parents_views")
        assert parents.owner is Role.SOCIAL_WORKER
        assert Role.CARER not in section_readers(form, parents)
        assert "may_share_with_parent" in [field.key for field in parents.fields]
        assert "parent_views" not in [field.key for field in form.section("carers_views").fields]
        carer_reads = {s.key for s in form.sections_readable_by(frozenset({Role.CARER}))}
        assert carer_reads == {"meeting_details", "carers_views", "actions_agreed"}
        assert "quality_assurance" not in carer_reads
