"""One request at a time, in-process: the server time of a PEP section page and of an autosave,
beside a bare Flask "hello" measured in the same run, with an optional pyinstrument profile.

    .venv/bin/python -m benchmarks.scale.profile_pages [--children 700] [--requests 300]
        [--database-url URL] [--profile DIRECTORY]

The portal runs as in production (OPENPEP_ENV=production, PostgreSQL) inside this process and is
asked through Flask's test client, so the figures are the portal's own time per request: no
network, no gunicorn, no load tool competing for the CPU. Without --database-url a throwaway
PostgreSQL cluster is started and the benchmark authority generated into it (generate.py, the
700-children authority by default, about 15 s); with it, that database is used as it is (it must
already hold a generated authority). The person is the designated teacher with the most draft
PEPs (load.py's choice), signed in through the repository's OIDC provider as a person would.

Wall time includes waiting for PostgreSQL; process CPU time is this Python process alone.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Flask
from flask.testing import FlaskClient

from benchmarks.scale.hello_app import app as hello_app
from benchmarks.scale.load import choose_people, portal_environment
from benchmarks.scale.sign_in import SectionForm, check_signed_in, sign_in_at_provider
from devtools.oidc_provider import OidcProvider, running_oidc_provider

WARM_UP = 20
NEW_VERSION = re.compile(r'id="section-version" value="(\d+)"')


@contextmanager
def generated_database(database_url: str | None, children: int) -> Iterator[str]:
    if database_url:
        yield database_url
        return
    from benchmarks.scale.generate import generate
    from devtools.postgres import running_postgres

    with running_postgres() as cluster:
        started = time.perf_counter()
        generate(cluster.url, children)
        print(f"generated {children} children in {time.perf_counter() - started:.0f} s")
        yield cluster.url


def portal_app(database_url: str, provider: OidcProvider) -> Flask:
    """The portal as production configures it, from the same environment load.py gives gunicorn."""
    os.environ.update(portal_environment(database_url, provider))
    from portal import create_app

    return create_app()


def signed_in_client(app: Flask, provider: OidcProvider, email: str) -> FlaskClient:
    """Sign in through the provider's login form, as tests/conftest.py does."""
    # The provider sends people back only to loopback http, so sign-in starts over http; the
    # session cookie is Secure in production, so every later request speaks https to the app.
    client = app.test_client()
    start = client.get("/login/bench", base_url="http://127.0.0.1")
    callback = sign_in_at_provider(start.headers["Location"], provider, email)
    check_signed_in(client.get(callback, base_url="https://127.0.0.1").status_code, email)
    return client


def timed(request: Callable[[], Any], count: int) -> dict[str, float]:
    """Median and p95 of wall and process CPU time over `count` requests, in milliseconds."""
    for _ in range(WARM_UP):
        request()
    walls, cpus = [], []
    for _ in range(count):
        wall, cpu = time.perf_counter(), time.process_time()
        request()
        cpus.append((time.process_time() - cpu) * 1000)
        walls.append((time.perf_counter() - wall) * 1000)

    def p95(values: list[float]) -> float:
        return statistics.quantiles(values, n=20)[-1]

    return {
        "wall_median": statistics.median(walls),
        "wall_p95": p95(walls),
        "cpu_median": statistics.median(cpus),
        "cpu_p95": p95(cpus),
    }


class NoTextBox(Exception):
    """The section has nothing to type into."""


class Autosaver:
    """Types into the section's first text box and autosaves, as htmx posts it: each save
    carries the version the last one gave back."""

    def __init__(self, client: FlaskClient, path: str) -> None:
        self.client, self.path = client, path
        page = client.get(path, base_url="https://127.0.0.1")
        assert page.status_code == 200, page.status_code
        parser = SectionForm()
        parser.feed(page.get_data(as_text=True))
        if not parser.textareas:
            raise NoTextBox(path)
        self.fields, self.typed_into = parser.fields, parser.textareas[0]
        self.version = next(value for key, value in self.fields if key == "version")
        self.saves = 0

    def __call__(self) -> None:
        self.saves += 1
        data = [
            (
                key,
                self.version
                if key == "version"
                else f"{value} {self.saves}"
                if key == self.typed_into
                else value,
            )
            for key, value in self.fields
        ]
        data.append(("autosave", "1"))
        response = self.client.post(
            self.path,
            data=urlencode(data),
            content_type="application/x-www-form-urlencoded",
            # A browser sends the page it posts from; CSRF protection checks it over https.
            headers={"HX-Request": "true", "Referer": f"https://127.0.0.1{self.path}"},
            base_url="https://127.0.0.1",
        )
        assert response.status_code == 200, (response.status_code, response.get_data()[:300])
        match = NEW_VERSION.search(response.get_data(as_text=True))
        assert match, "the autosave answer carries no new version"
        # Each save changes the answer, so the section's version moves on: a save that changed
        # nothing would measure less than an autosave does.
        assert int(match.group(1)) > int(self.version), "the autosave changed nothing"
        self.version = match.group(1)


def _remember_statement(statements: list[str], *arguments: Any) -> None:
    statements.append(" ".join(str(arguments[2]).split())[:160])  # the statement's text


def show_statements(app: Flask, requests_by_name: dict[str, Callable[[], Any]]) -> None:
    """Print the statements one request of each kind sends, in order."""
    from sqlalchemy import event

    from portal.extensions import db

    with app.app_context():
        engine = db.engine
    for name, request in requests_by_name.items():
        statements: list[str] = []
        record = partial(_remember_statement, statements)

        event.listen(engine, "before_cursor_execute", record)
        try:
            request()
        finally:
            event.remove(engine, "before_cursor_execute", record)
        print(f"{name}: {len(statements)} statements")
        for statement in statements:
            print(f"  {statement}")


def profile(request: Callable[[], Any], count: int, output: Path) -> None:
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(count):
        request()
    profiler.stop()
    output.with_suffix(".html").write_text(profiler.output_html())
    output.with_suffix(".txt").write_text(profiler.output_text(unicode=True, show_all=False))
    print(f"profile written to {output.with_suffix('.html')} and .txt")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--children", type=int, default=700)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--database-url", default=os.environ.get("OPENPEP_BENCH_DATABASE_URL"))
    parser.add_argument("--profile", type=Path, help="a directory for pyinstrument profiles")
    parser.add_argument(
        "--show-sql", action="store_true", help="print the SQL one request of each sends"
    )
    arguments = parser.parse_args()

    with (
        generated_database(arguments.database_url, arguments.children) as database_url,
        running_oidc_provider() as provider,
    ):
        teacher = choose_people(database_url)["designated_teacher"]
        app = portal_app(database_url, provider)
        client = signed_in_client(app, provider, teacher["email"])
        # The first of their sections with a text box: an autosave that changes an answer.
        for record in teacher["typing_records"] or teacher["records"]:
            path = f"/peps/{record['pep_id']}/sections/{record['section']}"
            try:
                autosave = Autosaver(client, path)
                break
            except NoTextBox:
                continue
        else:
            raise RuntimeError(f"{teacher['email']} owns no section with a text box")

        def section_page() -> None:
            response = client.get(path, base_url="https://127.0.0.1")
            assert response.status_code == 200, response.status_code

        hello_client = hello_app.test_client()

        def hello() -> None:
            hello_client.get("/")

        print(f"{teacher['email']}: {path}, load average {os.getloadavg()}")
        if arguments.show_sql:
            show_statements(app, {"section page": section_page, "autosave": autosave})
        figures = {
            "bare Flask hello": timed(hello, arguments.requests),
            "section page": timed(section_page, arguments.requests),
            "autosave": timed(autosave, arguments.requests),
        }
        baseline = figures["bare Flask hello"]["wall_median"]
        print(
            "| request | wall median ms | wall p95 ms | CPU median ms | CPU p95 ms | "
            "wall median / hello |"
        )
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        for name, figure in figures.items():
            print(
                f"| {name} | {figure['wall_median']:.2f} | {figure['wall_p95']:.2f} | "
                f"{figure['cpu_median']:.2f} | {figure['cpu_p95']:.2f} | "
                f"{figure['wall_median'] / baseline:.0f} |"
            )
        print(f"load average after: {os.getloadavg()}")
        if arguments.profile:
            arguments.profile.mkdir(parents=True, exist_ok=True)
            profile(section_page, arguments.requests, arguments.profile / "section-page")
            profile(autosave, arguments.requests, arguments.profile / "autosave")


if __name__ == "__main__":
    main()
