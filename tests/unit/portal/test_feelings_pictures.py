"""The child's "how I feel" pictures can be made out: every outline and feature has at least
3:1 contrast (WCAG 2.2, 1.4.11 non-text contrast) against what it is drawn on. The face's
outline and fill are drawn on the white page; the eyes and mouth are drawn on the face."""

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

FEELINGS = Path(__file__).resolve().parents[3] / "portal/static/images/feelings"
PICTURES = sorted(FEELINGS.glob("*.svg"))
SVG = "{http://www.w3.org/2000/svg}"
WHITE = "#ffffff"
HEX = re.compile(r"#[0-9a-fA-F]{6}")
NON_TEXT_MINIMUM = 3.0


def relative_luminance(colour: str) -> float:
    """WCAG 2.2 relative luminance of an sRGB #rrggbb colour."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    red, green, blue = linear
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(one: str, other: str) -> float:
    lighter, darker = sorted((relative_luminance(one), relative_luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def painted_colours(element: ET.Element) -> list[str]:
    """The fill and stroke an element paints with; only plain #rrggbb or none is allowed, so a
    colour this test cannot judge (a name, a style attribute, transparency) fails it instead."""
    assert "style" not in element.attrib, f"{element.tag} is styled inline: use fill/stroke"
    for attribute in ("opacity", "fill-opacity", "stroke-opacity"):
        assert attribute not in element.attrib, f"{element.tag} has {attribute}"
    colours = []
    for attribute in ("fill", "stroke"):
        value = element.get(attribute)
        if value is None or value == "none":
            continue
        assert HEX.fullmatch(value), f"{element.tag} has {attribute}={value!r}, not #rrggbb"
        colours.append(value.lower())
    return colours


def face_and_features(picture: Path) -> tuple[ET.Element, list[ET.Element]]:
    shapes = [
        element
        for element in ET.parse(picture).getroot().iter()
        if element.tag in (f"{SVG}circle", f"{SVG}path", f"{SVG}ellipse", f"{SVG}line")
    ]
    face, *features = shapes
    return face, features


def test_the_contrast_calculation_matches_known_values():
    assert contrast_ratio("#000000", WHITE) == pytest.approx(21.0)
    assert contrast_ratio(WHITE, WHITE) == pytest.approx(1.0)
    assert contrast_ratio("#0b0c0c", WHITE) == pytest.approx(19.59, abs=0.01)
    # The old "very sad" face: black eyes and mouth on dark red could hardly be seen.
    assert contrast_ratio("#0b0c0c", "#942514") == pytest.approx(2.36, abs=0.01)


def test_there_is_a_picture_for_each_feeling():
    assert {picture.stem for picture in PICTURES} == {
        "very_happy",
        "happy",
        "okay",
        "sad",
        "very_sad",
        "not_sure",
    }


@pytest.mark.parametrize("picture", PICTURES, ids=lambda path: path.stem)
def test_every_colour_in_a_picture_stands_out_from_the_white_page(picture: Path):
    for element in ET.parse(picture).getroot().iter():
        for colour in painted_colours(element):
            ratio = contrast_ratio(colour, WHITE)
            assert ratio >= NON_TEXT_MINIMUM, f"{picture.name}: {colour} on white is {ratio:.2f}:1"


@pytest.mark.parametrize("picture", PICTURES, ids=lambda path: path.stem)
def test_the_face_has_an_outline_and_its_eyes_and_mouth_stand_out_from_it(picture: Path):
    face, features = face_and_features(picture)
    face_fill = face.get("fill", "").lower()
    outline = face.get("stroke", "").lower()
    assert HEX.fullmatch(face_fill) and HEX.fullmatch(outline), f"{picture.name}: no face"
    assert contrast_ratio(outline, WHITE) >= NON_TEXT_MINIMUM
    assert features, f"{picture.name} has no eyes or mouth"
    for feature in features:
        for colour in painted_colours(feature):
            ratio = contrast_ratio(colour, face_fill)
            assert ratio >= NON_TEXT_MINIMUM, (
                f"{picture.name}: {colour} on the face's {face_fill} is {ratio:.2f}:1"
            )
