"""Sending a run's SMS notices from its page: estimate first, sending in the background,
delivery status, resend (the fake sender; the Twilio fake is in the browser test)."""
from __future__ import annotations

import asyncio

import pytest

from dividends.store.models import AuditEvent, Notice
from tests.web.flows import publicized, registry_files
from tests.web.support import browser

pytestmark = pytest.mark.db


async def _until_sent(app, run_id: int) -> None:  # type: ignore[no-untyped-def]
    """The embedded worker sends what the page queued (read back from the database)."""
    for _ in range(400):
        if not await Notice.filter(run_id=run_id, status__in=["queued", "sending"]).exists():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the worker did not send the notices")


async def test_the_estimate_comes_first_then_sending_then_the_status(app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    reg = registry_files(tmp_path)
    async with browser(app, "acc1") as acc:
        run_id = await publicized(acc, reg)
        before = await acc.get(f"/runs/{run_id}/notices")
        assert before.status_code == 200 and "发送前估算" in before.text and "计费条数" in before.text
        assert await Notice.filter(run_id=run_id).count() == 0  # looking costs nothing
        sent = await acc.post(f"/runs/{run_id}/notices/send", {"kind": "publicity"})
        assert sent.status_code == 303
        await _until_sent(app, run_id)
        after = await acc.get(f"/runs/{run_id}/notices")
    assert "发送完毕" in after.text and "已发出" in after.text
    assert await Notice.filter(run_id=run_id, kind="publicity", status="sent").count() > 0
    assert await AuditEvent.filter(action="notice.release", object_id=str(run_id)).exists()


async def test_an_auditor_sees_the_status_but_cannot_send(app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    reg = registry_files(tmp_path)
    async with browser(app, "acc1") as acc:
        run_id = await publicized(acc, reg)
    async with browser(app, "aud1") as aud:
        page = await aud.get(f"/runs/{run_id}/notices")
        assert page.status_code == 200 and 'id="send-publicity"' not in page.text
        refused = await aud.post(f"/runs/{run_id}/notices/send", {"kind": "publicity"})
    assert refused.status_code == 403


async def test_the_estimate_shows_each_providers_text_and_long_texts_need_a_confirmation(
        app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    reg = registry_files(tmp_path)
    app.state.settings = dataclasses.replace(
        app.state.settings, sms=dataclasses.replace(app.state.settings.sms, max_segments=1))
    async with browser(app, "acc1") as acc:
        run_id = await publicized(acc, reg)
        page = await acc.get(f"/runs/{run_id}/notices")
        assert page.status_code == 200
        assert "短信原文示例" in page.text and 'data-provider="aliyun"' in page.text
        assert 'data-provider="tencent"' in page.text and 'data-provider="twilio"' in page.text
        assert 'name="allow_long"' in page.text
        refused = await acc.post(f"/runs/{run_id}/notices/send", {"kind": "publicity"})
        assert refused.status_code in (400, 409) and "超过" in refused.text
        assert not await Notice.filter(run_id=run_id, next_try_at__isnull=False).exists()
        confirmed = await acc.post(f"/runs/{run_id}/notices/send", {"kind": "publicity", "allow_long": "1"})
        assert confirmed.status_code == 303
        await _until_sent(app, run_id)
    assert await Notice.filter(run_id=run_id, status="sent").exists()


async def test_the_period_statement_is_estimated_sent_and_counted_on_the_runs_notices_page(app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    reg = registry_files(tmp_path)
    async with browser(app, "acc1") as acc:
        run_id = await publicized(acc, reg)
        before = await acc.get(f"/runs/{run_id}/notices")
        assert 'id="estimate-period_statement"' in before.text and 'id="send-period_statement"' in before.text
        assert await Notice.filter(run_id=run_id).count() == 0
        sent = await acc.post(f"/runs/{run_id}/notices/send", {"kind": "period_statement"})
        assert sent.status_code == 303 and sent.headers["location"] == f"/runs/{run_id}/notices"
        await _until_sent(app, run_id)
        after = await acc.get(f"/runs/{run_id}/notices")
    sent_count = await Notice.filter(run_id=run_id, kind="period_statement", status="sent").count()
    assert sent_count > 0 and 'id="send-period_statement"' not in after.text  # nothing left to send
    assert f'data-kind="period_statement" data-status="sent">{sent_count}<' in after.text
