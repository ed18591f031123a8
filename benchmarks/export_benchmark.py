"""Time the Word export of a full PEP and watch the memory of the process that makes it.

    .venv/bin/python benchmarks/export_benchmark.py [--exports 200] [--memory-exports 500]
        [--baseline] [--gunicorn SECONDS] [--write]

The PEP is built in memory (never saved): the school-age form with every section answered with
realistic answers from `forms.realistic_answers` (the demo's and the scale benchmark's
generator), the Virtual School's quality assurance filled in and a full sign-off trail. Each
export is the whole `build_pep_document` call: gathering the content from the form definition,
formatting answers, writing the document and packaging it.

1. Memory: the resident set (VmRSS, /proc/self/status) before and after `--memory-exports`
   drafts and records one after another, measured first so that nothing else has grown the
   process yet.
2. Latency: `--exports` sequential exports, alternately draft and record; p50, p95 and max.
3. `--baseline`: the same words and table shapes written as unstyled paragraphs and tables with
   python-docx's own API, for comparison (run last: python-docx's objects grow the process).
4. `--gunicorn SECONDS`: the portal under gunicorn (2 workers, production mode) on a throwaway
   PostgreSQL with a generated 700-child authority, `draft export` driven by locust with 20
   users for SECONDS (benchmarks/scale/load.py), with each worker's RSS before and after.

`--write` appends the figures to benchmarks/results/export.md. Not collected by pytest.
"""

from __future__ import annotations

import argparse
import gc
import io
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from docx import Document  # noqa: E402

from forms import load_definitions  # noqa: E402
from forms.phases import VoiceBand  # noqa: E402
from forms.realistic_answers import ChildStory, DemoPeople, realistic_pep_answers  # noqa: E402
from forms.schema import DEFAULT_DIRECTORY  # noqa: E402
from portal.exports.builder import build_pep_document  # noqa: E402
from portal.exports.content import (  # noqa: E402
    Paragraph,
    QuestionAnswer,
    Subheading,
    Table,
    gather_content,
)
from portal.exports.samples import sample_pep  # noqa: E402
from portal.models import Pep  # noqa: E402

SETTINGS = {"AUTHORITY_NAME": "Testshire County Council"}
WHEN = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
RESULTS = Path(__file__).parent / "results" / "export.md"


def full_pep() -> tuple[Pep, list[Any]]:
    """The sample PEP (QA and trail included) with realistic answers in every other section."""
    pep, trail = sample_pep()
    definition = load_definitions(DEFAULT_DIRECTORY).latest("school_age")
    story = ChildStory(
        reference="DCC-1106",
        first_name="Harry",
        date_of_birth=date(2016, 5, 14),
        year_group=5,
        sex="1",
        school_name="Oakfield Primary School",
        school_urn="900201",
        people=DemoPeople(
            designated_teacher="Priya Shah", social_worker="Sam Okoro", carer="Karen Holloway"
        ),
    )
    answers = realistic_pep_answers(
        definition, story, band=VoiceBand.PRIMARY, meeting_date=date(2026, 10, 14), pep_number=3
    )
    for section in pep.sections:
        if section.section_key in answers:
            section.answers = answers[section.section_key]
    return pep, trail


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def timed(function: Callable[[int], object], count: int) -> list[float]:
    times = []
    for number in range(count):
        start = time.perf_counter()
        function(number)
        times.append((time.perf_counter() - start) * 1000)
    return times


def bare_document(content: Any) -> bytes:
    """The same words and table shapes, with nothing but python-docx defaults."""
    document = Document()
    for label, text in content.cover:
        document.add_paragraph(f"{label}: {text}")
    for section in content.sections:
        document.add_paragraph(section.title)
        for block in section.blocks:
            if isinstance(block, QuestionAnswer):
                document.add_paragraph(block.question)
                document.add_paragraph(block.answer)
            elif isinstance(block, Table):
                _bare_table(document, block)
            elif isinstance(block, Subheading | Paragraph):
                document.add_paragraph(block.text)
    _bare_table(document, content.signoffs)
    _bare_table(document, content.history)
    output = io.BytesIO()
    document.save(output)
    return output.getvalue()


def _bare_table(document: Any, block: Table) -> None:
    document.add_paragraph(block.title)
    table = document.add_table(rows=1 + len(block.rows), cols=len(block.headers))
    for row, values in zip(table.rows, [block.headers, *block.rows], strict=True):
        for cell, text in zip(row.cells, values, strict=True):
            cell.text = text


def under_gunicorn(seconds: int) -> dict[str, Any]:
    """Draft exports under gunicorn and locust on a generated 700-child authority."""
    from benchmarks.scale.load import measure
    from devtools.postgres import running_postgres

    with running_postgres() as cluster:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "benchmarks.scale.generate",
                "--children",
                "700",
                "--database-url",
                cluster.url,
            ],
            cwd=ROOT,
            check=True,
        )
        result = measure(cluster.url, seconds, ("draft export",))
    aggregated = next(
        row for row in result["pages"]["draft export"]["rows"] if row["name"] == "Aggregated"
    )
    return {
        "rss_before": result["rss_before_mb"],
        "rss_after": result["rss_after_mb"],
        "rps": aggregated["rps"],
        "p50": aggregated["p50"],
        "p95": aggregated["p95"],
        "failures": aggregated.get("failures", 0),
        "baseline_rps": result["baseline_rps"],
        "load_average": result["pages"]["draft export"]["load_average"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exports", type=int, default=200, help="timed exports")
    parser.add_argument("--memory-exports", type=int, default=500, help="exports for RSS")
    parser.add_argument("--baseline", action="store_true", help="also time bare python-docx")
    parser.add_argument("--gunicorn", type=int, default=0, metavar="SECONDS")
    parser.add_argument("--label", default="", help="what code was measured, for the report")
    parser.add_argument("--write", action="store_true", help=f"append to {RESULTS}")
    arguments = parser.parse_args()

    pep, trail = full_pep()

    def export(number: int) -> bytes:
        return build_pep_document(
            pep, settings=SETTINGS, draft=number % 2 == 0, generated_at=WHEN, trail=trail
        )

    # Warm up: the first calls load the form definitions, templates and imports.
    sizes = {len(export(0)), len(export(1))}
    gc.collect()
    rss_start = rss_mb()
    rss_marks = []
    for number in range(arguments.memory_exports):
        export(number)
        if (number + 1) % max(1, arguments.memory_exports // 5) == 0:
            rss_marks.append((number + 1, rss_mb()))
    rss_end = rss_mb()

    load_before = os.getloadavg()[0]
    times = timed(export, arguments.exports)
    load_after = os.getloadavg()[0]
    lines = [
        f"### {arguments.label or 'Export benchmark'}",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}; 1-minute load average "
        f"{load_before:.2f} before and {load_after:.2f} after the timed exports.",
        f"`{shlex.join(['.venv/bin/python', 'benchmarks/export_benchmark.py', *sys.argv[1:]])}`",
        "",
        "| measure | p50 | p95 | max | size |",
        "| --- | ---: | ---: | ---: | ---: |",
        f"| full PEP, {arguments.exports} sequential exports (draft and record alternately) | "
        f"{statistics.median(times):.1f} ms | {percentile(times, 0.95):.1f} ms | "
        f"{max(times):.1f} ms | {'/'.join(f'{size:,}' for size in sorted(sizes))} bytes |",
    ]
    if arguments.baseline:
        content = gather_content(pep, trail, settings=SETTINGS, draft=True, generated_at=WHEN)
        baseline = timed(lambda _number: bare_document(content), max(20, arguments.exports // 5))
        lines.append(
            f"| bare python-docx, same text, no styling ({len(baseline)} builds) | "
            f"{statistics.median(baseline):.1f} ms | {percentile(baseline, 0.95):.1f} ms | "
            f"{max(baseline):.1f} ms | {len(bare_document(content)):,} bytes |"
        )
    marks = ", ".join(f"{count}: {size:.0f} MB" for count, size in rss_marks)
    lines += [
        "",
        f"Process RSS over {arguments.memory_exports} exports: {rss_start:.0f} MB after warming "
        f"up, {rss_end:.0f} MB after (growth {rss_end - rss_start:+.0f} MB; {marks}).",
    ]
    if arguments.gunicorn:
        figures = under_gunicorn(arguments.gunicorn)
        lines += [
            "",
            f"Under gunicorn (2 workers, production, 700-child authority on PostgreSQL), "
            f"draft export by 20 locust users for {arguments.gunicorn} s at a load average of "
            f"{figures['load_average']}: {figures['rps']:.1f} exports/s, p50 {figures['p50']} ms, "
            f"p95 {figures['p95']} ms, {figures['failures']} failures (bare Flask hello "
            f"{figures['baseline_rps']:.0f} requests/s); worker RSS "
            f"{', '.join(f'{size:.0f}' for size in figures['rss_before'])} MB before, "
            f"{', '.join(f'{size:.0f}' for size in figures['rss_after'])} MB after.",
        ]
    report = "\n".join(lines) + "\n"
    print(report)
    if arguments.write:
        with RESULTS.open("a", encoding="utf-8") as results:
            results.write("\n" + report)


if __name__ == "__main__":
    main()
