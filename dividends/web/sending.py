"""Sending a run's SMS notices from a page: the dispatch runs in the background of the server
(the page shows its progress and reloads itself), one dispatch per run and kind at a time.

The sending itself is :func:`dividends.outbox.dispatcher.dispatch` with the app's sender; this
module only keeps track of the tasks so the lifespan can stop them before the database closes.
"""
from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

from dividends.clock import Clock
from dividends.outbox.dispatcher import DispatchReport, dispatch, record_dispatch
from notify.senders import Sender
from notify.settings import SmsSettings


@dataclass
class Progress:
    done: int = 0
    total: int = 0
    finished: bool = False
    report: DispatchReport | None = None
    error: str | None = None


@dataclass
class Dispatches:
    tasks: dict[tuple[int, str], asyncio.Task[None]] = field(default_factory=dict)
    progress: dict[tuple[int, str], Progress] = field(default_factory=dict)

    def running(self, run_id: int, kind: str) -> bool:
        task = self.tasks.get((run_id, kind))
        return task is not None and not task.done()

    def start(self, run_id: int, kind: str, actor: str, sender: Sender, settings: SmsSettings, clock: Clock) -> bool:
        """Start sending (False: a dispatch of this run and kind is running already)."""
        key = (run_id, kind)
        if self.running(run_id, kind):
            return False
        state = self.progress[key] = Progress()

        def tick(done: int, total: int) -> None:
            state.done, state.total = done, total

        async def work() -> None:
            try:
                report = await dispatch(sender, settings, clock, run_id=run_id, kind=kind, progress=tick,
                                        idle_wait_seconds=0.0)
                state.report = report
                await record_dispatch(run_id, kind, actor, report)
            except Exception as error:  # noqa: BLE001 - shown on the page; the notices keep their fates
                state.error = type(error).__name__
            finally:
                state.finished = True

        self.tasks[key] = asyncio.create_task(work(), name=f"dispatch-{run_id}-{kind}")
        return True

    async def stop(self) -> None:
        for task in self.tasks.values():
            task.cancel()
        for task in self.tasks.values():
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self.tasks.clear()
