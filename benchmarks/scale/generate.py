"""Build a realistic authority on PostgreSQL: schools, staff and their roles, children with care
episodes, life events, five years of termly PEPs and an audit trail; seeded, so the same
arguments (and the same date) give the same data.

    .venv/bin/python -m benchmarks.scale.generate --children 10000 [--database-url URL]

Without a URL (or OPENPEP_BENCH_DATABASE_URL) it starts a throwaway cluster, fills it, reports
the time it took and removes it again (useful only to time the generator); `run.py` keeps the
cluster for the load run.

How it stays fast at 100,000 children (about a million PEPs, 17 million section rows): Python
decides everything random once per child and per PEP (who, when, which state, which of a pool of
answer sets) and sends those decisions as COPY text lines to a plan table. PostgreSQL then makes
the bulky rows itself from the plan in a few set-based statements: each PEP's sections (joined to
the pool of answer sets, already JSON), its audit trail and its snapshot. Identifiers of those
rows are md5 hashes of the PEP's identifier, so they are the same each time too. Indexes of the
big tables are dropped before the load and built afterwards, and foreign keys are not checked
row by row during the load (session_replication_role = replica: the generator writes parents
before children itself), which is what a bulk load into an empty database may do.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import create_engine

from forms import choose_voice_band
from forms.realistic_answers import ChildStory, DemoPeople, realistic_pep_answers
from forms.schema import DEFAULT_DIRECTORY, FormDefinition, SectionType
from portal.academic import TERM_ORDER, Term, current_term, year_group_on
from portal.form_registry import _registry_in
from portal.migrate import upgrade_to_latest
from workflows.pep import PepState
from workflows.roles import Role

EMAIL_DOMAIN = "bench.openpep.test"
AUTHORITY = "Benchshire"
OTHER_AUTHORITIES = ("Northshire", "Westborough", "Eastmere", "Southvale", "Greater Fenton")
FIRST_NAMES = (
    "Amelia",
    "Olivia",
    "Isla",
    "Ava",
    "Mia",
    "Ivy",
    "Lily",
    "Freya",
    "Grace",
    "Sophia",
    "Aisha",
    "Zara",
    "Maya",
    "Ruby",
    "Ellie",
    "Poppy",
    "Noah",
    "Oliver",
    "George",
    "Leo",
    "Arthur",
    "Muhammad",
    "Harry",
    "Oscar",
    "Jack",
    "Charlie",
    "Theo",
    "Alfie",
    "Jacob",
    "Ethan",
    "Kai",
    "Tyler",
    "Reuben",
    "Kofi",
    "Tomasz",
    "Daniel",
    "Samuel",
    "Ayaan",
    "Luca",
    "Mason",
)
LAST_NAMES = (
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Patel",
    "Robinson",
    "Wright",
    "Thompson",
    "Evans",
    "Walker",
    "White",
    "Roberts",
    "Green",
    "Hall",
    "Wood",
    "Jackson",
    "Clarke",
    "Khan",
    "Hussain",
    "Ali",
    "Begum",
    "Kowalski",
    "Mensah",
    "Okafor",
    "Holloway",
    "Barker",
    "Whitfield",
    "Kaur",
    "Doyle",
    "Sutton",
    "Griffiths",
    "Bryant",
    "Lomax",
    "Farrell",
    "Nowak",
    "Murphy",
    "Kelly",
    "Hughes",
    "Edwards",
    "Hill",
    "Moore",
    "Martin",
    "Lee",
    "Harris",
    "Cooper",
)
LEGAL_STATUSES = ("C2",) * 12 + ("E1",) * 2 + ("V2",) * 4 + ("J2", "C1", "L1")
PLACEMENT_TYPES = ("U1", "U3", "U4", "U5", "U6", "K2", "R1", "P1")
REASONS_LEFT = ("E11", "E12", "E13", "E4A", "E41", "E8")
SCHOOL_PHASES = (
    ("primary", "Community school", 55),
    ("secondary", "Academy converter", 25),
    ("special", "Community special school", 6),
    ("early_years", "Private nursery", 6),
    ("post_16", "Further education", 5),
    ("alternative_provision", "Pupil referral unit", 3),
)
SCHOOL_NAME_ENDINGS = {
    "primary": "Primary School",
    "secondary": "Academy",
    "special": "School",
    "early_years": "Nursery",
    "post_16": "College",
    "alternative_provision": "Learning Centre",
}
# An open PEP's state for the children who have one this term: most are still being written.
OPEN_STATE_MIX = (
    (PepState.DRAFT, 50),
    (PepState.SUBMITTED, 20),
    (PepState.RETURNED, 8),
    (PepState.APPROVED, 22),
)
ANSWER_POOL_SIZE = 24  # answer sets per form
YEARS_OF_PEPS = 5


def utc(on: date, hour: int = 10) -> datetime:
    return datetime.combine(on, clock_time(hour, 0), tzinfo=UTC)


NULL = "\\N"


def copy_value(value: Any) -> str:
    """One value in COPY's text format. Only the few small tables go through here; the values
    the generator writes never hold tabs, newlines or backslashes (checked for JSON)."""
    if value is None:
        return NULL
    if value is True:
        return "t"
    if value is False:
        return "f"
    return str(value)


def json_text(value: Any) -> str:
    text = json.dumps(value)
    if "\\" in text or "\t" in text or "\n" in text:
        raise ValueError(f"{text!r} would need escaping for COPY")
    return text


@dataclass
class Table:
    """COPY text lines for one table, sent every few thousand children."""

    name: str
    columns: tuple[str, ...]
    lines: list[str] = field(default_factory=list)

    def add(self, *values: Any) -> None:
        self.lines.append("\t".join([copy_value(value) for value in values]))


@dataclass(frozen=True)
class AnswerSet:
    """One PEP's answers, each section already written as JSON."""

    by_section: dict[str, str]


def term_start(academic_year: int, term: Term) -> date:
    return {
        Term.AUTUMN: date(academic_year, 9, 1),
        Term.SPRING: date(academic_year + 1, 1, 1),
        Term.SUMMER: date(academic_year + 1, 4, 1),
    }[term]


def terms_back(academic_year: int, term: Term, count: int) -> list[tuple[int, Term]]:
    """The `count` terms ending with this one, oldest first."""
    terms = []
    year, index = academic_year, TERM_ORDER.index(term)
    for _ in range(count):
        terms.append((year, TERM_ORDER[index]))
        index -= 1
        if index < 0:
            index, year = len(TERM_ORDER) - 1, year - 1
    return list(reversed(terms))


def build_answer_pools(
    forms: dict[str, FormDefinition], today: date, rng: random.Random
) -> dict[str, list[AnswerSet]]:
    """A pool of realistic answer sets per PEP form, from children of the form's ages."""
    ages = {"early_years": (3, 4), "school_age": (5, 15), "post_16": (16, 17)}
    pools: dict[str, list[AnswerSet]] = {}
    for key, definition in forms.items():
        low, high = ages[key]
        pool = []
        for number in range(ANSWER_POOL_SIZE):
            age = low + number % (high - low + 1)
            born = today - timedelta(days=365 * age + rng.randrange(365))
            year_group = year_group_on(born, today)
            story = ChildStory(
                reference=f"POOL-{key}-{number}",
                first_name=rng.choice(FIRST_NAMES),
                date_of_birth=born,
                year_group=year_group,
                sex=rng.choice("12"),
                school_name="Benchshire school",
                school_urn="100000",
                people=DemoPeople(
                    designated_teacher="Designated teacher",
                    social_worker="Social worker",
                    carer="Foster carer",
                ),
            )
            answers = realistic_pep_answers(
                definition,
                story,
                band=choose_voice_band(age, year_group),
                meeting_date=today,
                pep_number=number % 6,
            )
            pool.append(AnswerSet({k: json.dumps(v) for k, v in answers.items()}))
        pools[key] = pool
    return pools


def form_key_for(age: int) -> str:
    if age < 5:
        return "early_years"
    return "school_age" if age < 16 else "post_16"


def utc_text(on: date, hour: int = 10) -> str:
    """A timestamptz in COPY text."""
    return f"{on.isoformat()} {hour:02d}:00:00+00"


# The plan of every PEP: what Python decided, from which PostgreSQL makes the rows.
PLAN_COLUMNS = (
    "id",
    "child_id",
    "academic_year",
    "term",
    "state",
    "meeting_date",
    "form_key",
    "form_version",
    "made_on",
    "touched_on",
    "pool_index",
    "social_worker_id",
    "saved_steps",
    "transitions",
    "year_group",
    "no_place",
    "legal",
)
STAGING_TABLES = """
CREATE UNLOGGED TABLE bench_pep_plan (
    id uuid, child_id uuid, academic_year integer, term text, state text, meeting_date date,
    form_key text, form_version integer, made_on date, touched_on date, pool_index integer,
    social_worker_id uuid, saved_steps integer, transitions integer, year_group text,
    no_place text, legal text
);
CREATE UNLOGGED TABLE bench_answer_pool (
    form_key text, pool_index integer, position integer, section_key text, owner text,
    draft_answers json, draft_written boolean, done_answers json, done_written boolean
);
"""
# The tables PostgreSQL fills from the plan: their indexes are built after the load.
BULK_TABLES = ("peps", "pep_sections", "audit_events")

MADE = "(p.made_on + time '10:00') AT TIME ZONE 'UTC'"
TOUCHED = "(p.touched_on + time '10:00') AT TIME ZONE 'UTC'"
INSERT_PEPS = f"""
INSERT INTO peps (id, child_id, academic_year, term, state, meeting_date, form_key, form_version,
                  version, snapshot, approved_at_utc, created_at_utc, updated_at_utc)
SELECT p.id, p.child_id, p.academic_year, p.term, p.state, p.meeting_date, p.form_key,
       p.form_version, 1,
       CASE WHEN p.state IN ('signed_off', 'superseded') THEN json_build_object(
           'taken_on', p.meeting_date + 14, 'school_name', 'School at the time',
           'school_urn', NULL, 'no_school_place', p.no_place, 'no_school_place_label', NULL,
           'year_group', p.year_group, 'legal_status', p.legal, 'legal_status_label', p.legal,
           'placed_in_authority', NULL, 'uasc', false, 'social_worker', 'Social worker',
           'carer', 'Foster carer') END,
       -- Approved on its last change, as the audit trail below has it.
       CASE WHEN p.state IN ('approved', 'signed_off', 'superseded') THEN {TOUCHED} END,
       {MADE}, {TOUCHED}
FROM bench_pep_plan p
"""
# Every section of every PEP: a draft has the designated teacher's first three sections
# written, a cancelled PEP none, any other PEP all but quality assurance (decided per answer
# set in Python: draft_written / done_written).
INSERT_SECTIONS = f"""
INSERT INTO pep_sections (id, pep_id, section_key, answers, answer_versions, answer_editors,
                          version, last_saved_by_id, last_saved_at_utc, created_at_utc,
                          updated_at_utc)
SELECT md5(p.id::text || '/' || a.section_key)::uuid, p.id, a.section_key,
       CASE p.state WHEN 'draft' THEN a.draft_answers WHEN 'cancelled' THEN '{{}}'::json
                    ELSE a.done_answers END,
       '{{}}'::json, '{{}}'::json, 1,
       CASE WHEN w.written AND a.owner = 'social_worker' THEN p.social_worker_id END,
       CASE WHEN w.written THEN {TOUCHED} END,
       {MADE}, {TOUCHED}
FROM bench_pep_plan p
JOIN bench_answer_pool a ON a.form_key = p.form_key AND a.pool_index = p.pool_index
CROSS JOIN LATERAL (
    SELECT CASE p.state WHEN 'draft' THEN a.draft_written WHEN 'cancelled' THEN false
                        ELSE a.done_written END AS written
) w
"""
# Each PEP's audit trail, in order: started; a few sections saved; then submitted, approved
# and signed off as far as its state goes.
INSERT_AUDIT = """
INSERT INTO audit_events (id, occurred_at_utc, actor_user_id, actor_description, action,
                          object_type, object_id, client_address, details)
SELECT md5(p.id::text || ':' || n)::uuid,
       CASE WHEN n = 0 THEN (p.made_on + time '10:00') AT TIME ZONE 'UTC'
            WHEN n <= p.saved_steps THEN (p.made_on + n + time '10:00') AT TIME ZONE 'UTC'
            ELSE (p.touched_on + time '10:00') AT TIME ZONE 'UTC' END,
       CASE WHEN n = 0 THEN p.social_worker_id END,
       CASE WHEN n = 0 THEN 'Social worker' WHEN n <= p.saved_steps THEN 'Designated teacher'
            ELSE 'Staff' END,
       CASE WHEN n = 0 THEN 'pep.started' WHEN n <= p.saved_steps THEN 'pep.section_saved'
            ELSE 'pep.transition' END,
       'pep', p.id::text,
       CASE WHEN n = 0 THEN '10.0.0.1' WHEN n <= p.saved_steps THEN '10.0.0.2'
            ELSE '10.0.0.3' END,
       CASE WHEN n = 0 THEN json_build_object('term', p.term, 'year', p.academic_year)
            WHEN n <= p.saved_steps THEN json_build_object('section', a.section_key)
            ELSE json_build_object(
                'event', (ARRAY['submitted', 'approved', 'signed_off'])[n - p.saved_steps])
       END
FROM bench_pep_plan p
CROSS JOIN LATERAL generate_series(0, p.saved_steps + p.transitions) AS n
LEFT JOIN bench_answer_pool a
       ON a.form_key = p.form_key AND a.pool_index = 0 AND a.position = n - 1
      AND n BETWEEN 1 AND p.saved_steps
"""


def generate(
    database_url: str, children: int, *, seed: int = 2026, today: date | None = None
) -> dict[str, int]:
    """Migrate the database and fill it; return the number of rows written to each table."""
    today = today or date.today()
    rng = random.Random(f"openpep-bench-{seed}-{children}")
    started = time.perf_counter()

    def new_id() -> str:
        # 32 hex digits: PostgreSQL reads them as a uuid.
        return f"{rng.getrandbits(128):032x}"

    engine = create_engine(database_url)
    upgrade_to_latest(engine)
    engine.dispose()
    plain_url = database_url.replace("postgresql+psycopg://", "postgresql://")

    registry = _registry_in(Path(DEFAULT_DIRECTORY).resolve())
    forms = {key: registry.latest(key) for key in ("early_years", "school_age", "post_16")}
    pools = build_answer_pools(forms, today, rng)
    section_keys = {
        key: [(s.key, s.owner, s.section_type) for s in definition.sections]
        for key, definition in forms.items()
    }
    form_versions = {key: str(definition.version) for key, definition in forms.items()}
    created_on = today - timedelta(days=YEARS_OF_PEPS * 365 + 30)
    created = utc_text(created_on)

    schools = Table(
        "schools",
        (
            "id",
            "urn",
            "name",
            "phase",
            "local_authority",
            "establishment_type",
            "status",
            "postcode",
            "source",
            "created_at_utc",
            "updated_at_utc",
        ),
    )
    users = Table(
        "users",
        ("id", "email", "display_name", "active", "created_at_utc", "updated_at_utc"),
    )
    grants = Table(
        "role_grants",
        (
            "id",
            "user_id",
            "role",
            "school_id",
            "child_id",
            "starts_on",
            "created_at_utc",
            "updated_at_utc",
        ),
    )
    child_rows = Table(
        "children",
        (
            "id",
            "first_name",
            "last_name",
            "date_of_birth",
            "authority_reference",
            "upn",
            "legal_status",
            "date_entered_care",
            "current_school_id",
            "sex",
            "ethnicity",
            "uasc",
            "placed_in_authority",
            "no_school_place",
            "date_left_care",
            "reason_left_care",
            "previously_looked_after",
            "created_at_utc",
            "updated_at_utc",
        ),
    )
    episodes = Table(
        "care_episodes",
        (
            "id",
            "child_id",
            "started_on",
            "reason_new_episode",
            "legal_status",
            "category_of_need",
            "placement_type",
            "placement_provider",
            "ended_on",
            "reason_ended",
            "home_postcode",
            "placement_postcode",
            "created_at_utc",
            "updated_at_utc",
        ),
    )
    events = Table(
        "child_events",
        (
            "id",
            "child_id",
            "kind",
            "occurred_on",
            "details",
            "recorded_by_id",
            "recorded_by_description",
            "created_at_utc",
            "updated_at_utc",
        ),
    )
    child_audit = Table(
        "audit_events",
        (
            "id",
            "occurred_at_utc",
            "actor_user_id",
            "actor_description",
            "action",
            "object_type",
            "object_id",
            "client_address",
            "details",
        ),
    )
    plan = Table("bench_pep_plan", PLAN_COLUMNS)

    counts: dict[str, int] = {}
    connection = psycopg.connect(plain_url)
    bulk = BulkLoad(plain_url)
    bulk.prepare(connection)
    write_answer_pool(connection, pools, section_keys)
    # Parents before children, every few thousand children, so memory stays flat at any size.
    in_order = (schools, users, child_rows, grants, episodes, events, child_audit, plan)

    def flush() -> None:
        for table in in_order:
            write_lines(connection, table.name, table.columns, table.lines)
            counts[table.name] = counts.get(table.name, 0) + len(table.lines)
            table.lines.clear()

    def add_user(email_local: str, name: str) -> str:
        user_id = new_id()
        users.add(user_id, f"{email_local}@{EMAIL_DOMAIN}", name, True, created, created)
        return user_id

    def person_name() -> str:
        return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"

    # Schools: about one for every five children; a quarter are in other authorities, where
    # children placed out of area go to school.
    school_count = max(30, children // 5)
    school_ids: list[str] = []
    school_phase: dict[str, str] = {}
    out_of_area: set[str] = set()
    phase_weights = [weight for *_, weight in SCHOOL_PHASES]
    for number in range(school_count):
        school_id = new_id()
        phase, kind, _ = rng.choices(SCHOOL_PHASES, phase_weights)[0]
        away = rng.random() < 0.25
        authority = rng.choice(OTHER_AUTHORITIES) if away else AUTHORITY
        schools.add(
            school_id,
            str(100000 + number),
            f"{rng.choice(LAST_NAMES)} {rng.choice(('Park', 'Hill', 'Road', 'Green', 'Vale'))} "
            f"{SCHOOL_NAME_ENDINGS[phase]}",
            phase,
            authority,
            kind,
            "Open",
            f"BS{number % 90 + 1} {number % 9}AB",
            "gias",
            created,
            created,
        )
        school_ids.append(school_id)
        school_phase[school_id] = phase
        if away:
            out_of_area.add(school_id)

    # Staff with their roles.
    for number, school_id in enumerate(school_ids):
        teacher = add_user(f"dt.{number:06d}", person_name())
        grants.add(
            new_id(),
            teacher,
            Role.DESIGNATED_TEACHER.value,
            school_id,
            None,
            None,
            created,
            created,
        )
    reviewer_ids = [
        add_user(f"reviewer.{n:04d}", person_name()) for n in range(max(2, children // 400))
    ]
    admin_ids = [add_user(f"admin.{n:04d}", person_name()) for n in range(max(2, children // 3000))]
    for reviewer in reviewer_ids:
        grants.add(new_id(), reviewer, Role.REVIEWER.value, None, None, None, created, created)
    for admin in admin_ids:
        grants.add(new_id(), admin, Role.ADMIN.value, None, None, None, created, created)
    social_workers = [
        add_user(f"sw.{n:05d}", person_name()) for n in range(max(1, round(children / 17.5)))
    ]
    advisers = [add_user(f"adviser.{n:04d}", person_name()) for n in range(max(1, children // 70))]
    carers: list[str] = []

    # Children.
    current_year, current = current_term(today)
    all_terms = [
        (year, term, term.value, term_start(year, term))
        for year, term in terms_back(current_year, current, YEARS_OF_PEPS * 3)
    ]
    state_choices = [state for state, _ in OPEN_STATE_MIX]
    state_weights = [weight for _, weight in OPEN_STATE_MIX]
    social_worker_slots = [sw for sw in social_workers for _ in range(rng.randint(15, 20))]
    rng.shuffle(social_worker_slots)
    # The schools a child may attend, by phase and by whether they are placed out of area.
    school_by_phase: dict[str, list[str]] = {}
    for school_id in school_ids:
        school_by_phase.setdefault(school_phase[school_id], []).append(school_id)
    candidates_for: dict[tuple[str, bool], list[str]] = {}
    for phase in {phase for phase, *_ in SCHOOL_PHASES} | {"post_16", "early_years"}:
        for away in (False, True):
            candidates_for[phase, away] = [
                s for s in school_by_phase.get(phase, school_ids) if (s in out_of_area) == away
            ] or school_ids
    age_weights = [3, 4, 5, 5, 6, 6, 7, 8, 9, 10, 11, 12, 12, 10, 8]
    transitions_for = {
        PepState.DRAFT: 0,
        PepState.CANCELLED: 0,
        PepState.SUBMITTED: 1,
        PepState.RETURNED: 1,
        PepState.APPROVED: 2,
        PepState.SIGNED_OFF: 3,
        PepState.SUPERSEDED: 3,
    }
    carer_household: str | None = None
    household_left = 0
    for number in range(children):
        child_id = new_id()
        age = rng.choices(range(3, 18), weights=age_weights)[0]
        born = today - timedelta(days=365 * age + rng.randrange(365))
        entered = max(born + timedelta(days=30), today - timedelta(days=rng.randrange(30, 365 * 8)))
        left_care = rng.random() < 0.05
        left_on = today - timedelta(days=rng.randrange(10, 300)) if left_care else None
        if left_on and left_on <= entered:
            left_on = entered + timedelta(days=30)
            left_care = left_on < today
            left_on = left_on if left_care else None
        away = rng.random() < 0.22
        phase = (
            "early_years"
            if age < 5
            else "primary"
            if age < 11
            else "secondary"
            if age < 16
            else "post_16"
        )
        if rng.random() < 0.06:
            phase = "special"
        no_place = None
        school_id: str | None = rng.choice(candidates_for[phase, away])
        if rng.random() < 0.03:
            school_id, no_place = None, rng.choice(("not_on_roll", "education_otherwise", "neet"))
        legal = rng.choice(LEGAL_STATUSES)
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        child_rows.add(
            child_id,
            first,
            last,
            born,
            f"BEN{number:07d}",
            f"A{number:012d}"[:13] if age >= 5 else None,
            legal,
            entered,
            school_id,
            rng.choice("12"),
            rng.choice(("WBRI", "WBRI", "WBRI", "MWBC", "ASIN", "BAFR", "WOTH")),
            rng.random() < 0.05,
            rng.choice(OTHER_AUTHORITIES) if away else None,
            no_place,
            left_on,
            rng.choice(REASONS_LEFT) if left_on else None,
            False,
            utc_text(entered),
            utc_text(entered),
        )
        # Care episodes: one to three, the last open while in care.
        episode_count = rng.choice((1, 1, 2, 2, 3))
        span = max(1, ((left_on or today) - entered).days)
        starts = sorted(
            {entered + timedelta(days=rng.randrange(span)) for _ in range(episode_count - 1)}
            | {entered}
        )
        for index, episode_start in enumerate(starts):
            ended = starts[index + 1] if index + 1 < len(starts) else left_on
            episodes.add(
                new_id(),
                child_id,
                episode_start,
                "S" if index == 0 else "P",
                legal,
                rng.choice(("N1", "N2", "N4")),
                rng.choice(PLACEMENT_TYPES),
                rng.choice(("PR1", "PR4", "PR5")),
                ended,
                ("E4A" if ended == left_on else "X1") if ended else None,
                "BS1 1AA",
                "BS2 2BB",
                utc_text(episode_start),
                utc_text(episode_start),
            )
        # Who works with the child.
        social_worker = (
            social_worker_slots[number % len(social_worker_slots)]
            if social_worker_slots
            else social_workers[0]
        )
        grants.add(
            new_id(),
            social_worker,
            Role.SOCIAL_WORKER.value,
            None,
            child_id,
            None,
            created,
            created,
        )
        adviser = advisers[number % len(advisers)]
        grants.add(new_id(), adviser, Role.VS_ADVISER.value, None, child_id, None, created, created)
        if household_left == 0 or carer_household is None:
            carer_household = add_user(f"carer.{len(carers):06d}", person_name())
            carers.append(carer_household)
            household_left = rng.choice((1, 1, 2, 2, 3))
        household_left -= 1
        grants.add(
            new_id(),
            carer_household,
            Role.CARER.value,
            None,
            child_id,
            starts[-1],
            created,
            created,
        )
        # The child's timeline.
        events.add(
            new_id(),
            child_id,
            "entered_care",
            entered,
            json_text({"to": legal}),
            None,
            "Import: SSDA903 return",
            utc_text(entered),
            utc_text(entered),
        )
        for episode_start in starts[1:]:
            events.add(
                new_id(),
                child_id,
                "placement_changed",
                episode_start,
                json_text({"from": "U4", "to": rng.choice(PLACEMENT_TYPES)}),
                None,
                "Import: SSDA903 return",
                utc_text(episode_start),
                utc_text(episode_start),
            )
        if rng.random() < 0.3:
            moved = entered + timedelta(days=rng.randrange(span))
            events.add(
                new_id(),
                child_id,
                "school_changed",
                moved,
                json_text({"from": "Previous school", "to": "Current school"}),
                admin_ids[0],
                "Admin",
                utc_text(moved),
                utc_text(moved),
            )
        if left_on:
            events.add(
                new_id(),
                child_id,
                "left_care",
                left_on,
                json_text({"reason": "E4A"}),
                admin_ids[0],
                "Admin",
                utc_text(left_on),
                utc_text(left_on),
            )

        # Termly PEPs from the term they came into care (at most five years back): one plan
        # line each, from which PostgreSQL makes the PEP, its sections and its audit trail.
        entered_by = entered - timedelta(days=100)
        child_terms = [
            (year, term, term_value, starts_on)
            for year, term, term_value, starts_on in all_terms
            if starts_on > entered_by and (left_on is None or starts_on < left_on)
        ]
        open_this_term = left_on is None and rng.random() < 0.9
        no_place_text = no_place or NULL
        last_index = len(child_terms) - 1
        for index, (year, term, term_value, starts_on) in enumerate(child_terms):
            is_current = year == current_year and term is current
            meeting = starts_on + timedelta(days=rng.randrange(20, 60))
            form_key = form_key_for((meeting - born).days // 365)
            if is_current and open_this_term:
                state = rng.choices(state_choices, state_weights)[0]
            elif rng.random() < 0.04:
                state = PepState.CANCELLED
            elif index < last_index and rng.random() < 0.12:
                state = PepState.SUPERSEDED
            else:
                state = PepState.SIGNED_OFF
            is_draft = state is PepState.DRAFT
            touched = min(meeting if is_draft else meeting + timedelta(days=14), today)
            plan.lines.append(
                f"{new_id()}\t{child_id}\t{year}\t{term_value}\t{state.value}\t"
                f"{NULL if is_draft else meeting.isoformat()}\t{form_key}\t"
                f"{form_versions[form_key]}\t{(starts_on + timedelta(days=7)).isoformat()}\t"
                f"{touched.isoformat()}\t{rng.randrange(ANSWER_POOL_SIZE)}\t{social_worker}\t"
                f"{rng.randint(2, 6)}\t{transitions_for[state]}\t"
                f"Year {max(0, year_group_on(born, meeting) or 0)}\t{no_place_text}\t{legal}"
            )
        child_audit.add(
            new_id(),
            utc_text(entered),
            admin_ids[0],
            "Import",
            "child.added",
            "child",
            child_id,
            None,
            json_text({"reference": f"BEN{number:07d}"}),
        )
        if number % 5000 == 4999:
            flush()

    flush()
    connection.commit()
    connection.close()
    print(f"plan written in {time.perf_counter() - started:.1f} s", flush=True)
    counts.pop("bench_pep_plan")
    counts.update(bulk.load())
    return counts


def write_lines(
    connection: psycopg.Connection, table: str, columns: Sequence[str], lines: list[str]
) -> None:
    """COPY lines of text (tab-separated, already escaped) in large pieces."""
    if not lines:
        return
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        for start in range(0, len(lines), 20000):
            copy.write("\n".join(lines[start : start + 20000]) + "\n")


def write_answer_pool(
    connection: psycopg.Connection,
    pools: dict[str, list[AnswerSet]],
    section_keys: dict[str, list[tuple[str, Role, SectionType]]],
) -> None:
    """Every section of every answer set, as a draft shows it and as a later PEP does."""
    statement = (
        "COPY bench_answer_pool (form_key, pool_index, position, section_key, owner,"
        " draft_answers, draft_written, done_answers, done_written) FROM STDIN"
    )
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        for form_key, pool in pools.items():
            for pool_index, answer_set in enumerate(pool):
                teacher_sections_left = 3
                for position, (key, owner, section_type) in enumerate(section_keys[form_key]):
                    draft = done = "{}"
                    if (
                        section_type is not SectionType.QUALITY_ASSURANCE
                        and key in answer_set.by_section
                    ):
                        done = answer_set.by_section[key]
                        if owner is Role.DESIGNATED_TEACHER and teacher_sections_left > 0:
                            teacher_sections_left -= 1
                            draft = done
                    copy.write_row(
                        (
                            form_key,
                            pool_index,
                            position,
                            key,
                            owner.value if owner else None,
                            draft,
                            draft != "{}",
                            done,
                            done != "{}",
                        )
                    )


@dataclass
class BulkLoad:
    """The set-based half of the load: PEPs, their sections and audit trails made by PostgreSQL
    from the plan, with the big tables' indexes built once at the end."""

    url: str
    index_definitions: list[tuple[str, str]] = field(default_factory=list)

    def prepare(self, connection: psycopg.Connection) -> None:
        """Staging tables, no foreign key checks for this load, and the big tables' indexes
        (those no foreign key depends on) dropped, to be built after."""
        connection.execute("SET session_replication_role = replica")
        connection.execute(STAGING_TABLES)
        rows = connection.execute(
            """
            SELECT t.relname, i.relname, c.conname, c.contype,
                   CASE WHEN c.oid IS NULL THEN pg_get_indexdef(x.indexrelid)
                        ELSE pg_get_constraintdef(c.oid) END
            FROM pg_index x
            JOIN pg_class i ON i.oid = x.indexrelid
            JOIN pg_class t ON t.oid = x.indrelid
            LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.contype IN ('p', 'u')
            WHERE t.relname = ANY(%s)
              AND NOT EXISTS (
                  SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = x.indexrelid
              )
            """,
            (list(BULK_TABLES),),
        ).fetchall()
        for table, index, constraint, _, definition in rows:
            if constraint:
                connection.execute(f"ALTER TABLE {table} DROP CONSTRAINT {constraint}")
                self.index_definitions.append(
                    (table, f"ALTER TABLE {table} ADD CONSTRAINT {constraint} {definition}")
                )
            else:
                connection.execute(f"DROP INDEX {index}")
                self.index_definitions.append((table, definition))

    def run_in_parallel(self, groups: list[list[str]]) -> None:
        """Each group of statements on its own connection, the groups side by side (the
        tables they touch are distinct), each connection skipping foreign key checks."""

        def run(statements: list[str]) -> None:
            with psycopg.connect(self.url, autocommit=True) as connection:
                connection.execute("SET session_replication_role = replica")
                connection.execute("SET maintenance_work_mem = '512MB'")
                connection.execute("SET work_mem = '64MB'")
                for statement in statements:
                    began = time.perf_counter()
                    connection.execute(statement)
                    took = time.perf_counter() - began
                    print(f"  {took:6.1f} s  {' '.join(statement.split())[:90]}", flush=True)

        with ThreadPoolExecutor(max_workers=len(groups)) as pool:
            for future in [pool.submit(run, group) for group in groups]:
                future.result()

    def load(self) -> dict[str, int]:
        self.run_in_parallel([["ANALYZE bench_pep_plan", "ANALYZE bench_answer_pool"]])
        self.run_in_parallel([[INSERT_PEPS, INSERT_SECTIONS], [INSERT_AUDIT]])
        by_table: dict[str, list[str]] = {}
        for table, statement in self.index_definitions:
            by_table.setdefault(table, []).append(statement)
        # The section rows are most of the work: their indexes on one connection, the rest on
        # the other.
        self.run_in_parallel(
            [
                [*by_table.get("pep_sections", []), "VACUUM (ANALYZE) pep_sections"],
                [
                    *by_table.get("peps", []),
                    *by_table.get("audit_events", []),
                    "DROP TABLE bench_pep_plan",
                    "DROP TABLE bench_answer_pool",
                    "VACUUM (ANALYZE) peps",
                    "VACUUM (ANALYZE) audit_events",
                    "VACUUM (ANALYZE) schools, users, role_grants, children, care_episodes,"
                    " child_events",
                ],
            ]
        )
        with psycopg.connect(self.url) as connection:
            return {
                table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in BULK_TABLES
            }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--children", type=int, required=True)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--database-url", default=os.environ.get("OPENPEP_BENCH_DATABASE_URL"))
    arguments = parser.parse_args(argv)
    if arguments.database_url:
        started = time.perf_counter()
        counts = generate(arguments.database_url, arguments.children, seed=arguments.seed)
        print(f"{counts} in {time.perf_counter() - started:.1f} s")
        return
    from devtools.postgres import running_postgres

    with running_postgres() as cluster:
        started = time.perf_counter()
        counts = generate(cluster.url, arguments.children, seed=arguments.seed)
        print(f"{counts} in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
