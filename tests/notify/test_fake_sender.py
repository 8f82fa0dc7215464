from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from support.fake_sender import FailPermanent, FailRetryable, FailUnknown, FakeSender
from notify.senders import (
    OutgoingSms,
    PermanentSendError,
    RetryableSendError,
    Sender,
    UnknownOutcomeError,
)

A, B = "+8613800000001", "+8613800000002"
EPOCH = datetime(2026, 12, 1, tzinfo=UTC)


def sms(to: str = A, body: str = "你好", ref: str = "N-1") -> OutgoingSms:
    return OutgoingSms(to, body, reference=ref)


async def test_sends_are_recorded_with_predictable_sids() -> None:
    async with FakeSender() as fake:
        assert isinstance(fake, Sender)
        first = await fake.send(sms(A))
        second = await fake.send(sms(B, "hello " * 30))
    assert first.sid == "SM" + "0" * 31 + "1" and second.sid.endswith("2")
    assert (first.status, first.segments, second.segments) == ("queued", 1, 2)
    assert [m.sms.to for m in fake.messages] == [A, B]
    assert fake.closed
    with pytest.raises(RuntimeError):
        await fake.send(sms())


async def test_a_recipient_scripted_to_fail_fails_every_time_others_do_not() -> None:
    fake = FakeSender()
    fake.fail_for(A, FailPermanent(21610))
    for _ in range(2):
        with pytest.raises(PermanentSendError) as caught:
            await fake.send(sms(A))
        assert caught.value.code == 21610 and caught.value.opted_out
    await fake.send(sms(B))
    assert fake.counts_by_recipient() == {B: 1}
    assert len(fake.attempts) == 3


async def test_a_recipient_can_fail_a_number_of_times_then_succeed() -> None:
    fake = FakeSender()
    fake.fail_for(A, FailRetryable(retry_after_ms=1500), times=2)
    for _ in range(2):
        with pytest.raises(RetryableSendError) as caught:
            await fake.send(sms(A))
        assert caught.value.retry_after_ms == 1500 and caught.value.code == 20429
    assert (await fake.send(sms(A))).sid
    assert fake.counts_by_recipient() == {A: 1}


async def test_the_next_calls_can_fail_whoever_they_go_to() -> None:
    fake = FakeSender()
    fake.fail_next(FailPermanent(21211))
    fake.fail_next(FailRetryable())
    with pytest.raises(PermanentSendError):
        await fake.send(sms(A))
    with pytest.raises(RetryableSendError):
        await fake.send(sms(B))
    await fake.send(sms(B))


async def test_an_unknown_outcome_that_created_the_message_is_found_before_resending() -> None:
    fake = FakeSender(clock=lambda: EPOCH)
    fake.fail_next(FailUnknown(created=True))
    with pytest.raises(UnknownOutcomeError):
        await fake.send(sms(A, "分红通知"))
    found = await fake.find_existing(A, EPOCH - timedelta(minutes=1), "分红通知")
    assert found is not None and found.sid == fake.messages[0].sid
    assert await fake.find_existing(A, EPOCH + timedelta(seconds=1), "分红通知") is None
    assert await fake.find_existing(A, EPOCH, "another text") is None
    assert await fake.find_existing(B, EPOCH, "分红通知") is None


async def test_an_unknown_outcome_that_did_not_create_the_message_finds_nothing() -> None:
    fake = FakeSender(clock=lambda: EPOCH)
    fake.fail_next(FailUnknown(created=False))
    with pytest.raises(UnknownOutcomeError):
        await fake.send(sms(A, "分红通知"))
    assert await fake.find_existing(A, EPOCH, "分红通知") is None
    assert fake.messages == [] and fake.find_calls == 1


async def test_find_existing_needs_an_aware_time() -> None:
    with pytest.raises(ValueError):
        await FakeSender().find_existing(A, datetime(2026, 1, 1), "x")


@pytest.mark.parametrize(
    ("message", "code"),
    [
        (OutgoingSms("13800138000", "x"), 21211),
        (OutgoingSms(A, ""), 21602),
        (OutgoingSms(A, "x" * 1601), 21617),
    ],
)
async def test_what_twilio_would_refuse_is_refused_locally(message: OutgoingSms, code: int) -> None:
    fake = FakeSender()
    with pytest.raises(PermanentSendError) as caught:
        await fake.send(message)
    assert caught.value.code == code and fake.messages == []
