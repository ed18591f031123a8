"""A real SMTP server on 127.0.0.1 for tests that send email, and the app set up to use it.

Import the fixtures into a test module (`from tests.integration.smtp import mail  # noqa: F401`):
`mail` starts a sink on a free port, points the test's `app` at it, and yields the sink;
`closed_port` is a port on 127.0.0.1 where nothing listens.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from flask import Flask

from devtools.smtp_sink import SmtpSink, running_smtp_sink
from portal.config import SmtpSettings
from portal.operations.emails import wait_for_background_emails

BASE_URL = "https://pep.testshire.example"
MAIL_FROM = "virtual.school@testshire.example"


def send_email_through(app: Flask, host: str, port: int) -> None:
    """Point the app's email at a mail server (the same settings the environment would give)."""
    app.config.update(
        SMTP=SmtpSettings(host=host, port=port, timeout_seconds=5),
        MAIL_FROM=MAIL_FROM,
        BASE_URL=BASE_URL,
        EMAIL_NOT_SET_UP_REASON=None,
    )


@pytest.fixture
def mail(app: Flask) -> Iterator[SmtpSink]:
    with running_smtp_sink() as sink:
        send_email_through(app, sink.host, sink.port)
        yield sink
        # Nothing may still be sending when the sink and the database go away.
        assert wait_for_background_emails(app, timeout=30)


@pytest.fixture
def closed_port() -> int:
    """A port nothing listens on: bound then released (connections to it are refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
