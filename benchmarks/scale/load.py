"""The load run: the portal under gunicorn (2 workers, production mode) on loopback against a
generated database, and a bare Flask "hello" under the same gunicorn, both driven by locust
headless with 20 users; each page on its own, as each kind of user.

    .venv/bin/python -m benchmarks.scale.load --database-url URL [--seconds 20] [--json OUT]
        [--pages "my tasks,children list"] [--sequential 20]

`--pages` runs only those pages under load (`--seconds 0`: none). `--sequential N` first times
N requests of each list (children list, My tasks) one after another as each kind of user: what
one person waits for a page when nobody else is using the portal.

Sign-in goes through the repository's real OIDC provider (devtools/oidc), configured as a
generic provider, once per kind of user; the simulated people of that kind share the session.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import psycopg
import requests

from benchmarks.scale.sign_in import check_signed_in, sign_in_at_provider
from devtools.oidc_provider import OidcProvider, free_loopback_port, running_oidc_provider

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
USERS = 20
# Cheapest first: the slowest pages go last so that a backlog they leave cannot slow the others.
PAGES = (
    "section page",
    "autosave",
    "pep task list",
    "child page",
    "draft export",
    "my tasks",
    "children list",
)
SESSION_COOKIE = "openpep_session"
# The lists a person sees, timed one request at a time by --sequential.
LIST_PATHS = {"children list": "/children", "my tasks": "/tasks"}


def load_average() -> str:
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


@contextmanager
def gunicorn(app: str, port: int, env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    # The log stays open as long as gunicorn runs, past this block: closed with the process.
    log = Path(tempfile.mkstemp(prefix="openpep-gunicorn-", suffix=".log")[1]).open("wb")  # noqa: SIM115
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            # The slow lists of today take minutes under load: let them finish and be measured.
            "--timeout",
            "600",
            "--log-level",
            "warning",
            app,
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"http://127.0.0.1:{port}/", timeout=60)
                break
            except requests.RequestException:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(Path(log.name).read_text(errors="replace")) from None
                time.sleep(0.3)
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def worker_rss_mb(master: int) -> list[float]:
    """Resident memory of each worker, from /proc/<pid>/status."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    sizes = []
    for pid in children:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                sizes.append(int(line.split()[1]) / 1024)
    return sizes


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_tree(root: int) -> list[int]:
    """`root` and every process descended from it, from /proc."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    tree, waiting = [], [root]
    while waiting:
        pid = waiting.pop()
        tree.append(pid)
        waiting.extend(parents.get(pid, []))
    return tree


def tree_cpu_seconds(root: int | None) -> float:
    """User and system CPU time `root` and its descendants have used so far, with the time of
    children they have already waited for (a database connection that ended counts in its
    server's figure). Taken over the tree as it is at that moment, so processes that start or
    end between two readings are counted."""
    if root is None:
        return 0.0
    ticks = 0
    for pid in process_tree(root):
        with suppress(OSError, ValueError, IndexError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / CLOCK_TICKS


def postgres_server_pid(database_url: str) -> int | None:
    """The PostgreSQL server's main process (the parent of a backend), for its CPU time; None
    when the server is not a process of this machine that can be read (a remote server, or one
    in another container)."""
    url = database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url) as connection:
        backend = connection.execute("SELECT pg_backend_pid()").fetchone()
    try:
        if backend is None or not _is_postgres(backend[0]):
            return None
        fields = Path(f"/proc/{backend[0]}/stat").read_text().rsplit(")", 1)[1].split()
        server = int(fields[1])
    except (OSError, ValueError, IndexError):
        return None
    return server if _is_postgres(server) else None


# The tables every save updates: how many of those UPDATEs were HOT (no new index entries).
UPDATED_TABLES = ("peps", "pep_sections")
# PostgreSQL 15 backends flush their statistics at most once a second, and an idle one within
# ten seconds: the counts are read after that long.
STATISTICS_FLUSH_SECONDS = 11.0


def update_counts(database_url: str) -> dict[str, dict[str, int]]:
    """Each updated table's UPDATEs so far, and how many were HOT (pg_stat_user_tables)."""
    url = database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url) as connection:
        rows = connection.execute(
            "SELECT relname, n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables"
            " WHERE relname = ANY(%s)",
            (list(UPDATED_TABLES),),
        ).fetchall()
    return {name: {"updates": updates, "hot": hot} for name, updates, hot in rows}


def updates_between(
    before: dict[str, dict[str, int]], after: dict[str, dict[str, int]]
) -> dict[str, dict[str, int]]:
    return {
        table: {
            key: after[table][key] - before.get(table, {}).get(key, 0) for key in ("updates", "hot")
        }
        for table in after
    }


def _is_postgres(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/comm").read_text().startswith("postgres")
    except OSError:
        return False


# The part of each run whose CPU time is counted: after the load tool has started and its
# simulated people have opened their pages, and before they stop.
SETTLE_SECONDS = 4.0


class MachineTime:
    """Where the machine's CPU went while one page ran under load: the portal's gunicorn, the
    PostgreSQL server and the load tool (locust), in CPU milliseconds per request, over the
    steady middle of the run (the load tool's own start-up is not a request's cost). The
    shares of bare Flask's throughput hide this: a page that costs the database as much as the
    portal shows here which of the two to work on."""

    def __init__(self, portal_master: int, postgres_main: int | None) -> None:
        self.portal_master, self.postgres_main = portal_master, postgres_main
        self.spent: dict[str, float] = {}
        self.elapsed = 0.0
        self.window: tuple[float, float] = (0.0, 0.0)  # wall-clock start and end
        self.requests_in_window: int | None = None

    def sample(self, load_tool: int, seconds: float) -> None:
        """Count the CPU time of the three for `seconds`, while the load tool runs."""
        roots = {
            "portal": self.portal_master,
            "postgres": self.postgres_main,
            "load_tool": load_tool,
        }
        before = {name: tree_cpu_seconds(root) for name, root in roots.items()}
        started, started_at = time.monotonic(), time.time()
        time.sleep(seconds)
        self.elapsed = time.monotonic() - started
        self.window = (started_at, time.time())
        for name, root in roots.items():
            self.spent[name] = tree_cpu_seconds(root) - before[name]

    def count_requests(self, history: list[dict[str, str]]) -> None:
        """The requests answered inside the window, from the load tool's history (a cumulative
        count each second): the run's start-up and end are not in it."""
        totals = sorted(
            (int(row["Timestamp"]), int(row["Total Request Count"]))
            for row in history
            if row.get("Name") == "Aggregated" and row.get("Total Request Count", "").isdigit()
        )
        if not totals or not self.elapsed:
            return

        def count_at(moment: float) -> int:
            reached = [count for stamp, count in totals if stamp <= moment]
            return reached[-1] if reached else 0

        counted = count_at(self.window[1]) - count_at(self.window[0])
        if counted > 0:
            self.requests_in_window = counted

    def per_request(self, requests_per_second: float) -> dict[str, float]:
        """Milliseconds per request: the requests counted in the window, or failing that the
        run's rate over the window's length."""
        if not self.elapsed:
            return {}
        requests_done = self.requests_in_window or requests_per_second * self.elapsed
        if not requests_done:
            return {}
        machine = self.elapsed * (os.cpu_count() or 1)

        def ms(seconds: float) -> float:
            return round(seconds * 1000 / requests_done, 2)

        spent = self.spent
        figures = {
            "portal_ms": ms(spent["portal"]),
            "postgres_ms": ms(spent["postgres"]),
            "load_tool_ms": ms(spent["load_tool"]),
            "machine_ms": ms(machine),
            "other_or_idle_ms": ms(machine - sum(spent.values())),
        }
        if self.postgres_main is None:  # not measured: say so rather than 0
            del figures["postgres_ms"]
        return figures


def portal_environment(database_url: str, provider: OidcProvider) -> dict[str, str]:
    """The portal's settings for a benchmark: production mode on `database_url`, people signing
    in through `provider` (profile_pages.py runs the portal in-process with the same)."""
    return {
        "OPENPEP_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": database_url,
        "OPENPEP_ALLOWED_HOSTS": "127.0.0.1",
        "OPENPEP_AUTHORITY_NAME": "Benchshire County Council",
        "OPENPEP_OIDC_PROVIDERS": "bench",
        "OPENPEP_OIDC_BENCH_ISSUER": provider.issuer,
        "OPENPEP_OIDC_BENCH_CLIENT_ID": provider.client_id,
        "OPENPEP_OIDC_BENCH_CLIENT_SECRET": provider.client_secret,
        "OPENPEP_OIDC_BENCH_LABEL": "Benchmark sign-in",
    }


def sign_in(base: str, provider: OidcProvider, email: str) -> str:
    """Sign in as a person would, through the provider's login form; return the Cookie header.

    The session cookie is marked Secure in production, so it is carried by hand over loopback
    http (a client would not send it)."""
    cookie = ""

    def portal(path: str) -> requests.Response:
        nonlocal cookie
        response = requests.get(
            base + path, headers={"Cookie": cookie}, allow_redirects=False, timeout=60
        )
        if SESSION_COOKIE in response.cookies:
            cookie = f"{SESSION_COOKIE}={response.cookies[SESSION_COOKIE]}"
        return response

    callback = sign_in_at_provider(portal("/login/bench").headers["Location"], provider, email)
    check_signed_in(portal(callback).status_code, email)
    return cookie


def choose_people(database_url: str) -> dict[str, dict[str, Any]]:
    """One person of each kind, with the records they open: for people who write sections,
    open draft PEPs with a section they own (a different one for each simulated person where
    there are enough, so their autosaves do not overtake each other)."""
    from forms.field_types.long_text import LongTextDefinition
    from forms.schema import DEFAULT_DIRECTORY
    from portal.form_registry import _registry_in

    registry = _registry_in(Path(DEFAULT_DIRECTORY).resolve())
    owned: dict[tuple[str, int, str], list[str]] = {}
    # Sections with a text box always asked, the autosaves' (SectionForm.textareas).
    typed_in: set[tuple[str, int, str]] = set()
    for definition in registry:
        for section in definition.sections:
            if section.owner is not None:
                key = (definition.key, definition.version, section.owner.value)
                owned.setdefault(key, []).append(section.key)
                if any(
                    isinstance(field, LongTextDefinition)
                    and not field.shown_if
                    and not field.read_only
                    for field in section.fields
                ):
                    typed_in.add((definition.key, definition.version, section.key))

    url = database_url.replace("postgresql+psycopg://", "postgresql://")
    people: dict[str, dict[str, Any]] = {}
    with psycopg.connect(url) as connection:

        def drafts_of(
            where: str, role: str
        ) -> tuple[str, list[dict[str, str]], list[dict[str, str]]]:
            row = connection.execute(
                f"""
                SELECT u.email, array_agg(p.id::text || '|' || c.id::text || '|' || p.form_key
                                          || '|' || p.form_version ORDER BY c.authority_reference)
                FROM role_grants g JOIN users u ON u.id = g.user_id
                JOIN children c ON {where} AND c.date_left_care IS NULL
                JOIN peps p ON p.child_id = c.id AND p.state = 'draft'
                WHERE g.role = %s GROUP BY u.email ORDER BY count(*) DESC, u.email LIMIT 1
                """,
                (role,),
            ).fetchone()
            assert row, f"no {role} with a draft PEP"
            email, drafts = row
            records, typing = [], []
            for pep_number, draft in enumerate(drafts):
                pep_id, child_id, form_key, version = draft.split("|")
                for number, section in enumerate(owned.get((form_key, int(version), role), [])):
                    record = {"pep_id": pep_id, "child_id": child_id, "section": section}
                    records.append(((number, pep_number), record))
                    if (form_key, int(version), section) in typed_in:
                        typing.append(((number, pep_number), record))
            # Consecutive people get different PEPs first, then different sections.
            return (
                email,
                [record for _, record in sorted(records, key=lambda r: r[0])],
                [record for _, record in sorted(typing, key=lambda r: r[0])],
            )

        for kind, where, role in (
            ("designated_teacher", "c.current_school_id = g.school_id", "designated_teacher"),
            ("social_worker", "c.id = g.child_id", "social_worker"),
            ("carer", "c.id = g.child_id", "carer"),
        ):
            email, records, typing = drafts_of(where, role)
            people[kind] = {
                "email": email,
                "records": records,
                "typing_records": typing,
                "edits": True,
            }
        (email,) = connection.execute(
            """SELECT u.email FROM role_grants g JOIN users u ON u.id = g.user_id
               JOIN peps p ON p.child_id = g.child_id AND p.state = 'draft'
               WHERE g.role = 'vs_adviser' GROUP BY u.email ORDER BY count(*) DESC, u.email
               LIMIT 1"""
        ).fetchone()
        adviser_drafts = connection.execute(
            """SELECT p.id::text, c.id::text FROM role_grants g JOIN users u ON u.id = g.user_id
               JOIN children c ON c.id = g.child_id JOIN peps p ON p.child_id = c.id
               WHERE u.email = %s AND p.state = 'draft' ORDER BY c.authority_reference""",
            (email,),
        ).fetchall()
        people["vs_adviser"] = {
            "email": email,
            "records": [
                {"pep_id": p, "child_id": c, "section": "meeting_details"}
                for p, c in adviser_drafts
            ],
            "edits": False,
        }
        any_drafts = connection.execute(
            """SELECT p.id::text, c.id::text FROM peps p JOIN children c ON c.id = p.child_id
               WHERE p.state = 'draft' ORDER BY c.authority_reference LIMIT 20"""
        ).fetchall()
        # A sign-in binds the account to the provider's issuer, and each run starts the provider
        # on a new port (a new issuer): forget an earlier run's binding, as an admin would.
        connection.execute(
            "UPDATE users SET sso_issuer = NULL, sso_subject = NULL, sso_provider = NULL"
            " WHERE sso_issuer IS NOT NULL"
        )
        for role in ("reviewer", "admin"):
            (email,) = connection.execute(
                """SELECT u.email FROM role_grants g JOIN users u ON u.id = g.user_id
                   WHERE g.role = %s ORDER BY u.email LIMIT 1""",
                (role,),
            ).fetchone()
            people[role] = {
                "email": email,
                "records": [
                    {"pep_id": p, "child_id": c, "section": "meeting_details"}
                    for p, c in any_drafts
                ],
                "edits": False,
            }
    return people


def run_locust(
    port: int,
    page: str,
    targets_file: Path,
    seconds: int,
    classes: list[str],
    machine_time: MachineTime | None = None,
) -> list[dict[str, str]]:
    with tempfile.TemporaryDirectory(prefix="openpep-locust-") as directory:
        prefix = Path(directory) / "run"
        env = {**os.environ, "BENCH_PAGE": page, "BENCH_TARGETS": str(targets_file)}
        locust = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "locust",
                "-f",
                str(HERE / "locustfile.py"),
                "--headless",
                "--users",
                str(USERS),
                "--spawn-rate",
                str(USERS),
                "--run-time",
                f"{seconds}s",
                "--stop-timeout",
                "120",
                "--host",
                f"http://127.0.0.1:{port}",
                "--csv",
                str(prefix),
                "--only-summary",
                "--loglevel",
                "WARNING",
                *classes,
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        window = seconds - 2 * SETTLE_SECONDS
        if machine_time is not None and window > 0:
            time.sleep(SETTLE_SECONDS)
            machine_time.sample(locust.pid, window)
        locust.wait()
        if machine_time is not None:
            with suppress(OSError), open(f"{prefix}_stats_history.csv", newline="") as history:
                machine_time.count_requests(list(csv.DictReader(history)))
        with open(f"{prefix}_stats.csv", newline="") as stats:
            return list(csv.DictReader(stats))


def wait_until_idle(port: int, limit: float = 300) -> float:
    """Wait for the workers to finish what the last run left queued: a request for a static
    file is answered only once a worker is free."""
    started = time.monotonic()
    with suppress(requests.RequestException):
        requests.get(f"http://127.0.0.1:{port}/static/vendor/openpep.css", timeout=limit)
    return time.monotonic() - started


def summarise(rows: list[dict[str, str]]) -> list[dict[str, Any]]:
    summary = []
    for row in rows:
        if row["Name"] == "(form)":
            continue
        summary.append(
            {
                "name": row["Name"],
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "rps": float(row["Requests/s"]),
                "p50": row["50%"],
                "p95": row["95%"],
                "p99": row["99%"],
                "bytes": float(row["Average Content Size"] or 0),
            }
        )
    return summary


def time_sequentially(base: str, people: dict[str, dict[str, Any]], count: int) -> dict[str, Any]:
    """Each list as each kind of user, `count` requests one after another (after one untimed
    request that warms the worker): milliseconds from request to the last byte."""
    timings: dict[str, Any] = {}
    for page, path in LIST_PATHS.items():
        for kind, person in people.items():
            headers = {"Cookie": person["cookie"]}
            with requests.Session() as client:
                first = client.get(base + path, headers=headers, timeout=600)
                if first.status_code != 200:
                    raise RuntimeError(f"{page} as {kind}: {first.status_code}")
                elapsed = []
                for _ in range(count):
                    started = time.perf_counter()
                    response = client.get(base + path, headers=headers, timeout=600)
                    response.raise_for_status()
                    elapsed.append((time.perf_counter() - started) * 1000)
            elapsed.sort()
            timings[f"{page} [{kind}]"] = {
                "requests": count,
                "p50": round(elapsed[len(elapsed) // 2], 1),
                "p95": round(elapsed[min(len(elapsed) - 1, int(len(elapsed) * 0.95))], 1),
                "max": round(elapsed[-1], 1),
                "bytes": len(first.content),
                "load_average": load_average(),
            }
            print(f"{page} as {kind}: p50 {timings[f'{page} [{kind}]']['p50']} ms", flush=True)
    return timings


def measure(
    database_url: str,
    seconds: int,
    pages: tuple[str, ...] = PAGES,
    sequential: int = 0,
) -> dict[str, Any]:
    result: dict[str, Any] = {"load_average_before": load_average(), "pages": {}}
    people = choose_people(database_url)
    with running_oidc_provider() as provider:
        portal_port, hello_port = free_loopback_port(), free_loopback_port()
        env = {**os.environ, **portal_environment(database_url, provider)}
        with (
            gunicorn("benchmarks.scale.hello_app:app", hello_port, env) as hello,
            gunicorn("portal:create_app()", portal_port, env) as portal,
        ):
            base = f"http://127.0.0.1:{portal_port}"
            for person in people.values():
                person["cookie"] = sign_in(base, provider, person["email"])
            with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as targets:
                json.dump(people, targets)
            targets_file = Path(targets.name)
            result["people"] = {
                kind: {
                    "email": p["email"],
                    "records": len(p["records"]),
                    # An autosave run has at most this many people of the kind typing.
                    "typing_records": len(p.get("typing_records", [])),
                }
                for kind, p in people.items()
            }
            result["rss_before_mb"] = worker_rss_mb(portal.pid)
            if sequential:
                result["load_average_sequential"] = load_average()
                result["sequential"] = time_sequentially(base, people, sequential)

            baseline_rps = 0.0
            postgres_main = postgres_server_pid(database_url) if seconds else None
            updates_before = update_counts(database_url) if seconds else {}
            if seconds:
                result["load_average_baseline"] = load_average()
                spent = MachineTime(hello.pid, postgres_main)
                baseline = summarise(
                    run_locust(hello_port, "hello", targets_file, seconds, [], spent)
                )
                result["baseline"] = baseline
                baseline_rps = next(r["rps"] for r in baseline if r["name"] == "Aggregated")
                result["baseline_cpu"] = spent.per_request(baseline_rps)
            result["rss_hello_mb"] = worker_rss_mb(hello.pid)

            for page in pages if seconds else ():
                classes = [k for k, p in people.items() if page != "autosave" or p["edits"]]
                load_before = load_average()
                spent = MachineTime(portal.pid, postgres_main)
                rows = summarise(
                    run_locust(portal_port, page, targets_file, seconds, classes, spent)
                )
                drained = wait_until_idle(portal_port)
                aggregated = next(r for r in rows if r["name"] == "Aggregated")
                result["pages"][page] = {
                    "load_average": load_before,
                    "rows": rows,
                    "ratio_to_baseline": aggregated["rps"] / baseline_rps if baseline_rps else 0,
                    "seconds_to_drain": round(drained, 1),
                    "rss_after_mb": worker_rss_mb(portal.pid),
                    "cpu": spent.per_request(aggregated["rps"]),
                }
                print(
                    f"{page}: {aggregated['rps']:.1f}/s, p95 {aggregated['p95']} ms, "
                    f"CPU ms per request {spent.per_request(aggregated['rps'])}",
                    flush=True,
                )
            result["rss_after_mb"] = worker_rss_mb(portal.pid)
            targets_file.unlink()
            if seconds:
                time.sleep(STATISTICS_FLUSH_SECONDS)
                result["updates"] = updates_between(updates_before, update_counts(database_url))
    result["load_average_after"] = load_average()
    result["baseline_rps"] = baseline_rps
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("OPENPEP_BENCH_DATABASE_URL"))
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--pages", default=",".join(PAGES))
    parser.add_argument("--sequential", type=int, default=0)
    arguments = parser.parse_args()
    pages = tuple(page.strip() for page in arguments.pages.split(",") if page.strip())
    unknown = set(pages) - set(PAGES)
    if unknown:
        parser.error(f"unknown pages {sorted(unknown)}; choose from {', '.join(PAGES)}")
    result = measure(arguments.database_url, arguments.seconds, pages, arguments.sequential)
    text = json.dumps(result, indent=2)
    if arguments.json:
        arguments.json.write_text(text)
    else:
        print(text)


if __name__ == "__main__":
    main()
