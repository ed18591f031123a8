"""Which PEP form, and which child's-voice band, a child gets: boundaries and edge cases."""

import pytest

from forms.phases import Phase, VoiceBand, choose_pep_form, choose_voice_band, school_year_group


@pytest.mark.parametrize(
    ("age", "year_group", "expected"),
    [
        (2, None, Phase.EARLY_YEARS),
        (3, -2, Phase.EARLY_YEARS),  # nursery class (N1)
        (4, -1, Phase.EARLY_YEARS),  # nursery class (N2)
        (4, None, Phase.EARLY_YEARS),  # reception age, still at nursery or a childminder
        (4, 0, Phase.SCHOOL_AGE),  # reception counts as school age (DOMAIN.md)
        (5, 0, Phase.SCHOOL_AGE),
        (5, None, Phase.SCHOOL_AGE),  # compulsory school age, not on a school roll
        (11, 6, Phase.SCHOOL_AGE),
        (15, 11, Phase.SCHOOL_AGE),
        (16, 11, Phase.SCHOOL_AGE),  # summer-born Year 11 turning 16: the year group decides
        (16, 12, Phase.POST_16),
        (15, 12, Phase.POST_16),  # accelerated a year
        (17, 13, Phase.POST_16),
        (19, 14, Phase.POST_16),  # Year 14 in some special schools and colleges
        (16, None, Phase.POST_16),  # not in education, employment or training
        (18, None, Phase.POST_16),
        (15, None, Phase.SCHOOL_AGE),
    ],
)
def test_choose_pep_form(age, year_group, expected):
    assert choose_pep_form(age, year_group) == expected
    assert choose_pep_form(age, year_group) == expected.value  # the form's key


@pytest.mark.parametrize(
    ("age", "year_group", "expected"),
    [
        (2, None, VoiceBand.EARLY_YEARS),
        (4, -1, VoiceBand.EARLY_YEARS),
        (4, 0, VoiceBand.EARLY_YEARS),  # reception: mostly not reading yet
        (5, 0, VoiceBand.EARLY_YEARS),
        (5, 1, VoiceBand.PRIMARY),
        (10, 6, VoiceBand.PRIMARY),
        (11, 6, VoiceBand.PRIMARY),
        (11, 7, VoiceBand.SECONDARY),
        (17, 13, VoiceBand.SECONDARY),  # post-16 uses the secondary band
        (4, None, VoiceBand.EARLY_YEARS),
        (5, None, VoiceBand.PRIMARY),
        (10, None, VoiceBand.PRIMARY),
        (11, None, VoiceBand.SECONDARY),
        (18, None, VoiceBand.SECONDARY),
    ],
)
def test_choose_voice_band(age, year_group, expected):
    assert choose_voice_band(age, year_group) == expected


@pytest.mark.parametrize(
    ("age", "year_group"), [(-1, None), (5, -3), (17, 15)], ids=["age", "too low", "too high"]
)
@pytest.mark.parametrize("choose", [choose_pep_form, choose_voice_band])
def test_impossible_inputs_are_refused(choose, age, year_group):
    with pytest.raises(ValueError, match=r"must be"):
        choose(age, year_group)


def test_every_pep_form_and_band_has_a_definition(registry):
    for age in range(0, 20):
        for year_group in [None, *range(-2, 15)]:
            key = choose_pep_form(age, year_group)
            assert registry.latest(key).phase == key
            band = choose_voice_band(age, year_group)
            assert registry.latest("child_voice").section_for_band(band).band == band


@pytest.mark.parametrize(
    ("year_group", "kept"), [(-3, None), (-2, -2), (0, 0), (14, 14), (15, None), (None, None)]
)
def test_a_year_group_outside_the_school_years_is_none_and_the_age_decides(year_group, kept):
    assert school_year_group(year_group) == kept
    assert choose_pep_form(2, school_year_group(-3)) is Phase.EARLY_YEARS
    assert choose_voice_band(19, school_year_group(15)) is VoiceBand.SECONDARY
