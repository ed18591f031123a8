"""The terms a carer's task list starts from: those ending on or after the placement began,
the rule `may_read_pep` applies to each PEP (`term_ends_on`)."""

from datetime import date, timedelta

from portal.academic import Term
from portal.children.queries import first_terms_ending_on_or_after
from portal.peps.permissions import term_ends_on


def test_every_day_of_five_years_picks_the_terms_that_end_on_or_after_it():
    day = date(2024, 1, 1)
    while day < date(2029, 1, 1):
        first_year, terms = first_terms_ending_on_or_after(day)
        assert terms, day  # some term of the first year always qualifies
        for year in range(2021, 2031):
            for term in Term:
                chosen = year > first_year or (year == first_year and term in terms)
                assert chosen == (term_ends_on(year, term) >= day), (day, year, term)
        day += timedelta(days=1)


def test_a_placement_starting_on_a_terms_last_day_includes_that_term():
    assert first_terms_ending_on_or_after(date(2026, 3, 31)) == (2025, {Term.SPRING, Term.SUMMER})
    assert first_terms_ending_on_or_after(date(2026, 4, 1)) == (2025, {Term.SUMMER})
    assert first_terms_ending_on_or_after(date(2026, 9, 1)) == (
        2026,
        {Term.AUTUMN, Term.SPRING, Term.SUMMER},
    )


def test_a_grant_without_a_start_reaches_back_to_the_day_in_england_it_was_made():
    """23:30 UTC on 31 August is 00:30 on 1 September in England: the summer term, which ended
    on 31 August, is before the placement."""
    from datetime import UTC, datetime

    from portal.models.user import RoleGrant

    late_in_august = RoleGrant(
        role="carer", starts_on=None, created_at_utc=datetime(2026, 8, 31, 23, 30, tzinfo=UTC)
    )
    assert late_in_august.placement_start == date(2026, 9, 1)
    assert term_ends_on(2025, Term.SUMMER) < late_in_august.placement_start

    in_winter = RoleGrant(
        role="carer", starts_on=None, created_at_utc=datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    )
    assert in_winter.placement_start == date(2026, 12, 31)  # GMT: England's day is UTC's

    recorded = RoleGrant(
        role="carer",
        starts_on=date(2026, 4, 20),
        created_at_utc=datetime(2026, 8, 31, 23, 30, tzinfo=UTC),
    )
    assert recorded.placement_start == date(2026, 4, 20)
