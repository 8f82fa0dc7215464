"""The in-memory fakes of tests/fake_store.py stay true to the repositories of dividends/store/:
each faked function has the store function's parameters, and the same payout scenarios (pay, a
bank result with a failure, the same file again, a follow-up batch, a cash payment, closing) give
the same answers on SQLite and on the fake."""
from __future__ import annotations

import importlib
import inspect
import re
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


# ---------------------------------------------------------------------------- the run rules


RUN_KEYS = ("run", "reversal", "source", "reverses", "correction", "replaces")
"""The message and audit parameters that name a run (by its role in the scenario, not its id)."""


def _rendered(value: Any, ids: dict[int, str], key: str = "") -> Any:
    """A message parameter as the reader sees it; a run id as its role in the scenario."""
    from schemes.i18n import Msg

    if isinstance(value, Msg):
        return value.text("en")
    if isinstance(value, (list, tuple)):
        return [_rendered(v, ids, key) for v in value]
    if key in RUN_KEYS and isinstance(value, int) and not isinstance(value, bool) and value in ids:
        return ids[value]
    return value


def _said(msg: Any, ids: dict[int, str]) -> tuple[str, dict[str, Any]]:
    """A message: its key and its parameters (run ids by their role: each store numbers its own)."""
    return msg.key, {k: _rendered(v, ids, k) for k, v in sorted(msg.params.items())}


async def _attempt(call: Any, ids: dict[int, str], summary: Any = None) -> Any:
    """What a use case answers: its result summarised, or its refusal (key and parameters)."""
    from dividends.refusals import Forbidden, NotAllowed
    from schemes.problems import InputError

    try:
        result = await call
    except InputError as refused:
        return [("refused", *_said(p.msg, ids)) for p in refused.problems]
    except Forbidden as refused:
        return ("forbidden", refused.msg.text("en"))
    except NotAllowed as refused:
        return ("not found", _rendered(refused.what, ids, "run"))
    return summary(result) if summary is not None else result


def _run_seen(run: Any) -> tuple[Any, ...]:
    return (run.state, run.kind, run.pool_fen, run.prepared_by, run.approved_by, run.content_hash, run.lines,
            run.notice_start, run.notice_end, run.correction_needed)


def _outcome(outcome: Any) -> tuple[Any, ...]:
    return (outcome.changed, *_run_seen(outcome.run))


def _detail(detail: dict[str, Any], ids: dict[int, str]) -> dict[str, Any]:
    """An audit detail as stored (JSON), row ids of decisions left out, run ids by their role."""
    import json

    stored = json.loads(json.dumps(detail, default=str))
    return {k: _rendered(v, ids, k) for k, v in sorted(stored.items()) if k != "decision"}


async def _run_scenario(village: str, clock: FixedClock, people: dict[str, Any]) -> list[Any]:
    """A run's whole life through the use cases of dividends/usecases/runs.py and objections.py,
    each rule tried against the wrong person, state or time first: what a store answers."""
    from dataclasses import replace as changed
    from datetime import date, timedelta

    from dividends.approval import ApprovalRules, Resolution
    from dividends.store import approvals
    from dividends.store import runs as run_store
    from dividends.usecases import objections
    from dividends.usecases import runs as cases

    acc, com, preparer, town, aud, stranger = (people[k] for k in ("acc", "com", "preparer", "town", "aud",
                                                                    "stranger"))
    ids: dict[int, str] = {}
    seen: list[Any] = []

    async def step(name: str, call: Any, summary: Any = None) -> Any:
        seen.append((name, await _attempt(call, ids, summary)))
        return seen[-1][1]

    async def blockers(actor: Any) -> None:
        found = await cases.blockers(actor, run_id, clock, rules=review)
        seen.append(("blockers", actor.username, {a: _said(m, ids) if m else None for a, m in found.items()}))

    review = ApprovalRules(review_counties=frozenset({"*"}))
    await step("create, committee", cases.create(com, village, 2024, "shareholding", amount_yuan="50000"))
    await step("create, another village", cases.create(stranger, village, 2024, "shareholding", amount_yuan="50000"))
    await step("create, unknown village", cases.create(acc, "V9999", 2024, "shareholding", amount_yuan="50000"))
    await step("create, no registry", cases.create(acc, village, 2023, "shareholding", amount_yuan="50000"))
    await step("create, no return", cases.create(acc, village, 2024, "shareholding"))
    draft = await cases.create(acc, village, 2024, "shareholding", amount_yuan="50000")
    run_id = draft.id
    ids[run_id] = "run"
    seen.append(("create", _run_seen(draft), draft.scheme.scheme_id, draft.asset_return.asset,
                 draft.asset_return.amount_fen))
    await step("create again", cases.create(acc, village, 2024, "shareholding"))
    await step("create with another amount", cases.create(acc, village, 2024, "shareholding", amount_yuan="40000"))
    await step("correct a live run", cases.correct(acc, run_id, "shareholding"))
    await step("show, another village", cases.show(stranger, run_id))
    await step("compute, committee", cases.compute(com, run_id, clock))
    await step("compute", cases.compute(acc, run_id, clock), _outcome)
    await step("compute again", cases.compute(acc, run_id, clock), _outcome)
    lines = await runs.lines_frame(run_id)
    owed = sorted(h for k, h, a, _ in lines.rows() if k == "household" and a > 0)
    seen.append(("lines", sorted((k, h, a) for k, h, a, _ in lines.rows())))
    await blockers(acc)
    await step("approve a computed run", cases.approve(com, run_id, clock))
    await step("return without a reason", cases.return_run(com, run_id, " ", clock))
    await step("return, accountant", cases.return_run(acc, run_id, "人口数不对", clock))
    await step("return", cases.return_run(com, run_id, "人口数不对", clock), _run_seen)
    seen.append(("returned", await approvals.was_returned(run_id), await run_store.line_rows(run_id)))
    await step("publicize a draft", cases.publicize(acc, run_id, clock=clock))
    await step("compute after the return", cases.compute(acc, run_id, clock), _outcome)
    today = clock.now().date()
    await step("publicize from yesterday", cases.publicize(acc, run_id, today - timedelta(days=1), clock=clock))
    await step("publicize for six days", cases.publicize(acc, run_id, today, today + timedelta(days=5), clock=clock))
    await step("publicize, committee", cases.publicize(com, run_id, clock=clock))
    await step("publicize", cases.publicize(acc, run_id, clock=clock), _outcome)
    await step("publicize again", cases.publicize(acc, run_id, clock=clock), _outcome)
    await step("object for a stranger household", objections.record(acc, run_id, "X9999999", "不对", clock=clock))
    recorded = await objections.record(com, run_id, owed[0], " 人口数不对 ", channel="cli", clock=clock)
    objection_id = recorded.id
    seen.append(("object", (recorded.household_id, recorded.text, recorded.channel, recorded.recorded_by,
                            recorded.status)))
    good = Resolution(today + timedelta(days=7), entitled=30, present=21, votes_for=15, votes_against=4, abstaining=2)
    clock.advance(days=7)
    await step("approve with an open objection", cases.approve(com, run_id, clock, good))
    await step("resolve, accountant", objections.resolve(acc, objection_id, "已核实"))
    from dividends.refusals import NotAllowed
    try:
        await objections.resolve(com, objection_id, "已核实", run_id=run_id + 1)
    except NotAllowed as refused:
        seen.append(("resolve, another run", "not found", refused.what == objection_id))
    await step("resolve", objections.resolve(com, objection_id, " 已核实 ", clock=clock),
               lambda o: (o.status, o.resolution, o.resolved_by, o.resolved_at))
    await step("resolve again", objections.resolve(com, objection_id, "又核实", clock=clock),
               lambda o: (o.status, o.resolution, o.resolved_by))
    await step("object after the notice period", objections.record(acc, run_id, owed[1], "晚了", clock=clock))
    clock.advance(days=-1)  # the last day of the notice period
    await step("approve on the notice's last day", cases.approve(
        com, run_id, clock, changed(good, meeting_date=today + timedelta(days=6))))
    clock.advance(days=1)
    await step("approve without a resolution", cases.approve(com, run_id, clock))
    await step("approve without a quorum", cases.approve(com, run_id, clock, changed(good, present=19, votes_for=13)))
    await step("approve on a later meeting", cases.approve(com, run_id, clock,
                                                           changed(good, meeting_date=today + timedelta(days=8))))
    await step("approve another content", cases.approve(com, run_id, clock, changed(good, content_hash="0" * 64)))
    await step("approve before the review", cases.approve(com, run_id, clock, good, review))
    await step("review, committee", cases.review(com, run_id, filing_number="F-1", clock=clock))
    await step("review", cases.review(town, run_id, filing_number=" 农经备 2025-1 ", note="同意", clock=clock), _run_seen)
    seen.append(("decisions", await _attempt(cases.decisions(aud, run_id), ids)))
    await blockers(com)
    await blockers(preparer)
    await step("approve one's own run", cases.approve(preparer, run_id, clock, good, review))
    await step("approve, accountant", cases.approve(acc, run_id, clock, good, review))
    await step("approve, auditor", cases.approve(aud, run_id, clock, good, review))
    content = (await runs.get_run(run_id)).content_hash
    await step("approve", cases.approve(com, run_id, clock, changed(good, content_hash=content), review), _outcome)
    await step("approve again", cases.approve(com, run_id, clock, good, review), _outcome)
    seen.append(("resolution", {k: _rendered(v, ids, k) for k, v in (await approvals.resolution_of(run_id) or {}).items()}))
    await step("cancel an approved run", cases.cancel(acc, run_id, "算错了", clock))
    await step("return an approved run", cases.return_run(com, run_id, "算错了", clock))
    await step("reverse without a reason", cases.reverse(acc, run_id, "  ", clock))
    await step("reverse, auditor", cases.reverse(aud, run_id, "算错了", clock))
    mirror = await step("reverse", cases.reverse(acc, run_id, " 算错了 ", clock), lambda m: m)
    ids[mirror.id] = "reversal"
    seen[-1] = ("reverse", _run_seen(mirror), mirror.reverses_id == run_id,
                {k: _rendered(v, ids, k) for k, v in mirror.manifest.items()})
    await step("reverse again", cases.reverse(com, run_id, "又错了", clock), lambda m: ids.get(m.id))
    await step("links", cases.reversal(acc, run_id), lambda r: {k: _rendered(v, ids, "run") for k, v in vars(r).items()})
    await blockers(com)
    await step("approve the reversal of the run", cases.approve_reversal(com, run_id, clock))
    await step("approve one's own reversal", cases.approve_reversal(preparer, mirror.id, clock))
    await step("approve the reversal, accountant", cases.approve_reversal(acc, mirror.id, clock))
    await step("approve the reversal", cases.approve_reversal(com, mirror.id, clock), _run_seen)
    await step("approve the reversal again", cases.approve_reversal(preparer, mirror.id, clock), _run_seen)
    await step("the run", cases.show(aud, run_id), _run_seen)
    await step("links after", cases.reversal(aud, run_id), lambda r: {k: _rendered(v, ids, "run") for k, v in vars(r).items()})
    await step("cancel the reversal", cases.cancel(acc, mirror.id, "不要", clock))
    await step("correct, committee", cases.correct(com, run_id, "shareholding"))
    correction = await cases.correct(acc, run_id, "shareholding")
    ids[correction.id] = "correction"
    seen.append(("correct", _run_seen(correction), correction.replaces_id == run_id))
    await step("correct again", cases.correct(acc, run_id, "shareholding"))
    await step("links with a correction", cases.reversal(aud, run_id),
               lambda r: {k: _rendered(v, ids, "run") for k, v in vars(r).items()})
    await step("cancel the correction", cases.cancel(acc, correction.id, "方案选错", clock), _outcome)
    again = await cases.correct(acc, run_id, "shareholding")
    ids[again.id] = "second correction"
    seen.append(("correct after cancelling", _run_seen(again), again.replaces_id == run_id))
    from dividends.store import audit
    from dividends.store import ledger as ledger_store
    for key in (run_id, mirror.id, correction.id):
        seen.append(("ledger", ids[key], [(e.kind, e.on, re.sub(r"R(\d+)", lambda m: f"R<{ids.get(int(m[1]), m[1])}>", e.ref),
                                          sorted(e.postings.rows())) for e in await ledger_store.entries_of_run(key)]))
        seen.append(("audit", ids[key], [(e.action, e.actor, _detail(e.detail, ids))
                                         for e in await audit.events("run", key)]))
    seen.append(("audit", "objection", [(e.action, e.actor, _detail(e.detail, ids))
                                        for e in await audit.events("objection", objection_id)]))
    return seen


async def _copy_into_fake(fake: FakeStore, village_code: str) -> None:
    """A real village (its county and township) and its registry versions, with their files,
    into the fake: what a run is created from."""
    from dividends.store.models import County, RegistrySnapshot, Township, Village
    from tests import fake_store as rows

    village = await Village.get(code=village_code)
    county = await County.get(id=village.county_id)  # type: ignore[attr-defined]
    township = await Township.get(id=village.township_id) if village.township_id else None  # type: ignore[attr-defined]
    fake.tables.villages[village.code] = rows.Village(village.id, village.code, village.name, village.county_id,  # type: ignore[attr-defined]
                                                      village.township_id, county.code)  # type: ignore[attr-defined]
    if township is not None:
        fake.tables.townships[township.id] = township.code
    for s in await RegistrySnapshot.filter(village_id=village.id).order_by("id"):
        fake.tables.snapshots.append(rows.Snapshot(s.id, s.households_file, s.village_id, s.period, s.version,  # type: ignore[attr-defined]
                                                   s.members_file, s.posts_file, s.events_file, s.format, s.frames,
                                                   s.facts))
        for digest in {s.households_file, s.members_file, s.posts_file, s.events_file, *(s.frames or {}).values()} - {None}:
            fake.tables.files[digest] = (await files.file_name(digest), await files.get_file(digest))
    fake.tables.next_id = 10_000  # the fake's own row ids: unlike the database's


async def _people(village_code: str) -> dict[str, Any]:
    """The actors of the run scenario, made up from the village (no user rows needed)."""
    from dividends.actors import Actor
    from dividends.store import facts

    p = await facts.village_place(village_code)
    assert p is not None and p.township_id is not None
    village = {"village_id": p.village_id, "village_code": p.village_code, "county_id": p.county_id}
    return {"acc": Actor(1, "acc", "会计", "accountant", **village),
            "com": Actor(2, "com", "监委", "committee", **village),
            "preparer": Actor(3, "acc", "会计", "committee", **village),  # the preparer, now a committee member
            "town": Actor(4, "town", "农经站", "township", township_id=p.township_id),
            "aud": Actor(5, "aud", "审计", "auditor", county_id=p.county_id),
            "stranger": Actor(6, "acc2", "会计", "accountant", village_id=p.village_id + 1, county_id=p.county_id)}


@pytest.mark.db
async def test_the_same_run_lifecycle_gives_the_same_answers_on_the_database_and_on_the_fake(
        clean_db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    from dividends import access
    from dividends.actors import Actor
    from dividends.imports import import_registry
    from dividends.usecases import runs as cases

    start = datetime(2025, 1, 6, 2, 0, tzinfo=UTC)
    registry = sample_files(tmp_path / "reg", households=8, villages=1, seed=3)
    await import_registry(registry.households, period=2024, actor="acc", posts=registry.posts,
                          members=registry.members, reference_date=date(2025, 1, 1))
    admin = Actor(0, "root", "root", "admin")
    await access.create_township(admin, "T1", "东乡", county="default")
    await access.set_village_township(admin, "V0001", "T1")
    people = await _people("V0001")
    fake = FakeStore()
    await _copy_into_fake(fake, "V0001")
    on_database = await _run_scenario("V0001", FixedClock(start), people)

    fake.install(monkeypatch)
    on_fake = await _run_scenario("V0001", FixedClock(start), people)
    assert len(on_database) == len(on_fake)
    for step, (a, b) in enumerate(zip(on_database, on_fake, strict=True)):
        assert a == b, f"step {step}: {a[0]}: {a} != {b}"
    named = dict(s[:2] for s in on_database if len(s) == 2)
    assert named["approve"][:2] == (True, "approved") and named["approve the reversal"][0] == "closed"
    assert named["approve one's own run"][0][1] == "run.same_person"
    assert named["approve on the notice's last day"][0][1] == "run.notice_running"
    assert cases is not None
