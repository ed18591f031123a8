"""Fixtures shared by integration and end-to-end tests.

Nothing here starts until a test asks for it, so unit tests stay pure and fast. Every test that
uses the app runs twice: on SQLite (the embedded database `make run` uses) and on a real
PostgreSQL cluster the run starts itself (or OPENPEP_TEST_DATABASE_URL). Sign-in goes through
the real demo OIDC provider on loopback: no login is ever patched.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from devtools.oidc_provider import OidcProvider, running_oidc_provider
from devtools.postgres import running_postgres
from portal import create_app
from portal.config import OidcProviderSettings
from portal.extensions import db
from portal.migrate import upgrade_to_latest
from tests.integration.smtp import closed_port, mail  # noqa: F401 (a real SMTP server)

DEMO_EMAILS = {
    "dt_oakfield": "dt.oakfield@demo.openpep.test",
    "dt_riverside": "dt.riverside@demo.openpep.test",
    "social_worker": "sw@demo.openpep.test",
    "carer": "carer@demo.openpep.test",
    "reviewer": "reviewer@demo.openpep.test",
    "admin": "admin@demo.openpep.test",
    "team_manager": "sw.manager@demo.openpep.test",
    "vs_head": "vs.head@demo.openpep.test",
}


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    configured = os.environ.get("OPENPEP_TEST_DATABASE_URL")
    if configured:
        yield configured
        return
    with running_postgres() as cluster:
        yield cluster.url


def database_url_for(server_url: str, name: str) -> str:
    return server_url.rsplit("/", 1)[0] + "/" + name


def run_on_server(server_url: str, *statements: str) -> None:
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        for statement in statements:
            connection.execute(text(statement))
    engine.dispose()


EMPTY_TEMPLATE = "openpep_template_empty"
SEEDED_TEMPLATE = "openpep_template_seeded"
TEST_DATABASE = "openpep_test"

# The integration and end-to-end suites run on both databases the portal supports: SQLite is
# what `make run` serves a newcomer, PostgreSQL what production runs. One parameter, one set
# of tests: a fixture that asks for `app`, `client_for`, `live_server`, ... runs on each.
DATABASE_BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session", params=DATABASE_BACKENDS)
def database_backend(request: pytest.FixtureRequest) -> str:
    return request.param


def _seed_demo_data_into(database_url: str, provider: OidcProvider) -> None:
    from portal.operations.demo_seed import seed_demo_data

    application = create_app(portal_config(database_url, provider))
    with application.app_context():
        seed_demo_data(db.session, settings=application.config)
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def database_templates(
    request: pytest.FixtureRequest,
    database_backend: str,
    oidc_provider: OidcProvider,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, str]:
    """Two template databases made once per run and backend: migrated, and migrated plus the
    demo seed. Each test gets a fresh copy (a file copy on SQLite, CREATE DATABASE ... TEMPLATE
    on PostgreSQL), far cheaper than reseeding."""
    if database_backend == "sqlite":
        directory = tmp_path_factory.mktemp("sqlite-templates")
        empty, seeded = directory / "empty.sqlite3", directory / "seeded.sqlite3"
        engine = create_engine(f"sqlite:///{empty}")
        upgrade_to_latest(engine)
        engine.dispose()
        shutil.copyfile(empty, seeded)
        _seed_demo_data_into(f"sqlite:///{seeded}", oidc_provider)
        return {"empty": str(empty), "seeded": str(seeded)}

    postgres_url: str = request.getfixturevalue("postgres_url")
    for name in (SEEDED_TEMPLATE, EMPTY_TEMPLATE, TEST_DATABASE):
        run_on_server(postgres_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    run_on_server(postgres_url, f"CREATE DATABASE {EMPTY_TEMPLATE}")
    engine = create_engine(database_url_for(postgres_url, EMPTY_TEMPLATE))
    upgrade_to_latest(engine)
    engine.dispose()
    run_on_server(postgres_url, f"CREATE DATABASE {SEEDED_TEMPLATE} TEMPLATE {EMPTY_TEMPLATE}")
    _seed_demo_data_into(database_url_for(postgres_url, SEEDED_TEMPLATE), oidc_provider)
    return {"empty": EMPTY_TEMPLATE, "seeded": SEEDED_TEMPLATE}


@pytest.fixture
def migrated_database(
    request: pytest.FixtureRequest,
    database_backend: str,
    database_templates: dict[str, str],
    tmp_path: Path,
) -> str:
    """A fresh database for this test: with the demo data when the test asks for it."""
    wants_demo_data = bool({"seeded", "client_for", "live_server"} & set(request.fixturenames))
    template = database_templates["seeded" if wants_demo_data else "empty"]
    if database_backend == "sqlite":
        copy = tmp_path / "openpep.sqlite3"
        shutil.copyfile(template, copy)
        return f"sqlite:///{copy}"
    postgres_url: str = request.getfixturevalue("postgres_url")
    run_on_server(
        postgres_url,
        f"DROP DATABASE IF EXISTS {TEST_DATABASE} WITH (FORCE)",
        f"CREATE DATABASE {TEST_DATABASE} TEMPLATE {template}",
    )
    return database_url_for(postgres_url, TEST_DATABASE)


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[OidcProvider]:
    with running_oidc_provider() as provider:
        yield provider


def portal_config(database_url: str, provider: OidcProvider, **overrides: Any) -> dict[str, Any]:
    return {
        "TESTING": True,
        "OPENPEP_ENV": "test",
        "SECRET_KEY": "test-secret-key-" + "x" * 32,
        "DATABASE_URL": database_url,
        "AUTHORITY_NAME": "Testshire County Council",
        "OIDC_PROVIDERS": (
            OidcProviderSettings(
                name="demo",
                label="Demo sign-in",
                issuer=provider.issuer,
                client_id=provider.client_id,
                client_secret=provider.client_secret,
            ),
        ),
        **overrides,
    }


@pytest.fixture
def app(migrated_database: str, oidc_provider: OidcProvider) -> Iterator[Flask]:
    application = create_app(portal_config(migrated_database, oidc_provider))
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def seeded(app: Flask) -> Flask:
    """The app over a copy of the demo data, made by the same code path as `make run`."""
    return app


def complete_oidc_sign_in(
    client: FlaskClient,
    provider: OidcProvider,
    email: str,
    password: str = "any password",
    *,
    name: str = "demo",
    browser: requests.Session | None = None,
) -> Any:
    """Sign in as a person would: start at the portal, type into the provider's login form
    (unless `browser` is still signed in there), and follow the redirect back to the portal's
    callback for provider `name`, which exchanges the code with the provider."""
    start = client.get(f"/login/{name}")
    assert start.status_code == 302, start.status_code
    browser = browser or requests.Session()
    issuer = urlsplit(provider.issuer)
    provider_origin = f"{issuer.scheme}://{issuer.netloc}"  # an issuer may have a path
    url = start.headers["Location"]
    for _ in range(12):
        if not url.startswith(provider_origin):
            break
        response = browser.get(url, allow_redirects=False, timeout=10)
        if response.status_code in (302, 303):
            url = urljoin(url, response.headers["Location"])
            continue
        assert response.status_code == 200, response.text
        action = re.search(r'<form[^>]+action="([^"]+)"', response.text)
        assert action, "the provider's login form was not found"
        response = browser.post(
            urljoin(url, action.group(1)),
            data={"login": email, "password": password},
            allow_redirects=False,
            timeout=10,
        )
        assert response.status_code in (302, 303), response.text
        url = urljoin(url, response.headers["Location"])
    callback = urlsplit(url)
    assert callback.path == f"/auth/{name}/callback", url
    return client.get(f"{callback.path}?{callback.query}")


@pytest.fixture
def sign_in(oidc_provider: OidcProvider) -> Callable[..., Any]:
    def sign_in_as(client: FlaskClient, email: str) -> Any:
        return complete_oidc_sign_in(client, oidc_provider, email)

    return sign_in_as


@pytest.fixture
def client_for(
    app: Flask, seeded: Flask, sign_in: Callable[..., Any]
) -> Callable[[str], FlaskClient]:
    """A signed-in test client for one of the demo users, by key in DEMO_EMAILS."""

    def make(who: str) -> FlaskClient:
        client = app.test_client()
        response = sign_in(client, DEMO_EMAILS[who])
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return make


def csrf_token_from(client: FlaskClient, path: str = "/") -> str:
    """The CSRF token a signed-in page carries, as a browser would read it from the form."""
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)
