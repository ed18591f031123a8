"""A GIAS establishment extract shaped like the real download (`edubasealldata<date>.csv`).

    .venv/bin/python -m benchmarks.imports.gias_extract OUT.csv [--rows 50000] [--seed 2026]

The header is the real one, every column in the download's order; the file is Windows-1252
with CRLF line ends, as GIAS serves it. Rows are invented but plausible: URNs from 100000 up,
names with accents and curly apostrophes, every type and phase of education, about a third of
them closed (as in the real extract), schools in every region's authorities. Seeded, so the
same arguments write the same bytes. The test fixtures in tests/fixtures/imports/schools/ use
the same header and `gias_row`.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
from collections.abc import Iterable, Sequence
from pathlib import Path

# The establishment extract's columns, in the order GIAS writes them.
GIAS_COLUMNS: tuple[str, ...] = (
    "URN", "LA (code)", "LA (name)", "EstablishmentNumber", "EstablishmentName",
    "TypeOfEstablishment (code)", "TypeOfEstablishment (name)",
    "EstablishmentTypeGroup (code)", "EstablishmentTypeGroup (name)",
    "EstablishmentStatus (code)", "EstablishmentStatus (name)",
    "ReasonEstablishmentOpened (code)", "ReasonEstablishmentOpened (name)", "OpenDate",
    "ReasonEstablishmentClosed (code)", "ReasonEstablishmentClosed (name)", "CloseDate",
    "PhaseOfEducation (code)", "PhaseOfEducation (name)", "StatutoryLowAge", "StatutoryHighAge",
    "Boarders (code)", "Boarders (name)", "NurseryProvision (name)",
    "OfficialSixthForm (code)", "OfficialSixthForm (name)", "Gender (code)", "Gender (name)",
    "ReligiousCharacter (code)", "ReligiousCharacter (name)", "ReligiousEthos (name)",
    "Diocese (code)", "Diocese (name)", "AdmissionsPolicy (code)", "AdmissionsPolicy (name)",
    "SchoolCapacity", "SpecialClasses (code)", "SpecialClasses (name)", "CensusDate",
    "NumberOfPupils", "NumberOfBoys", "NumberOfGirls", "PercentageFSM",
    "TrustSchoolFlag (code)", "TrustSchoolFlag (name)", "Trusts (code)", "Trusts (name)",
    "SchoolSponsorFlag (name)", "SchoolSponsors (name)", "FederationFlag (name)",
    "Federations (code)", "Federations (name)", "UKPRN", "FEHEIdentifier",
    "FurtherEducationType (name)", "OfstedLastInsp", "OfstedSpecialMeasures (code)",
    "OfstedSpecialMeasures (name)", "LastChangedDate", "Street", "Locality", "Address3", "Town",
    "County (name)", "Postcode", "SchoolWebsite", "TelephoneNum", "HeadTitle (name)",
    "HeadFirstName", "HeadLastName", "HeadPreferredJobTitle", "BSOInspectorateName (name)",
    "InspectorateReport", "DateOfLastInspectionVisit", "NextInspectionVisit", "TeenMoth (name)",
    "TeenMothPlaces", "CCF (name)", "SENPRU (name)", "EBD (name)", "PlacesPRU", "FTProv (name)",
    "EdByOther (name)", "Section41Approved (name)", "SEN1 (name)", "SEN2 (name)", "SEN3 (name)",
    "SEN4 (name)", "SEN5 (name)", "SEN6 (name)", "SEN7 (name)", "SEN8 (name)", "SEN9 (name)",
    "SEN10 (name)", "SEN11 (name)", "SEN12 (name)", "SEN13 (name)",
    "TypeOfResourcedProvision (name)", "ResourcedProvisionOnRoll", "ResourcedProvisionCapacity",
    "SenUnitOnRoll", "SenUnitCapacity", "GOR (code)", "GOR (name)",
    "DistrictAdministrative (code)", "DistrictAdministrative (name)",
    "AdministrativeWard (code)", "AdministrativeWard (name)",
    "ParliamentaryConstituency (code)", "ParliamentaryConstituency (name)",
    "UrbanRural (code)", "UrbanRural (name)", "GSSLACode (name)", "Easting", "Northing",
    "MSOA (name)", "LSOA (name)", "InspectorateName (name)", "SENStat", "SENNoStat",
    "BoardingEstablishment (name)", "PropsName", "PreviousLA (code)", "PreviousLA (name)",
    "PreviousEstablishmentNumber", "OfstedRating (name)", "RSCRegion (name)", "Country (name)",
    "UPRN", "SiteName", "QABName (code)", "QABName (name)", "EstablishmentAccredited (code)",
    "EstablishmentAccredited (name)", "QABReport", "CHNumber", "MSOA (code)", "LSOA (code)", "FSM",
)  # fmt: skip

# (code, name, type group code, type group name) as GIAS lists them.
ESTABLISHMENT_TYPES: tuple[tuple[str, str, str, str], ...] = (
    ("1", "Community school", "4", "Local authority maintained schools"),
    ("2", "Voluntary aided school", "4", "Local authority maintained schools"),
    ("3", "Voluntary controlled school", "4", "Local authority maintained schools"),
    ("5", "Foundation school", "4", "Local authority maintained schools"),
    ("6", "City technology college", "3", "Independent schools"),
    ("7", "Community special school", "5", "Special schools"),
    ("8", "Non-maintained special school", "5", "Special schools"),
    ("10", "Other independent special school", "5", "Special schools"),
    ("11", "Other independent school", "3", "Independent schools"),
    ("12", "Foundation special school", "5", "Special schools"),
    ("14", "Pupil referral unit", "4", "Local authority maintained schools"),
    ("15", "Local authority nursery school", "4", "Local authority maintained schools"),
    ("18", "Further education", "1", "Colleges"),
    ("24", "Secure units", "9", "Other types"),
    ("25", "Offshore schools", "9", "Other types"),
    ("26", "Service children's education", "9", "Other types"),
    ("27", "Miscellaneous", "9", "Other types"),
    ("28", "Academy sponsor led", "10", "Academies"),
    ("29", "Higher education institutions", "2", "Universities"),
    ("30", "Welsh establishment", "6", "Welsh schools"),
    ("31", "Sixth form centres", "1", "Colleges"),
    ("32", "Special post 16 institution", "9", "Other types"),
    ("33", "Academy special sponsor led", "10", "Academies"),
    ("34", "Academy converter", "10", "Academies"),
    ("35", "Free schools", "11", "Free Schools"),
    ("36", "Free schools special", "11", "Free Schools"),
    ("37", "British schools overseas", "9", "Other types"),
    ("38", "Free schools alternative provision", "11", "Free Schools"),
    ("39", "Free schools 16 to 19", "11", "Free Schools"),
    ("40", "University technical college", "11", "Free Schools"),
    ("41", "Studio schools", "11", "Free Schools"),
    ("42", "Academy alternative provision converter", "10", "Academies"),
    ("43", "Academy alternative provision sponsor led", "10", "Academies"),
    ("44", "Academy special converter", "10", "Academies"),
    ("45", "Academy 16-19 converter", "10", "Academies"),
    ("46", "Academy 16 to 19 sponsor led", "10", "Academies"),
    ("49", "Online provider", "13", "Online provider"),
    ("56", "Institution funded by other government department", "9", "Other types"),
    ("57", "Academy secure 16 to 19", "10", "Academies"),
)
PHASES = {
    "0": "Not applicable", "1": "Nursery", "2": "Primary", "3": "Middle deemed primary",
    "4": "Secondary", "5": "Middle deemed secondary", "6": "16 plus", "7": "All-through",
}  # fmt: skip
STATUSES = {"1": "Open", "2": "Closed", "3": "Open, but proposed to close", "4": "Proposed to open"}
# (LA code, LA name, GOR name): authorities across England.
AUTHORITIES = (
    ("885", "Worcestershire", "West Midlands"),
    ("884", "Herefordshire, County of", "West Midlands"),
    ("330", "Birmingham", "West Midlands"), ("894", "Telford and Wrekin", "West Midlands"),
    ("202", "Camden", "London"), ("205", "Hammersmith and Fulham", "London"),
    ("207", "Kensington and Chelsea", "London"), ("308", "Enfield", "London"),
    ("352", "Manchester", "North West"), ("341", "Liverpool", "North West"),
    ("383", "Leeds", "Yorkshire and the Humber"), ("373", "Sheffield", "Yorkshire and the Humber"),
    ("391", "Newcastle upon Tyne", "North East"), ("840", "County Durham", "North East"),
    ("891", "Nottinghamshire", "East Midlands"), ("855", "Leicestershire", "East Midlands"),
    ("926", "Norfolk", "East of England"), ("873", "Cambridgeshire", "East of England"),
    ("886", "Kent", "South East"), ("850", "Hampshire", "South East"),
    ("878", "Devon", "South West"), ("801", "Bristol, City of", "South West"),
)  # fmt: skip
# A curly apostrophe, as in the names GIAS holds ("St Mary\u2019s").
Q = "\u2019"
PLACES = (
    "Oakfield",
    "Riverside",
    f"St Mary{Q}s",
    f"St Peter{Q}s",
    "Holy Trinity",
    "Abbey",
    "Bredon",
    "Pershore",
    "Malvern",
    "Evesham",
    "Kingsley",
    "Northgate",
    "Hillview",
    "Meadowbank",
    "Saint-Exupéry",
    "Brontë",
    "Ashdown",
    "Lyndhurst",
    "Chandos",
    "Whitecross",
    f"Our Lady{Q}s",
    "Cleeve",
    "Dorridge",
    "Ramsden",
    "Fernhill",
    "Greenacre",
    "Lark Rise",
    f"Bishop{Q}s Wood",
)
KINDS = {
    "Nursery": "Nursery School",
    "Primary": "Primary School",
    "Middle deemed primary": "First School",
    "Secondary": "High School",
    "Middle deemed secondary": "Middle School",
    "16 plus": "Sixth Form College",
    "All-through": "School",
    "Not applicable": "School",
}


def gias_row(**values: str) -> list[str]:
    """One row of the extract: the values given by column name, every other column empty."""
    unknown = set(values) - set(GIAS_COLUMNS)
    if unknown:
        raise ValueError(f"not GIAS columns: {sorted(unknown)}")
    return [values.get(column, "") for column in GIAS_COLUMNS]


def school_row(
    *,
    urn: str,
    name: str,
    type_name: str,
    phase: str,
    local_authority: str = "Worcestershire",
    status: str = "Open",
    postcode: str = "WR1 1AA",
    close_date: str = "",
    ukprn: str = "",
    low_age: str = "",
    high_age: str = "",
    **others: str,
) -> list[str]:
    """A row filled in the way GIAS fills one: codes beside names, the group of the type."""
    type_code, group_code, group_name = next(
        ((c, gc, gn) for c, n, gc, gn in ESTABLISHMENT_TYPES if n == type_name), ("", "", "")
    )
    la_code, gor = next(((c, g) for c, n, g in AUTHORITIES if n == local_authority), ("", ""))
    phase_code = next((c for c, n in PHASES.items() if n == phase), "")
    status_code = next((c for c, n in STATUSES.items() if n == status), "")
    return gias_row(
        **{
            "URN": urn,
            "LA (code)": la_code,
            "LA (name)": local_authority,
            "EstablishmentNumber": urn[-4:],
            "EstablishmentName": name,
            "TypeOfEstablishment (code)": type_code,
            "TypeOfEstablishment (name)": type_name,
            "EstablishmentTypeGroup (code)": group_code,
            "EstablishmentTypeGroup (name)": group_name,
            "EstablishmentStatus (code)": status_code,
            "EstablishmentStatus (name)": status,
            "CloseDate": close_date,
            "PhaseOfEducation (code)": phase_code,
            "PhaseOfEducation (name)": phase,
            "StatutoryLowAge": low_age,
            "StatutoryHighAge": high_age,
            "UKPRN": ukprn,
            "Postcode": postcode,
            "GOR (name)": gor,
            "Country (name)": "United Kingdom",
            **others,
        }
    )


def extract_bytes(
    rows: Iterable[Sequence[str]],
    *,
    columns: Sequence[str] = GIAS_COLUMNS,
    encoding: str = "cp1252",
) -> bytes:
    """The rows under the header, encoded as GIAS serves the file (CRLF line ends)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


AGES_BY_PHASE = {
    "Nursery": ("2", "5"), "Primary": ("4", "11"), "Middle deemed primary": ("5", "9"),
    "Secondary": ("11", "16"), "Middle deemed secondary": ("9", "13"), "16 plus": ("16", "19"),
    "All-through": ("4", "18"), "Not applicable": ("3", "18"),
}  # fmt: skip


# Most schools that are not closed are open.
OPEN_STATUSES = ("Open", "Open", "Open", "Open, but proposed to close", "Proposed to open")


def generated_rows(count: int, seed: int) -> Iterable[list[str]]:
    """`count` plausible rows, the same ones for the same seed."""
    chance = random.Random(seed)
    for index in range(count):
        urn = str(100000 + index)
        _, type_name, _, _ = chance.choice(ESTABLISHMENT_TYPES)
        phase = chance.choice(tuple(PHASES.values()))
        _, la_name, _ = chance.choice(AUTHORITIES)
        closed = chance.random() < 0.35
        low, high = AGES_BY_PHASE[phase]
        yield school_row(
            urn=urn,
            name=f"{chance.choice(PLACES)} {KINDS[phase]}",
            type_name=type_name,
            phase=phase,
            local_authority=la_name,
            status="Closed" if closed else chance.choice(OPEN_STATUSES),
            close_date=f"31-08-{chance.randint(1995, 2025)}" if closed else "",
            postcode=f"{chance.choice('BDLMNSW')}{chance.choice('ACEGR')}"
            f"{chance.randint(1, 29)} {chance.randint(1, 9)}{chance.choice('ABDEFGHJLNPQRSTUWXYZ')}"
            f"{chance.choice('ABDEFGHJLNPQRSTUWXYZ')}",
            ukprn=str(10000000 + index) if chance.random() < 0.6 else "",
            low_age=low,
            high_age=high,
            OpenDate=f"01-09-{chance.randint(1950, 2024)}",
            SchoolCapacity=str(chance.randint(20, 2000)),
            Town=chance.choice(("Worcester", "Kidderminster", "Leeds", "Norwich", "Exeter")),
            TelephoneNum=f"01{chance.randint(100000000, 999999999)}",
            HeadFirstName=chance.choice(("Anne", "Rhys", "Zoë", "Siobhán", "David", "Priya")),
            HeadLastName=chance.choice((f"O{Q}Connor", "Smith", "Nwosu", "Kowalski", "Patel")),
            LastChangedDate="01-11-2026",
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=2026)
    arguments = parser.parse_args()
    arguments.out.write_bytes(extract_bytes(generated_rows(arguments.rows, arguments.seed)))
    print(f"Wrote {arguments.rows} rows to {arguments.out}")


if __name__ == "__main__":
    main()
