"""Issue 12, item 4 ("no dead ends") for posted runs: a committee member (or the accountant)
reverses a run from its page, another committee member approves the reversal on the reversal's
page, and the accountant prepares the correction run from the reversed run's page. Each button a
role may not use yet says why; each POST refuses the same way."""
from __future__ import annotations

import re

import pytest

from dividends.store.models import AuditEvent, Run
from tests.web.flows import approved, registry_files
from tests.web.support import browser

pytestmark = pytest.mark.db


def _why(page: str, slug: str) -> str:
    found = re.search(rf'id="{slug}-why">(.*?)</p>', page, re.S)
    return found.group(1) if found else ""


async def test_a_posted_run_is_reversed_approved_by_another_member_and_corrected(app, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    reg = registry_files(tmp_path)
    async with browser(app, "acc1") as acc, browser(app, "com1") as com, browser(app, "com1b") as other, \
            browser(app, "aud1") as aud:
        run_id = await approved(acc, com, clock, reg)
        page = (await com.get(f"/runs/{run_id}")).text
        assert f'action="/runs/{run_id}/reverse"' in page and "冲销原因" in page
        assert f'action="/runs/{run_id}/reverse"' not in (await aud.get(f"/runs/{run_id}")).text
        assert (await aud.post(f"/runs/{run_id}/reverse", {"reason": "x"})).status_code == 403

        no_reason = await com.post(f"/runs/{run_id}/reverse", {"reason": " "})
        assert no_reason.status_code == 400
        prepared = await com.post(f"/runs/{run_id}/reverse", {"reason": "收益金额登记错误"})
        assert prepared.status_code == 303
        mirror_id = int(re.fullmatch(r"/runs/(\d+)", prepared.headers["location"]).group(1))  # type: ignore[union-attr]
        assert mirror_id != run_id and (await Run.get(id=run_id)).state == "approved"  # nothing posted yet

        # the original says a reversal waits, and where; reversing again is not offered
        page = (await com.get(f"/runs/{run_id}")).text
        assert f'href="/runs/{mirror_id}"' in page and f"批次 {mirror_id}" in page
        assert f'action="/runs/{run_id}/reverse"' not in page and "等待另一位村委成员审批" in _why(page, "reverse")

        # the preparer may not approve: the button says why, the POST refuses
        page = (await com.get(f"/runs/{mirror_id}")).text
        assert f"分配批次 {run_id} 的冲销" in page
        assert f'action="/runs/{mirror_id}/approve-reversal"' not in page and _why(page, "approve-reversal")
        assert (await com.post(f"/runs/{mirror_id}/approve-reversal")).status_code in (400, 403, 409)
        # the accountant's role does not approve reversals at all
        assert (await acc.post(f"/runs/{mirror_id}/approve-reversal")).status_code == 403
        assert (await Run.get(id=run_id)).state == "approved"

        page = (await other.get(f"/runs/{mirror_id}")).text
        assert f'action="/runs/{mirror_id}/approve-reversal"' in page
        assert (await other.post(f"/runs/{mirror_id}/approve-reversal")).status_code == 303
        assert (await Run.get(id=run_id)).state == "reversed"
        page = (await other.get(f"/runs/{mirror_id}")).text
        assert "赵监委" in page and f'action="/runs/{mirror_id}/approve-reversal"' not in page
        event = await AuditEvent.get(object_type="run", object_id=str(run_id), action="run.reverse")
        assert event.actor == "com1b" and event.detail["reason"] == "收益金额登记错误"

        # the reversed run offers the accountant its correction, the committee nothing to do
        page = (await acc.get(f"/runs/{run_id}")).text
        assert f'action="/runs/{run_id}/correct"' in page and 'value="shareholding" selected' in page
        assert f'action="/runs/{run_id}/correct"' not in (await com.get(f"/runs/{run_id}")).text
        assert (await com.post(f"/runs/{run_id}/correct", {"scheme": "shareholding"})).status_code == 403
        assert (await acc.post(f"/runs/{run_id}/correct", {"scheme": "no-such-scheme"})).status_code == 400
        created = await acc.post(f"/runs/{run_id}/correct", {"scheme": "shareholding"})
        assert created.status_code == 303
        correction_id = int(re.fullmatch(r"/runs/(\d+)", created.headers["location"]).group(1))  # type: ignore[union-attr]
        correction = await Run.get(id=correction_id)
        assert correction.kind == "correction" and correction.replaces_id == run_id and correction.state == "draft"
        assert f"替换已冲销的批次 {run_id}" in (await acc.get(f"/runs/{correction_id}")).text

        page = (await acc.get(f"/runs/{run_id}")).text
        assert f"已由更正批次 {correction_id} 替换" in page and f'action="/runs/{run_id}/correct"' not in page
        assert f"已有更正批次 {correction_id}" in _why(page, "correct")
        again = await acc.post(f"/runs/{run_id}/correct", {"scheme": "shareholding"})
        assert again.status_code in (400, 409) and f"已有更正批次 {correction_id}" in again.text


async def test_a_reversal_cannot_itself_be_reversed_nor_a_live_run_corrected(app, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    reg = registry_files(tmp_path)
    async with browser(app, "acc1") as acc, browser(app, "com1") as com, browser(app, "com1b") as other:
        run_id = await approved(acc, com, clock, reg)
        refused = await acc.post(f"/runs/{run_id}/correct", {"scheme": "shareholding"})
        assert refused.status_code in (400, 409) and "只能替换已冲销的分配批次" in refused.text
        mirror = await acc.post(f"/runs/{run_id}/reverse", {"reason": "名册有误"})  # the accountant may prepare it
        mirror_id = int(re.fullmatch(r"/runs/(\d+)", mirror.headers["location"]).group(1))  # type: ignore[union-attr]
        assert (await other.post(f"/runs/{mirror_id}/approve-reversal")).status_code == 303
        again = await com.post(f"/runs/{mirror_id}/reverse", {"reason": "x"})
        assert again.status_code in (400, 409) and "冲销批次" in again.text
        assert f'action="/runs/{mirror_id}/reverse"' not in (await com.get(f"/runs/{mirror_id}")).text
