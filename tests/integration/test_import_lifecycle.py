"""The life of an import, the same for every kind: upload, check (in the background, with
progress), preview every change and problem, commit all or nothing, once; discard; files
refused whole; the CLI. Driven through the admin's pages with a GIAS schools file."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import undefer

from portal.extensions import db
from portal.models import AuditEvent, ImportRun, ImportStatus, School, User
from portal.models.base import utc_now
from portal.operations.imports import give_up_stalled_import
from tests.conftest import csrf_token_from
from tests.integration.csv_downloads import csv_rows
from tests.integration.sql_statements import statements_sent

HEADER = (
    "URN,LA (code),LA (name),EstablishmentNumber,EstablishmentName,TypeOfEstablishment (name),"
    "EstablishmentStatus (name),PhaseOfEducation (name),Postcode\n"
)
TWO_SCHOOLS = (
    HEADER
    + "700001,999,Testshire,2001,Oak Primary School,Community school,Open,Primary,TS1 1AA\n"
    + "700002,999,Testshire,4001,Ash Academy,Academy converter,Open,Secondary,TS1 2BB\n"
)


def upload(client, content: bytes | str, kind: str = "schools", name: str = "schools.csv"):
    from io import BytesIO

    data = content.encode("cp1252") if isinstance(content, str) else content
    return client.post(
        "/admin/imports",
        data={
            "csrf_token": csrf_token_from(client, "/admin/imports"),
            "kind": kind,
            "file": (BytesIO(data), name),
        },
        content_type="multipart/form-data",
    )


def run_id_of(response) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.headers["Location"].rsplit("/", 1)[1]


def post_button(client, run_id: str, action: str):
    return client.post(
        f"/admin/imports/{run_id}/{action}",
        data={"csrf_token": csrf_token_from(client, f"/admin/imports/{run_id}")},
    )


def stored_run(app, run_id: str) -> ImportRun:
    with app.app_context():
        run = db.session.scalar(
            # The outcome is deferred (it can be large): load it before the run leaves.
            select(ImportRun)
            .where(ImportRun.id == _uuid(run_id))
            .options(undefer(ImportRun.outcome))
        )
        assert run is not None
        db.session.expunge(run)
        return run


def _uuid(text: str):
    import uuid

    return uuid.UUID(text)


def school_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(School)) or 0


@pytest.fixture
def admin(app, client_for):
    app.config["IMPORTS_IN_BACKGROUND"] = False
    return client_for("admin")


def test_a_file_is_previewed_then_committed_whole(app, admin):
    before = school_count(app)
    run_id = run_id_of(upload(admin, TWO_SCHOOLS))
    assert school_count(app) == before, "a preview changes nothing"
    page = admin.get(f"/admin/imports/{run_id}").get_data(as_text=True)
    assert "What the file would change" in page
    assert "Oak Primary School" in page and "Ash Academy" in page
    assert "Commit the import" in page
    run = stored_run(app, run_id)
    assert run.status == ImportStatus.PREVIEWED.value
    assert run.outcome["counts"]["new"] == 2 and run.outcome["counts"]["problems"] == 0

    response = post_button(admin, run_id, "commit")
    assert response.status_code == 303
    assert school_count(app) == before + 2
    run = stored_run(app, run_id)
    assert run.status == ImportStatus.COMMITTED.value
    assert run.committed_at_utc is not None
    with app.app_context():
        assert db.session.get(ImportRun, run.id).content is None, "the file is not kept after"
        actions = set(
            db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == run_id))
        )
    assert {"import.uploaded", "import.commit_started", "import.committed"} <= actions
    page = admin.get(f"/admin/imports/{run_id}").get_data(as_text=True)
    assert "What the file changed" in page and "Commit the import" not in page


def test_the_same_file_twice_changes_nothing_the_second_time(app, admin):
    first = run_id_of(upload(admin, TWO_SCHOOLS))
    post_button(admin, first, "commit")
    with app.app_context():
        snapshot = sorted(
            (s.urn, s.name, s.updated_at_utc) for s in db.session.scalars(select(School))
        )
    second = run_id_of(upload(admin, TWO_SCHOOLS))
    run = stored_run(app, second)
    assert run.outcome["counts"].get("new", 0) == 0
    assert run.outcome["counts"].get("changed", 0) == 0
    assert run.outcome["counts"]["unchanged"] == 2
    assert "No row changes anything" in admin.get(f"/admin/imports/{second}").get_data(as_text=True)
    post_button(admin, second, "commit")
    assert stored_run(app, second).status == ImportStatus.COMMITTED.value
    with app.app_context():
        assert snapshot == sorted(
            (s.urn, s.name, s.updated_at_utc) for s in db.session.scalars(select(School))
        )


def test_a_file_with_problems_cannot_be_committed(app, admin):
    before = school_count(app)
    bad = TWO_SCHOOLS + "12,999,Testshire,2002,,Community school,Open,Primary,TS1 1AC\n"
    run_id = run_id_of(upload(admin, bad))
    page = admin.get(f"/admin/imports/{run_id}").get_data(as_text=True)
    assert "Problems to fix in the file" in page
    assert "Commit the import" not in page
    assert re.search(r">\s*(<span[^>]*>Row</span>)?\s*4\s*<", page), "the problem names row 4"
    refused = post_button(admin, run_id, "commit")
    assert refused.status_code == 303
    page = admin.get(f"/admin/imports/{run_id}").get_data(as_text=True)
    assert "This file has problems, so nothing can be imported from it" in page
    assert school_count(app) == before, "not even the good rows were imported"
    rows = csv_rows(admin.get(f"/admin/imports/{run_id}/problems.csv"))
    assert rows[0] == ["Row", "Column", "What is wrong", "What to do"]
    assert any(row[0] == "4" for row in rows[1:])


def test_problem_cells_in_the_download_never_run_as_formulas(app, admin):
    hostile = HEADER + '=1+2,999,Testshire,2001,"=HYPERLINK(""http://x"")",X,Open,Primary,TS1\n'
    run_id = run_id_of(upload(admin, hostile))
    rows = csv_rows(admin.get(f"/admin/imports/{run_id}/problems.csv"))
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@")), row


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"URN,EstablishmentName\n100001,Oak\n", "The file has no column"),
        (b"PK\x03\x04 not really a workbook", "Excel workbook"),
        ("\ufeff" + TWO_SCHOOLS, None),  # UTF-8 with a byte order mark is fine
        (TWO_SCHOOLS.encode("utf-16"), "UTF-16"),
        (HEADER.encode("ascii"), "no rows below it"),
    ],
)
def test_files_that_cannot_be_read_are_refused_in_plain_words(app, admin, content, words):
    data = content.encode("utf-8") if isinstance(content, str) else content
    run_id = run_id_of(upload(admin, data))
    run = stored_run(app, run_id)
    page = admin.get(f"/admin/imports/{run_id}").get_data(as_text=True)
    if words is None:
        assert run.status == ImportStatus.PREVIEWED.value, run.refusal
        return
    assert words in (run.refusal or "") + page
    assert "Commit the import" not in page


def test_a_file_over_the_size_limit_is_refused_and_nothing_is_kept(app, admin):
    app.config["IMPORT_MAX_BYTES"] = 200
    response = upload(admin, TWO_SCHOOLS + "700003,999,Testshire,1,Elm School,X,Open,Primary,A\n")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "more than the 200 bytes an import can be" in page
    assert 'href="#file"' in page, "the error summary links to the file box"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ImportRun)) == 0


def test_an_upload_without_a_kind_or_a_file_says_what_to_do(admin):
    response = admin.post(
        "/admin/imports", data={"csrf_token": csrf_token_from(admin, "/admin/imports")}
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Select what the file holds" in page and "Select a CSV file to upload" in page


def test_a_preview_is_committed_once_however_many_times_it_is_asked(app, admin):
    run_id = run_id_of(upload(admin, TWO_SCHOOLS))
    post_button(admin, run_id, "commit")
    again = post_button(admin, run_id, "commit")
    assert again.status_code == 303
    page = admin.get(f"/admin/imports/{run_id}").get_data(as_text=True)
    assert "This import was already committed by Chris Byrne" in page
    with app.app_context():
        committed = db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "import.committed", AuditEvent.object_id == run_id)
        )
    assert committed == 1


def test_a_newer_upload_replaces_an_uncommitted_preview(app, admin):
    first = run_id_of(upload(admin, TWO_SCHOOLS))
    second = run_id_of(upload(admin, TWO_SCHOOLS))
    assert stored_run(app, first).status == ImportStatus.DISCARDED.value
    post_button(admin, first, "commit")
    assert "replaced by a newer upload" in admin.get(f"/admin/imports/{first}").get_data(
        as_text=True
    )
    assert stored_run(app, second).status == ImportStatus.PREVIEWED.value


def test_discarding_a_preview_imports_nothing(app, admin):
    before = school_count(app)
    run_id = run_id_of(upload(admin, TWO_SCHOOLS))
    post_button(admin, run_id, "discard")
    run = stored_run(app, run_id)
    assert run.status == ImportStatus.DISCARDED.value
    assert school_count(app) == before
    with app.app_context():
        assert db.session.get(ImportRun, run.id).content is None


def test_checking_runs_in_the_background_and_the_page_shows_progress(app, admin):
    app.config["IMPORTS_IN_BACKGROUND"] = True
    rows = "".join(
        f"7{n:05d},999,Testshire,{n},School number {n},Community school,Open,Primary,TS1 1AA\n"
        for n in range(1, 1201)
    )
    run_id = run_id_of(upload(admin, HEADER + rows))
    poll_headers = {"HX-Request": "true", "HX-Target": "import-status"}
    deadline = time.monotonic() + 60
    while True:
        response = admin.get(f"/admin/imports/{run_id}", headers=poll_headers)
        fragment = response.get_data(as_text=True)
        assert fragment.lstrip().startswith('<div id="import-status"'), fragment[:200]
        if "HX-Refresh" in response.headers:
            break
        assert "rows checked" in fragment or "Checked" in fragment
        assert time.monotonic() < deadline, "the check did not finish"
        time.sleep(0.2)
    run = stored_run(app, run_id)
    assert run.status == ImportStatus.PREVIEWED.value
    assert run.rows_total == 1200 and run.rows_done == 1200
    assert run.outcome["counts"]["new"] == 1200


def test_a_check_whose_worker_went_away_is_marked_stopped(app, admin):
    app.config["IMPORTS_IN_BACKGROUND"] = True
    with app.app_context():
        run = ImportRun(
            kind="schools",
            status=ImportStatus.CHECKING.value,
            file_name="lost.csv",
            sha256="0" * 64,
            byte_size=10,
            content=b"URN\n",
            rows_done=0,
            outcome={},
        )
        db.session.add(run)
        db.session.commit()
        run_id = run.id
        assert not give_up_stalled_import(db.session, run)  # still within its time
        assert give_up_stalled_import(db.session, run, now=utc_now() + timedelta(minutes=11))
    page = admin.get(f"/admin/imports/{run_id}").get_data(as_text=True)
    assert "This import stopped before it finished" in page


def test_the_cli_checks_and_commits_the_same_way(app, tmp_path):
    path = tmp_path / "edubasealldata.csv"
    path.write_bytes(TWO_SCHOOLS.encode("cp1252"))
    runner = app.test_cli_runner()
    checked = runner.invoke(args=["import", "schools", str(path)])
    assert checked.exit_code == 0, checked.output
    assert "2 new" in checked.output and "Nothing was changed" in checked.output
    assert school_count(app) == 0
    committed = runner.invoke(args=["import", "schools", str(path), "--commit"])
    assert committed.exit_code == 0, committed.output
    assert "Imported" in committed.output
    assert school_count(app) == 2
    refused = tmp_path / "wrong.csv"
    refused.write_bytes(b"URN,Name\n1,x\n")
    result = runner.invoke(args=["import", "schools", str(refused)])
    assert result.exit_code != 0 and "The file has no column" in result.output


def test_only_admins_reach_imports(client_for):
    for who in ("reviewer", "social_worker", "dt_oakfield", "carer"):
        client = client_for(who)
        assert client.get("/admin/imports").status_code == 403, who


def test_a_file_far_over_the_limit_is_stopped_before_it_is_read(app, admin):
    app.config["IMPORT_MAX_BYTES"] = 1_000_000
    response = upload(admin, b"URN\n" + b"1" * 1_200_000)
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "The file is larger than the 1 MB an import can be" in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ImportRun)) == 0


def audit_events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))
        db.session.expunge_all()
        return events


def test_reading_a_preview_is_recorded_but_its_progress_polls_are_not(app, admin):
    run_id = run_id_of(upload(admin, TWO_SCHOOLS))
    poll = admin.get(
        f"/admin/imports/{run_id}", headers={"HX-Request": "true", "HX-Target": "import-status"}
    )
    assert poll.status_code == 200
    assert audit_events(app, "import.viewed") == []
    assert admin.get(f"/admin/imports/{run_id}").status_code == 200
    admin.get(f"/admin/imports/{run_id}?changes_page=2")
    viewed = audit_events(app, "import.viewed")
    assert [(event.object_type, event.object_id) for event in viewed] == [
        ("import", run_id),
        ("import", run_id),
    ]
    assert all(event.details["kind"] == "schools" for event in viewed)
    assert all(event.actor_user_id is not None for event in viewed)


def test_downloading_an_imports_problems_is_recorded(app, admin):
    bad = TWO_SCHOOLS + "12,999,Testshire,2002,,Community school,Open,Primary,TS1 1AC\n"
    run_id = run_id_of(upload(admin, bad))
    assert audit_events(app, "import.problems_downloaded") == []
    response = admin.get(f"/admin/imports/{run_id}/problems.csv")
    assert "no-store" in response.headers["Cache-Control"]
    rows = len(csv_rows(response)) - 1
    [downloaded] = audit_events(app, "import.problems_downloaded")
    assert (downloaded.object_type, downloaded.object_id) == ("import", run_id)
    assert downloaded.details["rows"] == rows >= 1
    assert downloaded.actor_user_id is not None


def add_runs(app, count: int, first: int = 0) -> None:
    """Runs uploaded and committed by different people, each with a large outcome."""
    with app.app_context():
        for number in range(first, first + count):
            uploader = User(email=f"uploader{number}@example.test", display_name=f"Up {number}")
            committer = User(email=f"committer{number}@example.test", display_name=f"Co {number}")
            db.session.add_all([uploader, committer])
            db.session.flush()
            counts = {"new": 500, "problems": number % 2}
            db.session.add(
                ImportRun(
                    kind="schools",
                    status=ImportStatus.PREVIEWED.value if number % 2 else "committed",
                    file_name=f"file-{number}.csv",
                    sha256="0" * 64,
                    byte_size=10,
                    rows_done=500,
                    outcome={"counts": counts, "changes": [{"action": "new"}] * 500},
                    counts=counts,
                    uploaded_by_id=uploader.id,
                    committed_by_id=None if number % 2 else committer.id,
                )
            )
        db.session.commit()


def test_the_list_of_imports_costs_the_same_queries_however_many_runs(app, admin):
    add_runs(app, 2)
    with statements_sent(app) as few:
        page = admin.get("/admin/imports")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Has problems" in text and "Imported" in text
    assert "by Up 1" in text
    assert re.search(r"Imported</strong>\s*by Co 0", text), "who committed it"
    add_runs(app, 18, first=2)  # 20 runs: a whole page
    with statements_sent(app) as many:
        assert admin.get("/admin/imports").status_code == 200
    assert len(many) == len(few)
    # The list never reads an outcome (a GIAS import holds tens of thousands of changes).
    assert not [s for s in many if "outcome" in s.lower()]


def test_the_counts_migration_copies_each_runs_counts_out_of_its_outcome(migrated_database):
    """Runs made before counts had their own column keep their status tags."""
    import uuid

    import sqlalchemy as sa
    from alembic import command

    from portal.migrate import alembic_config, upgrade_to_latest

    engine = sa.create_engine(migrated_database)
    with engine.begin() as connection:
        config = alembic_config(engine)
        config.attributes["connection"] = connection
        command.downgrade(config, "0011")
    runs = sa.table(
        "import_runs",
        *(sa.column(name, sa.String) for name in ("kind", "status", "file_name", "sha256")),
        sa.column("id", sa.Uuid),
        sa.column("byte_size", sa.Integer),
        sa.column("rows_done", sa.Integer),
        sa.column("outcome", sa.JSON),
        sa.column("created_at_utc", sa.DateTime(timezone=True)),
        sa.column("updated_at_utc", sa.DateTime(timezone=True)),
    )
    with_counts, without_counts = uuid.uuid4(), uuid.uuid4()
    now = utc_now()
    with engine.begin() as connection:
        for run_id, outcome in (
            (with_counts, {"counts": {"new": 3, "problems": 2}, "changes": [{"action": "new"}]}),
            (without_counts, {}),
        ):
            connection.execute(
                runs.insert().values(
                    id=run_id, kind="schools", status="previewed", file_name="f.csv",
                    sha256="0" * 64, byte_size=1, rows_done=0, outcome=outcome,
                    created_at_utc=now, updated_at_utc=now,
                )
            )  # fmt: skip
    upgrade_to_latest(engine)
    counts = sa.table("import_runs", sa.column("id", sa.Uuid), sa.column("counts", sa.JSON))
    with engine.connect() as connection:
        stored = dict(connection.execute(sa.select(counts.c.id, counts.c.counts)).all())
    engine.dispose()
    assert stored == {with_counts: {"new": 3, "problems": 2}, without_counts: {}}


def test_the_cli_never_prints_a_cells_control_characters(app, tmp_path):
    path = tmp_path / "hostile.csv"
    escape = "\x1b]0;owned\x07\x1b[2J"
    row = f"700009,999,Testshire,1,{escape}Oak,Community school,Open,Primary,TS1\n"
    path.write_bytes((HEADER + row).encode())
    result = app.test_cli_runner().invoke(args=["import", "schools", str(path)])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "\ufffd]0;owned\ufffd\ufffd[2J" in result.output
