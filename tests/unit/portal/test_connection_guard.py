"""The checkout guard that finds dead PostgreSQL connections without a round trip each time."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy.exc import DisconnectionError

from portal.extensions import IDLE_PING_SECONDS, _note_idle_since, _refuse_dead_connection


@dataclass
class FakeConnection:
    """A DB-API connection as far as the guard sees it: a socket."""

    sock: socket.socket

    def fileno(self) -> int:
        return self.sock.fileno()


@dataclass
class FakeRecord:
    info: dict[str, Any] = field(default_factory=dict)


@pytest.fixture
def server_and_connection() -> Iterator[tuple[socket.socket, FakeConnection]]:
    server_side, client_side = socket.socketpair()
    yield server_side, FakeConnection(client_side)
    server_side.close()
    client_side.close()


def test_a_quiet_recently_used_connection_is_handed_out_without_a_ping(server_and_connection):
    _server, connection = server_and_connection
    pings: list[Any] = []
    record = FakeRecord()
    _note_idle_since(connection, record)
    _refuse_dead_connection(pings.append)(connection, record, None)
    assert pings == []


def test_a_connection_the_server_closed_is_refused_without_a_ping(server_and_connection):
    server, connection = server_and_connection
    server.sendall(b"E terminating connection due to administrator command")
    server.close()
    pings: list[Any] = []
    with pytest.raises(DisconnectionError, match="closed"):
        _refuse_dead_connection(pings.append)(connection, FakeRecord(), None)
    assert pings == []


def test_a_long_idle_connection_is_pinged_once_and_handed_out_when_it_answers(
    server_and_connection,
):
    _server, connection = server_and_connection
    pings: list[Any] = []
    record = FakeRecord({"idle_since": time.monotonic() - IDLE_PING_SECONDS - 1})
    _refuse_dead_connection(pings.append)(connection, record, None)
    assert pings == [connection]
    assert record.info["idle_since"] is None


def test_a_long_idle_connection_that_was_dropped_silently_is_refused(server_and_connection):
    """Nothing on the socket (a load balancer dropped it without a word): only the ping tells."""
    _server, connection = server_and_connection

    def ping_that_times_out(_connection: Any) -> None:
        raise TimeoutError("no answer")

    record = FakeRecord({"idle_since": time.monotonic() - IDLE_PING_SECONDS - 1})
    with pytest.raises(DisconnectionError, match="did not answer"):
        _refuse_dead_connection(ping_that_times_out)(connection, record, None)
