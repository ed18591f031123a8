"""Each sentence in a refusal's error summary links to the thing to fix, not all to one place."""

import re

from tests.integration.pep_helpers import open_pep_id
from tests.integration.test_signoff import APPROVED, DRAFT, post_event, qa_form


def summary_links(html: str) -> list[tuple[str, str]]:
    summary = html.split('class="govuk-error-summary', 1)[1].split("</div>\n</div>", 1)[0]
    return re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', summary)


def test_a_refused_submission_links_each_reason_to_its_own_section(client_for, seeded):
    pep_id = open_pep_id(seeded, DRAFT)
    response = post_event(client_for("dt_oakfield"), pep_id, "submitted")
    assert response.status_code == 400
    links = summary_links(response.get_data(as_text=True))
    sections = [(href, text) for href, text in links if "section" in text]
    assert len(sections) >= 2
    for href, text in sections:
        assert href.startswith(f"/peps/{pep_id}/sections/"), (href, text)
    # Different sections, different links.
    assert len({href for href, _ in sections}) == len(sections)


def test_a_refused_sign_off_links_to_the_rating(client_for, seeded):
    pep_id = open_pep_id(seeded, APPROVED)
    response = qa_form(client_for("reviewer"), pep_id, "red", "signed_off", "Not yet.")
    assert response.status_code == 400
    links = summary_links(response.get_data(as_text=True))
    assert ("#rating", "A rating of Red must be returned with feedback, not signed off") in [
        (href, text.strip()) for href, text in links
    ]
