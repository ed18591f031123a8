"""Invite tokens never reach the portal's logs: request lines are masked as they are written."""

import logging

import pytest

from portal.security import MaskInviteTokens, mask_invite_tokens, mask_invite_tokens_in_logs

TOKEN = "Zk3v2A0b_Qx-9yL7mN4pR8sT1uV6wX5yZ2aB3cD4eF5g"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            f'127.0.0.1 - - "GET /i/{TOKEN} HTTP/1.1" 303 -',
            '127.0.0.1 - - "GET /i/[token] HTTP/1.1" 303 -',
        ),
        (f"https://pep.example.gov.uk/i/{TOKEN}?x=1", "https://pep.example.gov.uk/i/[token]?x=1"),
        (f'"POST /i/{TOKEN}/send HTTP/1.1"', '"POST /i/[token]/send HTTP/1.1"'),
        ('"GET /contribute/5b0d3c2e-8f2a-4a51-9d1e-0c2f6b7a8e91 HTTP/1.1"', None),
        ('"GET /peps/abc/contributions HTTP/1.1"', None),
    ],
)
def test_tokens_in_request_lines_are_masked(line, expected):
    assert mask_invite_tokens(line) == (expected or line)
    assert TOKEN not in mask_invite_tokens(line)


def test_the_filter_masks_a_werkzeug_style_record_with_arguments(caplog):
    logger = logging.getLogger("openpep.test.masking")
    logger.addFilter(MaskInviteTokens())
    with caplog.at_level(logging.INFO, logger=logger.name):
        logger.info(
            '%s - - [%s] "%s" %s %s', "10.0.0.1", "now", f"GET /i/{TOKEN} HTTP/1.1", 303, "-"
        )
    (record,) = caplog.records
    assert TOKEN not in record.getMessage() and "/i/[token]" in record.getMessage()


def test_the_portal_masks_werkzeug_and_gunicorn_request_logs(caplog):
    mask_invite_tokens_in_logs()
    mask_invite_tokens_in_logs()  # twice: still one filter each
    for name in ("werkzeug", "gunicorn.access"):
        logger = logging.getLogger(name)
        assert sum(isinstance(f, MaskInviteTokens) for f in logger.filters) == 1
        with caplog.at_level(logging.INFO, logger=name):
            logger.info('"GET /i/%s HTTP/1.1" 303', TOKEN)
    assert caplog.records and all(TOKEN not in r.getMessage() for r in caplog.records)
