"""Pages as a screen reader, a keyboard and a narrow screen meet them (WCAG 2.2 AA), read with
an HTML parser: every section of every PEP form, each version, rendered for the person who fills
it in and for someone who only reads it; the child's and carer's pages behind a link; the
children list and the links page; error summaries; the accessibility statement.

The browser tests measure the same pages at 320 px; these read the markup that makes them fit.
"""

import re
from collections import Counter
from collections.abc import Callable, Iterable

import lxml.html
import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update
from werkzeug.datastructures import MultiDict

from forms import load_definitions
from forms.schema import (
    FactDefinition,
    FieldDefinition,
    FieldType,
    RepeatingGroupDefinition,
    SectionType,
)
from portal.extensions import db
from portal.models import Child, Pep, RoleGrant, User
from tests.conftest import DEMO_EMAILS
from tests.integration.pep_helpers import (
    form_fields,
    invite_token,
    open_pep_id,
    replace_field,
    section_url,
)
from workflows.roles import Role

OPTIONAL = "(optional)"
# An open PEP on each form, and the demo people around it.
DRAFT_ON_FORM = {"school_age": "DCC-1106", "early_years": "DCC-1001", "post_16": "DCC-1401"}
HARRY = "DCC-1106"  # Oakfield, Year 5: the demo designated teacher's draft
REGISTRY = load_definitions()
PEP_FORMS = [
    (form_key, version)
    for form_key in sorted(DRAFT_ON_FORM)
    for version in REGISTRY.versions(form_key)
]
# Who completes each kind of section, as a grant for a person made for the test.
OWNER_GRANTS = {
    Role.DESIGNATED_TEACHER: "school",
    Role.SOCIAL_WORKER: "child",
    Role.CARER: "child",
}


# --- Reading a page --------------------------------------------------------------------------


def parse(html: str) -> lxml.html.HtmlElement:
    return lxml.html.document_fromstring(html)


def text_of(element: lxml.html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


def by_id(document: lxml.html.HtmlElement, element_id: str) -> lxml.html.HtmlElement | None:
    found = document.xpath("//*[@id=$id]", id=element_id)
    return found[0] if found else None


def form_controls(document: lxml.html.HtmlElement) -> list[lxml.html.HtmlElement]:
    """Everything a person types into or chooses with, but buttons."""
    return [
        control
        for control in document.xpath("//input | //select | //textarea")
        if control.get("type") not in ("hidden", "submit", "button")
    ]


def accessible_name(document: lxml.html.HtmlElement, control: lxml.html.HtmlElement) -> str:
    """The control's own name: aria-label, aria-labelledby or its labels (visually hidden
    words count: a screen reader reads them)."""
    if control.get("aria-label"):
        return control.get("aria-label").strip()
    if control.get("aria-labelledby"):
        parts = [by_id(document, name) for name in control.get("aria-labelledby").split()]
        return " ".join(text_of(part) for part in parts if part is not None)
    labels = document.xpath("//label[@for=$id]", id=control.get("id")) if control.get("id") else []
    labels += list(control.iterancestors("label"))
    return " ".join(text_of(label) for label in labels).strip()


def group_name(control: lxml.html.HtmlElement) -> str:
    """The legend of the innermost fieldset around a control, which a screen reader announces
    with it ("Date of the PEP meeting, group: Day")."""
    for fieldset in control.iterancestors("fieldset"):
        legends = fieldset.xpath("./legend")
        return text_of(legends[0]) if legends else ""
    return ""


def is_focusable(element: lxml.html.HtmlElement) -> bool:
    if element.tag in ("input", "select", "textarea", "button"):
        return element.get("type") != "hidden" and element.get("disabled") is None
    if element.tag == "a" and element.get("href"):
        return True
    return element.get("tabindex") is not None


def page_problems(html: str) -> list[str]:
    """What would trip up someone using a screen reader, a keyboard or a narrow screen."""
    document = parse(html)
    problems = []

    ids = Counter(element.get("id") for element in document.xpath("//*[@id]"))
    repeated = sorted(element_id for element_id, count in ids.items() if count > 1)
    if repeated:
        problems.append(f"ids used more than once: {repeated}")

    names = []
    for control in form_controls(document):
        name = accessible_name(document, control)
        if not name:
            problems.append(f"a control with no name: {lxml.html.tostring(control)[:120]!r}")
            continue
        names.append((group_name(control), name))
    same = sorted({name for name, count in Counter(names).items() if count > 1})
    if same:
        problems.append(f"controls that share a name: {same}")

    for label in document.xpath("//label[@for]"):
        target = by_id(document, label.get("for"))
        if target is None or target.tag not in ("input", "select", "textarea"):
            problems.append(f"a label for nothing: {label.get('for')!r} ({text_of(label)})")

    for link in document.xpath("//*[contains(@class, 'govuk-error-summary')]//a"):
        href = link.get("href", "")
        target = by_id(document, href[1:]) if href.startswith("#") else None
        if target is None or not is_focusable(target):
            problems.append(f"an error summary link to nothing that takes focus: {href!r}")

    problems.extend(table_problems(document))
    return problems


def table_problems(document: lxml.html.HtmlElement) -> list[str]:
    """WCAG 1.4.10: a table either stacks into one block per row at narrow widths, each cell
    showing its column's name, or scrolls inside its own named, focusable region."""
    problems = []
    for table in document.xpath("//table"):
        caption = text_of(table.xpath("./caption")[0]) if table.xpath("./caption") else "?"
        regions = [
            ancestor
            for ancestor in table.iterancestors()
            if ancestor.get("role") == "region"
            and ancestor.get("tabindex") == "0"
            and ancestor.get("aria-label")
        ]
        if regions:
            continue
        if "openpep-table--stacked" not in (table.get("class") or ""):
            problems.append(f"a table that neither stacks nor scrolls in a region: {caption}")
            continue
        # A column whose name is only for screen readers (buttons that name themselves) needs
        # no name shown on screen either.
        headers = [
            ""
            if header.xpath("./*[contains(@class, 'govuk-visually-hidden')]")
            else text_of(header)
            for header in table.xpath("./thead/tr/th")
        ]
        for row in table.xpath("./tbody/tr"):
            for position, cell in enumerate(row.xpath("./td | ./th")):
                if cell.tag == "th" and cell.get("scope") == "row":
                    continue  # the row's own header: it names itself
                if len(cell) == 0 and not text_of(cell):
                    continue  # a question not asked in this row (shown_if): nothing to name
                shown = cell.xpath("./*[contains(@class, 'openpep-table__label')]")
                header = headers[position] if position < len(headers) else ""
                if header and (not shown or text_of(shown[0]) != header):
                    problems.append(f"a cell of {caption} without its column name {header!r}")
    return problems


def assert_accessible(html: str, where: str) -> None:
    problems = page_problems(html)
    assert problems == [], f"{where}: {problems}"


# --- "(optional)" ------------------------------------------------------------------------------


def question_words(document: lxml.html.HtmlElement, field_id: str, kind: FieldType) -> str:
    """The label or legend of the question whose field has this id, as a screen reader says it."""
    first_box = f"{field_id}-day" if kind is FieldType.DATE else field_id
    control = by_id(document, first_box)
    assert control is not None, f"no control with id {first_box!r}"
    if kind is FieldType.DATE or control.get("type") in ("radio", "checkbox"):
        return group_name(control)
    return accessible_name(document, control)


def is_question(definition: FieldDefinition) -> bool:
    # Facts from the child's record and calculated figures (an absence rate) are shown, not
    # asked: neither is answered, so neither is optional nor required.
    return (
        not isinstance(definition, FactDefinition)
        and definition.stores_answer
        and not definition.read_only
    )


def may_be_left_blank(definition: FieldDefinition) -> bool:
    """Whether a question is optional. One required under a condition (required_if) is not:
    whenever it applies it must be answered, and it is shown only when it applies. One merely
    shown under a condition (shown_if), and not required, is optional when it is shown."""
    return not (definition.required or definition.required_if)


def optional_mark_problems(
    document: lxml.html.HtmlElement, fields: Iterable[FieldDefinition]
) -> list[str]:
    """Every question says "(optional)" exactly when it may be left blank; every control in a
    table row carries its row ("Target 2: ...")."""
    problems = []

    def check(words: str, definition: FieldDefinition, optional: bool) -> None:
        if words.endswith(OPTIONAL) != optional:
            expected = "with" if optional else "without"
            problems.append(f"{definition.key}: {words!r} should be {expected} {OPTIONAL}")

    for definition in fields:
        if isinstance(definition, RepeatingGroupDefinition):
            wrapper = by_id(document, definition.key)
            assert wrapper is not None, f"no table {definition.key!r}"
            legend = text_of(wrapper.xpath("./fieldset/legend")[0])
            optional = may_be_left_blank(definition) and not (
                definition.fixed_rows or definition.min_rows
            )
            check(legend, definition, optional)
            rows = document.xpath(
                "//input[@type='hidden'][starts-with(@name, $prefix)]", prefix=definition.key + "-"
            )
            row_places = sorted(
                int(match.group(1))
                for row in rows
                if (match := re.fullmatch(rf"{definition.key}-(\d+)-row_id", row.get("name")))
            )
            # A fixed table has only the rows it was given (none, before a first PEP is signed
            # off); any other starts with a row to type into.
            assert row_places or definition.fixed_rows, f"no rows in {definition.key!r}"
            for number, place in enumerate(row_places, start=1):
                for column in filter(is_question, definition.columns):
                    column_id = f"{definition.key}-{place}-{column.key}"
                    words = question_words(document, column_id, column.field_type)
                    check(words, column, may_be_left_blank(column))
                    if not words.startswith(f"{definition.row_label} {number}: "):
                        problems.append(f"{column_id}: {words!r} does not name its row")
        elif is_question(definition):
            words = question_words(document, definition.key, definition.field_type)
            check(words, definition, may_be_left_blank(definition))
    return problems


# --- People and PEPs -------------------------------------------------------------------------


def put_on_version(app, reference: str, version: int) -> str:
    """The open PEP of this child, moved onto one version of its form."""
    pep_id = open_pep_id(app, reference)
    with app.app_context():
        db.session.execute(update(Pep).where(Pep.id == pep_id).values(form_version=version))
        db.session.commit()
    return str(pep_id)


@pytest.fixture
def owner_of(seeded, sign_in) -> Callable[[str, Role], FlaskClient]:
    """A signed-in client for someone who completes this child's sections of one role."""
    made: dict[tuple[str, Role], FlaskClient] = {}

    def make(reference: str, role: Role) -> FlaskClient:
        if (reference, role) in made:
            return made[(reference, role)]
        if role not in OWNER_GRANTS:
            # The reviewer's own section; the child's, which staff only read.
            email = DEMO_EMAILS["reviewer"]
        else:
            email = f"{role.value.replace('_', '.')}.{reference.lower()}@demo.openpep.test"
            with seeded.app_context():
                child = db.session.scalar(
                    select(Child).where(Child.authority_reference == reference)
                )
                person = User(email=email, display_name=f"Test {role.label}")
                db.session.add(person)
                db.session.flush()
                where = OWNER_GRANTS[role]
                grant = RoleGrant(user_id=person.id, role=role.value)
                if where == "school":
                    grant.school_id = child.current_school_id
                else:
                    grant.child_id = child.id
                db.session.add(grant)
                db.session.commit()
        client = seeded.test_client()
        response = sign_in(client, email)
        assert response.status_code == 302, response.get_data(as_text=True)
        made[(reference, role)] = client
        return client

    return make


def page(client: FlaskClient, url: str) -> str:
    # The quality assurance section lives on the reviewer's own page: follow it there.
    response = client.get(url, follow_redirects=True)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


# --- Section pages -----------------------------------------------------------------------------


@pytest.mark.parametrize(("form_key", "version"), PEP_FORMS)
def test_every_section_as_its_owner_and_as_a_reader(form_key, version, seeded, owner_of):
    reference = DRAFT_ON_FORM[form_key]
    pep_id = put_on_version(seeded, reference, version)
    definition = REGISTRY.get(form_key, version)
    reader = owner_of(reference, Role.REVIEWER)
    if version >= 3:
        # The rule for "(optional)" is met by the questions shown only under a condition: the
        # form has ones that are then optional, and ones that are then required.
        conditional = [
            question
            for section in definition.sections
            if section.section_type is SectionType.STANDARD
            for question in section.fields
            if question.shown_if is not None and is_question(question)
        ]
        assert any(may_be_left_blank(question) for question in conditional)
        assert any(question.required_if is not None for question in conditional)
    for section in definition.sections:
        url = section_url(pep_id, section.key)
        html = page(owner_of(reference, section.owner), url)
        assert_accessible(html, f"{form_key} v{version} {section.key} as {section.owner.value}")
        if section.section_type is SectionType.STANDARD:
            assert 'id="section-form"' in html, section.key
            problems = optional_mark_problems(parse(html), section.fields)
            assert problems == [], f"{form_key} v{version} {section.key}: {problems}"
        if section.owner is not Role.REVIEWER:
            # The same section read by someone who cannot change it: answers, tables stacked.
            assert_accessible(page(reader, url), f"{form_key} v{version} {section.key} read")


@pytest.mark.parametrize(("form_key", "version"), PEP_FORMS)
def test_the_child_and_carer_pages_behind_a_link(form_key, version, seeded):
    reference = DRAFT_ON_FORM[form_key]
    pep_id = put_on_version(seeded, reference, version)
    definition = REGISTRY.get(form_key, version)
    holder = seeded.test_client()
    for section in definition.sections:
        if section.key not in ("my_views", "carers_views"):
            continue
        html = page(holder, f"/i/{invite_token(seeded, pep_id, section.key)}")
        assert_accessible(html, f"{form_key} v{version} {section.key} through a link")
        if section.section_type is SectionType.CHILD_VOICE:
            # The child answers their age band's questions: check whichever band is shown.
            document = parse(html)
            voice = section.voice_definition
            shown = [
                band_section
                for band_section in voice.sections
                if by_id(document, band_section.fields[0].key) is not None
                or by_id(document, f"{band_section.fields[0].key}-day") is not None
            ]
            assert shown, f"no child's-voice questions on {section.key}"
            assert optional_mark_problems(document, shown[0].fields) == []
        else:
            assert optional_mark_problems(parse(html), section.fields) == []


def test_a_date_and_a_row_with_problems_link_to_the_box_to_fix(client_for, seeded):
    client = client_for("dt_oakfield")
    pep_id = open_pep_id(seeded, HARRY)

    # The month left out: the summary and the red border go to the month box alone.
    url = section_url(pep_id, "meeting_details")
    data = replace_field(form_fields(page(client, url)), "meeting_date", "31", "", "2026")
    response = client.post(url, data=MultiDict(data))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert_accessible(html, "meeting details with a bad date")
    document = parse(html)
    summary_links = document.xpath("//*[contains(@class, 'govuk-error-summary')]//a/@href")
    assert summary_links == ["#meeting_date-month"]
    marked = document.xpath("//input[contains(@class, 'govuk-input--error')]/@id")
    assert marked == ["meeting_date-month"]
    wrapper = by_id(document, "meeting_date")
    assert "govuk-date-input" in wrapper.get("class")
    assert [text_of(label) for label in wrapper.xpath(".//label")] == ["Day", "Month", "Year"]
    fieldset = wrapper.xpath("ancestor::fieldset")[0]
    assert "meeting_date-error" in fieldset.get("aria-describedby")

    # Not a real date, in the second row of a table: the day box of that row, every box marked.
    url = section_url(pep_id, "smart_targets")
    fields = form_fields(page(client, url))
    data = replace_field(fields, "targets-1-by_when", "31", "2", "2027")
    response = client.post(url, data=MultiDict(data))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert_accessible(html, "targets with a bad date")
    document = parse(html)
    links = document.xpath("//*[contains(@class, 'govuk-error-summary')]//a")
    assert [(link.get("href"), text_of(link)) for link in links] == [
        ("#targets-1-by_when-day", "Target 2: Enter a real date, like 27 3 2026")
    ]
    assert document.xpath("//input[contains(@class, 'govuk-input--error')]/@id") == [
        "targets-1-by_when-day",
        "targets-1-by_when-month",
        "targets-1-by_when-year",
    ]
    assert group_name(by_id(document, "targets-1-by_when-day")).startswith("Target 2: By when")


def test_rows_keep_their_identity_and_remove_buttons(client_for, seeded):
    client = client_for("dt_oakfield")
    pep_id = open_pep_id(seeded, HARRY)
    document = parse(page(client, section_url(pep_id, "meeting_details")))
    rows = document.xpath("//*[@id='attendees']//div[contains(@class, 'openpep-row')]")
    assert len(rows) >= 2
    for place, row in enumerate(rows):
        row_id = row.xpath(".//input[@type='hidden']")[0]
        assert row_id.get("name") == f"attendees-{place}-row_id"
        button = row.xpath(".//button")[0]
        assert button.get("value") == f"remove_row:attendees:{row_id.get('value')}"
        assert text_of(button) == f"Remove person {place + 1}"


def test_the_character_count_shows_only_near_the_limit(client_for, seeded):
    client = client_for("dt_oakfield")
    pep_id = open_pep_id(seeded, HARRY)
    document = parse(page(client, section_url(pep_id, "smart_targets")))
    counts = document.xpath("//*[@data-module='govuk-character-count']")
    assert counts
    assert {count.get("data-threshold") for count in counts} == {"75"}


# --- Other pages --------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["dt_oakfield", "social_worker", "carer", "admin"])
def test_the_children_list_and_a_child_stack_on_a_narrow_screen(who, client_for):
    client = client_for(who)
    html = page(client, "/children")
    assert_accessible(html, f"children list as {who}")
    document = parse(html)
    table = document.xpath("//table")[0]
    assert "openpep-table--stacked-narrow" in table.get("class")
    first_child = table.xpath(".//tbody//a/@href")[0]
    assert_accessible(page(client, first_child), f"a child as {who}")


def test_the_links_page_as_staff(client_for, seeded):
    client = client_for("dt_oakfield")
    pep_id = open_pep_id(seeded, HARRY)
    invite_token(seeded, str(pep_id), "my_views")
    html = page(client, f"/peps/{pep_id}/contributions")
    assert_accessible(html, "links page")
    assert parse(html).xpath("//table")  # the link just made is listed


def test_navigation_marks_the_current_page(client_for):
    document = parse(page(client_for("dt_oakfield"), "/children"))
    current = document.xpath("//*[@aria-current]")
    assert [(text_of(link), link.get("aria-current")) for link in current] == [("Children", "page")]


def test_the_accessibility_statement_has_what_the_regulations_ask(client):
    html = page(client, "/accessibility")
    assert_accessible(html, "accessibility statement")
    words = " ".join(parse(html).text_content().split())
    # Focus after adding or removing a row is fixed (tests/e2e/test_rows_and_focus.py): the
    # statement must not list it as a problem any more.
    assert "2.4.3" not in words
    for part in (
        # Compliance status, truthfully, with what is not accessible, why and the alternative.
        "partially compliant with the Web Content Accessibility Guidelines version 2.2 AA",
        "Non-accessible content",
        "have not yet been tested with screen readers",
        "can also be read as web pages in this service",
        "2.2.1 (Timing Adjustable)",
        # When it was prepared, and how the service was tested.
        "This statement was prepared on 28 November 2026",
        "last tested on 28 November 2026",
        "axe-core",
        "Nu Html Checker",
        "only a keyboard",
        "320 CSS pixels",
        "Chromium",
        # How to ask for another format and to report a problem, to the authority.
        "in a different format",
        "Reporting accessibility problems",
        "Testshire County Council",
        # The enforcement procedure.
        "Equality Advisory and Support Service (EASS)",
        "Public Sector Bodies (Websites and Mobile Applications) (No. 2) Accessibility "
        "Regulations 2018",
    ):
        assert part in words, part
    assert 'href="https://www.equalityadvisoryservice.com/"' in html


def test_the_accessibility_statement_gives_the_configured_contact(app, client):
    app.config["ACCESSIBILITY_CONTACT"] = "virtual.school@testshire.example"
    html = page(client, "/accessibility")
    assert html.count('href="mailto:virtual.school@testshire.example"') >= 2  # format, problems
    assert_accessible(html, "accessibility statement with a contact")


def test_errors_in_the_page_checks_are_caught():
    """The checks find what they look for, so a page passing them means something."""
    bad = """<html><body>
      <div id="x"></div><div id="x"></div>
      <input id="a" name="a">
      <label for="b">Name</label><input id="b" name="b"><label for="c">Name</label>
      <input id="c" name="c">
      <div class="govuk-error-summary"><a href="#x">Problem</a></div>
      <table><caption>Wide</caption><tr><td>1</td></tr></table>
    </body></html>"""
    problems = " | ".join(page_problems(bad))
    for found in ("more than once", "no name", "share a name", "takes focus", "neither stacks"):
        assert found in problems, found
