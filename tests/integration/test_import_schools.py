"""The GIAS import against the database, with real files: good, changed, bad and hostile."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.imports.reading import FileRefused, read_rows
from portal.models import School
from portal.operations.audit import Actor
from portal.operations.importers.schools import IMPORTER, SchoolsPlan

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "imports" / "schools"
ACTOR = Actor.system("schools import test")


def check(file_name: str) -> SchoolsPlan:
    _, rows = read_rows(
        (FIXTURES / file_name).read_bytes(),
        encodings=IMPORTER.encodings,
        required_columns=IMPORTER.required_columns,
        optional_columns=IMPORTER.optional_columns,
    )
    done: list[int] = []
    plan = IMPORTER.check(db.session, rows, done.append)
    assert done, "progress is reported"
    return plan


def import_file(file_name: str) -> SchoolsPlan:
    plan = check(file_name)
    assert plan.problems == []
    IMPORTER.apply(db.session, ACTOR, plan)
    db.session.commit()
    return plan


def schools_by_urn() -> dict[str, School]:
    db.session.expire_all()
    return {school.urn: school for school in db.session.scalars(select(School)) if school.urn}


EXPECTED_PHASES = {
    "116201": "early_years",  # LA nursery school
    "116202": "primary",
    "116203": "secondary",  # middle deemed secondary
    "116204": "primary",  # middle deemed primary
    "137205": "secondary",
    "116206": "all_through",
    "116207": "special",  # community special, phase not applicable
    "140208": "special",  # special academy whose phase says secondary: the type decides
    "116209": "alternative_provision",  # pupil referral unit
    "141210": "alternative_provision",  # AP academy
    "130741": "post_16",  # general FE college
    "130742": "post_16",  # sixth form college
    "147213": "post_16",  # 16 to 19 free school
    "116214": "post_16",  # sixth form centre
    "116215": "all_through",  # independent, 7 to 18: by its age range
    "116216": "primary",  # independent prep school, 3 to 11
    "116217": "special",  # non-maintained special
    "116218": "secondary",  # closed middle school
    "116219": "primary",
    "150220": "primary",
    "100221": "all_through",  # independent in another authority, 3 to 18
    "101222": "primary",
    "139223": "secondary",
    "122224": "secondary",  # secure unit, 10 to 17
    "400225": "all_through",  # Welsh establishment, no ages: its type's phase
    "130226": "special",  # special post-16 institution
    "142227": "secondary",  # UTC, phase not applicable, no ages
}


def test_a_gias_extract_imports_every_school_with_its_phase(app):
    with app.app_context():
        plan = import_file("gias_extract.csv")
        assert plan.counts() == {"new": 27, "problems": 0}
        schools = schools_by_urn()
        assert {urn: school.phase for urn, school in schools.items()} == EXPECTED_PHASES
        assert all(school.source == "gias" for school in schools.values())


def test_the_cp1252_names_are_read_as_written(app):
    with app.app_context():
        import_file("gias_extract.csv")
        schools = schools_by_urn()
        assert schools["116202"].name == "St Mary\u2019s Catholic Primary School"
        assert schools["101222"].name == "École Française Jacques Prévert"
        assert schools["100221"].local_authority == "Kensington and Chelsea"


def test_what_the_extract_says_is_stored(app):
    with app.app_context():
        import_file("gias_extract.csv")
        schools = schools_by_urn()
        closed = schools["116218"]
        assert (closed.status, closed.closed_on, closed.is_closed) == (
            "Closed",
            date(2019, 8, 31),
            True,
        )
        closing = schools["116219"]
        assert (closing.status, closing.closed_on, closing.is_closed) == (
            "Open, but proposed to close",
            date(2027, 8, 31),
            False,
        )
        college = schools["130741"]
        assert (college.ukprn, college.establishment_type, college.postcode) == (
            "10007928",
            "Further education",
            "WR1 2JF",
        )
        assert schools["116201"].ukprn is None


def test_a_utf8_extract_is_read_too(app):
    with app.app_context():
        plan = import_file("gias_extract_utf8.csv")
        assert plan.counts() == {"new": 3, "problems": 0}
        assert schools_by_urn()["116202"].name == "St Mary\u2019s Catholic Primary School"


def test_the_same_file_twice_changes_nothing(app):
    with app.app_context():
        import_file("gias_extract.csv")
        before = {
            urn: (s.name, s.phase, s.status, s.closed_on, s.updated_at_utc)
            for urn, s in schools_by_urn().items()
        }
        again = import_file("gias_extract.csv")
        assert again.counts() == {"unchanged": 27, "problems": 0}
        assert (again.inserts, again.updates) == ([], [])
        after = {
            urn: (s.name, s.phase, s.status, s.closed_on, s.updated_at_utc)
            for urn, s in schools_by_urn().items()
        }
        assert after == before


def test_a_changed_extract_updates_what_changed_and_reports_each_change(app):
    with app.app_context():
        import_file("gias_extract.csv")
        plan = import_file("gias_extract_changed.csv")
        assert plan.counts() == {"new": 1, "changed": 6, "closed": 1, "unchanged": 19,
                                 "problems": 0}  # fmt: skip
        reported = {c.reference: (c.action, c.fields) for c in plan.changes
                    if c.action in {"changed", "closed"}}  # fmt: skip
        assert reported == {
            "116202": ("changed", {"Name": ("St Mary\u2019s Catholic Primary School",
                                            "St Mary\u2019s Catholic Primary School, Worcester")}),
            "116203": ("changed", {"Type": ("Community school", "Academy converter")}),
            "116206": ("changed", {"Phase": ("All-through", "Secondary")}),
            "116209": ("closed", {"Status": ("Open", "Closed"),
                                  "Close date": (None, "31 December 2026")}),
            "139223": ("changed", {"Local authority": ("Herefordshire, County of",
                                                       "Worcestershire")}),
            "116215": ("changed", {"Postcode": ("GL20 7HH", "GL20 7HJ")}),
            "116219": ("changed", {"Close date": ("31 August 2027", "31 August 2028")}),
        }  # fmt: skip
        schools = schools_by_urn()
        assert schools["116209"].is_closed
        assert schools["116209"].closed_on == date(2026, 12, 31)
        assert schools["116206"].phase == "secondary"
        assert schools["150228"].name == "Perdiswell Free School"
        # Not in the second file: left alone, not closed, not deleted.
        assert schools["100221"].status == "Open"
        assert len(schools) == 28


def test_a_filtered_extract_leaves_the_rest_of_england_alone(app):
    with app.app_context():
        import_file("gias_extract.csv")
        plan = import_file("gias_extract_utf8.csv")  # three Worcestershire schools
        assert plan.counts() == {"unchanged": 3, "problems": 0}
        assert all(not s.is_closed for urn, s in schools_by_urn().items() if urn != "116218")


def test_a_setting_added_by_hand_with_the_urn_becomes_the_gias_school(app):
    with app.app_context():
        db.session.add(School(urn="116202", name="St Marys", phase="primary",
                              local_authority="Worcestershire", source="manual"))  # fmt: skip
        db.session.commit()
        plan = import_file("gias_extract.csv")
        change = next(c for c in plan.changes if c.reference == "116202")
        assert change.action == "changed"
        assert change.fields["Source"] == ("Added by hand", "From GIAS")
        assert schools_by_urn()["116202"].source == "gias"


def test_formula_cells_are_stored_exactly_as_text(app):
    with app.app_context():
        import_file("hostile_formula_cells.csv")
        schools = schools_by_urn()
        assert schools["116301"].name == "=cmd|' /C calc'!A0"
        assert schools["116302"].name == "@SUM(1+1)*cmd|' /C calc'!A0"
        assert schools["116303"].name == "+44 Academy"
        assert schools["116303"].local_authority == "-2+3"


def test_duplicate_urns_are_a_problem_on_each_later_row_naming_the_first(app):
    with app.app_context():
        plan = check("duplicate_urns.csv")
        assert [(p.row, p.column, p.problem) for p in plan.problems] == [
            (4, "URN", "URN 116401 is also on row 2."),
            (5, "URN", "URN 116401 is also on row 2."),
        ]
        assert all("delete this row or row 2" in p.fix for p in plan.problems)


def test_every_bad_row_is_a_problem_saying_what_to_do(app):
    with app.app_context():
        plan = check("bad_rows.csv")
        assert [(p.row, p.column) for p in plan.problems] == [
            (2, "URN"),
            (3, "URN"),
            (4, "EstablishmentName"),
            (5, "TypeOfEstablishment (name)"),
            (6, "CloseDate"),
            (7, "UKPRN"),
            (8, "EstablishmentStatus (name)"),
        ]
        problems = {p.row: p for p in plan.problems}
        assert problems[2].problem == "The URN '12345' is not 6 digits."
        assert problems[3].problem == "The URN 'ABC123' is not 6 digits."
        assert problems[4].problem == "The school's name is missing."
        assert "'Space station'" in problems[5].problem
        assert "'Zero gravity'" in problems[5].problem
        assert problems[6].problem == "The close date '31-02-2024' is not a date."
        assert problems[7].problem == "The UKPRN '2000123' is not 8 digits starting with 1."
        assert "Open, but proposed to close" in problems[8].fix
        assert all(p.fix for p in plan.problems)
        # The good row is still worked out; nothing is written while problems remain.
        assert [c.reference for c in plan.changes] == ["116508"]


def test_a_ukprn_held_by_a_setting_added_by_hand_is_a_problem(app):
    with app.app_context():
        db.session.add(School(name="HoW Training", phase="post_16", ukprn="10007928",
                              local_authority="Worcestershire", source="manual"))  # fmt: skip
        db.session.commit()
        plan = check("gias_extract.csv")
        assert [(p.row, p.column) for p in plan.problems] == [(12, "UKPRN")]
        assert "HoW Training" in plan.problems[0].problem


@pytest.mark.parametrize(
    ("file_name", "refusal"),
    [
        ("hostile_utf16.csv", "UTF-16"),
        ("missing_urn.csv", "no column URN"),
    ],
)
def test_whole_files_are_refused_in_plain_english(file_name, refusal):
    with pytest.raises(FileRefused, match=refusal):
        read_rows(
            (FIXTURES / file_name).read_bytes(),
            encodings=IMPORTER.encodings,
            required_columns=IMPORTER.required_columns,
            optional_columns=IMPORTER.optional_columns,
        )


def test_the_real_extract_goes_through_the_import_lifecycle(app, client_for):
    """Upload, preview, commit through the admin's pages; then the changed extract."""
    from io import BytesIO

    from tests.conftest import csrf_token_from

    app.config["IMPORTS_IN_BACKGROUND"] = False
    admin = client_for("admin")

    def upload(file_name: str) -> str:
        response = admin.post(
            "/admin/imports",
            data={
                "csrf_token": csrf_token_from(admin, "/admin/imports"),
                "kind": "schools",
                "file": (BytesIO((FIXTURES / file_name).read_bytes()), file_name),
            },
            content_type="multipart/form-data",
        )
        assert response.status_code == 303, response.get_data(as_text=True)
        return response.headers["Location"].rsplit("/", 1)[1]

    def commit(run_id: str) -> None:
        token = csrf_token_from(admin, f"/admin/imports/{run_id}")
        response = admin.post(f"/admin/imports/{run_id}/commit", data={"csrf_token": token})
        assert response.status_code == 303

    run_id = upload("gias_extract.csv")
    preview = admin.get(f"/admin/imports/{run_id}").get_data(as_text=True)
    assert "École Française Jacques Prévert" in preview
    with app.app_context():
        assert db.session.scalar(select(School).where(School.urn == "116202")) is None
    commit(run_id)
    with app.app_context():
        assert schools_by_urn()["101222"].name == "École Française Jacques Prévert"

    run_id = upload("gias_extract_changed.csv")
    preview = admin.get(f"/admin/imports/{run_id}?show=changed").get_data(as_text=True)
    assert "Herefordshire, County of" in preview and "GL20 7HJ" in preview
    commit(run_id)
    with app.app_context():
        schools = schools_by_urn()
        assert schools["116209"].is_closed
        assert schools["139223"].local_authority == "Worcestershire"


def check_rows(*rows: list[str]) -> SchoolsPlan:
    from benchmarks.imports.gias_extract import extract_bytes

    _, read = read_rows(
        extract_bytes(rows),
        encodings=IMPORTER.encodings,
        required_columns=IMPORTER.required_columns,
        optional_columns=IMPORTER.optional_columns,
    )
    return IMPORTER.check(db.session, read, lambda done: None)


def test_a_ukprn_on_two_rows_stays_with_the_first_and_is_noted(app):
    from benchmarks.imports.gias_extract import school_row

    with app.app_context():
        plan = check_rows(
            school_row(urn="116601", name="Old College", type_name="Further education",
                       phase="16 plus", status="Closed", ukprn="10099999"),
            school_row(urn="116602", name="New College", type_name="Further education",
                       phase="16 plus", ukprn="10099999"),
        )  # fmt: skip
        assert plan.problems == []
        assert [c.summary for c in plan.changes] == [
            "New school: Old College (URN 116601)",
            "New school: New College (URN 116602) "
            "(UKPRN 10099999 left off: another school already has it)",
        ]
        IMPORTER.apply(db.session, ACTOR, plan)
        db.session.commit()
        schools = schools_by_urn()
        assert (schools["116601"].ukprn, schools["116602"].ukprn) == ("10099999", None)


def test_a_setting_added_by_hand_with_the_urn_and_ukprn_is_taken_over_without_a_problem(app):
    from benchmarks.imports.gias_extract import school_row

    with app.app_context():
        db.session.add(School(urn="116603", ukprn="10088888", name="Skills Hub", phase="post_16",
                              local_authority="Worcestershire", source="manual"))  # fmt: skip
        db.session.commit()
        plan = check_rows(
            school_row(urn="116603", name="Skills Hub College", type_name="Further education",
                       phase="16 plus", ukprn="10088888"),
        )  # fmt: skip
        assert plan.problems == []
        assert plan.changes[0].fields["Source"] == ("Added by hand", "From GIAS")
        assert "UKPRN" not in plan.changes[0].fields
