"""Issue 12, item 4 on the pages: a recorded return is corrected from the returns page (or the
page says which run books it and what to do); the close form says why closing must wait, and
with unpaid households asks for the reason."""
from __future__ import annotations

import re

import pytest

from dividends.store.models import AssetReturn, AuditEvent, PayoutBatch, Run
from tests.web.flows import approved, bank_result_csv, registry_files, upload
from tests.web.support import browser

pytestmark = pytest.mark.db


def _section(page: str, element_id: str) -> str:
    """The page's ``<section id=...>`` (empty when there is none)."""
    found = re.search(rf'<section[^>]*id="{element_id}".*?</section>', page, re.S)
    return found.group(0) if found else ""


async def test_a_return_is_corrected_on_its_page_until_a_run_books_it(app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    reg = registry_files(tmp_path)
    async with browser(app, "acc1") as acc, browser(app, "com1") as com:
        await acc.post("/villages/V0001/registry", {"period": "2024"}, files=upload(reg))
        await acc.post("/villages/V0001/returns", {"period": "2024", "amount": "500000", "asset": "光伏电站"})
        page = await acc.get("/villages/V0001/returns")
        assert 'action="/villages/V0001/returns/correct"' in page.text
        assert 'action="/villages/V0001/returns/correct"' not in (await com.get("/villages/V0001/returns")).text
        refused = await acc.post("/villages/V0001/returns/correct", {"period": "2024", "asset": "光伏电站", "amount": "50000"})
        assert refused.status_code == 400 and "更正原因" in refused.text
        fixed = await acc.post("/villages/V0001/returns/correct",
                               {"period": "2024", "asset": "光伏电站", "amount": "50000", "reason": "多写一个零"})
        assert fixed.status_code == 303
        assert (await AssetReturn.get(asset="光伏电站")).amount_fen == 5_000_000
        page = await acc.get("/villages/V0001/returns")
        assert "500,000.00 元 → 50,000.00 元" in page.text and "多写一个零" in page.text

        created = await acc.post("/villages/V0001/runs", {"period": "2024", "scheme": "shareholding"})
        run_id = int(re.search(r"/runs/(\d+)", created.headers["location"]).group(1))  # type: ignore[union-attr]
        page = await acc.get("/villages/V0001/returns")
        assert 'action="/villages/V0001/returns/correct"' not in page.text
        assert f"已由分配批次 {run_id}" in page.text and "请先作废批次" in page.text
        late = await acc.post("/villages/V0001/returns/correct",
                              {"period": "2024", "asset": "光伏电站", "amount": "40000", "reason": "x"})
        assert late.status_code in (400, 409) and "请先作废批次" in late.text
    assert (await Run.get(id=run_id)).pool_fen == 5_000_000


async def test_the_close_form_says_why_it_waits_and_asks_why_households_stay_unpaid(app, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    reg = registry_files(tmp_path)
    async with browser(app, "acc1") as acc, browser(app, "com1") as com:
        run_id = await approved(acc, com, clock, reg)
        assert (await acc.post(f"/runs/{run_id}/pay", {"bank_format": "generic"})).status_code == 303
        page = await acc.get(f"/runs/{run_id}")
        assert 'id="close-why"' in page.text and "没有银行回单" in page.text and "disabled" in page.text
        assert 'action="/runs/%d/close"' % run_id not in (await com.get(f"/runs/{run_id}")).text
        csv = await acc.get(f"/runs/{run_id}/batches/1.csv")
        failed = sorted(set(re.findall(r"V\d{4}-\d{5}", csv.content.decode("utf-8-sig"))))[:1]
        await acc.post(f"/runs/{run_id}/bank-result", files={
            "result": ("result.csv", bank_result_csv(csv.content, set(failed)), "text/csv")})
        page = await acc.get(f"/runs/{run_id}")
        assert 'id="close-why"' not in page.text and "还有 1 户未付成功" in page.text and failed[0] in page.text
        refused = await acc.post(f"/runs/{run_id}/close", {"allow_unpaid": "1", "reason": ""})
        assert refused.status_code in (400, 409) and "须写明原因" in refused.text
        closed = await acc.post(f"/runs/{run_id}/close", {"allow_unpaid": "1", "reason": "户主已迁出，改为现金发放"})
        assert closed.status_code == 303
    assert (await Run.get(id=run_id)).state == "closed"
    event = await AuditEvent.get(object_type="run", object_id=str(run_id), action="run.close")
    assert event.detail["unpaid"] == failed and event.detail["reason"] == "户主已迁出，改为现金发放"


async def test_a_failed_households_account_is_corrected_and_approved_on_the_run_page(app, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    reg = registry_files(tmp_path)
    async with browser(app, "acc1") as acc, browser(app, "com1") as com:
        run_id = await approved(acc, com, clock, reg)
        await acc.post(f"/runs/{run_id}/pay", {"bank_format": "psbc"})
        csv = await acc.get(f"/runs/{run_id}/batches/1.csv")
        failed = sorted(set(re.findall(r"V\d{4}-\d{5}", csv.content.decode("utf-8-sig"))))[:1]
        result = await acc.post(f"/runs/{run_id}/bank-result", files={
            "result": ("result.csv", bank_result_csv(csv.content, set(failed)), "text/csv")})
        assert result.headers["location"] == f"/runs/{run_id}#bank-failures"  # the import lands on who failed
        page = await acc.get(f"/runs/{run_id}")
        assert 'action="/runs/%d/payees"' % run_id in page.text and "补发批次沿用" in page.text
        failures = _section(page.text, "bank-failures")
        assert "银行未付成功：1 户" in failures and failed[0] in failures and "账户已销户" in failures
        fix = f'href="/runs/{run_id}?payee={failed[0]}#payees"'
        assert fix in failures and fix not in (await com.get(f"/runs/{run_id}")).text  # the committee does not prepare
        chosen = (await acc.get(f"/runs/{run_id}?payee={failed[0]}")).text
        assert f'<option value="{failed[0]}" selected>' in chosen
        prepared = await acc.post(f"/runs/{run_id}/payees", {"household_id": failed[0], "account_no": "6222000099998888",
                                                             "bank": "农商银行", "reason": "原账户已销户"})
        assert prepared.status_code == 303
        page = await com.get(f"/runs/{run_id}")
        assert "6222000099998888" not in page.text and "8888" in page.text  # masked on the page
        approve = re.search(r'action="(/runs/\d+/payees/\d+/approve)"', page.text)
        assert approve is not None
        assert (await com.post(approve.group(1))).status_code == 303
        assert "账户已更正，等待监委会审批" in _section(page.text, "bank-failures")
        assert "已审批" in (await acc.get(f"/runs/{run_id}")).text
        assert "账户更正已审批" in _section((await acc.get(f"/runs/{run_id}")).text, "bank-failures")
        assert (await acc.post(f"/runs/{run_id}/pay", {"bank_format": "generic"})).status_code == 303
        follow = await acc.get(f"/runs/{run_id}/batches/2.csv")
        assert "6222000099998888" in follow.content.decode("utf-8-sig")
        imported = await acc.post("/villages/V0001/registry", {"period": "2025"}, files=upload(reg))  # the old accounts
        assert imported.status_code == 200, imported.text[-2000:]
        latest = max(int(x) for x in re.findall(r"/villages/V0001/registry/(\d+)", (await acc.get("/villages/V0001")).text))
        offered = (await acc.get(f"/villages/V0001/registry/{latest}")).text
        assert 'id="payee-changes"' in offered and failed[0] in offered and "8888" in offered and f"#{run_id}" in offered
        assert "6222000099998888" not in offered
        lines = reg.households.read_text(encoding="utf-8").splitlines()  # a version that carries the correction
        reg.households.write_text("\n".join(
            ",".join(f[:10] + ["6222000099998888"] + f[11:]) if f[0] == failed[0] else line
            for line, f in ((x, x.split(",")) for x in lines)) + "\n", encoding="utf-8")
        assert (await acc.post("/villages/V0001/registry", {"period": "2025"}, files=upload(reg))).status_code == 200
        newest = max(int(x) for x in re.findall(r"/villages/V0001/registry/(\d+)", (await acc.get("/villages/V0001")).text))
        assert newest > latest and 'id="payee-changes"' not in (await acc.get(f"/villages/V0001/registry/{newest}")).text
    batch = await PayoutBatch.get(run_id=run_id, number=2)
    assert batch.bank_format == "psbc"


async def test_the_approve_button_says_why_not_yet_and_the_post_refuses_with_the_same_reason(app, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import html
    from tests.web.flows import RESOLUTION, publicized
    reg = registry_files(tmp_path)
    async with browser(app, "acc1") as acc, browser(app, "com1") as com:
        run_id = await publicized(acc, reg)
        page = await com.get(f"/runs/{run_id}")
        why = re.search(r'<p class="muted why" id="approve-why">([^<]+)</p>', page.text)
        assert why is not None and 'disabled aria-describedby="approve-why"' in page.text
        reason = html.unescape(why.group(1))
        assert "2025-01-12" in reason  # the notice period is still running
        mine = await acc.get(f"/runs/{run_id}")  # the accountant cannot pay before approval, and is told so
        pay_why = re.search(r'<p class="muted why" id="pay-why">([^<]+)</p>', mine.text)
        assert pay_why is not None and 'disabled aria-describedby="pay-why"' in mine.text
        too_early = await acc.post(f"/runs/{run_id}/pay", {"bank_format": "generic"})
        assert too_early.status_code in (400, 409) and html.unescape(pay_why.group(1)) in html.unescape(too_early.text)
        refused = await com.post(f"/runs/{run_id}/approve", RESOLUTION)
        assert refused.status_code in (400, 409) and reason in html.unescape(refused.text)
        clock.advance(days=7)
        page = await com.get(f"/runs/{run_id}")
        assert 'id="approve-why"' not in page.text and f'action="/runs/{run_id}/approve"' in page.text
        assert (await com.post(f"/runs/{run_id}/approve", RESOLUTION)).status_code == 303


def _why(page: str, slug: str) -> str:
    """The reason beside a disabled button (``#<slug>-why``), unescaped; fails when absent."""
    import html
    found = re.search(rf'<p class="muted why" id="{slug}-why">([^<]+)</p>', page)
    assert found is not None and f'disabled aria-describedby="{slug}-why"' in page, f"no disabled {slug} button"
    return html.unescape(found.group(1)).strip()


async def test_each_run_button_shows_why_not_yet_and_the_post_refuses_with_the_same_reason(app, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import html
    from tests.web.flows import RESOLUTION, import_and_create
    reg = registry_files(tmp_path)
    async with browser(app, "acc1") as acc, browser(app, "com1") as com:
        draft = await import_and_create(acc, reg)  # publicize before compute
        reason = _why((await acc.get(f"/runs/{draft}")).text, "publicize")
        refused = await acc.post(f"/runs/{draft}/publicize", {"start": "2025-01-06", "end": "2025-01-12"})
        assert refused.status_code in (400, 409) and reason in html.unescape(refused.text)
        assert (await acc.post(f"/runs/{draft}/compute")).status_code == 303
        assert 'id="publicize-why"' not in (await acc.get(f"/runs/{draft}")).text
        run_id = draft
        assert (await acc.post(f"/runs/{run_id}/publicize", {"start": "2025-01-06", "end": "2025-01-12"})).status_code == 303
        clock.advance(days=7)
        assert (await com.post(f"/runs/{run_id}/approve", RESOLUTION)).status_code == 303
        reason = _why((await acc.get(f"/runs/{run_id}")).text, "bank-result")  # a result before any batch
        refused = await acc.post(f"/runs/{run_id}/bank-result", files={"result": ("r.csv", b"x", "text/csv")})
        assert refused.status_code in (400, 409) and reason in html.unescape(refused.text)
        reason = _why((await com.get(f"/runs/{run_id}")).text, "return")  # an approved run is not returned
        refused = await com.post(f"/runs/{run_id}/return", {"reason": "数据有误"})
        assert refused.status_code in (400, 409) and reason in html.unescape(refused.text)

        assert (await acc.post(f"/runs/{run_id}/pay", {"bank_format": "generic"})).status_code == 303
        reason = _why((await acc.get(f"/runs/{run_id}")).text, "close")  # bank results pending
        refused = await acc.post(f"/runs/{run_id}/close", {})
        assert refused.status_code in (400, 409) and reason in html.unescape(refused.text)
        assert 'id="bank-result-why"' not in (await acc.get(f"/runs/{run_id}")).text


async def test_the_cash_receipt_list_prints_the_failed_households_masked_with_exact_amounts(app, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from dividends.store.models import Household, PayoutItem
    from notify.privacy import mask_name
    from schemes.money import format_yuan
    reg = registry_files(tmp_path)
    async with browser(app, "acc1") as acc, browser(app, "com1") as com:
        run_id = await approved(acc, com, clock, reg)
        assert (await acc.get(f"/runs/{run_id}/cash-list")).status_code in (400, 403, 409)  # not paid yet
        assert (await acc.post(f"/runs/{run_id}/pay", {"bank_format": "generic"})).status_code == 303
        csv = await acc.get(f"/runs/{run_id}/batches/1.csv")
        failed = sorted(set(re.findall(r"V\d{4}-\d{5}", csv.content.decode("utf-8-sig"))))[:2]
        await acc.post(f"/runs/{run_id}/bank-result", files={
            "result": ("result.csv", bank_result_csv(csv.content, set(failed)), "text/csv")})
        assert f'href="/runs/{run_id}/cash-list"' in (await acc.get(f"/runs/{run_id}")).text
        page = (await acc.get(f"/runs/{run_id}/cash-list")).text
        pdf = await acc.get(f"/runs/{run_id}/cash-list.pdf")
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
        assert f'href="/runs/{run_id}/cash-list.pdf"' in page
        assert (await com.get(f"/runs/{run_id}/cash-list.pdf")).status_code == 403  # not the committee's list
    rows = re.findall(r"<tr><td>(V\d{4}-\d{5})</td><td>([^<]*)</td><td>([^<]*)</td>\s*<td class=\"num\">([^<]+)</td>", page)
    assert [r[0] for r in rows] == failed
    items = {i.household_id: i.amount_fen for i in await PayoutItem.filter(run_id=run_id, household_id__in=failed)}
    run = await Run.get(id=run_id)
    for household, name, id_number, amount in rows:
        head = await Household.get(snapshot_id=run.snapshot_id, household_id=household)  # type: ignore[attr-defined]
        assert name == mask_name(head.head_name) and name != head.head_name
        assert amount == format_yuan(items[household]) and head.id_number not in page
    assert format_yuan(sum(items.values())) in page.split("<tfoot>")[1]
    import io
    import pypdf
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    printed = "".join(text.replace("\x00", "").split())
    for household, name, id_number, amount in rows:
        assert f"{household}{name}{id_number}{amount}" in printed  # one row of the PDF, masked as on the page
    assert "领取人签字" in printed and format_yuan(sum(items.values())) in printed


async def test_an_approved_run_says_it_is_approved_already_and_offers_no_approval(app, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    reg = registry_files(tmp_path)
    async with browser(app, "acc1") as acc, browser(app, "com1") as com:
        run_id = await approved(acc, com, clock, reg)
        page = (await com.get(f"/runs/{run_id}")).text
        assert f'action="/runs/{run_id}/approve"' not in page
        assert f"分配批次 {run_id} 已是“已审批”，无需再审批" in page
        en = (await com.get(f"/runs/{run_id}?lang=en")).text
        assert f"run {run_id} is already approved, so there is no need to approve" in en
        assert "no need to approve" not in (await acc.get(f"/runs/{run_id}?lang=en")).text  # the accountant never could
        again = await com.post(f"/runs/{run_id}/approve", {"content_hash": "x", "meeting_date": "2025-01-13", "entitled": "30",
                                                           "present": "21", "votes_for": "15"})
        assert again.status_code < 500
    assert (await Run.get(id=run_id)).state == "approved"


async def test_a_role_refused_an_action_is_told_which_roles_may_do_it(app, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A forged POST (the run page shows no approve button to an accountant) got only the general
    "您的角色不能进行此操作"; now the refusal's own words follow it, on the page and in JSON."""
    from tests.web.flows import RESOLUTION, publicized

    reg = registry_files(tmp_path)
    async with browser(app, "acc1") as acc:
        run_id = await publicized(acc, reg)
        clock.advance(days=7)
        page = await acc.post(f"/runs/{run_id}/approve", RESOLUTION)
        assert page.status_code == 403 and "您的角色不能进行此操作" in page.text
        assert "角色“会计”不能执行“审批”（可以执行的角色：村务监督委员会成员）" in page.text, page.text[-1500:]
    assert (await Run.get(id=run_id)).state == "publicized"
