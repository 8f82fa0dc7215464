"""Issue 12 item 4 on the run page: households whose bank payment failed are recorded as paid in
cash with the scan of the signed receipt list (the accountant), approved by a committee member;
the close form says it waits for the decision; refusals come back with their reason."""
from __future__ import annotations

import re

import pytest

from dividends.store.models import AuditEvent, CashPayment, LedgerEntry, PayoutItem, Run
from tests.web.flows import approved, bank_result_csv, registry_files
from tests.web.support import browser

pytestmark = pytest.mark.db

SCAN = b"\x89PNG\r\n\x1a\n" + b"signed" * 20


async def test_a_cash_payment_is_recorded_with_its_scan_and_approved_on_the_run_page(app, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    reg = registry_files(tmp_path)
    async with browser(app, "acc1") as acc, browser(app, "com1") as com, browser(app, "acc2") as other:
        run_id = await approved(acc, com, clock, reg)
        assert (await acc.post(f"/runs/{run_id}/pay", {"bank_format": "generic"})).status_code == 303
        assert 'id="cash-record"' not in (await acc.get(f"/runs/{run_id}")).text  # no bank result yet
        csv = await acc.get(f"/runs/{run_id}/batches/1.csv")
        households = sorted(set(re.findall(r"V\d{4}-\d{5}", csv.content.decode("utf-8-sig"))))
        failed = households[:2]
        await acc.post(f"/runs/{run_id}/bank-result", files={
            "result": ("result.csv", bank_result_csv(csv.content, set(failed)), "text/csv")})
        page = (await acc.get(f"/runs/{run_id}")).text
        form = page.split('id="cash-record"')[1].split("</form>")[0]
        assert re.findall(r'name="household_id" value="([^"]+)"', form) == failed
        assert 'id="cash-record"' not in (await com.get(f"/runs/{run_id}")).text

        scan = {"scan": ("签字表.png", SCAN, "image/png")}
        assert (await com.post(f"/runs/{run_id}/cash", {"household_id": failed[0]}, files=scan)).status_code == 403
        assert (await other.post(f"/runs/{run_id}/cash", {"household_id": failed[0]}, files=scan)).status_code == 404
        wrong = await acc.post(f"/runs/{run_id}/cash", {"household_id": households[5]}, files=scan)
        assert wrong.status_code in (400, 409) and "不能现金发放" in wrong.text
        text = await acc.post(f"/runs/{run_id}/cash", {"household_id": failed[0]},
                              files={"scan": ("list.txt", b"hello", "text/plain")})
        assert text.status_code in (400, 409) and "list.txt" in text.text
        assert await CashPayment.all().count() == 0

        assert re.findall(r"<tr><td>(V\d{4}-\d{5})</td>", (await acc.get(f"/runs/{run_id}/cash-list")).text) == failed
        done = await acc.post(f"/runs/{run_id}/cash", {"household_id": failed, "note": "村部现场发放"}, files=scan)
        assert done.status_code == 303 and done.headers["location"].endswith("#cash")
        payment = await CashPayment.get(run_id=run_id)
        twice = await acc.post(f"/runs/{run_id}/cash", {"household_id": failed[0]}, files=scan)
        assert twice.status_code in (400, 409) and "等待审批" in twice.text

        assert not re.findall(r"<tr><td>(V\d{4}-\d{5})</td>", (await acc.get(f"/runs/{run_id}/cash-list")).text)  # signed already
        page = (await acc.get(f"/runs/{run_id}")).text
        assert "李会计 已登记，等待另一位监委会成员审批" in page
        assert 'id="close-why"' in page and "正在等待村务监督委员会成员审批" in page  # closing waits for the decision
        assert (await acc.post(f"/runs/{run_id}/cash/{payment.id}/approve")).status_code == 403
        view = (await com.get(f"/runs/{run_id}")).text
        assert f'action="/runs/{run_id}/cash/{payment.id}/approve"' in view and f'id="cash-{payment.id}-why"' not in view
        got = await com.get(f"/runs/{run_id}/cash/{payment.id}/scan")
        assert got.status_code == 200 and got.content == SCAN and got.headers["content-type"] == "image/png"
        assert (await other.get(f"/runs/{run_id}/cash/{payment.id}/scan")).status_code == 404

        assert (await com.post(f"/runs/{run_id}/cash/{payment.id}/approve")).status_code == 303
        page = (await acc.get(f"/runs/{run_id}")).text
        assert "已审批（王监委），已记为已付" in page and 'id="cash-record"' not in page
        assert 'id="close-why"' not in page and "还有" not in page.split('id="close"')[1].split("</form>")[0]
        assert (await acc.post(f"/runs/{run_id}/close")).status_code == 303
    assert (await Run.get(id=run_id)).state == "closed"
    assert await PayoutItem.filter(run_id=run_id, household_id__in=failed, status="paid").count() == 2
    entry = await LedgerEntry.get(ref=f"cash:{payment.id}")
    assert entry.kind == "settlement"
    events = [e.action for e in await AuditEvent.filter(object_type="run", object_id=str(run_id)).order_by("id")]
    assert events.index("run.cash_recorded") < events.index("run.cash_paid") < events.index("run.close")


async def test_households_without_an_account_are_approved_for_cash_on_the_approval_form(app, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import polars as pl

    from tests.web.flows import RESOLUTION, publicized
    reg = registry_files(tmp_path)
    frame = pl.read_csv(reg.households, infer_schema=False)
    owed = frame.filter((pl.col("village_id") == "V0001") & (pl.col("shares").cast(pl.Int64) > 0))
    missing = owed["household_id"].sort().to_list()[:2]
    frame.with_columns(pl.when(pl.col("household_id").is_in(missing)).then(pl.lit("")).otherwise(pl.col("account_no"))
                       .alias("account_no")).write_csv(reg.households)
    async with browser(app, "acc1") as acc, browser(app, "com1") as com:
        run_id = await publicized(acc, reg)
        clock.advance(days=7)
        page = (await com.get(f"/runs/{run_id}")).text
        assert 'name="cash_without_account"' in page and "2 户无银行账号，以现金发放（签字领取）" in page
        assert 'id="approve-why"' not in page  # the checkbox is the way, not a disabled button
        refused = await com.post(f"/runs/{run_id}/approve", RESOLUTION)
        assert refused.status_code in (400, 409) and "以现金发放" in refused.text and missing[0] in refused.text
        assert (await Run.get(id=run_id)).state == "publicized"
        done = await com.post(f"/runs/{run_id}/approve", {**RESOLUTION, "cash_without_account": "1"})
        assert done.status_code == 303, done.text[-2000:]
        event = await AuditEvent.get(action="run.approve", object_id=str(run_id))
        assert event.detail["cash_without_account"] == missing
        assert (await acc.post(f"/runs/{run_id}/pay", {"bank_format": "generic"})).status_code == 303
        csv = (await acc.get(f"/runs/{run_id}/batches/1.csv")).content.decode("utf-8-sig")
        assert not any(h in csv for h in missing)
        assert sorted(await PayoutItem.filter(run_id=run_id, batch_id=None).values_list("household_id", flat=True)) == missing
        assert re.findall(r"<tr><td>(V\d{4}-\d{5})</td>", (await acc.get(f"/runs/{run_id}/cash-list")).text) == missing
