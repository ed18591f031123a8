"""What the benchmarks do before they measure anything, as a person's browser would: sign in on
the OIDC provider's login form, and read a section form's fields to post them back. Shared by
load.py (signing in each kind of user for locust), locustfile.py (opening the form it autosaves)
and profile_pages.py (both, in-process)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import requests

from devtools.oidc_provider import OidcProvider

# Redirects and forms followed at the provider before giving up: sign-in takes two or three.
PROVIDER_STEPS = 12


def sign_in_at_provider(authorization_url: str, provider: OidcProvider, email: str) -> str:
    """From the portal's redirect to the provider (`authorization_url`), sign in on the
    provider's login form as `email`; return the path and query of the portal's callback,
    which the caller asks of the portal with the session cookie the sign-in started."""
    browser = requests.Session()
    url = authorization_url
    for _ in range(PROVIDER_STEPS):
        if not url.startswith(provider.issuer):
            break
        response = browser.get(url, allow_redirects=False, timeout=10)
        if response.status_code in (302, 303):
            url = urljoin(url, response.headers["Location"])
            continue
        action = re.search(r'<form[^>]+action="([^"]+)"', response.text)
        assert action, f"no login form at the provider: {response.text[:300]}"
        response = browser.post(
            urljoin(url, action.group(1)),
            data={"login": email, "password": "benchmark"},
            allow_redirects=False,
            timeout=10,
        )
        url = urljoin(url, response.headers["Location"])
    callback = urlsplit(url)
    return f"{callback.path}?{callback.query}"


def check_signed_in(status_code: int, email: str) -> None:
    """The portal's callback redirects onwards once the person is signed in."""
    if status_code != 302:
        raise RuntimeError(f"sign-in as {email} failed: {status_code}")


class SectionForm(HTMLParser):
    """The section form's fields as a browser would post them. `textareas` are the text boxes
    always asked: one inside a conditional question may be hidden for the saved answers, and a
    save drops answers to hidden questions, so typing there would change nothing."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self.textareas: list[str] = []
        self.in_form = False
        self.textarea: str | None = None
        self.select: str | None = None
        # For each open <div>, whether it wraps a conditional question.
        self.divs: list[bool] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {key: value or "" for key, value in attrs}
        if tag == "form" and found.get("id") == "section-form":
            self.in_form = True
        if not self.in_form:
            return
        if tag == "div":
            self.divs.append("data-openpep-shown-if" in found)
        name = found.get("name")
        if tag == "input" and name:
            kind = found.get("type", "text")
            if kind in ("radio", "checkbox") and "checked" not in found:
                return
            if kind not in ("submit", "button"):
                self.fields.append((name, found.get("value", "")))
        elif tag == "textarea" and name:
            self.textarea = name
            if not any(self.divs):
                self.textareas.append(name)
            self.fields.append((name, ""))
        elif tag == "select" and name:
            self.select = name
        elif tag == "option" and self.select and "selected" in found:
            self.fields.append((self.select, found.get("value", "")))

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            name, text = self.fields[-1]
            self.fields[-1] = (name, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.in_form = False
        elif tag == "div" and self.divs:
            self.divs.pop()
        elif tag == "textarea":
            self.textarea = None
        elif tag == "select":
            self.select = None
