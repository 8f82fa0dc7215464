"""The public notice (公示) of a run, built from what the database holds."""
from __future__ import annotations

import json

import polars as pl

from dividends.clock import Clock, SystemClock, today
from dividends.files import NoticeAccount, NoticeData, NoticeHousehold, NoticeStep, notice_steps, render_notice, scheme_paragraph
from dividends.files.notice import Objection as HowToObject
from dividends.outbox.content import DEFAULT_ASSET
from dividends.outbox.messages import phrase
from dividends.runs import get_run, lines_frame, run_brought_forward
from dividends.store import registry as registry_store
from schemes.loader import parse_scheme
from schemes.model import Label


DEDUCTIONS_STEP = NoticeStep("deductions", Label("扣款（偿还欠款）", "Deductions (debts recovered)"), deducts=True)
"""The column of what the run's deductions file took from each household (negative amounts)."""


async def notice_data(run_id: int, clock: Clock = SystemClock()) -> NoticeData:
    run = await get_run(run_id)
    scheme = parse_scheme(run.scheme.text, f"{run.scheme.scheme_id}.yaml")
    lines = await lines_frame(run.id)
    people = await registry_store.households_of_snapshot(run.snapshot.id)
    households = []
    for row in lines.filter(pl.col("recipient_kind") == "household").iter_rows(named=True):
        h = people[row["recipient_id"]]
        households.append(NoticeHousehold(h.household_id, h.head_name, h.id_number, h.status, h.members,
                                          {k: int(v) for k, v in json.loads(row["breakdown"]).items() if v}))
    accounts = tuple(
        NoticeAccount(row["recipient_id"], scheme.accounts[row["recipient_id"]].label, row["amount_fen"])
        for row in lines.filter(pl.col("recipient_kind") == "account").iter_rows(named=True)
        if row["recipient_id"] in scheme.accounts)
    village = run.village
    carried = run_brought_forward(run)
    from dividends.overview import outstanding_debts  # the village's debts left after this run
    still_owed = tuple((d.household, d.after_run_fen) for d in await outstanding_debts(run) if d.after_run_fen > 0)
    posted = run.notice_start or today(clock)
    return NoticeData(
        village_name=village.name, county=(await village.county).name, period=run.period,  # type: ignore[attr-defined]
        scheme_title=scheme.title, description=scheme_paragraph(scheme),
        asset=_asset(run.asset_return.asset), return_fen=run.pool_fen,
        publicity_start=run.notice_start or posted, publicity_end=run.notice_end or posted, posted_on=posted,
        objection=HowToObject(contact_name=village.contact_name or Label("村委会", "the village committee"),
                              contact_phone=village.contact_phone,
                              address=village.office_address or Label("村委会办公室", "the village committee office")),
        steps=notice_steps(scheme) + ((DEDUCTIONS_STEP,) if run.deductions_file or run.recoveries else ()), households=tuple(households), accounts=accounts, run_id=str(run.id),
        content_hash=run.content_hash or "",
        brought_forward_fen=carried.fen if carried else 0, brought_forward_period=carried.period if carried else None,
        still_owed=still_owed)


def _asset(asset: str) -> Label:
    """The asset as recorded; the stored default (no name given) in the words the SMS uses."""
    if asset and asset != DEFAULT_ASSET:
        return Label(asset, asset)
    return Label(phrase("outbox.project.default", "zh"), phrase("outbox.project.default", "en"))


async def notice_html(run_id: int, lang: str = "zh", clock: Clock = SystemClock()) -> str:
    return render_notice(await notice_data(run_id, clock), lang)
