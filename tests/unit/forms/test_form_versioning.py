"""A PEP stores the (key, version) of its form: adding version 2 must leave version 1 intact."""

import shutil
from datetime import date

import pytest
import yaml

from forms.builder import build_section_form
from forms.completeness import SectionStatus, section_status
from forms.samples import sample_answers
from forms.schema import DEFAULT_DIRECTORY, FormDefinitionError, load_definitions

TODAY = date(2026, 3, 27)


def test_version_two_loads_beside_version_one_and_version_one_still_resolves(tmp_path):
    for path in DEFAULT_DIRECTORY.glob("*.v1.yaml"):
        shutil.copy(path, tmp_path)
    version_two = yaml.safe_load((DEFAULT_DIRECTORY / "school_age.v1.yaml").read_text())
    version_two["version"] = 2
    version_two["title"] = "Personal Education Plan (Reception to Year 11), 2027 edition"
    meeting = version_two["sections"][0]
    meeting["fields"].append(
        {"key": "interpreter_needed", "type": "yes_no", "label": "Was an interpreter needed?"}
    )
    (tmp_path / "school_age.v2.yaml").write_text(yaml.safe_dump(version_two, sort_keys=False))

    registry = load_definitions(tmp_path)

    assert registry.versions("school_age") == (1, 2)
    assert ("school_age", 1) in registry and ("school_age", 2) in registry
    assert registry.latest("school_age").version == 2
    assert registry.pep_form_for(9, 4).version == 2

    stored_version = registry.get("school_age", 1)
    assert stored_version.version == 1
    assert stored_version.title == "Personal Education Plan (Reception to Year 11)"
    stored_meeting = stored_version.section("meeting_details")
    assert "interpreter_needed" not in {field.key for field in stored_meeting.fields}
    assert "interpreter_needed" in {
        field.key for field in registry.get("school_age", 2).section("meeting_details").fields
    }

    # A PEP started on version 1 still builds and completes on version 1.
    answers = sample_answers(stored_meeting, today=TODAY)
    form = build_section_form(stored_meeting)()
    assert "interpreter_needed" not in form
    assert section_status(stored_meeting, answers, today=TODAY) is SectionStatus.COMPLETED

    # Both versions' "my views" sections are linked to the same child's-voice form.
    assert registry.get("school_age", 2).section("my_views").voice_definition is registry.get(
        "child_voice", 1
    )


def test_iteration_is_by_key_then_version(registry):
    assert [(d.key, d.version) for d in registry] == [
        ("child_voice", 1),
        ("child_voice", 2),
        ("early_years", 1),
        ("early_years", 2),
        ("early_years", 3),
        ("post_16", 1),
        ("post_16", 2),
        ("post_16", 3),
        ("school_age", 1),
        ("school_age", 2),
        ("school_age", 3),
    ]
    assert len(registry) == 11


def test_a_draft_folder_loads_beside_the_published_forms(tmp_path):
    """The drafts of the next versions (forms/drafts) load with the published definitions as
    one registry, as the portal will hold them once they are published."""
    draft = yaml.safe_load((DEFAULT_DIRECTORY / "school_age.v3.yaml").read_text())
    draft["version"] = 4
    (tmp_path / "school_age.v4.yaml").write_text(yaml.safe_dump(draft, sort_keys=False))

    registry = load_definitions(DEFAULT_DIRECTORY, tmp_path)

    assert registry.versions("school_age") == (1, 2, 3, 4)
    assert registry.versions("post_16") == load_definitions().versions("post_16")
    assert registry.latest("school_age").version == 4


def test_folders_with_no_definitions_are_named_in_the_message(tmp_path):
    empty, also_empty = tmp_path / "one", tmp_path / "two"
    empty.mkdir()
    also_empty.mkdir()
    with pytest.raises(FormDefinitionError, match=f"{empty}, {also_empty}: no form definitions"):
        load_definitions(empty, also_empty)
