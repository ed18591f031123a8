"""A `facts` factory: a PEP that satisfies every guard unless a test says otherwise."""

from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest

from workflows.pep import PepFacts, PepState

TODAY = date(2026, 11, 24)

READY = PepFacts(
    state=PepState.DRAFT,
    today=TODAY,
    meeting_date=TODAY - timedelta(days=7),
    incomplete_sections=(),
    child_voice_present=True,
    child_voice_absent_reason=None,
    qa_rating="green",
    qa_rating_label="Green",
    qa_rating_passes=True,
    qa_unjudged_criteria=(),
    qa_feedback=None,
    next_pep_signed_off=True,
)


@pytest.fixture
def facts() -> Callable[..., PepFacts]:
    def make(state: PepState = PepState.DRAFT, **changes: Any) -> PepFacts:
        return replace(READY, state=state, **changes)

    return make
