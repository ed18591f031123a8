"""End-to-end tests: Playwright drives Debian's Chromium against the portal served on
loopback, signing in through the real demo OIDC provider. Every page visited is checked
with axe-core."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page
from werkzeug.serving import make_server

from devtools.oidc_provider import OidcProvider
from portal import create_app
from portal.extensions import db
from tests.conftest import portal_config

CHROMIUM = "/usr/bin/chromium"
AXE_SOURCE = (Path(__file__).resolve().parents[2] / "node_modules/axe-core/axe.min.js").read_text()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/e2e/" in str(item.path):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    # Playwright cannot download its own browser here: use Debian's, quietly.
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


class LiveServer:
    """The portal served from a thread on 127.0.0.1, on a free port; stopped after the test."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)


@pytest.fixture
def live_server(migrated_database: str, oidc_provider: OidcProvider) -> Iterator[LiveServer]:
    app = create_app(portal_config(migrated_database, oidc_provider))
    with LiveServer(app) as server:
        yield server
    with app.app_context():
        db.engine.dispose()


def axe_violations(page: Page) -> list[dict[str, Any]]:
    # Evaluated through DevTools rather than a <script> tag: the portal's Content-Security-
    # Policy rightly forbids inline scripts, and the check must not weaken it.
    page.evaluate(AXE_SOURCE)
    return page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )


def assert_accessible(page: Page) -> None:
    violations = axe_violations(page)
    summary = [
        (v["id"], v["impact"], [node["target"] for node in v["nodes"]][:3]) for v in violations
    ]
    assert violations == [], f"axe found violations on {page.url}: {summary}"


@pytest.fixture
def watched_page(page: Page) -> Iterator[Page]:
    """A page that fails the test on any console error (a CSP violation shows up as one) or
    any stylesheet, script or image that fails to load. Pages themselves may be 404 on purpose."""
    errors: list[str] = []

    def on_console(message: Any) -> None:
        # Failed loads are judged by on_response, which knows what kind of resource it was.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(message.text)

    def on_response(response: Any) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            errors.append(f"{response.status} for {response.url}")

    page.on("console", on_console)
    page.on("response", on_response)
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    assert errors == [], f"console errors: {errors}"
