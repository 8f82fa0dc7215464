"""Shared helpers of the outbox and webhook tests (no tests here): runs in a given state, the
households' phones, a webhook app, and uvicorn serving an app on this test's event loop."""
from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette

from dividends import payouts, runs
from dividends.clock import FixedClock, today
from dividends.imports import import_registry
from notify.phones import to_e164
from dividends.settings import Settings
from dividends.store.models import Household, PayoutItem, Run
from dividends.web.webhooks import webhook_routes
from support.fake_twilio import FAKE_AUTH_TOKEN
from tests.dividends.support import sample_files

START = datetime(2025, 1, 6, 2, 0, tzinfo=UTC)  # 10:00 in China, 6 January 2025
PUBLIC_URL = "https://dividends.example.org"


async def publicized_run(tmp_path: Path, clock: FixedClock, *, households: int = 12, seed: int = 3,
                         scheme: str = "shareholding") -> Run:
    """A run of village V0001 on public notice from today (China) for seven days."""
    files = sample_files(tmp_path / f"reg-{seed}", households=households, villages=1, seed=seed)
    await import_registry(files.households, period=2024, actor="accountant", posts=files.posts, members=files.members,
                          reference_date=date(2025, 1, 1))
    run = await runs.create_run("V0001", 2024, scheme, "accountant", amount_yuan="50000")
    await runs.compute_run(run.id, "accountant", clock)
    start = today(clock)
    await runs.publicize(run.id, start, start + timedelta(days=6), "accountant", clock)
    return await runs.get_run(run.id)


async def paid_run(tmp_path: Path, clock: FixedClock, *, failed: int = 1, reason: str = "账户已销户",
                   households: int = 12) -> tuple[Run, list[str], list[str]]:
    """A paid run whose bank result marks the first ``failed`` households failed: (run, paid, failed)."""
    run = await publicized_run(tmp_path, clock, households=households)
    clock.advance(days=7)
    await runs.approve(run.id, "chair", clock)
    await payouts.pay(run.id, "accountant", clock=clock)
    items = await PayoutItem.filter(run_id=run.id).order_by("household_id").values_list("household_id", flat=True)
    bad, good = list(items[:failed]), list(items[failed:])
    result = tmp_path / "bank-result.csv"
    result.write_text("户编号,状态,失败原因\n" + "".join(f"{h},失败,{reason}\n" for h in bad)
                      + "".join(f"{h},成功,\n" for h in good), encoding="utf-8-sig")
    await payouts.import_bank_result(run.id, result, "accountant", clock=clock)
    return await runs.get_run(run.id), good, bad


async def phones(run: Run) -> dict[str, str]:
    """household id -> E.164 phone (households with a mobile only)."""
    rows = await Household.filter(snapshot_id=run.snapshot.id).values_list("household_id", "phone")
    return {h: e for h, p in rows if (e := to_e164(p))}


async def set_household(run: Run, household_id: str, **values: Any) -> None:
    await Household.filter(snapshot_id=run.snapshot.id, household_id=household_id).update(**values)


def settings(public_url: str = PUBLIC_URL, *, token: str | None = FAKE_AUTH_TOKEN, **env: str) -> Settings:
    values = {"PUBLIC_BASE_URL": public_url, "SMS_BACKEND": "console", "DIVIDENDS_LANG": "en", **env}
    if token is not None:
        values["TWILIO_AUTH_TOKEN"] = token
    return Settings.from_env(values)


def webhook_app(app_settings: Settings, clock: FixedClock) -> Starlette:
    app = Starlette(routes=webhook_routes())
    app.state.settings = app_settings
    app.state.clock = clock
    return app


@contextlib.asynccontextmanager
async def serve_here(app: Any) -> AsyncIterator[str]:
    """Serve ``app`` with uvicorn on 127.0.0.1 in *this* event loop (so it shares the test's
    database connection); yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(512)
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()
