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


# ----------------------------------------------------------------------------- the outbox


def test_the_fake_outbox_has_the_parameters_of_every_outbox_store_function() -> None:
    from dividends.store import outbox
    from tests.fake_outbox import OUTBOX_FAKED, FakeOutbox

    fake = FakeOutbox()
    stored = {name for name, f in vars(outbox).items()
              if inspect.iscoroutinefunction(f) and f.__module__ == outbox.__name__ and not name.startswith("_")}
    assert stored == set(OUTBOX_FAKED), "every repository function of dividends.store.outbox is faked"
    for name in OUTBOX_FAKED:
        assert inspect.iscoroutinefunction(getattr(fake, name)), name
        assert _shape(getattr(fake, name)) == _shape(getattr(outbox, name)), name


def _moment(at: datetime | None) -> datetime | None:
    return None if at is None else at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)


async def _dispatch_scenario(run_id: int, ids: list[int], phones: list[str], template: str, clock: FixedClock,
                             monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """What the outbox's store answers along a small dispatch: an opt-out, a daily limit, a
    throttled send retried, a permanent refusal, an unknown outcome looked up, a receipt."""
    import random

    from dividends.clock import CHINA
    from dividends.outbox.dispatcher import dispatch, next_morning
    from dividends.outbox.receipts import apply_receipt
    from dividends.store import outbox
    from notify import retry
    from notify.senders import Receipt
    from notify.settings import SmsSettings
    from support.fake_sender import FailPermanent, FailRetryable, FailUnknown, FakeSender

    monkeypatch.setattr(retry, "_RNG", random.Random(5))
    monkeypatch.setattr(outbox, "_RNG", random.Random(6))
    sms = SmsSettings(backend="console", public_base_url="https://dividends.example.org", rate_per_second=1000,
                      daily_limit=1)
    sender = FakeSender(clock=clock.now)
    sender.fail_for(phones[2], FailRetryable(retry_after_ms=5_000), times=1)
    sender.fail_for(phones[3], FailPermanent(21211))
    sender.fail_for(phones[4], FailUnknown(created=True), times=1)
    scope = outbox.Scope(run_id)
    seen: list[Any] = []

    async def look(step: str, report: Any = None) -> None:
        notices = [await outbox.notice_by_id(i) for i in ids]
        midnight = datetime.combine(clock.now().astimezone(CHINA).date(), datetime.min.time(), CHINA)
        queued, doubt, first = await outbox.waiting(scope)
        figures = None if report is None else (
            report.sent, report.resent, report.recovered, report.failed, report.opted_out, report.retry_scheduled,
            report.in_doubt, report.released, report.lookups, report.held_for_tomorrow, report.queued_after,
            report.in_doubt_after, _moment(report.next_due), report.codes)
        seen.append((step, figures, [(n.status, n.tries, n.sid) for n in notices if n is not None],
                     await outbox.progress(run_id), (queued, doubt, _moment(first)),
                     await outbox.due(scope, clock.now()), dict(await outbox.sent_today(phones, template, midnight)), sorted(await outbox.opted_out(phones))))

    await look("prepared")
    await look("first", await dispatch(sender, sms, clock, run_id=run_id, concurrency=1))
    clock.advance(seconds=10)
    await look("retried", await dispatch(sender, sms, clock, run_id=run_id, concurrency=1))
    delivered = await outbox.notice_by_id(ids[5])
    assert delivered is not None and delivered.sid
    seen.append(await apply_receipt(Receipt("console", delivered.sid, "", phones[5], "delivered"), clock,
                                    wait_seconds=0))
    seen.append(await apply_receipt(Receipt("console", delivered.sid, "", phones[5], "undelivered"), clock,
                                    wait_seconds=0))
    await look("receipts")
    clock.at = next_morning(clock.now())
    await look("next morning", await dispatch(sender, sms, clock, run_id=run_id, concurrency=1))
    seen.append(([(s.to, s.reference) for s in sender.attempts], [m.sid for m in sender.messages]))
    return seen


@pytest.mark.db
async def test_the_same_dispatch_gives_the_same_answers_on_sqlite_and_on_the_fake_outbox(
        clean_db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from dividends.store.models import Notice, OptOut
    from tests.dividends.test_outbox_support import START, publicized_run, queued
    from tests.fake_outbox import FakeOutbox

    clock = FixedClock(START)
    run = await publicized_run(tmp_path, clock, households=10)
    await queued(run.id, "publicity", "accountant", clock)
    first = await Notice.filter(run_id=run.id, status="queued").order_by("id").first()
    assert first is not None
    ids = list(await Notice.filter(run_id=run.id, status="queued").order_by("id").limit(7).values_list("id", flat=True))
    assert len(ids) == 7
    await Notice.filter(id__in=ids).update(template=first.template)  # one template: one daily count per number
    twin = await Notice.get(id=ids[1])
    await Notice.filter(id=ids[6]).update(phone=twin.phone)  # two notices, one number: the daily limit
    await OptOut.create(phone=(await Notice.get(id=ids[0])).phone, opted_out=True, source="test")  # after prepare
    rows = await Notice.filter(run_id=run.id).order_by("id").values(
        "id", "household_id", "phone", "body", "kind", "attempt", "lang", "segments", "status", "tries",
        "next_try_at", "provider", "template", "params")
    by_id = {r["id"]: r for r in rows}
    phones = [by_id[i]["phone"] for i in ids]
    assert len(set(phones)) == 6
    opt_outs = await OptOut.filter(opted_out=True).values_list("phone", flat=True)
    on_sqlite = await _dispatch_scenario(run.id, ids, phones, first.template, FixedClock(START), monkeypatch)

    fake = FakeOutbox().install(monkeypatch)
    for r in rows:
        fake.add_notice(r["phone"], r["body"], run_id=run.id, household_id=r["household_id"], due=r["next_try_at"],
                        notice_id=r["id"], **{k: r[k] for k in ("kind", "attempt", "lang", "segments", "status",
                                                                  "tries", "provider", "template", "params")})
    for phone in opt_outs:
        fake.opt_out(phone)
    on_fake = await _dispatch_scenario(run.id, ids, phones, first.template, FixedClock(START), monkeypatch)
    assert len(on_sqlite) == len(on_fake)
    for step, (a, b) in enumerate(zip(on_sqlite, on_fake, strict=True)):
        assert a == b, f"step {step}"
    statuses = [s for s, _, _ in on_sqlite[-2][2]]
    assert statuses[:6] == ["opted_out", "sent", "sent", "failed", "sent", "delivered"], statuses
    assert on_sqlite[1][1][9] == 1 and statuses[6] == "sent"  # held for the morning, then sent
    assert on_sqlite[-2][6] == {phones[1]: 1}  # sent at 08:00 in China counts for that day (a UTC comparison)
