"""The simulated people: one locust user class per kind of user, each using the session that
`load.py` obtained through the real OIDC provider, asking for one page (BENCH_PAGE) over and
over, as fast as answers come (closed loop). BENCH_TARGETS names the JSON file of sessions and
records each kind uses; `load.py` writes it."""

from __future__ import annotations

import itertools
import json
import os
import re
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, ClassVar

from locust import FastHttpUser, task
from locust.exception import StopUser

from benchmarks.scale.sign_in import SectionForm

PAGE = os.environ.get("BENCH_PAGE", "hello")
TARGETS: dict[str, Any] = (
    json.loads(Path(os.environ["BENCH_TARGETS"]).read_text())
    if os.environ.get("BENCH_TARGETS")
    else {}
)
NEW_VERSION = re.compile(r'id="section-version" value="(\d+)"')
# Where an autosave's form is opened, when not from the host measured (floor.py measures an app
# that answers saves but does not build forms).
FORM_HOST = os.environ.get("BENCH_FORM_HOST")


def user_class(kind: str, target: dict[str, Any]) -> type[FastHttpUser]:
    counter = itertools.count()
    # The records people of this kind are typing into: each types into a section of their own,
    # so that their saves do not overtake each other's.
    claimed: set[int] = set()

    class Person(FastHttpUser):
        kind_name: ClassVar[str] = kind
        connection_timeout = 30.0
        network_timeout = 300.0

        def on_start(self) -> None:
            self.headers = {"Cookie": target["cookie"]}
            # An autosave types into a section with a text box always asked.
            records = target.get("typing_records") if PAGE == "autosave" else None
            records = records or target["records"]
            first = next(counter)
            self.record = records[first % len(records)]
            self.version = "1"
            self.fields: list[tuple[str, str]] = []
            self.typed_into = ""
            self.saves = 0
            if PAGE == "autosave":
                # The first of this person's records from here on with a text box always asked
                # (a section of choices only, or of questions hidden for its answers, has
                # nothing to type into: a save there would change nothing).
                for offset in range(len(records)):
                    number = (first + offset) % len(records)
                    if number in claimed:
                        continue
                    # Claimed before the page is opened: other people run while it loads.
                    claimed.add(number)
                    self.record = records[number]
                    parser = self._open_form()
                    if parser.textareas:
                        self.fields, self.typed_into = parser.fields, parser.textareas[0]
                        self.version = dict(parser.fields).get("version", self.version)
                        return
                # Every section with a text box has its typist already: another would overtake
                # their saves (a conflict), and typing nowhere would save nothing.
                raise StopUser()

        def _open_form(self) -> SectionForm:
            """The section's form as the page gives it: fetched outside locust's figures, since
            opening the form is not what is measured."""
            opened = urllib.request.Request(
                (FORM_HOST or self.host) + self._section_path(), headers=self.headers
            )
            with urllib.request.urlopen(opened, timeout=300) as page:
                text = page.read().decode()
            parser = SectionForm()
            parser.feed(text)
            return parser

        def _section_path(self) -> str:
            return f"/peps/{self.record['pep_id']}/sections/{self.record['section']}"

        @task
        def one_page(self) -> None:
            name = f"{PAGE} [{kind}]"
            pep, child = self.record["pep_id"], self.record["child_id"]
            path = {
                "children list": "/children",
                "my tasks": "/tasks",
                "child page": f"/children/{child}",
                "pep task list": f"/peps/{pep}",
                "section page": self._section_path(),
                "draft export": f"/peps/{pep}/export/draft.docx",
            }.get(PAGE)
            if path is not None:
                self.client.get(path, headers=self.headers, name=name)
                return
            self.saves += 1
            data = []
            for key, value in self.fields:
                if key == "version":
                    value = self.version
                elif key == self.typed_into:
                    # Typing: the text changes a little each time, as a person's would.
                    value = f"{value} {self.saves}"
                data.append((key, value))
            data.append(("autosave", "1"))
            with self.client.post(
                self._section_path(),
                data=urllib.parse.urlencode(data),
                headers={
                    **self.headers,
                    "HX-Request": "true",
                    "Content-Type": "application/x-www-form-urlencoded",
                },
                name=name,
                catch_response=True,
            ) as response:
                match = NEW_VERSION.search(response.text or "")
                if response.status_code != 200:
                    return  # counted as a failure by its status
                if match is None:
                    response.failure("the autosave answer carries no new version")
                    return
                # Each save changes the answer, so the section's version moves on: a save
                # that changed nothing measured less than an autosave does.
                if int(match.group(1)) <= int(self.version):
                    response.failure("the autosave changed nothing")
                    return
                self.version = match.group(1)
                response.success()

    Person.__name__ = Person.__qualname__ = kind.replace(" ", "_")
    return Person


class Baseline(FastHttpUser):
    @task
    def hello(self) -> None:
        self.client.get("/", name="hello (bare Flask)")


if PAGE != "hello":
    del Baseline
    for _kind, _target in TARGETS.items():
        if PAGE == "autosave" and not _target.get("edits"):
            continue
        globals()[_kind] = user_class(_kind, _target)
