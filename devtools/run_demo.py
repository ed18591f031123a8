"""`make run`: migrate and seed the embedded database, start the demo sign-in provider on
127.0.0.1:9400, a mail server that keeps and prints what it receives (an SMTP sink) on
127.0.0.1:1025 and the portal on 127.0.0.1:5000, which sends its emails through the sink.
Ctrl-C stops them all."""

from __future__ import annotations

import os
import signal
import socket
import sys

from devtools.oidc_provider import start_oidc_provider, stop_oidc_provider
from devtools.smtp_sink import SmtpSink, print_message

PORTAL_PORT = int(os.environ.get("OPENPEP_PORT", "5000"))
PROVIDER_PORT = 9400
SMTP_PORT = 1025
DEMO_MAIL_FROM = "virtual.school@demo.openpep.test"


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
    # A mail server of your own (OPENPEP_SMTP_HOST) is used as it is; otherwise the demo's.
    own_mail_server = bool(os.environ.get("OPENPEP_SMTP_HOST"))
    servers = [(PROVIDER_PORT, "demo sign-in provider"), (PORTAL_PORT, "portal")]
    if not own_mail_server:
        servers.insert(1, (SMTP_PORT, "demo mail server"))
    for port, what in servers:
        if not port_is_free(port):
            print(
                f"Port {port} on 127.0.0.1 is in use, so the {what} cannot start. "
                "Stop whatever is using it (perhaps an earlier `make run`) and try again.",
                file=sys.stderr,
            )
            return 1

    os.environ.setdefault("OPENPEP_ENV", "development")
    os.environ["OPENPEP_DEMO_ISSUER"] = f"http://127.0.0.1:{PROVIDER_PORT}"
    sink = None
    if not own_mail_server:
        sink = SmtpSink(SMTP_PORT).start()
        os.environ.update(sink.environment(mail_from=DEMO_MAIL_FROM))

    from portal import create_app
    from portal.extensions import db
    from portal.migrate import upgrade_to_latest
    from portal.operations.demo_seed import USERS, seed_demo_data
    from portal.operations.emails import DELIVERY_BATCH, deliver_emails

    app = create_app()
    with app.app_context():
        upgrade_to_latest(db.engine)
        # The seed's emails (a term of PEPs moving through sign-off) go through the mail
        # server in one go after it, quietly; emails from here on are printed as they arrive.
        app.config["EMAIL_DELIVERY"] = "after the seed"
        print(seed_demo_data(db.session, settings=app.config))
        sent = 0
        while True:
            report = deliver_emails(db.session, app.config)
            sent += report.sent
            if report.sent + report.failed < DELIVERY_BATCH:
                break
        app.config["EMAIL_DELIVERY"] = "background"
        if sent:
            print(f"{sent} emails from the demo's history went through the mail server.")
    if sink is not None:
        sink.on_message = print_message

    provider = start_oidc_provider(port=PROVIDER_PORT)
    # A polite stop (SIGTERM) ends both servers the same way as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda _signal, _frame: sys.exit(0))
    try:
        print()
        print(f"OpenPEP is running at http://127.0.0.1:{PORTAL_PORT}")
        print(f"The demo sign-in provider is at {provider.issuer}")
        if sink is not None:
            print(
                f"Emails go to the demo mail server on 127.0.0.1:{SMTP_PORT}: each is printed "
                "here, and each person reads theirs under 'Your messages'."
            )
        print("Reminders: run `.venv/bin/flask --app portal send-reminders` (cron, in production).")
        print("Choose 'Sign in', then sign in with any of these emails and any password:")
        for user in USERS:
            print(f"  {user.email:34} {user.role.label}")
        print("Press Ctrl-C to stop them all.")
        print()
        app.run(host="127.0.0.1", port=PORTAL_PORT, debug=False, use_reloader=False)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        stop_oidc_provider(provider)
        if sink is not None:
            sink.stop()
        print("Stopped the portal, the demo sign-in provider and the demo mail server.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
