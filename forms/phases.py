"""Which PEP form a child needs, and which version of the child's-voice page suits them.

Year groups follow the school census convention: reception is 0, Year 1 to Year 13 are 1 to 13.
Nursery classes in schools are recorded as -2 (N1, the year a child turns 3) and -1 (N2, the
year a child turns 4). A child who is not in a school year group at all (at a childminder, in a
private nursery, not in education) has no year group: pass ``None``.
"""

from enum import StrEnum


class Phase(StrEnum):
    """A stage of education that has its own PEP form; the value is the form's key."""

    EARLY_YEARS = "early_years"
    SCHOOL_AGE = "school_age"
    POST_16 = "post_16"
    CHILD_VOICE = "child_voice"


# The phases a child's PEP can be in; CHILD_VOICE is a page within a PEP, not a PEP.
PEP_PHASES = frozenset({Phase.EARLY_YEARS, Phase.SCHOOL_AGE, Phase.POST_16})


class VoiceBand(StrEnum):
    """An age band of the child's-voice page: each band asks in words the child can use."""

    EARLY_YEARS = "early_years"
    PRIMARY = "primary"
    SECONDARY = "secondary"


RECEPTION = 0
LOWEST_YEAR_GROUP = -2
# Some special schools and colleges record a Year 14; the post-16 form still fits them.
HIGHEST_YEAR_GROUP = 14
FIRST_POST_16_YEAR = 12
FIRST_SECONDARY_YEAR = 7

# Compulsory school age starts the term after a child's fifth birthday; a child of 4 with no year
# group is in an early-years setting (or deferred entry) and the Early Years PEP fits them.
FIRST_SCHOOL_AGE = 5
FIRST_SECONDARY_AGE = 11
FIRST_POST_16_AGE = 16


def _check_inputs(age_years: int, year_group: int | None) -> None:
    if age_years < 0:
        raise ValueError(f"age must be 0 or more, not {age_years}")
    if year_group is not None and not LOWEST_YEAR_GROUP <= year_group <= HIGHEST_YEAR_GROUP:
        raise ValueError(
            f"year group must be from {LOWEST_YEAR_GROUP} (nursery) to {HIGHEST_YEAR_GROUP}, "
            f"not {year_group}"
        )


def school_year_group(year_group: int | None) -> int | None:
    """The year group the forms go by: None for one outside the school years (a two-year-old
    below nursery, a young adult past Year 14), whose age then decides, as for a child in no
    year group."""
    if year_group is None or not LOWEST_YEAR_GROUP <= year_group <= HIGHEST_YEAR_GROUP:
        return None
    return year_group


def choose_pep_form(age_years: int, year_group: int | None) -> Phase:
    """Pick the PEP form (its key) for a child: the year group decides, the age only without one.

    - Year 12 and above: post-16.
    - Reception (0) to Year 11: school age. DOMAIN.md defines the school-age PEP as "Reception to
      Year 11", so a child in a reception class gets the school-age form even though EYFS still
      applies; its attainment table takes EYFS areas as subjects.
    - Nursery classes (-2, -1): early years.
    - No year group: under 5 is early years (a reception-age child still at a nursery or
      childminder, for example on deferred entry, stays on the Early Years PEP); 5 to 15 is school
      age (a child out of school still needs a school-age plan to get them back); 16 and over is
      post-16 (post-18 plans are optional and use the post-16 form).

    Whether a PEP is due at all (statutory from the term of the third birthday) is not decided here.
    """
    _check_inputs(age_years, year_group)
    if year_group is not None:
        if year_group >= FIRST_POST_16_YEAR:
            return Phase.POST_16
        if year_group >= RECEPTION:
            return Phase.SCHOOL_AGE
        return Phase.EARLY_YEARS
    if age_years < FIRST_SCHOOL_AGE:
        return Phase.EARLY_YEARS
    if age_years < FIRST_POST_16_AGE:
        return Phase.SCHOOL_AGE
    return Phase.POST_16


def choose_voice_band(age_years: int, year_group: int | None) -> VoiceBand:
    """Pick the child's-voice band: the year group decides, the age only without one.

    - Nursery and reception (year group 0 or below), or under 5 with no year group: early years,
      where a trusted adult gathers the child's views through play, pictures and observation.
      Reception children are mostly not yet reading, so they get this band even though they
      are on the school-age PEP.
    - Years 1 to 6, or 5 to 10 with no year group: primary (feelings pictures and short questions).
    - Year 7 and above, or 11 and over with no year group: secondary, also used for post-16.
    """
    _check_inputs(age_years, year_group)
    if year_group is not None:
        if year_group <= RECEPTION:
            return VoiceBand.EARLY_YEARS
        if year_group < FIRST_SECONDARY_YEAR:
            return VoiceBand.PRIMARY
        return VoiceBand.SECONDARY
    if age_years < FIRST_SCHOOL_AGE:
        return VoiceBand.EARLY_YEARS
    if age_years < FIRST_SECONDARY_AGE:
        return VoiceBand.PRIMARY
    return VoiceBand.SECONDARY
