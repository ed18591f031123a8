"""End-to-end tests: Playwright drives Debian's Chromium against the portal served on
loopback, signing in through the real demo OIDC provider. Every page visited is checked
with axe-core."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from werkzeug.serving import make_server

from devtools.oidc_provider import OidcProvider
from portal import create_app
from portal.extensions import db
from tests.conftest import portal_config
from tests.e2e import page_checks
from tests.e2e.page_checks import assert_accessible

CHROMIUM = "/usr/bin/chromium"


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


@pytest.fixture(scope="session", autouse=True)
def html_checker() -> Iterator[None]:
    """The Nu Html Checker, started once for the run when browser tests run (this conftest's
    scope) and stopped at its end; every page `assert_accessible` sees is validated by it."""
    page_checks.HTML_CHECKER = page_checks.HtmlChecker(page_checks.VNU_JAR)
    try:
        yield
    finally:
        page_checks.HTML_CHECKER.stop()
        page_checks.HTML_CHECKER = None


@pytest.fixture
def watched_page(page: Page) -> Iterator[Page]:
    """A page that fails the test on any console error (a CSP violation shows up as one) or
    any stylesheet, script or image that fails to load. Pages themselves may be 404 on purpose."""
    errors: list[str] = []

    # Pages answer 400 (answers to correct) and 409 (a conflict) on purpose; htmx, which
    # fetches boosted pages, reports those as errors although it shows them as a page load would.
    intended = (400, 409)

    def on_console(message: Any) -> None:
        text = message.text
        if message.type != "error" or text.startswith("Failed to load resource"):
            return  # failed loads are judged by on_response, which knows the resource type
        if any(text.startswith(f"Response Status Error Code {code}") for code in intended):
            return
        errors.append(text)

    def on_response(response: Any) -> None:
        request = response.request
        if response.status < 400 or request.resource_type == "document":
            return
        if response.status in intended and request.headers.get("hx-request") == "true":
            return
        errors.append(f"{response.status} for {response.url}")

    page.on("console", on_console)
    page.on("response", on_response)
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    assert errors == [], f"console errors: {errors}"


def sign_in_through_provider(
    page: Page, base_url: str, email: str, *, check_accessibility: bool = True
) -> None:
    # axe runs as JavaScript: a context with JavaScript off is checked with it on elsewhere.
    check = assert_accessible if check_accessibility else (lambda _page: None)
    page.goto(base_url + "/")
    check(page)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    check(page)
    page.get_by_role("button", name=re.compile("Sign in with Demo")).click()
    expect(page.get_by_role("heading", name="Sign in to the OpenPEP demo")).to_be_visible()
    check(page)
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill("any password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".openpep-header__user")).to_contain_text("Signed in as")
