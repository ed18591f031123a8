"""Approval and quality assurance in a real browser, with axe on every page."""

import re

from playwright.sync_api import Browser, expect

from tests.e2e.conftest import sign_in_through_provider
from tests.e2e.page_checks import assert_accessible


def test_social_worker_approves_and_reviewer_signs_off(live_server, browser: Browser):
    social_worker = browser.new_context().new_page()
    sign_in_through_provider(social_worker, live_server.url, "sw@demo.openpep.test")
    social_worker.get_by_role("link", name="My tasks").click()
    expect(social_worker.get_by_role("heading", name="My tasks")).to_be_visible()
    assert_accessible(social_worker)
    social_worker.get_by_role(
        "link", name=re.compile("Check and approve, or return for Oliver Brown")
    ).click()
    expect(social_worker.get_by_role("heading", name="What you can do")).to_be_visible()
    assert_accessible(social_worker)
    social_worker.get_by_role("button", name="Approve").click()
    expect(social_worker.get_by_text("The PEP is now approved by social worker")).to_be_visible()
    assert_accessible(social_worker)

    reviewer = browser.new_context().new_page()
    sign_in_through_provider(reviewer, live_server.url, "reviewer@demo.openpep.test")
    reviewer.get_by_role("link", name="My tasks").click()
    reviewer.get_by_role(
        "link", name=re.compile("Quality-assure and sign off for Oliver Brown")
    ).click()
    expect(reviewer.get_by_role("heading", name="Quality assurance")).to_be_visible()
    assert_accessible(reviewer)
    for group in reviewer.locator(".govuk-radios--inline").all():
        group.get_by_label("Met", exact=True).check()
    reviewer.get_by_role("group", name=re.compile("Overall rating")).get_by_label("Red").check()
    reviewer.get_by_role("button", name="Sign off").click()
    expect(reviewer.locator(".govuk-error-summary")).to_contain_text(
        "must be returned with feedback"
    )
    assert_accessible(reviewer)
    reviewer.get_by_role("group", name=re.compile("Overall rating")).get_by_label("Green").check()
    reviewer.get_by_label("Feedback for the designated teacher").fill("A clear, well-costed plan.")
    reviewer.get_by_role("button", name="Sign off").click()
    expect(reviewer.get_by_text("Signed off", exact=False).first).to_be_visible()
    expect(reviewer.get_by_role("heading", name="History")).to_be_visible()
    expect(reviewer.locator(".openpep-timeline")).to_contain_text(
        "Alex Morgan (Virtual School reviewer)"
    )
    assert_accessible(reviewer)
