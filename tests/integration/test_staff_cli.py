"""Staff from the command line: the same operations as the admin pages, audited as the command
that ran, refusing in sentences with a non-zero exit status."""

from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent, ChildEvent, User
from portal.operations import staff
from portal.operations.demo_seed import SOCIAL_WORKER_CASELOAD
from tests.conftest import DEMO_EMAILS

SAM = DEMO_EMAILS["social_worker"]
ALEX = DEMO_EMAILS["reviewer"]
CHRIS = DEMO_EMAILS["admin"]
SW_CASELOAD = len(SOCIAL_WORKER_CASELOAD)
NOT_THE_SEED = "System: demo seed%"


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def person(email):
    return db.session.scalar(select(User).where(User.email == email))


def grants_of(app, email):
    with app.app_context():
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


def audited_by(app, action):
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEvent.actor_description).where(
                    AuditEvent.action == action, AuditEvent.actor_description.not_like(NOT_THE_SEED)
                )
            )
        )


def test_add_person_then_give_and_take_away_roles(seeded):
    added = run(seeded, "add-person", "New.Teacher@Example.org", "Nia Teacher")
    assert added.exit_code == 0, added.output
    assert "Nia Teacher (new.teacher@example.org) has been added." in added.output
    assert audited_by(seeded, "user.added") == ["System: flask add-person new.teacher@example.org"]

    teacher = run(
        seeded,
        "grant-role",
        "new.teacher@example.org",
        "Designated teacher",
        "--school",
        "900201",
        "--school",
        "900101",
    )
    assert teacher.exit_code == 0, teacher.output
    assert "Nia Teacher is now a designated teacher or lead for" in teacher.output
    carer = run(
        seeded,
        "grant-role",
        "NEW.TEACHER@example.org",
        "carer",
        "--child",
        "DCC-1001",
        "--starts-on",
        "01/09/2025",
    )
    assert carer.exit_code == 0, carer.output
    assert grants_of(seeded, "new.teacher@example.org") == [
        ("carer", None, "DCC-1001", "2025-09-01"),
        ("designated_teacher", "900101", None, None),
        ("designated_teacher", "900201", None, None),
    ]
    assert audited_by(seeded, "role.granted") == [
        "System: flask grant-role new.teacher@example.org designated_teacher",
        "System: flask grant-role new.teacher@example.org designated_teacher",
        "System: flask grant-role new.teacher@example.org carer",
    ]

    taken = run(
        seeded, "revoke-role", "new.teacher@example.org", "designated_teacher", "--school", "900101"
    )
    assert taken.exit_code == 0, taken.output
    assert "no longer holds: Designated lead for Little Acorns Nursery (URN 900101)" in (
        taken.output
    )
    all_of_it = run(seeded, "revoke-role", "new.teacher@example.org", "carer")
    assert all_of_it.exit_code == 0
    assert grants_of(seeded, "new.teacher@example.org") == [
        ("designated_teacher", "900201", None, None)
    ]


def test_refusals_are_sentences_and_change_nothing(seeded):
    in_use = run(seeded, "add-person", SAM.upper(), "Another Sam")
    assert in_use.exit_code != 0
    assert f"The email address {SAM} is already used by Sam Okoro." in in_use.output
    assert "Traceback" not in in_use.output

    for args, message in [
        (("grant-role", "nobody@example.org", "reviewer"), "No account has the address"),
        (("grant-role", SAM, "head teacher"), "'head teacher' is not a role. Give one of: "),
        (("grant-role", SAM, "designated_teacher"), "Enter at least one setting"),
        (("grant-role", SAM, "designated_teacher", "--school", "999999"), "No setting has"),
        (("grant-role", SAM, "carer", "--child", "NOPE-1"), "No child has the reference or"),
        (
            ("grant-role", SAM, "carer", "--child", "DCC-1001", "--starts-on", "soon"),
            "'soon' is not a date.",
        ),
        (("revoke-role", SAM, "carer"), "does not hold the role Carer"),
        (("move-caseload", SAM, SAM), "Choose a different social worker"),
        (("move-caseload", SAM, ALEX, "--child", "DCC-1001"), "is not in Sam Okoro's caseload"),
        (("move-caseload", SAM, ALEX, "--on", "yesterday"), "'yesterday' is not a date."),
    ]:
        result = run(seeded, *args)
        assert result.exit_code != 0, args
        assert message in result.output, (args, result.output)
        assert "Traceback" not in result.output
    assert audited_by(seeded, "role.granted") == []
    with seeded.app_context():
        assert len(staff.caseload_of(db.session, person(SAM))) == SW_CASELOAD


def test_the_last_admin_cannot_be_removed_from_the_command_line(seeded):
    revoke = run(seeded, "revoke-role", CHRIS, "admin")
    assert revoke.exit_code != 0
    assert "You cannot take the admin role from Chris Byrne: they are the only active admin" in (
        revoke.output
    )
    off = run(seeded, "switch-off", CHRIS)
    assert off.exit_code != 0 and "You cannot switch off Chris Byrne" in off.output
    with seeded.app_context():
        chris = person(CHRIS)
        assert chris.active and staff.grants_matching(chris, staff.Role.ADMIN)
    second = run(seeded, "grant-role", ALEX, "Admin")
    assert second.exit_code == 0 and "Alex Morgan is now a Virtual School admin." in second.output
    assert run(seeded, "revoke-role", CHRIS, "admin").exit_code == 0


def test_a_caseload_moves_from_the_command_line(seeded):
    some = run(
        seeded,
        "move-caseload",
        SAM,
        ALEX,
        "--child",
        "DCC-1101",
        "--child",
        "dcc-1203",
        "--on",
        "2026-11-02",
    )
    assert some.exit_code == 0, some.output
    assert "2 children moved from Sam Okoro to Alex Morgan from 02/11/2026." in some.output
    rest = run(seeded, "move-caseload", SAM.upper(), ALEX)
    assert rest.exit_code == 0, rest.output
    assert f"{SW_CASELOAD - 2} children moved from Sam Okoro to Alex Morgan" in rest.output
    with seeded.app_context():
        assert staff.caseload_of(db.session, person(SAM)) == []
        assert len(staff.caseload_of(db.session, person(ALEX))) == SW_CASELOAD
        events = db.session.scalars(
            select(ChildEvent).where(ChildEvent.recorded_by_description.not_like(NOT_THE_SEED))
        ).all()
        assert len(events) == SW_CASELOAD
        assert {event.recorded_by_description for event in events} == {
            f"System: flask move-caseload {SAM} {ALEX}"
        }
