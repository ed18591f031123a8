"""How near bare Flask's throughput could any Flask portal come? The portal's section page and
autosave beside the floor's (floor_app.py: the same requests, the same database, the same
cookies, with none of the portal's machinery) and beside bare Flask's "hello", all under the same
gunicorn (2 workers) and locust (20 users), in alternating rounds.

    .venv/bin/python -m benchmarks.scale.floor [--children 700] [--seconds 20] [--rounds 2]
        [--json OUT]

A throwaway PostgreSQL cluster holds the generated authority (generate.py). Each round runs, 20
seconds each: hello, the portal's section page, the floor's, the portal's autosave, the floor's.
The shares are each page's throughput over the hello's of the same round.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

from benchmarks.scale.load import (
    MachineTime,
    choose_people,
    gunicorn,
    load_average,
    portal_environment,
    postgres_server_pid,
    run_locust,
    sign_in,
    summarise,
    wait_until_idle,
)
from devtools.oidc_provider import free_loopback_port, running_oidc_provider

PAGES = ("section page", "autosave")


def one_run(
    port: int,
    page: str,
    targets: Path,
    seconds: int,
    classes: list[str],
    master: int,
    postgres: int | None,
) -> dict[str, Any]:
    spent = MachineTime(master, postgres)
    rows = summarise(run_locust(port, page, targets, seconds, classes, spent))
    wait_until_idle(port)
    aggregated = next(row for row in rows if row["name"] == "Aggregated")
    return {
        "rps": aggregated["rps"],
        "failures": aggregated["failures"],
        "p95": aggregated["p95"],
        "bytes": aggregated["bytes"],
        "cpu": spent.per_request(aggregated["rps"]),
        "load_average": load_average(),
    }


def measure(database_url: str, seconds: int, rounds: int) -> dict[str, Any]:
    people = {
        kind: person
        for kind, person in choose_people(database_url).items()
        if kind in {"designated_teacher", "social_worker", "carer"}
    }
    result: dict[str, Any] = {"rounds": []}
    with running_oidc_provider() as provider:
        ports = {name: free_loopback_port() for name in ("hello", "portal", "floor")}
        env = {**os.environ, **portal_environment(database_url, provider)}
        with (
            gunicorn("benchmarks.scale.hello_app:app", ports["hello"], env) as hello,
            gunicorn("portal:create_app()", ports["portal"], env) as portal,
        ):
            base = f"http://127.0.0.1:{ports['portal']}"
            for person in people.values():
                person["cookie"] = sign_in(base, provider, person["email"])
            first = people["designated_teacher"]["records"][0]
            page = requests.get(
                f"{base}/peps/{first['pep_id']}/sections/{first['section']}",
                headers={"Cookie": people["designated_teacher"]["cookie"]},
                timeout=60,
            )
            page.raise_for_status()
            floor_env = {
                **env,
                "BENCH_FLOOR_PAGE_BYTES": str(len(page.content)),
                "BENCH_FORM_HOST": base,
            }
            with (
                gunicorn("benchmarks.scale.floor_app:app", ports["floor"], floor_env) as floor,
                tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as targets,
            ):
                json.dump(people, targets)
                targets.close()
                targets_file = Path(targets.name)
                os.environ["BENCH_FORM_HOST"] = base  # read by the locust processes
                postgres = postgres_server_pid(database_url)
                classes = list(people)
                for number in range(1, rounds + 1):
                    figures: dict[str, Any] = {
                        "hello": one_run(
                            ports["hello"], "hello", targets_file, seconds, [], hello.pid, postgres
                        )
                    }
                    for page_name in PAGES:
                        for app_name, server in (("portal", portal), ("floor", floor)):
                            figures[f"{app_name} {page_name}"] = one_run(
                                ports[app_name],
                                page_name,
                                targets_file,
                                seconds,
                                classes,
                                server.pid,
                                postgres,
                            )
                    baseline = figures["hello"]["rps"]
                    for name, figure in figures.items():
                        figure["share"] = round(figure["rps"] / baseline, 3) if baseline else 0
                        print(f"round {number}: {name}: {figure}", flush=True)
                    result["rounds"].append(figures)
                targets_file.unlink()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--children", type=int, default=700)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json", type=Path)
    arguments = parser.parse_args()
    from benchmarks.scale.generate import generate
    from devtools.postgres import running_postgres

    with running_postgres() as cluster:
        started = time.perf_counter()
        generate(cluster.url, arguments.children)
        print(f"generated {arguments.children} children in {time.perf_counter() - started:.0f} s")
        result = measure(cluster.url, arguments.seconds, arguments.rounds)
    text = json.dumps(result, indent=2, default=str)
    if arguments.json:
        arguments.json.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
