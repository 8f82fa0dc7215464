"""``dividends notify ...`` end to end on the test database, with the file backend (dry run)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dividends.clock import FixedClock
from dividends.store.models import AuditEvent, Notice
from tests.dbsupport import ROOT, clean_db, database_url, db  # noqa: F401  (fixtures)
from tests.dividends.test_outbox_support import publicized_run, set_household
from tests.people import Person, cli, person

pytestmark = pytest.mark.db


def notify(database: str, outbox: Path, lang: str, *args: str, who: Person | None = None,
           token: bool = False) -> subprocess.CompletedProcess[str]:
    env = {"DATABASE_URL": database, "SMS_BACKEND": "file", "SMS_OUTBOX_FILE": str(outbox),
           "SMS_RATE_PER_SECOND": "1000"}
    return cli(who, "notify", *args, env=env, lang=lang, token=token)


async def test_estimate_send_and_status_from_the_command_line(clean_db: str, tmp_path: Path) -> None:
    run = await publicized_run(tmp_path, FixedClock(datetime.now(UTC)), households=10)
    assert not await Notice.filter(run_id=run.id).exists()
    await set_household(run, "V0001-00001", phone="")
    outbox = tmp_path / "outbox.jsonl"
    alice = await person("alice", "accountant", village="V0001", token=True)
    auditor = await person("aud1", "auditor", county="default")

    unsigned = notify(clean_db, outbox, "en", "estimate", str(run.id), "--kind", "publicity")
    assert unsigned.returncode == 4 and "sign in" in unsigned.stderr and "Traceback" not in unsigned.stderr
    estimate = notify(clean_db, outbox, "zh", "estimate", str(run.id), "--kind", "publicity", who=auditor)
    assert estimate.returncode == 0, estimate.stderr
    assert "尚未准备" in estimate.stdout and "待发送短信" in estimate.stdout

    looked = notify(clean_db, outbox, "en", "send", str(run.id), "--kind", "publicity", "--yes", who=auditor)
    assert looked.returncode == 5 and "may not prepare texts" in looked.stderr, looked.stderr
    asked = notify(clean_db, outbox, "en", "send", str(run.id), "--kind", "publicity", who=alice, token=True)
    assert asked.returncode == 0, asked.stderr
    assert "Run again with --yes" in asked.stdout and not outbox.exists()
    assert await Notice.filter(run_id=run.id, status="queued").count() == 9

    queued = notify(clean_db, outbox, "en", "send", str(run.id), "--yes", who=alice)
    assert queued.returncode == 0, queued.stderr
    assert "9 notice(s) queued for the worker" in queued.stdout and not outbox.exists()
    assert await AuditEvent.filter(action="notice.release", actor="alice").count() == 1

    sent = notify(clean_db, outbox, "en", "send", str(run.id), "--yes", "--here", who=alice, token=True)
    assert sent.returncode == 0, sent.stderr
    assert "sent 9 " in sent.stdout
    lines = [json.loads(line) for line in outbox.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 9 and all("****" in line["to"] for line in lines)
    assert await AuditEvent.filter(action="notice.send", actor="alice").count() == 1

    status = notify(clean_db, outbox, "zh", "status", str(run.id), who=auditor)
    assert status.returncode == 0, status.stderr
    assert "已发出" in status.stdout and "无手机号" in status.stdout and "没有未送达的通知" in status.stdout
    nothing = notify(clean_db, outbox, "en", "resend-failed", str(run.id), "--kind", "publicity", who=alice)
    assert nothing.returncode == 0 and "no failed 'publicity' notices" in nothing.stdout
    wrong = notify(clean_db, outbox, "en", "prepare", str(run.id), "--kind", "payment_failed", who=alice)
    assert wrong.returncode == 2 and "needs: paid / closed" in wrong.stderr


def test_templates_lists_each_template_its_approval_and_each_providers_text() -> None:
    from support.fake_provider import TEMPLATES_FILE

    env = {**os.environ, "SMS_SIGNATURE": "青山镇人民政府", "SMS_TEMPLATES_FILE": str(TEMPLATES_FILE),
           "DIVIDENDS_LANG": "en", "COLUMNS": "250"}
    done = subprocess.run([sys.executable, "-m", "dividends", "notify", "templates"], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "SMS_460000102" in out and "1900102" in out and "pending" in out and "rejected" in out
    assert "{1}{2}户：{3}年度" in out and "${village}${household}户" in out
    assert "【青山镇人民政府】青山村张*明户" in out and "Tencent Cloud SMS allows at most 6" in out
    broken = subprocess.run([sys.executable, "-m", "dividends", "notify", "templates"], capture_output=True,
                            text=True, env={**env, "SMS_TEMPLATES_FILE": str(ROOT / "README.md")}, cwd=ROOT,
                            timeout=120)
    assert broken.returncode == 2 and "README.md" in broken.stderr and "Traceback" not in broken.stderr
