"""County figures an auditor can add up, and the anomalies found in older data.

- "sent to bank" counts each payout item once however often its failed line was re-issued;
- a bank result line whose amount differs from its item is refused, naming the line;
- an asset return booked by two live regular runs (recorded before the one-live-run rule,
  inserted here directly) is flagged on the anomalies list.
"""
from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from dividends import payouts, runs
from dividends.anomalies import find_anomalies
from dividends.clock import FixedClock
from dividends.overview import county_overview
from dividends.store.models import PayoutItem, Run
from schemes.problems import InputError
from tests.dbsupport import clean_db, database_url, db  # noqa: F401  (fixtures)
from tests.dividends.test_outbox_support import paid_run

pytestmark = pytest.mark.db


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def clock() -> FixedClock:
    return FixedClock(datetime(2025, 1, 6, 2, 0, tzinfo=UTC))


async def test_sent_to_bank_counts_a_reissued_line_once(clean_db: str, tmp_path: Path) -> None:
    run, good, bad = await paid_run(tmp_path, clock(), failed=2)
    again = await payouts.pay(run.id, "accountant", clock=clock())
    assert again.batch.number == 2 and again.batch.items == 2
    owed = sum(await PayoutItem.filter(batch_id=again.batch.id).values_list("amount_fen", flat=True))
    approved = sum(await PayoutItem.filter(run_id=run.id, batch__number=1).values_list("amount_fen", flat=True))
    overview = await county_overview(None, 2024)
    village = next(v for v in overview.villages if v.code == "V0001")
    assert village.issued_fen == approved and overview.issued_fen == approved  # not approved + owed
    assert owed > 0 and village.issued_fen <= village.posted_fen


async def test_a_bank_result_line_with_another_amount_is_refused(clean_db: str, tmp_path: Path) -> None:
    from tests.dividends.test_outbox_support import publicized_run
    c = clock()
    run = await publicized_run(tmp_path, c)
    c.advance(days=7)
    await runs.approve(run.id, "chair", c)
    await payouts.pay(run.id, "accountant", clock=c)
    items = await PayoutItem.filter(run_id=run.id).order_by("household_id").values_list("household_id", "amount_fen")
    (first, fen), *rest = items
    result = tmp_path / "bank-result.csv"
    result.write_text("户编号,状态,金额,失败原因\n" + f"{first},成功,{yuan(fen + 1)},\n"
                      + "".join(f"{h},成功,{yuan(f)},\n" for h, f in rest), encoding="utf-8-sig")
    with pytest.raises(InputError) as refused:
        await payouts.import_bank_result(run.id, result, "accountant", clock=c)
    text = refused.value.problems[0].text("en")
    assert first in text and "row 2" in text and f"says {yuan(fen + 1)} yuan" in text, text
    assert f"{(fen // 100):,}.{fen % 100:02d} yuan" in text, text
    assert not await PayoutItem.filter(run_id=run.id, status="paid").exists()  # nothing was recorded
    # the same file with the right amount is accepted
    result.write_text("户编号,状态,金额,失败原因\n" + "".join(f"{h},成功,{yuan(f)},\n" for h, f in items),
                      encoding="utf-8-sig")
    done = await payouts.import_bank_result(run.id, result, "accountant", clock=c)
    assert done.paid == len(items)


async def test_a_return_booked_by_two_live_runs_is_flagged(clean_db: str, tmp_path: Path) -> None:
    run, _, _ = await paid_run(tmp_path, clock(), failed=0)
    assert not (await find_anomalies(None, date(2025, 2, 1))).double_bookings
    # a second regular run of the same return, as recorded before the one-live-run rule
    row = await Run.get(id=run.id)
    second = await Run.create(village_id=row.village_id, period=row.period, kind="regular", state="computed",  # type: ignore[attr-defined]
                              scheme_id=row.scheme_id, snapshot_id=row.snapshot_id,  # type: ignore[attr-defined]
                              asset_return_id=row.asset_return_id, pool_fen=row.pool_fen,  # type: ignore[attr-defined]
                              prepared_by="accountant")
    found = (await find_anomalies(None, date(2025, 2, 1))).double_bookings
    assert [(b.village, b.period, b.runs) for b in found] == [("V0001", 2024, ((run.id, "paid"), (second.id, "computed")))]
    assert found[0].amount_fen == run.pool_fen
    assert (await find_anomalies(None, date(2025, 2, 1))).count >= 1
    await Run.filter(id=second.id).update(state="cancelled")  # a cancelled run is not live
    assert not (await find_anomalies(None, date(2025, 2, 1))).double_bookings
