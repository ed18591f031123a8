"""QA criteria and rating scales are data: they load, and a broken file says where it is broken."""

from pathlib import Path

import pytest

from workflows.quality import (
    DefinitionError,
    Judgement,
    QaRecord,
    judgement_problems,
    load_qa_criteria,
    load_scales,
    rating_passes,
    unjudged_criteria,
)

GOOD_SCALES = """\
version: 1
default: rag
scales:
  rag:
    title: Red, amber, green
    default_threshold: amber
    ratings:
      - {key: green, label: Green}
      - {key: amber, label: Amber}
      - {key: red, label: Red}
"""

GOOD_CRITERIA = """\
version: 1
title: Criteria
criteria:
  - {key: child_voice, title: The child's voice, guidance: Look for their words.}
  - {key: carer_input, title: The carer's input, guidance: Look for it.}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_criteria_file_loads_with_every_domain_criterion():
    criteria = load_qa_criteria()
    assert criteria.version == 1
    keys = [criterion.key for criterion in criteria.criteria]
    assert len(keys) == len(set(keys)) == 10
    assert keys[0] == "child_voice"
    assert {"smart_targets", "pupil_premium_plus_linked", "meeting_recorded"} <= set(keys)
    assert all(criterion.title and criterion.guidance for criterion in criteria.criteria)
    assert criteria.get("transition_plans").may_not_apply
    assert not criteria.get("smart_targets").may_not_apply


def test_scales_file_loads_rag_by_default_and_ofsted():
    scales = load_scales()
    assert scales.default_scale.key == "rag"
    assert scales["rag"].keys == ("green", "amber", "red")
    assert scales["ofsted"].keys == ("outstanding", "good", "requires_improvement", "inadequate")
    assert scales["ofsted"].rating("requires_improvement").label == "Requires improvement"


@pytest.mark.parametrize(
    ("scale", "rating", "threshold", "passes"),
    [
        ("rag", "green", None, True),
        ("rag", "amber", None, True),
        ("rag", "red", None, False),
        ("rag", "amber", "green", False),
        ("gold_rag", "gold", None, True),
        ("gold_rag", "red", None, False),
        ("ofsted", "outstanding", None, True),
        ("ofsted", "good", None, True),
        ("ofsted", "requires_improvement", None, True),
        ("ofsted", "inadequate", None, False),
        ("ofsted", "requires_improvement", "good", False),
        ("ofsted", "good", "good", True),
    ],
)
def test_rating_passes_at_or_above_the_threshold(scale, rating, threshold, passes):
    assert rating_passes(load_scales()[scale], rating, threshold) is passes


def test_unknown_rating_or_threshold_is_a_programming_error():
    rag = load_scales()["rag"]
    with pytest.raises(ValueError, match="'purple' is not a rating on the 'rag' scale"):
        rating_passes(rag, "purple")
    with pytest.raises(ValueError, match="'good' is not a rating"):
        rating_passes(rag, "green", "good")


def test_qa_record_judgements():
    criteria = load_qa_criteria()
    judgements = {"child_voice": Judgement.MET, "transition_plans": Judgement.NOT_APPLICABLE}
    record = QaRecord(criteria.version, "rag", "amber", judgements, "Good voice work")
    assert judgement_problems(criteria, record.judgements) == []
    missing = unjudged_criteria(criteria, record.judgements)
    assert len(missing) == 8
    assert missing[0] == "Previous targets are evaluated"
    every = {criterion.key: Judgement.PARTLY_MET for criterion in criteria.criteria}
    assert unjudged_criteria(criteria, every) == ()
    assert Judgement.PARTLY_MET.label == "Partly met"


def test_not_applicable_only_where_a_criterion_may_not_apply():
    criteria = load_qa_criteria()
    problems = judgement_problems(
        criteria, {"smart_targets": Judgement.NOT_APPLICABLE, "made_up": Judgement.MET}
    )
    assert problems == [
        '"Targets are SMART" applies to every PEP: choose met, partly met or not met',
        '"made_up" is not one of the quality assurance criteria',
    ]


def test_small_valid_files_load(tmp_path):
    assert load_scales(write(tmp_path, "scales.yaml", GOOD_SCALES)).default == "rag"
    criteria = load_qa_criteria(write(tmp_path, "qa.yaml", GOOD_CRITERIA))
    assert [c.key for c in criteria.criteria] == ["child_voice", "carer_input"]


@pytest.mark.parametrize(
    ("text", "where", "problem"),
    [
        (GOOD_SCALES.replace("default: rag", "default: traffic"), "default", "must be one of"),
        (
            GOOD_SCALES.replace("amber\n    ratings", "blue\n    ratings"),
            "scales.rag.default_threshold",
            "must be one of the scale's ratings",
        ),
        (
            GOOD_SCALES.replace("{key: red, label: Red}", "{key: red}"),
            "scales.rag.ratings[2].label",
            "must be non-empty text",
        ),
        (
            GOOD_SCALES.replace("{key: amber,", "{key: green,"),
            "scales.rag.ratings[1].key",
            "'green' is used by another rating",
        ),
        (
            GOOD_SCALES.replace("{key: red,", "{key: Red,"),
            "scales.rag.ratings[2].key",
            "must be lower_snake_case",
        ),
        (
            GOOD_SCALES.replace("    title: Red", "    titel: Red"),
            "scales.rag",
            "unknown field 'titel'",
        ),
        (GOOD_SCALES.replace("version: 1", "version: one"), "version", "whole number"),
        ("scales: [\n", "line 2", "is not valid YAML"),
        ("- just a list\n", "(top level)", "must be a mapping"),
    ],
)
def test_broken_scales_file_names_file_and_path(tmp_path, text, where, problem):
    path = write(tmp_path, "broken_scales.yaml", text)
    with pytest.raises(DefinitionError) as error:
        load_scales(path)
    assert str(error.value).startswith(f"broken_scales.yaml: {where}: ")
    assert problem in str(error.value)


@pytest.mark.parametrize(
    ("text", "where", "problem"),
    [
        (
            GOOD_CRITERIA.replace("guidance: Look for it.", "guidance: ''"),
            "criteria[1].guidance",
            "must be non-empty text",
        ),
        (
            GOOD_CRITERIA.replace("key: carer_input", "key: child_voice"),
            "criteria[1].key",
            "'child_voice' is used by another criterion",
        ),
        (
            GOOD_CRITERIA.replace("Look for it.}", "Look for it., may_not_apply: maybe}"),
            "criteria[1].may_not_apply",
            "must be true or false",
        ),
        ("version: 1\ntitle: Criteria\ncriteria: []\n", "criteria", "non-empty list"),
    ],
)
def test_broken_criteria_file_names_file_and_path(tmp_path, text, where, problem):
    path = write(tmp_path, "qa_criteria.v9.yaml", text)
    with pytest.raises(DefinitionError) as error:
        load_qa_criteria(path)
    assert error.value.file == path
    assert error.value.path == where
    assert problem in error.value.problem


def test_missing_file_is_a_definition_error(tmp_path):
    with pytest.raises(DefinitionError, match=r"^nowhere.yaml: \(file\): cannot be read"):
        load_scales(tmp_path / "nowhere.yaml")
