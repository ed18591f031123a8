"""The whole scale benchmark (`make bench`): for each cohort size, generate the authority, run
the load, explain the list queries, and write the figures to benchmarks/scale/results/.

    .venv/bin/python -m benchmarks.scale.run [--sizes 700,10000] [--seconds 20] [--committed]
        [--pages "my tasks,children list"] [--sequential 20]

PostgreSQL: OPENPEP_BENCH_DATABASE_URL names a server where databases may be created (each size
gets `openpep_bench_<size>`); without it a throwaway cluster is started and removed afterwards.
`--committed` measures the last commit (exported with `git archive`) rather than the working
tree, so figures name exactly the code they describe.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
RESULTS = HERE / "results"


@contextmanager
def postgres_server() -> Iterator[str]:
    configured = os.environ.get("OPENPEP_BENCH_DATABASE_URL")
    if configured:
        yield configured
        return
    from devtools.postgres import running_postgres

    with running_postgres() as cluster:
        yield cluster.url


@contextmanager
def source_tree(committed: bool) -> Iterator[Path]:
    """The code to measure: this working tree, or the last commit exported beside it (with the
    built front-end assets and node packages, which are not committed)."""
    if not committed:
        yield ROOT
        return
    with tempfile.TemporaryDirectory(prefix="openpep-bench-src-") as directory:
        tree = Path(directory)
        archive = subprocess.run(
            ["git", "archive", "HEAD"], cwd=ROOT, check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
        (tree / "node_modules").symlink_to(ROOT / "node_modules")
        shutil.copytree(ROOT / "portal/static/vendor", tree / "portal/static/vendor")
        yield tree


def on_server(server_url: str, *statements: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        for statement in statements:
            connection.execute(text(statement))
    engine.dispose()


def machine() -> dict[str, str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = next(
        line.split(":", 1)[1].strip()
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return {
        "cpu": f"{os.cpu_count()} x {cpu}",
        "memory": memory,
        "system": platform.platform(),
        "python": platform.python_version(),
        "commit": commit,
    }


def run_module(tree: Path, module: str, *arguments: str) -> float:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", module, *arguments], cwd=tree, env=env, check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="700,10000")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--committed", action="store_true")
    # Passed to load.py: which pages to run under load, and how many requests of each list to
    # time one at a time as each kind of user first.
    parser.add_argument("--pages", default=None)
    parser.add_argument("--sequential", type=int, default=0)
    arguments = parser.parse_args()
    load_options = ["--sequential", str(arguments.sequential)]
    if arguments.pages is not None:
        load_options += ["--pages", arguments.pages]
    sizes = [int(size) for size in arguments.sizes.split(",")]
    RESULTS.mkdir(exist_ok=True)
    summary: dict[str, Any] = {
        "machine": machine(),
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["python -m benchmarks.scale.run", *sys.argv[1:]]),
        "sizes": {},
    }
    with postgres_server() as server, source_tree(arguments.committed) as tree:
        version = subprocess.run(
            ["psql", server.replace("+psycopg", ""), "-Atc", "SHOW server_version"],
            capture_output=True,
            text=True,
        ).stdout.strip()
        summary["machine"]["postgresql"] = version
        for size in sizes:
            name = f"openpep_bench_{size}"
            on_server(
                server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}"
            )
            url = server.rsplit("/", 1)[0] + "/" + name
            entry: dict[str, Any] = {"load_average_before_generate": os.getloadavg()}
            print(f"generating {size} children", flush=True)
            entry["generate_seconds"] = run_module(
                tree, "benchmarks.scale.generate", "--children", str(size), "--database-url", url
            )
            print(f"load run at {size} children", flush=True)
            load_file = RESULTS / f"load-{size}.json"
            run_module(
                tree,
                "benchmarks.scale.load",
                "--database-url",
                url,
                "--seconds",
                str(arguments.seconds),
                "--json",
                str(load_file),
                *load_options,
            )
            explain_file = RESULTS / f"explain-{size}.md"
            run_module(
                tree,
                "benchmarks.scale.explain",
                "--database-url",
                url,
                "--output",
                str(explain_file),
            )
            entry["load"] = json.loads(load_file.read_text())
            summary["sizes"][str(size)] = entry
            (RESULTS / "summary.json").write_text(json.dumps(summary, indent=2))
    summary["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    (RESULTS / "summary.json").write_text(json.dumps(summary, indent=2))
    (RESULTS / "summary.md").write_text(render(summary))
    print(render(summary))


def render(summary: dict[str, Any]) -> str:
    """The figures as tables: one per size."""
    lines = ["# Scale benchmark figures", ""]
    for key, value in summary["machine"].items():
        lines.append(f"- {key}: {value}")
    lines += [
        f"- started {summary['started']}, finished {summary.get('finished', '?')}",
        f"- command: `{summary['command']}`",
        "",
    ]
    for size, entry in summary["sizes"].items():
        load = entry["load"]
        lines += [
            f"## {int(size):,} children",
            "",
            f"Generated in {entry['generate_seconds']:.0f} s. Load average (1/5/15 min) before "
            f"the load run {load['load_average_before']}, after {load['load_average_after']}. "
            f"Baseline (bare Flask hello, same gunicorn, 20 users): "
            f"{load['baseline_rps']:.0f} requests/s "
            f"(load average {load.get('load_average_baseline', 'not run')}).",
            "",
        ]
        if load.get("sequential"):
            lines += [
                "One request at a time (after a warm-up request), load average "
                f"{load.get('load_average_sequential')} at the start:",
                "",
                "| list | as | requests | p50 ms | p95 ms | max ms | bytes |",
                "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
            ]
            for name, timing in load["sequential"].items():
                page, who = name.rstrip("]").split(" [")
                lines.append(
                    f"| {page} | {who} | {timing['requests']} | {timing['p50']} | "
                    f"{timing['p95']} | {timing['max']} | {timing['bytes']:,} |"
                )
            lines.append("")
        lines += [
            "| page | as | requests | failures | per second | p50 ms | p95 ms | p99 ms | "
            "share of baseline |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for page, result in load["pages"].items():
            for row in result["rows"]:
                who = (
                    "all (aggregated)"
                    if row["name"] == "Aggregated"
                    else row["name"].split("[")[-1].rstrip("]")
                )
                share = (
                    f"{result['ratio_to_baseline']:.4f}"
                    if row["name"] == "Aggregated"
                    else f"{row['rps'] / load['baseline_rps']:.4f}"
                    if load["baseline_rps"]
                    else "-"
                )
                lines.append(
                    f"| {page} | {who} | {row['requests']} | {row['failures']} | "
                    f"{row['rps']:.1f} | {row['p50']} | {row['p95']} | {row['p99']} | {share} |"
                )
        cpu_rows = [("bare Flask hello (baseline)", load.get("baseline_cpu") or {})] + [
            (page, result.get("cpu") or {}) for page, result in load["pages"].items()
        ]
        if any(cpu for _, cpu in cpu_rows):
            lines += [
                "",
                "Where the machine's time went, in CPU milliseconds per request (the portal's "
                "gunicorn, the PostgreSQL server, the load tool; the machine's whole time is "
                "the run's length times its cores):",
                "",
                "| page | portal | PostgreSQL | load tool | other or idle | machine |",
                "| --- | ---: | ---: | ---: | ---: | ---: |",
            ]
            for page, cpu in cpu_rows:
                if cpu:
                    lines.append(
                        f"| {page} | {cpu['portal_ms']} | {cpu.get('postgres_ms', '-')} | "
                        f"{cpu['load_tool_ms']} | {cpu['other_or_idle_ms']} | "
                        f"{cpu['machine_ms']} |"
                    )
        lines += [
            "",
            "Load average at the start of each page's run: "
            + "; ".join(f"{page} {r['load_average']}" for page, r in load["pages"].items()),
            "",
            "Worker memory (RSS, MB): at start "
            + ", ".join(f"{v:.0f}" for v in load["rss_before_mb"])
            + "; after each page's run: "
            + "; ".join(
                f"{page} " + "/".join(f"{v:.0f}" for v in r["rss_after_mb"])
                for page, r in load["pages"].items()
            )
            + "; after the whole run "
            + ", ".join(f"{v:.0f}" for v in load["rss_after_mb"])
            + "; bare Flask workers "
            + ", ".join(f"{v:.0f}" for v in load["rss_hello_mb"])
            + ".",
            "",
        ]
        if load.get("updates"):
            lines += [
                "UPDATEs during the load run (the saves'; pg_stat_user_tables), and how many "
                "were HOT, writing no new index entries: "
                + "; ".join(
                    f"{table} {counts['hot']:,} of {counts['updates']:,}"
                    for table, counts in sorted(load["updates"].items())
                )
                + ".",
                "",
            ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
