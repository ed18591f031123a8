"""Public pages, health, error pages and the security headers every response carries."""

import pytest
from flask import abort

from portal import create_app
from portal.auth import access
from tests.conftest import portal_config

PUBLIC_PAGES = ["/", "/login", "/accessibility", "/privacy", "/signed-out"]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_carry_branding_and_security_headers(path, client):
    response = client.get(path)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Testshire County Council" in page
    assert 'href="#main-content"' in page  # skip link
    assert "OFFICIAL-SENSITIVE" in page
    assert "govuk-crest" not in page and "Crown copyright" not in page
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "<script>" not in page  # no inline script anywhere


def test_signed_in_pages_are_not_cached(client_for):
    response = client_for("admin").get("/children")
    assert "no-store" in response.headers["Cache-Control"]
    assert "HX-Request" in response.headers["Vary"]


def test_the_brand_stylesheet_is_cached_for_someone_signed_in(client_for):
    # Every page links it: were it "no-store", each page would fetch it again (and with it the
    # signed-in session's row).
    response = client_for("admin").get("/brand.css")
    assert response.status_code == 200
    cache = set(response.headers["Cache-Control"].split(", "))
    assert cache == {"public", "max-age=3600"}


def test_header_shows_the_signed_in_user_and_sign_out(client_for):
    page = client_for("dt_oakfield").get("/").get_data(as_text=True)
    assert "Signed in as Priya Shah" in page
    assert "Sign out" in page


def test_health_reports_the_database_reachable(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "reachable"}


def test_health_reports_an_unreachable_database(oidc_provider):
    from devtools.oidc_provider import free_loopback_port

    url = f"postgresql+psycopg://nobody@127.0.0.1:{free_loopback_port()}/none?connect_timeout=2"
    app = create_app(portal_config(url, oidc_provider))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "database": "unreachable"}


def test_brand_colour_comes_from_settings(migrated_database, oidc_provider):
    app = create_app(portal_config(migrated_database, oidc_provider, BRAND_COLOUR="#6a1b9a"))
    css = app.test_client().get("/brand.css").get_data(as_text=True)
    assert "--govuk-brand-colour: #6a1b9a" in css


def test_not_found_page_is_a_sentence(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Page not found" in page
    assert "If you typed the web address, check it is correct" in page


@pytest.mark.parametrize(
    ("code", "title"),
    [
        (400, "Sorry, there is a problem with that request"),
        (403, "You do not have permission to see this page"),
        (404, "Page not found"),
        (500, "Sorry, there is a problem with the service"),
    ],
)
def test_error_pages_are_sentences_never_stack_traces(
    code, title, migrated_database, oidc_provider
):
    app = create_app(portal_config(migrated_database, oidc_provider, TESTING=False))

    @app.get("/explode")
    @access.public
    def explode():
        if code == 500:
            raise RuntimeError("secret internal detail")
        abort(code)

    response = app.test_client().get("/explode")
    assert response.status_code == code
    page = response.get_data(as_text=True)
    assert title in page
    assert "Traceback" not in page and "secret internal detail" not in page
    assert "RuntimeError" not in page


def test_a_view_without_an_access_rule_stops_the_app_starting(migrated_database, oidc_provider):
    from portal.auth.access import check_every_view_has_an_access_rule

    app = create_app(portal_config(migrated_database, oidc_provider))
    app.add_url_rule("/forgotten", "forgotten", lambda: "oops")
    with pytest.raises(RuntimeError, match="forgotten"):
        check_every_view_has_an_access_rule(app)


def test_the_layout_links_follow_the_mount_point_of_each_request(client):
    """The layout's fixed links are remembered per mount point: a portal served under a path
    (a proxy's SCRIPT_NAME) links under it, and one served at the root does not, in turn."""
    links = ('href="{}/static/vendor/openpep.css"', 'src="{}/static/vendor/htmx.min.js"')
    links += ('href="{}/accessibility"', 'href="{}/privacy"')
    for mount in ("", "/pep", "", "/pep"):
        page = client.get("/", base_url=f"http://localhost{mount}").get_data(as_text=True)
        for link in links:
            assert link.format(mount) in page, (mount, link)
        if mount:
            assert 'href="/static/' not in page
