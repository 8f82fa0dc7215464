"""``dividends import registry``, ``dividends run ...``, ``dividends ledger ...``."""
from __future__ import annotations

import asyncio
import getpass
import io
import os
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Optional, TypeVar

import polars as pl
import typer

from dividends.cli import templating
from dividends.cli.console import err, out, say, show_problems, table, text, yuan
from dividends.clock import SystemClock, today
from dividends.settings import load_settings
from dividends.store.db import database

T = TypeVar("T")
run_app = typer.Typer(help="Payout runs: create, compute, publicize, approve, pay, close, reverse.", no_args_is_help=True)
import_app = typer.Typer(help="Import a registry (households, posts, members) as new versioned snapshots.", no_args_is_help=True)
ledger_app = typer.Typer(help="The villages' ledgers: verify the hash chains, export to Beancount.", no_args_is_help=True)
import_app.command("template")(templating.template)

UserOpt = Annotated[str, typer.Option("--user", help="who is acting (default: DIVIDENDS_USER or the login name)")]
RunArg = Annotated[int, typer.Argument(help="run number")]


def default_user() -> str:
    return os.environ.get("DIVIDENDS_USER") or getpass.getuser()


def with_db(work: Callable[[], Awaitable[T]], busy: str | None = None) -> T:
    """Open the database (SQLite file by default, DATABASE_URL otherwise), run, close; with a
    spinner naming what is being done when stderr is a terminal (large runs take seconds)."""
    async def main() -> T:
        async with database(load_settings().database_url):
            return await work()
    if busy and err.is_terminal:
        with err.status(busy):
            return asyncio.run(main())
    return asyncio.run(main())


@import_app.command("registry")
def import_registry_cmd(
    registry: Annotated[Path, typer.Option("--registry", help="households file (CSV or XLSX)")],
    period: Annotated[int, typer.Option("--period")],
    posts: Annotated[Optional[Path], typer.Option("--posts")] = None,
    members: Annotated[Optional[Path], typer.Option("--members")] = None,
    county: Annotated[str, typer.Option("--county", help="county code the villages belong to")] = "default",
    exclude_invalid: Annotated[bool, typer.Option("--exclude-invalid")] = False,
    user: UserOpt = "",
    columns: Annotated[Optional[Path], typer.Option("--columns", help="column mapping file (YAML)")] = None,
    sheet: Annotated[Optional[str], typer.Option("--sheet", help="the households workbook's sheet")] = None,
    vocabulary: Annotated[Optional[Path], typer.Option("--vocabulary", help="the county's status words")] = None,
) -> None:
    """Validate and store the registry; each village gets a new version with its diff."""
    from dividends.cli.computing import reading_options, show_reading_report
    from dividends.imports import import_registry

    mapping, sheets, words = reading_options(columns, sheet, vocabulary)
    report = with_db(lambda: import_registry(registry, period=period, actor=user or default_user(), posts=posts,
                                             members=members, county=county, exclude_invalid=exclude_invalid,
                                             mapping=mapping, sheets=sheets, vocabulary=words),
                     busy=text("cli.busy.import"))
    show_reading_report(report.notes, report.warnings)
    t = table(text("cli.col.village"), text("cli.col.version"), text("cli.col.households"), text("cli.col.added"),
              text("cli.col.removed"), text("cli.col.changed"), title=text("cli.import.title", period=period))
    for v in report.villages:
        t.add_row(v.village, str(v.version) + (f" ({text('cli.import.unchanged')})" if v.unchanged else ""),
                  str(v.households), str(v.added), str(v.removed), str(v.changed))
    out.print(t)
    if report.exclusions:
        show_problems(report.exclusions, limit=20)


village_app = typer.Typer(help="Village details shown on notices: name, committee contact, county.", no_args_is_help=True)


@village_app.command("set")
def village_set(code: Annotated[str, typer.Argument(help="village id (as in the registry)")],
                name: Annotated[Optional[str], typer.Option("--name")] = None,
                contact_name: Annotated[Optional[str], typer.Option("--contact-name")] = None,
                contact_phone: Annotated[Optional[str], typer.Option("--contact-phone")] = None,
                address: Annotated[Optional[str], typer.Option("--address")] = None,
                county_name: Annotated[Optional[str], typer.Option("--county-name")] = None,
                user: UserOpt = "") -> None:
    """Name a village, say how to reach its committee (shown on the public notice)."""
    from dividends.villages import update_village
    v = with_db(lambda: update_village(code, user or default_user(), county_name=county_name, name=name,
                                       contact_name=contact_name, contact_phone=contact_phone, office_address=address))
    out.print(f"{v.code}: {v.name} · {v.contact_name} {v.contact_phone} · {v.office_address}", markup=False)


@run_app.command("create")
def create(village: Annotated[str, typer.Option("--village")], period: Annotated[int, typer.Option("--period")],
           scheme: Annotated[str, typer.Option("--scheme", help="a preset name or a scheme file")],
           amount: Annotated[Optional[str], typer.Option("--amount", help="the asset return, in yuan")] = None,
           asset: Annotated[Optional[str], typer.Option("--asset", help="which asset (when a village has several)")] = None,
           replaces: Annotated[Optional[int], typer.Option("--replaces", help="a reversed run this one corrects")] = None,
           user: UserOpt = "") -> None:
    """Create a draft run: pins the scheme text, the registry version and the return."""
    from dividends.runs import create_run

    run = with_db(lambda: create_run(village, period, scheme, user or default_user(), amount_yuan=amount, asset=asset,
                                     replaces=replaces))
    say("cli.run.created", run=run.id, village=village, period=period, scheme=run.scheme.scheme_id,
        version=run.scheme.version, amount=yuan(run.pool_fen))


def _transition(name: str, action: Callable[[], Awaitable[object]]) -> None:
    outcome = with_db(action, busy=text("cli.busy.transition", action=name))
    run = getattr(outcome, "run", outcome)
    from dividends.runs import state_name
    if getattr(outcome, "changed", True):
        say("cli.run.state", run=run.id, state=state_name(run.state))
    else:
        say("run.noop", run=run.id, state=state_name(run.state))


@run_app.command("compute")
def compute_cmd(run: RunArg, user: UserOpt = "") -> None:
    """Compute the allocation from the pinned inputs (posts nothing)."""
    from dividends.runs import compute_run
    _transition("compute", lambda: compute_run(run, user or default_user()))


@run_app.command("publicize")
def publicize_cmd(run: RunArg,
                  start: Annotated[Optional[str], typer.Option("--from", help="first day of the notice (YYYY-MM-DD; default today)")] = None,
                  end: Annotated[Optional[str], typer.Option("--to", help="last day to object (default: the shortest period allowed)")] = None,
                  notice: Annotated[Optional[Path], typer.Option("--notice", help="also write the printable notice (HTML)")] = None,
                  user: UserOpt = "") -> None:
    """Start the notice period (公示); objections can be recorded until its last day."""
    from dividends.runs import publicize
    settings = load_settings()
    first = date.fromisoformat(start) if start else today(SystemClock())
    last = date.fromisoformat(end) if end else first + timedelta(days=settings.publicity_min_days - 1)

    async def work() -> object:
        outcome = await publicize(run, first, last, user or default_user(), min_days=settings.publicity_min_days)
        if notice is not None:
            await _write_notice(run, notice)
        return outcome
    _transition("publicize", work)


async def _write_notice(run: int, path: Path) -> None:
    from dividends.publicity import notice_html
    from schemes.i18n import current_language
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(await notice_html(run, current_language()), encoding="utf-8")
    say("cli.run.notice", file=str(path))


@run_app.command("notice")
def notice_cmd(run: RunArg, out_file: Annotated[Path, typer.Option("--out", help="HTML file to write")]) -> None:
    """Write the printable public notice of a run (masked names and ID numbers)."""
    with_db(lambda: _write_notice(run, out_file))


@run_app.command("object")
def object_cmd(run: RunArg, household: Annotated[str, typer.Option("--household")],
               objection: Annotated[str, typer.Option("--text", help="what the household says")], user: UserOpt = "") -> None:
    """Record an objection during the notice period (it blocks approval until resolved)."""
    from dividends.runs import record_objection
    row = with_db(lambda: record_objection(run, household, objection, channel="cli", actor=user or default_user()))
    say("cli.run.objection", objection=row.id, household=household)


@run_app.command("resolve")
def resolve_cmd(objection: Annotated[int, typer.Argument(help="objection number")],
                resolution: Annotated[str, typer.Option("--resolution", help="how it was resolved")], user: UserOpt = "") -> None:
    """Resolve an objection, saying how."""
    from dividends.runs import resolve_objection
    row = with_db(lambda: resolve_objection(objection, resolution, user or default_user()))
    say("cli.run.resolved", objection=row.id)


@run_app.command("approve")
def approve_cmd(run: RunArg, user: UserOpt = "") -> None:
    """Approve (not by the preparer; after the notice period; no open objection): posts the accrual."""
    from dividends.runs import approve
    _transition("approve", lambda: approve(run, user or default_user()))


@run_app.command("pay")
def pay_cmd(run: RunArg, bank_format: Annotated[str, typer.Option("--bank-format")] = "generic",
            out_dir: Annotated[Path, typer.Option("--out", help="where to write the bank files")] = Path("out"),
            user: UserOpt = "") -> None:
    """Issue the payout batch (or a follow-up batch for failed lines) and write its bank files."""
    from dividends.payouts import export_batch, pay

    async def work():  # type: ignore[no-untyped-def]
        outcome = await pay(run, user or default_user(), bank_format=bank_format)
        files = await export_batch(run, outcome.batch.number, out_dir / f"run-{run}")
        return outcome, files
    outcome, files = with_db(work, busy=text("cli.busy.transition", action="pay"))
    say("cli.run.batch", batch=outcome.batch.number, items=outcome.batch.items, total=yuan(outcome.batch.total_fen),
        files=", ".join(str(f) for f in files))


@run_app.command("bank-result")
def bank_result_cmd(run: RunArg, result: Annotated[Path, typer.Argument(help="the bank's result file (CSV or XLSX)")],
                    batch: Annotated[Optional[int], typer.Option("--batch")] = None, user: UserOpt = "") -> None:
    """Record the bank's result line by line; paid lines post a settlement."""
    from dividends.payouts import import_bank_result
    outcome = with_db(lambda: import_bank_result(run, result, user or default_user(), batch_number=batch))
    if outcome.changed:
        say("cli.run.result", batch=outcome.batch, paid=outcome.paid, failed=outcome.failed)
    else:
        say("cli.run.result_same")


@run_app.command("close")
def close_cmd(run: RunArg, allow_unpaid: Annotated[bool, typer.Option("--allow-unpaid")] = False, user: UserOpt = "") -> None:
    """Close a paid run (every line has a bank result; unpaid lines only when allowed)."""
    from dividends.payouts import close
    _transition("close", lambda: close(run, user or default_user(), allow_unpaid=allow_unpaid))


@run_app.command("cancel")
def cancel_cmd(run: RunArg, reason: Annotated[str, typer.Option("--reason")], user: UserOpt = "") -> None:
    """Abandon a run that posted nothing yet (draft, computed or publicized)."""
    from dividends.runs import cancel
    _transition("cancel", lambda: cancel(run, user or default_user(), reason))


@run_app.command("reverse")
def reverse_cmd(run: RunArg, reason: Annotated[str, typer.Option("--reason")], user: UserOpt = "") -> None:
    """Undo a posted run with a linked reversal run (then create a corrected run with --replaces)."""
    from dividends.runs import prepare_reversal
    mirror = with_db(lambda: prepare_reversal(run, user or default_user(), reason))
    say("cli.run.reversed", run=run, reversal=mirror.id)


@run_app.command("pack")
def pack_cmd(run: RunArg, out_file: Annotated[Path, typer.Option("--out", help="the zip to write")]) -> None:
    """Write the run's audit pack (verify it anywhere with `dividends verify PACK.zip`)."""
    from dividends.auditpack import build_pack
    data = with_db(lambda: build_pack(run))
    out_file.parent.mkdir(parents=True, exist_ok=True)
    out_file.write_bytes(data)
    say("cli.run.pack", file=str(out_file), size=len(data))


@run_app.command("show")
def show_cmd(run: RunArg) -> None:
    """A run's facts: state, scheme, totals, objections, batches, ledger entries."""
    from dividends.runs import get_run, lines_frame
    from dividends.store import ledger as ledger_store
    from dividends.store.models import Objection, PayoutBatch, PayoutItem

    async def work():  # type: ignore[no-untyped-def]
        r = await get_run(run)
        lines = await lines_frame(run)
        objections = await Objection.filter(run_id=run).order_by("id")
        batches = await PayoutBatch.filter(run_id=run).order_by("number")
        items = await PayoutItem.filter(run_id=run).values_list("status", flat=True)
        entries = await ledger_store.entries_of_run(run)
        return r, lines, objections, batches, items, entries

    r, lines, objections, batches, items, entries = with_db(work)
    t = table(text("cli.col.kind"), text("cli.col.id"), title=text("cli.show.title", run=r.id))
    households = lines.filter(pl.col("recipient_kind") == "household")
    rows = [
        ("village", f"{r.village.code} {r.village.name}"), ("period", str(r.period)), ("kind", r.kind),
        ("state", r.state), ("scheme", f"{r.scheme.scheme_id} v{r.scheme.version}"),
        ("registry", f"v{r.snapshot.version} ({r.snapshot.households} households)"),
        ("pool", yuan(r.pool_fen)), ("households paid", f"{(households['amount_fen'] > 0).sum()} / {yuan(households['amount_fen'].sum())}"),
        ("accounts", ", ".join(f"{a} {yuan(f)}" for a, f in lines.filter(pl.col("recipient_kind") == "account")
                               .select("recipient_id", "amount_fen").iter_rows())),
        ("content hash", (r.content_hash or "-")[:16]), ("prepared by", r.prepared_by), ("approved by", r.approved_by or "-"),
        ("notice", f"{r.notice_start or '-'} → {r.notice_end or '-'}"),
        ("objections", ", ".join(f"#{o.id} {o.household_id} {o.status}" for o in objections) or "-"),
        ("batches", ", ".join(f"#{b.number}: {b.items} / {yuan(b.total_fen)}" for b in batches) or "-"),
        ("payout items", ", ".join(f"{s} {items.count(s)}" for s in ("paid", "failed", "pending") if items.count(s)) or "-"),
        ("ledger", ", ".join(f"#{e.seq} {e.kind} {e.hash[:10]}" for e in entries) or "-"),
    ]
    for k, v in rows:
        t.add_row(k, v)
    out.print(t)


@run_app.command("list")
def list_cmd(village: Annotated[Optional[str], typer.Option("--village")] = None,
             period: Annotated[Optional[int], typer.Option("--period")] = None,
             state: Annotated[Optional[str], typer.Option("--state")] = None) -> None:
    """Runs, newest first."""
    from dividends.store.models import Run

    async def work():  # type: ignore[no-untyped-def]
        q = Run.all().prefetch_related("village", "scheme").order_by("-id")
        if village:
            q = q.filter(village__code=village)
        if period:
            q = q.filter(period=period)
        if state:
            q = q.filter(state=state)
        return await q.limit(200)
    t = table(text("cli.col.run"), text("cli.col.village"), text("cli.col.period"), text("cli.col.kind"),
              text("cli.col.state"), text("cli.col.scheme"), text("cli.col.total"), text("cli.col.age"))
    for r in with_db(work):
        t.add_row(str(r.id), r.village.code, str(r.period), r.kind, r.state, f"{r.scheme.scheme_id} v{r.scheme.version}",
                  yuan(r.pool_fen), r.created_at.date().isoformat())
    out.print(t)


@ledger_app.command("verify")
def ledger_verify(village: Annotated[Optional[list[str]], typer.Option("--village")] = None) -> None:
    """Check every entry balances and every chain is intact (edited, deleted, reordered entries)."""
    from dividends import ledger
    from dividends.store import ledger as ledger_store

    async def work():  # type: ignore[no-untyped-def]
        entries = await ledger_store.entries_by_village(village)
        return entries, ledger.verify(entries, await ledger_store.heads(village))
    entries, errors = with_db(work)
    if errors:
        out.print(text("cli.ledger.bad"), style="red")
        for e in errors[:50]:
            out.print(f"  - {e.text()}", markup=False)
        raise typer.Exit(1)
    say("cli.ledger.ok", villages=len(entries), entries=sum(len(v) for v in entries.values()))


@ledger_app.command("export")
def ledger_export(out_file: Annotated[Path, typer.Option("--out")],
                  fmt: Annotated[str, typer.Option("--format", help="beancount")] = "beancount",
                  village: Annotated[Optional[list[str]], typer.Option("--village")] = None) -> None:
    """Export the ledgers (Beancount's bean-check accepts the file)."""
    from dividends import ledger
    from dividends.store import ledger as ledger_store
    if fmt != "beancount":
        raise typer.BadParameter("only beancount")
    entries = with_db(lambda: ledger_store.entries_by_village(village))
    flat = [e for es in entries.values() for e in es]
    buffer = io.StringIO()
    ledger.write_beancount(flat, buffer)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    out_file.write_text(buffer.getvalue(), encoding="utf-8")
    say("cli.ledger.exported", entries=len(flat), file=str(out_file))
