"""Field definitions shared by the tests of conditions, checks and calculations."""

from decimal import Decimal

from forms.schema import (
    CheckboxesDefinition,
    DateDefinition,
    FactDefinition,
    FieldDefinition,
    LongTextDefinition,
    MoneyDefinition,
    Option,
    PercentageDefinition,
    RadiosDefinition,
    RepeatingGroupDefinition,
    SelectDefinition,
    ShortTextDefinition,
    WholeNumberDefinition,
    YesNoDefinition,
)

SEN_STATUS = SelectDefinition(
    key="sen_status",
    label="Special educational needs status",
    options=(
        Option("none", "No special educational needs"),
        Option("sen_support", "SEN support"),
        Option("ehcp", "EHCP"),
    ),
)
REDUCED_TIMETABLE = YesNoDefinition(
    key="on_reduced_timetable", label="Is the child on a reduced timetable?"
)
SUSPENSIONS = WholeNumberDefinition(key="suspensions", label="Suspensions this school year")
BARRIERS = CheckboxesDefinition(
    key="barriers",
    label="Barriers to learning",
    options=(
        Option("attendance", "Attendance"),
        Option("behaviour", "Behaviour"),
        Option("health", "Health"),
    ),
)
PLACEMENT = RadiosDefinition(
    key="placement",
    label="Type of placement",
    options=(Option("foster", "Foster care"), Option("residential", "Residential home")),
)
SCHOOL_NAME = ShortTextDefinition(key="school_name_typed", label="School name")
NOTES = LongTextDefinition(key="notes", label="Notes")
ATTENDANCE = PercentageDefinition(key="attendance", label="Attendance this term (%)")
FUNDING = MoneyDefinition(key="funding", label="Funding agreed", min_value=Decimal("0.00"))
START_DATE = DateDefinition(key="start_date", label="Start date")
REVIEW_DATE = DateDefinition(key="review_date", label="Review date")
CHILD_NAME = FactDefinition(key="child_name", label="Name")

SESSIONS_POSSIBLE = WholeNumberDefinition(
    key="sessions_possible_term", label="Sessions possible this term"
)
SESSIONS_ATTENDED = WholeNumberDefinition(
    key="sessions_attended_term", label="Sessions attended this term"
)
AUTHORISED = WholeNumberDefinition(
    key="authorised_absences_term", label="Authorised absences this term"
)
UNAUTHORISED = WholeNumberDefinition(
    key="unauthorised_absences_term", label="Unauthorised absences this term"
)
SUSPENSION_ROWS = RepeatingGroupDefinition(
    key="suspension_list",
    label="Suspensions",
    columns=(
        DateDefinition(key="suspension_start", label="Start"),
        WholeNumberDefinition(key="length_sessions", label="Length (sessions)"),
        ShortTextDefinition(key="reason", label="Reason"),
    ),
)


def by_key(*definitions: FieldDefinition) -> dict[str, FieldDefinition]:
    return {definition.key: definition for definition in definitions}


ALL_FIELDS = by_key(
    SEN_STATUS,
    REDUCED_TIMETABLE,
    SUSPENSIONS,
    BARRIERS,
    PLACEMENT,
    SCHOOL_NAME,
    NOTES,
    ATTENDANCE,
    FUNDING,
    START_DATE,
    REVIEW_DATE,
    CHILD_NAME,
    SESSIONS_POSSIBLE,
    SESSIONS_ATTENDED,
    AUTHORISED,
    UNAUTHORISED,
    SUSPENSION_ROWS,
)
