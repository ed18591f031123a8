"""The Word document built from an in-memory PEP: its structure, markings and properties."""

from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forms import load_definitions
from forms.schema import DEFAULT_DIRECTORY
from portal.exports.builder import build_pep_document, export_file_name
from portal.exports.samples import sample_pep
from tests.unit.exports.docx_reading import (
    all_text,
    headings,
    open_docx,
    part_xml,
    table_after_heading,
    table_rows,
)
from tests.unit.exports.hostile import ARABIC, EMOJI, HEBREW, LONG_ANSWER, hostile_pep, section

SETTINGS = {"AUTHORITY_NAME": "Testshire County Council"}
WHEN = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def build(pep, trail, draft=True, when=WHEN):
    return build_pep_document(pep, settings=SETTINGS, draft=draft, generated_at=when, trail=trail)


def test_every_section_is_a_heading_1_in_the_form_order_then_sign_off_and_history():
    pep, trail = sample_pep()
    document = open_docx(build(pep, trail))
    definition = load_definitions(DEFAULT_DIRECTORY).get(pep.form_key, pep.form_version)
    assert headings(document) == [
        *(s.title for s in definition.sections),
        "Sign-off",
        "Appendix: history of this PEP",
    ]
    assert "In Harry's own words" in headings(document, level=2)


def test_every_form_exports_without_special_code():
    for key in ("early_years", "school_age", "post_16"):
        pep, trail = sample_pep(form_key=key)
        document = open_docx(build(pep, trail))
        definition = load_definitions(DEFAULT_DIRECTORY).latest(key)
        assert headings(document)[: len(definition.sections)] == [
            s.title for s in definition.sections
        ]
        text = all_text(document)
        for raw in ("True", "False", "None", "{", "_"):
            assert raw not in text.replace("OFFICIAL-SENSITIVE", ""), (key, raw)


def test_targets_are_a_table_with_a_header_row_and_the_pp_plus_total():
    pep, trail = sample_pep()
    document = open_docx(build(pep, trail))
    rows = table_rows(table_after_heading(document, "Targets"))
    stored = section(pep, "smart_targets").answers["targets"]
    assert len(rows) == 1 + len(stored)
    assert rows[0][0] == "Outcome: what the child will achieve"
    assert rows[1][-1] == "£150.50"
    assert "Total Pupil Premium Plus for these targets: £301.00" in all_text(document)
    previous = table_rows(table_after_heading(document, "Targets from the last PEP"))
    assert len(previous) >= 2


def test_the_sign_off_table_names_each_party_with_their_statement():
    pep, trail = sample_pep()
    rows = table_rows(table_after_heading(open_docx(build(pep, trail, draft=False)), "Sign-off"))
    assert rows[0] == ["Role", "Name", "Date and time", "Statement confirmed"]
    assert [row[:2] for row in rows[1:]] == [
        ["Designated teacher", "Priya Shah"],
        ["Social worker", "Sam Okoro"],
        ["Virtual School reviewer", "Alex Morgan"],
    ]
    # 21 October 2026, 09:00 UTC is 10:00 in London (British Summer Time).
    assert rows[3][2] == "21 October 2026 at 10:00"
    assert rows[3][3] == "The Virtual School has quality-assured this PEP and signed it off."


def test_quality_assurance_shows_the_rating_label_and_each_judgement():
    pep, trail = sample_pep()
    document = open_docx(build(pep, trail))
    text = all_text(document)
    assert "Green: Meets every criterion; a good plan." in text
    rows = table_rows(table_after_heading(document, "Criteria"))
    assert rows[1] == ["The child's voice is captured and shapes the plan", "Met"]


def test_header_and_footer_carry_the_marking_the_draft_and_page_numbers():
    pep, trail = sample_pep()
    draft = build(pep, trail)
    document = open_docx(draft)
    section_ = document.sections[0]
    header = "\n".join(p.text for p in section_.header.paragraphs)
    footer = "\n".join(p.text for p in section_.footer.paragraphs)
    assert "OFFICIAL-SENSITIVE" in header and "DRAFT: not the signed-off record" in header
    assert "OFFICIAL-SENSITIVE" in footer and footer.splitlines()[-1].startswith("Page ")
    footer_xml = section_.footer._element.xml
    assert " PAGE " in footer_xml and " NUMPAGES " in footer_xml
    assert "DRAFT: not the signed-off record" in all_text(document)  # on the cover too

    record = open_docx(build(pep, trail, draft=False))
    assert "DRAFT" not in "\n".join(p.text for p in record.sections[0].header.paragraphs)
    assert "DRAFT" not in all_text(record)


def test_properties_name_the_authority_and_the_pep_but_not_the_child():
    pep, trail = sample_pep()
    data = build(pep, trail)
    properties = open_docx(data).core_properties
    assert properties.title == "Personal Education Plan \u2013 Autumn 2026/27"
    assert properties.author == "Testshire County Council"
    assert properties.created == properties.modified == WHEN
    assert properties.revision == 1
    for part in ("docProps/core.xml", "docProps/app.xml"):
        xml = part_xml(data, part)
        assert "Harry" not in xml and "Wilson" not in xml, part
    assert "Harry Wilson" in all_text(open_docx(data))  # on the cover, where it belongs


def test_building_twice_gives_identical_bytes_and_the_moment_matters():
    pep, trail = sample_pep()
    assert build(pep, trail) == build(pep, trail)
    assert build(pep, trail) != build(pep, trail, when=datetime(2026, 11, 3, tzinfo=UTC))


def test_a_record_ignores_what_happened_after_it_was_made():
    pep, trail = sample_pep()
    made = build(pep, trail, draft=False)
    later = trail[-1].__class__(
        "pep.transition",
        "superseded",
        "superseded",
        "System",
        "System",
        datetime(2027, 1, 10, tzinfo=UTC),
    )
    pep.state = "superseded"
    assert build(pep, [*trail, later], draft=False) == made


def test_file_names_carry_the_reference_and_term_not_the_name():
    pep, _ = sample_pep()
    assert export_file_name(pep, draft=True) == "PEP-DCC-1106-autumn-2026-DRAFT.docx"
    assert export_file_name(pep, draft=False) == "PEP-DCC-1106-autumn-2026.docx"


def test_hostile_text_still_makes_a_valid_document():
    pep, trail = hostile_pep()
    document = open_docx(build(pep, trail))
    rows = table_rows(table_after_heading(document, "Targets"))
    assert len(rows) == 41
    text = all_text(document)
    assert LONG_ANSWER in text and EMOJI in text and ARABIC in text and HEBREW in text
    assert "\x00" not in text and "\x07" not in text
    assert "Total Pupil Premium Plus for these targets: £4,000.00" in text


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300), st.text(max_size=40))
def test_any_text_in_any_answer_makes_a_document_python_docx_opens(answer, note):
    pep, trail = sample_pep()
    for stored in pep.sections:
        if stored.section_key == "my_views":
            voice = dict(stored.answers["answers"])
            voice[next(iter(voice))] = answer
            stored.answers = {**stored.answers, "answers": voice}
        elif stored.section_key == "smart_targets":
            rows = [dict(row, outcome=answer) for row in stored.answers["targets"]]
            stored.answers = {"targets": rows}
        elif stored.section_key != "quality_assurance":
            stored.answers = {
                key: answer if isinstance(value, str) else value
                for key, value in stored.answers.items()
            }
    pep.child_voice_note = note
    pep.child.first_name = note or "Harry"
    document = open_docx(build(pep, trail))
    assert headings(document)[0] == "Meeting details"


def test_the_cover_names_the_type_of_pep_after_the_term():
    pep, trail = sample_pep()
    cover = open_docx(build(pep, trail)).tables[0]
    rows = [row for row in table_rows(cover) if len(row) == 2]
    labels = [label for label, _value in rows]
    assert labels[labels.index("Term") + 1] == "Type of PEP"
    # A PEP from before types were recorded is a termly review (the column's default).
    assert dict(rows)["Type of PEP"] == "Termly review"
    pep.pep_type = "change_of_school"
    rows = [row for row in table_rows(open_docx(build(pep, trail)).tables[0]) if len(row) == 2]
    assert dict(rows)["Type of PEP"] == "Change of school or setting"
