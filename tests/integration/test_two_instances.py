"""Two gunicorn instances against one PostgreSQL database carry a whole PEP life.

Nothing a person's next request needs may live in one worker's memory: every request below
goes to the other instance from the one before (each with two workers, in production mode, with
its own instance folder), and each person is a cookie jar, as a browser is. Sign-in starts on
one instance and finishes on the other; autosaves, a second tab's conflict, invite links, the
approval, quality assurance, sign-off, the record's download and sign-out all cross between
them, as do the count of failed invite-link attempts and an import checked in the background.
This is about PostgreSQL deployments, so it runs on PostgreSQL only.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from sqlalchemy import select

from devtools.oidc_provider import OidcProvider, free_loopback_port
from forms.answers import formdata_from_answers
from forms.samples import sample_answers
from forms.schema import RepeatingGroupDefinition, VoiceBand
from portal.extensions import db
from portal.form_registry import definition_for
from portal.models import Child, Pep, School, User, UserSession
from portal.operations.rate_limit import MAX_FAILURES, WINDOW_SECONDS
from tests.conftest import DEMO_EMAILS
from tests.integration.pep_helpers import form_fields, replace_field
from workflows.quality import load_qa_criteria

PROJECT_ROOT = Path(__file__).resolve().parents[2]
GUNICORN = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or shutil.which(
    "gunicorn"
)
PROVIDER_NAME = "council"  # production refuses the demo provider: a generic one, as configured
SOPHIE = "DCC-1105"  # Oakfield; the demo social worker's caseload; last PEP signed off

pytestmark = [
    pytest.mark.skipif(
        GUNICORN is None, reason="gunicorn is not installed (make install puts it in .venv)"
    ),
    # About PostgreSQL deployments: several instances share one database, never an SQLite file.
    pytest.mark.parametrize("database_backend", ["postgresql"], indirect=True),
]


# --------------------------------------------------------------------------------------------
# The two instances
# --------------------------------------------------------------------------------------------


@dataclass
class Instance:
    name: str
    base_url: str
    process: subprocess.Popen[bytes]
    log: Path


def production_environment(
    database_url: str, provider: OidcProvider, secret_key: str, instance_path: Path
) -> dict[str, str]:
    """What each instance is given: the same secret and settings, only its folder differs."""
    kept = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("OPENPEP_") and key not in ("SECRET_KEY", "DATABASE_URL")
    }
    prefix = f"OPENPEP_OIDC_{PROVIDER_NAME.upper()}_"
    return {
        **kept,
        "OPENPEP_ENV": "production",
        "SECRET_KEY": secret_key,
        "DATABASE_URL": database_url,
        "OPENPEP_ALLOWED_HOSTS": "127.0.0.1",
        "OPENPEP_AUTHORITY_NAME": "Testshire County Council",
        "OPENPEP_INSTANCE_PATH": str(instance_path),
        "OPENPEP_OIDC_PROVIDERS": PROVIDER_NAME,
        prefix + "LABEL": "Testshire staff account",
        prefix + "ISSUER": provider.issuer,
        prefix + "CLIENT_ID": provider.client_id,
        prefix + "CLIENT_SECRET": provider.client_secret,
    }


def start_instance(name: str, environment: dict[str, str], log: Path) -> Instance:
    port = free_loopback_port()
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                str(GUNICORN),
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{port}",
                "--graceful-timeout",
                "5",
                # gunicorn (27 here) opens a control socket at one path per user
                # (~/.gunicorn/gunicorn.ctl): two instances on one host would fight over it.
                "--no-control-socket",
                "portal:create_app()",
            ],
            cwd=PROJECT_ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped with its workers
        )
    return Instance(name, f"http://127.0.0.1:{port}", process, log)


def wait_until_serving(instance: Instance, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if instance.process.poll() is not None:
            pytest.fail(f"instance {instance.name} stopped:\n{instance.log.read_text()}")
        try:
            if requests.get(instance.base_url + "/healthz", timeout=10).status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or its workers still starting
            pass
        time.sleep(0.2)
    pytest.fail(f"instance {instance.name} did not answer:\n{instance.log.read_text()}")


def stop_instance(instance: Instance) -> None:
    """Stop gunicorn and its workers, whatever state they are in."""
    if instance.process.poll() is None:
        instance.process.send_signal(signal.SIGTERM)
        try:
            instance.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(instance.process.pid, signal.SIGKILL)
            instance.process.wait(timeout=5)
    with contextlib.suppress(ProcessLookupError):  # a worker its master left behind
        os.killpg(instance.process.pid, signal.SIGKILL)


@pytest.fixture
def instances(
    migrated_database: str, seeded, oidc_provider: OidcProvider, tmp_path: Path
) -> Iterator[list[Instance]]:
    secret_key = secrets.token_urlsafe(48)
    started: list[Instance] = []
    try:
        for name in ("a", "b"):
            environment = production_environment(
                migrated_database, oidc_provider, secret_key, tmp_path / f"instance-{name}"
            )
            started.append(start_instance(name, environment, tmp_path / f"gunicorn-{name}.log"))
        for instance in started:
            wait_until_serving(instance)
        yield started
    finally:
        for instance in started:
            stop_instance(instance)


# --------------------------------------------------------------------------------------------
# People: a cookie jar each, every request to the other instance
# --------------------------------------------------------------------------------------------


@dataclass
class Person:
    """One browser. Each request goes to the instance the previous request did not."""

    instances: list[Instance]
    jar: requests.Session = field(default_factory=requests.Session)
    turn: int = 0
    served_by: list[str] = field(default_factory=list)

    def _next(self) -> Instance:
        instance = self.instances[self.turn % len(self.instances)]
        self.turn += 1
        self.served_by.append(instance.name)
        return instance

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        instance = self._next()
        kwargs.setdefault("allow_redirects", False)
        kwargs.setdefault("timeout", 30)
        response = self.jar.request(method, instance.base_url + path, **kwargs)
        assert response.status_code < 500, (instance.name, path, response.text)
        # Production marks its cookies Secure, for the HTTPS a reverse proxy ends; this loopback
        # test has no proxy, so the jar sends them over plain HTTP as the proxy would.
        assert all(cookie.secure for cookie in response.cookies), response.headers
        for cookie in self.jar.cookies:
            cookie.secure = False
        return response

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, data, **kwargs) -> requests.Response:
        return self.request("POST", path, data=data, **kwargs)

    def page(self, path: str) -> str:
        response = self.get(path)
        assert response.status_code == 200, (path, response.status_code)
        return response.text

    def csrf_token(self, path: str) -> str:
        match = re.search(r'name="csrf_token" value="([^"]+)"', self.page(path))
        assert match, f"no CSRF token on {path}"
        return match.group(1)


def path_of(location: str) -> str:
    parts = urlsplit(location)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def sign_in(person: Person, provider: OidcProvider, email: str) -> None:
    """Start at one instance, sign in at the provider, come back to the other instance."""
    start = person.get(f"/login/{PROVIDER_NAME}")
    assert start.status_code == 302, start.text
    at_provider = requests.Session()
    issuer = urlsplit(provider.issuer)
    provider_origin = f"{issuer.scheme}://{issuer.netloc}"
    url = start.headers["Location"]
    for _ in range(12):
        if not url.startswith(provider_origin):
            break
        response = at_provider.get(url, allow_redirects=False, timeout=10)
        if response.status_code in (302, 303):
            url = urljoin(url, response.headers["Location"])
            continue
        assert response.status_code == 200, response.text
        action = re.search(r'<form[^>]+action="([^"]+)"', response.text)
        assert action, "the provider's login form was not found"
        response = at_provider.post(
            urljoin(url, action.group(1)),
            data={"login": email, "password": "any password"},
            allow_redirects=False,
            timeout=10,
        )
        assert response.status_code in (302, 303), response.text
        url = urljoin(url, response.headers["Location"])
    assert urlsplit(url).path == f"/auth/{PROVIDER_NAME}/callback", url
    signed_in = person.get(path_of(url))
    assert signed_in.status_code == 302, signed_in.text
    assert "/login" not in signed_in.headers["Location"]


def child_id(app, reference: str):
    with app.app_context():
        return db.session.scalar(select(Child.id).where(Child.authority_reference == reference))


def sections_of(app, pep_id):
    with app.app_context():
        return definition_for(db.session.get(Pep, pep_id))


def with_answers(page_data, section, answers):
    """The form as the page carried it, answered as a person would type `answers`."""
    posted = formdata_from_answers(section, answers, split_dates=True)
    data = list(page_data)
    for definition in section.answer_fields:
        key = definition.key
        if isinstance(definition, RepeatingGroupDefinition) and definition.fixed_rows:
            # Rows the portal gave (earlier targets): answer each row's open cells.
            first_row: dict[str, list[str]] = {}
            for name, value in posted.items():
                if name.startswith(f"{key}-0-") and not name.endswith("-row_id"):
                    first_row.setdefault(name.split("-", 2)[2], []).append(value)
            rows = [
                name.split("-")[1]
                for name, _ in data
                if name.startswith(f"{key}-") and name.endswith("-row_id")
            ]
            for row in rows:
                for column, values in first_row.items():
                    name = f"{key}-{row}-{column}"
                    if not any(n == name and v for n, v in data):
                        data = replace_field(data, name, *values)
            continue
        if isinstance(definition, RepeatingGroupDefinition):
            data = [(name, value) for name, value in data if not name.startswith(f"{key}-")]
            data += [(name, value) for name, value in posted.items() if name.startswith(f"{key}-")]
            continue
        values = posted.getlist(key)
        if values:
            data = replace_field(data, key, *values)
    return data


def section_path(pep_id, key: str) -> str:
    return f"/peps/{pep_id}/sections/{key}"


def save_section(person: Person, pep_id, section, *, autosave: bool) -> requests.Response:
    page = person.page(section_path(pep_id, section.key))
    data = with_answers(form_fields(page), section, sample_answers(section, today=date.today()))
    if autosave:
        response = person.post(
            section_path(pep_id, section.key),
            [*data, ("autosave", "1")],
            headers={"HX-Request": "true"},
        )
        assert response.status_code == 200, (section.key, response.text)
        assert re.search(r"Saved at \d\d:\d\d", response.text), response.text
    else:
        response = person.post(section_path(pep_id, section.key), [*data, ("action", "save")])
        assert response.status_code == 303, (section.key, response.text)
    return response


def post_event(person: Person, pep_id, event: str) -> requests.Response:
    token = person.csrf_token(f"/peps/{pep_id}")
    return person.post(f"/peps/{pep_id}/events/{event}", {"csrf_token": token})


def invite_link(teacher: Person, pep_id, section_key: str) -> str:
    token = teacher.csrf_token(f"/peps/{pep_id}/contributions")
    response = teacher.post(
        f"/peps/{pep_id}/contributions", {"csrf_token": token, "section_key": section_key}
    )
    assert response.status_code == 200, response.text
    link = re.search(r'id="invite-link"[^>]*value="([^"]+)"', response.text).group(1)
    return urlsplit(link).path


def contribute(holder: Person, link_path: str, section, answers) -> None:
    """Open the link on one instance, answer and send on the others."""
    opened = holder.get(link_path)
    assert opened.status_code == 303, opened.text
    location = path_of(opened.headers["Location"])
    data = with_answers(form_fields(holder.page(location)), section, answers)
    saved = holder.post(location, data)
    assert saved.status_code == 303, saved.text
    data = form_fields(holder.page(path_of(saved.headers["Location"])))
    sent = holder.post(location + "/send", data)
    assert sent.status_code == 303, sent.text


def test_a_whole_pep_life_alternating_between_two_instances(instances, seeded, oidc_provider):
    teacher = Person(instances)
    sign_in(teacher, oidc_provider, DEMO_EMAILS["dt_oakfield"])

    # The teacher starts this term's PEP for Sophie.
    sophie = child_id(seeded, SOPHIE)
    new_pep = teacher.page(f"/children/{sophie}/peps/new")
    token = re.search(r'name="csrf_token" value="([^"]+)"', new_pep).group(1)
    term = re.search(r'name="term" type="radio" value="([^"]+)" checked', new_pep).group(1)
    started = teacher.post(f"/children/{sophie}/peps", {"csrf_token": token, "term": term})
    assert started.status_code == 303, started.text
    pep_id = path_of(started.headers["Location"]).rsplit("/", 1)[-1]
    definition = sections_of(seeded, pep_id)
    sections = {section.key: section for section in definition.sections}

    # A second tab opens a section before the first tab's autosave lands.
    aspirations = sections["transitions_aspirations"]
    stale_tab = form_fields(teacher.page(section_path(pep_id, aspirations.key)))

    # The teacher's sections, each autosaved as they type.
    for section in definition.sections:
        if section.owner.value == "designated_teacher":
            save_section(teacher, pep_id, section, autosave=True)

    stale = replace_field(stale_tab, "aspirations", "Wants to be a footballer")
    conflict = teacher.post(section_path(pep_id, aspirations.key), [*stale, ("action", "save")])
    assert conflict.status_code == 409, conflict.text
    assert "Someone else saved" in conflict.text and "Priya Shah saved it" in conflict.text
    assert "Wants to be a footballer" in conflict.text  # nothing typed is lost

    # The child's views and the carer's, through links, each opened on one instance and
    # answered and sent on the other.
    my_views = sections["my_views"].voice_section(VoiceBand.PRIMARY)
    child = Person(instances)
    contribute(
        child,
        invite_link(teacher, pep_id, "my_views"),
        my_views,
        sample_answers(my_views, today=date.today()),
    )
    carers_views = sections["carers_views"]
    carer = Person(instances)
    contribute(
        carer,
        invite_link(teacher, pep_id, "carers_views"),
        carers_views,
        sample_answers(carers_views, today=date.today()),
    )

    # The social worker's sections, saved by pressing the button.
    social_worker = Person(instances)
    sign_in(social_worker, oidc_provider, DEMO_EMAILS["social_worker"])
    for section in definition.sections:
        if section.owner.value == "social_worker":
            save_section(social_worker, pep_id, section, autosave=False)

    submitted = post_event(teacher, pep_id, "submitted")
    assert submitted.status_code == 303, submitted.text
    approved = post_event(social_worker, pep_id, "approved")
    assert approved.status_code == 303, approved.text

    reviewer = Person(instances)
    sign_in(reviewer, oidc_provider, DEMO_EMAILS["reviewer"])
    qa_path = f"/peps/{pep_id}/quality-assurance"
    assert "Child&#39;s views captured" in reviewer.page(qa_path)
    judgements = {f"judgement-{c.key}": "met" for c in load_qa_criteria().criteria}
    signed_off = reviewer.post(
        qa_path,
        {
            "csrf_token": reviewer.csrf_token(qa_path),
            "rating": "green",
            "decision": "signed_off",
            "feedback": "A strong plan.",
            **judgements,
        },
    )
    assert signed_off.status_code == 303, signed_off.text
    with seeded.app_context():
        assert db.session.get(Pep, uuid.UUID(pep_id)).state == "signed_off"

    # The record downloads as the same bytes from each instance.
    record_path = f"/peps/{pep_id}/export/record.docx"
    downloads = [social_worker.get(record_path), social_worker.get(record_path)]
    assert [d.status_code for d in downloads] == [200, 200]
    assert downloads[0].content == downloads[1].content
    assert downloads[0].content[:2] == b"PK"  # a Word document (a zip)
    assert (
        downloads[0].headers["X-Content-SHA256"] == hashlib.sha256(downloads[0].content).hexdigest()
    )

    # Signing out on one instance ends the session on the other.
    token = teacher.csrf_token("/tasks")
    assert teacher.post("/logout", {"csrf_token": token}).status_code in (200, 302, 303)
    after = teacher.get("/tasks")
    assert after.status_code == 302 and "/login" in after.headers["Location"]
    with seeded.app_context():
        teacher_sessions = db.session.scalars(
            select(UserSession)
            .join(UserSession.user)
            .where(User.email == DEMO_EMAILS["dt_oakfield"])
        ).all()
        assert teacher_sessions and all(s.ended_at_utc is not None for s in teacher_sessions)

    # Someone trying made-up links is counted by both instances together: after ten failures
    # (the limit per address), the next attempt is refused whichever instance answers it.
    seconds_into_window = time.time() % WINDOW_SECONDS
    if WINDOW_SECONDS - seconds_into_window < 60:  # stay inside one counting window
        time.sleep(WINDOW_SECONDS - seconds_into_window + 1)
    stranger = Person(instances)
    for _ in range(MAX_FAILURES):
        assert stranger.get(f"/i/{secrets.token_urlsafe(32)}").status_code == 404
    assert stranger.get(f"/i/{secrets.token_urlsafe(32)}").status_code == 429

    # Every person's requests alternated between the two instances.
    for person in (teacher, child, carer, social_worker, reviewer, stranger):
        assert set(person.served_by) == {"a", "b"}
        assert all(x != y for x, y in zip(person.served_by, person.served_by[1:], strict=False))


SCHOOLS_FILE = (
    "URN,LA (code),LA (name),EstablishmentNumber,EstablishmentName,TypeOfEstablishment (name),"
    "EstablishmentStatus (name),PhaseOfEducation (name),Postcode\n"
    "700001,999,Testshire,2001,Oak Primary School,Community school,Open,Primary,TS1 1AA\n"
    "700002,999,Testshire,4001,Ash Academy,Academy converter,Open,Secondary,TS1 2BB\n"
)


def wait_for_import(admin: Person, run_path: str) -> None:
    """Poll the progress as the page does, from either instance, until the step finishes."""
    deadline = time.monotonic() + 60
    while True:
        poll = admin.get(run_path, headers={"HX-Request": "true", "HX-Target": "import-status"})
        assert poll.status_code == 200, poll.text
        if "HX-Refresh" in poll.headers:
            return
        assert time.monotonic() < deadline, "the import step did not finish"
        time.sleep(0.2)


def test_an_import_checked_on_one_instance_is_previewed_and_committed_on_the_other(
    instances, seeded, oidc_provider
):
    admin = Person(instances)
    sign_in(admin, oidc_provider, DEMO_EMAILS["admin"])
    uploaded = admin.post(
        "/admin/imports",
        {"csrf_token": admin.csrf_token("/admin/imports"), "kind": "schools"},
        files={"file": ("schools.csv", SCHOOLS_FILE.encode("cp1252"), "text/csv")},
    )
    assert uploaded.status_code == 303, uploaded.text
    run_path = path_of(uploaded.headers["Location"])
    # The file is checked in a background thread of the worker that took the upload; its
    # progress and preview come from the database, so the other instance shows them.
    wait_for_import(admin, run_path)
    preview = admin.page(run_path)
    assert "Oak Primary School" in preview and "Ash Academy" in preview
    token = admin.csrf_token(run_path)
    committed = admin.post(run_path + "/commit", {"csrf_token": token})
    assert committed.status_code == 303, committed.text
    wait_for_import(admin, run_path)
    assert "What the file changed" in admin.page(run_path)
    with seeded.app_context():
        urns = set(
            db.session.scalars(select(School.urn).where(School.urn.in_(["700001", "700002"])))
        )
    assert urns == {"700001", "700002"}
    assert set(admin.served_by) == {"a", "b"}
