"""The in-memory fakes of tests/fake_store.py stay true to the repositories of dividends/store/:
each faked function has the store function's parameters, and the same payout scenarios (pay, a
bank result with a failure, the same file again, a follow-up batch, a cash payment, closing) give
the same answers on SQLite and on the fake."""
from __future__ import annotations

import importlib
import inspect
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from dividends import payouts, runs
from dividends.clock import FixedClock
from dividends.store import audit, cash, files
from dividends.store import ledger as ledger_store
from dividends.store import payouts as store
from dividends.store import transactions
from tests.dbsupport import clean_db, database_url, db  # noqa: F401  (fixtures)
from tests.dividends.support import sample_files
from tests.dividends.test_runs import approved_run
from tests.fake_store import FAKED, IMPORTED_BY, FakeStore


def _shape(function: Any) -> list[tuple[str, object, object]]:
    return [(p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()]


@pytest.mark.parametrize("module", sorted(FAKED))
def test_every_fake_has_the_parameters_of_the_store_function_it_stands_for(module: str) -> None:
    fake = FakeStore()
    real = importlib.import_module(module)
    for name in FAKED[module][1]:
        assert inspect.iscoroutinefunction(getattr(real, name)) == inspect.iscoroutinefunction(
            getattr(fake.repository(module), name)) or name == "transaction", f"{module}.{name}"
        assert _shape(getattr(fake.repository(module), name)) == _shape(getattr(real, name)), f"{module}.{name}"


def test_the_functions_imported_by_name_are_the_store_functions() -> None:
    """Installing patches a product module's own name for a store function: that name must be
    the store's function (else the fake would stand in for something else)."""
    origin = {name: module for module, (_, names) in FAKED.items() for name in names}
    for name, users in IMPORTED_BY.items():
        for user in users:
            assert getattr(importlib.import_module(user), name) is getattr(importlib.import_module(origin[name]), name)


async def test_installed_fakes_answer_instead_of_the_store(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeStore().install(monkeypatch)
    run = fake.add_run([("V0001001", 100)])
    assert (await runs.get_run(run.id)).id == run.id and await store.batch_count(run) == 0
    async with transactions.transaction():
        digest = await files.put_file("a.txt", b"a")
    assert await payouts.get_file(digest) == b"a" and fake.committed == 1


def _result(path: Path, rows: list[tuple[str, str]]) -> Path:
    path.write_text("户编号,状态,失败原因\n" + "".join(f"{h},{s},{'已销户' if s == '失败' else ''}\n" for h, s in rows),
                    encoding="utf-8-sig")
    return path


def _plain(detail: dict[str, Any]) -> dict[str, Any]:
    """An audit detail without the row ids (each store numbers its rows its own way)."""
    return {k: v.split(":")[0] if k == "ref" else v for k, v in detail.items() if k != "payment"}


async def _scenario(run_id: int, tmp_path: Path, clock: FixedClock) -> list[Any]:
    """What a store answers along one run's payment: every step through the use cases and the
    repository functions, ids left out (each store numbers its rows its own way)."""
    tmp_path.mkdir()
    seen: list[Any] = []
    first = await payouts.pay(run_id, "acc", clock=clock)
    run = first.run
    batch = first.batch
    seen.append(("pay", first.changed, run.state, batch.number, batch.items, batch.total_fen, batch.bank_format,
                 await files.file_name(batch.csv_file), await files.get_file(batch.csv_file)))
    households = sorted(h for h, _, _ in await store.item_rows(run))
    seen.append((await store.pending_count(run), await store.batch_count(run), (await store.last_batch(run)).number))
    path = _result(tmp_path / "r1.csv", [(households[0], "失败"), *[(h, "成功") for h in households[1:]]])
    done = await payouts.import_bank_result(run_id, path, "acc", clock=clock)
    seen.append(("result", done.batch, done.paid, done.failed, done.changed))
    again = await payouts.import_bank_result(run_id, path, "acc", clock=clock)
    seen.append(("again", again.paid, again.failed, again.changed))
    seen.append(sorted(await store.item_rows(run)))
    seen.append(await payouts.closing(run_id))
    clock.advance(days=1)
    follow = await payouts.pay(run_id, "acc", bank_format="psbc", clock=clock)
    seen.append(("follow", follow.batch.number, follow.batch.items, follow.batch.total_fen, follow.batch.bank_format,
                 await files.get_file(follow.batch.csv_file)))
    seen.append(((await store.first_batch(run)).number, (await store.batch_numbered(run, 2)).total_fen,
                 await store.pending_count(run), (await payouts.closing(run_id)).blocker))
    await payouts.import_bank_result(run_id, _result(tmp_path / "r2.csv", [(households[0], "失败")]), "acc", clock=clock)
    owed = await cash.owed_in_cash(run_id)
    seen.append({h: a for h, (_, a) in owed.items()})
    payment = await cash.prepare(run, [(h, i, a) for h, (i, a) in owed.items()], name="签字表.pdf",
                                 media_type="application/pdf", data=b"%PDF-1.4 signed", note="", actor="acc")
    seen.append((list(await cash.awaiting(run_id)), (await payouts.closing(run_id)).blocker.key,
                 [(h, a) for h, _, a in await cash.lines_of(payment.id)], (await cash.get(run_id, payment.id)).state))
    seen.append((await payouts.pay_in_cash(run_id, payment.id, "chair", clock=clock),
                 await payouts.pay_in_cash(run_id, payment.id, "chair", clock=clock)))
    seen.append((await cash.owed_in_cash(run_id), await cash.awaiting(run_id), await payouts.closing(run_id)))
    closed = await payouts.close(run_id, "chair", clock=clock)
    seen.append((closed.changed, closed.run.state, (await payouts.close(run_id, "chair", clock=clock)).changed))
    exported = await payouts.export_batch(run_id, 1, tmp_path / "out")
    seen.append([(p.name, p.read_bytes()) for p in exported])
    seen.append([(e.action, e.actor, _plain(e.detail)) for e in await audit.events("run", run_id)
                 if e.action.startswith(("run.pay", "run.bank_result", "run.cash", "run.close"))])
    seen.append([(e.kind, e.on, e.ref.split(":")[0], sorted(e.postings.rows()))
                 for e in await ledger_store.entries_of_run(run_id, ["settlement"])])
    seen.append(sorted(await store.item_rows(run)))
    return seen


@pytest.mark.db
async def test_the_same_payment_gives_the_same_answers_on_sqlite_and_on_the_fake(
        clean_db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    clock = FixedClock(datetime(2025, 1, 6, 2, 0, tzinfo=UTC))
    registry = sample_files(tmp_path / "reg", households=8, villages=1, seed=3)
    real = await approved_run(registry, clock)
    start = clock.now()
    lines = (await runs.lines_frame(real.id)).select("recipient_kind", "recipient_id", "amount_fen").rows()
    people = await runs.snapshot_households(real.snapshot)
    on_sqlite = await _scenario(real.id, tmp_path / "sqlite", clock)

    fake = FakeStore().install(monkeypatch)
    fake.add_run([], run_id=real.id, village=(real.village.code, real.village.name), period=real.period,
                 scheme_title=real.scheme.title, lines=lines, snapshot=people)
    on_fake = await _scenario(real.id, tmp_path / "fake", FixedClock(start))
    assert len(on_sqlite) == len(on_fake)
    for step, (a, b) in enumerate(zip(on_sqlite, on_fake, strict=True)):
        assert a == b, f"step {step}"
    assert on_sqlite[-1] and {h for h, _, s in on_sqlite[-1] if s == "paid"} == {h for h, _, _ in on_sqlite[-1]}
    assert sum(a for _, a, _ in on_sqlite[4]) == sum(a for k, _, a in lines if k == "household" and a > 0)
