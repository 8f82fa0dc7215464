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
import schemes
from support.sample import generate, write_csv
from schemes.i18n import Msg, current_language, load_catalog
from schemes.money import format_yuan
from schemes.presets import preset_names
from schemes.statuses import label as status_label
from schemes.problems import InputError

load_catalog(Path(__file__).parents[1] / "locale", "dividends")

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
    out.print(Msg("demo.compare", a=c.a.scheme.title.text(lang), b=c.b.scheme.title.text(lang)).text(), markup=False)
    for r in c.by_status.iter_rows(named=True):
        out.print(f"  {status_label(r['status'], lang):<10} {r['households']:>5}  {format_yuan(r['a_fen']):>14} → "
                  f"{format_yuan(r['b_fen']):>14}  ({format_yuan(r['difference_fen'])})", markup=False)

    db = directory / "demo.sqlite3"
    out.rule(Msg("demo.part2", db=str(db)).text())
    returns = dict(zip(data.returns["village_id"], data.returns["amount_fen"]))
    asyncio.run(_lifecycle(f"sqlite://{db}", data, directory, period, returns))
    say("demo.done", dir=str(directory))


DEMO_COUNTY = ("C371321", "沂南县")


def _village_files(data, village: str, directory: Path) -> dict[str, Path]:  # type: ignore[no-untyped-def]
    """One village's registry files (each accountant imports only its own village)."""
    households = data.households.filter(pl.col("village_id") == village)
    ids = households["household_id"]
    part = data.__class__(households=households, persons=data.persons.filter(pl.col("household_id").is_in(ids)),
                          posts=data.posts.filter(pl.col("household_id").is_in(ids)),
                          returns=data.returns.filter(pl.col("village_id") == village))
    return write_csv(part, directory, headers="zh", encoding="utf-8-sig")


async def _people(step) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """The demo's own users, each signed in with its password as anyone would be: the county's
    administrator (the first user of the empty database), and per village an accountant and two
    committee members (one records the objection's resolution, the other approves)."""
    import secrets

    from dividends.access import verify_login
    from dividends.usecases import users, villages

    passwords: dict[str, str] = {}

    async def sign_in(name: str):  # type: ignore[no-untyped-def]
        actor = await verify_login(name, passwords[name], "demo")
        assert actor is not None
        return actor

    passwords["admin"] = secrets.token_urlsafe(12)
    await users.bootstrap_admin("admin", passwords["admin"], display_name="县农经站 管理员")
    admin = await sign_in("admin")
    people: dict[str, object] = {"admin": admin}
    for village, (_, name, _) in LIFECYCLE.items():
        await villages.create(admin, village, name, county=DEMO_COUNTY[0], county_name=DEMO_COUNTY[1],
                              contact_name="村委会 王主任", contact_phone="0539-3212345",
                              office_address=f"{name}村委会办公室")
        for role, who, label in (("accountant", "acc", "会计"), ("committee", "chair", "村务监督委员会主任"),
                                 ("committee", "member", "村务监督委员会委员")):
            username = f"{who}-{village}"
            passwords[username] = secrets.token_urlsafe(12)
            await users.create(admin, username, passwords[username], role, village=village,
                               display_name=f"{name} {label}")
            people[username] = await sign_in(username)
    step("demo.users", count=len(passwords))
    return people


async def _lifecycle(url: str, data, directory: Path, period: int, returns: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    from dividends import ledger, runs
    from dividends.refusals import Forbidden
    from dividends.store.db import database
    from dividends.store.listing import payout_household_ids
    from dividends.usecases import objections, payments, reading
    from dividends.usecases import registry as registry_cases
    from dividends.usecases import runs as run_cases

    def step(key: str, /, **params: object) -> None:
        say("demo.step", text=Msg(key, **params).text())

    clock = FixedClock(SystemClock().now())  # the demo moves time on by hand (notice periods last a week)
    async with database(url):
        people = await _people(step)
        admin = people["admin"]
        for village in LIFECYCLE:
            files = _village_files(data, village, directory / "registry" / village)
            report = await registry_cases.import_registry(people[f"acc-{village}"], village, files["households"],  # type: ignore[arg-type]
                                                          period=period, posts=files["posts"],
                                                          members=files["persons"])
            for v in report.villages:
                step("demo.imported", village=v.village, version=v.version, households=v.households)
        for village, (scheme, name, asset) in LIFECYCLE.items():
            accountant, chair, member = (people[f"{who}-{village}"] for who in ("acc", "chair", "member"))
            out.print()
            say("demo.village", village=f"{village} {name}", scheme=scheme, amount=format_yuan(returns[village]))
            run = await run_cases.create(accountant, village, period, scheme, asset=asset,  # type: ignore[arg-type]
                                         amount_yuan=format_yuan(returns[village], grouping=False))
            await run_cases.compute(accountant, run.id, clock)  # type: ignore[arg-type]
            lines = await runs.lines_frame(run.id)
            hh = lines.filter(pl.col("recipient_kind") == "household")
            step("demo.summary", lines=lines.height, paid=int((hh["amount_fen"] > 0).sum()),
                 households=format_yuan(int(hh["amount_fen"].sum())),
                 accounts=format_yuan(int(lines.filter(pl.col("recipient_kind") == "account")["amount_fen"].sum())))
            start = today(clock)
            await run_cases.publicize(accountant, run.id, start, start + timedelta(days=6), clock)  # type: ignore[arg-type]
            notice = directory / "runs" / f"{village}-notice.html"
            notice.parent.mkdir(parents=True, exist_ok=True)
            notice.write_text(await reading.notice_html(accountant, run.id, None, clock), encoding="utf-8")  # type: ignore[arg-type]
            step("cli.run.notice", file=str(notice))
            await _sms(accountant, run.id, "publicity", directory, step, clock, example=True)
            if village == "V0001" and hh.height:  # a household objects (one that gets something, if any does)
                household = hh.sort(["amount_fen", "recipient_id"], descending=[True, False])["recipient_id"][0]
                objection = await objections.record(accountant, run.id, household, "岗位月数少算了一个月",  # type: ignore[arg-type]
                                                    channel="cli", clock=clock)
                step("demo.objection", household=household, text=objection.text)
                await objections.resolve(chair, objection.id, "核对考勤表，月数无误", clock=clock)  # type: ignore[arg-type]
            clock.advance(days=8)  # the notice period is over
            try:
                await run_cases.approve(accountant, run.id, clock)  # type: ignore[arg-type]
            except (InputError, Forbidden) as refused:
                reason = refused.problems[0].msg if isinstance(refused, InputError) else refused.msg
                step("demo.refused", reason=reason.text())
            from dividends.approval import Resolution
            meeting = Resolution(clock.now().date(), entitled=35, present=27, votes_for=24, votes_against=1,
                                 abstaining=2, body="representatives")  # the representatives' meeting, on record
            await run_cases.approve(member, run.id, clock, resolution=meeting)  # type: ignore[arg-type]
            step("cli.run.state", run=run.id, state=runs.state_name("approved"))
            if int(hh["amount_fen"].sum()) == 0:  # a small registry: every fen to the accounts, no bank file
                step("demo.nothing_to_pay", run=run.id)
                await _pack(accountant, run.id, village, period, directory, step)
                continue
            batch = (await payments.pay(accountant, run.id, clock=clock)).batch  # type: ignore[arg-type]
            bank_files = await payments.export_batch(accountant, run.id, batch.number,  # type: ignore[arg-type]
                                                     directory / "runs" / f"{village}-bank")
            step("cli.run.batch", batch=batch.number, items=batch.items, total=format_yuan(batch.total_fen),
                 files=", ".join(p.name for p in bank_files))
            items = await payout_household_ids(run.id, batch.number)
            failed = items[:1] if village == "V0001" else []
            result = directory / "runs" / f"{village}-bank-result-1.csv"
            result.write_text("户编号,状态,失败原因\n" + "".join(
                f"{h},{'失败' if h in failed else '成功'},{'账户冻结' if h in failed else ''}\n" for h in items),
                encoding="utf-8-sig")
            await payments.bank_result(accountant, run.id, result, clock=clock)  # type: ignore[arg-type]
            if failed:
                follow = (await payments.pay(accountant, run.id, clock=clock)).batch  # type: ignore[arg-type]
                step("demo.bank", paid=len(items) - 1, failed=1, reason="账户冻结", batch=follow.number)
                again = directory / "runs" / f"{village}-bank-result-2.csv"
                again.write_text(f"户编号,状态\n{failed[0]},成功\n", encoding="utf-8-sig")
                outcome = await payments.bank_result(accountant, run.id, again, clock=clock)  # type: ignore[arg-type]
                step("cli.run.result", batch=outcome.batch, paid=outcome.paid, failed=outcome.failed)
            await _sms(accountant, run.id, "payment_confirmation", directory, step, clock, example=village == "V0001")
            await payments.close(accountant, run.id, clock=clock)  # type: ignore[arg-type]
            step("cli.run.state", run=run.id, state=runs.state_name("closed"))
            await _pack(accountant, run.id, village, period, directory, step)
        out.print()
        out.rule(Msg("demo.part3").text())
        await _dated_events(people, data, directory, period, step, clock)
        entries, heads = await reading.ledgers(admin)  # type: ignore[arg-type]
        errors = ledger.verify(entries, heads, every_head=True)
        if errors:
            raise typer.Exit(1)
        out.print()
        say("cli.ledger.ok", villages=len(entries), entries=sum(len(v) for v in entries.values()))
        buffer = io.StringIO()
        ledger.write_beancount([e for es in entries.values() for e in es], buffer)
        books = directory / "ledger.beancount"
        books.write_text(buffer.getvalue(), encoding="utf-8")
        say("cli.ledger.exported", entries=sum(len(v) for v in entries.values()), file=str(books))


async def _pack(actor, run_id: int, village: str, period: int, directory: Path, step) -> None:  # type: ignore[no-untyped-def]
    """Write the run's audit pack and check it offline."""
    from dividends.auditpack import verify_pack
    from dividends.usecases import reading

    pack = directory / "runs" / f"{village}-audit-pack.zip"
    pack.write_bytes(await reading.audit_pack(actor, run_id))
    pack.chmod(0o600)
    checked = verify_pack(pack)
    if not checked.ok:
        show_problems(checked.problems)
        raise typer.Exit(1)
    step("pack.ok", run=run_id, village=village, period=period)


EVENTS_VILLAGE = "V0001"
MONTHS_SCHEME = Path(schemes.__file__).resolve().parent / "examples" / "per-person-months.yaml"
MONTHS_ASSET = "村集体经济合作社分红"


def demo_events(households: pl.DataFrame, period: int) -> list[tuple[str, str, str, str, str]]:
    """Four dated events of one village's households (户编号, 变动类型, 变动日期, 成员姓名, 原类别):
    a member's death, a household moving out, a new member, and a poor household that exited
    poverty, each of a different household, poor or monitored ones first (the months scheme
    pays those), an exited one for the status change."""
    ordered = households.sort("household_id")
    paid = ordered.filter(pl.col("status").is_in(["poor", "monitored"]))["household_id"].to_list()
    exited = ordered.filter(pl.col("status") == "exited")["household_id"].to_list()
    rest = ordered["household_id"].to_list()
    taken: list[str] = []

    def pick(*pools: list[str]) -> str:
        for pool in pools:
            for h in pool:
                if h not in taken:
                    taken.append(h)
                    return h
        raise ValueError("fewer than four households")

    died, moved, grew = pick(paid, rest), pick(paid, rest), pick(paid, rest)
    changed = pick(exited, rest)
    return [(died, "死亡", f"{period}-05-10", "王秀英", ""), (moved, "迁出", f"{period}-08-20", "", ""),
            (grew, "新增", f"{period}-03-02", "李小宝", ""), (changed, "类别变更", f"{period}-10-15", "", "贫困户")]


async def _dated_events(people, data, directory: Path, period: int, step, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    """A new registry version of one village with four dated events, and a run of the example
    scheme that prorates by months of eligibility: each affected household's dividend by months
    beside what a whole year would have paid it."""
    from dividends import runs
    from dividends.period_inputs import event_text, read_event_rows
    from dividends.usecases import registry as registry_cases
    from dividends.usecases import runs as run_cases

    village = EVENTS_VILLAGE
    accountant = people[f"acc-{village}"]
    files = _village_files(data, village, directory / "registry" / f"{village}-events")
    rows = demo_events(data.households.filter(pl.col("village_id") == village), period)
    events = files["households"].with_name("events.csv")
    events.write_text("户编号,变动类型,变动日期,成员姓名,原类别\n" + "".join(",".join(r) + "\n" for r in rows),
                      encoding="utf-8-sig")
    report = await registry_cases.import_registry(accountant, village, files["households"], period=period,
                                                  posts=files["posts"], members=files["persons"], events=events)
    for v in report.villages:
        step("demo.events_imported", village=v.village, version=v.version, events=len(rows))
    lang = current_language()
    for r in read_event_rows(events, period).iter_rows(named=True):
        step("demo.event", text=event_text({**r, "date": r["date"].isoformat()}, lang))
    # a return that keeps every promise (500 yuan a person a year), so nothing is cut pro rata
    amount = format_yuan(50000 * int(data.households.filter(pl.col("village_id") == village)["members"].sum()), grouping=False)
    run = await run_cases.create(accountant, village, period, str(MONTHS_SCHEME), asset=MONTHS_ASSET, amount_yuan=amount)
    await run_cases.compute(accountant, run.id, clock)
    computed = await runs.get_run(run.id)
    say("demo.village", village=f"{village} {LIFECYCLE[village][1]}", scheme=computed.scheme.scheme_id,
        amount=format_yuan(computed.pool_fen))
    step("cli.show.events", count=await runs.events_read(computed))
    prorated = _step_of(await runs.lines_frame(run.id), "dividend")
    unchanged = _as_on_1_january(files, rows, period, amount)
    for household in sorted(r[0] for r in rows):  # in the order the events were listed
        step("demo.prorated", household=household, months=format_yuan(prorated.get(household, 0)),
             year=format_yuan(unchanged.get(household, 0)))


def _step_of(lines: pl.DataFrame, step_id: str) -> dict[str, int]:
    """Each household line's amount from one step (its breakdown)."""
    import json
    hh = lines.filter(pl.col("recipient_kind") == "household")
    return {h: int(json.loads(b).get(step_id, 0)) for h, b in zip(hh["recipient_id"], hh["breakdown"])}


def unchanged_events(rows: list[tuple[str, str, str, str, str]], period: int) -> list[tuple[str, str, str, str, str]]:
    """The same events, each dated 31 December of ``period``: under the months scheme's rule
    (a change counts from the month after) none of them takes effect within the year, so each
    household is counted all twelve months as it was on 1 January, before its change (the
    member who died still there, the new member not yet, the old status kept).

    >>> unchanged_events([("V0001-00012", "死亡", "2024-05-10", "王秀英", "")], 2024)
    [('V0001-00012', '死亡', '2024-12-31', '王秀英', '')]
    """
    return [(h, kind, f"{period}-12-31", member, status) for h, kind, _, member, status in rows]


def _as_on_1_january(files: dict[str, Path], rows: list[tuple[str, str, str, str, str]], period: int,
                     amount: str) -> dict[str, int]:
    """What the months scheme's dividend would pay each household had it stayed all year as it
    was on 1 January (nothing paid earlier): the same registry, scheme and return, computed the
    same way, with the events of :func:`unchanged_events`. A household that lost a member or its
    poor status gets less by months than this, one that gained a member more."""
    unchanged = files["households"].with_name("events-as-on-1-january.csv")
    unchanged.write_text("户编号,变动类型,变动日期,成员姓名,原类别\n"
                         + "".join(",".join(r) + "\n" for r in unchanged_events(rows, period)), encoding="utf-8-sig")
    unpaid = files["households"].with_name("nothing-paid.csv")
    unpaid.write_text("household_id,amount_yuan\n", encoding="utf-8")
    c = compute(Inputs(scheme=str(MONTHS_SCHEME), registry=files["households"], members=files["persons"],
                       posts=files["posts"], period=period, amount_yuan=amount, events=unchanged, earlier_paid=unpaid))
    hh = c.allocation.households
    return dict(zip(hh["household_id"].to_list(), hh["dividend"].to_list()))


async def _sms(actor, run_id: int, kind: str, directory: Path, step, clock: FixedClock, *,  # type: ignore[no-untyped-def]
               example: bool) -> None:
    """Tell the households by SMS: the estimate first, then a dry-run send into a file."""
    from notify.console import FileSender
    from notify.settings import SmsSettings

    from dividends.outbox.dispatcher import dispatch
    from dividends.outbox.prepare import estimate
    from dividends.store.listing import first_sent_notice
    from dividends.usecases import notices

    guess = await estimate(run_id, kind, clock=clock)
    step("demo.sms_estimate", kind=Msg(f"notify.kind.{kind}"), count=guess.to_send, segments=guess.segments,
         cost=format_yuan(guess.cost_fen), no_phone=guess.no_phone)
    await notices.prepare(actor, run_id, kind, clock)
    await notices.release(actor, run_id, kind, clock)  # the accountant confirms after the estimate
    outbox = directory / "sms-outbox.jsonl"
    settings = SmsSettings(backend="file", outbox_file=outbox, rate_per_second=1000)
    async with FileSender(outbox) as sender:
        report = await dispatch(sender, settings, clock, run_id=run_id, kind=kind)
    step("demo.sms_report", sent=report.sent, file=str(outbox))
    if example:
        body = await first_sent_notice(run_id, kind)
        if body is not None:
            step("demo.sms_example", text=body)


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
    say("demo.household", household=row["household_id"], status=status_label(row["status"], lang), members=row["members"],
        amount=format_yuan(row["amount_fen"]), breakdown=("，" if lang == "zh" else ", ").join(parts))
