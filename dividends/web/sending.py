"""The web app's embedded SMS worker (``SMS_EMBEDDED_WORKER``, on by default): the same
:func:`dividends.outbox.worker.run_worker` that ``dividends notify worker`` runs, as a task of the
app's lifespan, so a deployment on SQLite needs no second process.

Pages only queue notices (prepare and release); what the worker did is read back from the
database, so any web process, with or without a worker of its own, shows the same progress.
Where a worker service runs (``docker/compose.yaml``), set ``SMS_EMBEDDED_WORKER=false``.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging

from dividends.clock import Clock
from dividends.outbox.worker import run_worker
from notify.senders import Sender
from notify.settings import SmsSettings

log = logging.getLogger(__name__)


class EmbeddedWorker:
    def __init__(self) -> None:
        self.task: asyncio.Task[None] | None = None
        self.stop_event = asyncio.Event()

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    def start(self, sender: Sender, settings: SmsSettings, clock: Clock) -> None:
        async def work() -> None:
            try:
                await run_worker(sender, settings, clock, stop=self.stop_event, poll_seconds=10.0)
            except Exception:  # noqa: BLE001 - the notices keep their fates; the page shows the queue
                log.exception("the embedded SMS worker stopped")

        self.task = asyncio.create_task(work(), name="sms-worker")

    async def stop(self) -> None:
        self.stop_event.set()
        if self.task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self.task, 30)
        self.task = None
