"""The children import, with real files: what each one checks to, what its commit changes, and
what a second import of the week after records in each child's timeline."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from io import BytesIO
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from portal.academic import england_today
from portal.extensions import db
from portal.imports import Problem
from portal.imports.reading import FileRefused, read_rows
from portal.models import (
    AuditEvent,
    CareEpisode,
    Child,
    ChildEvent,
    ChildEventKind,
    ImportKind,
    ImportRun,
    ImportStatus,
    RoleGrant,
    School,
    User,
)
from portal.operations.audit import Actor
from portal.operations.child_events import record_leaving_care
from portal.operations.importers.children import IMPORTER, ChildrenPlan
from tests.conftest import csrf_token_from
from workflows.roles import Role

FILES = Path(__file__).parents[1] / "fixtures" / "imports" / "children"
SAM = "sam.okoro@testshire.gov.uk"
PRIYA = "priya.shah@testshire.gov.uk"
ADMIN = "ada.admin@testshire.gov.uk"
V2 = "Single period of accommodation under section 20 (Children Act 1989) (V2)"


def add_schools_and_staff() -> None:
    """The settings and people the files name, as the schools and staff imports leave them."""
    for urn, name, phase, authority in (
        ("110001", "Oakfield Primary School", "primary", "Testshire"),
        ("110002", "Riverside Academy", "secondary", "Testshire"),
        ("110004", "Northgate College", "post_16", "Testshire"),
        ("120001", "Hillview School", "secondary", "Herefordshire"),
    ):
        db.session.add(School(urn=urn, name=name, phase=phase, local_authority=authority))
    for email, name in ((SAM, "Sam Okoro"), (PRIYA, "Priya Shah"), (ADMIN, "Ada Admin")):
        db.session.add(User(email=email, display_name=name))
    db.session.flush()
    admin = user(ADMIN)
    db.session.add(RoleGrant(user_id=admin.id, role=Role.ADMIN.value))
    db.session.commit()


def user(email: str) -> User:
    return db.session.scalars(select(User).where(User.email == email)).one()


def admin_actor() -> Actor:
    return Actor.for_user(user(ADMIN), "127.0.0.1")


def check(name: str) -> ChildrenPlan:
    _total, rows = read_rows(
        (FILES / name).read_bytes(),
        encodings=IMPORTER.encodings,
        required_columns=IMPORTER.required_columns,
        optional_columns=IMPORTER.optional_columns,
    )
    seen: list[int] = []
    plan = IMPORTER.check(db.session, rows, seen.append)
    assert seen and seen[-1] == _total
    return plan


def commit(plan: ChildrenPlan) -> None:
    assert plan.problems == []
    IMPORTER.apply(db.session, admin_actor(), plan)
    db.session.commit()


def import_file(name: str) -> ChildrenPlan:
    plan = check(name)
    commit(plan)
    return plan


def child(reference: str) -> Child:
    return db.session.scalars(select(Child).where(Child.authority_reference == reference)).one()


def social_workers(reference: str) -> list[str]:
    return sorted(
        db.session.scalars(
            select(User.email)
            .join(RoleGrant, RoleGrant.user_id == User.id)
            .where(
                RoleGrant.child_id == child(reference).id,
                RoleGrant.role == Role.SOCIAL_WORKER.value,
            )
        )
    )


def timeline(reference: str) -> list[ChildEvent]:
    return list(
        db.session.scalars(
            select(ChildEvent)
            .where(ChildEvent.child_id == child(reference).id)
            .order_by(ChildEvent.occurred_on, ChildEvent.created_at_utc)
        )
    )


def episodes(reference: str) -> list[CareEpisode]:
    return list(
        db.session.scalars(
            select(CareEpisode)
            .where(CareEpisode.child_id == child(reference).id)
            .order_by(CareEpisode.started_on)
        )
    )


def counted(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


GOOD_CHANGES = [
    (2, "C001", "new", "New child: Ava Thompson, Full care order (C2), 4 episodes of care"),
    (6, "C002", "new", "New child: Leo Okafor, Full care order (C2), 3 episodes of care"),
    (
        9,
        "C003",
        "new",
        "New child: Maya Kowalska, Placement order granted (E1), 3 episodes of care; "
        "left care on 15/09/2024",
    ),
    (
        12,
        "C004",
        "new",
        "New child: Noah Ahmed, Freeing order granted (D1), 3 episodes of care; "
        "left care on 30/06/2025",
    ),
    (15, "C005", "new", f"New child: Yonas Tesfay, {V2}, 2 episodes of care"),
    (17, "C006", "new", "New child: Jade Morris, Full care order (C2), 4 episodes of care"),
    (21, "C007", "new", f"New child: Jayden Scott, {V2}, 2 episodes of care"),
    (
        23,
        "C008",
        "new",
        "New child: Ruby Walker, Accommodated under an agreed series of short-term breaks, "
        "when individual episodes of care are recorded (V3), 2 episodes of care",
    ),
    (25, "C009", "new", "New child: Ethan Clarke, Full care order (C2), 4 episodes of care"),
]

# reference: legal status, entered care, left care, reason, previously looked after,
# PEP due, UASC, placed in, no school place, school URN, UPN
# fmt: off
GOOD_CHILDREN = {
    "C001": ("C2", date(2023, 4, 1), None, None, False, True, False, None, None, "110001",
             "U881200001501"),
    "C002": ("C2", date(2024, 1, 15), None, None, False, True, False, None, None, "110002",
             "X881200001202"),
    "C003": ("E1", date(2022, 2, 10), date(2024, 9, 15), "E11", True, False, False, None, None,
             "110001", "V881200001903"),
    "C004": ("D1", date(2020, 5, 1), date(2025, 6, 30), "E45", True, False, False, None, None,
             "110002", "Y881200000904"),
    "C005": ("V2", date(2025, 8, 12), None, None, False, True, True, None, None, "110002", None),
    "C006": ("C2", date(2021, 3, 3), None, None, False, True, False, "Herefordshire", None,
             "120001", "G88120000110A"),
    "C007": ("V2", date(2024, 2, 1), None, None, False, True, False, None, "neet", None,
             "U881200001007"),
    "C008": ("V3", date(2025, 9, 1), None, None, False, False, False, None, None, "110001",
             "F881200001408"),
    "C009": ("C2", date(2023, 10, 10), None, None, False, True, False, None, None, "110004",
             "U881200000909"),
}
# fmt: on


def test_a_good_file_brings_in_every_child_with_their_episodes(app: Flask) -> None:
    with app.app_context():
        add_schools_and_staff()
        plan = check("children_good.csv")
        assert plan.problems == []
        assert plan.counts() == {"new": 9, "problems": 0}
        assert [(c.row, c.reference, c.action, c.summary) for c in plan.changes] == GOOD_CHANGES
        commit(plan)

        for reference, expected in GOOD_CHILDREN.items():
            found = child(reference)
            school = found.current_school.urn if found.current_school else None
            assert (
                found.legal_status,
                found.date_entered_care,
                found.date_left_care,
                found.reason_left_care,
                found.previously_looked_after,
                found.has_pep_duty,
                found.uasc,
                found.placed_in_authority,
                found.no_school_place,
                school,
                found.upn,
            ) == expected, reference
        assert {reference: len(episodes(reference)) for reference in GOOD_CHILDREN} == {
            "C001": 4, "C002": 3, "C003": 3, "C004": 3, "C005": 2, "C006": 4, "C007": 2,
            "C008": 2, "C009": 4,
        }  # fmt: skip
        every_legal_status = set(db.session.scalars(select(CareEpisode.legal_status)))
        assert every_legal_status == {
            "C1", "C2", "D1", "E1", "J1", "J2", "J3", "L1", "L2", "L3", "V2", "V3", "V4"
        }  # fmt: skip
        jade = episodes("C006")[-1]
        assert (jade.placement_type, jade.placement_provider, jade.placement_postcode) == (
            "U4", "PR4", "HR1 2ST",
        )  # fmt: skip
        assert episodes("C002")[-1].provider_ofsted_urn == "SC123456"  # an Ofsted URN
        assert episodes("C008")[0].provider_ofsted_urn is None  # XXXXXX: the provider has none
        assert episodes("C001")[0].home_postcode == "WR5 2"  # the return's partial postcode
        assert child("C001").sex == "2" and child("C001").ethnicity == "WBRI"
        assert social_workers("C004") == [PRIYA]
        assert social_workers("C009") == [SAM]  # the file's Sam.Okoro@... in any case

        assert [(e.kind, e.occurred_on) for e in timeline("C003")] == [
            (ChildEventKind.ENTERED_CARE.value, date(2022, 2, 10)),
            (ChildEventKind.LEFT_CARE.value, date(2024, 9, 15)),
        ]
        left = timeline("C004")[-1]
        assert left.details["reason"] == "E45" and left.details["previously_looked_after"]
        assert left.recorded_by_description.startswith("Ada Admin <ada.admin@testshire.gov.uk>")
        assert [e.kind for e in timeline("C008")] == [ChildEventKind.ENTERED_CARE.value]
        assert timeline("C008")[0].details["to"] == (
            "In care: Accommodated under an agreed series of short-term breaks, when individual "
            "episodes of care are recorded (V3)"
        )
        actions = db.session.execute(
            select(AuditEvent.action, func.count()).group_by(AuditEvent.action)
        ).all()
        assert dict(actions) == {"child.entered_care": 9, "child.left_care": 2}


def test_the_same_file_twice_changes_nothing(app: Flask) -> None:
    with app.app_context():
        add_schools_and_staff()
        import_file("children_good.csv")
        before = [counted(m) for m in (Child, CareEpisode, ChildEvent, AuditEvent, RoleGrant)]
        plan = check("children_good.csv")
        assert plan.counts() == {"unchanged": 9, "problems": 0}
        assert {c.summary for c in plan.changes} == {
            f"No change: {name}"
            for name in (
                "Ava Thompson", "Leo Okafor", "Maya Kowalska", "Noah Ahmed", "Yonas Tesfay",
                "Jade Morris", "Jayden Scott", "Ruby Walker", "Ethan Clarke",
            )
        }  # fmt: skip
        commit(plan)
        after = [counted(m) for m in (Child, CareEpisode, ChildEvent, AuditEvent, RoleGrant)]
        assert after == before


CHANGES_A_WEEK_LATER = [
    (
        2,
        "C001",
        "changed",
        "Changed for Ava Thompson: SCHOOL_URN",
        {"SCHOOL_URN": ("110001", "110002")},
    ),
    (6, "C002", "changed", "Changed for Leo Okafor: SW_EMAIL", {"SW_EMAIL": (SAM, PRIYA)}),
    (
        9,
        "C003",
        "changed",
        "Changed for Maya Kowalska-Nowak: SURNAME",
        {"SURNAME": ("Kowalska", "Kowalska-Nowak")},
    ),
    (
        15,
        "C005",
        "changed",
        "Changed for Yonas Tesfay: LS, Episode from 01/11/2026, DEC (episode from 30/10/2025), "
        "REC (episode from 30/10/2025)",
        {
            "LS": ("V2", "C1"),
            "Episode from 01/11/2026": (None, "LS C1, PLACE U4, PLACE_PROVIDER PR5"),
            "DEC (episode from 30/10/2025)": (None, "01/11/2026"),
            "REC (episode from 30/10/2025)": (None, "X1"),
        },
    ),
    (
        22,
        "C007",
        "left",
        "Jayden Scott left care on 16/11/2026: Returned home to parents, relatives or others "
        "with parental responsibility, as part of the care planning process (E4A). Changed: "
        "Left care, DEC (episode from 02/02/2024), REC (episode from 02/02/2024)",
        {
            "Left care": ("In care", "16/11/2026 (E4A)"),
            "DEC (episode from 02/02/2024)": (None, "16/11/2026"),
            "REC (episode from 02/02/2024)": (None, "E4A"),
        },
    ),
    (
        26,
        "C009",
        "changed",
        "Changed for Ethan Clarke: Episode from 15/11/2026, DEC (episode from 01/05/2026), "
        "REC (episode from 01/05/2026)",
        {
            "Episode from 15/11/2026": (None, "LS C2, PLACE K2, PLACE_PROVIDER PR4"),
            "DEC (episode from 01/05/2026)": (None, "15/11/2026"),
            "REC (episode from 01/05/2026)": (None, "X1"),
        },
    ),
]


def test_a_reimport_reports_each_change_and_records_it_in_the_childs_timeline(
    app: Flask,
) -> None:
    with app.app_context():
        add_schools_and_staff()
        import_file("children_good.csv")
        plan = check("children_changed.csv")
        assert plan.counts() == {"changed": 5, "left": 1, "unchanged": 3, "problems": 0}
        changed = [
            (c.row, c.reference, c.action, c.summary, c.fields)
            for c in plan.changes
            if c.action != "unchanged"
        ]
        assert changed == CHANGES_A_WEEK_LATER
        commit(plan)
        today = england_today()

        ava = timeline("C001")[-1]
        assert (ava.kind, ava.occurred_on, ava.details["from"], ava.details["to"]) == (
            ChildEventKind.SCHOOL_CHANGED.value,
            today,
            "Oakfield Primary School (URN 110001)",
            "Riverside Academy (URN 110002)",
        )
        assert child("C001").current_school.urn == "110002"

        leo = timeline("C002")[-1]
        assert (leo.kind, leo.details["from"], leo.details["to"]) == (
            ChildEventKind.SOCIAL_WORKER_CHANGED.value, "Sam Okoro", "Priya Shah",
        )  # fmt: skip
        assert social_workers("C002") == [PRIYA]

        yonas = timeline("C005")[-1]
        assert (yonas.kind, yonas.occurred_on, yonas.details["from"], yonas.details["to"]) == (
            ChildEventKind.LEGAL_STATUS_CHANGED.value,
            date(2026, 11, 1),
            V2,
            "Interim care order (C1)",
        )
        assert child("C005").legal_status == "C1"
        assert [(e.started_on, e.ended_on, e.reason_ended) for e in episodes("C005")] == [
            (date(2025, 8, 12), date(2025, 10, 30), "X1"),
            (date(2025, 10, 30), date(2026, 11, 1), "X1"),
            (date(2026, 11, 1), None, None),
        ]

        jayden = child("C007")
        assert (jayden.date_left_care, jayden.reason_left_care) == (date(2026, 11, 16), "E4A")
        assert not jayden.previously_looked_after and not jayden.has_pep_duty
        left = timeline("C007")[-1]
        assert (left.kind, left.occurred_on, left.details["reason"]) == (
            ChildEventKind.LEFT_CARE.value, date(2026, 11, 16), "E4A",
        )  # fmt: skip

        moved = timeline("C009")[-1]
        assert (moved.kind, moved.occurred_on) == (
            ChildEventKind.PLACEMENT_CHANGED.value, date(2026, 11, 15),
        )  # fmt: skip
        assert (
            moved.details["from_placement_type"],
            moved.details["placement_type"],
            moved.details["provider_ofsted_urn"],
        ) == ("H5", "K2", "SC654321")
        latest = episodes("C009")[-1]
        assert (
            latest.started_on,
            latest.reason_new_episode,
            latest.legal_status,
            latest.placement_type,
            latest.placement_provider,
            latest.placement_postcode,
            latest.provider_ofsted_urn,
        ) == (date(2026, 11, 15), "P", "C2", "K2", "PR4", "WR14 1CD", "SC654321")
        assert episodes("C009")[-2].reason_ended == "X1"

        assert [e.kind for e in timeline("C004")] == [
            ChildEventKind.ENTERED_CARE.value, ChildEventKind.LEFT_CARE.value,
        ]  # fmt: skip
        updated = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "child.updated")
        ).all()
        assert sorted(a.object_id for a in updated) == sorted(
            str(child(r).id) for r in ("C003", "C005", "C007", "C009")
        )
        renamed = child("C003")
        assert (renamed.last_name, renamed.previously_looked_after) == ("Kowalska-Nowak", True)

        events = counted(ChildEvent)
        again = check("children_changed.csv")
        assert again.counts() == {"unchanged": 9, "problems": 0}
        commit(again)
        assert counted(ChildEvent) == events


def test_a_child_who_comes_back_into_care_starts_a_new_period_of_care(app: Flask) -> None:
    with app.app_context():
        add_schools_and_staff()
        import_file("children_good.csv")
        import_file("children_changed.csv")
        assert not child("C007").has_pep_duty
        plan = check("children_back_in_care.csv")
        assert plan.counts() == {"changed": 1, "unchanged": 8, "problems": 0}
        [back] = [c for c in plan.changes if c.action != "unchanged"]
        assert (back.row, back.reference, back.fields) == (
            22,
            "C007",
            {
                "LS": ("V2", "C1"),
                "Date entered care": ("01/02/2024", "20/11/2026"),
                "Left care": ("16/11/2026 (E4A)", "In care"),
                "Episode from 20/11/2026": (None, "LS C1, PLACE U6, PLACE_PROVIDER PR1"),
            },
        )
        commit(plan)
        jayden = child("C007")
        assert (jayden.date_entered_care, jayden.date_left_care, jayden.reason_left_care) == (
            date(2026, 11, 20), None, None,
        )  # fmt: skip
        assert jayden.has_pep_duty and jayden.legal_status == "C1"
        assert [(e.kind, e.occurred_on) for e in timeline("C007")] == [
            (ChildEventKind.ENTERED_CARE.value, date(2024, 2, 1)),
            (ChildEventKind.LEFT_CARE.value, date(2026, 11, 16)),
            (ChildEventKind.ENTERED_CARE.value, date(2026, 11, 20)),
        ]
        assert timeline("C007")[-1].details["to"] == "In care: Interim care order (C1)"


def left_care(reference: str) -> tuple[date | None, str | None, bool]:
    found = child(reference)
    return found.date_left_care, found.reason_left_care, found.previously_looked_after


def test_an_out_of_date_file_does_not_undo_leaving_care_recorded_by_hand(app: Flask) -> None:
    with app.app_context():
        add_schools_and_staff()
        import_file("children_good.csv")
        # Ava is adopted; an admin records it before the social-care system's next export.
        record_leaving_care(db.session, admin_actor(), child("C001"), date(2026, 10, 3), "E11")
        db.session.commit()
        events = counted(ChildEvent)

        plan = check("children_good.csv")
        [problem] = [p for p in plan.problems if p.row in (2, 3, 4, 5)]
        assert problem == Problem(
            5,
            "DEC",
            "The child left care on 3 October 2026 (recorded in OpenPEP, reason E11); this "
            "file still shows them in care, in the episode of child C001 that started on "
            "01/09/2023.",
            "Correct the episode in the social-care system (its DEC and REC), or, if the "
            "child has come back into care, add the episode that began then; then upload "
            "this file again.",
        )
        assert "C001" not in [change.reference for change in plan.changes]
        assert left_care("C001") == (date(2026, 10, 3), "E11", True)
        assert social_workers("C001") == [SAM]
        assert counted(ChildEvent) == events


def test_an_out_of_date_file_does_not_undo_leaving_care_an_earlier_file_recorded(
    app: Flask,
) -> None:
    with app.app_context():
        add_schools_and_staff()
        import_file("children_good.csv")
        import_file("children_changed.csv")
        assert left_care("C007") == (date(2026, 11, 16), "E4A", False)

        plan = check("children_good.csv")  # last month's file, uploaded again
        # Rows 16 and 28: Yonas's and Ethan's latest episodes held are not in it either.
        assert [(p.row, p.column) for p in plan.problems] == [(16, "DEC"), (22, "DEC"), (28, "DEC")]
        assert plan.problems[1].problem.startswith(
            "The child left care on 16 November 2026 (recorded in OpenPEP, reason E4A); "
            "this file still shows them in care"
        )
        assert "C007" not in [change.reference for change in plan.changes]
        assert left_care("C007") == (date(2026, 11, 16), "E4A", False)


def test_a_social_worker_whose_account_is_switched_off_is_a_problem_of_the_row(
    app: Flask,
) -> None:
    with app.app_context():
        add_schools_and_staff()
        user(SAM).active = False
        db.session.commit()
        plan = check("children_good.csv")
        assert (
            Problem(
                2,
                "SW_EMAIL",
                f"Sam Okoro's account ({SAM}) is switched off, so they cannot be this child's "
                "social worker.",
                "Give the email address of the child's social worker now, or switch the account "
                "on from the staff pages if they are back at work, then upload this file again.",
            )
            in plan.problems
        )
        assert "C001" not in [change.reference for change in plan.changes]
        assert {p.column for p in plan.problems} == {"SW_EMAIL"}


def test_children_not_in_the_file_are_left_alone(app: Flask) -> None:
    with app.app_context():
        add_schools_and_staff()
        import_file("children_good.csv")
        events = counted(ChildEvent)
        plan = import_file("hostile_formula_cells.csv")
        assert plan.counts() == {"new": 4, "problems": 0}
        assert counted(Child) == 13
        assert counted(ChildEvent) == events + 4
        assert child("C007").no_school_place == "neet"


def test_formula_like_cells_are_stored_exactly_as_text(app: Flask) -> None:
    with app.app_context():
        add_schools_and_staff()
        import_file("hostile_formula_cells.csv")
        names = {
            reference: (child(reference).first_name, child(reference).last_name)
            for reference in ("H001", "H002", "H003", "H004")
        }
        assert names == {
            "H001": ('=HYPERLINK("http://x","y")', "Formula"),
            "H002": ("+1", "-2+3"),
            "H003": ("@SUM(A1)", "Sum"),
            "H004": ("\tTabbed", "\rReturn"),
        }


def test_a_file_not_in_utf8_is_refused_whole(app: Flask) -> None:
    with pytest.raises(FileRefused) as refused:
        check("cp1252.csv")
    assert str(refused.value) == (
        "The file is not saved as UTF-8, so names with accents would be read wrongly. In "
        "Excel, choose File, Save As, and 'CSV UTF-8 (Comma delimited)', then upload it."
    )


def test_a_file_missing_a_column_is_refused_whole(app: Flask) -> None:
    with pytest.raises(FileRefused) as refused:
        check("missing_column.csv")
    assert str(refused.value).startswith("The file has no column SURNAME.")


def test_duplicate_episodes_are_refused_naming_both_rows(app: Flask) -> None:
    with app.app_context():
        add_schools_and_staff()
        plan = check("duplicate_episodes.csv")
        assert plan.changes == []
        assert plan.problems == [
            Problem(
                6,
                "DECOM",
                "Rows 5 and 6 are both the episode of child C001 that started on 01/09/2023.",
                "Keep one of rows 5 and 6, or correct its DECOM.",
            ),
            Problem(
                10,
                "DECOM",
                "Rows 7 and 10 are both the episode of child C002 that started on 15/01/2024.",
                "Keep one of rows 7 and 10, or correct its DECOM.",
            ),
            Problem(
                11,
                "DECOM",
                "Rows 7 and 11 are both the episode of child C002 that started on 15/01/2024.",
                "Keep one of rows 7 and 11, or correct its DECOM.",
            ),
        ]


BAD_ROWS = [
    (2, "DOB", "DOB (the date of birth) is 01/01/2030, which is in the future."),
    (
        3,
        "DECOM",
        "The episode starts on 01/01/2014, before the child's date of birth (01/01/2015).",
    ),
    (4, "CIN", "N9 is not an SSDA903 category of need code."),
    (4, "ETHNIC", "XXXX is not an SSDA903 ethnicity code."),
    (4, "LS", "C3 is not an SSDA903 legal status code."),
    (4, "PLACE", "Q1 is not an SSDA903 placement type code."),
    (4, "PLACE_PROVIDER", "PR9 is not an SSDA903 placement provider code."),
    (4, "RNE", "C is not an SSDA903 reason for new episode code."),
    (4, "SEX", "3 is not an SSDA903 sex code."),
    (5, "DEC", "The episode ends on 01/04/2024, before it starts (01/05/2024)."),
    (5, "REC", "The episode has an end date (DEC) but no reason it ended (REC)."),
    (6, "DEC", "The episode has a reason it ended (REC) but no end date (DEC)."),
    (7, "HOME_POST", "NOT A PC is not a postcode."),
    (7, "PL_POST", "12345 is not a postcode."),
    (7, "UPN", "The UPN A881200001501 has the wrong check letter, so it has been mistyped."),
    (
        7,
        "URN",
        "123 is not an Ofsted URN. URN here is the placement provider's Ofsted reference (not "
        "a school's).",
    ),
    (8, "SCHOOL_URN", "There is no school with the URN 999999 in the schools list."),
    (8, "SW_EMAIL", "No one with the email address nobody@testshire.gov.uk has an account."),
    (
        10,
        "DECOM",
        "This episode starts on 01/03/2024, while the episode on row 9 (01/01/2024 to no end "
        "date) has not ended.",
    ),
    (12, "DOB", "DOB is '02/01/2015' here but '01/01/2015' on row 11, for the same child (B009)."),
    (12, "FORENAME", "FORENAME is 'Bee' here but 'Bea' on row 11, for the same child (B009)."),
    (
        13,
        "REC",
        "REC is X1 (a new episode begins the same day), but no episode of child B010 starts on "
        "01/06/2024.",
    ),
    (
        14,
        "NO_SCHOOL_PLACE",
        "The row gives both a school (SCHOOL_URN) and a reason for having no school place.",
    ),
    (
        15,
        "SCHOOL_URN",
        "The row gives neither the child's school (SCHOOL_URN) nor why they have none "
        "(NO_SCHOOL_PLACE).",
    ),
    (16, "NO_SCHOOL_PLACE", "home is not a reason for having no school place."),
    (17, "DECOM", "2024/13/01 is not a date."),
    (
        17,
        "UASC",
        "UASC is Yes; it says whether the child is an unaccompanied asylum-seeking child.",
    ),
    (
        18,
        "PLACE_PROVIDER",
        "A T1 placement has no placement provider, but PLACE_PROVIDER is PR1.",
    ),
    (19, "CHILD", "CHILD (the child's reference) is blank."),
    (19, "FORENAME", "The child's first name is blank."),
    (20, "SW_EMAIL", "not-an-email is not an email address."),
]


def test_every_problem_of_every_row_is_listed_with_what_to_do(app: Flask) -> None:
    with app.app_context():
        add_schools_and_staff()
        plan = check("bad_rows.csv")
        assert [(p.row, p.column, p.problem) for p in plan.problems] == BAD_ROWS
        assert all(p.fix.strip() for p in plan.problems)
        assert plan.problems[17].fix == (
            "Add the social worker as a member of staff first (or correct the address), then "
            "upload this file again."
        )
        # Row 20 gives its reason for having no school place by its label, which is read; no
        # child is free of problems, so none would be imported.
        assert plan.changes == []
        assert counted(Child) == 0


def upload(admin: FlaskClient, name: str) -> str:
    """Upload a fixture as the admin does; the import's id."""
    response = admin.post(
        "/admin/imports",
        data={
            "csrf_token": csrf_token_from(admin, "/admin/imports"),
            "kind": ImportKind.CHILDREN.value,
            "file": (BytesIO((FILES / name).read_bytes()), name),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.headers["Location"].rsplit("/", 1)[1]


def commit_run(admin: FlaskClient, run_id: str) -> None:
    response = admin.post(
        f"/admin/imports/{run_id}/commit",
        data={"csrf_token": csrf_token_from(admin, f"/admin/imports/{run_id}")},
    )
    assert response.status_code == 303


def run_status(app: Flask, run_id: str) -> tuple[str, dict[str, int]]:
    with app.app_context():
        run = db.session.get(ImportRun, uuid.UUID(run_id))
        assert run is not None
        return run.status, run.outcome["counts"]


def test_an_admin_uploads_previews_and_commits_children_and_then_the_week_after(
    app: Flask, client_for: Callable[[str], FlaskClient]
) -> None:
    app.config["IMPORTS_IN_BACKGROUND"] = False
    with app.app_context():
        add_schools_and_staff()
        children_before = counted(Child)
    admin = client_for("admin")

    first = upload(admin, "children_good.csv")
    assert run_status(app, first) == (
        ImportStatus.PREVIEWED.value, {"new": 9, "problems": 0}
    )  # fmt: skip
    page = admin.get(f"/admin/imports/{first}").get_data(as_text=True)
    assert "New child: Ava Thompson, Full care order (C2), 4 episodes of care" in page
    with app.app_context():
        assert counted(Child) == children_before  # the preview changes nothing
    commit_run(admin, first)
    assert run_status(app, first)[0] == ImportStatus.COMMITTED.value
    with app.app_context():
        assert counted(Child) == children_before + 9
        assert len(episodes("C001")) == 4

    later = upload(admin, "children_changed.csv")
    assert run_status(app, later) == (
        ImportStatus.PREVIEWED.value,
        {"changed": 5, "left": 1, "unchanged": 3, "problems": 0},
    )
    page = admin.get(f"/admin/imports/{later}").get_data(as_text=True)
    assert "Jayden Scott left care on 16/11/2026" in page
    assert "Changed for Leo Okafor: SW_EMAIL" in page
    commit_run(admin, later)
    assert run_status(app, later)[0] == ImportStatus.COMMITTED.value
    with app.app_context():
        assert child("C007").reason_left_care == "E4A"
        assert child("C001").current_school.urn == "110002"
        assert social_workers("C002") == [PRIYA]
        # The change is the admin's, who committed the import.
        recorded_by = timeline("C002")[-1].recorded_by_description
        demo_admin = user("admin@demo.openpep.test")
        assert recorded_by.startswith(f"{demo_admin.display_name} <{demo_admin.email}>")


def check_text(text: str) -> ChildrenPlan:
    _total, rows = read_rows(
        text.encode("utf-8"),
        encodings=IMPORTER.encodings,
        required_columns=IMPORTER.required_columns,
        optional_columns=IMPORTER.optional_columns,
    )
    return IMPORTER.check(db.session, rows, lambda _done: None)


def fixture_text(name: str) -> str:
    return (FILES / name).read_bytes().decode("utf-8-sig").replace("\r\n", "\n")


def replaced(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new)


def without_column(text: str, column: str) -> str:
    rows = [line.split(",") for line in text.splitlines()]
    gone = rows[0].index(column)
    return "".join(",".join(row[:gone] + row[gone + 1 :]) + "\n" for row in rows)


def changed_rows(plan: ChildrenPlan) -> dict[str, dict[str, tuple[str | None, str | None]]]:
    return {c.reference: c.fields for c in plan.changes if c.action != "unchanged"}


@pytest.mark.parametrize("column", ["UASC", "PLACED_LA"])
def test_a_file_without_an_optional_column_leaves_what_is_held_for_it(
    app: Flask, column: str
) -> None:
    with app.app_context():
        add_schools_and_staff()
        import_file("children_good.csv")
        plan = check_text(without_column(fixture_text("children_good.csv"), column))
        assert plan.problems == []
        assert plan.counts() == {"unchanged": 9, "problems": 0}
        commit(plan)
        assert child("C005").uasc  # Y in the first file
        assert child("C006").placed_in_authority == "Herefordshire"


def test_a_new_episode_in_a_file_without_placed_la_is_not_a_move_out_of_the_area(
    app: Flask,
) -> None:
    with app.app_context():
        add_schools_and_staff()
        import_file("children_good.csv")
        # Jade's placement in Herefordshire goes on; her legal status changes on 02/11/2026.
        text = replaced(
            fixture_text("children_good.csv"),
            "01/12/2021,B,C2,N6,U4,PR4,,,WR2 6,HR1 2ST,,Herefordshire,120001,,"
            "sam.okoro@testshire.gov.uk\n",
            "01/12/2021,B,C2,N6,U4,PR4,02/11/2026,X1,WR2 6,HR1 2ST,,Herefordshire,120001,,"
            "sam.okoro@testshire.gov.uk\n"
            "C006,Jade,Morris,2,22/07/2011,WBRI,G88120000110A,,02/11/2026,L,C1,N6,U4,PR4,,,"
            "WR2 6,HR1 2ST,,Herefordshire,120001,,sam.okoro@testshire.gov.uk\n",
        )
        plan = check_text(without_column(text, "PLACED_LA"))
        assert plan.problems == []
        assert changed_rows(plan) == {
            "C006": {
                "LS": ("C2", "C1"),
                "Episode from 02/11/2026": (None, "LS C1, PLACE U4, PLACE_PROVIDER PR4"),
                "DEC (episode from 01/12/2021)": (None, "02/11/2026"),
                "REC (episode from 01/12/2021)": (None, "X1"),
            }
        }
        commit(plan)
        jade = child("C006")
        assert (jade.legal_status, jade.placed_in_authority) == ("C1", "Herefordshire")
        assert [e.kind for e in timeline("C006")] == [
            ChildEventKind.ENTERED_CARE.value, ChildEventKind.LEGAL_STATUS_CHANGED.value,
        ]  # fmt: skip


def test_a_new_child_in_a_file_without_uasc_is_not_unaccompanied(app: Flask) -> None:
    with app.app_context():
        add_schools_and_staff()
        commit(check_text(without_column(fixture_text("children_good.csv"), "UASC")))
        assert not child("C005").uasc


def test_a_reference_in_another_case_is_the_same_child_and_keeps_its_spelling(
    app: Flask,
) -> None:
    with app.app_context():
        add_schools_and_staff()
        import_file("children_good.csv")
        good = fixture_text("children_good.csv")
        plan = check_text(good.replace("\nC001,", "\nc001,").replace("\nC002,", "\nc002,"))
        assert plan.problems == []
        assert plan.counts() == {"unchanged": 9, "problems": 0}
        assert [c.reference for c in plan.changes][:2] == ["C001", "C002"]

        # The file moves Ava to another school, spelling her reference both ways.
        moved = good.replace("\nC001,", "\nc001,", 2).replace(",110001,,sam", ",110002,,sam")
        plan = check_text(moved)
        assert plan.problems == []
        assert changed_rows(plan)["C001"] == {"SCHOOL_URN": ("110001", "110002")}
        commit(plan)
        assert counted(Child) == 9
        assert child("C001").current_school.urn == "110002"
        assert len(episodes("C001")) == 4


def test_rows_spelling_a_new_childs_reference_both_ways_are_one_child(app: Flask) -> None:
    with app.app_context():
        add_schools_and_staff()
        plan = check_text(fixture_text("children_good.csv").replace("\nC001,", "\nc001,", 2))
        assert plan.problems == []
        assert plan.changes[0].reference == "c001"  # as its first row writes it
        commit(plan)
        assert counted(Child) == 9
        assert len(episodes("c001")) == 4


def test_rows_for_one_reference_in_two_cases_that_disagree_are_a_problem(app: Flask) -> None:
    with app.app_context():
        add_schools_and_staff()
        text = replaced(
            fixture_text("children_good.csv"),
            "C001,Ava,Thompson,2,14/03/2015,WBRI,U881200001501,,01/09/2023",
            "c001,Ada,Thompson,2,14/03/2015,WBRI,U881200001501,,01/09/2023",
        )
        plan = check_text(text)
        assert [(p.row, p.column, p.problem) for p in plan.problems] == [
            (
                5,
                "FORENAME",
                "FORENAME is 'Ada' here but 'Ava' on row 2, for the same child (C001, written "
                "c001 here).",
            )
        ]
        assert "C001" not in [c.reference for c in plan.changes]


def test_two_children_held_in_two_spellings_are_not_guessed_between(app: Flask) -> None:
    with app.app_context():
        add_schools_and_staff()
        import_file("children_good.csv")
        # Added before references were matched whatever their case.
        ava = child("C001")
        db.session.add(
            Child(
                first_name="Ava",
                last_name="Thompson",
                date_of_birth=ava.date_of_birth,
                authority_reference="c001",
                legal_status="C2",
                date_entered_care=ava.date_entered_care,
            )
        )
        db.session.commit()
        good = fixture_text("children_good.csv")
        assert check_text(good).counts() == {"unchanged": 9, "problems": 0}  # held as written
        plan = check_text(good.replace("\nC001,", "\nc001,", 2))
        assert [(p.row, p.column, p.problem) for p in plan.problems] == [
            (
                2,
                "CHILD",
                "OpenPEP holds two children whose references differ only in capital letters "
                "(C001 and c001), so it cannot tell which one these rows are.",
            )
        ]


LEO_LATEST = "LS C2, PLACE K2, PLACE_PROVIDER PR4"


def leo_latest_starting(day: str) -> str:
    """The good file, with the start of Leo's latest episode corrected in the social-care
    system (and the end of the one before it, which ends that day)."""
    text = replaced(
        fixture_text("children_good.csv"),
        "01/03/2024,B,C1,N4,K2,PR4,20/06/2024,X1",
        f"01/03/2024,B,C1,N4,K2,PR4,{day},X1",
    )
    return replaced(text, "X881200001202,,20/06/2024,L,C2", f"X881200001202,,{day},L,C2")


@pytest.mark.parametrize("corrected", ["21/06/2024", "19/06/2024"])
def test_a_corrected_episode_start_replaces_the_episode_held(app: Flask, corrected: str) -> None:
    with app.app_context():
        add_schools_and_staff()
        import_file("children_good.csv")
        events = counted(ChildEvent)
        plan = check_text(leo_latest_starting(corrected))
        assert plan.problems == []
        assert changed_rows(plan) == {
            "C002": {
                "DEC (episode from 01/03/2024)": ("20/06/2024", corrected),
                f"Episode from {corrected}": (None, LEO_LATEST),
                "Episode from 20/06/2024": (LEO_LATEST, "Removed: this file does not have it"),
            }
        }
        commit(plan)
        day = date(2024, 6, int(corrected[:2]))
        assert [(e.started_on, e.ended_on) for e in episodes("C002")] == [
            (date(2024, 1, 15), date(2024, 3, 1)),
            (date(2024, 3, 1), day),
            (day, None),
        ]
        assert (child("C002").legal_status, child("C002").date_entered_care) == (
            "C2", date(2024, 1, 15),
        )  # fmt: skip
        assert counted(ChildEvent) == events  # the same placement: no move
        [updated] = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "child.updated")
        ).all()
        assert updated.details["fields"]["Episode from 20/06/2024"] == [
            LEO_LATEST, "Removed: this file does not have it",
        ]  # fmt: skip
        assert check_text(leo_latest_starting(corrected)).counts() == {
            "unchanged": 9, "problems": 0,
        }  # fmt: skip


def test_an_out_of_date_file_does_not_reopen_an_episode_a_later_one_follows(app: Flask) -> None:
    with app.app_context():
        add_schools_and_staff()
        import_file("children_good.csv")
        import_file("children_changed.csv")
        yonas = [(e.started_on, e.ended_on) for e in episodes("C005")]
        plan = check("children_good.csv")  # last month's file, uploaded again
        assert plan.problems[0] == Problem(
            16,
            "DEC",
            "OpenPEP holds an episode of child C005 that started on 01/11/2026 (LS C1, PLACE "
            "U4, PLACE_PROVIDER PR5), which this file does not have; this episode has no end "
            "date, so the two would overlap. The file may be older than OpenPEP's record.",
            "Upload the latest export from the social-care system. If that still shows this, "
            "correct the episode there (its DEC and REC, or add the episode that started "
            "then), then upload the file again.",
        )
        assert "C005" not in [c.reference for c in plan.changes]
        assert [(e.started_on, e.ended_on) for e in episodes("C005")] == yonas


def test_an_episode_held_that_the_file_leaves_out_must_not_overlap_its_episodes(
    app: Flask,
) -> None:
    with app.app_context():
        add_schools_and_staff()
        import_file("children_good.csv")
        episodes("C002")[1].ended_on = date(2024, 6, 25)  # as recorded before the file said
        db.session.commit()
        lines = fixture_text("children_good.csv").splitlines(keepends=True)
        only_the_latest = lines[0] + lines[7]  # Leo's latest episode, alone
        plan = check_text(only_the_latest)
        assert [(p.row, p.column, p.problem, p.fix) for p in plan.problems] == [
            (
                2,
                "DECOM",
                "This episode starts on 20/06/2024, while the episode of child C002 that "
                "OpenPEP holds (01/03/2024 to 25/06/2024), which this file does not have, has "
                "not ended.",
                "Add that episode's row to the file, with its DEC and REC, or correct DECOM "
                "here, then upload the file again.",
            )
        ]


def test_a_file_of_this_years_episodes_alone_never_removes_earlier_history(app: Flask) -> None:
    """Leo's episode from 20/06/2024 is open in OpenPEP; in the social-care system it ended on
    15/03/2026 and another began. A file of this year's episodes lists only the new one: the
    held episode is history the file says nothing of, so it is a problem to correct (its DEC),
    never removed."""
    with app.app_context():
        add_schools_and_staff()
        import_file("children_good.csv")
        held = [(e.started_on, e.ended_on) for e in episodes("C002")]
        lines = fixture_text("children_good.csv").splitlines(keepends=True)
        plan = check_text(
            lines[0] + lines[7].replace("20/06/2024,L,C2,N4,K2,PR4", "15/03/2026,T,C2,N4,U4,PR4")
        )
        assert [(p.column, p.problem.split(",")[0]) for p in plan.problems] == [
            ("DECOM", "This episode starts on 15/03/2026")
        ]
        assert "C002" not in [c.reference for c in plan.changes]
        assert [(e.started_on, e.ended_on) for e in episodes("C002")] == held


def test_an_earlier_episode_the_file_leaves_out_is_not_removed_for_a_new_one(app: Flask) -> None:
    """An episode held (01/03/2024 to 25/06/2024, LS C1) overlapped by the file's only episode,
    which OpenPEP does not hold yet: a problem, not a removal of the earlier episode."""
    with app.app_context():
        add_schools_and_staff()
        import_file("children_good.csv")
        held = episodes("C002")
        held[1].ended_on = date(2024, 6, 25)
        db.session.delete(held[2])
        db.session.commit()
        lines = fixture_text("children_good.csv").splitlines(keepends=True)
        plan = check_text(lines[0] + lines[7])
        assert plan.problems and "C002" not in [c.reference for c in plan.changes]
        assert len(episodes("C002")) == 2
