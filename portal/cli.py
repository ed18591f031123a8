"""`flask --app portal ...` commands: migrate, seed the demo, provision users."""

from __future__ import annotations

import click
from flask import Flask
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import User


def init_app(app: Flask) -> None:
    @app.cli.command("migrate")
    def migrate_command() -> None:
        """Bring the database schema up to date."""
        from portal.migrate import upgrade_to_latest

        upgrade_to_latest(db.engine)
        click.echo("Database is up to date.")

    @app.cli.command("seed-demo")
    def seed_demo_command() -> None:
        """Create the demo schools, children, users and PEPs (running it twice changes nothing)."""
        if app.config["OPENPEP_ENV"] == "production":
            # Demo people sign in with any password through the demo provider: never real data.
            raise click.ClickException(
                "The demo data cannot be added in production: it makes demo accounts and "
                "children. Use it only with OPENPEP_ENV=development."
            )
        from portal.operations.demo_seed import seed_demo_data

        summary = seed_demo_data(db.session, settings=app.config)
        click.echo(summary)

    @app.cli.command("unlink-sign-in")
    @click.argument("email")
    def unlink_sign_in_command(email: str) -> None:
        """Unlink an account from its sign-in, so that its next sign-in links it afresh."""
        from portal.models import User
        from portal.operations.audit import Actor
        from portal.operations.sign_in import unlink_sign_in

        address = email.strip().lower()
        user = db.session.scalar(select(User).where(func.lower(User.email) == address))
        if user is None:
            raise click.ClickException(f"No account has the address {address}.")
        actor = Actor.system(f"flask unlink-sign-in {address}")
        if unlink_sign_in(db.session, actor, user):
            click.echo(
                f"The account {address} is unlinked: its next sign-in, with any provider that "
                "confirms this address, links it again."
            )
        else:
            click.echo(f"The account {address} was not linked to a sign-in: nothing changed.")

    @app.cli.command("switch-off")
    @click.argument("email")
    def switch_off_command(email: str) -> None:
        """Switch an account off: it cannot sign in, and its sessions end at once."""
        from portal.operations.audit import Actor
        from portal.operations.sessions import switch_off_account

        address = email.strip().lower()
        user = _user_by_address(address)
        ended = switch_off_account(db.session, Actor.system(f"flask switch-off {address}"), user)
        click.echo(
            f"The account {address} is switched off: it cannot sign in, and "
            f"{ended} open session{'' if ended == 1 else 's'} ended."
        )

    @app.cli.command("switch-on")
    @click.argument("email")
    def switch_on_command(email: str) -> None:
        """Switch an account back on, so that it can sign in again."""
        from portal.operations.audit import Actor
        from portal.operations.sessions import switch_on_account

        address = email.strip().lower()
        user = _user_by_address(address)
        if switch_on_account(db.session, Actor.system(f"flask switch-on {address}"), user):
            click.echo(f"The account {address} is switched on: it can sign in again.")
        else:
            click.echo(f"The account {address} was not switched off: nothing changed.")


def _user_by_address(address: str) -> User:
    user = db.session.scalar(select(User).where(func.lower(User.email) == address))
    if user is None:
        raise click.ClickException(f"No account has the address {address}.")
    return user
