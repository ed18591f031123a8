"""What leaving the ORM would save on the read every signed-in request makes: the session row
with its person and their role grants, measured alone, in-process, three ways.

    .venv/bin/python -m benchmarks.scale.session_read [--reads 4000] [--rounds 3]

- "ORM": the portal's own read (`portal.auth.sessions.SESSION_WITH_PERSON`), which gives the
  request a `UserSession` with its `User` and the user's `RoleGrant`s.
- "Core": the same join through SQLAlchemy Core, rows only. The portal's views, templates and
  operations use `g.user` as a mapped `User` (relationships, identity), so this is the floor,
  not a drop-in replacement.
- "Core, objects by hand": the Core rows made into the same mapped objects without the ORM's
  loading (`make_transient_to_detached`, `set_committed_value`, `Session.add`): what a drop-in
  replacement could save.

Each read is followed by `db.session.remove()`, as the end of a request does, so each one checks
a connection out of the pool and back. CPU time of this process, median and mean per read, the
three ways alternating for each round. A throwaway PostgreSQL with the 700-children authority is
generated, as profile_pages.py does.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from sqlalchemy import bindparam, select
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from benchmarks.scale.load import choose_people
from benchmarks.scale.profile_pages import generated_database, portal_app, signed_in_client
from devtools.oidc_provider import running_oidc_provider

WARM_UP = 100


def cpu_ms(read: Callable[[], None], reads: int) -> tuple[float, float]:
    for _ in range(WARM_UP):
        read()
    spent = []
    for _ in range(reads):
        started = time.process_time()
        read()
        spent.append((time.process_time() - started) * 1000)
    return statistics.median(spent), statistics.mean(spent)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reads", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()

    with generated_database(None, 700) as database_url, running_oidc_provider() as provider:
        teacher = choose_people(database_url)["designated_teacher"]
        app = portal_app(database_url, provider)
        signed_in_client(app, provider, teacher["email"])  # a real session row to read

        from portal.auth.sessions import SESSION_WITH_PERSON
        from portal.extensions import db
        from portal.models import RoleGrant, User, UserSession

        sessions, users, grants = UserSession.__table__, User.__table__, RoleGrant.__table__
        core = (
            select(sessions, users, grants)
            .select_from(
                sessions.join(users, users.c.id == sessions.c.user_id).outerjoin(
                    grants, grants.c.user_id == users.c.id
                )
            )
            .where(sessions.c.token_hash == bindparam("token_hash"))
        )
        keys = {table: [column.key for column in table.c] for table in (sessions, users, grants)}
        user_starts = len(sessions.c)
        grant_starts = user_starts + len(users.c)

        def by_hand(cls: type, table: object, values: tuple) -> object:
            instance = cls.__mapper__.class_manager.new_instance()
            instance.__dict__.update(zip(keys[table], values, strict=True))
            make_transient_to_detached(instance)
            return instance

        with app.app_context():
            token = db.session.scalar(
                select(UserSession.token_hash).order_by(UserSession.created_at_utc.desc())
            )
            db.session.remove()

            def orm() -> None:
                row = (
                    db.session.execute(SESSION_WITH_PERSON, {"token_hash": token})
                    .unique()
                    .scalar_one()
                )
                assert row.user.grants
                db.session.remove()

            def core_rows() -> None:
                rows = db.session.connection().execute(core, {"token_hash": token}).all()
                assert rows
                db.session.remove()

            def core_objects_by_hand() -> None:
                rows = db.session.connection().execute(core, {"token_hash": token}).all()
                first = rows[0]
                row = by_hand(UserSession, sessions, first[:user_starts])
                user = by_hand(User, users, first[user_starts:grant_starts])
                held = [
                    by_hand(RoleGrant, grants, each[grant_starts:])
                    for each in rows
                    if each[grant_starts] is not None
                ]
                set_committed_value(user, "grants", held)
                set_committed_value(row, "user", user)
                db.session.add_all([row, user, *held])
                assert row.user.grants
                db.session.remove()

            ways = {"ORM": orm, "Core": core_rows, "Core, objects by hand": core_objects_by_hand}
            print("| round | read | CPU median ms | CPU mean ms |")
            print("| ---: | --- | ---: | ---: |")
            for round_number in range(1, arguments.rounds + 1):
                for name, read in ways.items():
                    median, mean = cpu_ms(read, arguments.reads)
                    print(f"| {round_number} | {name} | {median:.3f} | {mean:.3f} |")


if __name__ == "__main__":
    main()
