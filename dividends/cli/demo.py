"""``dividends demo``: sample villages through every preset, then the whole payout lifecycle on a
fresh SQLite file: import, runs, notice, objection, approval, bank files and results, close,
audit pack and ledger checks."""
from __future__ import annotations

import asyncio
import io
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from dividends.bundle import verify_bundle, write_bundle
from dividends.cli.computing import print_summary
from dividends.cli.console import out, say, show_problems
from dividends.clock import FixedClock, SystemClock, today
from dividends.compare import compare
from dividends.compute import Computation, Inputs, compute
from support.sample import generate, write_csv
from schemes.i18n import Msg, current_language
from schemes.money import format_yuan
from schemes.presets import preset_names
from schemes.problems import InputError

MARKER = ".dividends-demo"
LIFECYCLE = {  # village: (scheme, name, asset)
    "V0001": ("photovoltaic", "青山村", "村级光伏扶贫电站（300 千瓦）"),
    "V0002": ("tourism-cooperative", "石门村", "野三坡景区旅游合作社"),
    "V0003": ("shareholding", "桃园村", "猕猴桃产业园股份"),
}


def demo(
    directory: Annotated[Path, typer.Option("--dir", help="where to write the demo files")] = Path("demo-out"),
    villages: Annotated[int, typer.Option(help="how many villages (at least 3)")] = 3,
    households: Annotated[int, typer.Option(help="how many households in all")] = 600,
    period: Annotated[int, typer.Option(help="the payout year")] = 2024,
) -> None:
    """Sample villages through every preset, then a whole payout lifecycle on a fresh SQLite file."""
    if directory.exists() and any(directory.iterdir()) and not (directory / MARKER).exists():
        raise typer.BadParameter(Msg("demo.not_empty", dir=str(directory)).text())
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    (directory / MARKER).write_text("files written by `dividends demo`; safe to delete\n", encoding="utf-8")
    say("demo.start", villages=max(villages, 3), households=households, dir=str(directory))

    data = generate(households, max(villages, 3), seed=period)
    # every household gets a bank account here (the generator leaves a few without, as real
    # registries do; `dividends run approve` refuses such a run until the registry is fixed)
    data = data.__class__(
        households=data.households.with_columns(
            pl.when(pl.col("account_no") == "").then(pl.lit("62170000") + pl.col("household_id").str.replace_all("[^0-9]", ""))
            .otherwise(pl.col("account_no")).alias("account_no"),
            pl.when(pl.col("bank") == "").then(pl.lit("农村信用合作社")).otherwise(pl.col("bank")).alias("bank")),
        persons=data.persons, posts=data.posts, returns=data.returns)
    files = write_csv(data, directory / "registry", headers="zh", encoding="utf-8-sig")
    lang = current_language()

    out.rule(Msg("demo.part1").text())
    first_bundle = None
    for name in preset_names():
        inputs = Inputs(scheme=name, registry=files["households"], posts=files["posts"], members=files["persons"],
                        returns=files["returns"], period=period)
        result = compute(inputs)
        bundle = directory / "computations" / name
        write_bundle(result, bundle, overwrite=True)
        first_bundle = first_bundle or bundle
        out.rule(Msg("demo.preset", title=result.scheme.title.text(lang), id=name).text(), style="dim")
        print_summary(result, villages=3)
        _example_household(result, lang)
    assert first_bundle is not None
    check = verify_bundle(first_bundle)
    if not check.ok:
        show_problems(check.problems)
        raise typer.Exit(1)
    say("verify.ok", dir=str(first_bundle), hash=(check.content_hash or "")[:16])
    base = Inputs(scheme="golden-chicken", registry=files["households"], posts=files["posts"],
                  members=files["persons"], returns=files["returns"], period=period)
    c = compare(base, "shareholding")
    out.print(Msg("demo.compare", a="golden-chicken", b="shareholding").text(), markup=False)
    for r in c.by_status.iter_rows(named=True):
        out.print(f"  {r['status']:<10} {r['households']:>5}  {format_yuan(r['a_fen']):>14} → "
                  f"{format_yuan(r['b_fen']):>14}  ({format_yuan(r['difference_fen'])})", markup=False)

    db = directory / "demo.sqlite3"
    out.rule(Msg("demo.part2", db=str(db)).text())
    returns = dict(zip(data.returns["village_id"], data.returns["amount_fen"]))
    asyncio.run(_lifecycle(f"sqlite://{db}", files, directory, period, returns))
    say("demo.done", dir=str(directory))


async def _lifecycle(url: str, files: dict[str, Path], directory: Path, period: int, returns: dict[str, int]) -> None:
    from dividends import ledger, payouts, runs
    from dividends.auditpack import build_pack, verify_pack
    from dividends.imports import import_registry
    from dividends.publicity import notice_html
    from dividends.store import ledger as ledger_store
    from dividends.store.db import database
    from dividends.store.models import PayoutItem
    from dividends.villages import update_village

    def step(key: str, /, **params: object) -> None:
        say("demo.step", text=Msg(key, **params).text())

    lang = current_language()
    clock = FixedClock(SystemClock().now())  # the demo moves time on by hand (notice periods last a week)
    async with database(url):
        report = await import_registry(files["households"], period=period, actor="会计", posts=files["posts"],
                                       members=files["persons"])
        for v in report.villages:
            step("demo.imported", village=v.village, version=v.version, households=v.households)
        for village, (scheme, name, asset) in LIFECYCLE.items():
            await update_village(village, "管理员", county_name="沂南县", name=name, contact_name="村委会 王主任",
                                 contact_phone="0539-3212345", office_address=f"{name}村委会办公室")
            out.print()
            say("demo.village", village=f"{village} {name}", scheme=scheme, amount=format_yuan(returns[village]))
            run = await runs.create_run(village, period, scheme, "会计", asset=asset,
                                        amount_yuan=format_yuan(returns[village], grouping=False))
            await runs.compute_run(run.id, "会计", clock)
            lines = await runs.lines_frame(run.id)
            hh = lines.filter(pl.col("recipient_kind") == "household")
            step("demo.summary", lines=lines.height, paid=int((hh["amount_fen"] > 0).sum()),
                 households=format_yuan(int(hh["amount_fen"].sum())),
                 accounts=format_yuan(int(lines.filter(pl.col("recipient_kind") == "account")["amount_fen"].sum())))
            start = today(clock)
            await runs.publicize(run.id, start, start + timedelta(days=6), "会计", clock)
            notice = directory / "runs" / f"{village}-notice.html"
            notice.parent.mkdir(parents=True, exist_ok=True)
            notice.write_text(await notice_html(run.id, lang), encoding="utf-8")
            step("cli.run.notice", file=str(notice))
            await _sms(run.id, "publicity", directory, step, clock, example=True)
            if village == "V0001":
                household = hh.filter(pl.col("amount_fen") > 0)["recipient_id"][0]
                from dividends.store.models import Objection
                objection = await Objection.create(run_id=run.id, household_id=household, text="岗位月数少算了一个月",
                                                   channel="cli", recorded_by="会计")
                step("demo.objection", household=household, text=objection.text)
                await runs.resolve_objection(objection.id, "核对考勤表，月数无误", "村委主任", clock)
            clock.advance(days=8)  # the notice period is over
            try:
                await runs.approve(run.id, "会计", clock)
            except InputError as refused:
                step("demo.refused", reason=refused.problems[0].msg.text())
            await runs.approve(run.id, "村委主任", clock, resolution={  # the representatives' meeting, on record
                "counts": {"meeting_date": clock.now().date(), "body": "representatives", "entitled": 35, "present": 27,
                           "votes_for": 24, "votes_against": 1, "abstaining": 2}, "quorum": ">=2/3", "majority": ">1/2"})
            step("cli.run.state", run=run.id, state=runs.state_name("approved"))
            batch = (await payouts.pay(run.id, "会计", clock=clock)).batch
            bank_files = await payouts.export_batch(run.id, batch.number, directory / "runs" / f"{village}-bank")
            step("cli.run.batch", batch=batch.number, items=batch.items, total=format_yuan(batch.total_fen),
                 files=", ".join(p.name for p in bank_files))
            items = await PayoutItem.filter(batch=batch).order_by("household_id").values_list("household_id", flat=True)
            failed = items[:1] if village == "V0001" else []
            result = directory / "runs" / f"{village}-bank-result-1.csv"
            result.write_text("户编号,状态,失败原因\n" + "".join(
                f"{h},{'失败' if h in failed else '成功'},{'账户冻结' if h in failed else ''}\n" for h in items),
                encoding="utf-8-sig")
            await payouts.import_bank_result(run.id, result, "会计", clock=clock)
            if failed:
                follow = (await payouts.pay(run.id, "会计", clock=clock)).batch
                step("demo.bank", paid=len(items) - 1, failed=1, reason="账户冻结", batch=follow.number)
                again = directory / "runs" / f"{village}-bank-result-2.csv"
                again.write_text(f"户编号,状态\n{failed[0]},成功\n", encoding="utf-8-sig")
                await payouts.import_bank_result(run.id, again, "会计", clock=clock)
            await _sms(run.id, "payment_confirmation", directory, step, clock, example=village == "V0001")
            await payouts.close(run.id, "会计", clock=clock)
            step("cli.run.state", run=run.id, state=runs.state_name("closed"))
            pack = directory / "runs" / f"{village}-audit-pack.zip"
            pack.write_bytes(await build_pack(run.id))
            checked = verify_pack(pack)
            if not checked.ok:
                show_problems(checked.problems)
                raise typer.Exit(1)
            step("pack.ok", run=run.id, village=village, period=period)
        entries = await ledger_store.entries_by_village()
        errors = ledger.verify(entries, await ledger_store.heads())
        if errors:
            raise typer.Exit(1)
        out.print()
        say("cli.ledger.ok", villages=len(entries), entries=sum(len(v) for v in entries.values()))
        buffer = io.StringIO()
        ledger.write_beancount([e for es in entries.values() for e in es], buffer)
        books = directory / "ledger.beancount"
        books.write_text(buffer.getvalue(), encoding="utf-8")
        say("cli.ledger.exported", entries=sum(len(v) for v in entries.values()), file=str(books))


async def _sms(run_id: int, kind: str, directory: Path, step, clock: FixedClock, *,  # type: ignore[no-untyped-def]
               example: bool) -> None:
    """Tell the households by SMS: the estimate first, then a dry-run send into a file."""
    from notify.console import FileSender
    from notify.settings import SmsSettings

    from dividends.outbox.dispatcher import dispatch
    from dividends.outbox.prepare import estimate, prepare, release
    from dividends.store.models import Notice

    guess = await estimate(run_id, kind, clock=clock)
    step("demo.sms_estimate", kind=kind, count=guess.to_send, segments=guess.segments,
         cost=format_yuan(guess.cost_fen), no_phone=guess.no_phone)
    await prepare(run_id, kind, "会计", clock)
    await release(run_id, kind, "会计", clock)  # the accountant confirms after the estimate
    outbox = directory / "sms-outbox.jsonl"
    settings = SmsSettings(backend="file", outbox_file=outbox, rate_per_second=1000)
    async with FileSender(outbox) as sender:
        report = await dispatch(sender, settings, clock, run_id=run_id, kind=kind)
    step("demo.sms_report", sent=report.sent, file=str(outbox))
    if example:
        first = await Notice.filter(run_id=run_id, kind=kind, status="sent").order_by("household_id").first()
        if first is not None:
            step("demo.sms_example", text=first.body)


def _example_household(result: Computation, lang: str) -> None:
    """Print the breakdown of the best-paid poor household, as its notice would state it."""
    a = result.allocation
    hh = (a.households.filter(pl.col("status") == "poor")
          .join(result.registry.households.select("household_id", "members"), on="household_id")
          .sort("amount_fen", "household_id", descending=[True, False]))
    if hh.height == 0 or hh["amount_fen"][0] == 0:
        return
    row = hh.row(0, named=True)
    parts = [f"{s.label.text(lang)} {format_yuan(row[s.id])}" for s in a.scheme.steps if row.get(s.id)]
    say("demo.household", household=row["household_id"], status=row["status"], members=row["members"],
        amount=format_yuan(row["amount_fen"]), breakdown=", ".join(parts))
