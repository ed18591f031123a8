"""Year groups follow the English cohort rule: 1 September to 31 August."""

from datetime import date

import pytest

from portal.academic import academic_year_start, year_group_label, year_group_on


@pytest.mark.parametrize(
    ("born", "on", "year_group"),
    [
        (date(2019, 9, 1), date(2024, 9, 2), 0),  # oldest in reception
        (date(2020, 8, 31), date(2024, 9, 2), 0),  # youngest in reception
        (date(2020, 9, 1), date(2024, 9, 2), -1),  # nursery
        (date(2015, 3, 1), date(2026, 11, 24), 7),
        (date(2009, 12, 1), date(2026, 11, 24), 12),
        (date(2008, 10, 1), date(2026, 11, 24), 13),
        (date(2024, 6, 1), date(2026, 11, 24), -2),  # turns three this year
        (date(2025, 6, 1), date(2026, 11, 24), -3),  # turns two this year
        (date(2026, 6, 1), date(2026, 11, 24), None),  # a baby: no year group
    ],
)
def test_year_group_on(born, on, year_group):
    assert year_group_on(born, on) == year_group


def test_academic_year_starts_in_september():
    assert academic_year_start(date(2026, 8, 31)) == 2025
    assert academic_year_start(date(2026, 9, 1)) == 2026


@pytest.mark.parametrize(
    ("year_group", "label"),
    [
        (None, "Not of school age"),
        (-2, "Early years (before nursery)"),
        (-1, "Nursery"),
        (0, "Reception"),
        (7, "Year 7"),
        (14, "Left school"),
    ],
)
def test_labels(year_group, label):
    assert year_group_label(year_group) == label


def test_today_is_englands_day_not_the_servers():
    from datetime import UTC, datetime

    from portal.academic import england_day, england_today

    # 23:30 UTC on 14 June 2027 is 00:30 on the 15th in England (British Summer Time).
    late_in_summer = datetime(2027, 6, 14, 23, 30, tzinfo=UTC)
    assert england_today(late_in_summer) == date(2027, 6, 15)
    assert england_day(late_in_summer) == date(2027, 6, 15)
    # In winter England keeps UTC: the same hour is still the 14th of December.
    late_in_winter = datetime(2027, 12, 14, 23, 30, tzinfo=UTC)
    assert england_today(late_in_winter) == date(2027, 12, 14)


def test_no_part_of_the_portal_asks_the_server_for_today():
    """A server on UTC is a day behind England between midnight and 01:00 in summer: a life
    event, a caseload move or a child's year group taken then would fall on the wrong day. The
    portal asks `england_today()` (or `england_day` of an aware moment) instead; the pure
    packages, which may not import the portal, ask `forms.dates.today_in_england()`. Named as
    well as called: `field(default_factory=date.today)` asks the server too."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    sources = [
        path
        for package in ("portal", "forms", "workflows")
        for path in (root / package).rglob("*.py")
    ]
    called_with_arguments = set()
    asked = []
    for source in sorted(sources):
        tree = ast.parse(source.read_text(), filename=str(source))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and (node.args or node.keywords):
                called_with_arguments.add(id(node.func))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)):
                continue
            named = (node.value.id, node.attr)
            if named in {("date", "today"), ("datetime", "today"), ("datetime", "utcnow")} or (
                named == ("datetime", "now") and id(node) not in called_with_arguments
            ):
                asked.append(f"{source.relative_to(root)}:{node.lineno}")
    assert asked == []
