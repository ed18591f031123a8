"""A complete example PEP built in memory, never saved: for the export tests and benchmark.

Every section of the chosen form is answered (the child's views in the primary band), the
Virtual School's quality assurance is filled in, and the audit trail shows a full sign-off.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from forms import load_definitions
from forms.samples import sample_answers
from forms.schema import DEFAULT_DIRECTORY, SectionType, VoiceBand
from portal.exports.trail import TrailEntry
from portal.models import Child, Pep, PepSection, School
from workflows.quality import load_qa_criteria

SAMPLE_PEP_ID = uuid.UUID("00000000-0000-4000-8000-000000000001")


def sample_pep(
    *, form_key: str = "school_age", today: date = date(2026, 11, 2)
) -> tuple[Pep, list[TrailEntry]]:
    """A signed-off PEP on the newest version of `form_key`, and its audit trail."""
    definition = load_definitions(DEFAULT_DIRECTORY).latest(form_key)
    school = School(
        urn="900201", name="Oakfield Primary School", phase="primary", local_authority="Testshire"
    )
    child = Child(
        first_name="Harry",
        last_name="Wilson",
        date_of_birth=date(2016, 5, 14),
        authority_reference="DCC-1106",
        upn="A900000001106",
        legal_status="C2",
        date_entered_care=date(2021, 3, 1),
        current_school=school,
    )
    pep = Pep(
        id=SAMPLE_PEP_ID,
        child=child,
        academic_year=2026,
        term="autumn",
        state="signed_off",
        meeting_date=date(2026, 10, 14),
        form_key=definition.key,
        form_version=definition.version,
        child_voice_note="Harry talked with his designated teacher over drawing in the library.",
    )
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
            answers = dict(sample_answers(section, today=today, band=VoiceBand.PRIMARY))
        sections.append(PepSection(section_key=section.key, answers=answers))
    pep.sections = sections
    start = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
    steps = [
        ("pep.started", None, None, "Priya Shah", None, 0),
        ("pep.transition", "submitted", "submitted", "Priya Shah", "Designated teacher", 14),
        ("pep.transition", "approved", "approved", "Sam Okoro", "Social worker", 16),
        (
            "pep.transition",
            "signed_off",
            "signed_off",
            "Alex Morgan",
            "Virtual School reviewer",
            20,
        ),
    ]
    trail = [
        TrailEntry(action, event, target, who, role, start + timedelta(days=days))
        for action, event, target, who, role, days in steps
    ]
    return pep, trail
