"""The README's "first hour" screenshots, taken on the page walk's county world with the same
headless Chromium: ``pytest tests/web/readme_shots.py`` (named outside ``test_*`` so the suite
does not collect it; fonts-noto-cjk makes the Chinese render). Writes ``docs/screenshots/``."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.web.test_e2e_browser import ARGS, CHROMIUM
from tests.web.test_pages_browser import Site, _login, site  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.db, pytest.mark.slow]

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

# file, user, viewport, page, the element scrolled to the top (None: the page's top)
SHOTS = [
    ("phone-village-home.png", "acc1", (390, 844), "/villages/V0001", None),
    ("phone-scheme-comparison.png", "acc1", (390, 844),
     "/villages/V0001/runs/new?period=2024&scheme=shareholding&compare=tourism-cooperative", "#compare-title"),
    ("desktop-scheme-preview.png", "acc1", (1366, 768), "/villages/V0001/runs/new?period=2024&scheme=shareholding", None),
    ("desktop-run-approval.png", "com1", (1366, 768), "/runs/{run}", None),
    ("phone-bank-failures.png", "acc1", (390, 844), "/runs/{run}", "#batches"),
]


async def test_readme_screenshots(site: Site) -> None:  # noqa: F811
    from playwright.async_api import async_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            for name, username, (width, height), url, anchor in SHOTS:
                context = await browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
                page = await context.new_page()
                await _login(page, site, username)
                await page.goto(site.url + url.format(run=site.world.runs["V0001"]))
                if anchor:
                    await page.evaluate(f"document.querySelector('{anchor}').scrollIntoView()")
                await page.screenshot(path=str(OUT / name))
                await context.close()
        finally:
            await browser.close()
