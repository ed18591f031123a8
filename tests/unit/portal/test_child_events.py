"""The words a child's timeline uses for placements, from the SSDA903 code list."""

from portal.codes import ssda903
from portal.operations.child_events import placement_description


def test_a_placement_is_described_with_its_labels_and_codes() -> None:
    codes = ssda903()
    assert placement_description("U4", "PR1", None) == (
        f"{codes.placement_types['U4']} (U4), {codes.placement_providers['PR1']} (PR1)"
    )


def test_an_out_of_area_placement_names_the_authority() -> None:
    assert placement_description("K2", None, "Leeds City Council") == (
        f"{ssda903().placement_types['K2']} (K2), placed in Leeds City Council"
    )


def test_an_unknown_code_is_still_shown_with_its_code() -> None:
    assert placement_description("Q9", None, None) == "Placement (Q9)"


def test_nothing_recorded_says_so() -> None:
    assert placement_description(None, None, None) == "No placement recorded"
