"""A section page and its autosave read the one section they show, never the PEP's others, and a
section the PEP's form does not have is not found (rather than a fault)."""

from __future__ import annotations

from tests.integration.sql_statements import statements_sent
from tests.integration.test_query_counts import _pages_for


def test_a_section_page_reads_only_its_own_section(seeded, client_for):
    client = client_for("dt_oakfield")
    section_page = _pages_for(seeded, "dt_oakfield")[4]
    assert "/sections/" in section_page
    client.get(section_page)
    with statements_sent(seeded) as sent:
        assert client.get(section_page).status_code == 200
    reading_sections = [s for s in sent if "pep_sections" in s]
    assert len(reading_sections) == 1, reading_sections
    # The one statement names the section it wants: the others' answers are never read.
    assert "pep_sections.section_key =" in " ".join(reading_sections[0].split())


def test_a_section_the_form_does_not_have_is_not_found(seeded, client_for):
    client = client_for("dt_oakfield")
    section_page = _pages_for(seeded, "dt_oakfield")[4]
    missing = section_page.rsplit("/", 1)[0] + "/no_such_section"
    assert client.get(missing).status_code == 404
