"""The outbox rules the dispatcher and the receipts enforce, on the in-memory FakeOutbox (no
database): the daily limit per phone, opt-outs, retries with back-off after a provider error,
receipts marking notices delivered or undelivered, an expired lease claimed again for a look-up,
and nothing sent twice (also with two dispatchers at once)."""
from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from dividends.clock import CHINA, FixedClock
from dividends.outbox.dispatcher import DispatchReport, dispatch
from dividends.outbox.receipts import apply_receipt
from dividends.store import outbox as store
from notify.senders import OutgoingSms, Receipt
from notify.settings import SmsSettings
from support.fake_sender import FailPermanent, FailRetryable, FailUnknown, FakeSender
from tests.dividends.test_outbox_support import START
from tests.fake_outbox import FakeOutbox

SMS = SmsSettings(backend="console", public_base_url="https://dividends.example.org", rate_per_second=1000)
A, B, C = "+8613900000001", "+8613900000002", "+8613900000003"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def outbox(monkeypatch: pytest.MonkeyPatch) -> FakeOutbox:
    return FakeOutbox().install(monkeypatch)


@pytest.fixture
def sender(clock: FixedClock) -> FakeSender:
    return FakeSender(clock=clock.now)


async def send(sender: FakeSender, clock: FixedClock, settings: SmsSettings = SMS, **kw: object) -> DispatchReport:
    report = await dispatch(sender, settings, clock, concurrency=2, **kw)  # type: ignore[arg-type]
    assert report.stopped is None
    return report


async def test_installed_the_fake_answers_and_every_due_notice_is_sent_once(
        outbox: FakeOutbox, sender: FakeSender, clock: FixedClock) -> None:
    ids = [outbox.add_notice(p, due=START).id for p in (A, B, C)]
    outbox.add_notice(A, due=None)  # prepared, not released: not due
    report = await send(sender, clock)
    assert (report.sent, report.queued_after, report.in_doubt_after) == (3, 1, 0)
    assert [outbox.notice(i).status for i in ids] == ["sent"] * 3
    assert all(outbox.notice(i).sid and outbox.notice(i).tries == 1 for i in ids)
    again = await send(sender, clock)
    assert again.sent == 0 and sender.counts_by_recipient() == {A: 1, B: 1, C: 1}
    assert await store.progress(1) == {"sent": 3, "queued": 1, "prepared": 1}


async def test_a_phone_over_its_daily_limit_waits_for_the_next_morning_in_china(
        outbox: FakeOutbox, sender: FakeSender, clock: FixedClock) -> None:
    limited = SmsSettings(backend="console", public_base_url="https://dividends.example.org", rate_per_second=1000,
                          daily_limit=2)
    ids = [outbox.add_notice(A, f"第{k}条", due=START).id for k in range(3)]
    other = outbox.add_notice(B, due=START).id
    report = await send(sender, clock, limited)
    assert (report.sent, report.held_for_tomorrow) == (3, 1)
    held = outbox.notice(ids[2])
    assert (held.status, held.tries, held.sid) == ("queued", 0, None)
    assert held.next_try_at is not None and held.next_try_at.astimezone(CHINA).hour == 8
    assert held.next_try_at.astimezone(CHINA).date() == START.astimezone(CHINA).date() + timedelta(days=1)
    assert outbox.notice(other).status == "sent" and len(sender.sent_to(A)) == 2
    clock.advance(hours=1)
    assert (await send(sender, clock, limited)).sent == 0  # (still today)
    clock.at = held.next_try_at
    assert (await send(sender, clock, limited)).sent == 1
    assert outbox.notice(ids[2]).status == "sent" and len(sender.sent_to(A)) == 3


async def test_an_opted_out_phone_gets_nothing_and_a_provider_opt_out_is_remembered(
        outbox: FakeOutbox, sender: FakeSender, clock: FixedClock) -> None:
    outbox.opt_out(A)
    stopped = outbox.add_notice(A, due=START).id
    refused = outbox.add_notice(B, due=START).id
    sender.fail_for(B, FailPermanent(21610))
    report = await send(sender, clock)
    assert report.opted_out == 2 and report.sent == 0
    assert outbox.notice(stopped).status == outbox.notice(refused).status == "opted_out"
    assert outbox.notice(stopped).tries == 0 and outbox.notice(refused).tries == 1
    assert [s.to for s in sender.attempts] == [B]
    assert await store.opted_out([A, B, C]) == {A, B}
    later = outbox.add_notice(B, due=START).id  # the provider's refusal stops the next notice before sending
    await send(sender, clock)
    assert outbox.notice(later).status == "opted_out" and [s.to for s in sender.attempts] == [B]


async def test_a_permanent_refusal_fails_the_notice_without_a_retry(
        outbox: FakeOutbox, sender: FakeSender, clock: FixedClock) -> None:
    i = outbox.add_notice(A, due=START).id
    sender.fail_for(A, FailPermanent(21211))
    report = await send(sender, clock)
    n = outbox.notice(i)
    assert (report.failed, report.codes, n.status, n.error_code, n.next_try_at) == (1, {21211: 1}, "failed", 21211,
                                                                                  None)
    clock.advance(days=1)
    assert (await send(sender, clock)).sent == 0 and len(sender.attempts) == 1


async def test_a_throttled_send_is_retried_after_the_providers_wait_and_sent_once(
        outbox: FakeOutbox, sender: FakeSender, clock: FixedClock) -> None:
    i = outbox.add_notice(A, due=START).id
    sender.fail_for(A, FailRetryable(retry_after_ms=5_000), times=2)
    waits = []
    for tries in (1, 2):
        report = await send(sender, clock)
        n = outbox.notice(i)
        assert (report.retry_scheduled, n.status, n.tries, n.sid) == (1, "queued", tries, None)
        assert n.next_try_at is not None and n.next_try_at > clock.now()
        waits.append(n.next_try_at - clock.now())
        assert (await send(sender, clock)).sent == 0  # (not due before its time)
        clock.at = n.next_try_at
    assert (await send(sender, clock)).sent == 1
    n = outbox.notice(i)
    assert (n.status, n.tries, len(sender.attempts), len(sender.messages)) == ("sent", 3, 3, 1)
    assert waits == [timedelta(seconds=5)] * 2  # Retry-After beats the back-off's 1 s and 2 s ceilings
    assert [s.reference for s in sender.attempts] == [f"notice-{i}-{t}" for t in (1, 2, 3)]


async def test_throttled_too_often_the_notice_fails(outbox: FakeOutbox, sender: FakeSender, clock: FixedClock) -> None:
    i = outbox.add_notice(A, due=START).id
    sender.fail_for(A, FailRetryable())
    for _ in range(20):
        await send(sender, clock)
        if outbox.notice(i).next_try_at is None:
            break
        clock.at = max(clock.now(), outbox.notice(i).next_try_at)  # type: ignore[type-var]
    n = outbox.notice(i)
    assert (n.status, n.tries, len(sender.attempts)) == ("failed", 8, 8)
    assert n.error_message.startswith("not accepted after 8 tries")


async def test_a_receipt_marks_the_notice_delivered_or_undelivered_and_never_moves_it_back(
        outbox: FakeOutbox, sender: FakeSender, clock: FixedClock) -> None:
    ok, bad = outbox.add_notice(A, due=START).id, outbox.add_notice(B, due=START).id
    await send(sender, clock)
    sid_ok, sid_bad = outbox.notice(ok).sid, outbox.notice(bad).sid
    assert sid_ok and sid_bad
    clock.advance(seconds=30)
    done = await apply_receipt(Receipt("console", sid_ok, "", A, "delivered"), clock, wait_seconds=0)
    assert (done.result, done.notice_id, done.status) == ("applied", ok, "delivered")
    assert (outbox.notice(ok).status, outbox.notice(ok).final_at) == ("delivered", clock.now())
    failed = await apply_receipt(Receipt("console", sid_bad, "", B, "undelivered", code="MK:0001",
                                         description="关机"), clock, wait_seconds=0)
    assert (failed.result, failed.status) == ("applied", "undelivered")
    n = outbox.notice(bad)
    assert (n.status, n.provider_code, n.error_message) == ("undelivered", "MK:0001", "MK:0001: 关机")
    late = await apply_receipt(Receipt("console", sid_ok, "", A, "undelivered"), clock, wait_seconds=0)
    assert late.result == "ignored" and outbox.notice(ok).status == "delivered"
    unknown = await apply_receipt(Receipt("console", "SMnope", "", A, "delivered"), clock, wait_seconds=0)
    assert unknown.result == "unknown"
    by_key = await apply_receipt(Receipt("console", "", f"notice-{ok}-9", A, "delivered"), clock, wait_seconds=0)
    assert by_key.result == "unknown"  # a key naming another try than the notice's is not this message


@pytest.mark.parametrize("created", [True, False])
async def test_an_expired_lease_is_claimed_again_and_looked_up_before_any_resend(
        outbox: FakeOutbox, sender: FakeSender, clock: FixedClock, created: bool) -> None:
    i = outbox.add_notice(A, due=START).id
    lease = store.lease_until(START, 60)
    [work] = await store.claim_sends(store.Scope(), START, lease, 10)  # a dispatcher claims, then dies:
    if created:  # ... after the provider took the message, or before
        await sender.send(OutgoingSms(to=A, body=work.body, reference=f"notice-{i}-1"))
    attempts = len(sender.attempts)
    assert (outbox.notice(i).status, outbox.notice(i).tries) == ("sending", 1)
    assert await store.claim_sends(store.Scope(), START, store.lease_until(START, 60), 10) == []
    early = await send(sender, clock)  # the lease is still the dead dispatcher's
    assert (early.lookups, early.sent, len(sender.attempts)) == (0, 0, attempts)
    assert early.in_doubt_after == 1
    clock.at = lease + timedelta(seconds=1)
    report = await send(sender, clock)
    assert report.lookups == 1
    assert (report.recovered, report.sent) == ((1, 0) if created else (0, 1))
    n = outbox.notice(i)
    assert n.status == "sent" and n.tries == (1 if created else 2) and len(sender.messages) == 1
    assert n.sid == sender.messages[0].sid


async def test_an_unknown_outcome_is_looked_up_after_a_wait_and_the_message_found_is_not_sent_again(
        outbox: FakeOutbox, sender: FakeSender, clock: FixedClock) -> None:
    i = outbox.add_notice(A, due=START).id
    sender.fail_next(FailUnknown(created=True))
    first = await send(sender, clock)
    n = outbox.notice(i)
    assert (first.in_doubt, n.status, n.sid) == (1, "sending", None)
    assert n.next_try_at is not None and n.next_try_at >= START + timedelta(seconds=2)
    clock.at = n.next_try_at
    second = await send(sender, clock)
    assert (second.recovered, second.sent, len(sender.messages)) == (1, 0, 1)
    assert outbox.notice(i).status == "sent" and outbox.notice(i).sid == sender.messages[0].sid


async def test_two_claims_never_hand_out_the_same_notice_and_two_dispatchers_send_each_once(
        outbox: FakeOutbox, sender: FakeSender, clock: FixedClock) -> None:
    phones = [f"+86139000{k:05d}" for k in range(40)]
    for p in phones[:20]:
        outbox.add_notice(p, due=START)
    one, two = await asyncio.gather(
        store.claim_sends(store.Scope(), START, store.lease_until(START, 60), 15),
        store.claim_sends(store.Scope(), START, store.lease_until(START, 60), 15))
    assert len(one) + len(two) == 20 and not {w.id for w in one} & {w.id for w in two}
    for p in phones[20:]:
        outbox.add_notice(p, due=START)
    reports = await asyncio.gather(send(sender, clock, batch_size=4), send(sender, clock, batch_size=4))
    assert sum(r.sent for r in reports) == 20
    assert sender.counts_by_recipient() == {p: 1 for p in phones[20:]}


async def test_a_record_is_all_or_nothing_when_a_sid_is_taken(outbox: FakeOutbox, clock: FixedClock) -> None:
    first, second = outbox.add_notice(A, due=START).id, outbox.add_notice(B, due=START).id
    taken = outbox.add_notice(C, sid="SMtaken", status="sent").id
    works = await store.claim_sends(store.Scope(), START, store.lease_until(START, 60), 10)
    assert [w.id for w in works] == [first, second]
    await store.record([store.Accepted(first, "SMnew", "sent", 1, 1, START),
                        store.Accepted(second, "SMtaken", "sent", 1, 1, START)])
    assert outbox.rolled_back == 2  # the batch, then the one with the taken SID alone
    assert (outbox.notice(first).status, outbox.notice(first).sid) == ("sent", "SMnew")
    assert (outbox.notice(second).status, outbox.notice(second).sid) == ("sending", None)  # left for a look-up
    assert outbox.notice(taken).sid == "SMtaken"
    # a record for a notice no longer pending (a receipt got there first) changes nothing
    await store.record([store.Failed(first, 1, 21211, "refused", START)])
    assert outbox.notice(first).status == "sent"


async def test_unknown_outcomes_with_no_message_found_end_failed_after_the_last_try(
        outbox: FakeOutbox, sender: FakeSender, clock: FixedClock) -> None:
    i = outbox.add_notice(A, due=START).id
    sender.fail_for(A, FailUnknown(created=False))
    for _ in range(10):
        await send(sender, clock)
        n = outbox.notice(i)
        if n.status != "sending":
            break
        assert n.next_try_at is not None and n.next_try_at > clock.now()  # a look-up waits before any resend
        clock.at = n.next_try_at
    n = outbox.notice(i)
    assert (n.status, n.tries, len(sender.attempts), sender.messages) == ("failed", 3, 3, [])
    assert n.error_message.startswith("no answer from the SMS API for 3 tries")
