"""A child outside the school year groups (a two-year-old, a young adult of 19) still has their
PEP's pages: the forms take them by age, as a child with no year group."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from portal.academic import academic_year_start, england_today, year_group_on
from portal.extensions import db
from portal.models import Child
from tests.integration.pep_helpers import open_pep_id, section_url

HARRY = "DCC-1106"  # a draft PEP at Oakfield
ISLA = "DCC-1107"  # Oakfield, no open PEP


def born_years_ago(app, reference: str, years: int) -> None:
    """Two: born the September two years before this school year began, in the year group
    below nursery (-3). Nineteen: born the January after, in the 15th year (past Year 14)."""
    this_year = academic_year_start(england_today())
    with app.app_context():
        child = db.session.scalar(select(Child).where(Child.authority_reference == reference))
        child.date_of_birth = (
            date(this_year - 2, 9, 15) if years == 2 else date(this_year - years, 1, 15)
        )
        db.session.commit()


@pytest.mark.parametrize(("years", "year_group"), [(2, -3), (19, 15)])
def test_the_start_page_offers_a_form_by_age(years, year_group, seeded, client_for):
    born_years_ago(seeded, ISLA, years)
    with seeded.app_context():
        child = db.session.scalar(select(Child).where(Child.authority_reference == ISLA))
        assert year_group_on(child.date_of_birth, england_today()) == year_group
        child_id = child.id
    response = client_for("dt_oakfield").get(f"/children/{child_id}/peps/new")
    assert response.status_code == 200
    expected = "Early Years" if years == 2 else "Post-16"
    assert expected in response.get_data(as_text=True)


@pytest.mark.parametrize("years", [2, 19])
def test_the_childs_views_page_opens_for_a_child_outside_school_years(years, seeded, client_for):
    born_years_ago(seeded, HARRY, years)
    pep_id = open_pep_id(seeded, HARRY)
    response = client_for("dt_oakfield").get(section_url(pep_id, "my_views"))
    assert response.status_code == 200
