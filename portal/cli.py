"""`flask --app portal ...` commands: migrate, seed the demo, and look after staff and their
roles (the same operations as the admin pages, audited as the command that ran)."""

from __future__ import annotations

import click
from flask import Flask
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Child, School, User
from portal.operations.audit import Actor
from portal.operations.staff import Outcome
from workflows.roles import Role


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
        from portal.operations import staff
        from portal.operations.sessions import open_sessions_of

        address = email.strip().lower()
        user = _user_by_address(address)
        if not user.active:
            click.echo(f"The account {address} was already switched off: nothing changed.")
            return
        ended = len(open_sessions_of(db.session, user))
        _refuse(staff.switch_off(db.session, Actor.system(f"flask switch-off {address}"), user))
        click.echo(
            f"The account {address} is switched off: it cannot sign in, and "
            f"{ended} open session{'' if ended == 1 else 's'} ended."
        )

    @app.cli.command("switch-on")
    @click.argument("email")
    def switch_on_command(email: str) -> None:
        """Switch an account back on, so that it can sign in again."""
        from portal.operations.sessions import switch_on_account

        address = email.strip().lower()
        user = _user_by_address(address)
        if switch_on_account(db.session, Actor.system(f"flask switch-on {address}"), user):
            click.echo(f"The account {address} is switched on: it can sign in again.")
        else:
            click.echo(f"The account {address} was not switched off: nothing changed.")

    @app.cli.command("add-person")
    @click.argument("email")
    @click.argument("name")
    def add_person_command(email: str, name: str) -> None:
        """Add a person who can sign in with EMAIL, named NAME; give them a role next."""
        from portal.operations import staff

        address = email.strip().lower()
        actor = Actor.system(f"flask add-person {address}")
        outcome = _refuse(staff.add_person(db.session, actor, email, name))
        click.echo(outcome.message + f" Give them a role: flask grant-role {address} ROLE")

    @app.cli.command("grant-role")
    @click.argument("email")
    @click.argument("role")
    @click.option("--school", "schools", multiple=True, help="A setting's URN (repeatable).")
    @click.option("--child", "children", multiple=True, help="A child's reference (repeatable).")
    @click.option("--starts-on", help="A carer's placement start: dd/mm/yyyy or yyyy-mm-dd.")
    def grant_role_command(
        email: str,
        role: str,
        schools: tuple[str, ...],
        children: tuple[str, ...],
        starts_on: str | None,
    ) -> None:
        """Give EMAIL a ROLE (its value or label): designated_teacher --school URN,
        social_worker / carer / vs_adviser --child REF, reviewer or admin."""
        from portal.operations import staff

        address = email.strip().lower()
        user = _user_by_address(address)
        chosen = _role(role)
        found_schools = _settings(schools)
        found_children = _children(children)
        day = None
        if starts_on is not None:
            day = staff.parse_day(starts_on)
            if day is None:
                raise click.ClickException(
                    f"'{starts_on}' is not a date. Give --starts-on as dd/mm/yyyy or yyyy-mm-dd."
                )
        actor = Actor.system(f"flask grant-role {address} {chosen.value}")
        outcome = _refuse(
            staff.grant_role(
                db.session,
                actor,
                user,
                chosen,
                schools=found_schools,
                children=found_children,
                starts_on=day,
            )
        )
        click.echo(outcome.message)

    @app.cli.command("revoke-role")
    @click.argument("email")
    @click.argument("role")
    @click.option("--school", "schools", multiple=True, help="Only for this URN (repeatable).")
    @click.option("--child", "children", multiple=True, help="Only for this child (repeatable).")
    def revoke_role_command(
        email: str, role: str, schools: tuple[str, ...], children: tuple[str, ...]
    ) -> None:
        """Take ROLE away from EMAIL: for the settings or children named, or all of it."""
        from portal.operations import staff

        address = email.strip().lower()
        user = _user_by_address(address)
        chosen = _role(role)
        grants = staff.grants_matching(
            user, chosen, schools=_settings(schools), children=_children(children)
        )
        if not grants:
            raise click.ClickException(
                f"{user.display_name} ({address}) does not hold the role {chosen.label} for "
                "what you named. Nothing changed."
            )
        actor = Actor.system(f"flask revoke-role {address} {chosen.value}")
        click.echo(_refuse(staff.revoke_grants(db.session, actor, user, grants)).message)

    @app.cli.command("move-caseload")
    @click.argument("from_email")
    @click.argument("to_email")
    @click.option("--child", "children", multiple=True, help="Only this child (repeatable).")
    @click.option("--on", "on", help="The day of the change: dd/mm/yyyy or yyyy-mm-dd (today).")
    def move_caseload_command(
        from_email: str, to_email: str, children: tuple[str, ...], on: str | None
    ) -> None:
        """Move FROM_EMAIL's children (all, or each --child) to the social worker TO_EMAIL."""
        from portal.operations import staff

        from_address, to_address = from_email.strip().lower(), to_email.strip().lower()
        from_worker, to_worker = _user_by_address(from_address), _user_by_address(to_address)
        day = None
        if on is not None:
            day = staff.parse_day(on)
            if day is None:
                raise click.ClickException(
                    f"'{on}' is not a date. Give --on as dd/mm/yyyy or yyyy-mm-dd."
                )
        actor = Actor.system(f"flask move-caseload {from_address} {to_address}")
        outcome = staff.move_caseload(
            db.session,
            actor,
            from_worker,
            to_worker,
            children=_children(children) or None,
            on=day,
        )
        click.echo(_refuse(outcome).message)

    @app.cli.command("send-reminders")
    def send_reminders_command() -> None:
        """Record the reminders due now (each once), then send every email waiting to go: for
        cron (running it twice, or two copies at once, sends nothing twice)."""
        from portal.operations.reminders import send_reminders

        report = send_reminders(db.session, app.config)
        click.echo(report.describe(email_set_up=app.config.get("SMTP") is not None))

    @app.cli.command("refresh-timeliness")
    @click.option("--batch-size", default=500, show_default=True, help="Children a batch.")
    def refresh_timeliness_command(batch_size: int) -> None:
        """Work out every child's PEP deadlines and statuses again, a batch at a time: for cron,
        each night (statuses also move on by the date alone, without it)."""
        from portal.operations.timeliness import refresh_all_timeliness

        def progress(done: int, total: int) -> None:
            click.echo(f"{done} of {total} children refreshed")

        run = refresh_all_timeliness(db.session, batch_size=max(1, batch_size), progress=progress)
        click.echo(f"Timeliness worked out for {run.children} children.")
        problem = run.problem()
        if problem is not None:
            raise click.ClickException(problem)

    @app.cli.command("load-term-dates")
    @click.argument("csv_path", type=click.Path(exists=True, dir_okay=False))
    def load_term_dates_command(csv_path: str) -> None:
        """Load term dates from a CSV file, one row a term: the authority's (no school_urn) and
        schools' own. Every row is read and checked first: one that is wrong saves nothing."""
        from portal.timeliness.term_dates_file import load_term_dates_path

        actor = Actor.system(f"flask load-term-dates {csv_path}")
        outcome = load_term_dates_path(db.session, actor, csv_path)
        for message in outcome.messages:
            click.echo(message)
        if outcome.problems:
            raise click.ClickException("\n".join(outcome.problems))


def _refuse(outcome: Outcome) -> Outcome:
    """A refusal ends the command with its sentence and a non-zero exit status."""
    if outcome.refused:
        message = outcome.message if outcome.message.endswith(".") else outcome.message + "."
        raise click.ClickException(message + " Nothing changed.")
    return outcome


def _role(text: str) -> Role:
    from portal.operations.staff import GRANTABLE_ROLES, parse_role

    role = parse_role(text)
    if role is None:
        roles = ", ".join(role.value for role in GRANTABLE_ROLES)
        raise click.ClickException(f"'{text}' is not a role. Give one of: {roles}.")
    return role


def _settings(urns: tuple[str, ...]) -> list[School]:
    from portal.operations.staff import find_settings

    found = find_settings(db.session, urns)
    if found.problems:
        raise click.ClickException(" ".join(found.problems))
    return found.found


def _children(references: tuple[str, ...]) -> list[Child]:
    from portal.operations.staff import find_children

    found = find_children(db.session, references)
    if found.problems:
        raise click.ClickException(" ".join(found.problems))
    return found.found


def _user_by_address(address: str) -> User:
    user = db.session.scalar(select(User).where(func.lower(User.email) == address))
    if user is None:
        raise click.ClickException(f"No account has the address {address}.")
    return user
