"""Time the PEP export against a bare python-docx document holding the same text.

    .venv/bin/python benchmarks/export_benchmark.py [--repetitions 30] [--write]

The PEP is the in-memory example from portal.exports.samples: every section of the school-age
form answered, quality assurance filled in, a full sign-off trail. "Ours" is the whole
build_pep_document call (reading the form definition, formatting answers, styling, header and
footer, fixed properties, the deterministic zip rewrite). The baseline writes the same text as
unstyled paragraphs and tables of the same shape with python-docx and saves it, measured in the
same run, so the ratio says what our work costs on top of python-docx itself on this machine.
Not collected by pytest (testpaths is tests/).
"""

import argparse
import io
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from docx import Document

from portal.exports.builder import build_pep_document
from portal.exports.content import (
    Paragraph,
    QuestionAnswer,
    Subheading,
    Table,
    gather_content,
)
from portal.exports.samples import sample_pep

SETTINGS = {"AUTHORITY_NAME": "Testshire County Council"}
WHEN = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
RESULTS = Path(__file__).parent / "results" / "export.md"


def bare_document(content):
    """The same words and table shapes, with nothing but python-docx defaults."""
    document = Document()
    for label, text in content.cover:
        document.add_paragraph(f"{label}: {text}")
    tables = []
    for section in content.sections:
        document.add_paragraph(section.title)
        for block in section.blocks:
            if isinstance(block, QuestionAnswer):
                document.add_paragraph(block.question)
                document.add_paragraph(block.answer)
            elif isinstance(block, Table):
                tables.append(block)
                _bare_table(document, block)
            elif isinstance(block, Subheading | Paragraph):
                document.add_paragraph(block.text)
    _bare_table(document, content.signoffs)
    _bare_table(document, content.history)
    output = io.BytesIO()
    document.save(output)
    return output.getvalue()


def _bare_table(document, block):
    document.add_paragraph(block.title)
    table = document.add_table(rows=1 + len(block.rows), cols=len(block.headers))
    for row, values in zip(table.rows, [block.headers, *block.rows], strict=True):
        for cell, text in zip(row.cells, values, strict=True):
            cell.text = text


def timed(function, repetitions):
    times = []
    for _ in range(repetitions):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=30)
    parser.add_argument("--write", action="store_true", help=f"write {RESULTS}")
    arguments = parser.parse_args()

    pep, trail = sample_pep()
    content = gather_content(pep, trail, settings=SETTINGS, draft=False, generated_at=WHEN)

    def ours():
        return build_pep_document(
            pep, settings=SETTINGS, draft=False, generated_at=WHEN, trail=trail
        )

    def baseline():
        return bare_document(content)

    # Warm up: first calls load the form definitions, python-docx's template and imports.
    ours_size, baseline_size = len(ours()), len(baseline())
    ours_times, baseline_times = [], []
    # Interleaved in blocks so that machine noise lands on both alike.
    for _ in range(arguments.repetitions // 5 or 1):
        ours_times += timed(ours, 5)
        baseline_times += timed(baseline, 5)
    ours_median = statistics.median(ours_times)
    baseline_median = statistics.median(baseline_times)
    ratio = ours_median / baseline_median
    report = "\n".join(
        [
            "# Export benchmark",
            "",
            f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, "
            f"{os.cpu_count()} CPUs, Python {platform.python_version()}, "
            f"{len(ours_times)} repetitions each, interleaved.",
            "",
            "A full school-age PEP (every section answered, QA, sign-off trail) built by",
            "`build_pep_document`, against a bare python-docx document with the same text and",
            "table shapes and no styling, measured in the same run.",
            "",
            "| Build | Median | Min | Max | Size |",
            "| --- | --- | --- | --- | --- |",
            f"| build_pep_document | {ours_median * 1000:.1f} ms | "
            f"{min(ours_times) * 1000:.1f} ms | {max(ours_times) * 1000:.1f} ms | "
            f"{ours_size:,} bytes |",
            f"| bare python-docx | {baseline_median * 1000:.1f} ms | "
            f"{min(baseline_times) * 1000:.1f} ms | {max(baseline_times) * 1000:.1f} ms | "
            f"{baseline_size:,} bytes |",
            "",
            f"**Ratio (median ours / median baseline): {ratio:.2f}**",
            "",
        ]
    )
    print(report)
    if arguments.write:
        RESULTS.write_text(report, encoding="utf-8")


if __name__ == "__main__":
    main()
