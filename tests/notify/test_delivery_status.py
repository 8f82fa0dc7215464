from __future__ import annotations

import random

import pytest

from notify.retry import (
    CREATE_THROTTLED,
    DELIVERY_ONCE,
    DELIVERY_SLOW,
    DELIVERY_UNREACHABLE,
    RetryPolicy,
    classify_delivery_error,
    delivery_retry_policy,
)
from notify.status import advances, is_final, parse_status_callback


@pytest.mark.parametrize(
    ("code", "verdict", "policy"),
    [
        (30003, "retry", DELIVERY_UNREACHABLE),
        (30008, "retry", DELIVERY_ONCE),
        (30001, "retry_slow", DELIVERY_SLOW),
        (30036, "retry_slow", DELIVERY_SLOW),
        (30006, "permanent", None),
        (30007, "permanent", None),
        (30005, "permanent", None),
        (None, "permanent", None),
    ],
)
def test_delivery_errors_are_classified(
    code: int | None, verdict: str, policy: RetryPolicy | None
) -> None:
    assert classify_delivery_error(code) == verdict
    assert delivery_retry_policy(code) == policy


def test_30008_gets_exactly_one_retry_and_30003_a_few() -> None:
    assert DELIVERY_ONCE.max_attempts == 2
    assert 3 <= DELIVERY_UNREACHABLE.max_attempts <= 5
    assert DELIVERY_SLOW.base_ms > DELIVERY_UNREACHABLE.base_ms


def test_backoff_grows_to_its_cap_and_jitter_stays_below_it() -> None:
    policy = RetryPolicy(max_attempts=6, base_ms=1_000, cap_ms=10_000, jitter=False)
    assert [policy.delay_ms(n) for n in range(1, 6)] == [1_000, 2_000, 4_000, 8_000, 10_000]
    rng = random.Random(7)
    delays = [CREATE_THROTTLED.delay_ms(3, rng) for _ in range(200)]
    assert all(isinstance(d, int) and 0 <= d <= 4_000 for d in delays)
    assert len(set(delays)) > 100
    assert policy.may_retry(5) and not policy.may_retry(6)
    with pytest.raises(ValueError):
        policy.delay_ms(0)


def test_status_never_moves_backwards() -> None:
    assert advances(None, "queued")
    assert (
        advances("queued", "sent")
        and advances("sent", "delivered")
        and advances("accepted", "failed")
    )
    assert not advances("delivered", "sent")
    assert not advances("sent", "queued")
    assert not advances("undelivered", "delivered")  # a final status is final
    assert not advances("sent", "exploded")
    assert is_final("canceled") and not is_final("sent")


def test_a_status_callback_is_parsed_and_extra_fields_are_ignored() -> None:
    report = parse_status_callback(
        {
            "MessageSid": "SM1",
            "MessageStatus": "undelivered",
            "ErrorCode": "30003",
            "To": "+8613800138000",
            "AccountSid": "AC1",
            "SmsSid": "SM1",
            "SmsStatus": "undelivered",
            "SomethingNew": "x",
        }
    )
    assert (report.message_sid, report.status, report.error_code) == ("SM1", "undelivered", 30003)
    assert report.final and report.verdict == "retry"
    sent = parse_status_callback({"MessageSid": "SM1", "MessageStatus": "sent", "ErrorCode": ""})
    assert sent.error_code is None and not sent.final and sent.verdict is None
    with pytest.raises(ValueError):
        parse_status_callback({"MessageStatus": "sent"})
