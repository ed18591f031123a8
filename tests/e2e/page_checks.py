"""What every page a browser test visits must be: axe-core finds nothing (WCAG 2.2 AA), and
what axe does not catch is checked too. Imported by the tests and their conftest alike, so the
one Nu Html Checker the run starts is seen by every check."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[2]
AXE_SOURCE = (ROOT / "node_modules/axe-core/axe.min.js").read_text()

# WCAG 2.0, 2.1 and 2.2 A and AA: `wcag22aa` alone runs only the rules new in 2.2.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
REFLOW_WIDTH = 320

# What a person must never see: markup shown as text (a tag the portal itself writes, escaped).
_ESCAPED_MARKUP = re.compile(r"<(img|span|div|br|svg|strong|em|p|a|ul|li)\b[^>]*>|&lt;|&gt;|&amp;")

# htmx's own attributes (hx-boost, hx-post, ...) are the one deliberate extension of HTML
# here; the checker knows no such attributes and would report every one.
_HTMX_ATTRIBUTE = re.compile(r"Attribute “hx-[a-z-]+” not allowed on element")

_PAGE_FACTS = """() => {
  const ids = [...document.querySelectorAll('[id]')].map(e => e.id);
  const duplicates = [...new Set(ids.filter((id, i) => ids.indexOf(id) !== i))];
  const controls = [...document.querySelectorAll('input, select, textarea, button')].filter(
    e => e.type !== 'hidden' && !e.closest('[hidden]') && e.getClientRects().length > 0);
  const unnamed = controls.filter(e => {
    if (e.getAttribute('aria-label') || e.getAttribute('aria-labelledby') || e.title) return false;
    if (e.labels && [...e.labels].some(l => l.textContent.trim())) return false;
    if ((e.tagName === 'BUTTON') && e.textContent.trim()) return false;
    if (e.type === 'submit' && e.value) return false;
    return true;
  }).map(e => e.outerHTML.slice(0, 120));
  return {duplicates, unnamed, text: document.body.innerText};
}"""


def axe_violations(page: Page) -> list[dict[str, Any]]:
    # Evaluated through DevTools rather than a <script> tag: the portal's Content-Security-
    # Policy rightly forbids inline scripts, and the check must not weaken it.
    page.evaluate(AXE_SOURCE)
    return page.evaluate(
        """async (tags) => (await axe.run(document, {
            resultTypes: ['violations'], runOnly: {type: 'tag', values: tags}})).violations""",
        AXE_TAGS,
    )


def page_problems(page: Page) -> list[str]:
    """What axe does not catch but a person would: repeated ids, controls with no name,
    markup shown as text, a page wider than a 320 px screen, invalid HTML (the page as the
    browser holds it, after parsing and scripts)."""
    problems = []
    facts = page.evaluate(_PAGE_FACTS)
    if facts["duplicates"]:
        problems.append(f"ids used more than once: {facts['duplicates']}")
    if facts["unnamed"]:
        problems.append(f"controls with no accessible name: {facts['unnamed']}")
    shown_markup = _ESCAPED_MARKUP.search(facts["text"])
    if shown_markup:
        problems.append(f"markup shown as text: {shown_markup.group(0)!r}")
    problems.extend(reflow_problems(page))
    if HTML_CHECKER is None:
        raise RuntimeError("the Nu Html Checker is not running: the e2e conftest starts it")
    problems.extend(HTML_CHECKER.errors(page.content()))
    return problems


def reflow_problems(page: Page) -> list[str]:
    """WCAG 1.4.10: at 320 CSS px nothing scrolls sideways but what has its own scroll region.
    Measured in the page's own context: a phone-emulating context widens its window to fit an
    overflowing page, so there the window must also still be the phone's width."""
    viewport = page.viewport_size
    if viewport is None:
        return []
    is_phone = page.evaluate("() => navigator.maxTouchPoints > 0")
    if is_phone:
        width = page.evaluate("() => document.documentElement.scrollWidth")
        window_width = page.evaluate("() => window.innerWidth")
        if width > viewport["width"] or window_width > viewport["width"]:
            return [f"wider than the {viewport['width']} px phone screen: {width} px"]
        return []
    page.set_viewport_size({"width": REFLOW_WIDTH, "height": viewport["height"]})
    try:
        width = page.evaluate("() => document.documentElement.scrollWidth")
        culprits = page.evaluate(WIDEST_ELEMENTS, REFLOW_WIDTH) if width > REFLOW_WIDTH else []
    finally:
        page.set_viewport_size(viewport)
    if width > REFLOW_WIDTH:
        return [f"wider than {REFLOW_WIDTH} px at {REFLOW_WIDTH} px: {width} px ({culprits})"]
    return []


# The innermost elements that reach past the edge: what to fix, named in the failure.
WIDEST_ELEMENTS = """(edge) => {
  // Past the edge themselves, or holding text that runs past their own box.
  const past = [...document.body.querySelectorAll('*')].filter(
    (el) => el.getBoundingClientRect().right > edge + 1
      || (el.clientWidth > 1 && el.scrollWidth > el.clientWidth + 1
          && getComputedStyle(el).overflowX === 'visible'));
  const innermost = past.filter((el) => !past.some((other) => other !== el && el.contains(other)));
  return innermost.slice(0, 3).map((el) => el.tagName.toLowerCase()
    + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string'
      ? '.' + el.className.trim().split(/\\s+/).join('.') : '')
    + ' "' + (el.textContent || '').trim().slice(0, 40) + '"');
}"""


def assert_accessible(page: Page) -> None:
    violations = axe_violations(page)
    summary = [
        (v["id"], v["impact"], [node["target"] for node in v["nodes"]][:3]) for v in violations
    ]
    assert violations == [], f"axe found violations on {page.url}: {summary}"
    problems = page_problems(page)
    assert problems == [], f"problems on {page.url}: {problems}"


class HtmlChecker:
    """The Nu Html Checker (the W3C's validator, npm vnu-jar) served on loopback for the run."""

    def __init__(self, jar: Path) -> None:
        import socket
        import subprocess
        import time

        import requests

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.process = subprocess.Popen(
            [
                "java",
                "-Xss8m",  # the checker's schema recurses deeply
                "-Dnu.validator.servlet.bind-address=127.0.0.1",
                "-cp",
                str(jar),
                "nu.validator.servlet.Main",
                str(self.port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.session = requests.Session()
        deadline = time.monotonic() + 180  # a loaded machine starts the JVM slowly
        while True:
            try:
                self.session.get(f"http://127.0.0.1:{self.port}/", timeout=2)
                break
            # A JVM still starting may accept the connection and answer late: wait on.
            except (requests.ConnectionError, requests.Timeout):
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise RuntimeError("the Nu Html Checker did not start") from None
                time.sleep(0.25)

    def errors(self, html: str) -> list[str]:
        response = self.session.post(
            f"http://127.0.0.1:{self.port}/?out=json",
            data=html.encode(),
            headers={"Content-Type": "text/html; charset=utf-8"},
            timeout=60,
        )
        return [
            f"HTML: {message['message']} (line {message.get('lastLine')}):"
            f" {message.get('extract', '')!r}"
            for message in response.json()["messages"]
            if message.get("type") == "error"
            and not _HTMX_ATTRIBUTE.match(message.get("message", ""))
        ]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except Exception:
            self.process.kill()


HTML_CHECKER: HtmlChecker | None = None
VNU_JAR = ROOT / "node_modules/vnu-jar/build/dist/vnu.jar"
