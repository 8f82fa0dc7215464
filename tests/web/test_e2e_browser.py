"""End to end in headless Chromium (Debian's, driven by Playwright): a village accountant takes a
run from the registry import to delivered SMS notices, the committee approves it, and a county
auditor downloads its audit pack and verifies it.

The app runs under uvicorn on 127.0.0.1 with the ``twilio`` SMS backend pointed at the
project's fake Twilio, whose signed status callbacks come back to the app's own webhook. Time is
the app's clock: the test moves it past the notice period.
"""
from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from dividends.clock import FixedClock
from dividends.settings import Settings
from dividends.web.app import create_app
from support.fake_twilio import FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN, FAKE_FROM, FakeTwilioServer
from support.serve import BackgroundServer, listening_socket
from tests.dividends.support import sample_files
from tests.web.flows import bank_result_csv
from tests.web.support import PASSWORD, SECRET, make_clock, seed_people

pytestmark = [pytest.mark.db, pytest.mark.slow]

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


class Site:
    def __init__(self, url: str, clock: FixedClock, twilio: FakeTwilioServer) -> None:
        self.url, self.clock, self.twilio = url, clock, twilio


@pytest.fixture
async def site(clean_db: str) -> AsyncIterator[Site]:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.fail(f"Chromium is not installed at {CHROMIUM} (make browser installs Debian's chromium)")
    await seed_people()
    clock = make_clock()
    with FakeTwilioServer(deterministic_sids=True) as twilio:
        sock = listening_socket()  # bound now: the app's PUBLIC_BASE_URL names its port
        base = f"http://127.0.0.1:{sock.getsockname()[1]}"
        settings = Settings.from_env({
            "SECRET_KEY": SECRET, "DATABASE_URL": clean_db, "PUBLIC_BASE_URL": base, "SESSION_HTTPS_ONLY": "false",
            "SMS_BACKEND": "twilio", "TWILIO_ACCOUNT_SID": FAKE_ACCOUNT_SID, "TWILIO_AUTH_TOKEN": FAKE_AUTH_TOKEN,
            "TWILIO_FROM": FAKE_FROM, "TWILIO_API_BASE_URL": twilio.url, "SMS_RATE_PER_SECOND": "50"})
        with BackgroundServer(create_app(settings, clock), sock=sock):
            yield Site(base, clock, twilio)


def _registries(tmp: Path) -> tuple[Path, Path]:
    """Last year's registry (one household fewer, one phone different) and this year's."""
    files = sample_files(tmp / "2024", households=12, villages=1, seed=3)
    lines = files.households.read_text(encoding="utf-8").splitlines()
    last_year = tmp / "2023"
    last_year.mkdir()
    header, rows = lines[0], lines[1:]
    first = rows[0].split(",")
    first[4] = "13900000001"
    (last_year / "households.csv").write_text("\n".join([header, ",".join(first), *rows[1:-1]]) + "\n", encoding="utf-8")
    return last_year / "households.csv", files.households


async def _login(page, site: Site, username: str) -> None:  # type: ignore[no-untyped-def]
    await page.goto(f"{site.url}/login")
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_load_state()


async def _logout(page) -> None:  # type: ignore[no-untyped-def]
    await page.click("header form button")
    await page.wait_for_url(re.compile(r".*/login$"))


def _phone_of_a_paid_household(registry: Path, bank_file: str) -> str:
    paid = set(re.findall(r"V\d{4}-\d{5}", bank_file))
    for line in registry.read_text(encoding="utf-8").splitlines()[1:]:
        cells = line.split(",")
        if cells[0] in paid:
            return "+86" + cells[4]
    raise AssertionError("no paid household in the registry")


async def _wait_for_cell(page, kind: str, status: str, count: int) -> None:  # type: ignore[no-untyped-def]
    """Reload the notices page until the delivery table shows ``count`` for (kind, status)."""
    cell = page.locator(f"td[data-kind={kind}][data-status={status}]")
    for _ in range(100):
        await page.reload()
        if await cell.count() and int(await cell.inner_text()) == count:
            return
        await page.wait_for_timeout(100)
    raise AssertionError(f"{kind}/{status} never reached {count}: {await cell.inner_text()}")


async def test_a_village_run_from_registry_to_delivered_notices_and_an_auditor_verifies_it(
        site: Site, tmp_path: Path) -> None:
    from playwright.async_api import async_playwright

    last_year, this_year = _registries(tmp_path)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        context = await browser.new_context(accept_downloads=True, locale="zh-CN")
        page = await context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        try:
            # the accountant: registry of last year and this year, with the diff
            await _login(page, site, "acc1")
            assert page.url.endswith("/villages/V0001")
            for period, path in (("2023", last_year), ("2024", this_year)):
                await page.click("text=导入农户名册")
                await page.fill("#period", period)
                await page.set_input_files("#households", str(path))
                await page.click("text=导入并核对")
                await page.wait_for_selector("text=已导入")
            assert await page.locator("text=与上一版相比的变化").count() >= 1
            assert await page.locator("td", has_text="新增").count() == 1  # the household new this year
            assert await page.locator("td.added", has_text=re.compile(r"^1\d{10}$")).count() == 1  # its phone changed

            # the year's return
            await page.click("text=登记收益")
            await page.fill("#period", "2024")
            await page.fill("#amount", "50000")
            await page.click("form.card button[type=submit]")
            await page.wait_for_selector("td:has-text('50,000.00')")

            # a scheme, previewed on the village, then the run
            await page.goto(f"{site.url}/villages/V0001/runs/new?period=2024")
            await page.click("#scheme-shareholding ~ form button:has-text('在本村预览')")
            await page.wait_for_selector("#preview-title")
            await page.click("section[aria-labelledby=preview-title] button[type=submit]")
            await page.wait_for_url(re.compile(r".*/runs/\d+$"))
            run_url = page.url
            await page.click("text=计算分配")
            await page.wait_for_selector("text=校验码")
            await page.click("text=分配明细")
            await page.wait_for_selector("table tbody tr")
            await page.go_back()
            await page.fill("#start", "2025-01-06")
            await page.fill("#end", "2025-01-12")
            await page.click("text=开始公示")
            await page.wait_for_selector("text=公示期：2025-01-06 至 2025-01-12")
            await _logout(page)

            # the notice period is over; a committee member approves
            site.clock.advance(days=7)
            await _login(page, site, "com1")
            await page.goto(run_url)
            for field, value in (("#entitled", "30"), ("#present", "21"), ("#votes_for", "15")):
                await page.fill(field, value)  # the villagers' representatives' meeting (四议两公开)
            await page.click("button:has-text('审批通过')")
            await page.wait_for_selector("text=审批：王监委")  # the approver by display name
            await _logout(page)

            # the accountant pays: the bank file, the bank's result
            await _login(page, site, "acc1")
            await page.goto(run_url)
            await page.click("text=生成银行代发文件")
            async with page.expect_download() as download_info:
                await page.click("a:has-text('CSV')")
            download = await download_info.value
            bank_file = Path(await download.path())
            result = tmp_path / "result.csv"
            result.write_bytes(bank_result_csv(bank_file.read_bytes()))
            await page.set_input_files("#result", str(result))
            await page.click("form:has(#result) button[type=submit]")
            await page.wait_for_selector("text=回单已导入")

            # the SMS notices: estimate first, then sending, then delivery; one handset is out of
            # reach at first (30006: not retried by itself), its notice is resent by hand
            unreachable = _phone_of_a_paid_household(this_year, bank_file.read_text(encoding="utf-8-sig"))
            site.twilio.state.set_delivery(unreachable, "undelivered", 30006)
            await page.click("a:has-text('短信通知')")
            await page.wait_for_selector("text=发送前估算")
            assert await page.locator("text=计费条数").count() >= 1
            await page.click("#send-payment_confirmation")
            await page.wait_for_selector("text=发送完毕", timeout=30_000)
            await site.twilio.wait_for_callbacks()
            delivered = page.locator("td[data-kind=payment_confirmation][data-status=delivered]")
            await _wait_for_cell(page, "payment_confirmation", "sent", 0)
            await _wait_for_cell(page, "payment_confirmation", "undelivered", 1)
            assert int(await delivered.inner_text()) == site.twilio.state.summary()["messages"] - 1 > 0
            assert await page.locator("td", has_text="30006").count() == 1
            site.twilio.state.set_delivery(unreachable, "delivered")
            await page.click("button:has-text('重发失败的“发放成功”短信')")
            await page.wait_for_selector("text=发送完毕", timeout=30_000)
            await site.twilio.wait_for_callbacks()
            await _wait_for_cell(page, "payment_confirmation", "undelivered", 0)
            assert int(await delivered.inner_text()) == site.twilio.state.summary()["messages"] - 1
            await _logout(page)

            # the county auditor: overview, the audit pack, verified
            await _login(page, site, "aud1")
            await page.goto(f"{site.url}/county")
            assert await page.locator("svg").count() == 2
            await page.click("a:has-text('东村')")
            async with page.expect_download() as pack_info:
                await page.click("a:has-text('下载审计包')")
            pack = Path(await (await pack_info.value).path())
            await page.set_input_files("#pack", str(pack))
            await page.click("#verify-pack")
            await page.wait_for_selector("#verify-result")
            assert await page.get_attribute("#verify-result", "data-ok") == "true"
            assert "核验通过" in await page.inner_text("#verify-result")
            if os.environ.get("E2E_SCREENSHOTS"):
                shots = Path(os.environ["E2E_SCREENSHOTS"])
                shots.mkdir(parents=True, exist_ok=True)
                await page.screenshot(path=str(shots / "verified.png"), full_page=True)
                for name, url in (("county", "/county"), ("run", run_url.removeprefix(site.url)),
                                  ("notices", run_url.removeprefix(site.url) + "/notices"),
                                  ("anomalies", "/county/anomalies")):
                    await page.goto(site.url + url)
                    await page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
        except BaseException:
            (Path(os.environ.get("E2E_DUMP", "/tmp")) / "e2e-failure.html").write_text(await page.content(), encoding="utf-8")
            raise
        finally:
            await browser.close()
    assert errors == []  # no script, no CSP violation, no failed resource
