"""Reading one child's rows of an SSDA903-shaped children file: cells to facts, and what is
wrong with them, in plain words. Nothing here reads or writes the database.

A file has one row per episode of care. The child's own facts (CHILD, names, SEX, DOB, ETHNIC,
UPN, UASC, the school and the social worker) are repeated on each of the child's rows and must
agree; the episode's facts (DECOM to REC, the postcodes, the provider's Ofsted URN and the
authority the child is placed in) belong to that row.

The optional columns (UASC, PLACED_LA, NO_SCHOOL_PLACE) are read when the file has them; a file
without UASC or PLACED_LA says nothing about them (a blank cell in the column does: N, and not
placed out of area), so the facts say so and what is held stays as it is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise

from portal.codes import Ssda903Codes
from portal.imports import Problem
from portal.models.child import NO_SCHOOL_PLACE_LABELS, NoSchoolPlace

# The child's facts, repeated on each of their rows; the first row's are the ones kept.
CHILD_COLUMNS = (
    "FORENAME",
    "SURNAME",
    "SEX",
    "DOB",
    "ETHNIC",
    "UPN",
    "UASC",
    "SCHOOL_URN",
    "NO_SCHOOL_PLACE",
    "SW_EMAIL",
)
EPISODE_COLUMNS = (
    "DECOM",
    "RNE",
    "LS",
    "CIN",
    "PLACE",
    "PLACE_PROVIDER",
    "DEC",
    "REC",
    "HOME_POST",
    "PL_POST",
    "URN",
    "PLACED_LA",
)

# The return's codes for a child with no UPN (not of school age, never at school in England,
# educated abroad, newly looked after, records that disagree): not a UPN, so none is stored.
UPN_NOT_KNOWN = frozenset({"UN1", "UN2", "UN3", "UN4", "UN5"})
# The UPN check letter alphabet: the letters I, O and S are never used.
_UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
# Only these: str.isdigit() also accepts "²" (which int() refuses) and Arabic-Indic digits
# (which int() reads), neither of which a UPN can hold.
_ASCII_DIGITS = frozenset("0123456789")
# The return writes XXXXXX in URN for a placement whose provider has no Ofsted URN.
NO_OFSTED_URN = "XXXXXX"
# Placements that have no provider (temporary moves and "other"): PLACE_PROVIDER stays blank.
PLACEMENTS_WITHOUT_PROVIDER = frozenset({"T0", "T1", "T2", "T3", "T4", "Z1"})

_POSTCODE = re.compile(
    # The outward code (AB1, AB12, A1A, AB1C...), then the inward code in full (2CD), only its
    # sector digit (the return's partial home postcodes, "AB1 2"), or nothing.
    r"^(?:[A-Z]{1,2}[0-9][A-Z0-9]?)(?: ?[0-9](?:[A-Z]{2})?)?$"
)
_OFSTED_URN = re.compile(r"^(?:SC|EY)?[0-9]{6,7}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LONGEST_REFERENCE = 40
LONGEST_NAME = 100
LONGEST_AUTHORITY = 120


def parse_date(text: str) -> date:
    """A date as the return writes it (dd/mm/yyyy; a spreadsheet may drop the leading zeros)
    or as ISO 8601 (yyyy-mm-dd).

    Read by hand rather than with strptime, which costs a second over a 10,000-row file."""
    cleaned = text.strip()
    parts = cleaned.split("/")
    if len(parts) == 3:
        day, month, year = parts
    else:
        parts = cleaned.split("-")
        if len(parts) != 3:
            raise ValueError(cleaned)
        year, month, day = parts
    if not (
        len(year) == 4
        and 1 <= len(month) <= 2
        and 1 <= len(day) <= 2
        and all(part.isascii() and part.isdigit() for part in (day, month, year))
    ):
        raise ValueError(cleaned)
    return date(int(year), int(month), int(day))  # raises ValueError for 31/02/2026


def show_date(day: date | None) -> str | None:
    """A date as the return writes it, for the preview."""
    return day.strftime("%d/%m/%Y") if day else None


def upn_check_letter(twelve_characters: str) -> str:
    """The DfE's check letter for the 12 characters after it: each character weighted by its
    position (2 to 13), a final letter (a temporary UPN) counted by its place in the alphabet
    without I, O and S, the sum modulo 23 read in that alphabet."""
    total = 0
    for position, character in enumerate(twelve_characters, start=2):
        value = int(character) if character in _ASCII_DIGITS else _UPN_LETTERS.index(character)
        total += value * position
    return _UPN_LETTERS[total % 23]


def upn_problem(upn: str) -> str | None:
    """Why a UPN is not one, or None for a valid UPN."""
    if len(upn) != 13:
        return f"The UPN {upn} has {len(upn)} characters; a UPN has 13."
    body = upn[1:]
    if not _is_ascii_digits(body[:-1]) or not (
        body[-1] in _ASCII_DIGITS or body[-1] in _UPN_LETTERS
    ):
        return (
            f"The UPN {upn} is not a UPN: after its first letter come 11 digits and then a "
            "digit or a letter."
        )
    if upn[0] not in _UPN_LETTERS or upn_check_letter(body) != upn[0]:
        return f"The UPN {upn} has the wrong check letter, so it has been mistyped."
    return None


def _is_ascii_digits(text: str) -> bool:
    return bool(text) and all(character in _ASCII_DIGITS for character in text)


def normalise_postcode(text: str) -> str:
    return " ".join(text.upper().split())


def is_plausible_postcode(postcode: str) -> bool:
    return bool(_POSTCODE.match(postcode))


def no_school_place_from(text: str) -> NoSchoolPlace | None:
    """A NoSchoolPlace from its value ("neet") or its label, in any case."""
    wanted = text.strip().lower()
    for reason in NoSchoolPlace:
        if wanted in (reason.value, NO_SCHOOL_PLACE_LABELS[reason].lower()):
            return reason
    return None


@dataclass(frozen=True)
class ChildFacts:
    """The child's own facts, as their first row gives them."""

    first_name: str
    last_name: str
    sex: str
    date_of_birth: date
    ethnicity: str | None
    upn: str | None
    uasc: bool | None  # None: the file has no UASC column
    school_urn: str | None
    no_school_place: NoSchoolPlace | None
    social_worker_email: str | None


@dataclass(frozen=True)
class EpisodeFacts:
    """One episode of care (one row)."""

    row: int
    started_on: date
    reason_new_episode: str
    legal_status: str
    category_of_need: str | None
    placement_type: str
    placement_provider: str | None
    ended_on: date | None
    reason_ended: str | None
    home_postcode: str | None
    placement_postcode: str | None
    provider_ofsted_urn: str | None
    placed_in_authority: str | None
    # False when the row says nothing about it: the file has no PLACED_LA column (or the
    # episode is one already held, whose row is not in the file).
    placed_in_authority_given: bool = True


@dataclass
class ParsedRow:
    row: int
    reference: str
    cells: dict[str, str]
    child: ChildFacts | None  # None when a child's cell on this row is wrong
    episode: EpisodeFacts | None  # None when an episode's cell on this row is wrong
    problems: list[Problem] = field(default_factory=list)


class _RowReader:
    """Reads one row's cells, noting a Problem for each wrong one."""

    def __init__(self, row: int, cells: dict[str, str], codes: Ssda903Codes, today: date) -> None:
        self.row = row
        self.cells = cells
        self.codes = codes
        self.today = today
        self.problems: list[Problem] = []

    def problem(self, column: str, problem: str, fix: str) -> None:
        self.problems.append(Problem(self.row, column, problem, fix))

    def text(self, column: str) -> str:
        return self.cells.get(column, "").strip()

    def required_name(self, column: str, what: str) -> str | None:
        # Names are kept exactly as written (a leading "=" or tab included): never stripped,
        # never evaluated; exports neutralise them.
        value = self.cells.get(column, "")
        if not value.strip():
            self.problem(column, f"The child's {what} is blank.", f"Enter the child's {what}.")
            return None
        if len(value) > LONGEST_NAME:
            self.problem(
                column,
                f"The child's {what} is {len(value)} characters long.",
                f"Shorten it to {LONGEST_NAME} characters or fewer.",
            )
            return None
        return value

    def code(
        self, column: str, known: dict[str, object], what: str, *, required: bool
    ) -> str | None:
        value = self.text(column).upper()
        if not value:
            if required:
                self.problem(
                    column,
                    f"{column} (the {what}) is blank.",
                    f"Enter the {what} code from the SSDA903 return.",
                )
            return None
        if value not in known:
            self.problem(
                column,
                f"{value} is not an SSDA903 {what} code.",
                f"Use one of {', '.join(sorted(known))}.",
            )
            return None
        return value

    def day(self, column: str, what: str, *, required: bool) -> date | None:
        value = self.text(column)
        if not value:
            if required:
                self.problem(column, f"{column} (the {what}) is blank.", f"Enter the {what}.")
            return None
        try:
            parsed = parse_date(value)
        except ValueError:
            self.problem(
                column,
                f"{value} is not a date.",
                "Write the date as the return does, like 31/03/2026 (or as 2026-03-31).",
            )
            return None
        if parsed > self.today:
            self.problem(
                column,
                f"{column} (the {what}) is {show_date(parsed)}, which is in the future.",
                "Correct the date: it cannot be after today.",
            )
            return None
        return parsed

    def postcode(self, column: str, what: str) -> str | None:
        value = normalise_postcode(self.text(column))
        if not value:
            return None
        if not is_plausible_postcode(value):
            self.problem(
                column,
                f"{value} is not a postcode.",
                f"Enter the {what} as a postcode, like AB12 3CD, or its first part and the "
                "next digit, like AB12 3.",
            )
            return None
        return value


def parse_row(row: int, cells: dict[str, str], codes: Ssda903Codes, today: date) -> ParsedRow:
    """One row's facts, or the problems that stop them being read."""
    read = _RowReader(row, cells, codes, today)
    reference = read.text("CHILD")
    if not reference:
        read.problem(
            "CHILD",
            "CHILD (the child's reference) is blank.",
            "Enter the child's reference from the social-care system.",
        )
    elif len(reference) > LONGEST_REFERENCE:
        read.problem(
            "CHILD",
            f"The child's reference is {len(reference)} characters long.",
            f"Use the social-care system's reference ({LONGEST_REFERENCE} characters at most).",
        )
    child = _child_facts(read)
    episode = _episode_facts(read, child.date_of_birth if child else None)
    return ParsedRow(row, reference, cells, child, episode, read.problems)


def _child_facts(read: _RowReader) -> ChildFacts | None:
    problems_before = len(read.problems)
    first_name = read.required_name("FORENAME", "first name")
    last_name = read.required_name("SURNAME", "last name")
    sex = read.code("SEX", read.codes.sexes, "sex", required=True)
    born = read.day("DOB", "date of birth", required=True)
    ethnicity = read.code("ETHNIC", read.codes.ethnicities, "ethnicity", required=False)

    upn: str | None = read.text("UPN").upper() or None
    if upn in UPN_NOT_KNOWN:
        upn = None
    elif upn is not None and (why := upn_problem(upn)):
        read.problem(
            "UPN",
            why,
            "Copy the UPN from the school's records, or leave it blank, or use the return's "
            "UN1 to UN5 when the child has none.",
        )

    uasc_text = read.text("UASC").upper()
    if uasc_text not in ("", "Y", "N"):
        read.problem(
            "UASC",
            f"UASC is {read.text('UASC')}; it says whether the child is an unaccompanied "
            "asylum-seeking child.",
            "Write Y or N (blank means N).",
        )

    school_urn = read.text("SCHOOL_URN") or None
    no_place_text = read.text("NO_SCHOOL_PLACE")
    no_school_place = no_school_place_from(no_place_text) if no_place_text else None
    if no_place_text and no_school_place is None:
        read.problem(
            "NO_SCHOOL_PLACE",
            f"{no_place_text} is not a reason for having no school place.",
            "Use one of: "
            + "; ".join(f"{r.value} ({NO_SCHOOL_PLACE_LABELS[r]})" for r in NoSchoolPlace)
            + ".",
        )
    elif school_urn and no_school_place:
        read.problem(
            "NO_SCHOOL_PLACE",
            "The row gives both a school (SCHOOL_URN) and a reason for having no school place.",
            "Keep SCHOOL_URN if the child is on roll there, or clear it if they have no place.",
        )
    elif not school_urn and not no_place_text:
        read.problem(
            "SCHOOL_URN",
            "The row gives neither the child's school (SCHOOL_URN) nor why they have none "
            "(NO_SCHOOL_PLACE).",
            "Enter the school's DfE URN, or the reason the child has no school place.",
        )

    email = read.text("SW_EMAIL").lower() or None
    if email and not _EMAIL.match(email):
        read.problem(
            "SW_EMAIL",
            f"{email} is not an email address.",
            "Enter the social worker's work email address, as they sign in with it.",
        )

    if len(read.problems) > problems_before:
        return None
    assert first_name is not None and last_name is not None and sex and born
    return ChildFacts(
        first_name=first_name,
        last_name=last_name,
        sex=sex,
        date_of_birth=born,
        ethnicity=ethnicity,
        upn=upn,
        uasc=uasc_text == "Y" if "UASC" in read.cells else None,
        school_urn=school_urn,
        no_school_place=no_school_place,
        social_worker_email=email,
    )


def _episode_facts(read: _RowReader, born: date | None) -> EpisodeFacts | None:
    problems_before = len(read.problems)
    codes = read.codes
    started = read.day("DECOM", "date the episode started", required=True)
    if started and born and started < born:
        read.problem(
            "DECOM",
            f"The episode starts on {show_date(started)}, before the child's date of birth "
            f"({show_date(born)}).",
            "Correct DECOM or DOB.",
        )
    rne = read.code("RNE", codes.reasons_new_episode, "reason for new episode", required=True)
    legal_status = read.code("LS", codes.legal_statuses, "legal status", required=True)
    need = read.code("CIN", codes.categories_of_need, "category of need", required=False)
    place = read.code("PLACE", codes.placement_types, "placement type", required=True)
    provider = read.code(
        "PLACE_PROVIDER", codes.placement_providers, "placement provider", required=False
    )
    if provider and place in PLACEMENTS_WITHOUT_PROVIDER:
        read.problem(
            "PLACE_PROVIDER",
            f"A {place} placement has no placement provider, but PLACE_PROVIDER is {provider}.",
            "Leave PLACE_PROVIDER blank for temporary (T0 to T4) and other (Z1) placements.",
        )
    ended = read.day("DEC", "date the episode ended", required=False)
    reason_ended = read.code(
        "REC", codes.reasons_episode_ceased, "reason episode ceased", required=False
    )
    if started and ended and ended < started:
        read.problem(
            "DEC",
            f"The episode ends on {show_date(ended)}, before it starts ({show_date(started)}).",
            "Correct DEC or DECOM.",
        )
    dec_given, rec_given = bool(read.text("DEC")), bool(read.text("REC"))
    if dec_given and not rec_given:
        read.problem(
            "REC",
            "The episode has an end date (DEC) but no reason it ended (REC).",
            "Enter the REC code, or clear DEC if the episode has not ended.",
        )
    if rec_given and not dec_given:
        read.problem(
            "DEC",
            "The episode has a reason it ended (REC) but no end date (DEC).",
            "Enter the date the episode ended, or clear REC if it has not ended.",
        )
    home = read.postcode("HOME_POST", "child's home postcode")
    placement_postcode = read.postcode("PL_POST", "placement's postcode")
    ofsted_urn: str | None = read.text("URN").upper() or None
    if ofsted_urn == NO_OFSTED_URN:
        ofsted_urn = None
    elif ofsted_urn and not _OFSTED_URN.match(ofsted_urn):
        read.problem(
            "URN",
            f"{ofsted_urn} is not an Ofsted URN. URN here is the placement provider's Ofsted "
            "reference (not a school's).",
            "Enter the provider's Ofsted URN (like SC123456), XXXXXX if it has none, or leave "
            "it blank.",
        )
    placed_in = read.text("PLACED_LA") or None
    if placed_in and len(placed_in) > LONGEST_AUTHORITY:
        read.problem(
            "PLACED_LA",
            f"PLACED_LA is {len(placed_in)} characters long.",
            f"Enter the authority's name in {LONGEST_AUTHORITY} characters or fewer.",
        )
    if len(read.problems) > problems_before:
        return None
    assert started and rne and legal_status and place
    return EpisodeFacts(
        row=read.row,
        started_on=started,
        reason_new_episode=rne,
        legal_status=legal_status,
        category_of_need=need,
        placement_type=place,
        placement_provider=provider,
        ended_on=ended,
        reason_ended=reason_ended,
        home_postcode=home,
        placement_postcode=placement_postcode,
        provider_ofsted_urn=ofsted_urn,
        placed_in_authority=placed_in,
        placed_in_authority_given="PLACED_LA" in read.cells,
    )


def disagreements(rows: Sequence[ParsedRow]) -> list[Problem]:
    """A child's facts must read the same on each of their rows (compared as written). The
    rows are one child's whatever the case of the reference (C001 and c001), so a row that
    spells it another way says so: it may be another child's reference mistyped."""
    first = rows[0]
    problems = []
    for later in rows[1:]:
        child = first.reference
        if later.reference != first.reference:
            child += f", written {later.reference} here"
        for column in CHILD_COLUMNS:
            here, there = later.cells.get(column, ""), first.cells.get(column, "")
            # Names are kept exactly as written, so they must agree exactly; codes and dates
            # may differ in the spaces around them.
            exact = column in ("FORENAME", "SURNAME")
            if (here == there) if exact else (here.strip() == there.strip()):
                continue
            problems.append(
                Problem(
                    later.row,
                    column,
                    f"{column} is {_quoted(here)} here but {_quoted(there)} on row {first.row}, "
                    f"for the same child ({child}).",
                    f"Make {column} the same on each of this child's rows.",
                )
            )
    return problems


def _quoted(text: str) -> str:
    return f"'{text}'" if text.strip() else "blank"


def episode_problems(episodes: Sequence[EpisodeFacts], reference: str) -> list[Problem]:
    """Duplicate starts, overlapping episodes, and X1 with no episode continuing it."""
    problems: list[Problem] = []
    first_with_start: dict[date, EpisodeFacts] = {}
    distinct: list[EpisodeFacts] = []
    for episode in episodes:
        earlier = first_with_start.get(episode.started_on)
        if earlier is not None:
            problems.append(
                Problem(
                    episode.row,
                    "DECOM",
                    f"Rows {earlier.row} and {episode.row} are both the episode of child "
                    f"{reference} that started on {show_date(episode.started_on)}.",
                    f"Keep one of rows {earlier.row} and {episode.row}, or correct its DECOM.",
                )
            )
            continue
        first_with_start[episode.started_on] = episode
        distinct.append(episode)
    ordered = sorted(distinct, key=lambda e: e.started_on)
    for before, after in pairwise(ordered):
        if before.ended_on is None or before.ended_on > after.started_on:
            ends = show_date(before.ended_on) if before.ended_on else "no end date"
            problems.append(
                Problem(
                    after.row,
                    "DECOM",
                    f"This episode starts on {show_date(after.started_on)}, while the episode "
                    f"on row {before.row} ({show_date(before.started_on)} to {ends}) has not "
                    "ended.",
                    f"Correct DECOM here or DEC on row {before.row}: a child's episodes cannot "
                    "overlap.",
                )
            )
    starts = {episode.started_on for episode in ordered}
    for episode in ordered:
        if episode.reason_ended == "X1" and episode.ended_on not in starts:
            problems.append(
                Problem(
                    episode.row,
                    "REC",
                    f"REC is X1 (a new episode begins the same day), but no episode of child "
                    f"{reference} starts on {show_date(episode.ended_on)}.",
                    "Add the episode that began that day, or give the reason care ended.",
                )
            )
    return problems


@dataclass(frozen=True)
class CareSummary:
    """What a child's episodes say about them now."""

    legal_status: str
    date_entered_care: date
    date_left_care: date | None
    reason_left_care: str | None


def summarise_care(episodes: Sequence[EpisodeFacts], codes: Ssda903Codes) -> CareSummary:
    """The latest episode's legal status; the start of the current period of care (after
    the last episode that ended with the child leaving care; X1 does not end a period); and
    leaving care, when the latest episode ended for a reason that leaves care."""
    ordered = sorted(episodes, key=lambda e: e.started_on)
    period_start = ordered[0].started_on
    for before, after in pairwise(ordered):
        if _leaves_care(before, codes):
            period_start = after.started_on
    latest = ordered[-1]
    left = _leaves_care(latest, codes)
    return CareSummary(
        legal_status=latest.legal_status,
        date_entered_care=period_start,
        date_left_care=latest.ended_on if left else None,
        reason_left_care=latest.reason_ended if left else None,
    )


def _leaves_care(episode: EpisodeFacts, codes: Ssda903Codes) -> bool:
    if episode.ended_on is None or episode.reason_ended is None:
        return False
    reason = codes.reasons_episode_ceased.get(episode.reason_ended)
    return reason is not None and reason.leaves_care
