"""Build a realistic authority on PostgreSQL: schools, staff and their roles, children with care
episodes, life events, five years of termly PEPs and an audit trail; seeded, so the same
arguments give the same data.

    .venv/bin/python -m benchmarks.scale.generate --children 10000 [--database-url URL]

Without a URL (or OPENPEP_BENCH_DATABASE_URL) it starts a throwaway cluster, fills it, reports
the time it took and removes it again (useful only to time the generator); `run.py` keeps the
cluster for the load run. Rows go in through PostgreSQL COPY (psycopg's `cursor.copy()`).

Answers come from `forms.realistic_answers`: a pool of answer sets per form is made once and
reused, since writing a million PEPs one by one would take longer than the run itself.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
import uuid
from collections.abc import Iterable, Sequence
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


@dataclass
class Table:
    """Rows for one table, written with one COPY."""

    name: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]] = field(default_factory=list)

    def add(self, *values: Any) -> None:
        self.rows.append(values)


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


def generate(
    database_url: str, children: int, *, seed: int = 2026, today: date | None = None
) -> dict[str, int]:
    """Migrate the database and fill it; return the number of rows written to each table."""
    today = today or date.today()
    rng = random.Random(f"openpep-bench-{seed}-{children}")

    def new_id() -> uuid.UUID:
        return uuid.UUID(int=rng.getrandbits(128), version=4)

    engine = create_engine(database_url)
    upgrade_to_latest(engine)
    engine.dispose()

    registry = _registry_in(Path(DEFAULT_DIRECTORY).resolve())
    forms = {key: registry.latest(key) for key in ("early_years", "school_age", "post_16")}
    pools = build_answer_pools(forms, today, rng)
    section_keys = {
        key: [(s.key, s.owner, s.section_type) for s in definition.sections]
        for key, definition in forms.items()
    }
    created = utc(today - timedelta(days=YEARS_OF_PEPS * 365 + 30))

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
    peps = Table(
        "peps",
        (
            "id",
            "child_id",
            "academic_year",
            "term",
            "state",
            "meeting_date",
            "form_key",
            "form_version",
            "version",
            "snapshot",
            "created_at_utc",
            "updated_at_utc",
        ),
    )
    sections = Table(
        "pep_sections",
        (
            "id",
            "pep_id",
            "section_key",
            "answers",
            "answer_versions",
            "answer_editors",
            "version",
            "last_saved_by_id",
            "last_saved_at_utc",
            "created_at_utc",
            "updated_at_utc",
        ),
    )
    audit = Table(
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

    # Rows go to the database every few thousand children, parents before children, so memory
    # stays flat at any size.
    counts: dict[str, int] = {}
    connection = psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://"))
    in_order = (schools, users, child_rows, grants, episodes, events, peps, sections, audit)

    def flush() -> None:
        for table in in_order:
            write(connection, table.name, table.columns, table.rows)
            counts[table.name] = counts.get(table.name, 0) + len(table.rows)
            table.rows.clear()

    def add_user(email_local: str, name: str) -> uuid.UUID:
        user_id = new_id()
        users.add(user_id, f"{email_local}@{EMAIL_DOMAIN}", name, True, created, created)
        return user_id

    def person_name() -> str:
        return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"

    # Schools: about one for every five children; a quarter are in other authorities, where
    # children placed out of area go to school.
    school_count = max(30, children // 5)
    school_ids: list[uuid.UUID] = []
    school_phase: dict[uuid.UUID, str] = {}
    in_area: list[uuid.UUID] = []
    out_of_area: list[uuid.UUID] = []
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
        (out_of_area if away else in_area).append(school_id)

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
    carers: list[uuid.UUID] = []

    # Children.
    current_year, current = current_term(today)
    all_terms = terms_back(current_year, current, YEARS_OF_PEPS * 3)
    state_choices = [state for state, _ in OPEN_STATE_MIX]
    state_weights = [weight for _, weight in OPEN_STATE_MIX]
    social_worker_slots = [sw for sw in social_workers for _ in range(rng.randint(15, 20))]
    rng.shuffle(social_worker_slots)
    school_by_phase: dict[str, list[uuid.UUID]] = {}
    for school_id in school_ids:
        school_by_phase.setdefault(school_phase[school_id], []).append(school_id)
    carer_household: uuid.UUID | None = None
    household_left = 0
    for number in range(children):
        child_id = new_id()
        age = rng.choices(range(3, 18), weights=[3, 4, 5, 5, 6, 6, 7, 8, 9, 10, 11, 12, 12, 10, 8])[
            0
        ]
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
        candidates = [
            s for s in school_by_phase.get(phase, school_ids) if (s in out_of_area) == away
        ] or school_ids
        no_place = None
        school_id: uuid.UUID | None = rng.choice(candidates)
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
            utc(entered),
            utc(entered),
        )
        # Care episodes: one to three, the last open while in care.
        episode_count = rng.choice((1, 1, 2, 2, 3))
        span = max(1, ((left_on or today) - entered).days)
        starts = sorted(
            {entered + timedelta(days=rng.randrange(span)) for _ in range(episode_count - 1)}
            | {entered}
        )
        for index, started in enumerate(starts):
            ended = starts[index + 1] if index + 1 < len(starts) else left_on
            episodes.add(
                new_id(),
                child_id,
                started,
                "S" if index == 0 else "P",
                legal,
                rng.choice(("N1", "N2", "N4")),
                rng.choice(PLACEMENT_TYPES),
                rng.choice(("PR1", "PR4", "PR5")),
                ended,
                ("E4A" if ended == left_on else "X1") if ended else None,
                "BS1 1AA",
                "BS2 2BB",
                utc(started),
                utc(started),
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
        placement_start = starts[-1]
        grants.add(
            new_id(),
            carer_household,
            Role.CARER.value,
            None,
            child_id,
            placement_start,
            created,
            created,
        )
        # The child's timeline.
        events.add(
            new_id(),
            child_id,
            "entered_care",
            entered,
            json.dumps({"to": legal}),
            None,
            "Import: SSDA903 return",
            utc(entered),
            utc(entered),
        )
        for started in starts[1:]:
            events.add(
                new_id(),
                child_id,
                "placement_changed",
                started,
                json.dumps({"from": "U4", "to": rng.choice(PLACEMENT_TYPES)}),
                None,
                "Import: SSDA903 return",
                utc(started),
                utc(started),
            )
        if rng.random() < 0.3:
            moved = entered + timedelta(days=rng.randrange(span))
            events.add(
                new_id(),
                child_id,
                "school_changed",
                moved,
                json.dumps({"from": "Previous school", "to": "Current school"}),
                admin_ids[0],
                "Admin",
                utc(moved),
                utc(moved),
            )
        if left_on:
            events.add(
                new_id(),
                child_id,
                "left_care",
                left_on,
                json.dumps({"reason": "E4A"}),
                admin_ids[0],
                "Admin",
                utc(left_on),
                utc(left_on),
            )

        # Termly PEPs from the term they came into care (at most five years back).
        child_terms = [
            (year, term)
            for year, term in all_terms
            if term_start(year, term) + timedelta(days=100) > entered
            and (left_on is None or term_start(year, term) < left_on)
        ]
        open_this_term = left_on is None and rng.random() < 0.9
        for index, (year, term) in enumerate(child_terms):
            is_current = (year, term) == (current_year, current)
            starts_on = term_start(year, term)
            meeting = starts_on + timedelta(days=rng.randrange(20, 60))
            age_then = (meeting - born).days // 365
            form_key = form_key_for(age_then)
            if is_current and open_this_term:
                state = rng.choices(state_choices, state_weights)[0]
            elif rng.random() < 0.04:
                state = PepState.CANCELLED
            elif index < len(child_terms) - 1 and rng.random() < 0.12:
                state = PepState.SUPERSEDED
            else:
                state = PepState.SIGNED_OFF
            pep_id = new_id()
            made = utc(starts_on + timedelta(days=7))
            touched = (
                utc(min(meeting + timedelta(days=14), today))
                if state is not PepState.DRAFT
                else utc(min(meeting, today))
            )
            snapshot = (
                json.dumps(
                    {
                        "taken_on": (meeting + timedelta(days=14)).isoformat(),
                        "school_name": "School at the time",
                        "school_urn": None,
                        "no_school_place": no_place,
                        "no_school_place_label": None,
                        "year_group": f"Year {max(0, year_group_on(born, meeting) or 0)}",
                        "legal_status": legal,
                        "legal_status_label": legal,
                        "placed_in_authority": None,
                        "uasc": False,
                        "social_worker": "Social worker",
                        "carer": "Foster carer",
                    }
                )
                if state in (PepState.SIGNED_OFF, PepState.SUPERSEDED)
                else None
            )
            peps.add(
                pep_id,
                child_id,
                year,
                term.value,
                state.value,
                meeting if state is not PepState.DRAFT else None,
                form_key,
                forms[form_key].version,
                1,
                snapshot,
                made,
                touched,
            )
            answer_set = pools[form_key][rng.randrange(ANSWER_POOL_SIZE)]
            teacher_sections_left = 3
            for key, owner, section_type in section_keys[form_key]:
                answers = "{}"
                saved_by = None
                if (
                    section_type is not SectionType.QUALITY_ASSURANCE
                    and key in answer_set.by_section
                ):
                    if state is PepState.DRAFT:
                        if owner is Role.DESIGNATED_TEACHER and teacher_sections_left > 0:
                            teacher_sections_left -= 1
                            answers = answer_set.by_section[key]
                    elif state is not PepState.CANCELLED:
                        answers = answer_set.by_section[key]
                    if answers != "{}":
                        saved_by = social_worker if owner is Role.SOCIAL_WORKER else None
                sections.add(
                    new_id(),
                    pep_id,
                    key,
                    answers,
                    "{}",
                    "{}",
                    1,
                    saved_by,
                    touched if answers != "{}" else None,
                    made,
                    touched,
                )
            # The audit trail of the PEP's life.
            audit.add(
                new_id(),
                made,
                social_worker,
                "Social worker",
                "pep.started",
                "pep",
                str(pep_id),
                "10.0.0.1",
                json.dumps({"term": term.value, "year": year}),
            )
            for step in range(rng.randint(2, 6)):
                audit.add(
                    new_id(),
                    made + timedelta(days=step + 1),
                    None,
                    "Designated teacher",
                    "pep.section_saved",
                    "pep",
                    str(pep_id),
                    "10.0.0.2",
                    json.dumps({"section": section_keys[form_key][step][0]}),
                )
            if state not in (PepState.DRAFT, PepState.CANCELLED):
                for action in ("submitted", "approved", "signed_off")[
                    : 1
                    + (state in (PepState.APPROVED, PepState.SIGNED_OFF, PepState.SUPERSEDED))
                    + (state in (PepState.SIGNED_OFF, PepState.SUPERSEDED))
                ]:
                    audit.add(
                        new_id(),
                        touched,
                        None,
                        "Staff",
                        "pep.transition",
                        "pep",
                        str(pep_id),
                        "10.0.0.3",
                        json.dumps({"event": action}),
                    )
        audit.add(
            new_id(),
            utc(entered),
            admin_ids[0],
            "Import",
            "child.added",
            "child",
            str(child_id),
            None,
            json.dumps({"reference": f"BEN{number:07d}"}),
        )
        if number % 2000 == 1999:
            flush()

    flush()
    connection.commit()
    connection.autocommit = True
    connection.execute("VACUUM ANALYZE")
    connection.close()
    return counts


def write(
    connection: psycopg.Connection,
    table: str,
    columns: Sequence[str],
    rows: Iterable[tuple[Any, ...]],
) -> None:
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


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
