"""The reviewer's automated pre-checks, read from a PEP's answers."""

from datetime import date

from forms import load_definitions
from forms.samples import sample_answers
from portal.models import Pep, PepSection
from portal.operations.workflow import automated_pre_checks

TODAY = date(2026, 11, 24)


def pep_with(answers_by_section, form_key="school_age"):
    definition = load_definitions().get(form_key, 1)
    pep = Pep(
        form_key=form_key, form_version=1, state="approved", academic_year=2026, term="autumn"
    )
    pep.sections = [
        PepSection(section_key=s.key, answers=answers_by_section.get(s.key, {}))
        for s in definition.sections
    ]
    return pep


def complete_answers(form_key="school_age"):
    definition = load_definitions().get(form_key, 1)
    return {
        s.key: sample_answers(s, today=TODAY)
        for s in definition.sections
        if s.section_type.value != "quality_assurance"
    }


def checks_by_title(pep):
    return {check.title: check for check in automated_pre_checks(pep)}


def test_a_complete_pep_passes_every_check():
    answers = complete_answers()
    targets = answers["smart_targets"]["targets"]
    requested = sum(float(row.get("pp_plus_amount", 0)) for row in targets)
    answers["pupil_premium_plus"]["amount_requested"] = f"{requested:.2f}"
    checks = checks_by_title(pep_with(answers))
    failed = {title: c.detail for title, c in checks.items() if c.passed is False}
    assert failed == {}


def test_an_empty_pep_fails_the_checks_that_apply():
    checks = checks_by_title(pep_with({}))
    assert checks["Child's views captured"].passed is False
    assert checks["Previous targets evaluated"].passed is None  # no previous targets
    assert checks["Every target has a success measure, a deadline and an owner"].passed is False
    assert checks["Next PEP date set"].passed is False
    assert checks["Carer's views present"].passed is False


def test_vague_targets_are_named():
    answers = complete_answers()
    answers["smart_targets"]["targets"][1].pop("success_measure")
    check = checks_by_title(pep_with(answers))[
        "Every target has a success measure, a deadline and an owner"
    ]
    assert check.passed is False
    assert "Targets 2 need" in check.detail


def test_pupil_premium_plus_not_linked_to_targets_is_flagged():
    answers = complete_answers()
    for row in answers["smart_targets"]["targets"]:
        row.pop("pp_plus_amount", None)
    answers["pupil_premium_plus"]["amount_requested"] = "500.00"
    check = checks_by_title(pep_with(answers))["Pupil Premium Plus costed and linked to targets"]
    assert check.passed is False
    assert "£500.00 requested; £0.00 is linked" in check.detail


def test_unevaluated_previous_targets_are_counted():
    answers = complete_answers()
    answers["review_previous_targets"]["previous_targets"] = [
        {"target": "Read daily", "outcome": "achieved"},
        {"target": "Join a club"},
    ]
    check = checks_by_title(pep_with(answers))["Previous targets evaluated"]
    assert check.passed is False
    assert check.detail == "1 of 2 previous targets have no outcome."


def test_every_form_can_be_pre_checked():
    for form_key in ("early_years", "post_16"):
        checks = automated_pre_checks(pep_with(complete_answers(form_key), form_key))
        assert len(checks) == 7
