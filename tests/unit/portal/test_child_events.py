"""The words a child's timeline uses for placements, from the SSDA903 code list."""

from portal.operations.child_events import placement_description


def test_a_placement_is_described_with_its_labels_and_codes() -> None:
    assert placement_description("U4", "PR1", None) == (
        "Foster placement with other foster carer, long term (U4), "
        "Own provision by the local authority (PR1)"
    )


def test_an_out_of_area_placement_names_the_authority() -> None:
    assert placement_description("K2", None, "Leeds City Council") == (
        "Children's home (K2), placed in Leeds City Council"
    )


def test_nothing_recorded_says_so() -> None:
    assert placement_description(None, None, None) == "No placement recorded"
