"""The whole life of one PEP, each party in its own browser: started by the social worker,
the child's and carer's views through links, completed and submitted by the designated
teacher, returned, resubmitted, approved, quality-assured, signed off and locked."""

import re

from playwright.sync_api import Browser, Page, expect

from portal.academic import england_today
from tests.e2e.conftest import sign_in_through_provider
from tests.e2e.page_checks import assert_accessible
from tests.e2e.test_invite_links import NARROW, assert_feelings_pictures_render, assert_reflows

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
CHILD_NAME = "Sophie Nowak"  # DCC-1105: Year 4 at Oakfield, on the social worker's caseload


# Counts a hurried teacher types: nothing at all (so sessions add up, 0 + 0 + 0 = 0), except
# where a count cannot be 0.
NUMBER_ANSWERS = {"placements_last_12_months": "1", "year_taken": str(england_today().year)}


def fill_every_empty_answer(page: Page) -> None:
    """Answer what is still blank, as a hurried but honest teacher would: "No" wherever a
    question asks yes or no, so only the questions that always apply are revealed; a second and
    third pass answer whatever an answer revealed."""
    form = page.locator("#section-form")
    today = england_today()
    for _pass in range(3):
        for fieldset in form.locator("fieldset:visible:has(.govuk-radios)").all():
            radios = fieldset.locator("input[type=radio]")
            if not radios.count() or any(radio.is_checked() for radio in radios.all()):
                continue
            no = fieldset.get_by_label("No", exact=True)
            (no if no.count() == 1 else radios.first).check()
        for select in form.locator("select:visible").all():
            if not select.input_value():
                select.select_option(index=1)
        for box in form.locator("input.govuk-input:visible").all():
            if box.input_value():
                continue
            name = box.get_attribute("name") or ""
            classes = box.get_attribute("class") or ""
            if "govuk-date-input__input" in classes:
                box_id = box.get_attribute("id") or ""
                part = (
                    today.year
                    if box_id.endswith("-year")
                    else today.month
                    if box_id.endswith("-month")
                    else today.day
                )
                box.fill(str(part))
            elif name.endswith("urn"):
                box.fill("123456")
            elif name.endswith("phone"):
                box.fill("01632 960 001")
            elif name.endswith("email"):
                box.fill("name@example.org")
            elif box.get_attribute("inputmode") in ("numeric", "decimal"):
                box.fill(NUMBER_ANSWERS.get(name.rsplit("-", 1)[-1], "0"))
            else:
                box.fill("Ms Example")
        for area in form.locator("textarea:visible").all():
            if not area.input_value():
                area.fill("Agreed at the meeting.")


def complete_my_sections(page: Page, pep_url: str, section_keys: list[str]) -> None:
    for key in section_keys:
        page.goto(f"{pep_url}/sections/{key}")
        expect(page.locator("#section-form")).to_be_visible()
        fill_every_empty_answer(page)
        assert_accessible(page)
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.get_by_text("Your answers have been saved.")).to_be_visible()
        assert_accessible(page)


def owned_sections(page: Page, pep_url: str) -> list[str]:
    """The sections the task list marks as this person's."""
    page.goto(pep_url)
    assert_accessible(page)
    links = page.locator(".govuk-task-list__item:has-text('(you)') a")
    return [
        href.rsplit("/", 1)[-1] for href in (link.get_attribute("href") for link in links.all())
    ]


def open_context(browser: Browser, base_url: str, email: str) -> Page:
    page = browser.new_context().new_page()
    sign_in_through_provider(page, base_url, email)
    return page


def test_the_whole_life_of_one_pep(live_server, browser: Browser):
    base = live_server.url
    social_worker = open_context(browser, base, "sw@demo.openpep.test")
    social_worker.get_by_role("link", name="Children", exact=True).click()
    expect(social_worker.get_by_role("heading", name="Children", level=1)).to_be_visible()
    assert_accessible(social_worker)
    social_worker.get_by_role("link", name=CHILD_NAME).click()
    expect(social_worker.get_by_role("heading", name=CHILD_NAME, level=1)).to_be_visible()
    assert_accessible(social_worker)
    social_worker.get_by_role("button", name="Start a PEP").click()
    expect(social_worker.get_by_role("heading", name="Start a PEP")).to_be_visible()
    assert_accessible(social_worker)
    social_worker.get_by_role("button", name="Start PEP").click()
    expect(social_worker.get_by_role("heading", level=1)).to_contain_text("Personal Education Plan")
    pep_url = social_worker.url.split("?")[0]
    assert_accessible(social_worker)

    teacher = open_context(browser, base, "dt.oakfield@demo.openpep.test")
    links = {}
    for who in ("child", "carer"):
        teacher.goto(pep_url + "/contributions")
        assert_accessible(teacher)
        teacher.get_by_role("button", name=f"Create a link for the {who}").click()
        expect(teacher.get_by_role("heading", name=f"Link created for the {who}")).to_be_visible()
        assert_accessible(teacher)
        links[who] = teacher.get_by_label("Link").input_value()

    child = browser.new_context(**PHONE).new_page()
    child.goto(links["child"])
    expect(child.get_by_role("heading", name="Your views", level=1)).to_be_visible()
    assert_feelings_pictures_render(child)
    assert_reflows(child, 390)
    assert_accessible(child)
    child.locator("input[name='feel_about_school'][value='happy']").check()
    child.get_by_label("What is going well?").fill("Maths and my new friend Amy")
    child.get_by_role("button", name="Send to my teacher").click()
    expect(
        child.get_by_role("heading", name="Thank you, your views have been sent")
    ).to_be_visible()
    assert_reflows(child, 390)
    assert_accessible(child)

    carer = browser.new_context(**PHONE).new_page()
    carer.goto(links["carer"])
    assert_reflows(carer, 390)
    assert_accessible(carer)
    fill_every_empty_answer_in(carer)
    carer.get_by_role("button", name="Send", exact=True).click()
    expect(carer.get_by_role("heading", name=re.compile("Thank you"))).to_be_visible()
    assert_reflows(carer, 390)
    assert_accessible(carer)

    complete_my_sections(social_worker, pep_url, owned_sections(social_worker, pep_url))
    complete_my_sections(teacher, pep_url, owned_sections(teacher, pep_url))

    teacher.goto(pep_url)
    assert_accessible(teacher)
    teacher.get_by_role("button", name="Submit PEP").click()
    expect(teacher.get_by_text("The PEP is now submitted")).to_be_visible()
    assert_accessible(teacher)

    social_worker.goto(pep_url)
    assert_accessible(social_worker)
    social_worker.get_by_label(re.compile("Why are you returning the PEP")).fill(
        "Add the speech and language referral to the SEN section"
    )
    social_worker.get_by_role("button", name=re.compile("Return")).click()
    expect(social_worker.get_by_text("The PEP is now returned for changes")).to_be_visible()
    assert_accessible(social_worker)

    teacher.goto(pep_url + "/sections/special_educational_needs")
    assert_accessible(teacher)
    teacher.locator("textarea").first.fill("Speech and language referral made on 3 November.")
    teacher.get_by_role("button", name="Save", exact=True).click()
    expect(teacher.get_by_text("Your answers have been saved.")).to_be_visible()
    assert_accessible(teacher)
    teacher.goto(pep_url)
    expect(teacher.locator(".openpep-timeline")).to_contain_text(
        "Add the speech and language referral"
    )
    teacher.get_by_role("button", name=re.compile("Resubmit")).click()
    expect(teacher.get_by_text("The PEP is now submitted")).to_be_visible()
    assert_accessible(teacher)

    social_worker.goto(pep_url)
    assert_accessible(social_worker)
    social_worker.get_by_role("button", name="Approve").click()
    expect(social_worker.get_by_text("The PEP is now approved by social worker")).to_be_visible()
    assert_accessible(social_worker)

    reviewer = open_context(browser, base, "reviewer@demo.openpep.test")
    reviewer.goto(pep_url + "/quality-assurance")
    expect(reviewer.get_by_role("heading", name="Quality assurance")).to_be_visible()
    assert_accessible(reviewer)
    for group in reviewer.locator(".govuk-radios--inline").all():
        group.get_by_label("Met", exact=True).check()
    reviewer.get_by_role("group", name=re.compile("Overall rating")).get_by_label("Green").check()
    reviewer.get_by_label("Feedback for the designated teacher").fill(
        "A clear plan in Sophie's words."
    )
    reviewer.get_by_role("button", name="Sign off").click()
    expect(reviewer.get_by_text("Download the signed-off record (Word)")).to_be_visible()
    assert_accessible(reviewer)

    # Locked: the teacher sees answers, not forms, and no actions.
    teacher.goto(pep_url + "/sections/attendance_exclusions")
    expect(teacher.locator("#section-form")).to_have_count(0)
    assert_accessible(teacher)
    expect(teacher.get_by_text("signed off, so its answers cannot be changed")).to_be_visible()
    teacher.goto(pep_url)
    expect(teacher.get_by_role("heading", name="What you can do")).to_have_count(0)
    history = teacher.locator(".openpep-timeline")
    for step in ("Started", "Submitted", "Returned by social worker", "Resubmitted", "Signed off"):
        expect(history).to_contain_text(step)
    assert_accessible(teacher)

    # The child's link, opened again on a narrow screen after sign-off, still only thanks them.
    narrow = browser.new_context(**NARROW).new_page()
    narrow.goto(links["child"])
    expect(narrow.get_by_role("heading", name=re.compile("Thank you"))).to_be_visible()
    assert_reflows(narrow, 320)
    assert_accessible(narrow)


def fill_every_empty_answer_in(page: Page) -> None:
    """The carer's page has its own form; answer each box."""
    for area in page.locator("textarea:visible").all():
        if not area.input_value():
            area.fill("Reading together every evening.")
