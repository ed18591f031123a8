"""GIAS's types, phases and statuses as data: every one GIAS uses has a phase in OpenPEP."""

from __future__ import annotations

from datetime import date

import pytest

from benchmarks.imports.gias_extract import ESTABLISHMENT_TYPES, PHASES, STATUSES
from portal.models import SchoolPhase
from portal.operations.importers.schools import IMPORTER, gias_codes, parse_date


def test_every_gias_type_is_known():
    codes = gias_codes()
    known = codes.type_phases.keys() | codes.types_by_phase.keys()
    assert {name for _, name, _, _ in ESTABLISHMENT_TYPES} - known == set()
    assert codes.type_phases.keys() & codes.types_by_phase.keys() == set()


def test_every_gias_phase_and_status_is_known():
    codes = gias_codes()
    assert set(PHASES.values()) == codes.phases.keys()
    assert set(STATUSES.values()) == set(codes.statuses)
    assert codes.closed_statuses == {"Closed"}


@pytest.mark.parametrize(
    ("type_name", "phase_name", "ages", "expected"),
    [
        # The type decides first: special, colleges, alternative provision.
        ("Academy special converter", "Secondary", (11, 19), SchoolPhase.SPECIAL),
        ("Non-maintained special school", "Not applicable", None, SchoolPhase.SPECIAL),
        ("Further education", "16 plus", None, SchoolPhase.POST_16),
        ("Sixth form centres", "Not applicable", None, SchoolPhase.POST_16),
        ("Free schools 16 to 19", "16 plus", None, SchoolPhase.POST_16),
        ("Pupil referral unit", "Not applicable", (5, 16), SchoolPhase.ALTERNATIVE_PROVISION),
        ("Free schools alternative provision", "Secondary", None,
         SchoolPhase.ALTERNATIVE_PROVISION),
        ("Local authority nursery school", "Nursery", None, SchoolPhase.EARLY_YEARS),
        # Then the phase of education.
        ("Community school", "Nursery", None, SchoolPhase.EARLY_YEARS),
        ("Community school", "Primary", None, SchoolPhase.PRIMARY),
        ("Academy converter", "Middle deemed primary", None, SchoolPhase.PRIMARY),
        ("Academy converter", "Secondary", None, SchoolPhase.SECONDARY),
        ("Community school", "Middle deemed secondary", None, SchoolPhase.SECONDARY),
        ("Community school", "16 plus", None, SchoolPhase.POST_16),
        ("Free schools", "All-through", None, SchoolPhase.ALL_THROUGH),
        # A type GIAS adds later still imports when its phase of education is known.
        ("A type GIAS adds next year", "Primary", None, SchoolPhase.PRIMARY),
        # Then the age range, when the phase of education does not apply.
        ("Other independent school", "Not applicable", (2, 5), SchoolPhase.EARLY_YEARS),
        ("Other independent school", "Not applicable", (3, 11), SchoolPhase.PRIMARY),
        ("Other independent school", "Not applicable", (11, 16), SchoolPhase.SECONDARY),
        ("Other independent school", "Not applicable", (16, 19), SchoolPhase.POST_16),
        ("Other independent school", "Not applicable", (3, 18), SchoolPhase.ALL_THROUGH),
        # Then what the type is when nothing else says.
        ("Other independent school", "Not applicable", None, SchoolPhase.ALL_THROUGH),
        ("University technical college", "Not applicable", None, SchoolPhase.SECONDARY),
        ("Welsh establishment", "", None, SchoolPhase.ALL_THROUGH),
        # Neither known: no phase (a problem on the row).
        ("Space station", "Zero gravity", (5, 11), None),
        ("Space station", "", None, None),
    ],
)  # fmt: skip
def test_the_phase_comes_from_the_type_then_the_phase_then_the_ages(
    type_name, phase_name, ages, expected
):
    low, high = ages or (None, None)
    assert gias_codes().phase_for(type_name, phase_name, low, high) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("31-08-2024", date(2024, 8, 31)),  # as GIAS writes it
        ("31/08/2024", date(2024, 8, 31)),  # as Excel saves it again
        ("2024-08-31", date(2024, 8, 31)),
        ("31-02-2024", None),
        ("next summer", None),
    ],
)
def test_close_dates(text, expected):
    assert parse_date(text) == expected


def test_the_importer_reads_the_gias_columns_and_both_encodings():
    assert IMPORTER.kind == "schools"
    assert IMPORTER.encodings == ("utf-8-sig", "cp1252")
    assert IMPORTER.required_columns == (
        "URN",
        "EstablishmentName",
        "TypeOfEstablishment (name)",
        "PhaseOfEducation (name)",
        "LA (name)",
        "EstablishmentStatus (name)",
        "Postcode",
    )
    assert {"CloseDate", "UKPRN"} <= set(IMPORTER.optional_columns)
