"""Realistic, consistent, anonymised answers to every PEP form: for demo data.

Unlike ``forms.samples`` (which proves every rule can be met), these answers read like a real
authority's PEPs: varied text chosen per field and phase, a story that holds together within a
PEP (no "no special educational needs" beside an EHCP review date; attendance, absences and
suspensions that add up; targets that fit the child's key stage; the child's views in the words
of a child of their age), and previous targets carried forward and evaluated.

Everything is chosen by a random generator seeded from the child's reference, so the same child
gets the same answers every time. Pure Python: no Flask, no database.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from forms.answers import voice_answers
from forms.conditions import Condition, is_required_now, parse_condition
from forms.fields import format_money, format_percentage
from forms.phases import Phase, VoiceBand
from forms.schema import (
    CheckboxesDefinition,
    ChoiceDefinition,
    DateDefinition,
    FieldDefinition,
    FormDefinition,
    LongTextDefinition,
    MoneyDefinition,
    PercentageDefinition,
    RepeatingGroupDefinition,
    SectionDefinition,
    SectionType,
    ShortTextDefinition,
    WholeNumberDefinition,
    YesNoDefinition,
)

__all__ = [
    "ChildStory",
    "Circumstances",
    "DemoPeople",
    "circumstances_of",
    "key_stage",
    "realistic_pep_answers",
    "realistic_section_answers",
    "realistic_voice_answers",
]


# --------------------------------------------------------------------------------------------
# Who the child is, and what stays true of them from one PEP to the next
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoPeople:
    """The adults around the child, by the names the demo gives them."""

    designated_teacher: str
    social_worker: str
    carer: str
    carer_role: str = "Foster carer"
    virtual_school_adviser: str | None = None
    # The child's independent reviewing officer (IRO), who chairs the care plan reviews.
    independent_reviewing_officer: str | None = None


@dataclass(frozen=True)
class ChildStory:
    """What the generator needs to know about the child at the time of the PEP."""

    reference: str
    first_name: str
    date_of_birth: date
    year_group: int | None  # at the PEP meeting; reception 0, nursery -1 and -2
    sex: str | None = None  # SSDA903: "1" male, "2" female
    legal_status: str = "C2"  # SSDA903 legal status code
    school_name: str | None = None
    school_urn: str | None = None
    placed_out_of_area: bool = False
    placed_in_authority: str | None = None
    uasc: bool = False
    first_language: str | None = None
    # The day the child joined their current school, when they changed school in the year.
    joined_school_on: date | None = None
    date_entered_care: date | None = None
    # The day the current placement began, when the child's record knows it.
    placement_started_on: date | None = None
    people: DemoPeople | None = None
    # The school the child left when they changed school in the year (with joined_school_on).
    previous_school_name: str | None = None
    previous_school_urn: str | None = None
    # What only some children's stories hold; the forms from version 3 on record each of them.
    suspended_this_year: bool = False
    permanently_excluded: bool = False
    # A young child not yet in any early years setting (and a plan to find one).
    in_early_years_setting: bool = True
    # A young person not in education, employment or training.
    neet: bool = False


@dataclass(frozen=True)
class Circumstances:
    """The child's needs and situation: chosen once from their reference, the same in every PEP."""

    sen_status: str  # none, sen_support, ehc_assessment, ehcp
    primary_need: str | None
    attendance_band: str  # strong, steady, concern
    placement_type: str
    placements_last_12_months: int
    school_moves: int
    reduced_timetable: bool
    alternative_provision: bool
    sdq_score: int
    support_received: tuple[str, ...]
    interests: tuple[str, ...]
    aspiration: str
    carer_names: str
    birth_parent: str
    parent_views_sought: bool


_PRIMARY_NEEDS_BY_STAGE = {
    "early": ("slcn", "slcn", "semh", "asd", "pd"),
    "school": ("semh", "semh", "slcn", "spld", "mld", "asd", "oth"),
}
_INTERESTS = (
    "football",
    "swimming",
    "dance",
    "drama",
    "gymnastics",
    "cooking",
    "art",
    "music",
    "cycling",
    "karate",
    "basketball",
    "chess",
)
_ASPIRATIONS = (
    "vet",
    "footballer",
    "hairdresser",
    "police officer",
    "nurse",
    "teacher",
    "mechanic",
    "chef",
    "game designer",
    "paramedic",
    "builder",
    "artist",
)
_SURNAMES = (
    "Holloway",
    "Barker",
    "Mensah",
    "Whitfield",
    "Kaur",
    "Doyle",
    "Sutton",
    "Oduya",
    "Griffiths",
    "Bryant",
    "Lomax",
    "Farrell",
)
_CARER_FIRST_NAMES = (
    ("Karen", "Steve"),
    ("Lisa", "Mark"),
    ("Aisha", "Imran"),
    ("Denise", "Paul"),
    ("Helen", None),
    ("Bev", None),
    ("Marcia", "Leon"),
    ("Julie", "Gareth"),
)


def _rng(*parts: object) -> random.Random:
    # A string seed is hashed the same way in every run (random.seed uses SHA-512 for str).
    # Demo answers, not secrets: a predictable generator is the point.
    return random.Random(":".join(str(part) for part in parts))  # noqa: S311  # nosec B311


def key_stage(year_group: int | None, phase: Phase) -> str:
    """The stage whose targets and attainment suit the child: eyfs, reception, ks1-ks4, post16."""
    if phase is Phase.POST_16 or (year_group is not None and year_group >= 12):
        return "post16"
    if phase is Phase.EARLY_YEARS or year_group is None or year_group < 0:
        return "eyfs" if phase is not Phase.SCHOOL_AGE else "ks2"
    if year_group == 0:
        return "reception"
    if year_group <= 2:
        return "ks1"
    if year_group <= 6:
        return "ks2"
    if year_group <= 9:
        return "ks3"
    return "ks4"


def circumstances_of(story: ChildStory) -> Circumstances:
    """The child's stable circumstances, chosen from their reference alone."""
    rng = _rng(story.reference, "circumstances")
    young = story.year_group is not None and story.year_group < 0
    roll = rng.random()
    if roll < 0.42:
        sen_status = "none"
    elif roll < 0.72:
        sen_status = "sen_support"
    elif roll < 0.80 and not (story.year_group is not None and story.year_group >= 12):
        sen_status = "ehc_assessment"
    else:
        sen_status = "ehcp"
    needs = _PRIMARY_NEEDS_BY_STAGE["early" if young else "school"]
    primary_need = rng.choice(needs) if sen_status != "none" else None
    attendance_band = rng.choices(("strong", "steady", "concern"), (5, 3, 2))[0]
    if story.legal_status == "E1":
        placement_type = rng.choice(("placed_for_adoption", "foster_local_authority"))
    elif story.uasc:
        placement_type = "foster_agency"
    else:
        placement_type = rng.choices(
            ("foster_local_authority", "foster_agency", "kinship", "childrens_home"),
            (5, 3, 2, 1 if not young else 0),
        )[0]
    placements = rng.choices((1, 2, 3), (6, 3, 1))[0]
    school_moves = rng.choices((0, 1, 2), (5, 3, 1))[0]
    if story.joined_school_on is not None:
        school_moves = max(1, school_moves)
    reduced = sen_status in ("ehcp", "ehc_assessment") and rng.random() < 0.25 and not young
    alternative = (
        not young
        and story.year_group is not None
        and 9 <= story.year_group <= 11
        and rng.random() < 0.3
    )
    sdq = rng.randint(6, 14) if attendance_band != "concern" else rng.randint(14, 24)
    support_pool = ["school_counsellor", "elsa", "camhs", "educational_psychologist"]
    if primary_need == "slcn":
        support_pool.append("speech_language_therapy")
    if primary_need in ("pd", "asd"):
        support_pool.append("occupational_therapy")
    support = tuple(
        option
        for option in (
            "school_counsellor",
            "elsa",
            "camhs",
            "educational_psychologist",
            "speech_language_therapy",
            "occupational_therapy",
        )
        if option in rng.sample(support_pool, rng.randint(1, 2))
    )
    first, second = rng.choice(_CARER_FIRST_NAMES)
    surname = rng.choice(_SURNAMES)
    carer_names = f"{first} and {second} {surname}" if second else f"{first} {surname}"
    circumstances = Circumstances(
        sen_status=sen_status,
        primary_need=primary_need,
        attendance_band=attendance_band,
        placement_type=placement_type,
        placements_last_12_months=placements,
        school_moves=school_moves,
        reduced_timetable=reduced,
        alternative_provision=alternative,
        sdq_score=sdq,
        support_received=support,
        interests=tuple(rng.sample(_INTERESTS, 3)),
        aspiration=rng.choice(_ASPIRATIONS),
        carer_names=carer_names,
        birth_parent=rng.choice(("Mum", "Dad", "Mum and Dad")),
        parent_views_sought=not story.uasc and rng.random() < 0.7,
    )
    if story.uasc and young:
        # An unaccompanied child under five: learning English is not a special educational
        # need; one placement, with foster carers, since they arrived.
        return replace(
            circumstances,
            sen_status="none",
            primary_need=None,
            attendance_band="steady",
            placements_last_12_months=1,
            school_moves=0,
            support_received=(),
            interests=("swimming", "music", "art"),
        )
    return circumstances


# --------------------------------------------------------------------------------------------
# The context one PEP's answers are written in
# --------------------------------------------------------------------------------------------


@dataclass
class _Pep:
    story: ChildStory
    circumstances: Circumstances
    phase: Phase
    band: VoiceBand
    stage: str
    meeting_date: date
    valid_on: date
    rng: random.Random
    previous: Mapping[str, Mapping[str, Any]]
    prefilled: Mapping[str, Mapping[str, Any]]
    pep_number: int
    words: dict[str, str] = field(default_factory=dict)
    # Worked out once, so that the sections that mention them agree.
    facts: dict[str, Any] = field(default_factory=dict)
    # The section being written: a writer shared by several versions asks it which questions
    # this version has.
    section: SectionDefinition | None = None
    form_version: int = 1

    def say(self, text: str) -> str:
        """Fill in the child's name and pronouns."""
        return text.format_map(self.words)

    def pick(self, options: Sequence[str]) -> str:
        return self.say(self.rng.choice(options))

    def people(self) -> DemoPeople:
        if self.story.people is not None:
            return self.story.people
        return DemoPeople(
            designated_teacher="Mrs K. Ansell",
            social_worker="Dev Mistry",
            carer=self.circumstances.carer_names,
        )

    def after(self, days: int) -> date:
        """A day this many days after the meeting that is not before the day answers must be
        valid on (dates that may not be in the past)."""
        return max(self.meeting_date + timedelta(days=days), self.valid_on + timedelta(days=7))


def _pronouns(sex: str | None, name: str) -> dict[str, str]:
    if sex == "1":
        he, his, him = "he", "his", "him"
    elif sex == "2":
        he, his, him = "she", "her", "her"
    else:
        he, his, him = "they", "their", "them"
    return {
        "n": name,
        "he": he,
        "He": he.capitalize(),
        "his": his,
        "His": his.capitalize(),
        "him": him,
        "is": "are" if he == "they" else "is",
        "has": "have" if he == "they" else "has",
        "s": "" if he == "they" else "s",
        "es": "" if he == "they" else "es",
    }


# --------------------------------------------------------------------------------------------
# Targets by key stage: outcome, area per form, why, actions, measure, and how each one ends
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    outcome: str
    area: str  # a value of the area options of the form family the stage uses
    why: str
    action_what: str
    action_who: str
    how_often: str
    measure: str
    cost: int  # pounds of Pupil Premium Plus; 0 for none
    buys: str
    achieved: str
    partly: str
    not_yet: str


_TARGETS: dict[str, tuple[_Target, ...]] = {
    "eyfs": (
        _Target(
            "{n} will use simple sentences of three or four words to ask for what {he} need{s} "
            "during play.",
            "communication_language",
            "Being understood helps {n} manage frustration and join in with other children.",
            "Daily small-group language sessions (Early Talk Boost) and modelling of new words "
            "during free play.",
            "Key person",
            "Three 15-minute sessions a week",
            "Key person's observations record {n} using three- or four-word sentences on most "
            "days.",
            300,
            "Early Talk Boost resources and key person time for small-group sessions",
            '{n} now regularly uses four-word sentences such as "I want the red bike".',
            "{n} uses three-word phrases with familiar adults but not yet with other children.",
            "{n} still mostly uses single words and pointing; a speech and language referral "
            "has been made.",
        ),
        _Target(
            "{n} will settle at drop-off within ten minutes with the support of {his} key person.",
            "personal_social_emotional",
            "A calm start lets {n} make the most of each session and builds trust in the setting.",
            "A consistent goodbye routine with {his} carer, a photo book of home and a "
            "favourite activity set out on arrival.",
            "Key person and carer",
            "Every session",
            "Settling time recorded daily is under ten minutes on four days out of five.",
            0,
            "",
            "{n} now settles within five minutes and goes straight to the sand tray.",
            "{n} settles quickly on most days but is still unsettled after weekends.",
            "{n} is still distressed at drop-off on most days; the routine is being reviewed.",
        ),
        _Target(
            "{n} will take turns in a small group game with an adult's support.",
            "personal_social_emotional",
            "Turn-taking is the foundation for friendships and for learning in a group.",
            "Short turn-taking games (lotto, skittles, sharing a toy with a sand timer) led by "
            "the key person.",
            "Key person",
            "Four short sessions a week",
            "{n} waits for {his} turn in a game of four children without adult prompting on "
            "three occasions.",
            150,
            "Turn-taking games and sand timers for the room",
            "{n} waits for {his} turn and cheers the other children on.",
            "{n} takes turns with one other child but finds a bigger group hard.",
            "{n} still finds waiting very hard; adult support continues.",
        ),
        _Target(
            "{n} will count reliably to five and match numerals to groups of objects.",
            "mathematics",
            "Secure early number sense makes the move into Reception easier.",
            "Counting songs, number hunts outdoors and a home learning bag of counting "
            "activities for {his} carer.",
            "Key person and carer",
            "Daily, through play",
            "{n} counts five objects accurately and picks the matching numeral in three "
            "observations.",
            120,
            "A home learning bag of counting games and books",
            "{n} counts to ten and matches numerals to five confidently.",
            "{n} counts to five by rote but does not yet match numerals to groups.",
            "{n} is not yet counting objects reliably; this stays a focus.",
        ),
        _Target(
            "{n} will use both hands together to build, pour and cut with child scissors.",
            "physical_development",
            "Strong fine motor skills come before early mark making and dressing {him}self.",
            "Playdough gym, threading and cutting activities each morning.",
            "Key person",
            "Ten minutes every morning",
            "{n} snips along a thick line with scissors and threads six large beads.",
            100,
            "Fine motor resources (playdough, threading sets, child scissors)",
            "{n} now cuts along a line and loves threading necklaces.",
            "{n} threads beads well but still needs help with scissors.",
            "{n} avoids fine motor activities; an occupational therapy view is being sought.",
        ),
    ),
    # A young child new to English (an unaccompanied child under five): English alongside
    # their home language, and feeling safe enough to play.
    "eyfs_eal": (
        _Target(
            "{n} will use ten everyday English words and short phrases (such as drink, "
            "toilet, help and my turn) to ask for what {he} need{s}.",
            "communication_language",
            "Asking in English lets {n} join in and get help at once, without waiting for an "
            "adult who speaks {his} home language.",
            "Key words modelled with pictures and signs through the day, dual-language labels "
            "in the room, and a fortnightly visit from the EMA service's bilingual assistant.",
            "Key person and bilingual assistant",
            "Daily, and a fortnightly visit",
            "The key person's observations record {n} using ten English words or phrases to "
            "ask for things, unprompted, over two weeks.",
            250,
            "Dual-language books and picture cards, and key person time with the bilingual "
            "assistant",
            "{n} now asks for a drink, the toilet, help and a turn in English, and has started "
            "to put two words together.",
            "{n} uses five or six English words with {his} key person but not yet with other "
            "adults.",
            "{n} still points and uses {his} home language to ask; the bilingual assistant is "
            "visiting weekly for now.",
        ),
        _Target(
            "{n} will say goodbye to {his} carer at the door and settle to play within ten "
            "minutes, with {his} key person close by.",
            "personal_social_emotional",
            "After so many changes and goodbyes, a calm, predictable start to each morning "
            "helps {n} feel safe enough to play and learn.",
            "The same goodbye routine every morning, {his} key person greeting {him} at the "
            "door with a few words in {his} home language, and a photo book of {his} carer "
            "and brother to look at.",
            "Key person and carer",
            "Every session",
            "Settling time, recorded daily, is under ten minutes on four mornings out of five.",
            0,
            "",
            "{n} now waves goodbye at the door and goes straight to the water tray.",
            "{n} settles quickly most days but is unsettled after appointments and weekends.",
            "{n} is still distressed at drop-off on most days; the routine has been changed "
            "with the bilingual assistant's advice.",
        ),
        _Target(
            "{n} will join a small group for a story or song time for ten minutes.",
            "personal_social_emotional",
            "Group times are where {n} hears the most English, and they build the friendships "
            "{he} will take into Reception.",
            "Story and song time for four children with props and repeated refrains, after "
            "hearing the story one to one from a dual-language book.",
            "Key person",
            "Four times a week",
            "{n} stays and joins in with a group story or song time for ten minutes on three "
            "occasions, from the key person's observations.",
            150,
            "Story sacks and dual-language picture books for group times",
            "{n} joins every group story time and now calls out the repeated refrains in English.",
            "{n} stays for group time with {his} key person beside {him} but does not yet join in.",
            "{n} still leaves group times after a minute or two; one-to-one story time "
            "continues first.",
        ),
    ),
    "reception": (
        _Target(
            "{n} will recognise and say the sounds of all Phase 2 and Phase 3 phonemes.",
            "attainment",
            "Secure phonics is the key to {n} learning to read in Year 1.",
            "Daily catch-up phonics in a small group and a phonics game to play at home.",
            "Reception teaching assistant",
            "Daily, 10 minutes",
            "The school's phonics assessment shows all Phase 2 and 3 sounds secure.",
            250,
            "Phonics catch-up resources and teaching assistant time",
            "{n} knows every Phase 3 sound and is blending words to read.",
            "{n} knows most Phase 2 sounds but Phase 3 digraphs are not yet secure.",
            "{n} recognises about half of the Phase 2 sounds; catch-up continues daily.",
        ),
        _Target(
            "{n} will write {his} first name and simple words using {his} phonics.",
            "attainment",
            "Early writing builds confidence and is part of a good level of development.",
            "Name writing practice and dough disco every morning; writing in role-play areas.",
            "Class teacher",
            "Daily",
            "{n} writes {his} name unaided and writes three CVC words in an independent task.",
            0,
            "",
            "{n} writes {his} name and simple labels for {his} drawings.",
            "{n} writes {his} name but words are not yet readable.",
            "{n} is still forming most letters with help.",
        ),
        _Target(
            "{n} will play alongside other children and join in a game for ten minutes.",
            "wellbeing",
            "Friendships in Reception help {n} feel safe and happy at school.",
            "Nurture group twice a week and a buddy at playtime.",
            "ELSA",
            "Two 20-minute sessions a week",
            "Playground observations show {n} joining a game for ten minutes on most days.",
            200,
            "Nurture group sessions with the ELSA",
            "{n} now has two close friends and joins in games at playtime.",
            "{n} plays alongside others but rarely joins in a shared game.",
            "{n} still prefers to play alone; the nurture group continues.",
        ),
    ),
    "ks1": (
        _Target(
            "{n} will read a book matched to {his} phonics level with 95% accuracy.",
            "attainment",
            "Reading fluently lets {n} access every subject and keep up with {his} class.",
            "Daily one-to-one reading with an adult and Read Write Inc. catch-up sessions.",
            "Year {year} teaching assistant",
            "Every day, 15 minutes",
            "Running records show 95% accuracy on a book at {his} phonics level.",
            400,
            "Teaching assistant time for daily reading and catch-up phonics",
            "{n} reads {his} phonics book with 97% accuracy and is moving up a colour band.",
            "{n} reads with about 90% accuracy; fluency is improving but not yet secure.",
            "{n} is still below 85% accuracy; a reading assessment has been requested.",
        ),
        _Target(
            "{n} will recall number bonds to 10 and use them to add within 20.",
            "attainment",
            "Quick recall of number facts frees {n} to solve problems in maths.",
            "Number bond games (Numicon, Times Tables Rock Stars Jr.) in school and at home.",
            "Class teacher and carer",
            "Five minutes a day",
            "{n} answers 10 number bond questions correctly in under a minute.",
            150,
            "A maths intervention licence and Numicon set for home",
            "{n} recalls all number bonds to 10 instantly.",
            "{n} knows most bonds to 10 but still counts on fingers to add within 20.",
            "{n} is still counting all objects to add; maths support continues.",
        ),
        _Target(
            "{n} will tell an adult when {he} feel{s} worried rather than leaving the classroom.",
            "wellbeing",
            "Naming feelings keeps {n} safe and in lessons.",
            "A feelings check-in each morning and a worry box; ELSA sessions weekly.",
            "ELSA",
            "Weekly 30-minute session and a daily check-in",
            "Fewer than two times a half term when {n} leaves the classroom without asking.",
            300,
            "ELSA sessions",
            "{n} now uses {his} feelings card and has not left class this half term.",
            "{n} uses the check-in most days but still left the classroom four times.",
            "{n} still leaves class when upset; the plan has been shared with {his} carer.",
        ),
    ),
    "ks2": (
        _Target(
            "{n} will know {his} times tables up to 12 x 12 and recall them in under six seconds.",
            "attainment",
            "Times tables underpin fractions and the Year {year} maths curriculum.",
            "Times Tables Rock Stars in school and at home, and a weekly small-group intervention.",
            "Class teacher and carer",
            "Daily, 10 minutes, plus one group session a week",
            "A score of at least 20 out of 25 in the school's multiplication check.",
            150,
            "A Times Tables Rock Stars home licence and a weekly maths intervention",
            "{n} scored 24 out of 25 in the last multiplication check.",
            "{n} is secure up to the 6 times table; 7, 8 and 12 need more practice.",
            "{n} still relies on counting up; the intervention continues.",
        ),
        _Target(
            "{n} will read age-appropriate texts fluently and answer inference questions.",
            "attainment",
            "Reading comprehension is the biggest barrier to {n} working at the expected standard.",
            "Reciprocal reading group and one-to-one tutoring with a reading specialist.",
            "Reading specialist tutor",
            "Two 30-minute sessions a week",
            "The reading assessment at the end of next term shows a standardised score of 95 "
            "or more.",
            650,
            "Twelve weeks of one-to-one reading tutoring",
            "{n}'s standardised reading score rose from 89 to 98.",
            "{n}'s reading score rose from 86 to 92; inference is still a focus.",
            "{n}'s reading score has not moved; the tutor is changing the approach.",
        ),
        _Target(
            "{n} will write a paragraph with accurate punctuation and joined handwriting.",
            "attainment",
            "Clear writing lets {n} show what {he} know{s} in every subject.",
            "Handwriting practice and a writing frame for longer pieces.",
            "Class teacher",
            "Three times a week",
            "Two independent pieces of writing marked at the expected standard.",
            0,
            "",
            "{n}'s last two independent pieces were at the expected standard.",
            "{n}'s punctuation is accurate but handwriting is not yet joined.",
            "{n} still writes single sentences; a writing assessment is planned.",
        ),
        _Target(
            "{n} will manage unstructured times (break and lunch) without incidents.",
            "behaviour",
            "Calm lunchtimes mean {n} comes back to lessons ready to learn.",
            "A lunchtime club with a trusted adult and a plan for what to do when a game goes "
            "wrong.",
            "Learning mentor",
            "Every lunchtime, with a weekly review",
            "No more than one recorded lunchtime incident a half term.",
            350,
            "Learning mentor time for a lunchtime club",
            "No lunchtime incidents recorded since the last PEP.",
            "Incidents have dropped from eight to three a half term.",
            "Incidents have not reduced; an educational psychologist is advising.",
        ),
    ),
    "ks3": (
        _Target(
            "{n} will complete and hand in {his} homework on time in English, maths and science.",
            "attainment",
            "Homework consolidates learning and {n} wants to move up a set in maths.",
            "Homework club three evenings a week and a weekly check of the homework planner "
            "with {his} carer.",
            "Form tutor and carer",
            "Three sessions a week and a weekly check",
            "At least 90% of homework handed in on time, from the school's tracking.",
            0,
            "",
            "{n} handed in every piece of homework on time this half term.",
            "{n}'s homework completion rose to 75%; science is still missed.",
            "Homework completion is still under 50%; homework club attendance is low.",
        ),
        _Target(
            "{n} will reach a reading age within a year of {his} actual age.",
            "attainment",
            "Reading underpins every GCSE subject {n} will take.",
            "Lexia sessions and a reading mentor (a Year 12 student) once a week.",
            "Literacy coordinator",
            "Three 20-minute Lexia sessions and one mentor session a week",
            "The next reading assessment shows a reading age within twelve months of {his} age.",
            450,
            "A Lexia licence and reading mentor time",
            "{n}'s reading age has risen by 18 months and is now in line with {his} age.",
            "{n}'s reading age has risen by 8 months but is still 15 months behind.",
            "{n}'s reading age has not improved; a specialist assessment is booked.",
        ),
        _Target(
            "{n} will use {his} exit card and the calm space instead of walking out of lessons.",
            "behaviour",
            "Staying in lessons keeps {n} learning and reduces removals and suspensions.",
            "Weekly mentoring with the pastoral lead and an agreed exit card plan shared with "
            "all staff.",
            "Pastoral lead",
            "Weekly 30-minute mentoring",
            "Removals from lessons fall to fewer than two a week, from the behaviour log.",
            500,
            "Mentoring sessions with the pastoral lead",
            "Removals have fallen to none in the last four weeks.",
            "Removals have fallen from five a week to two.",
            "Removals have not fallen; a referral to the inclusion team has been made.",
        ),
        _Target(
            "{n} will join an after-school club and attend it every week.",
            "wellbeing",
            "A club builds friendships and confidence outside lessons.",
            "The designated teacher will help {n} choose a club and the Virtual School will "
            "fund any equipment.",
            "Designated teacher",
            "Weekly",
            "{n} attends the club at least 8 out of 10 weeks, from the club register.",
            120,
            "Kit and equipment for the club",
            "{n} has not missed a single session of the club.",
            "{n} went to the club for the first five weeks then stopped.",
            "{n} has not yet found a club {he} want{s} to join.",
        ),
    ),
    "ks4": (
        _Target(
            "{n} will achieve a grade 4 or above in GCSE English Language.",
            "attainment",
            "A grade 4 in English opens the college courses {n} wants to apply for.",
            "One-to-one tutoring focused on the reading paper, and a revision guide for home.",
            "English tutor (funded by PP+)",
            "One hour a week for 12 weeks",
            "A grade 4 or above in the next mock exam.",
            720,
            "Twelve hours of one-to-one English tutoring and revision guides",
            "{n} achieved a grade 5 in the English mock.",
            "{n} moved from a grade 3 to a high 3 in the mock; tutoring continues.",
            "{n} stayed at a grade 3; tutoring has been moved to a time {he} can attend.",
        ),
        _Target(
            "{n} will achieve a grade 4 or above in GCSE Maths.",
            "attainment",
            "Maths at grade 4 avoids compulsory resits at college.",
            "Small-group maths intervention after school and an online revision platform.",
            "Head of maths",
            "Weekly group session and 30 minutes online a week",
            "A grade 4 or above in the next maths mock exam.",
            480,
            "Small-group maths intervention and an online revision subscription",
            "{n} reached a grade 4 in the maths mock.",
            "{n} is a borderline 3/4; algebra is the focus next term.",
            "{n} is working at a grade 2; a tutor is being arranged.",
        ),
        _Target(
            "{n} will have a college or apprenticeship application in by the end of January.",
            "transition",
            "A planned move after Year 11 avoids {n} becoming NEET.",
            "Two careers interviews, a college open evening visit with {his} carer and help "
            "with the application form.",
            "Careers adviser and designated teacher",
            "Two interviews and one visit this term",
            "An application submitted and acknowledged by the college or provider.",
            60,
            "Travel to college open evenings",
            "{n} has applied to two colleges and has an interview date.",
            "{n} has visited a college but not yet applied.",
            "{n} has not yet decided what to apply for; careers support is increased.",
        ),
        _Target(
            "{n} will attend at least 95% of sessions this term.",
            "attendance",
            "Attendance is the strongest predictor of {n}'s GCSE results.",
            "A daily morning check-in with {his} mentor and a reward agreed with {his} carer "
            "for full weeks.",
            "Attendance officer and carer",
            "Daily check-in, weekly review",
            "Attendance of 95% or more on the school register at the end of term.",
            0,
            "",
            "{n}'s attendance this term is 96%.",
            "{n}'s attendance rose from 86% to 91%.",
            "{n}'s attendance has not improved; a multi-agency meeting is planned.",
        ),
    ),
    "post16": (
        _Target(
            "{n} will achieve a grade 4 in GCSE Maths at the resit in the summer.",
            "english_maths",
            "A maths grade 4 is needed for {his} chosen Level 3 course next year.",
            "Weekly maths tutoring in the college's learning hub and online practice.",
            "College maths tutor",
            "One hour a week plus 30 minutes online",
            "A grade 4 in the college mock in March.",
            480,
            "Maths tutoring in the learning hub",
            "{n} reached a grade 4 in the college mock.",
            "{n} is now a secure grade 3; tutoring continues.",
            "{n} stopped going to maths tutoring; a new time has been agreed.",
        ),
        _Target(
            "{n} will complete {his} course assignments by each deadline.",
            "attainment",
            "Meeting deadlines keeps {n} on track to pass the year and progress.",
            "A weekly planning session with {his} personal tutor and a laptop for home study.",
            "Personal tutor",
            "Weekly 20-minute session",
            "All assignments submitted on time this term, from the college tracker.",
            550,
            "A laptop for assignments at home",
            "{n} has submitted every assignment on time this term.",
            "{n} has submitted four of six assignments on time.",
            "{n} is behind on three assignments; a catch-up plan is agreed.",
        ),
        _Target(
            "{n} will apply for a Level 3 course or an apprenticeship for next September.",
            "careers",
            "A clear next step keeps {n} in education or training after this course.",
            "Careers guidance interview, help with applications and a mock interview.",
            "College careers adviser and personal adviser",
            "Two interviews this term",
            "At least one application submitted by the end of March.",
            0,
            "",
            "{n} has applied for two apprenticeships and has an interview.",
            "{n} has an application started but not yet sent.",
            "{n} has not yet applied; the personal adviser will meet {him} fortnightly.",
        ),
        _Target(
            "{n} will budget for food and travel each week and keep to it.",
            "independence",
            "Managing money is a key step towards living independently.",
            "A budgeting course run by the leaving care team and weekly check-ins with {his} "
            "personal adviser.",
            "Personal adviser",
            "Weekly check-in",
            "{n} keeps to {his} budget for six weeks running.",
            0,
            "",
            "{n} has kept to {his} budget every week since the course.",
            "{n} kept to {his} budget in four of the last six weeks.",
            "{n} has run out of money most weeks; support has been increased.",
        ),
    ),
}

# The same targets fit another family of forms by meaning: area values per form.
_AREA_FOR_FORM: dict[Phase, dict[str, str]] = {
    Phase.SCHOOL_AGE: {
        "communication_language": "communication",
        "personal_social_emotional": "wellbeing",
        "physical_development": "other",
        "mathematics": "attainment",
        "literacy": "attainment",
        "english_maths": "attainment",
        "careers": "transition",
        "independence": "other",
    },
    Phase.EARLY_YEARS: {
        "attainment": "literacy",
        "wellbeing": "personal_social_emotional",
        "behaviour": "personal_social_emotional",
        "communication": "communication_language",
    },
    Phase.POST_16: {
        "transition": "careers",
        "behaviour": "wellbeing",
        "attendance": "attendance",
    },
}


def _targets_for(stage: str) -> tuple[_Target, ...]:
    return _TARGETS["ks2" if stage not in _TARGETS else stage]


def _find_target(text: object, words: Mapping[str, str]) -> _Target | None:
    """The bank entry a carried-forward target came from: its outcome in the child's words."""
    if not isinstance(text, str):
        return None
    for targets in _TARGETS.values():
        for target in targets:
            if target.outcome.format_map(words) == text:
                return target
    return None


# --------------------------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------------------------


def _term_start(on: date) -> date:
    if on.month >= 9:
        return date(on.year, 9, 3)
    if on.month >= 4:
        return date(on.year, 4, 15)
    return date(on.year, 1, 5)


# What the child said about coming to their meeting, and how they then took part.
_PARTICIPATION = {
    "yes": "whole_meeting",
    "some_of_it": "part_meeting",
    "not_sure": "part_meeting",
    "no": "views_shared",
}


def _meeting_wish(story: ChildStory, pep_number: int) -> str:
    """The child's answer to "Do you want to come to your meeting?" (young children do not
    come: their views are shared)."""
    if story.year_group is None or story.year_group < 3:
        return "no"
    return _rng(story.reference, "meeting wish", pep_number).choice(
        ("yes", "some_of_it", "some_of_it", "no", "not_sure")
    )


def _meeting_details(pep: _Pep) -> dict[str, Any]:
    people = pep.people()
    story = pep.story
    rng = pep.rng
    venue_options = [
        f"{story.school_name}, meeting room" if story.school_name else "The carer's home",
        "The carer's home",
        "Online (Microsoft Teams)",
    ]
    if story.school_name:
        venue_options.append(f"{story.school_name}, with the social worker joining online")
    participation = _PARTICIPATION[_meeting_wish(story, pep.pep_number)]
    attendees = [
        {
            "name": people.designated_teacher,
            "role": "Designated teacher" if pep.phase is not Phase.EARLY_YEARS else "Key person",
            "attendance": "attended_in_person",
        },
        {
            "name": people.social_worker,
            "role": "Social worker",
            "attendance": rng.choice(("attended_in_person", "attended_online")),
        },
        {
            "name": people.carer,
            "role": people.carer_role,
            "attendance": rng.choice(("attended_in_person", "attended_in_person", "sent_views")),
        },
    ]
    if people.virtual_school_adviser:
        attendees.append(
            {
                "name": people.virtual_school_adviser,
                "role": "Virtual School adviser",
                "attendance": "attended_online",
            }
        )
    if story.year_group is not None and story.year_group >= 7:
        attendees.append(
            {"name": story.first_name, "role": "Young person", "attendance": "attended_in_person"}
        )
    if pep.circumstances.sen_status in ("ehcp", "ehc_assessment") and rng.random() < 0.5:
        attendees.append(
            {
                "name": "Ruth Calloway",
                "role": "SENCo",
                "attendance": rng.choice(("attended_in_person", "sent_views")),
            }
        )
    pep.facts["participation"] = participation
    next_pep = pep.after(rng.randint(95, 115))
    return {
        "meeting_date": pep.meeting_date.isoformat(),
        "meeting_venue": rng.choice(venue_options),
        "attendees": attendees,
        "child_participation": participation,
        "young_person_participation": participation,
        "next_pep_date": next_pep.isoformat(),
    }


_PARENTAL_RESPONSIBILITY = {
    "V2": (
        "{n}'s parents hold parental responsibility. {n} is accommodated under section 20 "
        "with their agreement; the local authority does not hold parental responsibility."
    ),
    "C1": (
        "Shared between {n}'s parents and the local authority under an interim care order. "
        "Final hearing is listed for next term."
    ),
    "C2": (
        "Shared between {n}'s parents and the local authority under a full care order. The "
        "local authority decides how far the parents may exercise it."
    ),
    "E1": (
        "Shared between {n}'s parents and the local authority; a placement order is in place. "
        "Prospective adopters will share it once {n} is placed with them."
    ),
    "UASC": (
        "{n}'s parents are not in the UK and cannot be contacted. {n} is accommodated under "
        "section 20; the local authority acts as a corporate parent and consents where the "
        "law allows."
    ),
}


def _about_me(pep: _Pep) -> dict[str, Any]:
    story, c, rng = pep.story, pep.circumstances, pep.rng
    placement_start = min(
        pep.valid_on,
        pep.meeting_date - timedelta(days=rng.randint(60, 500)),
    )
    if story.date_entered_care is not None:
        placement_start = max(placement_start, min(story.date_entered_care, pep.valid_on))
    if story.placement_started_on is not None and story.placement_started_on <= pep.valid_on:
        placement_start = story.placement_started_on
    placements = c.placements_last_12_months
    if story.uasc:
        responsibility = _PARENTAL_RESPONSIBILITY["UASC"]
    else:
        responsibility = _PARENTAL_RESPONSIBILITY.get(
            story.legal_status, _PARENTAL_RESPONSIBILITY["C2"]
        )
    delegated = pep.pick(
        (
            "{n}'s carers may agree to school trips in the UK, after-school clubs, school "
            "photographs and routine medical treatment. Overnight trips and trips abroad need "
            "the social worker's agreement.",
            "The carers sign consent for day trips, clubs, photographs and sharing information "
            "with the school nurse. The social worker agrees residential trips and any change "
            "of school.",
        )
    )
    if story.uasc:
        change = (
            "{n} arrived in the UK as an unaccompanied asylum-seeking child. {His} family are "
            "not in the UK. {He} {is} settled in supported accommodation and {his} asylum "
            "claim is being decided; {his} solicitor and the social worker keep the college "
            "informed of appointments."
        )
    elif story.placed_out_of_area:
        change = (
            "{n} moved to a long-term foster placement in {where}, outside the authority's "
            "area, this year, and attends a school there. The Virtual School keeps in touch "
            "with the school's designated teacher and the local Virtual School."
        ).replace("{where}", story.placed_in_authority or "a neighbouring authority")
    elif story.joined_school_on is not None and story.joined_school_on <= pep.meeting_date:
        change = (
            "{n} moved to "
            + (story.school_name or "a new school")
            + " on "
            + f"{story.joined_school_on.day} {story.joined_school_on:%B %Y}"
            + " after a planned move of placement made the journey to {his} old school too "
            "long. This PEP was held within 20 school days of the move."
        )
    elif placements > 1:
        change = (
            "{n} moved placement this year after {his} previous carers retired. The move was "
            "planned and {he} kept {his} school place."
        )
    else:
        change = "No changes since the last PEP. {n} is settled with {his} carers."
    living = {
        "foster_local_authority": "foster_care",
        "foster_agency": "foster_care",
        "kinship": "kinship",
        "childrens_home": "childrens_home",
        "placed_for_adoption": "foster_care",
    }.get(c.placement_type, "foster_care")
    if story.uasc:
        living = "supported_accommodation"
    placement_type = c.placement_type
    if pep.phase is Phase.EARLY_YEARS and placement_type == "childrens_home":
        placement_type = "foster_local_authority"
    return {
        "placement_type": placement_type,
        "living_arrangement": living,
        "placement_start_date": placement_start.isoformat(),
        "placement_outside_authority": story.placed_out_of_area,
        "placements_last_12_months": placements,
        "moves_last_12_months": placements - 1,
        "school_moves_since_care": c.school_moves,
        "parental_responsibility": pep.say(responsibility),
        "delegated_authority": delegated,
        "first_language": story.first_language,
        "care_changes": pep.say(change),
    }


def _school_start(pep: _Pep) -> date:
    story = pep.story
    if story.joined_school_on is not None:
        return min(story.joined_school_on, pep.valid_on)
    year = story.year_group or 0
    first_year = 7 if year >= 7 else 0
    if year >= 12:
        first_year = 12
    start_year = pep.meeting_date.year - (1 if pep.meeting_date.month < 9 else 0)
    start_year -= year - first_year
    return min(date(start_year, 9, 4), pep.valid_on)


def _education_setting(pep: _Pep) -> dict[str, Any]:
    story, c = pep.story, pep.circumstances
    urn = story.school_urn if story.school_urn and len(story.school_urn) == 6 else None
    answers: dict[str, Any] = {
        "urn": urn or f"{pep.rng.randint(100000, 149999)}",
        "setting_type": "mainstream",
        "date_joined_school": _school_start(pep).isoformat(),
        "timetable": "reduced" if c.reduced_timetable else "full_time",
        "alternative_provision": c.alternative_provision,
    }
    if c.reduced_timetable:
        answers["reduced_timetable_details"] = pep.say(
            "{n} attends mornings only (9am to 12.30pm, 16 hours a week) while {his} needs "
            "assessment is completed. The plan adds one afternoon every two weeks, reviewed at "
            "each review meeting, with full time expected by the end of next term."
        )
    if c.alternative_provision:
        answers["alternative_provision_details"] = pep.say(
            "{n} spends Wednesdays and Friday afternoons at a motor vehicle skills centre "
            "(registered alternative provision), 9 hours a week. Attendance there is "
            "reported to the school daily."
        )
    return answers


_NEED_SUPPORT = {
    "semh": "a daily check-in with a trusted adult, a calm space and weekly ELSA sessions",
    "slcn": "speech and language therapy targets delivered three times a week by a "
    "teaching assistant, visual timetables and pre-teaching of new vocabulary",
    "spld": "coloured overlays, a reader in exams, extra time and a structured spelling programme",
    "mld": "a differentiated curriculum in English and maths and small-group teaching for literacy",
    "asd": "a visual timetable, warnings before changes, a quiet place at lunchtime and "
    "a sensory circuit each morning",
    "pd": "a physiotherapy programme, adapted PE and a laptop for longer writing",
    "oth": "a personalised support plan reviewed with {his} carers each half term",
    "sld": "a highly personalised curriculum and one-to-one support",
    "pmld": "a sensory curriculum and one-to-one care",
    "hi": "a radio aid and seating near the teacher",
    "vi": "enlarged print and a specialist teacher visit each half term",
    "msi": "a specialist multi-sensory teacher and intervenor",
}


def _special_educational_needs(pep: _Pep) -> dict[str, Any]:
    c, story = pep.circumstances, pep.story
    status = c.sen_status
    if pep.phase is Phase.POST_16 and status == "ehc_assessment":
        status = "sen_support"
    answers: dict[str, Any] = {"sen_status": status}
    if status == "none":
        answers["support_in_place"] = pep.pick(
            (
                "No special educational needs identified. {n} has quality first teaching "
                "and the school's usual pastoral support; the designated teacher checks in "
                "with {him} every fortnight.",
                "No additional needs identified at present. {n} benefits from the same "
                "check-ins and catch-up sessions the school offers every child in care.",
            )
        )
        if pep.phase is Phase.EARLY_YEARS:
            answers["inclusion_funding"] = False
        return answers
    support = _NEED_SUPPORT[c.primary_need or "semh"]
    answers["primary_need"] = c.primary_need
    if status == "sen_support":
        text = "{n} is on the SEN support register. Support in place: " + support + "."
    elif status == "ehc_assessment":
        text = (
            "An education, health and care needs assessment was agreed this term and the "
            "educational psychologist has visited. Meanwhile: " + support + "."
        )
    else:
        last_review = pep.meeting_date - timedelta(days=pep.rng.randint(40, 200))
        last_review = min(last_review, pep.valid_on)
        answers["ehcp_local_authority"] = (
            "Demo County Council"
            if not story.placed_out_of_area
            else "Demo County Council (the home authority)"
        )
        answers["last_annual_review"] = last_review.isoformat()
        answers["next_annual_review"] = (last_review + timedelta(days=364)).isoformat()
        text = "{n} has an EHCP. Provision in the plan: " + support + "."
    if pep.phase is Phase.EARLY_YEARS:
        answers["inclusion_funding"] = (
            status in ("ehcp", "ehc_assessment") or pep.rng.random() < 0.5
        )
        answers["referrals"] = pep.pick(
            (
                "Referred to the speech and language therapy service; first appointment booked.",
                "Portage home visits started this term; the area SENCo has observed {n} in "
                "the setting.",
            )
        )
    answers["support_in_place"] = pep.say(text)
    return answers


def _sessions_possible(pep: _Pep) -> int:
    days = max(15, min(65, (pep.meeting_date - _term_start(pep.meeting_date)).days * 5 // 7))
    return days * 2


def _attendance_figures(pep: _Pep) -> dict[str, Any]:
    """Absences, suspensions and the attendance figure worked out from them, so they agree."""
    if "attendance" in pep.facts:
        return pep.facts["attendance"]
    c, rng = pep.circumstances, pep.rng
    rng = _rng(pep.story.reference, "attendance", pep.pep_number)
    possible = _sessions_possible(pep)
    band = c.attendance_band
    share = {"strong": (0.0, 0.04), "steady": (0.04, 0.09), "concern": (0.1, 0.2)}[band]
    absent = round(possible * rng.uniform(*share))
    suspensions = 0
    suspension_days = 0
    if band == "concern" and pep.stage in ("ks3", "ks4") and rng.random() < 0.6:
        suspensions = rng.randint(1, 2)
        suspension_days = suspensions * rng.randint(1, 2)
    absent = max(absent, suspension_days * 2)
    other_absent = absent - suspension_days * 2
    unauthorised = rng.randint(0, other_absent // 2) if band != "strong" else 0
    this_term = (Decimal(possible - absent) * 100 / Decimal(possible)).quantize(Decimal("0.1"))
    previous = pep.previous.get("attendance_exclusions") or pep.previous.get("attendance") or {}
    last = previous.get("attendance_this_term")
    if not isinstance(last, str):
        last_value = this_term + Decimal(rng.randint(-30, 30)) / 10
        last = format_percentage(max(Decimal(70), min(Decimal(100), last_value)))
    figures = {
        "possible": possible,
        "absent": absent,
        "unauthorised": unauthorised,
        "suspensions": suspensions,
        "suspension_days": suspension_days,
        "this_term": format_percentage(this_term),
        "last_term": last,
    }
    pep.facts["attendance"] = figures
    return figures


def _attendance_exclusions(pep: _Pep) -> dict[str, Any]:
    figures = _attendance_figures(pep)
    this_term = Decimal(figures["this_term"])
    answers: dict[str, Any] = {
        "attendance_this_term": figures["this_term"],
        "attendance_last_term": figures["last_term"],
        "unauthorised_sessions": figures["unauthorised"],
        "suspensions_this_term": figures["suspensions"],
        "permanently_excluded": False,
    }
    if this_term < 90:
        support = (
            f"Attendance is {figures['this_term']}% ({figures['absent']} sessions missed out "
            f"of {figures['possible']}), below the 90% persistent absence line. "
            "{n} has a daily morning check-in with {his} mentor, the attendance officer "
            "phones the carer by 9.30am on any day {he} is not in, and a reward is agreed for "
            "full weeks."
        )
    elif this_term < 96:
        support = (
            f"Attendance is {figures['this_term']}% ({figures['absent']} sessions missed out "
            f"of {figures['possible']}), mostly for medical appointments and contact. "
            "Appointments are booked after school where possible."
        )
    else:
        support = (
            f"Attendance is {figures['this_term']}%: no concerns. The carers make sure "
            "appointments and family time are outside the school day."
        )
    answers["attendance_support"] = pep.say(support)
    if figures["suspensions"]:
        answers["suspension_days_this_term"] = figures["suspension_days"]
        answers["exclusion_details"] = pep.say(
            f"{figures['suspensions']} suspension(s) this term, "
            f"{figures['suspension_days']} school day(s) in all, after incidents of "
            "physical aggression at lunchtime. A reintegration meeting was held each time; "
            "{n} now has a lunchtime plan and a key adult, and the Virtual School has "
            "advised on alternatives to suspension."
        )
    else:
        answers["suspension_days_this_term"] = 0
    return answers


def _post_16_attendance(pep: _Pep) -> dict[str, Any]:
    figures = _attendance_figures(pep)
    answers: dict[str, Any] = {
        "attendance_this_term": figures["this_term"],
        "attendance_last_term": figures["last_term"],
    }
    if Decimal(figures["this_term"]) < 90:
        answers["attendance_concerns"] = pep.say(
            f"Attendance is {figures['this_term']}%, below the college's 90% expectation. "
            "{n} misses mostly Monday mornings; {his} personal tutor texts {him} on Sunday "
            "evenings and a later start on Mondays has been agreed for the next six weeks."
        )
    return answers


_SCALE = {
    "ks1": (
        "Working towards the expected standard",
        "Working at the expected standard",
        "Working at greater depth",
    ),
    "ks2": (
        "Working towards the expected standard",
        "Working at the expected standard",
        "Working at greater depth",
    ),
    "ks3": ("Emerging", "Developing", "Secure", "Mastering"),
    "ks4": ("Grade 2", "Grade 3", "Grade 4", "Grade 5", "Grade 6"),
    "reception": (
        "Emerging",
        "Expected (on track for the early learning goal)",
        "Exceeding",
    ),
}
_SUBJECTS = {
    "reception": (
        "Communication and language",
        "Personal, social and emotional development",
        "Literacy",
        "Mathematics",
    ),
    "ks1": ("Reading", "Writing", "Maths", "Phonics"),
    "ks2": ("Reading", "Writing", "Maths", "Science"),
    "ks3": ("English", "Maths", "Science", "History", "Art"),
    "ks4": ("English Language", "Maths", "Combined Science", "History", "Food preparation"),
}


def _in_words(items: Sequence[str]) -> str:
    """English, Maths and Science."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _attainment_progress(pep: _Pep) -> dict[str, Any]:
    stage, rng = pep.stage, pep.rng
    if stage not in _SUBJECTS:
        stage = "ks2"
    scale = _SCALE[stage]
    subjects = _SUBJECTS[stage][: 3 + rng.randint(0, 1)]
    rows = []
    behind = pep.circumstances.sen_status != "none"
    for subject in subjects:
        expected_index = min(len(scale) - 1, 1 if stage != "ks4" else 2 + rng.randint(0, 1))
        drift = rng.choices((-2, -1, 0, 1), (1 if behind else 0, 4 if behind else 2, 5, 1))[0]
        current_index = max(0, min(len(scale) - 1, expected_index + drift))
        difference = current_index - expected_index
        progress = (
            "above_expected"
            if difference > 0
            else "expected"
            if difference == 0
            else "below_expected"
            if difference == -1
            else "well_below_expected"
        )
        rows.append(
            {
                "subject": subject,
                "current_attainment": scale[current_index],
                "expected_attainment": scale[expected_index],
                "progress": progress,
            }
        )
    points = {
        9: "Autumn 2 data drop",
        10: "Autumn 2 data drop",
        11: "Autumn 2 data drop",
        1: "Spring 1 data drop",
        2: "Spring 2 data drop",
        3: "Spring 2 data drop",
        4: "Summer 1 data drop",
        5: "Summer 1 data drop",
        6: "End of year assessment",
    }
    strong = [row["subject"] for row in rows if row["progress"] in ("expected", "above_expected")]
    weak = [row["subject"] for row in rows if row["progress"] not in ("expected", "above_expected")]
    summary = "{n} is making expected progress in " + (
        _in_words(strong) if strong else "none of the core subjects yet"
    )
    summary += "."
    if weak:
        summary += " Progress in " + _in_words(weak) + " is behind what is expected; "
        summary += "this is the focus of the targets below."
    if stage == "ks2" and pep.story.year_group == 6:
        summary += " {n} will take the Key Stage 2 national assessments in May."
    if stage == "ks4":
        summary += " Mock exams are in January; predicted grades are based on the autumn data."
    return {
        "assessment_point": points.get(pep.meeting_date.month, "Autumn 2 data drop"),
        "subjects": rows,
        "progress_summary": pep.say(summary),
        "strengths": pep.say(
            "{n} enjoys "
            + pep.circumstances.interests[0]
            + " and practical lessons. {He} {is} kind to younger pupils and works hard when "
            "{he} feel{s} confident."
        ),
        "barriers_to_learning": pep.pick(
            (
                "Gaps from time out of school before coming into care, especially in reading.",
                "{n} finds it hard to concentrate after family time and can be tired on "
                "Monday mornings.",
                'Low confidence: {n} says {he} is "rubbish" at maths and gives up quickly.',
                "Anxiety about changes of routine, supply teachers and unstructured times.",
            )
        ),
    }


def _health_wellbeing(pep: _Pep) -> dict[str, Any]:
    c, rng = pep.circumstances, pep.rng
    assessment = min(pep.valid_on, pep.meeting_date - timedelta(days=rng.randint(20, 160)))
    answers: dict[str, Any] = {
        "emotional_wellbeing": pep.pick(
            (
                "{n} is settled with {his} carers and sleeping well. {He} can be anxious "
                "before family time and talks this through with {his} carer.",
                "{n} has had a difficult term after a change of contact arrangements. "
                "{He} is more tearful at home; the carers and school are sharing what helps.",
                "{n} is happy and confident at home and at school. {He} is proud of {his} "
                "progress and talks about the future.",
            )
        ),
        "health_needs": pep.pick(
            (
                "No health needs that affect learning. Glasses for reading; eye check due in "
                "the spring.",
                "Mild asthma: an inhaler is kept in school and for PE.",
                "Eczema that flares in hot weather; cream kept in the school office.",
            )
        ),
        "health_assessment_date": assessment.isoformat(),
    }
    if pep.phase is Phase.EARLY_YEARS:
        concern = c.primary_need == "slcn"
        answers["speech_language_concern"] = concern
        professionals = ["health_visitor"]
        if concern:
            professionals.append("speech_language_therapist")
        if c.sen_status in ("ehcp", "ehc_assessment"):
            professionals.append("paediatrician")
        answers["professionals_involved"] = professionals
        return answers
    if pep.story.year_group is not None and pep.story.year_group >= 2:
        answers["sdq_score"] = c.sdq_score
        answers["sdq_date"] = min(pep.valid_on, assessment + timedelta(days=7)).isoformat()
    answers["support_received"] = list(c.support_received)
    answers["other_agencies"] = pep.pick(
        (
            "Looked-after children's nurse; CAMHS looked-after children team (consultation "
            "with the carers).",
            "School nurse; a mentoring charity (weekly sessions) funded by the local authority.",
            "Youth service worker (weekly); the children in care council.",
        )
    )
    return answers


def _carers_views(pep: _Pep) -> dict[str, Any]:
    c = pep.circumstances
    answers: dict[str, Any] = {
        "going_well": pep.pick(
            (
                "{n} is much happier going to school this term and talks about {his} friends "
                "at tea time.",
                "{His} reading has come on a lot; {he} now reads to us most evenings without "
                "being asked.",
                "The school keep in touch every week and {n} likes {his} new teacher.",
            )
        ),
        "concerns": pep.pick(
            (
                "Homework causes arguments some evenings; we would like more help with how "
                "to support it.",
                "{n} gets anxious on Sunday nights before school. We would like the school to "
                "let us know about changes of teacher in advance.",
                "No worries at the moment.",
            )
        ),
        "support_at_home": pep.say(
            "We read together most nights, help with homework at the kitchen table and take "
            "{n} to " + c.interests[1] + " every week. We go to every parents' evening."
        ),
        "support_given": pep.say(
            "We help {n} plan the week, get up in time for college and budget for travel and "
            "lunches. We drive {him} to college when the bus is late."
        ),
    }
    if c.parent_views_sought:
        answers["parent_views"] = _parent_words(pep)
    return answers


def _parent_words(pep: _Pep) -> str:
    parent = pep.circumstances.birth_parent
    return pep.say(
        pep.rng.choice(
            (
                parent + " is pleased {n} is going to school every day and would like to see "
                "{his} school reports.",
                parent + " would like {n} to stay at the same school whatever happens with "
                "placements.",
                parent + " was not able to join the meeting but said {he} should keep going "
                "with " + pep.circumstances.interests[0] + ".",
            )
        )
    )


def _parents_views(pep: _Pep) -> dict[str, Any]:
    c = pep.circumstances
    if not c.parent_views_sought:
        return {"may_share_with_parent": False}
    return {"parent_views": _parent_words(pep), "may_share_with_parent": pep.rng.random() < 0.7}


def _targets(pep: _Pep, form_phase: Phase) -> list[_Target]:
    stage = "eyfs_eal" if _young_unaccompanied(pep) else pep.stage
    bank = list(_targets_for(stage))
    rng = _rng(pep.story.reference, "targets", pep.pep_number)
    rng.shuffle(bank)
    count = 2 if len(bank) < 4 else rng.choice((2, 3))
    chosen = bank[:count]
    pep.facts["targets"] = chosen
    return chosen


def _area(target: _Target, phase: Phase, options: Sequence[str]) -> str:
    if target.area in options:
        return target.area
    mapped = _AREA_FOR_FORM.get(phase, {}).get(target.area)
    if mapped in options:
        return mapped
    return "other" if "other" in options else options[0]


def _smart_targets(pep: _Pep, definition: RepeatingGroupDefinition) -> dict[str, Any]:
    area_options = definition.column("area")
    assert isinstance(area_options, ChoiceDefinition)
    rows = []
    by_when = pep.after(pep.rng.randint(85, 110))
    year = str(pep.story.year_group or 0)
    for target in _targets(pep, pep.phase):
        words = {**pep.words, "year": year}
        row: dict[str, Any] = {
            "outcome": target.outcome.format_map(words),
            "area": _area(target, pep.phase, area_options.option_values),
            "why_it_matters": target.why.format_map(words),
            "action_what": target.action_what.format_map(words),
            "action_who": target.action_who.format_map(words),
            "action_how_often": target.how_often,
            "success_measure": target.measure.format_map(words),
            "by_when": by_when.isoformat(),
        }
        if target.cost:
            row["pp_plus_amount"] = format_money(Decimal(target.cost))
        rows.append(row)
    return {"targets": rows}


# What last term's Pupil Premium Plus did, in words that fit the child's stage.
_IMPACT = {
    "early": (
        "Last term's key person sessions helped {n} settle: {he} now separates from {his} "
        "carer calmly most mornings.",
        "The home learning bag is used most evenings; {n} now joins in counting songs at "
        "group time.",
    ),
    "primary": (
        "Last term's tutoring raised {n}'s reading score by 7 points; the tutor's report is "
        "on file.",
        "Last term's resources are used every day; {n}'s confidence in maths has grown and "
        "{he} now answers questions in class.",
        "The ELSA sessions last term helped {n} name {his} feelings; incidents at lunchtime "
        "have halved.",
    ),
    "secondary": (
        "The mentoring sessions last term cut removals from lessons by half.",
        "Last term's English tutoring lifted {n}'s mock result by a grade.",
        "The revision guides and laptop bought last term are used for homework every week.",
    ),
    "post16": (
        "Last term's laptop means {n} now submits assignments from home on time.",
        "The maths tutoring last term moved {n} from a grade 2 to a secure grade 3.",
    ),
}


def _stage_group(stage: str) -> str:
    if stage == "eyfs":
        return "early"
    if stage in ("ks3", "ks4"):
        return "secondary"
    if stage == "post16":
        return "post16"
    return "primary"


def _pupil_premium(pep: _Pep) -> dict[str, Any]:
    targets: list[_Target] = pep.facts.get("targets") or _targets(pep, pep.phase)
    costed = [(number, t) for number, t in enumerate(targets, start=1) if t.cost]
    total = sum((Decimal(t.cost) for _, t in costed), Decimal(0))
    answers: dict[str, Any] = {"amount_requested": format_money(total)}
    if costed:
        numbers = [str(number) for number, _ in costed]
        served = (
            f"Target {numbers[0]}"
            if len(numbers) == 1
            else "Targets " + ", ".join(numbers[:-1]) + " and " + numbers[-1]
        )
        bought = "; ".join(f"{t.buys} (£{t.cost:,})" for _, t in costed)
        answers["what_it_buys"] = bought[0].upper() + bought[1:] + "."
        answers["targets_served"] = served + "."
    else:
        answers["what_it_buys"] = (
            "Nothing is requested this term: the targets need staff time the school already funds."
        )
        answers["targets_served"] = "None this term."
    if pep.pep_number == 0:
        answers["impact_last_term"] = pep.say(
            "This is {n}'s first PEP here, so there was no spend last term."
        )
    else:
        answers["impact_last_term"] = pep.pick(_IMPACT[_stage_group(pep.stage)])
    if pep.phase is Phase.EARLY_YEARS:
        answers["eypp_claimed"] = True
    return answers


def _review_previous_targets(pep: _Pep) -> dict[str, Any]:
    prefilled = pep.prefilled.get("review_previous_targets", {}).get("previous_targets")
    rows: list[dict[str, Any]] = []
    rng = _rng(pep.story.reference, "review", pep.pep_number)
    counts = {"achieved": 0, "partly_achieved": 0, "not_yet_achieved": 0}
    for row in prefilled if isinstance(prefilled, list) else []:
        if not isinstance(row, Mapping):
            continue
        outcome = rng.choices(("achieved", "partly_achieved", "not_yet_achieved"), (5, 3, 1))[0]
        counts[outcome] += 1
        found = _find_target(row.get("target"), pep.words)
        if found is not None:
            evidence = {
                "achieved": found.achieved,
                "partly_achieved": found.partly,
                "not_yet_achieved": found.not_yet,
            }[outcome]
            evidence = pep.say(evidence)
        else:
            evidence = {
                "achieved": "Met: the teacher's assessment and the carer's report agree.",
                "partly_achieved": "Good progress, but not yet consistent; carried forward.",
                "not_yet_achieved": "Not met; the actions have been changed for next term.",
            }[outcome]
        rows.append({**row, "outcome": outcome, "evidence": evidence})
    answers: dict[str, Any] = {}
    if rows:
        answers["previous_targets"] = rows
        summary = (
            f"{counts['achieved']} of {len(rows)} targets from the last PEP were achieved"
            f", {counts['partly_achieved']} partly achieved"
            f" and {counts['not_yet_achieved']} not yet achieved. "
        )
        summary += pep.pick(
            (
                "Targets partly achieved continue in a new form below.",
                "The new targets build on what worked last term.",
            )
        )
        answers["review_summary"] = pep.say(summary)
    else:
        entered = pep.story.date_entered_care
        if entered is not None and (pep.meeting_date - entered).days > 120:
            # In care for a while: their earlier PEPs were kept before this portal was used.
            first = (
                "This is {n}'s first PEP in this portal; earlier PEPs are held on the "
                "previous system, so no targets were carried over. The previous targets were "
                "discussed at the meeting and carried into the new ones where still relevant."
            )
        else:
            first = "This is {n}'s first PEP, so there are no previous targets to review."
        answers["review_summary"] = pep.say(first)
    return answers


def _transitions_aspirations(pep: _Pep) -> dict[str, Any]:
    year = pep.story.year_group or 0
    c = pep.circumstances
    if year == 6:
        transition = "phase"
    elif year == 11:
        transition = "post_16"
    else:
        transition = "none"
    answers: dict[str, Any] = {
        "upcoming_transition": transition,
        "aspirations": pep.say(
            "{n} would like to be a "
            + c.aspiration
            + ". {He} enjoy{s} "
            + c.interests[0]
            + " and "
            + c.interests[2]
            + "."
        ),
        "enrichment": pep.say(
            "{n} goes to " + c.interests[1] + " club every week and has joined the school choir."
        ),
    }
    if transition == "phase":
        answers["transition_plan"] = pep.say(
            "Secondary school place to be confirmed in March. Three extra transition visits "
            "in the summer term with {his} teaching assistant; the designated teachers of "
            "both schools will meet before July."
        )
    elif transition == "post_16":
        answers["transition_plan"] = pep.say(
            "College application in by January with the careers adviser's help; a taster day "
            "in the spring and a handover meeting with the college's designated person."
        )
    if year >= 8:
        answers["careers_guidance"] = pep.say(
            "{n} had a careers interview this term and took part in the Year "
            + str(year)
            + " careers fair. A work-related day is planned for the summer."
        )
    return answers


def _actions_agreed(pep: _Pep) -> dict[str, Any]:
    people = pep.people()
    actions = [
        {
            "action": pep.say("Share this PEP's targets with {n}'s teachers."),
            "owner": people.designated_teacher,
            "deadline": pep.after(10).isoformat(),
        },
        {
            "action": pep.say("Send the Pupil Premium Plus request to the Virtual School."),
            "owner": people.designated_teacher,
            "deadline": pep.after(14).isoformat(),
        },
        {
            "action": pep.say("Update the care plan with the education targets."),
            "owner": people.social_worker,
            "deadline": pep.after(20).isoformat(),
        },
    ]
    if pep.circumstances.sen_status == "ehc_assessment":
        actions.append(
            {
                "action": pep.say("Chase the educational psychologist's report for {n}."),
                "owner": people.designated_teacher,
                "deadline": pep.after(28).isoformat(),
            }
        )
    return {"actions": actions}


# Early years ---------------------------------------------------------------------------------


def _age_in_months(born: date, on: date) -> int:
    return (on.year - born.year) * 12 + on.month - born.month - (on.day < born.day)


def _early_years_setting(pep: _Pep) -> dict[str, Any]:
    story, rng = pep.story, pep.rng
    months = _age_in_months(story.date_of_birth, pep.meeting_date)
    funding = ["two_year_old"] if months < 36 else ["universal"]
    if months >= 36 and rng.random() < 0.6:
        funding.append("extended")
    hours = 15 if funding == ["two_year_old"] or funding == ["universal"] else 30
    started = max(
        min(pep.valid_on, pep.meeting_date - timedelta(days=rng.randint(60, 300))),
        story.date_of_birth + timedelta(days=730),
    )
    started = min(started, pep.valid_on)
    attended = hours - rng.choice((0, 0, 1, 2, 3))
    figures = _attendance_figures(pep)
    return {
        "setting_name": story.school_name or "Little Acorns Nursery",
        "setting_type": rng.choice(("nursery_school", "private_nursery")),
        "ofsted_urn": f"EY{rng.randint(400000, 599999)}",
        "date_started": started.isoformat(),
        "key_person": _key_person(pep),
        "funded_hours": hours,
        "funding_type": funding,
        "hours_attended": attended,
        "attendance_this_term": figures["this_term"],
    }


_KEY_PEOPLE = ("Sophie Green", "Aaliyah Begum", "Hannah Moss", "Claire Dunne", "Megan Price")


def _key_person(pep: _Pep) -> str:
    return _rng(pep.story.reference, "key person").choice(_KEY_PEOPLE)


def _eyfs_development(pep: _Pep) -> dict[str, Any]:
    rng = pep.rng
    behind = pep.circumstances.sen_status != "none"
    areas = (
        "communication_language",
        "personal_social_emotional",
        "physical_development",
        "literacy",
        "mathematics",
        "understanding_world",
        "expressive_arts_design",
    )
    answers: dict[str, Any] = {}
    for area in areas:
        answers[area] = rng.choices(
            ("well_below", "below", "typical", "above"),
            (2 if behind else 0, 4 if behind else 2, 5, 1),
        )[0]
    if pep.circumstances.primary_need == "slcn":
        answers["communication_language"] = "below"
    below = [area for area in areas if answers[area] in ("below", "well_below")]
    if below:
        summary = (
            "{n} is developing well in most areas. {His} key person's assessment puts {him} "
            "below the typical range in "
            + ", ".join(area.replace("_", " ") for area in below)
            + ", which the targets focus on."
        )
    else:
        summary = "{n} is developing within the typical range in every area and loves to learn."
    answers["development_summary"] = pep.say(summary)
    return answers


def _two_year_check(pep: _Pep) -> dict[str, Any]:
    born = pep.story.date_of_birth
    check_day = born + timedelta(days=30 * 28)
    if check_day > min(pep.meeting_date, pep.valid_on):
        return {
            "check_done": False,
            "check_summary": pep.say(
                "{n} is not yet old enough for the progress check at two; the health visitor "
                "and key person will complete it together next term."
            ),
        }
    return {
        "check_done": True,
        "check_date": check_day.isoformat(),
        "check_summary": pep.say(
            "Completed with the health visitor (integrated review). {n} was developing well in "
            "physical development; speech was a little behind and is now a target."
        ),
    }


def _key_person_observations(pep: _Pep) -> dict[str, Any]:
    return {
        "observations": pep.say(
            "{n} heads straight for the "
            + pep.rng.choice(("sand tray", "home corner", "bikes", "water tray"))
            + " each morning. {He} watch{es} the other children before joining in and "
            "looks for {his} key person when a new adult comes into the room."
        ),
        "how_child_learns_best": pep.say(
            "Through play and repetition, with one familiar adult nearby. "
            + pep.rng.choice(("Songs and stories", "Messy play", "Anything with water"))
            + " hold{s} {his} attention best."
        ),
        "next_steps": pep.say(
            "Build {his} confidence to join group times; model new words during play; share "
            "a weekly photo diary with {his} carer."
        ),
    }


# Post-16 -----------------------------------------------------------------------------------


_COURSES = (
    ("A levels in Psychology, Sociology and English Literature", "level_3"),
    ("BTEC Level 3 Extended Diploma in Sport", "level_3"),
    ("T Level in Digital Production, Design and Development", "level_3"),
    ("Level 2 Diploma in Hair and Beauty", "level_2"),
    ("Level 2 Certificate in Professional Cookery", "level_2"),
    ("Level 1 Study Programme: Construction Multi-skills", "level_1"),
)


def _course_provider(pep: _Pep) -> dict[str, Any]:
    story, rng = pep.story, pep.rng
    if story.uasc:
        title, level = ("ESOL Entry Level 3 with Functional Skills Maths", "entry")
    else:
        title, level = _rng(story.reference, "course").choice(_COURSES)
    start_year = pep.meeting_date.year - (1 if pep.meeting_date.month < 9 else 0)
    if story.year_group == 13 and level == "level_3":
        start_year -= 1  # the second year of a two-year course
    start = date(start_year, 9, 8)
    years = 2 if level == "level_3" else 1
    at_risk = pep.circumstances.attendance_band == "concern"
    if level in ("entry", "level_1"):
        english_maths = ["functional_skills_english", "functional_skills_maths"]
    elif pep.circumstances.sen_status == "none" and rng.random() < 0.5:
        english_maths = ["none_needed"]
    else:
        english_maths = ["gcse_maths"]
    progress = (
        "{n} is behind on two assignments and has missed several Monday sessions; {his} "
        "tutor is worried {he} may not complete the year without more support."
        if at_risk
        else "{n} is on track: {his} tutor reports merit grades so far and good "
        "relationships with staff and other students."
    )
    return {
        "provider_name": story.school_name or "Northgate College",
        "ukprn": f"1{_rng(story.school_urn or story.reference, 'ukprn').randint(1000000, 9999999)}",
        "provider_type": "further_education_college",
        "course_title": title,
        "course_level": level,
        "start_date": start.isoformat(),
        "end_date": date(start_year + years, 6, 26).isoformat(),
        "hours_per_week": 16 if level != "level_3" else 18,
        "english_maths": english_maths,
        "progress_on_course": pep.say(progress),
        "at_risk_of_leaving": at_risk,
    }


def _careers_next_steps(pep: _Pep) -> dict[str, Any]:
    last = min(pep.valid_on, pep.meeting_date - timedelta(days=pep.rng.randint(10, 60)))
    applications = ["apprenticeship"] if pep.story.year_group == 13 else ["none_yet"]
    answers: dict[str, Any] = {
        "careers_adviser": "Lorraine Achebe (college careers service)",
        "last_careers_guidance": last.isoformat(),
        "aspirations": pep.say(
            "{n} wants to work as a " + pep.circumstances.aspiration + " and to live "
            "independently near {his} friends."
        ),
        "applications": applications,
        "next_steps_plan": pep.say(
            "Finish this year's course, then progress to the next level at college or an "
            "apprenticeship. {His} personal adviser will help with applications in the spring."
        ),
    }
    if applications != ["none_yet"]:
        answers["application_details"] = pep.say(
            "Applied for two Level 3 apprenticeships through Find an apprenticeship; one "
            "interview booked."
        )
    return answers


def _finance(pep: _Pep) -> dict[str, Any]:
    amount = 1200 if pep.story.uasc or pep.rng.random() < 0.7 else 0
    answers: dict[str, Any] = {"bursary_awarded": bool(amount)}
    if amount:
        answers["bursary_amount"] = format_money(Decimal(amount))
        answers["other_funding"] = "Free college meals and a travel pass from the college."
    else:
        answers["funding_concerns"] = pep.say(
            "The bursary application is waiting for evidence of {n}'s care status; the "
            "social worker will send the letter this week."
        )
    return answers


def _work_experience(pep: _Pep) -> dict[str, Any]:
    done = pep.rng.random() < 0.5
    answers: dict[str, Any] = {"work_experience_done": done}
    if done:
        answers["work_experience_details"] = pep.say(
            "One week at a local "
            + pep.rng.choice(("garage", "leisure centre", "primary school", "hotel kitchen"))
            + " in the summer; the employer's report was very positive."
        )
    answers["work_experience_planned"] = pep.say(
        "A week's industry placement is planned for the spring, linked to {his} course."
    )
    return answers


def _pathway_plan(pep: _Pep) -> dict[str, Any]:
    age_months = _age_in_months(pep.story.date_of_birth, pep.meeting_date)
    if age_months < 16 * 12:
        return {"pathway_plan_in_place": False}
    plan_date = min(pep.valid_on, pep.meeting_date - timedelta(days=pep.rng.randint(20, 120)))
    return {
        "pathway_plan_in_place": True,
        "pathway_plan_date": plan_date.isoformat(),
        "personal_adviser": "Tariq Hussein (leaving care team)",
        "pathway_plan_link": pep.say(
            "The pathway plan's education section uses this PEP's targets; {his} personal "
            "adviser attends PEP meetings from Year 12."
        ),
    }


# --------------------------------------------------------------------------------------------
# The child's voice, in the words of a child of their age
# --------------------------------------------------------------------------------------------

_VOICE: dict[VoiceBand, dict[str, tuple[str, ...]]] = {
    VoiceBand.EARLY_YEARS: {
        "enjoys": (
            '{n} loves the bikes and the sandpit. {He} said "Me go fast!" on the red bike.',
            "Painting, water play and bubbles. {n} sings along to every song at group time.",
            'Dinosaurs and the mud kitchen. {n} brought {his} carer a "cake" made of mud.',
        ),
        "upsets": (
            "Loud noises and when {his} carer leaves in the morning.",
            "When another child takes {his} toy, and changes to the routine.",
        ),
        "shows_feelings": (
            "{n} goes quiet and holds {his} comfort blanket when worried, and claps and "
            "laughs when happy.",
            "{He} point{s} to the faces on the feelings board and comes for a cuddle.",
        ),
        "important_people": (
            "{His} foster carers, {his} key person and {his} big sister, whom {he} sees at "
            "family time.",
            "{His} carer, the dog at home, and {his} friend at nursery.",
        ),
        "good_at": (
            "Climbing, puzzles and helping tidy up.",
            "Building towers and remembering the words to songs.",
        ),
        "helps_learning": (
            "Short activities with lots of praise, and an adult {he} know{s} well nearby.",
            "Pictures of what comes next in the day, and songs.",
        ),
        "extra_help": (
            "Books and puzzles to share at home, and a trip to the farm with {his} class.",
            "Speech and language games, and sensory toys for calm times.",
        ),
        "own_words": (
            '"I like my bike. I go fast."',
            '"Nursery is fun. I got a sticker!"',
            '"Bubbles! More bubbles!"',
        ),
    },
    VoiceBand.PRIMARY: {
        "going_well": (
            "I got a star of the week for my writing. I like playtime with my friends.",
            "Maths is going good. I know my 5 times tables now.",
            "I like my teacher because she is kind and funny.",
        ),
        "hard": (
            "Reading big words is hard. And when people are loud in class.",
            "Sometimes I get cross at dinner time when people don't let me play.",
            "Spellings are hard.",
        ),
        "who_helps": (
            "Miss in my class and my foster mum. And my friend helps me.",
            "My carer helps with my homework and Mr Singh helps me when I am sad.",
        ),
        "make_school_better": (
            "More PE and a longer playtime.",
            "If there was a quiet place I could go when it's too noisy.",
            "More trips. And a football club on Fridays.",
        ),
        "good_at": (
            "Drawing and football. I am good at being a friend.",
            "Running fast and art.",
        ),
        "helps_learning": (
            "When someone shows me first and I can use the number line.",
            "Working with my friend and having a break.",
        ),
        "extra_help": (
            "Reading books about football for home.",
            "A tablet for maths games and going to swimming lessons.",
        ),
        "grow_up": (
            "A vet because I love animals.",
            "A footballer or a police officer.",
            "A teacher like Miss.",
        ),
        "helped_by": (
            "My foster carer wrote what I said.",
            "The teaching assistant helped me write it.",
        ),
    },
    VoiceBand.SECONDARY: {
        "going_well": (
            "I'm getting on better with my teachers this year and I've got a good group of mates.",
            "Art and PE are going well. I got a merit for my art project.",
            "I'm actually going to all my lessons now and it feels better.",
        ),
        "hard": (
            "Maths is hard and I don't like being asked questions in front of everyone.",
            "Getting up in the morning. And some teachers don't get it when I'm having a bad day.",
            "Homework, because there's loads and I forget what it is.",
        ),
        "want_better": (
            "I want to move up a set in maths and stop getting detentions.",
            "I want my attendance to be better so I can go on the trip.",
            "Better grades in English so I can get into college.",
        ),
        "good_at": (
            "Sport, drawing and making people laugh.",
            "Cooking and fixing things.",
        ),
        "helps_learning": (
            "When teachers explain it one to one and don't rush me.",
            "Having my music on when I revise and a quiet place at home.",
        ),
        "extra_help": (
            "A laptop for homework and revision, and driving lessons when I'm old enough.",
            "Tutoring for maths and money for football boots.",
        ),
        "hopes_dreams": (
            "I want to go to college and do mechanics, then have my own garage.",
            "To be a paramedic. Or work with animals.",
            "Get good GCSEs, get a job and get my own flat.",
        ),
        "who_helps": (
            "My carer, my social worker and my form tutor.",
            "Mr Okafor, my mentor, and my foster family.",
        ),
        "anything_else": (
            "I'd like the meeting to be at lunchtime so I don't miss PE.",
            "Please don't take me out of lessons in front of my friends.",
            "Nothing else.",
        ),
        "helped_by": (
            "Nobody, I did it myself.",
            "My social worker read out the questions.",
        ),
    },
}
_UASC_VOICE = {
    "going_well": "My English is better now. I like my college and my teachers are kind.",
    "hard": "Writing in English is hard. Sometimes I cannot sleep and I am tired in class.",
    "want_better": "I want to learn English quickly so I can do a proper course.",
    "hopes_dreams": "I want to be an electrician and to help my family one day.",
    "extra_help": "A laptop and English classes in the holidays.",
    "helped_by": "The interpreter helped me with some words.",
    "who_helps": "My key worker, my social worker and my ESOL teacher.",
    "good_at": "Football and maths. I learn languages quickly.",
}


def realistic_voice_answers(
    band_section: SectionDefinition, story: ChildStory, *, pep_number: int = 0
) -> dict[str, Any]:
    """Answers to one band's section of the child's-voice form, in the child's own words."""
    band = band_section.band or VoiceBand.PRIMARY
    rng = _rng(story.reference, "voice", band.value, pep_number)
    words = _pronouns(story.sex, story.first_name)
    bank = _VOICE[band]
    answers: dict[str, Any] = {}
    for definition in band_section.answer_fields:
        key = definition.key
        if key == "gathered_by":
            if story.school_name:
                key_person = _rng(story.reference, "key person").choice(_KEY_PEOPLE)
                answers[key] = f"{key_person}, key person at {story.school_name}"
            else:
                carer = story.people.carer if story.people else "The foster carer"
                answers[key] = f"{carer}, carer"
        elif key == "how_gathered":
            ways = ("play", "pictures", "talking", "observation")
            chosen = rng.sample(ways, 2)
            answers[key] = [way for way in ways if way in chosen]
        elif key.startswith("feel_about"):
            answers[key] = rng.choice(("very_happy", "happy", "happy", "okay", "sad"))
        elif key == "come_to_meeting":
            answers[key] = _meeting_wish(story, pep_number)
        elif story.uasc and band is VoiceBand.EARLY_YEARS and key in _YOUNG_UNACCOMPANIED_VOICE:
            answers[key] = _young_voice(story, words, _YOUNG_UNACCOMPANIED_VOICE[key])
        elif story.uasc and band is not VoiceBand.EARLY_YEARS and key in _UASC_VOICE:
            answers[key] = _UASC_VOICE[key]
        elif key in bank:
            answers[key] = rng.choice(bank[key]).format_map(words)
        else:
            answers[key] = _fallback(definition, rng, words, story)
    return answers


# --------------------------------------------------------------------------------------------
# Version 3: questions asked in a new way, and new questions beside old ones
# --------------------------------------------------------------------------------------------


def _term_began(on: date) -> date:
    """The first day of the term ``on`` falls in (or of the holiday after it): never after
    ``on``, unlike :func:`_term_start`, which early April and early September run ahead of."""
    starts = (date(on.year, 9, 3), date(on.year, 4, 15), date(on.year, 1, 5))
    return next((start for start in starts if start <= on), date(on.year - 1, 9, 3))


def _asks(pep: _Pep, key: str) -> bool:
    """Whether the section being written has the question ``key`` (a later version's), or
    for "version N", whether the form is version N or later."""
    if key.startswith("version "):
        return pep.form_version >= int(key.removeprefix("version "))
    return pep.section is not None and any(
        definition.key == key for definition in pep.section.fields
    )


def _v3_rng(pep: _Pep, purpose: str) -> random.Random:
    return _rng(pep.story.reference, "v3", purpose, pep.pep_number)


def _school_year_start(on: date) -> date:
    return date(on.year if on.month >= 9 else on.year - 1, 9, 3)


def _summer_of(pep: _Pep, year_group: int) -> int:
    """The calendar year in which the child finished (or will finish) ``year_group``."""
    current = pep.story.year_group if pep.story.year_group is not None else 0
    return _school_year_start(pep.meeting_date).year + 1 - (current - year_group)


# Key people -----------------------------------------------------------------------------------

_IROS = ("Angela Marsh", "Keith Brennan", "Sunita Rao", "Owen Pritchard")
_SENCO = "Ruth Calloway"  # the SENCo who comes to the meetings of children with an EHCP


def _reviewing_officer(pep: _Pep) -> str:
    named = pep.people().independent_reviewing_officer
    return named or _rng(pep.story.reference, "iro").choice(_IROS)


def _phone(name: str, mobile: bool = False) -> str:
    # Numbers Ofcom keeps for drama: they reach nobody.
    number = _rng(name, "phone").randint(0, 999)
    return f"07700 900{number:03d}" if mobile else f"01632 960{number:03d}"


def _council_email(name: str) -> str:
    words = "".join(letter for letter in name.lower() if letter.isalpha() or letter == " ")
    return ".".join(words.split()) + "@democounty.gov.uk"


def _key_people(pep: _Pep) -> dict[str, Any]:
    people = pep.people()
    rows: list[dict[str, Any]] = []
    if pep.phase is Phase.EARLY_YEARS:
        rows.append(
            {
                "role": "other",
                "role_other": "Setting lead for children in care",
                "name": people.designated_teacher,
                "phone": _phone(people.designated_teacher),
            }
        )
        if pep.story.in_early_years_setting:
            rows.append(
                {
                    "role": "other",
                    "role_other": "Key person",
                    "name": _key_person(pep),
                    "phone": _phone(people.designated_teacher),
                }
            )
    else:
        rows.append(
            {
                "role": "designated_teacher",
                "name": people.designated_teacher,
                "phone": _phone(people.designated_teacher),
            }
        )
    rows.append(
        {
            "role": "social_worker",
            "name": people.social_worker,
            "phone": _phone(people.social_worker),
            "email": _council_email(people.social_worker),
        }
    )
    rows.append({"role": "carer", "name": people.carer, "phone": _phone(people.carer, mobile=True)})
    if people.virtual_school_adviser:
        rows.append(
            {
                "role": "virtual_school_adviser",
                "name": people.virtual_school_adviser,
                "email": _council_email(people.virtual_school_adviser),
            }
        )
    iro = _reviewing_officer(pep)
    rows.append(
        {
            "role": "independent_reviewing_officer",
            "name": iro,
            "email": _council_email(iro),
        }
    )
    if pep.circumstances.sen_status in ("ehcp", "ehc_assessment") and pep.phase is not (
        Phase.EARLY_YEARS
    ):
        rows.append({"role": "senco", "name": _SENCO, "phone": _phone(_SENCO)})
    return {"people": rows}


# About the child: care plan review, unaccompanied asylum-seeking children -----------------------

_LANGUAGE_CODES = {
    "english": "eng",
    "albanian": "alb",
    "amharic": "amr",
    "arabic": "ara",
    "french": "frn",
    "kurdish": "kur",
    "kurdish sorani": "kur",
    "sorani": "kur",
    "pashto": "pat",
    "persian": "prs",
    "farsi": "prs",
    "dari": "prs",
    "somali": "som",
    "tigrinya": "tgr",
    "urdu": "urd",
    "vietnamese": "vie",
}


def _language_row(language: str, *, first: bool, interpreter: bool) -> dict[str, Any]:
    code = _LANGUAGE_CODES.get(language.strip().lower(), "otl")
    row: dict[str, Any] = {
        "language": code,
        "is_first_language": first,
        "interpreter_needed": interpreter,
    }
    if code == "otl":
        row["language_other"] = language
    return row


def _about_me_additions(pep: _Pep, written: Mapping[str, Any]) -> dict[str, Any]:
    story, c = pep.story, pep.circumstances
    rng = _v3_rng(pep, "about me")
    answers: dict[str, Any] = {
        "care_plan_next_review": pep.after(rng.randint(30, 150)).isoformat(),
        "reviewing_officer_name": _reviewing_officer(pep),
        "unaccompanied_asylum_seeking": story.uasc,
        "leisure_interests": pep.say(
            "{n} enjoys "
            + _in_words(list(c.interests))
            + ". {His} carer"
            + ("s take" if " and " in c.carer_names else " takes")
            + " {him} to "
            + c.interests[1]
            + " every week."
        ),
    }
    if _asks(pep, "school_moves_since_care"):
        answers["school_moves_since_care"] = _school_moves_since_care(pep)
    if pep.phase is Phase.EARLY_YEARS and not story.in_early_years_setting:
        moved = _left_previous_setting(pep) + timedelta(days=1)
        answers["placement_start_date"] = moved.isoformat()
        answers["placements_last_12_months"] = max(2, c.placements_last_12_months)
        answers["care_changes"] = pep.say(
            "{n} moved to {his} carers at short notice on "
            + f"{moved.day} {moved:%B %Y}"
            + ", too far from {his} old nursery to keep the place. Finding a new setting "
            "is the first action of this PEP."
        )
    if not story.uasc:
        return answers
    first_language = story.first_language or "Tigrinya"
    answers["languages"] = [
        _language_row(first_language, first=True, interpreter=True),
        _language_row("English", first=False, interpreter=False),
    ]
    answers["english_proficiency"] = rng.choice(("b_early_acquisition", "c_developing_competence"))
    answers["esol_level"] = rng.choice(("entry_2", "entry_3"))
    schooling = rng.randint(3, 7)
    answers["years_of_schooling"] = schooling
    answers["prior_schooling"] = pep.say(
        f"{{n}} went to school for about {schooling} years in {{his}} home country, in "
        + first_language
        + ", with long gaps while {he} travelled to the UK. {He} can read and write in "
        + first_language
        + " and has some basic maths."
    )
    answers["asylum_appointments"] = _asylum_appointments(pep)
    if pep.phase is Phase.SCHOOL_AGE and isinstance(written.get("care_changes"), str):
        answers["care_changes"] = written["care_changes"].replace("the college", "the school")
    return answers


# Educational history: the schools attended and the results that carry forward ------------------

_PRIMARY_SCHOOLS = (
    ("St Anne's C of E Primary School", "900118"),
    ("Brookfield Primary School", "900127"),
    ("Meadowbank Primary Academy", "900133"),
)
_SECONDARY_SCHOOLS = (
    ("Castle Hill Academy", "900411"),
    ("Riverside High School", "900424"),
    ("Northfield School", "900437"),
)


def _left_previous_setting(pep: _Pep) -> date:
    """For a young child not in a setting: the day they moved placement, and so left their
    nursery."""
    return min(pep.valid_on, pep.meeting_date) - timedelta(days=40)


def _educational_history_rows(pep: _Pep) -> list[dict[str, Any]]:
    """The schools (or early years settings) the child attended, most recent first."""
    if "schools" in pep.facts:
        return pep.facts["schools"]
    story = pep.story
    rng = _rng(story.reference, "schools")
    year = story.year_group if story.year_group is not None else 0
    rows: list[dict[str, Any]] = []
    if pep.phase is Phase.EARLY_YEARS:
        if story.in_early_years_setting:
            setting = _early_years_setting_facts(pep)
            rows.append(
                {
                    "school_name": setting["setting_name"],
                    "ofsted_urn": setting["ofsted_urn"],
                    "attended_from": setting["date_started"],
                }
            )
        else:
            # The nursery near the previous placement, left when the child moved (see the
            # setting section's plan to find a place).
            left = _left_previous_setting(pep)
            started = max(story.date_of_birth + timedelta(days=730), left - timedelta(days=240))
            # Some carers pay for a nursery place before the funded hours start at two.
            started = min(started, left - timedelta(days=60))
            if started > story.date_of_birth:
                rows.append(
                    {
                        "school_name": "Rainbow Day Nursery",
                        "ofsted_urn": f"EY{rng.randint(400000, 599999)}",
                        "attended_from": started.isoformat(),
                        "attended_to": left.isoformat(),
                        "reason_left": "moved_placement",
                    }
                )
        pep.facts["schools"] = rows
        return rows
    if pep.phase is Phase.POST_16:
        college: dict[str, Any] = {
            "school_name": story.school_name or "Northgate College",
            "attended_from": _course_start(pep).isoformat(),
        }
        if story.neet:
            left = _neet_since(pep)
            started = min(_course_start(pep), left - timedelta(days=60))
            college["attended_from"] = started.isoformat()
            college["attended_to"] = left.isoformat()
            college["reason_left"] = "other"
        rows.append(college)
        secondary_name, secondary_urn = rng.choice(_SECONDARY_SCHOOLS)
        left_secondary = date(_summer_of(pep, 11), 7, 19)
        first_day = date(_summer_of(pep, 7) - 1, 9, 4)
        if story.uasc and story.date_entered_care is not None:
            first_day = max(first_day, story.date_entered_care + timedelta(days=28))
        if first_day < left_secondary:
            secondary = {
                "school_name": secondary_name,
                "school_urn": secondary_urn,
                "attended_from": first_day.isoformat(),
                "attended_to": left_secondary.isoformat(),
                "reason_left": "moved_phase",
            }
            rows.append(secondary)
        pep.facts["schools"] = rows
        return rows
    # An unaccompanied child's schools in England start when they came into care here.
    arrived = story.date_entered_care if story.uasc else None
    urn = story.school_urn if story.school_urn and len(story.school_urn) == 6 else None
    current: dict[str, Any] = {
        "school_name": story.school_name or "Oakfield Primary School",
        "attended_from": _v3_school_start(pep).isoformat(),
    }
    if urn:
        current["school_urn"] = urn
    rows.append(current)
    if story.joined_school_on is not None and story.joined_school_on <= pep.valid_on:
        left = story.joined_school_on - timedelta(days=3)
        pool = _SECONDARY_SCHOOLS if year >= 7 else _PRIMARY_SCHOOLS
        fallback_name, fallback_urn = rng.choice(pool)
        first_day = date(_summer_of(pep, 7 if year >= 7 else 0) - 1, 9, 4)
        if arrived is not None:
            first_day = max(first_day, arrived + timedelta(days=28))
        previous: dict[str, Any] = {
            "school_name": story.previous_school_name or fallback_name,
            "attended_from": first_day.isoformat(),
            "attended_to": left.isoformat(),
            "reason_left": "moved_placement",
        }
        previous_urn = story.previous_school_urn or fallback_urn
        if len(previous_urn) == 6:
            previous["school_urn"] = previous_urn
        if date.fromisoformat(previous["attended_from"]) <= left:
            rows.append(previous)
    if arrived is not None and arrived > date(_summer_of(pep, 6), 7, 19):
        pep.facts["schools"] = rows
        return rows
    if year >= 7 and not any(row.get("reason_left") == "moved_phase" for row in rows):
        primary_name, primary_urn = rng.choice(_PRIMARY_SCHOOLS)
        rows.append(
            {
                "school_name": primary_name,
                "school_urn": primary_urn,
                "attended_from": date(_summer_of(pep, 0) - 1, 9, 4).isoformat(),
                "attended_to": date(_summer_of(pep, 6), 7, 19).isoformat(),
                "reason_left": "moved_phase",
            }
        )
    pep.facts["schools"] = rows
    return rows


def _v3_school_start(pep: _Pep) -> date:
    """The day the child joined their school: for an unaccompanied child, after arriving."""
    joined = _school_start(pep)
    entered = pep.story.date_entered_care
    if pep.story.uasc and entered is not None:
        joined = min(pep.valid_on, max(joined, entered + timedelta(days=28)))
    return joined


def _school_moves_since_care(pep: _Pep) -> int:
    """Moves of school since the child came into care, as the educational history shows them."""
    entered = pep.story.date_entered_care
    return sum(
        1
        for row in _educational_history_rows(pep)
        if row.get("attended_to")
        and (
            date.fromisoformat(row["attended_to"]) >= entered
            if entered is not None
            # Not known when they came into care: the moves that were not a change of phase.
            else row.get("reason_left") != "moved_phase"
        )
    )


def _phonics_mark(pep: _Pep) -> int:
    """The child's phonics screening check mark in Year 1: the same wherever it is shown."""
    rng = _rng(pep.story.reference, "phonics")
    behind = pep.circumstances.sen_status != "none"
    return rng.randint(24, 31) if behind and rng.random() < 0.6 else rng.randint(32, 40)


def _multiplication_score(pep: _Pep) -> int:
    """The child's multiplication tables check score in Year 4, out of 25."""
    rng = _rng(pep.story.reference, "multiplication check")
    return rng.randint(12, 20) if pep.circumstances.sen_status != "none" else rng.randint(18, 25)


def _key_stage_results(pep: _Pep) -> list[dict[str, Any]]:
    """Results of the national assessments the child has already taken in England."""
    story = pep.story
    if story.uasc or pep.phase is Phase.EARLY_YEARS:
        return []
    year = story.year_group if story.year_group is not None else 0
    rng = _rng(story.reference, "key stage results")
    behind = pep.circumstances.sen_status != "none"
    results: list[dict[str, Any]] = []

    def add(stage: str, subject: str, result: str, in_year_group: int) -> None:
        results.append(
            {
                "key_stage": stage,
                "subject": subject,
                "result": result,
                "year_taken": _summer_of(pep, in_year_group),
            }
        )

    if year >= 1:
        gld = not behind or rng.random() < 0.3
        add("eyfs", "Good level of development", "Yes" if gld else "No", 0)
    if year >= 2:
        mark = _phonics_mark(pep)
        met = "standard met" if mark >= 32 else "standard not met"
        add("phonics", "Phonics screening check", f"{mark} out of 40 ({met})", 1)
    if year >= 3:
        for subject in ("Reading", "Writing", "Maths"):
            result = rng.choice(
                ("Working towards the expected standard", "Expected standard")
                if behind
                else ("Expected standard", "Expected standard", "Greater depth")
            )
            add("ks1", subject, result, 2)
    if year >= 5:
        add(
            "multiplication_check",
            "Multiplication tables check",
            f"{_multiplication_score(pep)} out of 25",
            4,
        )
    if year >= 7:
        for subject in ("Reading", "Maths"):
            score = rng.randint(92, 103) if behind else rng.randint(99, 112)
            add("ks2", subject, f"Scaled score {score}", 6)
        add("ks2", "Writing", "Working towards" if behind else "Expected standard", 6)
    if year >= 12:
        for subject in ("English Language", "Maths", "Combined Science"):
            grade = rng.randint(3, 5) if behind else rng.randint(4, 7)
            add("ks4", f"GCSE {subject}", f"Grade {grade}", 11)
    return results


def _educational_history(pep: _Pep) -> dict[str, Any]:
    # Carried forward from the last PEP when there was one (the portal prefills them).
    carried = pep.prefilled.get("educational_history", {})
    schools = carried.get("schools_attended")
    results = carried.get("key_stage_results")
    return {
        "schools_attended": schools
        if isinstance(schools, list) and schools
        else (_educational_history_rows(pep)),
        "key_stage_results": results
        if isinstance(results, list) and results
        else (_key_stage_results(pep)),
    }


# Education setting: a reduced timetable and alternative provision, field by field --------------


def _education_setting_additions(pep: _Pep, written: Mapping[str, Any]) -> dict[str, Any]:
    c = pep.circumstances
    joined = _v3_school_start(pep)
    answers: dict[str, Any] = {"date_joined_school": joined.isoformat()}
    if c.reduced_timetable:
        start = min(pep.valid_on, max(joined, pep.meeting_date - timedelta(days=35)))
        answers.update(
            {
                "reduced_timetable_start": start.isoformat(),
                "reduced_timetable_hours": 16,
                "reduced_timetable_reason": pep.say(
                    "{n} found full days overwhelming while {his} needs assessment is under "
                    "way: incidents happened mostly in the afternoons."
                ),
                "reduced_timetable_plan": pep.say(
                    "Mornings only (9am to 12.30pm) for now, adding one afternoon every two "
                    "weeks, with full time expected by the end of next term."
                ),
                "reduced_timetable_review_date": (start + timedelta(days=42)).isoformat(),
                "reduced_timetable_agreed_with_virtual_school": True,
            }
        )
    if c.alternative_provision:
        answers["alternative_providers"] = [
            {
                "provider_name": "Demo County Motor Vehicle Skills Centre",
                "provider_registration": "registered",
                "provider_reference": "10049512",
                "provider_days": ["wednesday", "friday"],
                "provider_hours": 9,
            }
        ]
    return answers


# Attendance in sessions, and suspensions one by one --------------------------------------------

_ABSENCE_SHARE = {"strong": (0.0, 0.04), "steady": (0.04, 0.09), "concern": (0.1, 0.2)}
# School days in each whole term before the current one, as _term_start divides the year.
_FULL_TERM_DAYS = {"autumn": 70, "spring": 60}


def _sessions_in_year_before_this_term(on: date) -> int:
    began = _term_began(on)
    if began.month == 9:
        return 0
    days = _FULL_TERM_DAYS["autumn"]
    if began.month == 4:
        days += _FULL_TERM_DAYS["spring"]
    return days * 2


def _sessions_possible_term(pep: _Pep) -> int:
    """Two sessions a school day this term so far (at least 15 days, at most 65)."""
    school_days = (pep.meeting_date - _term_began(pep.meeting_date)).days * 5 // 7
    return 2 * max(15, min(65, school_days))


def _split_absences(
    rng: random.Random, possible: int, band: str, at_least_authorised: int = 0
) -> tuple[int, int, int]:
    """Attended, authorised and unauthorised sessions that add up to ``possible``."""
    absent = round(possible * rng.uniform(*_ABSENCE_SHARE[band]))
    absent = min(possible, max(absent, at_least_authorised))
    other = absent - at_least_authorised
    unauthorised = rng.randint(0, other // 2) if band != "strong" else 0
    return possible - absent, absent - unauthorised, unauthorised


def _suspension_rows(pep: _Pep) -> list[dict[str, Any]]:
    """This school year's suspensions, when the child's story has them: all this term."""
    if not pep.story.suspended_this_year:
        return []
    if "suspensions" in pep.facts:
        return pep.facts["suspensions"]
    rng = _v3_rng(pep, "suspensions")
    term_start = _term_began(pep.meeting_date)
    last_day = min(pep.meeting_date, pep.valid_on) - timedelta(days=1)
    span = max(0, (last_day - term_start).days)
    days = sorted(rng.sample(range(span + 1), min(span + 1, rng.randint(1, 2))))
    reasons = (
        ["physical_assault_pupil"],
        ["verbal_abuse_adult", "persistent_disruptive"],
        ["damage"],
    )
    rows: list[dict[str, Any]] = []
    for day in days:
        start = term_start + timedelta(days=day)
        if start.weekday() >= 5:
            start -= timedelta(days=start.weekday() - 4)
        start = max(start, term_start)
        rows.append(
            {
                "start_date": start.isoformat(),
                "length_sessions": rng.choice((2, 4, 6)),
                "reasons": list(rng.choice(reasons)),
            }
        )
    pep.facts["suspensions"] = rows
    return rows


def _suspended_sessions(pep: _Pep) -> int:
    return sum(row["length_sessions"] for row in _suspension_rows(pep))


def _asylum_appointments(pep: _Pep) -> list[dict[str, Any]]:
    """An unaccompanied child's appointments this term: the same in every section."""
    if not pep.story.uasc:
        return []
    rng = _v3_rng(pep, "appointments")
    appointments = [("home_office", 34, 2), ("solicitor", 20, 1), ("health", 9, 0)]
    rows = []
    for kind, days, missed in appointments[: rng.randint(2, 3)]:
        day = pep.meeting_date - timedelta(days=days)
        day -= timedelta(days=max(0, day.weekday() - 4))  # a weekday
        if day >= _term_began(pep.meeting_date):
            rows.append(
                {
                    "appointment_type": kind,
                    "appointment_date": day.isoformat(),
                    "sessions_missed": missed,
                }
            )
    return rows


def _appointment_sessions(pep: _Pep) -> int:
    if pep.phase is Phase.EARLY_YEARS:
        return 0
    return sum(row["sessions_missed"] for row in _asylum_appointments(pep))


def _attendance_sessions(pep: _Pep, possible_term: int) -> dict[str, int]:
    """Sessions this term and this school year to date, which add up and agree."""
    if "sessions" in pep.facts:
        return pep.facts["sessions"]
    rng = _v3_rng(pep, "attendance")
    band = pep.circumstances.attendance_band
    # A suspension is an authorised absence (code E) on the register, and so is an
    # unaccompanied child's appointment with the Home Office or a solicitor in school time.
    explained = _suspended_sessions(pep) + _appointment_sessions(pep)
    attended, authorised, unauthorised = _split_absences(rng, possible_term, band, explained)
    earlier = _sessions_in_year_before_this_term(pep.meeting_date)
    if pep.phase is Phase.EARLY_YEARS:
        earlier = earlier * possible_term // _sessions_possible_term(pep)
    before = _split_absences(rng, earlier, band)
    sessions = {
        "sessions_possible_term": possible_term,
        "sessions_attended_term": attended,
        "authorised_absences_term": authorised,
        "unauthorised_absences_term": unauthorised,
        "sessions_possible_year": possible_term + earlier,
        "sessions_attended_year": attended + before[0],
        "authorised_absences_year": authorised + before[1],
        "unauthorised_absences_year": unauthorised + before[2],
    }
    pep.facts["sessions"] = sessions
    return sessions


def _absence_rate(sessions: Mapping[str, int]) -> Decimal:
    possible = sessions["sessions_possible_term"]
    missed = sessions["authorised_absences_term"] + sessions["unauthorised_absences_term"]
    if not possible:
        return Decimal(0)
    return (Decimal(missed) * 100 / Decimal(possible)).quantize(Decimal("0.1"))


def _attendance_words(pep: _Pep, sessions: Mapping[str, int], *, place: str) -> str:
    """The term's absences in words; ``place`` is school, college or nursery."""
    rate = _absence_rate(sessions)
    missed = sessions["sessions_possible_term"] - sessions["sessions_attended_term"]
    figures = (
        f"{{n}} has missed {missed} of {sessions['sessions_possible_term']} sessions this "
        f"term ({rate}%)"
    )
    if rate >= 10:
        support = ", which is persistent absence. " + {
            "college": "{His} personal tutor texts {him} on Sunday evenings and a later start "
            "on Mondays has been agreed for six weeks.",
            "nursery": "The key person and the carer have agreed a calmer morning routine, "
            "and the setting manager phones the carer when {n} is not in by 9.30am.",
        }.get(
            place,
            "{n} has a daily morning check-in with {his} mentor, the attendance officer "
            "phones the carer by 9.30am on any day {he} is not in, and a reward is agreed for "
            "full weeks.",
        )
    elif missed:
        reasons = []
        if _suspended_sessions(pep):
            reasons.append(f"{_suspended_sessions(pep)} sessions of suspension")
        if _appointment_sessions(pep):
            reasons.append(f"{_appointment_sessions(pep)} sessions of asylum appointments")
        support = (
            ", "
            + (
                _in_words([*reasons, "medical appointments"])
                if reasons
                else "mostly for medical appointments and family time"
            )
            + ". Appointments are booked after "
            + place
            + " where possible."
        )
    else:
        support = ": no concerns."
    return pep.say(figures + support)


def _suspension_answers(pep: _Pep) -> dict[str, Any]:
    rows = _suspension_rows(pep)
    answers: dict[str, Any] = {
        "suspensions_this_year": bool(rows),
        "permanently_excluded": pep.story.permanently_excluded,
    }
    if rows:
        answers["suspensions"] = rows
    details: list[str] = []
    if rows:
        total = sum(row["length_sessions"] for row in rows)
        details.append(
            f"{len(rows)} suspension{'s' if len(rows) > 1 else ''} this school year, "
            f"{total} sessions ({total / 2:g} school days) in all. A reintegration meeting was "
            "held each time with {n}, {his} carer and the social worker; {n} now has a "
            "lunchtime plan and a key adult, and the Virtual School has advised on "
            "alternatives to suspension."
        )
    if pep.story.permanently_excluded:
        excluded_on = min(pep.valid_on, pep.meeting_date) - timedelta(days=6)
        answers["permanent_exclusion_date"] = excluded_on.isoformat()
        answers["permanent_exclusion_stage"] = "governors_review_pending"
        details.append(
            "The headteacher permanently excluded {n} on "
            + f"{excluded_on.day} {excluded_on:%B %Y}"
            + ". The governors meet within 15 school days; the Virtual School will attend and "
            "has asked the local authority to arrange full-time education from the sixth day."
        )
    if details:
        answers["exclusion_details"] = pep.say(" ".join(details))
    return answers


def _attendance_exclusions_v3(pep: _Pep) -> dict[str, Any]:
    sessions = _attendance_sessions(pep, _sessions_possible_term(pep))
    return {
        **sessions,
        "attendance_support": _attendance_words(pep, sessions, place="school"),
        **_suspension_answers(pep),
    }


def _post_16_attendance_v3(pep: _Pep) -> dict[str, Any]:
    if pep.story.neet:
        return {"attendance_recorded": False, **_suspension_answers(pep)}
    sessions = _attendance_sessions(pep, _sessions_possible_term(pep))
    answers: dict[str, Any] = {"attendance_recorded": True, **sessions}
    if _absence_rate(sessions) >= 5:
        answers["attendance_concerns"] = _attendance_words(pep, sessions, place="college")
    return {**answers, **_suspension_answers(pep)}


# Attainment in the words of the child's key stage ---------------------------------------------

_ELGS = (
    # (key, area) in the order of the form; the areas that make a good level of development
    # are the prime areas, literacy and mathematics.
    ("elg_listening_attention_understanding", "communication"),
    ("elg_speaking", "communication"),
    ("elg_self_regulation", "personal"),
    ("elg_managing_self", "personal"),
    ("elg_building_relationships", "personal"),
    ("elg_gross_motor_skills", "physical"),
    ("elg_fine_motor_skills", "physical"),
    ("elg_comprehension", "literacy"),
    ("elg_word_reading", "literacy"),
    ("elg_writing", "literacy"),
    ("elg_number", "mathematics"),
    ("elg_numerical_patterns", "mathematics"),
    ("elg_past_and_present", "world"),
    ("elg_people_culture_communities", "world"),
    ("elg_natural_world", "world"),
    ("elg_creating_with_materials", "arts"),
    ("elg_being_imaginative_expressive", "arts"),
)
_ASSESSMENT_POINTS = {
    month: name + " data drop"
    for months, name in (
        ((9, 10, 11, 12), "Autumn 2"),
        ((1,), "Spring 1"),
        ((2, 3), "Spring 2"),
        ((4, 5), "Summer 1"),
        ((6, 7, 8), "Summer 2"),
    )
    for month in months
}
_GLD_AREAS = ("communication", "personal", "physical", "literacy", "mathematics")
_KEY_STAGE_CHOICE = {
    "reception": "eyfs_reception",
    "ks1": "ks1",
    "ks2": "ks2",
    "ks3": "ks3",
    "ks4": "ks4",
}
_GRADES = ("grade_1", "grade_2", "grade_3", "grade_4", "grade_5", "grade_6", "grade_7", "grade_8")
_KS3_SUBJECTS = ("English", "Maths", "Science", "History", "Art")
_KS4_SUBJECTS = (
    ("English Language", "GCSE"),
    ("Maths", "GCSE"),
    ("Combined Science", "GCSE (double award)"),
    ("History", "GCSE"),
    ("Food preparation and nutrition", "GCSE"),
)


def _attainment_v3(pep: _Pep) -> dict[str, Any]:
    stage = pep.stage if pep.stage in _KEY_STAGE_CHOICE else "ks2"
    rng = pep.rng
    behind = pep.circumstances.sen_status != "none"
    year = pep.story.year_group if pep.story.year_group is not None else 4
    month = pep.meeting_date.month
    answers: dict[str, Any] = {"key_stage": _KEY_STAGE_CHOICE[stage]}
    strong: list[str] = []
    weak: list[str] = []
    if stage == "reception":
        for key, _area in _ELGS:
            emerging = rng.random() < (0.45 if behind else 0.15)
            answers[key] = "emerging" if emerging else "expected"
            label = key.removeprefix("elg_").replace("_", " ")
            (weak if emerging else strong).append(label)
        gld = all(answers[key] == "expected" for key, area in _ELGS if area in _GLD_AREAS)
        answers["good_level_of_development"] = gld
        summary = (
            "{n} is on track for a good level of development by the end of Reception."
            if gld
            else "{n} is not yet on track for a good level of development: the early "
            "learning goals still emerging are " + _in_words(weak) + "."
        )
    elif stage == "ks1":
        for subject in ("reading", "writing", "maths", "science"):
            result = rng.choices(
                ("working_towards", "expected", "greater_depth"),
                (4, 5, 0) if behind else (1, 6, 2),
            )[0]
            if subject == "science":
                # Key stage 1 science is at the expected standard or has not met it.
                result = "has_not_met" if result == "working_towards" else "expected"
            answers[f"ks1_{subject}"] = result
            (weak if result in ("working_towards", "has_not_met") else strong).append(subject)
        taken = year == 2 or (year == 1 and 6 <= month <= 8)
        if taken:
            mark = _phonics_mark(pep)
            answers["phonics_mark"] = mark
            answers["phonics_standard_met"] = mark >= 32
        summary = (
            "{n} is working at the expected standard in " + _in_words(strong) + "."
            if strong
            else "{n} is working towards the expected standard in every subject."
        )
        if weak and strong:
            summary += " {He} is working towards it in " + _in_words(weak) + "."
    elif stage == "ks2":
        below = pep.circumstances.sen_status == "ehcp" and rng.random() < 0.5
        answers["ks2_working_below_test_standard"] = below
        if below:
            for subject in ("reading", "writing", "maths"):
                answers[f"ks2_pre_key_stage_{subject}"] = rng.choice(("pk4", "pk5", "pk6"))
            summary = (
                "{n} is working below the standard of the key stage 2 national assessments "
                "and is assessed against the pre-key stage standards; {he} is making steady "
                "progress in small steps, as {his} EHCP sets out."
            )
            weak = ["reading", "writing", "maths"]
        else:
            for subject in ("reading", "maths"):
                current = rng.randint(88, 101) if behind else rng.randint(96, 112)
                predicted = min(120, current + rng.randint(1, 4))
                target = min(120, max(100, predicted + rng.randint(0, 3)))
                answers[f"ks2_{subject}_current"] = current
                answers[f"ks2_{subject}_predicted"] = predicted
                answers[f"ks2_{subject}_target"] = target
                (strong if predicted >= 100 else weak).append(subject)
            writing = rng.choices(
                ("working_towards", "expected", "greater_depth"),
                (4, 4, 0) if behind else (1, 6, 2),
            )[0]
            answers["ks2_writing"] = writing
            (weak if writing == "working_towards" else strong).append("writing")
            summary = (
                "{n} is on course for the expected standard (a scaled score of 100) in "
                + _in_words(strong)
                + "."
                if strong
                else "{n} is not yet on course for the expected standard in any subject."
            )
            if weak and strong:
                summary += " " + _in_words(weak).capitalize() + " need more support."
        if year >= 5 or (year == 4 and 6 <= month <= 8):
            answers["multiplication_check_score"] = _multiplication_score(pep)
        if year == 6:
            summary += " {n} will take the key stage 2 national assessments (SATs) in May."
    elif stage == "ks3":
        rows = []
        for subject in _KS3_SUBJECTS[: 3 + rng.randint(0, 2)]:
            on_track = rng.choices(
                ("above", "on_track", "below"), (1, 3, 3) if behind else (2, 6, 1)
            )[0]
            grade = {"above": 6, "on_track": 5, "below": 3}[on_track] - (1 if behind else 0)
            rows.append(
                {
                    "subject": subject,
                    "on_track": on_track,
                    "predicted_gcse_grade": _GRADES[grade - 1],
                }
            )
            (weak if on_track == "below" else strong).append(subject)
        answers["ks3_subjects"] = rows
        summary = (
            "{n} is on track or above in " + _in_words(strong) + "."
            if strong
            else "{n} is below where {he} should be in every subject."
        )
        if weak and strong:
            summary += " {He} is below in " + _in_words(weak) + ", the focus of the targets."
    else:
        rows = []
        for subject, qualification in _KS4_SUBJECTS[: 3 + rng.randint(0, 2)]:
            current = rng.randint(2, 4) if behind else rng.randint(3, 6)
            predicted = min(8, current + rng.randint(0, 1))
            target = min(8, max(4, predicted + rng.randint(0, 1)))
            rows.append(
                {
                    "subject": subject,
                    "qualification": qualification,
                    "current_grade": _GRADES[current - 1],
                    "predicted_grade": _GRADES[predicted - 1],
                    "target_grade": _GRADES[target - 1],
                }
            )
            (strong if predicted >= 4 else weak).append(subject)
        answers["ks4_subjects"] = rows
        summary = (
            "{n} is predicted a grade 4 or above in " + _in_words(strong) + "."
            if strong
            else "{n} is not yet predicted a grade 4 in any subject."
        )
        if weak and strong:
            summary += " " + _in_words(weak) + " need the most support."
        if year == 11 and month >= 9:
            summary += " Mock exams are in January; predicted grades are based on the autumn data."
        elif year == 11:
            summary += " Predicted grades are based on the January mock exams."
    answers["assessment_point"] = _ASSESSMENT_POINTS[month]
    answers["progress_summary"] = pep.say(summary)
    answers["strengths"] = pep.say(
        "{n} enjoys "
        + pep.circumstances.interests[0]
        + " and practical lessons. {He} {is} kind to younger pupils and works hard when "
        "{he} feel{s} confident."
    )
    answers["barriers_to_learning"] = pep.pick(
        (
            "Gaps from time out of school before coming into care, especially in reading.",
            "{n} finds it hard to concentrate after family time and can be tired on "
            "Monday mornings.",
            "Anxiety about changes of routine, supply teachers and unstructured times.",
        )
    )
    return answers


# Health and wellbeing: developmental needs, attachment and past trauma ------------------------

_POST_16_SUPPORT = {
    "school_counsellor": "counsellor_mentor",
    "elsa": "counsellor_mentor",
    "camhs": "mental_health_services",
    "educational_psychologist": "educational_psychologist",
}


def _health_additions(pep: _Pep, written: Mapping[str, Any]) -> dict[str, Any]:
    c = pep.circumstances
    rng = _v3_rng(pep, "health")
    affects = c.attendance_band == "concern" or c.primary_need == "semh" or rng.random() < 0.3
    answers: dict[str, Any] = {
        "developmental_needs": pep.say(
            "{n} experienced neglect before coming into care and can find it hard to trust "
            "new adults. "
            + (
                "{He} is making good progress now that {his} routine is settled."
                if not affects
                else "{He} seeks reassurance often and struggles when plans change."
            )
        ),
        "attachment_trauma_affects_learning": affects,
    }
    if affects:
        answers["attachment_trauma_strategies"] = pep.say(
            "A key adult who greets {n} each morning; warnings before any change; a calm "
            "space {he} can use without asking; staff trained in emotion coaching."
        )
    if pep.phase is Phase.POST_16 and "support_received" in written:
        options = ("counsellor_mentor", "mental_health_services", "educational_psychologist")
        mapped = {_POST_16_SUPPORT.get(option) for option in written["support_received"]}
        answers["support_received"] = [option for option in options if option in mapped]
    if pep.phase is not Phase.EARLY_YEARS and rng.random() < 0.25:
        support = list(answers.get("support_received", written.get("support_received", [])))
        answers["support_received"] = [*support, "other"]
        answers["support_received_other"] = "A mentor from a local mentoring charity"
    if pep.phase is Phase.EARLY_YEARS and rng.random() < 0.25:
        answers["professionals_involved"] = [*written.get("professionals_involved", []), "other"]
        answers["professionals_involved_other"] = "Family support worker"
    return answers


# Pupil Premium Plus: a request that differs from the targets' total is explained --------------


def _pupil_premium_additions(pep: _Pep, written: Mapping[str, Any]) -> dict[str, Any]:
    rng = _v3_rng(pep, "pupil premium")
    requested = Decimal(written["amount_requested"])
    if requested == 0 or rng.random() >= 0.2:
        return {}
    extra = Decimal(120)
    return {
        "amount_requested": format_money(requested + extra),
        "difference_explained": pep.say(
            "The request is £120 more than the targets cost: it pays for {n}'s place on the "
            "class trip this term, which the school and carers agreed will help {him} feel "
            "part of the class, though it is not one of the targets."
        ),
    }


# Early years: the setting (or the plan to find one), starting school ----------------------------


def _early_years_setting_facts(pep: _Pep) -> dict[str, Any]:
    """The setting, its funding and hours: the same wherever a section mentions them."""
    if "setting" in pep.facts:
        return pep.facts["setting"]
    if _young_unaccompanied(pep):
        return _young_unaccompanied_setting_facts(pep)
    story = pep.story
    rng = _v3_rng(pep, "setting")
    months = _age_in_months(story.date_of_birth, pep.meeting_date)
    funding = ["two_year_old"] if months < 36 else ["universal"]
    if months >= 36 and rng.random() < 0.6:
        funding.append("extended")
    funded = 30 if "extended" in funding else 15
    name = story.school_name or "Little Acorns Nursery"
    if "primary" in name.lower():
        setting_type = "nursery_class"
    elif "nursery" in name.lower():
        setting_type = rng.choice(("nursery_school", "private_nursery"))
    else:
        setting_type = rng.choice(("nursery_school", "private_nursery", "childminder"))
    started = max(
        min(pep.valid_on, pep.meeting_date - timedelta(days=rng.randint(60, 300))),
        story.date_of_birth + timedelta(days=730),
    )
    facts = {
        "setting_name": name,
        "setting_type": setting_type,
        "ofsted_urn": f"EY{rng.randint(400000, 599999)}",
        "date_started": min(started, pep.valid_on).isoformat(),
        "funding_type": funding,
        "funded_hours": funded,
        # Some carers pay for a few hours more than the funded ones.
        "hours_attended": funded + rng.choice((0, 0, 0, 3, 6)),
    }
    pep.facts["setting"] = facts
    return facts


def _early_years_setting_v3(pep: _Pep) -> dict[str, Any]:
    if not pep.story.in_early_years_setting:
        return {
            "in_setting": False,
            "no_setting_plan": pep.say(
                "{n} moved to {his} carers at short notice and the nursery near {his} "
                "previous placement is too far away. The Virtual School has asked the "
                "family information service for places within two miles; the carer is "
                "visiting two nurseries this month and funding is in place from the start of "
                "next month."
            ),
        }
    if _young_unaccompanied(pep):
        return _young_unaccompanied_setting(pep)
    facts = _early_years_setting_facts(pep)
    start_of_term = max(_term_began(pep.meeting_date), date.fromisoformat(facts["date_started"]))
    # Weeks of this term so far, holidays left out (as the school's sessions leave them out).
    weeks = max(
        3, min(_sessions_possible_term(pep) // 10, (pep.meeting_date - start_of_term).days // 7)
    )
    # A booked session is a morning or an afternoon, of about three hours.
    per_week = min(10, max(1, facts["hours_attended"] // 3))
    sessions = _attendance_sessions(pep, min(200, per_week * weeks))
    answers: dict[str, Any] = {
        "in_setting": True,
        **{key: value for key, value in facts.items()},
        "key_person": _key_person(pep),
        **sessions,
        "attendance_support": _attendance_words(pep, sessions, place="nursery"),
    }
    if facts["setting_type"] == "nursery_class":
        answers.update(_suspension_answers(pep))
        answers.pop("permanently_excluded", None)
    return answers


def _two_year_check_additions(pep: _Pep, written: Mapping[str, Any]) -> dict[str, Any]:
    if written.get("check_done"):
        return {}
    return {"check_not_done_reason": written.get("check_summary")}


def _eyfs_development_additions(pep: _Pep, written: Mapping[str, Any]) -> dict[str, Any]:
    rng = _v3_rng(pep, "eyfs progress")
    answers: dict[str, Any] = {}
    for area in ("communication_language", "personal_social_emotional", "physical_development"):
        level = written.get(area, "typical")
        if level == "well_below":
            progress = "less_than_expected"
        elif level == "below":
            progress = rng.choice(("less_than_expected", "expected"))
        elif level == "above":
            progress = rng.choice(("more_than_expected", "expected"))
        else:
            progress = "expected"
        answers[f"{area}_progress"] = progress
    return answers


_RECEPTION_SCHOOLS = ("Oakfield Primary School", "St Anne's C of E Primary School")


def _starting_school(pep: _Pep) -> dict[str, Any]:
    year = pep.story.year_group
    # Nursery year -1 is the year before Reception: the child starts school next September.
    starting = year == -1
    answers: dict[str, Any] = {"starting_school_next_september": starting}
    if not starting:
        return answers
    name = pep.story.school_name or ""
    school = (
        name
        if "primary" in name.lower()
        else _rng(pep.story.reference, "reception").choice(_RECEPTION_SCHOOLS)
    )
    on_time = (
        pep.meeting_date.month < 1
        or pep.meeting_date.month >= 9
        or (pep.meeting_date.month == 1 and pep.meeting_date.day <= 15)
    )
    answers.update(
        {
            "application_by_deadline": True,
            "school_applied_for": school,
            "visits_planned": pep.say(
                "Two visits with {his} key person in the summer term and a stay-and-play "
                "session with {his} carer."
            ),
            "handover_arrangements": pep.say(
                "The key person will meet the Reception teacher in June to share {n}'s "
                "learning journal, what helps {him} settle and this PEP's targets."
            ),
        }
    )
    if not on_time:
        answers["visits_planned"] = pep.say(
            "The application was made in time in January; visits with {his} key person "
            "and carer are planned once the place is offered in April."
        )
    return answers


# Post-16: education or employment status, qualifications, bursaries ---------------------------


def _course(pep: _Pep) -> tuple[str, str]:
    if pep.story.uasc:
        return ("ESOL Entry Level 3 with Functional Skills Maths", "entry")
    return _rng(pep.story.reference, "course").choice(_COURSES)


def _course_start(pep: _Pep) -> date:
    _title, level = _course(pep)
    start_year = pep.meeting_date.year - (1 if pep.meeting_date.month < 9 else 0)
    if pep.story.year_group == 13 and level == "level_3":
        start_year -= 1
    return date(start_year, 9, 8)


_QUALIFICATIONS: dict[str, tuple[tuple[str, str, tuple[str, str, str]], ...]] = {
    "A levels in Psychology, Sociology and English Literature": (
        ("A level Psychology", "level_3", ("C", "B", "B")),
        ("A level Sociology", "level_3", ("B", "B", "A")),
        ("A level English Literature", "level_3", ("D", "C", "C")),
    ),
    "BTEC Level 3 Extended Diploma in Sport": (
        ("BTEC Extended Diploma in Sport", "level_3", ("Merit", "Merit", "Distinction")),
    ),
    "T Level in Digital Production, Design and Development": (
        ("T Level in Digital Production", "level_3", ("Pass", "Merit", "Merit")),
    ),
    "Level 2 Diploma in Hair and Beauty": (
        ("Diploma in Hair and Beauty", "level_2", ("Pass", "Merit", "Merit")),
    ),
    "Level 2 Certificate in Professional Cookery": (
        ("Certificate in Professional Cookery", "level_2", ("Pass", "Pass", "Merit")),
    ),
    "Level 1 Study Programme: Construction Multi-skills": (
        ("Diploma in Construction Multi-skills", "level_1", ("Working towards", "Pass", "Pass")),
    ),
    "ESOL Entry Level 3 with Functional Skills Maths": (
        ("ESOL Skills for Life", "entry", ("Entry 2", "Entry 3", "Entry 3")),
    ),
}


def _neet_since(pep: _Pep) -> date:
    """The day a young person not in education, employment or training left their course."""
    return min(pep.valid_on, pep.meeting_date) - timedelta(days=45)


def _course_provider_v3(pep: _Pep) -> dict[str, Any]:
    if pep.story.neet:
        since = _neet_since(pep)
        return {
            "education_status": "neet",
            "neet_reason": pep.say(
                "{n} stopped going to {his} college course after falling behind and losing "
                "confidence, and the college withdrew {him} on "
                + f"{since.day} {since:%B %Y}"
                + ". {He} has not started anything since."
            ),
            "reengagement_plan": pep.say(
                "{His} personal adviser meets {him} weekly. {He} will visit the local "
                "college's January-start programme and a construction traineeship this month; "
                "the Virtual School will pay travel and fund a mentor for the first term."
            ),
            "neet_review_date": pep.after(28).isoformat(),
        }
    answers = dict(_course_provider(pep))
    answers["education_status"] = "in_education"
    title, _level = _course(pep)
    rows = [
        {
            "qualification": name,
            "level": level,
            "current_grade": current,
            "predicted_grade": predicted,
            "target_grade": target,
        }
        for name, level, (current, predicted, target) in _QUALIFICATIONS.get(title, ())
    ]
    if "gcse_maths" in answers["english_maths"]:
        rows.append(
            {
                "qualification": "GCSE Maths (resit)",
                "level": "level_2",
                "current_grade": "3",
                "predicted_grade": "4",
                "target_grade": "4",
            }
        )
    if "functional_skills_maths" in answers["english_maths"]:
        rows.append(
            {
                "qualification": "Functional Skills Maths",
                "level": "entry" if _level == "entry" else "level_1",
                "current_grade": "Working towards",
                "predicted_grade": "Pass",
                "target_grade": "Pass",
            }
        )
    answers["qualifications"] = rows
    if answers["at_risk_of_leaving"]:
        answers["staying_on_course_support"] = pep.say(
            "A catch-up plan for the two late assignments, a weekly check-in with {his} "
            "personal tutor and the college's retention officer, and a later start on "
            "Mondays for six weeks."
        )
    return answers


def _careers_additions(pep: _Pep, written: Mapping[str, Any]) -> dict[str, Any]:
    title, _level = _course(pep)
    if pep.story.neet:
        return {
            "applications": ["further_course"],
            "application_details": pep.say(
                "Applied for the college's January-start programme; an interview is booked "
                "with {his} personal adviser there to support {him}."
            ),
            "next_steps_plan": pep.say(
                "Start the January programme, with a mentor for the first term, and aim for "
                "a Level 2 course or an apprenticeship next September."
            ),
        }
    if pep.story.year_group != 13 or not title.startswith("A levels"):
        return {}
    return {
        "applications": ["ucas"],
        "application_details": pep.say(
            "Applied through UCAS for Psychology at three universities; {his} personal "
            "statement was checked by {his} tutor and the Virtual School."
        ),
    }


def _finance_v3(pep: _Pep) -> dict[str, Any]:
    rng = pep.rng
    title, _level = _course(pep)
    if pep.story.neet:
        return {
            "bursaries": ["none"],
            "funding_concerns": pep.say(
                "No bursary while {n} is not on a course; {his} personal adviser will help "
                "{him} apply as soon as {he} starts one."
            ),
        }
    bursaries: list[str] = []
    answers: dict[str, Any] = {}
    if pep.story.uasc or rng.random() < 0.8:
        bursaries.append("vulnerable_group_bursary")
        answers["vulnerable_group_bursary_notes"] = (
            "£1,200 this year, paid monthly into the young person's bank account for travel, "
            "books and equipment."
        )
    else:
        bursaries.append("discretionary_bursary")
        answers["discretionary_bursary_notes"] = pep.say(
            "The college's discretionary bursary pays {n}'s travel and lunches while "
            "the vulnerable group bursary is set up."
        )
        answers["funding_concerns"] = pep.say(
            "The vulnerable group bursary application is waiting for evidence of {n}'s "
            "care status; the social worker will send the letter this week."
        )
    if pep.story.year_group == 13 and title.startswith("A levels"):
        bursaries.append("care_leaver_higher_education_bursary")
        answers["higher_education_bursary_notes"] = pep.say(
            "{n} will be able to claim the £2,000 care leaver bursary from {his} university; "
            "{his} personal adviser will help with the claim."
        )
    elif pep.story.year_group == 13:
        bursaries.append("apprenticeship_care_leaver_bursary")
        answers["apprenticeship_bursary_notes"] = pep.say(
            "Not claimed yet: if {n} starts an apprenticeship next year, the training "
            "provider will claim the £3,000 bursary for {him}."
        )
    answers["bursaries"] = [
        option
        for option in (
            "vulnerable_group_bursary",
            "discretionary_bursary",
            "care_leaver_higher_education_bursary",
            "apprenticeship_care_leaver_bursary",
        )
        if option in bursaries
    ]
    answers["other_funding"] = "Free college meals and a travel pass from the college."
    return answers


def _pathway_plan_additions(pep: _Pep, written: Mapping[str, Any]) -> dict[str, Any]:
    # A young person who turned 16 in the last couple of months may not have their pathway
    # plan yet: it is due within three months of the birthday.
    age_in_months = _age_in_months(pep.story.date_of_birth, pep.meeting_date)
    if written.get("pathway_plan_in_place") and age_in_months >= 16 * 12 + 2:
        return {}
    return {
        "pathway_plan_in_place": False,
        "pathway_plan_due": pep.after(21).isoformat(),
        "personal_adviser": "Tariq Hussein (leaving care team)",
    }


# An unaccompanied asylum-seeking child under five -------------------------------------------
#
# Very rare, but real: a young child who arrived with an older brother who is a child himself
# (so not their carer), now with foster carers and in a nursery. Everything here follows from
# the day they came into care: when they started at the setting, which appointments took them
# out of it, how far their English has come. Their first language is the story's.

_BROTHER = "Aram"
_HOMELANDS = {
    "kurdish sorani": "the Kurdistan Region of Iraq",
    "kurdish": "the Kurdistan Region of Iraq",
    "pashto": "Afghanistan",
    "dari": "Afghanistan",
    "tigrinya": "Eritrea",
    "amharic": "Ethiopia",
    "somali": "Somalia",
}
# The early years stages of learning English as an additional language (after Hester), as
# the local authority's ethnic minority achievement (EMA) service uses them in its visits.
_EAL_STAGES = (
    (
        "Stage 1 of 4, new to English",
        "{n} is in the silent period that is usual for a young child new to English: {he} "
        "understand{s} a few routine words (coat, snack, wash hands) from the pictures and "
        "gestures with them, and speaks only {language}.",
    ),
    (
        "Stage 2 of 4, becoming familiar with English",
        "{n} has come out of {his} silent period: {he} use{s} single English words and "
        'set phrases ("my turn", "toilet please", "look!") and follow{s} routine instructions '
        "without pictures.",
    ),
    (
        "Stage 2 of 4, moving towards stage 3 (becoming confident as a user of English)",
        "{n} now puts two or three English words together in play, joins in with the words of "
        "songs and stories, and switches to {language} when {he} is tired or upset.",
    ),
)


def _young_unaccompanied(pep: _Pep) -> bool:
    return pep.phase is Phase.EARLY_YEARS and pep.story.uasc


def _language(pep: _Pep) -> str:
    return pep.story.first_language or "Kurdish Sorani"


def _homeland(pep: _Pep) -> str:
    return _HOMELANDS.get(_language(pep).lower(), "{his} home country")


def _young_say(pep: _Pep, text: str) -> str:
    """Text about the child, with their language, homeland, brother and carer filled in."""
    text = (
        text.replace("{language}", _language(pep))
        .replace("{homeland}", _homeland(pep))
        .replace("{brother}", _BROTHER)
        .replace("{carer}", pep.people().carer)
    )
    return pep.say(text)


def _young_voice(story: ChildStory, words: Mapping[str, str], text: str) -> str:
    """The child's views, with their language, brother and carer filled in."""
    carer = story.people.carer if story.people else "{his} foster carer"
    language = story.first_language or "Kurdish Sorani"
    # What a little sister calls her big brother in Kurdish, Kaka Aram.
    kaka = "Kaka " if language.lower().startswith("kurdish") else ""
    text = (
        text.replace("{language}", language)
        .replace("{kaka}", kaka)
        .replace("{brother}", _BROTHER)
        .replace("{carer}", carer)
    )
    return text.format_map(words)


def _weekdays_after(day: date, count: int) -> date:
    for _ in range(count):
        day += timedelta(days=1)
        while day.weekday() >= 5:
            day += timedelta(days=1)
    return day


def _arrived(pep: _Pep) -> date:
    """The day the child came into care, soon after arriving in the UK."""
    return pep.story.date_entered_care or pep.meeting_date - timedelta(days=120)


def _months_since_arriving(pep: _Pep) -> int:
    return max(0, _age_in_months(_arrived(pep), pep.meeting_date))


def _eal_stage(pep: _Pep) -> tuple[str, str]:
    months = _months_since_arriving(pep)
    name, words = _EAL_STAGES[0 if months < 3 else 1 if months < 8 else 2]
    return name, _young_say(pep, words)


def _setting_days(start: date, end: date) -> int:
    """Weekdays from ``start`` up to ``end`` that a setting is open in term time: the school
    holidays and half terms left out, roughly as most authorities set them."""
    holidays = (
        ((10, 26), (10, 30)),
        ((12, 21), (12, 31)),
        ((1, 1), (1, 4)),
        ((2, 15), (2, 19)),
        ((3, 29), (4, 14)),
        ((5, 25), (5, 29)),
        ((7, 21), (9, 2)),
    )
    days = 0
    day = start
    while day < end:
        in_holiday = any((first <= (day.month, day.day) <= last) for first, last in holidays)
        if day.weekday() < 5 and not in_holiday:
            days += 1
        day += timedelta(days=1)
    return days


def _started_at_setting(pep: _Pep) -> date:
    """A week after coming into care: the Virtual School found a funded place at once, and
    the child started on short settling-in mornings. Always before the meeting."""
    arrived = _arrived(pep)
    latest = min(pep.meeting_date, pep.valid_on) - timedelta(days=3)
    return max(arrived, min(_weekdays_after(arrived, 5), latest))


def _initial_health_assessment(pep: _Pep) -> date:
    """Seven working days after coming into care (it is due within twenty), with an
    interpreter: the child's first appointment away from the setting."""
    return _weekdays_after(_arrived(pep), 7)


def _young_unaccompanied_setting_facts(pep: _Pep) -> dict[str, Any]:
    story = pep.story
    months = _age_in_months(story.date_of_birth, pep.meeting_date)
    name = story.school_name or "Little Acorns Nursery"
    facts = {
        "setting_name": name,
        "setting_type": "nursery_class" if "primary" in name.lower() else "private_nursery",
        "ofsted_urn": f"EY{_rng(story.reference, 'ofsted').randint(400000, 599999)}",
        "date_started": _started_at_setting(pep).isoformat(),
        "funding_type": ["two_year_old"] if months < 36 else ["universal"],
        # Five mornings a week: short days while the child settles and learns English.
        "funded_hours": 15,
        "hours_attended": 15,
    }
    pep.facts["setting"] = facts
    return facts


def _young_unaccompanied_appointments(pep: _Pep) -> list[dict[str, Any]]:
    """The appointments since the last PEP that took the child out of the setting, in term
    time: their health assessment first, then the Home Office and their solicitor."""
    if "appointments" in pep.facts:
        return pep.facts["appointments"]
    first = max(_term_began(pep.meeting_date), _started_at_setting(pep) + timedelta(days=1))
    last = min(pep.meeting_date, pep.valid_on) - timedelta(days=1)
    span = (last - first).days
    if pep.pep_number == 0:
        kinds = [("health", 1, _initial_health_assessment(pep))]
    else:
        later = [("home_office", 2), ("solicitor", 1)]
        if pep.pep_number > 1:
            later = [("solicitor", 1), ("health", 1)]
        kinds = [
            (kind, missed, first + timedelta(days=span * number // (len(later) + 1)))
            for number, (kind, missed) in enumerate(later, start=1)
        ]
    rows: list[dict[str, Any]] = []
    for kind, missed, on in kinds:
        day = on
        while day > first and not _setting_days(day, day + timedelta(days=1)):
            day -= timedelta(days=1)  # a day the setting is open, or it missed nothing
        if first <= day <= last:
            rows.append(
                {
                    "appointment_type": kind,
                    "appointment_date": day.isoformat(),
                    "sessions_missed": missed,
                }
            )
    pep.facts["appointments"] = rows
    return rows


def _young_unaccompanied_sessions(pep: _Pep) -> dict[str, int]:
    """One session a weekday the setting is open, from the day the child started: this term
    and this school year, absences for appointments authorised, a day or two of illness."""
    if "sessions" in pep.facts:
        return pep.facts["sessions"]
    started = _started_at_setting(pep)
    term_began = _term_began(pep.meeting_date)
    possible_term = max(1, _setting_days(max(term_began, started), pep.meeting_date))
    earlier = _setting_days(max(_school_year_start(pep.meeting_date), started), term_began)
    rng = _v3_rng(pep, "attendance")
    appointments = sum(row["sessions_missed"] for row in _young_unaccompanied_appointments(pep))
    ill = rng.randint(0, 2) if pep.pep_number else 0
    authorised = min(possible_term, appointments + ill)
    before = min(earlier, rng.randint(1, 3)) if earlier else 0
    sessions = {
        "sessions_possible_term": possible_term,
        "sessions_attended_term": possible_term - authorised,
        "authorised_absences_term": authorised,
        "unauthorised_absences_term": 0,
        "sessions_possible_year": possible_term + earlier,
        "sessions_attended_year": possible_term - authorised + earlier - before,
        "authorised_absences_year": authorised + before,
        "unauthorised_absences_year": 0,
    }
    pep.facts["sessions"] = sessions
    return sessions


def _young_unaccompanied_setting(pep: _Pep) -> dict[str, Any]:
    facts = _young_unaccompanied_setting_facts(pep)
    sessions = _young_unaccompanied_sessions(pep)
    missed = sessions["authorised_absences_term"]
    appointments = sum(row["sessions_missed"] for row in _young_unaccompanied_appointments(pep))
    reasons = []
    if appointments:
        reasons.append(f"{appointments} for the appointments listed in About me and my care")
    if missed > appointments:
        reasons.append(f"{missed - appointments} when {{he}} was ill")
    possible = sessions["sessions_possible_term"]
    support = (
        f"{{n}} comes five mornings a week and has missed {missed} of {possible} sessions "
        "this term, all authorised: " + " and ".join(reasons)
        if reasons
        else f"{{n}} comes five mornings a week and has not missed any of {possible} sessions "
        "this term"
    )
    support += (
        ". {carer} brings {him} every day; the social worker asks for appointments in the "
        "afternoon, when {n} is not at nursery, and tells the setting a week ahead when a "
        "morning cannot be avoided."
    )
    answers: dict[str, Any] = {
        "in_setting": True,
        **facts,
        "key_person": _key_person(pep),
        **sessions,
        "attendance_support": _young_say(pep, support),
    }
    if facts["setting_type"] == "nursery_class":
        answers.update(_suspension_answers(pep))
        answers.pop("permanently_excluded", None)
    return answers


def _young_unaccompanied_about_me(pep: _Pep, written: Mapping[str, Any]) -> dict[str, Any]:
    arrived = _arrived(pep)
    when = f"{arrived:%B %Y}"
    placement_start = pep.story.placement_started_on or arrived
    if pep.pep_number == 0:
        changes = (
            "{n} arrived in the UK in " + when + " with {his} brother {brother}, who is 16. "
            "They travelled from {homeland} without an adult; their mother was separated from "
            "them on the journey and has not been found. {n} was placed with {carer} the same "
            "week and has not moved since; {brother} lives with other foster carers two miles "
            "away, and the two see each other three times a week. The British Red Cross is "
            "tracing their mother. {n} did not go to any nursery before {he} left {homeland}."
        )
    elif pep.pep_number == 1:
        changes = (
            "No change of placement: {n} is settled with {carer}. {His} asylum claim was "
            "registered at the Home Office this term, with {his} social worker and a "
            "{language} interpreter; {his} solicitor is preparing the evidence. {brother} "
            "still visits three times a week. The British Red Cross has no news of their "
            "mother yet."
        )
    else:
        changes = (
            "No change of placement: {n} has lived with {carer} since " + when + ". {His} "
            "solicitor has sent the Home Office {his} statement and the social worker's "
            "report; the Home Office does not usually interview a child so young, and a "
            "decision is awaited. {brother} visits three times a week and comes to "
            "nursery events. Family tracing continues."
        )
    return {
        "placement_type": "foster_agency",
        "placement_start_date": min(placement_start, pep.valid_on).isoformat(),
        "placements_last_12_months": 1,
        "parental_responsibility": _young_say(
            pep,
            "{n}'s mother holds parental responsibility, but she has not been found since "
            "they were separated, and no one in the UK holds it. {n} is accommodated under "
            "section 20; the local authority acts as {his} corporate parent and consents "
            "where the law allows, and legal advice has been taken on applying for a care "
            "order so that someone here holds parental responsibility.",
        ),
        "delegated_authority": _young_say(
            pep,
            "{carer} may agree to nursery outings, photographs for {his} learning journal "
            "and routine medical care, and may share information with the health visitor. "
            "Photographs of {n} must not be shared beyond the setting or put online while "
            "{his} asylum claim is decided and family tracing continues. The social worker "
            "agrees anything else, and arranges {his} asylum appointments.",
        ),
        "leisure_interests": _young_say(
            pep,
            "{n} loves the swings at the park, splashing at the pool's toddler session and "
            "the Saturday rhyme time at the library, which has picture books in {language}. "
            "{He} cook{s} with {brother} and {carer} on Saturdays.",
        ),
        "care_changes": _young_say(pep, changes),
        "unaccompanied_asylum_seeking": True,
        "languages": [
            _language_row(_language(pep), first=True, interpreter=True),
            _language_row("English", first=False, interpreter=False),
        ],
        "asylum_appointments": _young_unaccompanied_appointments(pep),
    }


def _young_unaccompanied_key_people(pep: _Pep, written: Mapping[str, Any]) -> dict[str, Any]:
    extra = [
        {
            "role": "other",
            "role_other": f"Bilingual assistant ({_language(pep)}), EMA service",
            "name": "Shno Rahim",
            "phone": _phone("Shno Rahim"),
            "email": _council_email("Shno Rahim"),
        },
        {
            "role": "other",
            "role_other": "Immigration solicitor",
            "name": "Farida Osman, Demo Law Centre",
            "phone": _phone("Farida Osman"),
        },
    ]
    return {"people": [*written.get("people", []), *extra]}


def _young_unaccompanied_development(pep: _Pep, written: Mapping[str, Any]) -> dict[str, Any]:
    settled = pep.pep_number > 0
    levels = {
        "communication_language": "below" if settled else "well_below",
        "personal_social_emotional": "typical" if settled else "below",
        "physical_development": "typical",
        "literacy": "below",
        "mathematics": "typical" if settled else "below",
        "understanding_world": "typical",
        "expressive_arts_design": "typical",
    }
    progress = {
        "communication_language_progress": "more_than_expected" if settled else "expected",
        "personal_social_emotional_progress": "more_than_expected" if settled else "expected",
        "physical_development_progress": "expected",
    }
    stage, in_words = _eal_stage(pep)
    summary = (
        "English: " + stage + ". " + in_words + " The EMA service's bilingual assistant "
        "assessed {n} in {language}: {his} {language} is typical for {his} age, so the gap is "
        "in English, not in {his} language development, and is not a special educational "
        "need. Assessed in English, communication and language and literacy are below the "
        "typical range for now."
    )
    return {**levels, **progress, "development_summary": _young_say(pep, summary)}


def _young_unaccompanied_two_year_check(pep: _Pep, written: Mapping[str, Any]) -> dict[str, Any]:
    arrived = _arrived(pep)
    if _age_in_months(pep.story.date_of_birth, arrived) < 30:
        return {}  # here in time for it: checked as for any child
    age = _age_in_months(pep.story.date_of_birth, arrived)
    return {
        "check_done": False,
        "check_not_done_reason": _young_say(
            pep,
            f"{{n}} arrived in the UK aged {age // 12} years {age % 12} months, after the "
            "age for the progress check at two. {His} initial health assessment, with a "
            "{language} interpreter, looked at {his} development instead, and the health "
            "visitor reviews it with {his} key person each term.",
        ),
    }


def _young_unaccompanied_starting_school(pep: _Pep, written: Mapping[str, Any]) -> dict[str, Any]:
    if not written.get("starting_school_next_september"):
        return {}
    return {
        "handover_arrangements": _young_say(
            pep,
            "The key person will meet the Reception teacher in June to share {n}'s learning "
            "journal, {his} EAL assessments and the {language} words that comfort {him}. The "
            "EMA service's bilingual assistant will spend {his} first morning at school with "
            "{him}.",
        )
    }


def _young_unaccompanied_observations(pep: _Pep, written: Mapping[str, Any]) -> dict[str, Any]:
    stage, in_words = _eal_stage(pep)
    return {
        "observations": _young_say(
            pep,
            "{n} heads for the water tray and the home corner each morning. "
            + in_words
            + " {He} watch{es} the other children closely and copies their play, and "
            "brings {his} key person the picture cards when {he} need{s} something.",
        ),
        "how_child_learns_best": _young_say(
            pep,
            "Through play alongside one familiar adult, with pictures, gestures and songs "
            "repeated every day, and a few key words in {language} that the staff have "
            "learned from the bilingual assistant.",
        ),
        "next_steps": _young_say(
            pep,
            "Keep {his} {language} strong at home and in the setting (dual-language books, "
            "the bilingual assistant's visits) while modelling English words in play; "
            "review {his} EAL stage ("
            + stage.split(",")[0]
            + " now) with the EMA service next term.",
        ),
    }


def _young_unaccompanied_carers_views(pep: _Pep, written: Mapping[str, Any]) -> dict[str, Any]:
    if pep.pep_number == 0:
        going_well = (
            "{n} is eating well, sleeping better each night and has started to laugh and "
            "play with us. {He} went into nursery happily on {his} third morning."
        )
        concerns = (
            "{He} wakes at night asking for {his} mum, and we cannot always understand what "
            "{he} needs: {brother} translates when he visits, and we use picture cards."
        )
    else:
        going_well = (
            "{n} runs in to nursery now and talks about {his} key person at home. {He} "
            "sleep{s} through most nights, and {his} English is coming on quickly."
        )
        concerns = (
            "{He} still wakes some nights asking for {his} mum, and loud bangs frighten "
            "{him}. Appointments are hard on {him}: {he} is clingy for a day or two after."
        )
    return {
        "going_well": _young_say(pep, going_well),
        "concerns": _young_say(pep, concerns),
        "support_at_home": _young_say(
            pep,
            "We read the dual-language books from nursery every evening, learn {language} "
            "words from {brother} and an app, and keep the same routine every day. {brother} "
            "reads to {n} in {language} when he visits.",
        ),
    }


def _young_unaccompanied_health(pep: _Pep, written: Mapping[str, Any]) -> dict[str, Any]:
    limit = min(pep.meeting_date, pep.valid_on)
    latest: date | None = _initial_health_assessment(pep)
    while latest is not None and latest + timedelta(days=182) <= limit:
        latest += timedelta(days=182)  # a review health assessment every six months
    if latest is not None and latest > limit:
        latest = None  # the initial health assessment is still to come
    if pep.pep_number == 0:
        feeling = (
            "{n} has been with {carer} only a few weeks. {He} is quiet and watchful, "
            "follows {carer} from room to room, and asks for {his} mother at bedtime; "
            "{brother}'s visits calm {him}."
        )
        health = (
            "The initial health assessment, with a {language} interpreter, found {n} well "
            "but underweight after the journey. Catch-up immunisations have started and TB "
            "screening is booked. No health needs that affect {his} learning."
        )
    else:
        feeling = (
            "{n} has settled well with {carer} and is affectionate and playful. {He} asks "
            "for {his} mother, especially at bedtime, and is unsettled for a day or two after "
            "an appointment; {brother}'s visits are the high point of {his} week."
        )
        health = (
            "{His} catch-up immunisations are complete, TB screening was clear and {he} "
            "has gained weight. No health needs that affect {his} learning. A {language} "
            "interpreter is booked for every health appointment."
        )
    return {
        "emotional_wellbeing": _young_say(pep, feeling),
        "health_needs": _young_say(pep, health),
        "developmental_needs": _young_say(
            pep,
            "{n} has lived through a long and frightening journey and the loss of {his} "
            "mother's care. {He} is wary of new adults, stays close to {his} key person, and "
            "is frightened by sudden loud noises such as the fire alarm.",
        ),
        "attachment_trauma_affects_learning": True,
        "attachment_trauma_strategies": _young_say(
            pep,
            "The same key person greets {n} every morning with a {language} greeting; a photo "
            "timetable of the morning; a warning and a cuddle before the fire alarm is "
            "tested; staff trained in trauma-informed practice by the Virtual School.",
        ),
        "speech_language_concern": False,
        "professionals_involved": ["health_visitor", "other"],
        "professionals_involved_other": (
            "Looked-after children's nurse; EMA service bilingual assistant; British Red Cross "
            "family tracing"
        ),
        "health_assessment_date": latest.isoformat() if latest is not None else None,
    }


def _young_unaccompanied_needs(pep: _Pep, written: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "sen_status": "none",
        "inclusion_funding": False,
        "support_in_place": _young_say(
            pep,
            "No special educational needs: {n} is learning English as an additional "
            "language, which is not a special educational need. Support in place: a "
            "fortnightly visit from the EMA service's {language}-speaking bilingual "
            "assistant, picture cards and a visual timetable, and dual-language books in the "
            "book corner and at home.",
        ),
    }


def _young_unaccompanied_actions(pep: _Pep, written: Mapping[str, Any]) -> dict[str, Any]:
    people = pep.people()
    actions = list(written.get("actions", []))
    actions.append(
        {
            "action": _young_say(
                pep,
                "Book a {language} interpreter for {n}'s appointments this term and give the "
                "setting a week's notice of any that fall in the morning.",
            ),
            "owner": people.social_worker,
            "deadline": pep.after(14).isoformat(),
        }
    )
    actions.append(
        {
            "action": _young_say(
                pep, "Review {n}'s EAL stage with the EMA service's bilingual assistant."
            ),
            "owner": people.designated_teacher,
            "deadline": pep.after(60).isoformat(),
        }
    )
    return {"actions": actions}


# Sections written again for a young unaccompanied child, after the usual writers: the keys
# given here replace theirs.
_YOUNG_UNACCOMPANIED_SECTIONS: dict[str, _Addition] = {
    "about_me": _young_unaccompanied_about_me,
    "key_people": _young_unaccompanied_key_people,
    "eyfs_development": _young_unaccompanied_development,
    "two_year_check": _young_unaccompanied_two_year_check,
    "starting_school": _young_unaccompanied_starting_school,
    "key_person_observations": _young_unaccompanied_observations,
    "carers_views": _young_unaccompanied_carers_views,
    "health_wellbeing": _young_unaccompanied_health,
    "special_educational_needs": _young_unaccompanied_needs,
    "actions_agreed": _young_unaccompanied_actions,
}

_YOUNG_UNACCOMPANIED_VOICE = {
    "enjoys": (
        "The water tray, the swings and the songs at group time. {n} does the actions to "
        '"Wind the bobbin up" and laughs at the end.'
    ),
    "upsets": (
        "Loud bangs, and when {carer} leaves in the morning. Sometimes {he} cries for {his} mum."
    ),
    "shows_feelings": (
        "{n} goes very quiet and holds {his} key person's hand when worried, and chatters in "
        "{language} when happy."
    ),
    "important_people": "{His} big brother, {kaka}{brother}, {carer} and {his} key person.",
    "good_at": "Puzzles, climbing and helping to set the table for snack.",
    "helps_learning": (
        "Pictures of what comes next, an adult {he} know{s} close by, and hearing a few words "
        "in {language}."
    ),
    "extra_help": (
        "Picture books in {language} and English, and visits from the bilingual assistant."
    ),
    "own_words": '"{kaka}{brother} come Saturday!" and "My turn. Me do it."',
}


# Sections a later version asks in a new way: (a question only that version has, its writer).
_REWRITTEN_SECTIONS: dict[str, tuple[str, _Writer]] = {
    "attendance_exclusions": ("sessions_possible_term", _attendance_exclusions_v3),
    "attendance": ("attendance_recorded", _post_16_attendance_v3),
    "attainment_progress": ("key_stage", _attainment_v3),
    "setting": ("in_setting", _early_years_setting_v3),
    "course_provider": ("education_status", _course_provider_v3),
    "finance": ("bursaries", _finance_v3),
    "key_people": ("people", _key_people),
    "educational_history": ("schools_attended", _educational_history),
    "starting_school": ("starting_school_next_september", _starting_school),
}
_Addition = Callable[[_Pep, Mapping[str, Any]], dict[str, Any]]
# New questions beside a section's old ones: (a question only the later version has, writer).
_ADDED_QUESTIONS: dict[str, tuple[str, _Addition]] = {
    "about_me": ("unaccompanied_asylum_seeking", _about_me_additions),
    "education_setting": ("reduced_timetable_start", _education_setting_additions),
    "health_wellbeing": ("attachment_trauma_affects_learning", _health_additions),
    "pupil_premium_plus": ("difference_explained", _pupil_premium_additions),
    "early_years_pupil_premium": ("difference_explained", _pupil_premium_additions),
    "two_year_check": ("check_not_done_reason", _two_year_check_additions),
    "eyfs_development": ("communication_language_progress", _eyfs_development_additions),
    # Version 3 asks the same careers questions, but shows the details only with applications.
    "careers_next_steps": ("version 3", _careers_additions),
    "pathway_plan": ("pathway_plan_due", _pathway_plan_additions),
}


# --------------------------------------------------------------------------------------------
# Putting it together
# --------------------------------------------------------------------------------------------


def _fallback(
    definition: FieldDefinition, rng: random.Random, words: Mapping[str, str], story: ChildStory
) -> Any:
    """A plausible answer for a field no writer above knows (a key added in a later version)."""
    match definition:
        case ShortTextDefinition() if definition.pattern:
            return definition.example
        case ShortTextDefinition() | LongTextDefinition():
            text = "Discussed at the meeting; nothing further to add this term."
            return text[: definition.max_length]
        case WholeNumberDefinition():
            low = definition.min_value or 0
            high = definition.max_value if definition.max_value is not None else low + 5
            return rng.randint(low, min(high, low + 5))
        case PercentageDefinition():
            return "95"
        case MoneyDefinition():
            return format_money(definition.min_value)
        case DateDefinition():
            return None
        case YesNoDefinition():
            return False
        case CheckboxesDefinition():
            return [definition.option_values[0]]
        case ChoiceDefinition():
            return rng.choice(definition.option_values)
    return None


_Writer = Callable[[_Pep], dict[str, Any]]
_SECTION_WRITERS: dict[str, _Writer] = {
    "meeting_details": _meeting_details,
    "about_me": _about_me,
    "education_setting": _education_setting,
    "special_educational_needs": _special_educational_needs,
    "support_needs": _special_educational_needs,
    "attendance_exclusions": _attendance_exclusions,
    "attendance": _post_16_attendance,
    "attainment_progress": _attainment_progress,
    "health_wellbeing": _health_wellbeing,
    "carers_views": _carers_views,
    "parents_views": _parents_views,
    "review_previous_targets": _review_previous_targets,
    "pupil_premium_plus": _pupil_premium,
    "early_years_pupil_premium": _pupil_premium,
    "transitions_aspirations": _transitions_aspirations,
    "actions_agreed": _actions_agreed,
    "setting": _early_years_setting,
    "eyfs_development": _eyfs_development,
    "two_year_check": _two_year_check,
    "key_person_observations": _key_person_observations,
    "course_provider": _course_provider,
    "careers_next_steps": _careers_next_steps,
    "finance": _finance,
    "work_experience": _work_experience,
    "pathway_plan": _pathway_plan,
}


def _condition(definition: FieldDefinition, name: str) -> Condition | None:
    """A field's ``shown_if`` or ``required_if``: read by the loader from version 3 on (and
    absent before), taken as parsed or parsed here from its YAML mapping."""
    raw = getattr(definition, name, None)
    if raw is None:
        return None
    if isinstance(raw, Mapping):
        return parse_condition(raw)
    return raw  # type: ignore[no-any-return]


def _keep_only_fields(
    section: SectionDefinition, written: Mapping[str, Any], pep: _Pep
) -> dict[str, Any]:
    """What the writer said, for the fields this section has and shows; a fallback only for a
    field required now that the writer left out.

    A field whose ``shown_if`` is false is dropped, as the portal drops it when the section is
    saved. Fields come in declaration order and conditions refer only to earlier fields, so
    the answers kept so far are all a condition needs (a hidden field's answer is never kept,
    so it counts as unanswered for the fields after it).
    """
    answers: dict[str, Any] = {}
    for definition in section.answer_fields:
        if definition.read_only:
            continue
        shown_if = _condition(definition, "shown_if")
        if shown_if is not None and not shown_if.holds(answers):
            continue
        required_now = is_required_now(
            required=definition.required,
            required_if=_condition(definition, "required_if"),
            shown=True,
            visible_values=answers,
        )
        if definition.key in written:
            value = written[definition.key]
        elif isinstance(definition, RepeatingGroupDefinition):
            value = None
        elif required_now:
            value = _fallback(definition, pep.rng, pep.words, pep.story)
        else:
            continue
        if value is None or value == "" or value == []:
            continue
        answers[definition.key] = value
    return answers


def _new_pep(
    definition: FormDefinition,
    story: ChildStory,
    *,
    band: VoiceBand,
    meeting_date: date,
    valid_on: date,
    pep_number: int,
    previous_answers: Mapping[str, Mapping[str, Any]] | None,
    prefilled: Mapping[str, Mapping[str, Any]] | None,
) -> _Pep:
    return _Pep(
        story=story,
        circumstances=circumstances_of(story),
        phase=definition.phase,
        band=band,
        stage=key_stage(story.year_group, definition.phase),
        meeting_date=meeting_date,
        valid_on=max(valid_on, meeting_date),
        rng=_rng(story.reference, definition.key, pep_number),
        previous=previous_answers or {},
        prefilled=prefilled or {},
        pep_number=pep_number,
        words=_pronouns(story.sex, story.first_name),
        form_version=definition.version,
    )


def _section_answers(section: SectionDefinition, pep: _Pep) -> dict[str, Any]:
    # Each section draws from its own generator, so one section's answers never depend on
    # which other sections were written first.
    pep.rng = _rng(pep.story.reference, pep.phase.value, pep.pep_number, section.key)
    if section.section_type is SectionType.CHILD_VOICE:
        band_section = section.voice_section(pep.band)
        return voice_answers(
            pep.band, realistic_voice_answers(band_section, pep.story, pep_number=pep.pep_number)
        )
    pep.section = section
    rewrite = _REWRITTEN_SECTIONS.get(section.key)
    if rewrite is not None and _asks(pep, rewrite[0]):
        # A section this version asks in a new way: its own writer, and nothing of the old one.
        written = rewrite[1](pep)
    elif section.key == "smart_targets":
        group = section.get_field("targets")
        assert isinstance(group, RepeatingGroupDefinition)
        written = _smart_targets(pep, group)
    elif section.key in _SECTION_WRITERS:
        written = _SECTION_WRITERS[section.key](pep)
    else:
        written = {}
    addition = _ADDED_QUESTIONS.get(section.key)
    if addition is not None and _asks(pep, addition[0]):
        # New questions beside old ones: written after the old writer, with what is left of
        # the section's generator, so the old questions' answers are the same as before.
        written = {**written, **addition[1](pep, written)}
    rewritten_for_young_unaccompanied = _YOUNG_UNACCOMPANIED_SECTIONS.get(section.key)
    if rewritten_for_young_unaccompanied is not None and _young_unaccompanied(pep):
        written = {**written, **rewritten_for_young_unaccompanied(pep, written)}
    return _keep_only_fields(section, written, pep)


def realistic_pep_answers(
    definition: FormDefinition,
    story: ChildStory,
    *,
    band: VoiceBand,
    meeting_date: date,
    valid_on: date | None = None,
    pep_number: int = 0,
    previous_answers: Mapping[str, Mapping[str, Any]] | None = None,
    prefilled: Mapping[str, Mapping[str, Any]] | None = None,
    sections: Sequence[str] | None = None,
) -> dict[str, dict[str, Any]]:
    """Answers to every section of a PEP but quality assurance (or only ``sections``).

    ``valid_on`` is the day the answers must be valid on (dates that may not be in the past or
    future are judged against it): the day the PEP is submitted. ``pep_number`` counts the
    child's earlier PEPs. ``previous_answers`` are the last PEP's answers by section (last
    term's attendance comes from them); ``prefilled`` the new PEP's starting answers by section
    (its previous targets, to be evaluated).
    """
    pep = _new_pep(
        definition,
        story,
        band=band,
        meeting_date=meeting_date,
        valid_on=valid_on or meeting_date,
        pep_number=pep_number,
        previous_answers=previous_answers,
        prefilled=prefilled,
    )
    # Targets first: the Pupil Premium Plus request is worked out from them.
    ordered = sorted(definition.sections, key=lambda section: section.key != "smart_targets")
    answers: dict[str, dict[str, Any]] = {}
    for section in ordered:
        if section.section_type is SectionType.QUALITY_ASSURANCE:
            continue
        if sections is not None and section.key not in sections:
            continue
        answers[section.key] = _section_answers(section, pep)
    return {
        section.key: answers[section.key]
        for section in definition.sections
        if section.key in answers
    }


def realistic_section_answers(
    definition: FormDefinition,
    section_key: str,
    story: ChildStory,
    *,
    band: VoiceBand,
    meeting_date: date,
    valid_on: date | None = None,
    pep_number: int = 0,
    previous_answers: Mapping[str, Mapping[str, Any]] | None = None,
    prefilled: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """One section's answers, the same as :func:`realistic_pep_answers` gives for it."""
    return realistic_pep_answers(
        definition,
        story,
        band=band,
        meeting_date=meeting_date,
        valid_on=valid_on,
        pep_number=pep_number,
        previous_answers=previous_answers,
        prefilled=prefilled,
    )[section_key]
