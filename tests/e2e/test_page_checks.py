"""The checks every visited page goes through can fail: each fault, on a page made to have it,
is reported. (axe passed pages whose pictures showed as raw markup and whose ids repeated.)"""

from playwright.sync_api import Browser

from tests.e2e.page_checks import page_problems

SOUND = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Sound</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>A sound page</h1><label for="name">Name</label><input id="name" name="name">
</main></body></html>"""

FAULTS = {
    "ids used more than once": SOUND.replace(
        "<h1>A sound page</h1>", '<h1 id="x">A sound page</h1><p id="x">Again</p>'
    ),
    "controls with no accessible name": SOUND.replace('<label for="name">Name</label>', ""),
    "markup shown as text": SOUND.replace(
        "<h1>A sound page</h1>", "<h1>A sound page</h1><p>&lt;img src=x alt=&quot;&quot;&gt;</p>"
    ),
    "wider than 320 px": SOUND.replace(
        "<h1>A sound page</h1>", '<h1>A sound page</h1><div style="width:500px">wide</div>'
    ),
    # The checker reads the page as the browser holds it: a fault the parser cannot mend.
    "HTML: ": SOUND.replace("<main>", '<main><img src="x.png" width="wide">'),
}


def test_a_sound_page_has_no_problems(browser: Browser):
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    page.set_content(SOUND)
    assert page_problems(page) == []


def test_each_fault_is_reported(browser: Browser):
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    for expected, html in FAULTS.items():
        page.set_content(html)
        problems = page_problems(page)
        assert any(problem.startswith(expected) for problem in problems), (expected, problems)
