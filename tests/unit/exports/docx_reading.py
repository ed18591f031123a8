"""Reading exported documents back, as Word and LibreOffice would."""

import io
import subprocess
import tempfile
import uuid
import zipfile
from pathlib import Path

from docx import Document


def open_docx(data):
    return Document(io.BytesIO(data))


def headings(document, level=1):
    return [p.text for p in document.paragraphs if p.style.name == f"Heading {level}"]


def table_after_heading(document, heading_text):
    """The first table that follows the heading with this text."""
    body = document.element.body
    seen = False
    index = 0  # document.tables lists the body's top-level tables in order
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[1]
        if tag == "p" and "".join(child.xpath(".//w:t/text()")) == heading_text:
            seen = True
        elif tag == "tbl":
            if seen:
                return document.tables[index]
            index += 1
    raise AssertionError(f"no table after {heading_text!r}")


def table_rows(table):
    return [[cell.text for cell in row.cells] for row in table.rows]


def part_xml(data, name):
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return package.read(name).decode("utf-8")


def all_text(document):
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def pdf_pages(*documents):
    """Each document rendered by LibreOffice (one run for all), as a list of page texts."""
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        paths = []
        for number, data in enumerate(documents):
            path = folder / f"document-{number}.docx"
            path.write_bytes(data)
            paths.append(str(path))
        subprocess.run(
            [
                "soffice",
                f"-env:UserInstallation=file:///tmp/lo-{uuid.uuid4().hex}",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(folder),
                *paths,
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
        results = []
        for path in paths:
            pdf = Path(path).with_suffix(".pdf")
            assert pdf.exists(), f"LibreOffice did not convert {path}"
            text = subprocess.run(
                ["pdftotext", "-layout", str(pdf), "-"],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            results.append([page for page in text.split("\f") if page.strip()])
        return results
