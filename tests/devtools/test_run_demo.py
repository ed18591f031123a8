"""`make run` can be stopped and started again at once."""

import socket

from devtools.run_demo import port_is_free


def _leave_a_connection_in_time_wait() -> int:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = listener.accept()
    accepted.sendall(b"bye")
    # The server side closes first, as a stopped server does: its end waits in TIME_WAIT.
    accepted.close()
    client.recv(3)
    client.close()
    listener.close()
    return port


def test_a_port_left_in_time_wait_by_a_stopped_run_counts_as_free():
    port = _leave_a_connection_in_time_wait()
    plain = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        plain.bind(("127.0.0.1", port))
        refused_without_reuse = False
    except OSError:
        refused_without_reuse = True
    finally:
        plain.close()
    assert refused_without_reuse, "the check below proves nothing unless a plain bind fails"
    assert port_is_free(port)


def test_a_port_with_a_server_listening_is_not_free():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        assert not port_is_free(listener.getsockname()[1])
