"""`flask --app portal ...` commands: migrate, seed the demo, provision users."""

from __future__ import annotations

import click
from flask import Flask

from portal.extensions import db


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
        from portal.operations.demo_seed import seed_demo_data

        summary = seed_demo_data(db.session, settings=app.config)
        click.echo(summary)
