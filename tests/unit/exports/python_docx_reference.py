"""The Word writer as it was built on python-docx's objects, kept as the reference that
portal/exports/docx_writer.py must match byte for byte.

portal/exports/docx_writer.py writes the body's markup as text (for speed); this module makes
the same document through python-docx's own API, the way Word-literate readers of python-docx
would, so a test can prove the fast writer says exactly what python-docx would have said (and
that a record stored before the fast writer still verifies by rebuilding). A change to how the
document looks is made in both, deliberately.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import UTC

from docx import Document
from docx.document import Document as WordDocument
from docx.enum.section import WD_SECTION_START
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import Table as WordTable
from docx.table import _Cell
from docx.text.paragraph import Paragraph as WordParagraph

from portal.exports.content import (
    CLASSIFICATION,
    DRAFT_MARKING,
    Block,
    Paragraph,
    PepDocumentContent,
    QuestionAnswer,
    Subheading,
    Table,
)
from portal.exports.package import deterministic_package
from portal.exports.text import clean_text, reads_right_to_left

# Style ids in python-docx's default template. Setting ids directly skips python-docx's
# style lookup by name, which scans every style on each call and was most of the build time.
TABLE_STYLE_ID = "TableGrid"
HEADING_STYLE_IDS = {1: "Heading1", 2: "Heading2"}
HEADER_FILL = "DEE0E2"  # GOV.UK light grey: header rows and question cells
DRAFT_RED = RGBColor(0xD4, 0x35, 0x1C)  # GOV.UK red
PAGE_WIDTH = Cm(21.0)
MARGIN = Cm(2.0)
TEXT_WIDTH = PAGE_WIDTH - 2 * MARGIN
QUESTION_WIDTH = Cm(6.0)
# Tables with many columns (the SMART targets have nine) need smaller text to stay readable.
WIDE_TABLE_COLUMNS = 5
WIDE_TABLE_FONT = Pt(8)


def render_document(content: PepDocumentContent) -> bytes:
    """The .docx bytes for `content`; the same content always gives the same bytes."""
    document = Document()
    _set_up_page_and_styles(document, content)
    _write_cover(document, content)
    for section in content.sections:
        _heading(document, section.title, 1)
        _write_text(
            document.add_paragraph(),
            f"Completed by the {section.completed_by.lower()}.",
            italic=True,
        )
        _write_blocks(document, section.blocks)
    _heading(document, "Sign-off", 1)
    _write_table(document, content.signoffs, with_title=False)
    # The history is long and mostly for auditors, so it goes last, on its own page.
    document.add_page_break()
    _heading(document, "Appendix: history of this PEP", 1)
    _write_table(document, content.history, with_title=False)
    _set_properties(document, content)
    output = io.BytesIO()
    document.save(output)
    return deterministic_package(output.getvalue())


# ---------------------------------------------------------------------------------------------
# Page, styles, header and footer
# ---------------------------------------------------------------------------------------------


def _set_up_page_and_styles(document: WordDocument, content: PepDocumentContent) -> None:
    normal = document.styles["Normal"]
    normal.font.name = "Arial"
    normal.font.size = Pt(11)
    section = document.sections[0]
    section.start_type = WD_SECTION_START.NEW_PAGE
    section.page_width, section.page_height = PAGE_WIDTH, Cm(29.7)  # A4, not the US letter default
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, MARGIN)

    header = section.header.paragraphs[0]
    header.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _write_text(header, CLASSIFICATION, bold=True)
    if content.draft:
        marking = section.header.add_paragraph()
        marking.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _write_text(marking, DRAFT_MARKING, bold=True, colour=DRAFT_RED)

    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _write_text(footer, CLASSIFICATION, bold=True)
    pages = section.footer.add_paragraph()
    pages.alignment = WD_ALIGN_PARAGRAPH.CENTER
    pages.add_run("Page ")
    _add_field(pages, "PAGE", "1")
    pages.add_run(" of ")
    _add_field(pages, "NUMPAGES", "1")


def _add_field(paragraph: WordParagraph, instruction: str, placeholder: str) -> None:
    """A Word field (PAGE, NUMPAGES): Word and LibreOffice fill in the number on each page."""

    def char(kind: str) -> None:
        element = OxmlElement("w:fldChar")
        element.set(qn("w:fldCharType"), kind)
        paragraph.add_run()._r.append(element)

    char("begin")
    instruction_text = OxmlElement("w:instrText")
    instruction_text.set(qn("xml:space"), "preserve")
    instruction_text.text = f" {instruction} "
    paragraph.add_run()._r.append(instruction_text)
    char("separate")
    paragraph.add_run(placeholder)
    char("end")


def _set_properties(document: WordDocument, content: PepDocumentContent) -> None:
    properties = document.core_properties
    # Fixed to the moment of generation (naive UTC is what python-docx writes as "Z"), so two
    # builds of the same PEP match byte for byte; the template's own dates would leak otherwise.
    moment = content.generated_at.astimezone(UTC).replace(tzinfo=None, microsecond=0)
    properties.created = moment
    properties.modified = moment
    properties.last_printed = moment
    properties.revision = 1
    properties.title = clean_text(content.properties.get("title", ""))
    properties.subject = clean_text(content.properties.get("subject", ""))
    properties.author = clean_text(content.properties.get("author", ""))
    properties.last_modified_by = clean_text(content.properties.get("author", ""))
    properties.keywords = clean_text(content.properties.get("keywords", ""))
    properties.category = clean_text(content.properties.get("category", ""))
    properties.content_status = clean_text(content.properties.get("content_status", ""))
    properties.identifier = clean_text(content.properties.get("identifier", ""))
    properties.comments = ""
    properties.language = "en-GB"
    properties.version = ""


# ---------------------------------------------------------------------------------------------
# Cover and body
# ---------------------------------------------------------------------------------------------


def _write_cover(document: WordDocument, content: PepDocumentContent) -> None:
    authority = document.add_paragraph()
    _write_text(authority, content.authority_name, bold=True, size=Pt(14))
    document.add_paragraph(style="Title").add_run("Personal Education Plan")
    document.add_paragraph(style="Subtitle").add_run(clean_text(content.form_title))
    _write_text(
        document.add_paragraph(),
        f"{content.term_label} · {content.phase_label}",
        bold=True,
        size=Pt(14),
    )
    if content.draft:
        marking = document.add_paragraph()
        _write_text(marking, DRAFT_MARKING, bold=True, size=Pt(16), colour=DRAFT_RED)
        _write_text(
            document.add_paragraph(),
            "This is a working copy. The statutory record is the version signed off by the "
            "Virtual School.",
        )
    _write_question_table(document, [QuestionAnswer(label, text) for label, text in content.cover])
    document.add_page_break()


def _write_blocks(document: WordDocument, blocks: Sequence[Block]) -> None:
    pending: list[QuestionAnswer] = []

    def flush() -> None:
        if pending:
            _write_question_table(document, pending)
            pending.clear()

    for block in blocks:
        if isinstance(block, QuestionAnswer):
            pending.append(block)
            continue
        flush()
        if isinstance(block, Table):
            _write_table(document, block)
        elif isinstance(block, Subheading):
            _heading(document, block.text, 2)
        elif isinstance(block, Paragraph):
            _write_text(document.add_paragraph(), block.text, italic=block.emphasis)
    flush()


def _write_question_table(document: WordDocument, rows: Sequence[QuestionAnswer]) -> None:
    """Questions on the left (shaded), answers on the right: how PEP forms are read on paper."""
    table = _add_table(document, len(rows), 2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.columns[0].width = QUESTION_WIDTH
    table.columns[1].width = TEXT_WIDTH - QUESTION_WIDTH
    for row, item in zip(table.rows, rows, strict=True):
        question, answer = row.cells
        _set_width(question, QUESTION_WIDTH)
        _set_width(answer, TEXT_WIDTH - QUESTION_WIDTH)
        _shade(question)
        _write_text(question.paragraphs[0], item.question, bold=True)
        _write_text(answer.paragraphs[0], item.answer)
        if item.source:
            _write_text(answer.add_paragraph(), item.source, italic=True, size=Pt(9))
    document.add_paragraph()


def _write_table(document: WordDocument, block: Table, *, with_title: bool = True) -> None:
    if with_title:
        _heading(document, block.title, 2)
    if not block.rows:
        _write_text(document.add_paragraph(), block.empty_text, italic=True)
        return
    columns = len(block.headers)
    size = WIDE_TABLE_FONT if columns >= WIDE_TABLE_COLUMNS else None
    table = _add_table(document, 1 + len(block.rows), columns)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    width = int(TEXT_WIDTH / columns)
    for column in table.columns:
        column.width = width
    header = table.rows[0]
    _repeat_as_header(header._tr)
    for cell, text in zip(header.cells, block.headers, strict=True):
        _set_width(cell, width)
        _shade(cell)
        _write_text(cell.paragraphs[0], text, bold=True, size=size)
    for row, values in zip(table.rows[1:], block.rows, strict=True):
        for cell, text in zip(row.cells, values, strict=True):
            _set_width(cell, width)
            _write_text(cell.paragraphs[0], text, size=size)
    for label, amount in block.totals:
        total = document.add_paragraph()
        _write_text(total, f"{label}: ", bold=True)
        _write_text(total, amount, bold=True)
    document.add_paragraph()


# ---------------------------------------------------------------------------------------------
# Low-level helpers
# ---------------------------------------------------------------------------------------------


def _write_text(
    paragraph: WordParagraph,
    text: str,
    *,
    bold: bool = False,
    italic: bool = False,
    size: Pt | None = None,
    colour: RGBColor | None = None,
) -> None:
    """Add `text` as one run; newlines become line breaks, and RTL text reads right to left."""
    text = clean_text(text)
    run = paragraph.add_run(text)
    run.bold = bold or None
    run.italic = italic or None
    if size is not None:
        run.font.size = size
    if colour is not None:
        run.font.color.rgb = colour
    if reads_right_to_left(text):
        run.font.rtl = True
        paragraph_properties = paragraph._p.get_or_add_pPr()
        if paragraph_properties.find(qn("w:bidi")) is None:
            paragraph_properties.append(OxmlElement("w:bidi"))


def _heading(document: WordDocument, text: str, level: int) -> None:
    """A real Word heading (the navigation pane lists it), without a style lookup by name."""
    paragraph = document.add_paragraph()
    paragraph._p.get_or_add_pPr().style = HEADING_STYLE_IDS[level]
    paragraph.add_run(clean_text(text))


def _add_table(document: WordDocument, rows: int, columns: int) -> WordTable:
    """A "Table Grid" table across the text width (python-docx's add_table looks styles up)."""
    table = document._body.add_table(rows, columns, TEXT_WIDTH)
    table._tbl.tblPr.style = TABLE_STYLE_ID
    return table


def _shade(cell: _Cell) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), HEADER_FILL)
    cell._tc.get_or_add_tcPr().append(shading)


def _set_width(cell: _Cell, width: int) -> None:
    cell.width = width


def _repeat_as_header(row_element: object) -> None:
    """Repeat the header row at the top of each page the table runs onto."""
    row_properties = row_element.get_or_add_trPr()  # type: ignore[attr-defined]
    marker = OxmlElement("w:tblHeader")
    marker.set(qn("w:val"), "true")
    row_properties.append(marker)
