"""Writing a PEP's content as a Word document that a Virtual School would be proud to send.

Real Heading 1/2 styles (the navigation pane works), table styles with repeating header rows,
the protective marking in the header and footer, "Page X of Y", and fixed document properties
and package timestamps so that the same content always gives the same bytes.

Speed: python-docx is used once per process to make a skeleton (its default template with our
page, styles, header and footer), whose unchanging parts are kept compressed. Each export then
writes only the body's WordprocessingML, as text, and the document properties. Building the
body through python-docx's objects cost a template parse (about 0.8 MB of styles), thousands of
objects per document and a second compression of every part; the markup written here is exactly
what python-docx wrote for the same calls (a test compares the bytes with a python-docx build).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from functools import cache
from typing import cast

from docx import Document
from docx.document import Document as WordDocument
from docx.enum.section import WD_SECTION_START
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.coreprops import CoreProperties
from docx.opc.oxml import serialize_part_xml
from docx.oxml import OxmlElement
from docx.oxml.coreprops import CT_CoreProperties
from docx.oxml.ns import qn
from docx.oxml.parser import parse_xml
from docx.shared import Cm, Emu, Length, Pt, RGBColor
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
from portal.exports.package import PackedMember, packed, write_package
from portal.exports.text import clean_text, reads_right_to_left

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

DOCUMENT_PART = "word/document.xml"
CORE_PROPERTIES_PART = "docProps/core.xml"
_BODY_END = b"<w:sectPr"  # the body's last child: the page settings


def render_document(content: PepDocumentContent) -> bytes:
    """The .docx bytes for `content`; the same content always gives the same bytes."""
    skeleton = _skeleton(content.draft)
    body = _Body()
    _write_cover(body, content)
    for section in content.sections:
        body.heading(section.title, 1)
        body.paragraph(_run(f"Completed by the {section.completed_by.lower()}.", italic=True))
        _write_blocks(body, section.blocks)
    body.heading("Sign-off", 1)
    _write_table(body, content.signoffs, with_title=False)
    # The history is long and mostly for auditors, so it goes last, on its own page.
    body.page_break()
    body.heading("Appendix: history of this PEP", 1)
    _write_table(body, content.history, with_title=False)
    document_xml = skeleton.document_start + body.xml() + skeleton.document_end
    members = dict(skeleton.members)
    members[DOCUMENT_PART] = packed(DOCUMENT_PART, document_xml)
    members[CORE_PROPERTIES_PART] = packed(
        CORE_PROPERTIES_PART, _core_properties(skeleton.core_properties, content)
    )
    return write_package(members)


# ---------------------------------------------------------------------------------------------
# The skeleton: made once per process with python-docx
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Skeleton:
    members: dict[str, PackedMember]  # every part that is the same in every document
    document_start: bytes  # word/document.xml up to the body's content
    document_end: bytes  # the page settings and the closing tags
    core_properties: bytes  # docProps/core.xml as the template has it


@cache
def _skeleton(draft: bool) -> _Skeleton:
    """The template with our page, styles, header and footer, as parts. Two per process (draft
    or not), a few tens of kilobytes each, never holding anything about a child."""
    document = Document()
    _set_up_page_and_styles(document, draft=draft)
    output = io.BytesIO()
    document.save(output)
    with zipfile.ZipFile(io.BytesIO(output.getvalue())) as package:
        parts = {name: package.read(name) for name in package.namelist()}
    document_xml = parts.pop(DOCUMENT_PART)
    body_end = document_xml.index(_BODY_END)
    return _Skeleton(
        members={name: packed(name, data) for name, data in parts.items()},
        document_start=document_xml[:body_end],
        document_end=document_xml[body_end:],
        core_properties=parts[CORE_PROPERTIES_PART],
    )


def _set_up_page_and_styles(document: WordDocument, *, draft: bool) -> None:
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
    _add_run(header, CLASSIFICATION, bold=True)
    if draft:
        marking = section.header.add_paragraph()
        marking.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _add_run(marking, DRAFT_MARKING, bold=True, colour=DRAFT_RED)

    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _add_run(footer, CLASSIFICATION, bold=True)
    pages = section.footer.add_paragraph()
    pages.alignment = WD_ALIGN_PARAGRAPH.CENTER
    pages.add_run("Page ")
    _add_field(pages, "PAGE", "1")
    pages.add_run(" of ")
    _add_field(pages, "NUMPAGES", "1")


def _add_run(
    paragraph: WordParagraph, text: str, *, bold: bool, colour: RGBColor | None = None
) -> None:
    run = paragraph.add_run(text)
    run.bold = bold
    if colour is not None:
        run.font.color.rgb = colour


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


def _core_properties(template: bytes, content: PepDocumentContent) -> bytes:
    """docProps/core.xml: the template's, with our properties and the moment of generation."""
    element = cast(CT_CoreProperties, parse_xml(template))
    properties = CoreProperties(element)
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
    return serialize_part_xml(element)


# ---------------------------------------------------------------------------------------------
# WordprocessingML for the body, written as text
# ---------------------------------------------------------------------------------------------


def _twips(length: int) -> int:
    return Emu(length).twips


def _half_points(size: Length) -> int:
    return int(size.pt * 2)


@dataclass(frozen=True)
class _Run:
    """One run's markup, and whether its paragraph must read right to left."""

    xml: str
    right_to_left: bool = False


def _escaped(text: str) -> str:
    """Text as XML character data, escaped exactly as lxml serialises it."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_TABS_AND_BREAKS = re.compile("([\t\r\n])")
_CONTENT_FOR_CHARACTER = {"\t": "<w:tab/>", "\r": "<w:br/>", "\n": "<w:br/>"}


def _text_content(text: str) -> str:
    """A run's content: text, a line break for each newline, a tab element for each tab."""
    parts: list[str] = []
    for piece in _TABS_AND_BREAKS.split(text):
        if piece in _CONTENT_FOR_CHARACTER:
            parts.append(_CONTENT_FOR_CHARACTER[piece])
        elif piece:
            # Word drops leading and trailing spaces unless told to keep them.
            space = ' xml:space="preserve"' if len(piece.strip()) < len(piece) else ""
            parts.append(f"<w:t{space}>{_escaped(piece)}</w:t>")
    return "".join(parts)


def _run(
    text: str,
    *,
    bold: bool = False,
    italic: bool = False,
    size: Length | None = None,
    colour: RGBColor | None = None,
) -> _Run:
    """`text` as one formatted run; newlines become line breaks, RTL text reads right to left."""
    text = clean_text(text)
    right_to_left = reads_right_to_left(text)
    properties = (
        ("<w:b/>" if bold else "")
        + ("<w:i/>" if italic else "")
        + (f'<w:color w:val="{colour}"/>' if colour is not None else "")
        + (f'<w:sz w:val="{_half_points(size)}"/>' if size is not None else "")
        + ("<w:rtl/>" if right_to_left else "")
    )
    run_properties = f"<w:rPr>{properties}</w:rPr>" if properties else "<w:rPr/>"
    return _Run(f"<w:r>{run_properties}{_text_content(text)}</w:r>", right_to_left)


def _plain_run(text: str) -> str:
    """A run with no formatting of its own (its paragraph's style decides)."""
    content = _text_content(clean_text(text))
    return f"<w:r>{content}</w:r>" if content else "<w:r/>"


def _paragraph(*runs: _Run, style: str | None = None) -> str:
    properties = (f'<w:pStyle w:val="{style}"/>' if style else "") + (
        "<w:bidi/>" if any(run.right_to_left for run in runs) else ""
    )
    inner = (f"<w:pPr>{properties}</w:pPr>" if properties else "") + "".join(
        run.xml for run in runs
    )
    return f"<w:p>{inner}</w:p>" if inner else "<w:p/>"


def _table_start(column_widths: Sequence[int]) -> str:
    """A centred "Table Grid" table with the given column widths (EMU)."""
    grid = "".join(f'<w:gridCol w:w="{_twips(width)}"/>' for width in column_widths)
    return (
        f'<w:tbl><w:tblPr><w:tblStyle w:val="{TABLE_STYLE_ID}"/><w:tblW w:type="auto" w:w="0"/>'
        '<w:jc w:val="center"/><w:tblLook w:firstColumn="1" w:firstRow="1" w:lastColumn="0" '
        'w:lastRow="0" w:noHBand="0" w:noVBand="1" w:val="04A0"/></w:tblPr>'
        f"<w:tblGrid>{grid}</w:tblGrid>"
    )


def _cell(width: int, paragraphs: str, *, shaded: bool = False) -> str:
    shading = f'<w:shd w:val="clear" w:color="auto" w:fill="{HEADER_FILL}"/>' if shaded else ""
    return (
        f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{_twips(width)}"/>{shading}</w:tcPr>'
        f"{paragraphs}</w:tc>"
    )


# Repeat the header row at the top of each page the table runs onto.
_HEADER_ROW_PROPERTIES = '<w:trPr><w:tblHeader w:val="true"/></w:trPr>'


class _Body:
    """The body's blocks, in order, as markup."""

    def __init__(self) -> None:
        self._parts: list[str] = []

    def add(self, markup: str) -> None:
        self._parts.append(markup)

    def paragraph(self, *runs: _Run) -> None:
        self._parts.append(_paragraph(*runs))

    def styled_paragraph(self, text: str, style: str) -> None:
        """A paragraph whose look comes from one of the template's styles (by style id)."""
        self._parts.append(
            f'<w:p><w:pPr><w:pStyle w:val="{style}"/></w:pPr>{_plain_run(text)}</w:p>'
        )

    def heading(self, text: str, level: int) -> None:
        """A real Word heading (the navigation pane lists it)."""
        self.styled_paragraph(text, HEADING_STYLE_IDS[level])

    def page_break(self) -> None:
        self._parts.append('<w:p><w:r><w:br w:type="page"/></w:r></w:p>')

    def xml(self) -> bytes:
        return "".join(self._parts).encode("utf-8")


# ---------------------------------------------------------------------------------------------
# Cover and body
# ---------------------------------------------------------------------------------------------


def _write_cover(body: _Body, content: PepDocumentContent) -> None:
    body.paragraph(_run(content.authority_name, bold=True, size=Pt(14)))
    body.styled_paragraph("Personal Education Plan", "Title")
    body.styled_paragraph(content.form_title, "Subtitle")
    body.paragraph(_run(f"{content.term_label} · {content.phase_label}", bold=True, size=Pt(14)))
    if content.draft:
        body.paragraph(_run(DRAFT_MARKING, bold=True, size=Pt(16), colour=DRAFT_RED))
        body.paragraph(
            _run(
                "This is a working copy. The statutory record is the version signed off by the "
                "Virtual School."
            )
        )
    _write_question_table(body, [QuestionAnswer(label, text) for label, text in content.cover])
    body.page_break()


def _write_blocks(body: _Body, blocks: Sequence[Block]) -> None:
    pending: list[QuestionAnswer] = []

    def flush() -> None:
        if pending:
            _write_question_table(body, pending)
            pending.clear()

    for block in blocks:
        if isinstance(block, QuestionAnswer):
            pending.append(block)
            continue
        flush()
        if isinstance(block, Table):
            _write_table(body, block)
        elif isinstance(block, Subheading):
            body.heading(block.text, 2)
        elif isinstance(block, Paragraph):
            body.paragraph(_run(block.text, italic=block.emphasis))
    flush()


def _write_question_table(body: _Body, rows: Sequence[QuestionAnswer]) -> None:
    """Questions on the left (shaded), answers on the right: how PEP forms are read on paper."""
    answer_width = TEXT_WIDTH - QUESTION_WIDTH
    parts = [_table_start((QUESTION_WIDTH, answer_width))]
    for item in rows:
        answer = _paragraph(_run(item.answer))
        if item.source:
            answer += _paragraph(_run(item.source, italic=True, size=Pt(9)))
        parts.append(
            "<w:tr>"
            + _cell(QUESTION_WIDTH, _paragraph(_run(item.question, bold=True)), shaded=True)
            + _cell(answer_width, answer)
            + "</w:tr>"
        )
    parts.append("</w:tbl><w:p/>")
    body.add("".join(parts))


def _write_table(body: _Body, block: Table, *, with_title: bool = True) -> None:
    if with_title:
        body.heading(block.title, 2)
    if not block.rows:
        body.paragraph(_run(block.empty_text, italic=True))
        return
    columns = len(block.headers)
    size = WIDE_TABLE_FONT if columns >= WIDE_TABLE_COLUMNS else None
    width = int(TEXT_WIDTH / columns)
    parts = [_table_start([width] * columns), "<w:tr>", _HEADER_ROW_PROPERTIES]
    for text in block.headers:
        parts.append(_cell(width, _paragraph(_run(text, bold=True, size=size)), shaded=True))
    parts.append("</w:tr>")
    for values in block.rows:
        if len(values) != columns:
            raise ValueError(f"a row of {block.title!r} has {len(values)} cells, not {columns}")
        parts.append("<w:tr>")
        for text in values:
            parts.append(_cell(width, _paragraph(_run(text, size=size))))
        parts.append("</w:tr>")
    parts.append("</w:tbl>")
    body.add("".join(parts))
    for label, amount in block.totals:
        body.paragraph(_run(f"{label}: ", bold=True), _run(amount, bold=True))
    body.add("<w:p/>")
