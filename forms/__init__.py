"""PEP forms as data: pure Python (no Flask, no database), typed and tested on its own.

- ``forms.schema``: load and check the YAML definitions; the registry of forms and versions.
- ``forms.builder``: a WTForms form class per section, widgets injected by the portal.
- ``forms.answers``: the JSON storage format and the moves between answers and forms.
- ``forms.completeness``: section statuses and missing answers, from stored answers.
- ``forms.phases``: which PEP form and which child's-voice band suit a child.
"""

from forms.answers import (
    FormData,
    answers_from_form,
    computed_totals,
    form_data_from_answers,
    form_from_answers,
    formdata_from_answers,
    prefilled_answers,
    voice_answers,
)
from forms.builder import build_section_form, form_errors
from forms.completeness import (
    MissingAnswer,
    SectionStatus,
    is_ready_to_submit,
    missing_answers,
    pep_completeness,
    pep_missing_answers,
    section_status,
)
from forms.phases import Phase, VoiceBand, choose_pep_form, choose_voice_band
from forms.schema import (
    DEFAULT_DIRECTORY,
    FormDefinition,
    FormDefinitionError,
    FormRegistry,
    SectionDefinition,
    load_definition,
    load_definitions,
)

__all__ = [
    "DEFAULT_DIRECTORY",
    "FormData",
    "FormDefinition",
    "FormDefinitionError",
    "FormRegistry",
    "MissingAnswer",
    "Phase",
    "SectionDefinition",
    "SectionStatus",
    "VoiceBand",
    "answers_from_form",
    "build_section_form",
    "choose_pep_form",
    "choose_voice_band",
    "computed_totals",
    "form_data_from_answers",
    "form_errors",
    "form_from_answers",
    "formdata_from_answers",
    "is_ready_to_submit",
    "load_definition",
    "load_definitions",
    "missing_answers",
    "pep_completeness",
    "pep_missing_answers",
    "prefilled_answers",
    "section_status",
    "voice_answers",
]
