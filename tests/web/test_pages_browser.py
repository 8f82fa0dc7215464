"""Every page, every role, in headless Chromium at a phone's size (390×844) and a laptop's
(1366×768): the page never scrolls sideways (a wide table scrolls in its own box, charts
scale), axe-core finds no serious or critical accessibility violation, and the printable
notice keeps its A4 print layout.

axe-core is the pinned npm package ``make axe`` installs into ``.cache/axe`` (part of
``make install-test``); the pages' CSP forbids inline scripts, so the contexts bypass it to
inject the checker.

Screenshots of every page at both sizes go to ``$E2E_SCREENSHOTS`` when it is set.
"""
from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from dividends.clock import FixedClock
from tests.dbsupport import BACKEND
from support.serve import BackgroundServer
from tests.web.pages import PUBLIC, Form, forms_for, pages_for
from tests.web.test_their_words import allowed, known_ids, raw_ids, visible_text
from dividends.web.app import create_app
from support.fake_sender import FakeSender
from tests.web.support import PASSWORD, make_clock, seed_people, settings_for
from tests.web.test_e2e_browser import ARGS, CHROMIUM
from tests.web.world import World, build_world

# The walk is about layout, words and accessibility, which no database changes: it runs in the
# SQLite pass only (the same pages' words are checked on PostgreSQL by test_their_words), which
# keeps CI's PostgreSQL pass from walking 70 pages twice in Chromium.
pytestmark = [pytest.mark.db, pytest.mark.slow,
              pytest.mark.skipif(BACKEND == "postgres", reason="layout and accessibility do not depend on the database")]

SIZES = {"phone": (390, 844), "desktop": (1366, 768)}
AXE = Path(__file__).resolve().parents[2] / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")

# axe-core's serious and critical violations of the page, each with the first elements it names
AXE_CHECK = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' ' + (n.failureSummary || '').split('\\n').slice(1, 2).join(''))
  }));
}"""

# the widest element that sticks out of the viewport, if any (a wide table inside its own
# scrolling box does not count: its box is within the page)
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth <= width) return null;
  let worst = null;
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.right > width + 1 && (!worst || r.right > worst.right)) {
      worst = {right: Math.round(r.right), tag: el.tagName, cls: el.className && String(el.className),
               text: (el.textContent || '').trim().slice(0, 40)};
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, width, worst};
}"""


class Site:
    def __init__(self, url: str, world: World) -> None:
        self.url, self.world = url, world


@pytest.fixture
async def site(clean_db: str, tmp_path: Path) -> AsyncIterator[Site]:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.fail(f"Chromium is not installed at {CHROMIUM} (make browser installs Debian's chromium)")
    await seed_people()
    clock: FixedClock = make_clock()
    world = await build_world(tmp_path, clock)
    # the server's own event loop opens the database itself (as the end-to-end test does)
    app = create_app(settings_for(clean_db, SESSION_HTTPS_ONLY="false"), clock, sender=FakeSender)
    with BackgroundServer(app) as server:
        yield Site(server.url, world)


async def _login(page, site: Site, username: str) -> None:  # type: ignore[no-untyped-def]
    await page.goto(f"{site.url}/login")
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_load_state()


def _shot_name(username: str, url: str, size: str) -> str:
    return f"{size}-{username}-" + (re.sub(r"[^A-Za-z0-9]+", "_", url).strip("_") or "home") + ".png"


async def test_every_page_fits_a_phone_and_a_laptop_without_sideways_scrolling(site: Site) -> None:
    from playwright.async_api import async_playwright

    if not AXE.exists():
        pytest.fail(f"axe-core is not installed at {AXE} (make axe installs it)")
    axe_source = AXE.read_text(encoding="utf-8")
    shots = Path(os.environ["E2E_SCREENSHOTS"]) if os.environ.get("E2E_SCREENSHOTS") else None
    if shots:
        shots.mkdir(parents=True, exist_ok=True)
    walk = {None: PUBLIC, **pages_for(site.world)}
    forms = forms_for(site.world)
    ids = known_ids()
    raw: list[str] = []
    overflowing: list[str] = []
    inaccessible: list[str] = []
    visited = 0
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            for username, urls in walk.items():
                # one signed-in tab per person; each page at both sizes (resized, not reloaded)
                context = await browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN",
                                                    bypass_csp=True)
                page = await context.new_page()
                if username:
                    await _login(page, site, username)
                sent: list[str] = []

                async def opened(url: str | Form) -> str:  # a page, or the page a form answers with
                    if isinstance(url, str):
                        await page.goto(site.url + url)
                        return url
                    start, fields, files, submit, expected = url
                    await page.goto(site.url + start)
                    for selector, value in fields.items():
                        await page.fill(selector, value)
                    for selector, (name, content) in files.items():
                        kind = "application/zip" if name.endswith(".zip") else "text/csv"
                        await page.set_input_files(selector, {"name": name, "mimeType": kind, "buffer": content})
                    async with page.expect_navigation():
                        await page.click(submit)
                    assert expected in await page.content(), (start, expected)
                    sent.append(start)
                    return f"{start} (form {len(sent)} sent)"  # its own screenshot name

                for target in [*urls, *forms.get(username or "", [])]:
                    url = await opened(target)
                    visited += 1
                    if hits := raw_ids(visible_text(await page.content()), ids - allowed(url)):
                        raw.append(f"{username} {url}: {hits}")
                    await page.evaluate(axe_source)
                    for size, (width, height) in SIZES.items():
                        await page.set_viewport_size({"width": width, "height": height})
                        found = await page.evaluate(OVERFLOW)
                        if found:
                            overflowing.append(f"{size} {username} {url}: {found}")
                        for violation in await page.evaluate(AXE_CHECK):
                            inaccessible.append(f"{size} {username} {url}: {violation}")
                        if shots:
                            await page.screenshot(path=str(shots / _shot_name(username or "anon", str(url), size)),
                                                  full_page=True)
                await context.close()
            # the printed notice is still an A4 page with its own table, not the phone layout
            context = await browser.new_context(viewport={"width": 390, "height": 844})
            page = await context.new_page()
            await _login(page, site, "acc1")
            await page.goto(f"{site.url}/runs/{site.world.runs['V0001']}/notice")
            await page.emulate_media(media="print")
            assert await page.evaluate("getComputedStyle(document.querySelector('.wide')).overflowX") == "visible"
            pdf = await page.pdf(prefer_css_page_size=True)
            box = re.search(rb"/MediaBox \[0 0 (\d+)(?:\.\d+)? (\d+)", pdf)
            assert pdf.startswith(b"%PDF") and box, pdf[:200]
            width, height = sorted(int(n) for n in box.groups())
            assert width in (594, 595) and height in (841, 842)  # A4 in points (210 × 297 mm), either way
            await context.close()
        finally:
            await browser.close()
    assert visited >= sum(len(urls) for urls in walk.values()) > 60
    assert raw == []
    assert overflowing == []
    assert inaccessible == []
