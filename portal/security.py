"""Security headers on every response; the network edge: proxies, host names, loopback only."""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, Response, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from portal.config import DEVELOPMENT_SECRET_KEY, ConfigurationError

# An invite link's token in a path or a whole URL, as request logs write it.
INVITE_TOKEN_IN_PATH = re.compile(r"/i/[^\s\"'?#/]+")
MASKED_INVITE_PATH = "/i/[token]"
# Loggers that write request lines: the development server's, gunicorn's, and the portal's own.
REQUEST_LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error", "portal")
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
# Headers a reverse proxy adds: a request carrying one did not come straight from this computer.
PROXY_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")
LOOPBACK_ONLY_MESSAGE = (
    b"OpenPEP is running in development mode, which answers only this computer: its secret "
    b"key and demo sign-in are published. Set OPENPEP_ENV=production to serve other people.\n"
)

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "object-src 'none'",
    ]
)


# Added to every answer unless the view set its own; HSTS only in production.
SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)
STRICT_TRANSPORT_SECURITY = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
# Pages about children must not linger in shared browsers' caches.
NOT_STORED = "no-store, private"
# Answers about no one that browsers may keep, named one by one so that no view can opt out of
# "no-store" by itself: the brand stylesheet, which every page links (with "no-store" the
# browser would fetch it again for every page). Static files are left alone by their path.
ABOUT_NO_ONE = frozenset({"pages.brand_stylesheet"})


def init_app(app: Flask) -> None:
    production = app.config["OPENPEP_ENV"] == "production"
    always = (*SECURITY_HEADERS, STRICT_TRANSPORT_SECURITY) if production else SECURITY_HEADERS

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        # Every answer passes here, so the common case writes plain strings: the names already
        # set are read once, rather than scanned for by each setdefault, and Vary and
        # Cache-Control are parsed into Werkzeug's objects only when a view set them already.
        headers = response.headers
        present = {name.lower() for name, _value in headers.items()}
        for name, value in always:
            if name.lower() not in present:
                headers.add(name, value)
        if "vary" in present:
            response.vary.add("HX-Request")
        else:
            headers.add("Vary", "HX-Request")
        if (
            g.get("user") is not None
            and not request.path.startswith("/static/")
            and request.endpoint not in ABOUT_NO_ONE
        ):
            if "cache-control" in present:
                response.cache_control.no_store = True
                response.cache_control.private = True
            else:
                headers.add("Cache-Control", NOT_STORED)
        return response


def _is_loopback(address: str | None) -> bool:
    try:
        return ipaddress.ip_address((address or "").split("%")[0]).is_loopback
    except ValueError:
        return False


class LoopbackOnly:
    """Answer 403 to anything but a direct connection from this computer.

    It wraps the whole application, so a request from elsewhere is turned away before a
    session cookie (perhaps forged with the published development key) is even read. It looks
    at the socket's own address, never at a forwarded one, and refuses requests that came
    through a proxy on this computer (which would otherwise look local)."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if _is_loopback(environ.get("REMOTE_ADDR")) and not any(
            header in environ for header in PROXY_HEADERS
        ):
            return self.app(environ, start_response)
        start_response(
            "403 Forbidden",
            [
                ("Content-Type", "text/plain; charset=utf-8"),
                ("Content-Length", str(len(LOOPBACK_ONLY_MESSAGE))),
            ],
        )
        return [LOOPBACK_ONLY_MESSAGE]


def serves_only_loopback(config: dict[str, Any] | Any) -> bool:
    """Development mode, and any mode still using the published key, serves this computer only."""
    return config["OPENPEP_ENV"] == "development" or (
        config["OPENPEP_ENV"] != "production" and config["SECRET_KEY"] == DEVELOPMENT_SECRET_KEY
    )


def wrap_network_edge(app: Flask) -> None:
    """Read the client's address, scheme and host from the configured number of proxies only,
    refuse unknown host names in production, and keep development mode on this computer."""
    config = app.config
    production = config["OPENPEP_ENV"] == "production"
    if production and not config.get("TRUSTED_HOSTS") and not app.testing:
        raise ConfigurationError(
            "Set OPENPEP_ALLOWED_HOSTS to the host names people use to reach OpenPEP, for "
            "example pep.anytown.gov.uk: the sign-in redirect and invite links are built from it."
        )
    proxies = int(config.get("OPENPEP_PROXIES") or 0)
    if proxies:
        # Each proxy appends to X-Forwarded-For: trust exactly that many entries from the right.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies
        )
    if serves_only_loopback(config):
        app.wsgi_app = LoopbackOnly(app.wsgi_app)  # type: ignore[method-assign]


def mask_invite_tokens(text: str) -> str:
    return INVITE_TOKEN_IN_PATH.sub(MASKED_INVITE_PATH, text)


class MaskInviteTokens(logging.Filter):
    """Replace the token of every /i/<token> link in a log line: a logged link would open a
    child's page for whoever reads the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_invite_tokens(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


def mask_invite_tokens_in_logs(logger_names: Iterable[str] = REQUEST_LOGGERS) -> None:
    """Add the filter to the loggers that write request lines, once each."""
    for name in logger_names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, MaskInviteTokens) for f in logger.filters):
            logger.addFilter(MaskInviteTokens())
