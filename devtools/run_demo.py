"""`make run`: migrate and seed the embedded database, start the demo sign-in provider on
127.0.0.1:9400 and the portal on 127.0.0.1:5000. Ctrl-C stops both."""

from __future__ import annotations

import os
import signal
import socket
import sys

from devtools.oidc_provider import start_oidc_provider, stop_oidc_provider

PORTAL_PORT = int(os.environ.get("OPENPEP_PORT", "5000"))
PROVIDER_PORT = 9400


def port_is_free(port: int) -> bool:
    """Whether a server could listen on the port now. SO_REUSEADDR, as the servers themselves
    set it, so that connections of a stopped run still in TIME_WAIT do not count as a server."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def main() -> int:
    for port, what in ((PROVIDER_PORT, "demo sign-in provider"), (PORTAL_PORT, "portal")):
        if not port_is_free(port):
            print(
                f"Port {port} on 127.0.0.1 is in use, so the {what} cannot start. "
                "Stop whatever is using it (perhaps an earlier `make run`) and try again.",
                file=sys.stderr,
            )
            return 1

    os.environ.setdefault("OPENPEP_ENV", "development")
    os.environ["OPENPEP_DEMO_ISSUER"] = f"http://127.0.0.1:{PROVIDER_PORT}"

    from portal import create_app
    from portal.extensions import db
    from portal.migrate import upgrade_to_latest
    from portal.operations.demo_seed import USERS, seed_demo_data

    app = create_app()
    with app.app_context():
        upgrade_to_latest(db.engine)
        print(seed_demo_data(db.session, settings=app.config))

    provider = start_oidc_provider(port=PROVIDER_PORT)
    # A polite stop (SIGTERM) ends both servers the same way as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda _signal, _frame: sys.exit(0))
    try:
        print()
        print(f"OpenPEP is running at http://127.0.0.1:{PORTAL_PORT}")
        print(f"The demo sign-in provider is at {provider.issuer}")
        print("Choose 'Sign in', then sign in with any of these emails and any password:")
        for user in USERS:
            print(f"  {user.email:34} {user.role.label}")
        print("Press Ctrl-C to stop both.")
        print()
        app.run(host="127.0.0.1", port=PORTAL_PORT, debug=False, use_reloader=False)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        stop_oidc_provider(provider)
        print("Stopped the portal and the demo sign-in provider.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
