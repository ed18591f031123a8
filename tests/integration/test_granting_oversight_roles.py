"""An admin gives and takes away the social work team manager's role (for children) and the
Virtual School head's (across the authority): on a person's page, with `flask grant-role` and
`revoke-role`, and in the staff import; each refuses the role in the wrong scope."""

from __future__ import annotations

import uuid

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal.extensions import db
from portal.imports.reading import read_rows
from portal.models import User
from portal.operations.audit import Actor
from portal.operations.importers.staff import IMPORTER
from tests.conftest import DEMO_EMAILS, csrf_token_from

DANA = "dana.manager@example.gov.uk"


def grants_of(app: Flask, email: str) -> list[tuple[str, str | None]]:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        assert user is not None
        return sorted(
            (grant.role, grant.child.authority_reference if grant.child else None)
            for grant in user.grants
        )


def user_id(app: Flask, email: str) -> str:
    with app.app_context():
        return str(db.session.scalar(select(User.id).where(User.email == email)))


def post(client: FlaskClient, path: str, data: dict[str, str]):
    token = csrf_token_from(client, path)
    return client.post(path, data={"csrf_token": token, **data})


def test_an_admin_gives_and_takes_away_both_roles_on_a_persons_page(client_for, seeded):
    client = client_for("admin")
    reviewer = user_id(seeded, DEMO_EMAILS["reviewer"])
    path = f"/admin/staff/{reviewer}"
    page = client.get(path).get_data(as_text=True)
    assert "Social work team manager" in page and "Virtual School head" in page

    given = post(client, f"{path}/roles", {"role": "sw_team_manager", "children": "DCC-1101"})
    assert given.status_code == 303
    given = post(client, f"{path}/roles", {"role": "vs_head"})
    assert given.status_code == 303
    assert grants_of(seeded, DEMO_EMAILS["reviewer"]) == [
        ("reviewer", None),
        ("sw_team_manager", "DCC-1101"),
        ("vs_head", None),
    ]
    page = client.get(path).get_data(as_text=True)
    assert "Social work team manager" in page and "Ella Brown" in page

    # A team manager is for children: none named is refused, with the field to fix.
    refused = post(client, f"{path}/roles", {"role": "sw_team_manager", "children": ""})
    assert refused.status_code == 400
    assert 'href="#children">' in refused.get_data(as_text=True)

    with seeded.app_context():
        person = db.session.get(User, uuid.UUID(reviewer))
        grant_ids = {grant.role: grant.id for grant in person.grants}
    for role in ("sw_team_manager", "vs_head"):
        taken = post(client, f"{path}/roles/{grant_ids[role]}/take-away", {})
        assert taken.status_code == 303
    assert grants_of(seeded, DEMO_EMAILS["reviewer"]) == [("reviewer", None)]


def run(app: Flask, *args: str):
    return app.test_cli_runner().invoke(args=list(args))


def test_the_commands_give_and_take_away_both_roles(seeded):
    added = run(seeded, "add-person", DANA, "Dana Price")
    assert added.exit_code == 0, added.output
    manager = run(
        seeded,
        "grant-role",
        DANA,
        "Social work team manager",
        "--child",
        "DCC-1101",
        "--child",
        "DCC-1102",
    )
    assert manager.exit_code == 0, manager.output
    head = run(seeded, "grant-role", DANA, "Virtual School headteacher")
    assert head.exit_code == 0, head.output
    assert grants_of(seeded, DANA) == [
        ("sw_team_manager", "DCC-1101"),
        ("sw_team_manager", "DCC-1102"),
        ("vs_head", None),
    ]
    no_children = run(seeded, "grant-role", DANA, "team manager")
    assert no_children.exit_code != 0
    assert "Enter at least one child" in no_children.output

    one = run(seeded, "revoke-role", DANA, "sw_team_manager", "--child", "DCC-1102")
    assert one.exit_code == 0, one.output
    head_gone = run(seeded, "revoke-role", DANA, "vs_head")
    assert head_gone.exit_code == 0, head_gone.output
    assert grants_of(seeded, DANA) == [("sw_team_manager", "DCC-1101")]


STAFF_FILE = """Email,Name,Role,School URN,Child reference,Starts on
dana.manager@example.gov.uk,Dana Price,Social work team manager,,DCC-1101,
dana.manager@example.gov.uk,Dana Price,Social work team manager,,DCC-1102,
lee.head@example.gov.uk,Lee Head,Virtual School head,,,
wrong.scope@example.gov.uk,Wrong Scope,Virtual School head,,DCC-1101,
no.child@example.gov.uk,No Child,Social work team manager,,,
"""


def test_the_staff_import_gives_both_roles_and_refuses_the_wrong_scope(seeded):
    with seeded.app_context():
        _total, rows = read_rows(
            STAFF_FILE.encode(),
            encodings=IMPORTER.encodings,
            required_columns=IMPORTER.required_columns,
            optional_columns=IMPORTER.optional_columns,
        )
        plan = IMPORTER.check(db.session, rows, lambda _done: None)
        assert [(p.row, p.column, p.problem) for p in plan.problems] == [
            (5, "Child reference", "A Virtual School head is not given a child."),
            (
                6,
                "Child reference",
                "A social work team manager needs the reference of the child they work with.",
            ),
        ]

    good = "\n".join(STAFF_FILE.splitlines()[:4]) + "\n"
    with seeded.app_context():
        _total, rows = read_rows(
            good.encode(),
            encodings=IMPORTER.encodings,
            required_columns=IMPORTER.required_columns,
            optional_columns=IMPORTER.optional_columns,
        )
        plan = IMPORTER.check(db.session, rows, lambda _done: None)
        assert plan.problems == []
        admin = db.session.scalar(select(User).where(User.email == DEMO_EMAILS["admin"]))
        IMPORTER.apply(db.session, Actor.for_user(admin, "127.0.0.1"), plan)
        db.session.commit()
    assert grants_of(seeded, DANA) == [
        ("sw_team_manager", "DCC-1101"),
        ("sw_team_manager", "DCC-1102"),
    ]
    assert grants_of(seeded, "lee.head@example.gov.uk") == [("vs_head", None)]
