"""The outbox on a real database with a FakeSender and a FixedClock: notices, the dispatcher's
claims, retries and limits, permanent codes, opt-outs, look-ups after unknown outcomes,
status callbacks that never move a notice backwards, the report and explicit resends."""
from __future__ import annotations

import asyncio
import re
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from dividends.clock import FixedClock
from dividends.store import outbox as claims
from dividends.outbox.callbacks import apply_status
from dividends.outbox.dispatcher import dispatch
from dividends.outbox.fates import FINAL
from dividends.outbox.prepare import estimate, prepare
from dividends.outbox.report import report, resend_failed
from dividends.store.models import AuditEvent, Notice, OptOut
from support.fake_sender import FailPermanent, FailRetryable, FailUnknown, FakeSender
from notify.retry import CREATE_THROTTLED
from notify.senders import OutgoingSms, SenderConfigurationError, SendResult
from notify.settings import SmsSettings
from schemes.problems import InputError
from tests.dbsupport import clean_db, database_url, db  # noqa: F401  (fixtures)
from tests.dividends.test_outbox_support import (
    queued,
    START,
    paid_run,
    phones,
    publicized_run,
    set_household,
)

pytestmark = pytest.mark.db

SMS = SmsSettings(backend="console", public_base_url="https://dividends.example.org", rate_per_second=1000)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def sender(clock: FixedClock) -> FakeSender:
    return FakeSender(clock=clock.now)


async def send_all(sender: FakeSender, clock: FixedClock, **kw: object) -> claims.Scope:
    report_ = await dispatch(sender, SMS, clock, concurrency=4, **kw)  # type: ignore[arg-type]
    assert report_.stopped is None
    return claims.Scope()


async def statuses(run_id: int) -> dict[str, str]:
    return dict(await Notice.filter(run_id=run_id).values_list("household_id", "status"))


# ----------------------------------------------------------------------------- prepare


async def test_prepare_writes_one_notice_per_household_in_its_language_and_a_second_prepare_adds_nothing(
        clean_db, tmp_path: Path, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    run = await publicized_run(tmp_path, clock)
    numbers = await phones(run)
    ids = sorted(numbers)
    await set_household(run, ids[0], phone="")
    await set_household(run, ids[1], language="en")
    await OptOut.create(phone=numbers[ids[2]], opted_out=True, source="test")

    first = await queued(run.id, "publicity", "accountant", clock)
    assert (first.created, first.no_phone, first.opted_out, first.unrenderable) == (12, 1, 1, 0)
    assert first.queued == 10 and first.existing == 0
    again = await queued(run.id, "publicity", "accountant", clock)
    assert (again.created, again.existing) == (0, 12)
    assert await Notice.filter(run_id=run.id).count() == 12

    rows = {n.household_id: n for n in await Notice.filter(run_id=run.id)}
    assert (rows[ids[0]].status, rows[ids[0]].phone) == ("no_phone", "")
    assert rows[ids[2]].status == "opted_out" and rows[ids[2]].final_at is not None
    english, chinese = rows[ids[1]], rows[ids[3]]
    assert english.lang == "en" and "CNY" in english.body and "On public notice until 12 Jan" in english.body
    assert chinese.lang == "zh" and "公示至1月12日" in chinese.body and "异议+原因" in chinese.body
    assert chinese.phone == numbers[ids[3]] and chinese.phone.startswith("+86")
    for notice in rows.values():
        assert not re.search(r"\d{8}", notice.body), notice.body  # no full phone, ID or account number
        assert notice.segments >= 1 and notice.encoding in ("GSM-7", "UCS-2")
    audit = await AuditEvent.filter(action="notice.prepare").values_list("detail", flat=True)
    assert [d["created"] for d in audit] == [12]  # type: ignore[index]  (the no-op wrote nothing)


async def test_two_prepares_at_once_write_each_notice_once(clean_db, tmp_path: Path, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    run = await publicized_run(tmp_path, clock)
    one, two = await asyncio.gather(prepare(run.id, "publicity", "a", clock), prepare(run.id, "publicity", "b", clock))
    assert one.created + two.created == 12 and one.existing + two.existing == 12
    assert await Notice.filter(run_id=run.id).count() == 12


async def test_prepare_is_refused_for_a_run_in_the_wrong_state(clean_db, tmp_path: Path, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    run = await publicized_run(tmp_path, clock)
    with pytest.raises(InputError, match="cannot get 'payment_confirmation' notices"):
        await queued(run.id, "payment_confirmation", "accountant", clock)
    with pytest.raises(InputError, match="no notice kind 'gossip'"):
        await queued(run.id, "gossip", "accountant", clock)
    clock.advance(days=7)
    with pytest.raises(InputError, match="ended on 2025-01-12"):
        await queued(run.id, "publicity", "accountant", clock)
    assert await Notice.all().count() == 0


async def test_the_estimate_is_the_same_before_and_after_prepare_and_flags_long_texts(
        clean_db, tmp_path: Path, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    run = await publicized_run(tmp_path, clock)
    before = await estimate(run.id, "publicity", price_per_segment_fen=30, max_segments=1, clock=clock)
    assert not before.prepared and before.to_send == 12
    assert before.segments >= 12 and before.cost_fen == 30 * before.segments
    assert 0 < before.over_limit_count <= before.to_send and not before.ok  # most Chinese notices need 2
    assert all(o.segments == 2 for o in before.over_limit) and len(before.over_limit) == before.over_limit_count
    await queued(run.id, "publicity", "accountant", clock, max_segments=1)
    after = await estimate(run.id, "publicity", price_per_segment_fen=30, max_segments=1, clock=clock)
    assert after.prepared
    assert (after.to_send, after.segments, after.cost_fen, after.over_limit_count) == (
        before.to_send, before.segments, before.cost_fen, before.over_limit_count)
    assert [o.household_id for o in after.over_limit] == sorted(o.household_id for o in before.over_limit)
    roomy = await estimate(run.id, "publicity", max_segments=3, clock=clock)
    assert roomy.ok and roomy.over_limit == ()


async def test_payment_notices_go_to_paid_and_to_failed_households_with_the_reason(
        clean_db, tmp_path: Path, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    run, paid, failed = await paid_run(tmp_path, clock, failed=1, reason="账户已销户")
    confirmations = await queued(run.id, "payment_confirmation", "accountant", clock)
    failures = await queued(run.id, "payment_failed", "accountant", clock)
    assert confirmations.created == len(paid) and failures.created == 1
    bodies = dict(await Notice.filter(run_id=run.id, kind="payment_failed").values_list("household_id", "body"))
    assert list(bodies) == failed and "原因：账户已销户" in bodies[failed[0]]
    confirmed = await Notice.filter(run_id=run.id, kind="payment_confirmation").first()
    assert confirmed is not None and "已于1月13日发放至" in confirmed.body and "尾号" in confirmed.body


# ----------------------------------------------------------------------------- dispatching


async def test_the_dispatcher_sends_each_queued_notice_once_and_records_its_sid(
        clean_db, tmp_path: Path, clock: FixedClock, sender: FakeSender) -> None:  # type: ignore[no-untyped-def]
    run = await publicized_run(tmp_path, clock)
    await queued(run.id, "publicity", "accountant", clock)
    done = await dispatch(sender, SMS, clock, run_id=run.id, concurrency=3)
    assert done.sent == 12 and done.failed == 0 and done.queued_after == 0
    assert sorted(sender.counts_by_recipient().values()) == [1] * 12
    rows = await Notice.filter(run_id=run.id).values_list("status", "sid", "tries", "sent_at", "phone", "body")
    by_phone = {m.sms.to: m for m in sender.messages}
    for status, sid, tries, sent_at, phone, body in rows:
        assert (status, tries, sent_at) == ("sent", 1, START)
        assert by_phone[phone].sid == sid and by_phone[phone].sms.body == body
        assert by_phone[phone].sms.status_callback == "https://dividends.example.org/webhooks/twilio/status"
    again = await dispatch(sender, SMS, clock, run_id=run.id)
    assert again.sent == 0 and len(sender.messages) == 12


async def test_two_dispatchers_at_once_never_send_one_notice_twice(
        clean_db, tmp_path: Path, clock: FixedClock, sender: FakeSender) -> None:  # type: ignore[no-untyped-def]
    run = await publicized_run(tmp_path, clock, households=40)
    await queued(run.id, "publicity", "accountant", clock)
    one, two = await asyncio.gather(dispatch(sender, SMS, clock, concurrency=3, batch_size=4),
                                    dispatch(sender, SMS, clock, concurrency=3, batch_size=4))
    sent_rows = await Notice.filter(run_id=run.id, status="sent").count()
    assert one.sent + two.sent == len(sender.messages) == sent_rows
    assert all(n == 1 for n in sender.counts_by_recipient().values())


async def test_throttled_sends_are_retried_with_backoff_and_fail_when_the_tries_run_out(
        clean_db, tmp_path: Path, clock: FixedClock, sender: FakeSender) -> None:  # type: ignore[no-untyped-def]
    run = await publicized_run(tmp_path, clock)
    numbers = await phones(run)
    shared = Counter(numbers.values())  # a number of several households would fail for each of them
    a, b = sorted(h for h, number in numbers.items() if shared[number] == 1)[:2]
    sender.fail_for(numbers[a], FailRetryable(), times=2)
    sender.fail_for(numbers[b], FailRetryable())  # always 429
    await queued(run.id, "publicity", "accountant", clock)
    first = await dispatch(sender, SMS, clock, run_id=run.id)
    assert first.retry_scheduled == 2 and first.queued_after == 2
    row = await Notice.get(run_id=run.id, household_id=a)
    assert (row.status, row.tries, row.error_code) == ("queued", 1, 20429)
    assert START <= row.next_try_at <= START + timedelta(milliseconds=CREATE_THROTTLED.cap_ms)
    for _ in range(CREATE_THROTTLED.max_attempts + 2):
        clock.advance(minutes=2)
        await dispatch(sender, SMS, clock, run_id=run.id)
    ok = await Notice.get(run_id=run.id, household_id=a)
    gave_up = await Notice.get(run_id=run.id, household_id=b)
    assert (ok.status, ok.tries) == ("sent", 3) and len(sender.sent_to(numbers[a])) == 1
    assert (gave_up.status, gave_up.tries, gave_up.error_code) == ("failed", CREATE_THROTTLED.max_attempts, 20429)
    assert "not accepted after 8 tries" in gave_up.error_message and gave_up.final_at is not None
    assert sender.sent_to(numbers[b]) == []


async def test_permanent_refusals_are_recorded_with_twilio_codes_and_21610_opts_the_phone_out(
        clean_db, tmp_path: Path, clock: FixedClock, sender: FakeSender) -> None:  # type: ignore[no-untyped-def]
    run = await publicized_run(tmp_path, clock)
    numbers = await phones(run)
    ids = sorted(numbers)
    for hid, code in zip(ids, (21211, 21610, 21614), strict=False):
        sender.fail_for(numbers[hid], FailPermanent(code))
    await queued(run.id, "publicity", "accountant", clock)
    done = await dispatch(sender, SMS, clock, run_id=run.id)
    assert (done.sent, done.failed, done.opted_out) == (9, 2, 1) and done.codes == {21211: 1, 21610: 1, 21614: 1}
    rows = {n.household_id: n for n in await Notice.filter(run_id=run.id)}
    assert (rows[ids[0]].status, rows[ids[0]].error_code) == ("failed", 21211)
    assert "21211 invalid To number" in rows[ids[0]].error_message and "+86" not in rows[ids[0]].error_message
    assert (rows[ids[1]].status, rows[ids[1]].error_code) == ("opted_out", 21610)
    assert (rows[ids[2]].status, rows[ids[2]].error_code) == ("failed", 21614)
    assert await OptOut.filter(phone=numbers[ids[1]], opted_out=True).exists()
    clock.advance(hours=1)
    assert (await dispatch(sender, SMS, clock, run_id=run.id)).sent == 0  # permanent: never resent by itself


async def test_a_household_that_opts_out_after_prepare_is_skipped_with_a_record(
        clean_db, tmp_path: Path, clock: FixedClock, sender: FakeSender) -> None:  # type: ignore[no-untyped-def]
    run = await publicized_run(tmp_path, clock)
    numbers = await phones(run)
    hid = sorted(numbers)[4]
    await queued(run.id, "publicity", "accountant", clock)
    await OptOut.create(phone=numbers[hid], opted_out=True, source="sms:SMx")
    done = await dispatch(sender, SMS, clock, run_id=run.id)
    assert (done.sent, done.opted_out) == (11, 1)
    row = await Notice.get(run_id=run.id, household_id=hid)
    assert (row.status, row.tries, row.sid) == ("opted_out", 0, None) and row.final_at is not None
    assert sender.sent_to(numbers[hid]) == []


@pytest.mark.parametrize("created", [True, False])
async def test_an_unknown_outcome_is_looked_up_before_any_resend(
        clean_db, tmp_path: Path, clock: FixedClock, sender: FakeSender, created: bool) -> None:  # type: ignore[no-untyped-def]
    run = await publicized_run(tmp_path, clock)
    numbers = await phones(run)
    hid = sorted(numbers)[0]
    sender.fail_for(numbers[hid], FailUnknown(created=created), times=1)
    await queued(run.id, "publicity", "accountant", clock)
    first = await dispatch(sender, SMS, clock, run_id=run.id)
    assert first.in_doubt == 1 and first.in_doubt_after == 1
    row = await Notice.get(run_id=run.id, household_id=hid)
    assert (row.status, row.sid, row.tries) == ("sending", None, 1) and "outcome unknown" in row.error_message
    assert sender.find_calls == 0
    clock.advance(minutes=3)
    second = await dispatch(sender, SMS, clock, run_id=run.id)
    assert sender.find_calls == 1 and second.lookups == 1
    assert (second.recovered, second.resent) == ((1, 0) if created else (0, 1))
    row = await Notice.get(run_id=run.id, household_id=hid)
    assert row.status == "sent" and row.sid == sender.sent_to(numbers[hid])[0].sid
    assert len(sender.sent_to(numbers[hid])) == 1  # never two SMS for one notice
    assert row.tries == (1 if created else 2)


async def test_notices_left_sending_by_a_dead_dispatcher_are_looked_up_after_its_lease(
        clean_db, tmp_path: Path, clock: FixedClock, sender: FakeSender) -> None:  # type: ignore[no-untyped-def]
    run = await publicized_run(tmp_path, clock)
    await queued(run.id, "publicity", "accountant", clock)
    lease = claims.lease_until(START, 60)
    dead = await claims.claim_sends(claims.Scope(run.id), START, lease, limit=5)  # ...then it died:
    sent_before_dying = dead[:2]
    for work in sent_before_dying:  # these two reached the provider, nothing was recorded
        await sender.send(OutgoingSms(work.phone, work.body))
    assert await Notice.filter(run_id=run.id, status="sending", sid__isnull=True).count() == 5

    early = await dispatch(sender, SMS, clock, run_id=run.id)  # the lease still runs: hands off
    assert early.sent == 7 and early.lookups == 0 and early.in_doubt_after == 5
    clock.advance(seconds=61)
    late = await dispatch(sender, SMS, clock, run_id=run.id)
    assert (late.lookups, late.recovered, late.resent) == (5, 2, 3)
    assert await Notice.filter(run_id=run.id, status="sent").count() == 12
    assert sorted(sender.counts_by_recipient().values()) == [1] * 12
    for work in sent_before_dying:
        row = await Notice.get(id=work.id)
        assert row.sid == sender.sent_to(work.phone)[0].sid and row.tries == 1


class _MisconfiguredSender(FakeSender):
    async def send(self, sms: OutgoingSms) -> SendResult:
        if len(self.attempts) >= 3:
            raise SenderConfigurationError("Twilio answered 401: Authenticate", code=20003, http_status=401)
        return await super().send(sms)


async def test_a_configuration_error_stops_the_dispatch_and_fails_no_notice(
        clean_db, tmp_path: Path, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    run = await publicized_run(tmp_path, clock)
    await queued(run.id, "publicity", "accountant", clock)
    sender = _MisconfiguredSender(clock=clock.now)
    done = await dispatch(sender, SMS, clock, run_id=run.id, concurrency=1)
    assert done.stopped is not None and "401" in done.stopped and done.sent == 3
    counts = dict.fromkeys(("sent", "queued", "failed", "sending"), 0)
    for status, tries in await Notice.filter(run_id=run.id).values_list("status", "tries"):
        counts[status] += 1
        assert tries == (1 if status == "sent" else 0)
    assert counts == {"sent": 3, "queued": 9, "failed": 0, "sending": 0}


# ----------------------------------------------------------------------------- callbacks


def callback(sid: str, status: str, code: int | None = None) -> dict[str, str]:
    form = {"MessageSid": sid, "MessageStatus": status, "AccountSid": "AC" + "0" * 32, "To": "+8613800000000"}
    if code is not None:
        form["ErrorCode"] = str(code)
    return form


async def test_status_callbacks_never_move_a_notice_backwards(
        clean_db, tmp_path: Path, clock: FixedClock, sender: FakeSender) -> None:  # type: ignore[no-untyped-def]
    run = await publicized_run(tmp_path, clock)
    await queued(run.id, "publicity", "accountant", clock)
    await dispatch(sender, SMS, clock, run_id=run.id)
    sid = sender.messages[0].sid
    assert (await apply_status(callback(sid, "delivered"), clock)).result == "applied"
    for late in ("sent", "queued", "undelivered", "failed"):
        assert (await apply_status(callback(sid, late, 30003), clock)).result == "ignored"
    row = await Notice.get(sid=sid)
    assert (row.status, row.error_code, row.final_at) == ("delivered", None, START)
    other = sender.messages[1].sid
    assert (await apply_status(callback(other, "sent"), clock)).result == "ignored"  # sent is what we hold
    assert (await apply_status(callback(other, "delivered"), clock)).status == "delivered"
    unknown = await apply_status(callback("SM" + "f" * 32, "delivered"), clock, wait_seconds=0)
    assert unknown.result == "unknown_sid"
    with pytest.raises(ValueError):
        await apply_status({"MessageSid": sid}, clock)


async def test_delivery_failures_are_resent_when_worth_it_a_limited_number_of_times(
        clean_db, tmp_path: Path, clock: FixedClock, sender: FakeSender) -> None:  # type: ignore[no-untyped-def]
    run = await publicized_run(tmp_path, clock)
    numbers = await phones(run)
    await queued(run.id, "publicity", "accountant", clock)
    await dispatch(sender, SMS, clock, run_id=run.id)
    by_phone = {m.sms.to: m.sid for m in sender.messages}
    ids = sorted(numbers)
    landline = by_phone[numbers[ids[1]]]
    assert (await apply_status(callback(landline, "undelivered", 30006), clock)).status == "undelivered"
    row = await Notice.get(sid=landline)
    assert (row.status, row.error_code, row.error_message) == ("undelivered", 30006,
                                                                "30006 landline or unreachable carrier")

    unreachable = numbers[ids[0]]
    outcome = await apply_status(callback(by_phone[unreachable], "undelivered", 30003), clock)
    assert outcome.result == "retry_scheduled"
    row = await Notice.get(id=outcome.notice_id)
    assert (row.status, row.error_code, row.tries) == ("queued", 30003, 1) and row.next_try_at > START
    assert (await apply_status(callback(by_phone[unreachable], "sent"), clock)).result == "ignored"  # late
    events = await AuditEvent.filter(action="notice.delivery_retry").values_list("detail", flat=True)
    assert events[0]["sid"] == by_phone[unreachable]  # type: ignore[index]  (the failed message stays on record)
    for _ in range(3):  # DELIVERY_UNREACHABLE allows four tries in all
        clock.advance(hours=7)
        await dispatch(sender, SMS, clock, run_id=run.id)
        row = await Notice.get(id=outcome.notice_id)
        assert row.status == "sent"
        result = await apply_status(callback(row.sid, "undelivered", 30003), clock)  # type: ignore[arg-type]
    assert result.status == "undelivered"
    row = await Notice.get(id=outcome.notice_id)
    assert (row.status, row.tries, row.error_code) == ("undelivered", 4, 30003) and "after 4 tries" in row.error_message
    assert len(sender.sent_to(unreachable)) == 4


# ----------------------------------------------------------------------------- report and resend


async def test_the_report_counts_each_households_latest_notice_and_a_resend_is_an_explicit_new_attempt(
        clean_db, tmp_path: Path, clock: FixedClock, sender: FakeSender) -> None:  # type: ignore[no-untyped-def]
    run = await publicized_run(tmp_path, clock)
    numbers = await phones(run)
    ids = sorted(numbers)
    await set_household(run, ids[5], phone="")
    sender.fail_for(numbers[ids[0]], FailPermanent(21211), times=1)
    await queued(run.id, "publicity", "accountant", clock)
    await dispatch(sender, SMS, clock, run_id=run.id)
    landline = [m for m in sender.messages if m.sms.to == numbers[ids[1]]][0]
    await apply_status(callback(landline.sid, "undelivered", 30006), clock)
    for m in sender.messages:
        if m.sms.to != numbers[ids[1]]:
            await apply_status(callback(m.sid, "delivered"), clock)

    before = await report(run.id, price_per_segment_fen=30)
    counts = before.counts["publicity"]
    assert (counts["delivered"], counts["undelivered"], counts["failed"], counts["no_phone"]) == (9, 1, 1, 1)
    assert before.total() == 12 and before.superseded == 0 and before.failed_count == 2
    assert [(f.household_id, f.code) for f in before.failed] == [(ids[0], 21211), (ids[1], 30006)]
    assert before.failed[0].phone.startswith("+86 ") and "****" in before.failed[0].phone
    assert before.cost_fen == 30 * before.segments_sent and before.segments_sent >= 10

    resent = await resend_failed(run.id, "publicity", "chair", clock)
    assert (resent.queued, resent.households) == (2, (ids[0], ids[1]))
    assert await AuditEvent.filter(action="notice.resend_failed", actor="chair").count() == 1
    await dispatch(sender, SMS, clock, run_id=run.id)
    for m in sender.messages[-2:]:
        await apply_status(callback(m.sid, "delivered"), clock)
    after = await report(run.id)
    assert after.counts["publicity"]["delivered"] == 11 and after.superseded == 2 and after.failed == ()
    assert after.total() == 12
    assert (await resend_failed(run.id, "publicity", "chair", clock)).queued == 0
    rows = await Notice.filter(run_id=run.id, household_id=ids[0]).order_by("attempt").values_list("attempt", "status")
    assert rows == [(0, "failed"), (1, "delivered")]
    assert all(s in FINAL for s in (await statuses(run.id)).values())


async def test_two_people_resending_at_once_queue_each_failed_notice_once(
        clean_db, tmp_path: Path, clock: FixedClock, sender: FakeSender) -> None:  # type: ignore[no-untyped-def]
    run = await publicized_run(tmp_path, clock)
    numbers = await phones(run)
    for hid in sorted(numbers)[:2]:
        sender.fail_for(numbers[hid], FailPermanent(21211), times=1)
    await queued(run.id, "publicity", "accountant", clock)
    await dispatch(sender, SMS, clock, run_id=run.id)
    outcomes = await asyncio.gather(resend_failed(run.id, "publicity", "a", clock),
                                    resend_failed(run.id, "publicity", "b", clock), return_exceptions=True)
    resent_counts = [o.queued for o in outcomes if not isinstance(o, BaseException)]
    refused = [o for o in outcomes if isinstance(o, BaseException)]
    assert sorted(resent_counts) in ([2], [0, 2]) and all(isinstance(e, InputError) for e in refused)
    assert await Notice.filter(run_id=run.id, attempt=1).count() == 2
