"""The headers every answer carries, whether or not its view set some of its own, and the
layout's skip link, written out as GOV.UK's macro writes it."""

import re
from pathlib import Path

import pytest
from flask import Flask, Response, g, render_template_string

from portal import _configure_templates, security

TEMPLATES = Path(__file__).resolve().parents[3] / "templates"


def answered(environment: str, response: Response, *, signed_in: bool, path: str = "/peps/1"):
    app = Flask(__name__)
    app.config["OPENPEP_ENV"] = environment
    security.init_app(app)
    (add_security_headers,) = app.after_request_funcs[None]
    with app.test_request_context(path):
        g.user = object() if signed_in else None
        return add_security_headers(response)


@pytest.mark.parametrize("environment", ["production", "development"])
def test_every_answer_carries_the_security_headers_once(environment):
    headers = answered(environment, Response("page"), signed_in=False).headers
    for name, value in security.SECURITY_HEADERS:
        assert headers.getlist(name) == [value]
    name, value = security.STRICT_TRANSPORT_SECURITY
    assert headers.getlist(name) == ([value] if environment == "production" else [])
    assert headers.getlist("Vary") == ["HX-Request"]
    assert "Cache-Control" not in headers  # nobody signed in: nothing about a child


def test_a_signed_in_page_is_not_stored():
    headers = answered("production", Response("page"), signed_in=True).headers
    assert headers.getlist("Cache-Control") == ["no-store, private"]


def test_static_files_may_be_cached_by_someone_signed_in():
    response = answered("production", Response("css"), signed_in=True, path="/static/app.css")
    assert "Cache-Control" not in response.headers


def test_headers_a_view_set_are_kept_and_added_to():
    response = Response("page")
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    response.headers["Vary"] = "Cookie"
    response.headers["Cache-Control"] = "max-age=0"
    headers = answered("production", response, signed_in=True).headers
    assert headers.getlist("Content-Security-Policy") == ["default-src 'none'"]
    assert headers.getlist("Vary") == ["Cookie, HX-Request"]
    cache = set(headers["Cache-Control"].split(", "))
    assert cache == {"max-age=0", "no-store", "private"}


def test_a_view_cannot_make_a_signed_in_page_public_by_itself():
    # Only the answers named in ABOUT_NO_ONE may be kept (tests/integration/
    # test_pages_and_headers.py checks the brand stylesheet's).
    response = Response("a child's page")
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    headers = answered("production", response, signed_in=True).headers
    assert set(headers["Cache-Control"].split(", ")) == {
        "public",
        "max-age=3600",
        "no-store",
        "private",
    }


def test_a_header_a_view_set_in_lower_case_is_not_added_again():
    response = Response("page")
    response.headers["content-security-policy"] = "default-src 'none'"
    headers = answered("production", response, signed_in=False).headers
    assert headers.getlist("Content-Security-Policy") == ["default-src 'none'"]


def test_a_view_already_varying_on_htmx_is_not_given_it_twice():
    response = Response("page")
    response.headers["Vary"] = "HX-Request"
    headers = answered("production", response, signed_in=False).headers
    assert headers.getlist("Vary") == ["HX-Request"]


def test_the_layouts_skip_link_is_the_govuk_macros_markup():
    app = Flask(__name__)
    app.config["AUTHORITY_NAME"] = "Testshire County Council"
    _configure_templates(app)  # the portal's own template settings, which shape the output
    with app.app_context():
        from_macro = render_template_string(
            '{% from "govuk_frontend_jinja/components/skip-link/macro.html" import '
            'govukSkipLink %}{{ govukSkipLink({"href": "#main-content", '
            '"text": "Skip to main content"}) }}'
        ).strip()
    layout = (TEMPLATES / "base.html").read_text()
    written_out = re.findall(r'<a [^>]*class="govuk-skip-link".*?</a>', layout, re.DOTALL)
    assert written_out == [from_macro]
