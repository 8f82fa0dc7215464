"""``dividends import registry``, ``dividends run ...``, ``dividends ledger ...``, ``dividends
village set``.

Every command here reads or changes the database, so it signs in first (:mod:`dividends.cli.login`:
``--user NAME`` with the password asked for or ``--password-stdin``, or ``DIVIDENDS_TOKEN``) and
calls one use-case with that actor: the same rules of role, scope, state and maker–checker as
the web pages."""
from __future__ import annotations

import io
import os
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Optional

import polars as pl
import typer

from dividends.actors import Actor
from dividends.cli import templating
from dividends.cli.console import err, out, say, show_problems, table, text, yuan
from dividends.cli.login import PasswordStdinOpt, UserOpt, as_user
from dividends.settings import load_settings
from schemes.i18n import load_catalog

load_catalog(Path(__file__).parents[1] / "locale", "dividends")
run_app = typer.Typer(help="Payout runs: create, compute, publicize, approve, pay, close, reverse.", no_args_is_help=True)
import_app = typer.Typer(help="Import a registry (households, posts, members) as new versioned snapshots.", no_args_is_help=True)
ledger_app = typer.Typer(help="The villages' ledgers: verify the hash chains, export to Beancount.", no_args_is_help=True)
import_app.command("template")(templating.template)

RunArg = Annotated[int, typer.Argument(help="run number")]


def _carried(run) -> dict[str, int] | None:  # type: ignore[no-untyped-def]
    """Last period's carry-over that joined a run's pool (``run.brought_forward``), if any."""
    bf = run.brought_forward
    return None if not bf else {"fen": sum(int(f) for f in bf["accounts"].values()), "run": int(bf["run"]),
                                "period": int(bf["period"])}


def _write_private(path: Path, data: bytes | str) -> None:
    """Write a file holding personal numbers, readable by its owner only (mode 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(raw)
    os.chmod(path, 0o600)


@import_app.command("registry")
def import_registry_cmd(
    registry: Annotated[Path, typer.Option("--registry", help="households file (CSV or XLSX)")],
    period: Annotated[int, typer.Option("--period")],
    posts: Annotated[Optional[Path], typer.Option("--posts")] = None,
    members: Annotated[Optional[Path], typer.Option("--members")] = None,
    village: Annotated[Optional[str], typer.Option("--village", help="the village imported (default: your village)")] = None,
    exclude_invalid: Annotated[bool, typer.Option("--exclude-invalid")] = False,
    user: UserOpt = None, password_stdin: PasswordStdinOpt = False,
    columns: Annotated[Optional[Path], typer.Option("--columns", help="column mapping file (YAML)")] = None,
    sheet: Annotated[Optional[str], typer.Option("--sheet", help="the households workbook's sheet")] = None,
    vocabulary: Annotated[Optional[Path], typer.Option("--vocabulary", help="the county's status words")] = None,
    events: Annotated[Optional[Path], typer.Option(
        "--events", help="household and member events within the period (joined, left, died, status changed)")] = None,
) -> None:
    """Validate and store your village's registry as a new version with its diff (accountant)."""
    from dividends.cli.computing import reading_options, show_reading_report
    from dividends.usecases import registry as registry_cases

    mapping, sheets, words = reading_options(columns, sheet, vocabulary)

    async def work(actor: Actor):  # type: ignore[no-untyped-def]
        return await registry_cases.import_registry(
            actor, village or actor.village_code or "", registry, period=period, posts=posts, members=members,
            exclude_invalid=exclude_invalid, mapping=mapping, sheets=sheets, vocabulary=words, events=events)
    report = as_user(user, password_stdin, work, busy=text("cli.busy.import"))
    show_reading_report(report.notes, report.warnings)
    t = table(text("cli.col.village"), text("cli.col.version"), text("cli.col.households"), text("cli.col.added"),
              text("cli.col.removed"), text("cli.col.changed"), title=text("cli.import.title", period=period))
    for v in report.villages:
        t.add_row(v.village, str(v.version) + (f" ({text('cli.import.unchanged')})" if v.unchanged else ""),
                  str(v.households), str(v.added), str(v.removed), str(v.changed))
    out.print(t)
    for v in report.villages:
        _show_event_changes(v)
    if report.exclusions:
        show_problems(report.exclusions, limit=20)
    if report.import_id is not None:
        say("cli.import.number", id=report.import_id)


EVENT_LINES = 20


def _show_event_changes(village) -> None:  # type: ignore[no-untyped-def]
    """The events of a new version and those added and removed against the previous one."""
    from dividends.period_inputs import event_text
    from schemes.i18n import current_language

    diff = village.event_changes
    if diff is None or not (diff.count or diff.removed):
        return
    say("cli.import.events", village=village.village, count=diff.count, added=len(diff.added), removed=len(diff.removed))
    lang = current_language()
    for key, rows in (("cli.import.event_added", diff.added), ("cli.import.event_removed", diff.removed)):
        for row in rows[:EVENT_LINES]:
            say(key, event=event_text(row, lang))
        if len(rows) > EVENT_LINES:
            say("cli.import.events_more", count=len(rows) - EVENT_LINES)


@import_app.command("withdraw")
def withdraw_cmd(import_id: Annotated[int, typer.Argument(help="the import's number (shown by import registry)")],
                 reason: Annotated[str, typer.Option("--reason", help="why it is withdrawn")],
                 user: UserOpt = None, password_stdin: PasswordStdinOpt = False) -> None:
    """Withdraw an import no run uses: kept and recorded, no longer any village's current version."""
    from dividends.usecases import registry as registry_cases

    done = as_user(user, password_stdin, lambda actor: registry_cases.withdraw(actor, import_id, reason))
    say("cli.import.withdrawn" if done.changed else "cli.import.withdrawn_already", id=done.import_id,
        villages=list(done.villages))


village_app = typer.Typer(help="Village details shown on notices: name, committee contact, county.", no_args_is_help=True)


@village_app.command("set")
def village_set(code: Annotated[str, typer.Argument(help="village id (as in the registry)")],
                name: Annotated[Optional[str], typer.Option("--name")] = None,
                contact_name: Annotated[Optional[str], typer.Option("--contact-name")] = None,
                contact_phone: Annotated[Optional[str], typer.Option("--contact-phone")] = None,
                address: Annotated[Optional[str], typer.Option("--address")] = None,
                county_name: Annotated[Optional[str], typer.Option("--county-name")] = None,
                user: UserOpt = None, password_stdin: PasswordStdinOpt = False) -> None:
    """Name a village, say how to reach its committee (shown on the public notice; admin)."""
    from dividends.usecases import villages as village_cases
    v = as_user(user, password_stdin, lambda actor: village_cases.update(
        actor, code, county_name=county_name, name=name, contact_name=contact_name, contact_phone=contact_phone,
        office_address=address))
    out.print(f"{v.code}: {v.name} · {v.contact_name} {v.contact_phone} · {v.office_address}", markup=False)


@village_app.command("language")
def village_language(code: Annotated[str, typer.Argument(help="village id (as in the registry)")],
                     language: Annotated[str, typer.Argument(help="zh | en: the language of its notices and of the "
                                                             "texts to households without a language of their own")],
                     user: UserOpt = None, password_stdin: PasswordStdinOpt = False) -> None:
    """Set the language of a village's documents (its accountant or an administrator)."""
    from dividends.usecases import villages as village_cases
    v = as_user(user, password_stdin, lambda actor: village_cases.set_language(actor, code, language))
    say("cli.village.language", village=v.code, language=text(f"cli.language.{v.language}"))


@run_app.command("create")
def create(village: Annotated[str, typer.Option("--village")], period: Annotated[int, typer.Option("--period")],
           scheme: Annotated[str, typer.Option("--scheme", help="a preset name or a scheme file")],
           amount: Annotated[Optional[str], typer.Option("--amount", help="the asset return, in yuan")] = None,
           asset: Annotated[Optional[str], typer.Option("--asset", help="which asset (when a village has several)")] = None,
           replaces: Annotated[Optional[int], typer.Option("--replaces", help="a reversed run this one corrects")] = None,
           deductions: Annotated[Optional[Path], typer.Option(
               "--deductions", exists=True, dir_okay=False, help="debts and overpayments to deduct (household, amount, reason, creditor)")] = None,
           user: UserOpt = None, password_stdin: PasswordStdinOpt = False) -> None:
    """Create a draft run: pins the scheme text, the registry version and the return (accountant)."""
    from dividends.usecases import runs as run_cases

    run = as_user(user, password_stdin, lambda actor: run_cases.create(
        actor, village, period, scheme, amount_yuan=amount, asset=asset, replaces=replaces,
        deductions=(deductions.name, deductions.read_bytes()) if deductions is not None else None))
    say("cli.run.created", run=run.id, village=village, period=period, scheme=run.scheme.scheme_id,
        version=run.scheme.version, amount=yuan(run.pool_fen))


def _transition(name: str, user: str | None, password_stdin: bool, action: Callable[[Actor], Awaitable[object]]) -> None:
    outcome = as_user(user, password_stdin, action, busy=text("cli.busy.transition", action=name))
    run = getattr(outcome, "run", outcome)
    from dividends.runs import state_name
    if getattr(outcome, "changed", True):
        say("cli.run.state", run=run.id, state=state_name(run.state))
    else:
        say("run.noop", run=run.id, state=state_name(run.state))


@run_app.command("compute")
def compute_cmd(run: RunArg, user: UserOpt = None, password_stdin: PasswordStdinOpt = False) -> None:
    """Compute the allocation from the pinned inputs (posts nothing; accountant)."""
    from dividends.usecases import runs as run_cases
    _transition("compute", user, password_stdin, lambda actor: run_cases.compute(actor, run))


@run_app.command("publicize")
def publicize_cmd(run: RunArg,
                  start: Annotated[Optional[str], typer.Option("--from", help="first day of the notice (YYYY-MM-DD; default today, never earlier)")] = None,
                  end: Annotated[Optional[str], typer.Option("--to", help="last day to object (default: the shortest period allowed)")] = None,
                  notice: Annotated[Optional[Path], typer.Option("--notice", help="also write the printable notice (HTML)")] = None,
                  user: UserOpt = None, password_stdin: PasswordStdinOpt = False) -> None:
    """Start the notice period (公示); objections can be recorded until its last day (accountant)."""
    from dividends.usecases import runs as run_cases
    settings = load_settings()
    first = date.fromisoformat(start) if start else None
    last = date.fromisoformat(end) if end else None

    async def work(actor: Actor) -> object:
        outcome = await run_cases.publicize(actor, run, first, last, min_days=settings.publicity_min_days)
        if notice is not None:
            await _write_notice(actor, run, notice)
        return outcome
    _transition("publicize", user, password_stdin, work)


async def _write_notice(actor: Actor, run: int, path: Path) -> None:
    from dividends.usecases import reading
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(await reading.notice_html(actor, run), encoding="utf-8")  # the village's language
    say("cli.run.notice", file=str(path))


@run_app.command("notice")
def notice_cmd(run: RunArg, out_file: Annotated[Path, typer.Option("--out", help="HTML file to write")],
               user: UserOpt = None, password_stdin: PasswordStdinOpt = False) -> None:
    """Write the printable public notice of a run (masked names and ID numbers; every role)."""
    as_user(user, password_stdin, lambda actor: _write_notice(actor, run, out_file))


@run_app.command("object")
def object_cmd(run: RunArg, household: Annotated[str, typer.Option("--household")],
               objection: Annotated[str, typer.Option("--text", help="what the household says")],
               user: UserOpt = None, password_stdin: PasswordStdinOpt = False) -> None:
    """Record an objection during the notice period (it blocks approval until resolved; accountant or committee)."""
    from dividends.usecases import objections
    row = as_user(user, password_stdin, lambda actor: objections.record(actor, run, household, objection, channel="cli"))
    say("cli.run.objection", objection=row.id, household=household)


@run_app.command("resolve")
def resolve_cmd(objection: Annotated[int, typer.Argument(help="objection number")],
                resolution: Annotated[str, typer.Option("--resolution", help="how it was resolved")],
                user: UserOpt = None, password_stdin: PasswordStdinOpt = False) -> None:
    """Resolve an objection, saying how (committee)."""
    from dividends.usecases import objections
    row = as_user(user, password_stdin, lambda actor: objections.resolve(actor, objection, resolution))
    say("cli.run.resolved", objection=row.id)


@run_app.command("pay")
def pay_cmd(run: RunArg, bank_format: Annotated[str, typer.Option("--bank-format")] = "generic",
            out_dir: Annotated[Path, typer.Option("--out", help="where to write the bank files")] = Path("out"),
            user: UserOpt = None, password_stdin: PasswordStdinOpt = False) -> None:
    """Issue the payout batch (or a follow-up batch for failed lines) and write its bank files (accountant)."""
    from dividends.usecases import payments

    async def work(actor: Actor):  # type: ignore[no-untyped-def]
        outcome = await payments.pay(actor, run, bank_format=bank_format)
        if outcome.batch is None:  # every household owed has no bank account: all paid in cash
            return outcome, []
        files = await payments.export_batch(actor, run, outcome.batch.number, out_dir / f"run-{run}")
        for f in files:
            os.chmod(f, 0o600)  # full account numbers
        return outcome, files
    outcome, files = as_user(user, password_stdin, work, busy=text("cli.busy.transition", action="pay"))
    if outcome.batch is None:
        say("cli.run.all_in_cash", run=run)
        return
    say("cli.run.batch", batch=outcome.batch.number, items=outcome.batch.items, total=yuan(outcome.batch.total_fen),
        files=", ".join(str(f) for f in files))


@run_app.command("bank-result")
def bank_result_cmd(run: RunArg, result: Annotated[Path, typer.Argument(help="the bank's result file (CSV or XLSX)")],
                    batch: Annotated[Optional[int], typer.Option("--batch")] = None,
                    user: UserOpt = None, password_stdin: PasswordStdinOpt = False) -> None:
    """Record the bank's result line by line; paid lines post a settlement (accountant)."""
    from dividends.usecases import payments
    outcome = as_user(user, password_stdin, lambda actor: payments.bank_result(actor, run, result, batch_number=batch))
    if outcome.changed:
        say("cli.run.result", batch=outcome.batch, paid=outcome.paid, failed=outcome.failed)
    else:
        say("cli.run.result_same")


@run_app.command("close")
def close_cmd(run: RunArg, allow_unpaid: Annotated[bool, typer.Option("--allow-unpaid")] = False,
              reason: Annotated[str, typer.Option("--reason", help="why unpaid households stay unpaid")] = "",
              user: UserOpt = None, password_stdin: PasswordStdinOpt = False) -> None:
    """Close a paid run (every line has a bank result; unpaid lines only when allowed, with a reason; accountant)."""
    from dividends.usecases import payments
    _transition("close", user, password_stdin,
                lambda actor: payments.close(actor, run, allow_unpaid=allow_unpaid, reason=reason))


@run_app.command("cash-record")
def cash_record_cmd(run: RunArg, scan: Annotated[Path, typer.Option("--scan", help="the scan of the signed receipt list (JPEG, PNG or PDF)")],
                    household: Annotated[list[str], typer.Option("--household", help="a household paid in cash (repeat the option)")],
                    note: Annotated[str, typer.Option("--note")] = "",
                    user: UserOpt = None, password_stdin: PasswordStdinOpt = False) -> None:
    """Record households of a paid run paid in cash against the signed list, failed bank payments only (accountant; a committee member approves)."""
    from dividends.usecases import payments
    row = as_user(user, password_stdin, lambda actor: payments.record_cash(actor, run, household, name=scan.name,
                                                                           data=scan.read_bytes(), note=note))
    say("cli.run.cash_recorded", payment=row.id, count=len(set(household)), total=yuan(row.total_fen))  # type: ignore[attr-defined]


@run_app.command("cash-approve")
def cash_approve_cmd(run: RunArg, payment: Annotated[int, typer.Argument(help="the cash payment's number")],
                     user: UserOpt = None, password_stdin: PasswordStdinOpt = False) -> None:
    """Approve a recorded cash payment (a committee member who did not record it): its households become paid and the settlement is posted."""
    from dividends.usecases import payments
    changed = as_user(user, password_stdin, lambda actor: payments.approve_cash(actor, run, payment))
    say("cli.run.cash_paid" if changed else "cli.run.cash_same", payment=payment)


@run_app.command("cash-reject")
def cash_reject_cmd(run: RunArg, payment: Annotated[int, typer.Argument(help="the cash payment's number")],
                    reason: Annotated[str, typer.Option("--reason", help="why it is turned down")],
                    user: UserOpt = None, password_stdin: PasswordStdinOpt = False) -> None:
    """Turn a recorded cash payment down, saying why (a committee member who did not record it): nothing is paid."""
    from dividends.usecases import payments
    changed = as_user(user, password_stdin, lambda actor: payments.reject_cash(actor, run, payment, reason))
    say("cli.run.cash_rejected" if changed else "cli.run.cash_same", payment=payment)


@run_app.command("cancel")
def cancel_cmd(run: RunArg, reason: Annotated[str, typer.Option("--reason")],
               user: UserOpt = None, password_stdin: PasswordStdinOpt = False) -> None:
    """Abandon a run that posted nothing yet (draft, computed or publicized; accountant)."""
    from dividends.usecases import runs as run_cases
    _transition("cancel", user, password_stdin, lambda actor: run_cases.cancel(actor, run, reason))


@run_app.command("reverse")
def reverse_cmd(run: RunArg, reason: Annotated[str, typer.Option("--reason")],
                user: UserOpt = None, password_stdin: PasswordStdinOpt = False) -> None:
    """Prepare the undoing of a posted run: a reversal run that posts only when another committee
    member approves it (`run approve-reversal`); then create a corrected run with --replaces."""
    from dividends.usecases import runs as run_cases
    mirror = as_user(user, password_stdin, lambda actor: run_cases.reverse(actor, run, reason))
    say("cli.run.reversal_prepared", run=run, reversal=mirror.id)


@run_app.command("approve-reversal")
def approve_reversal_cmd(reversal: Annotated[int, typer.Argument(help="the reversal run's number")],
                         user: UserOpt = None, password_stdin: PasswordStdinOpt = False) -> None:
    """Approve a prepared reversal (a committee member of the village who did not prepare it): posts the mirror."""
    from dividends.usecases import runs as run_cases
    mirror = as_user(user, password_stdin, lambda actor: run_cases.approve_reversal(actor, reversal))
    say("cli.run.reversed", run=mirror.reverses_id, reversal=mirror.id)  # type: ignore[attr-defined]


@run_app.command("pack")
def pack_cmd(run: RunArg, out_file: Annotated[Path, typer.Option("--out", help="the zip to write")],
             user: UserOpt = None, password_stdin: PasswordStdinOpt = False) -> None:
    """Write the run's audit pack (full personal data, mode 0600; the village's accountant, the county's auditors and admins)."""
    from dividends.usecases import reading
    data = as_user(user, password_stdin, lambda actor: reading.audit_pack(actor, run))
    _write_private(out_file, data)
    say("cli.run.pack", file=str(out_file), size=len(data))


@run_app.command("show")
def show_cmd(run: RunArg, user: UserOpt = None, password_stdin: PasswordStdinOpt = False) -> None:
    """A run's facts: state, scheme, totals, objections, batches, ledger entries (every role, in scope)."""
    from dividends.runs import events_read, lines_frame
    from dividends.store import ledger as ledger_store
    from dividends.usecases import reading

    async def work(actor: Actor):  # type: ignore[no-untyped-def]
        r, details = await reading.run_details(actor, run)
        from dividends.overview import outstanding_debts
        owed = await outstanding_debts(r)
        return r, await lines_frame(r.id), details, await ledger_store.entries_of_run(r.id), owed, await events_read(r)

    r, lines, details, entries, owed, events = as_user(user, password_stdin, work)
    t = table(text("cli.col.kind"), text("cli.col.id"), title=text("cli.show.title", run=r.id))
    households = lines.filter(pl.col("recipient_kind") == "household")
    rows = [
        ("village", f"{r.village.code} {r.village.name}"), ("period", str(r.period)), ("kind", r.kind),
        ("state", r.state), ("scheme", f"{r.scheme.scheme_id} v{r.scheme.version}"),
        ("registry", f"v{r.snapshot.version} ({r.snapshot.households} households)"),
        ("pool", yuan(r.pool_fen)),
        *([("brought forward", f"{yuan(bf['fen'])} (run {bf['run']}, {bf['period']})")] if (bf := _carried(r)) else []),
        *([("correction needed", r.correction_needed)] if r.correction_needed else []),
        *([("events", text("cli.show.events", count=events))] if events is not None else []),
        ("households paid", f"{(households['amount_fen'] > 0).sum()} / {yuan(households['amount_fen'].sum())}"),
        ("accounts", ", ".join(f"{a} {yuan(f)}" for a, f in lines.filter(pl.col("recipient_kind") == "account")
                               .select("recipient_id", "amount_fen").iter_rows())),
        ("content hash", (r.content_hash or "-")[:16]), ("prepared by", r.prepared_by), ("approved by", r.approved_by or "-"),
        ("notice", f"{r.notice_start or '-'} → {r.notice_end or '-'}"),
        ("objections", ", ".join(f"#{i} {h} {s}" for i, h, s in details.objections) or "-"),
        ("batches", ", ".join(f"#{n}: {k} / {yuan(f)}" for n, k, f in details.batches) or "-"),
        ("payout items", ", ".join(f"{s} {details.items[s]}" for s in ("paid", "failed", "pending") if details.items[s]) or "-"),
        ("ledger", ", ".join(f"#{e.seq} {e.kind} {e.hash[:10]}" for e in entries) or "-"),
        ("debts to recover", ", ".join(f"{h} {yuan(int(f))}" for _, h, f, *_ in (r.recoveries or [])) or "-"),
        ("debts outstanding", ", ".join(f"{d.household} {yuan(d.left_fen)}" + (
            f" (-{yuan(d.this_run_fen)} → {yuan(d.after_run_fen)})" if d.this_run_fen else "") for d in owed) or "-"),
    ]
    for k, v in rows:
        t.add_row(k, v)
    out.print(t)


@run_app.command("list")
def list_cmd(village: Annotated[Optional[str], typer.Option("--village")] = None,
             period: Annotated[Optional[int], typer.Option("--period")] = None,
             state: Annotated[Optional[str], typer.Option("--state")] = None,
             user: UserOpt = None, password_stdin: PasswordStdinOpt = False) -> None:
    """Runs of the villages you see, newest first (every role)."""
    from dividends.runs import kind_name, state_name
    from dividends.usecases import reading
    rows = as_user(user, password_stdin, lambda actor: reading.list_runs(actor, village=village, period=period, state=state))
    t = table(text("cli.col.run"), text("cli.col.village"), text("cli.col.period"), text("cli.col.kind"),
              text("cli.col.state"), text("cli.col.scheme"), text("cli.col.total"), text("cli.col.age"), text=(1, 3, 4, 5))
    for r in rows:
        t.add_row(str(r.id), r.village, str(r.period), str(kind_name(r.kind)), state_name(r.state).text(), r.scheme,
                  yuan(r.pool_fen), r.created.isoformat())
    out.print(t)


@ledger_app.command("verify")
def ledger_verify(village: Annotated[Optional[list[str]], typer.Option("--village")] = None,
                  against: Annotated[Optional[Path], typer.Option(
                      "--against", help="a checkpoint file (ledger checkpoint): the chains must still hold its heads")] = None,
                  user: UserOpt = None, password_stdin: PasswordStdinOpt = False) -> None:
    """Check every entry balances and every chain is intact (edited, deleted, reordered entries) in
    the villages you see; with ``--against``, also that each chain still holds the entries a signed
    checkpoint recorded (so that rewriting entries and head together is detected)."""
    from dividends import ledger
    from dividends.ledger import checkpoint
    from dividends.usecases import reading

    anchor = None
    if against is not None:
        anchor = _read_checkpoint(against)
        if village:
            anchor = checkpoint.Checkpoint(anchor.created_at, {v: h for v, h in anchor.heads.items() if v in village})
    entries, heads = as_user(user, password_stdin, lambda actor: reading.ledgers(actor, village))
    errors = ledger.verify(entries, heads, every_head=True)
    if anchor is not None:
        errors += checkpoint.verify_against(entries, anchor)
    if errors:
        out.print(text("cli.ledger.bad"), style="red")
        for e in errors[:50]:
            out.print(f"  - {e.text()}", markup=False)
        raise typer.Exit(1)
    say("cli.ledger.ok", villages=len(entries), entries=sum(len(v) for v in entries.values()))
    if anchor is not None:
        say("cli.ledger.checkpoint_ok", villages=len(anchor.heads), file=str(against), at=anchor.created_at)


def _checkpoint_key() -> str:
    from dividends.settings import SettingsError
    try:
        key = load_settings().ledger_checkpoint_key
    except SettingsError as exc:
        err.print(exc.text(), style="red", markup=False)
        raise typer.Exit(2) from None
    if key is None:
        from schemes.i18n import Msg
        err.print(Msg("ledger.checkpoint.no_key").text(), style="red", markup=False)
        raise typer.Exit(2)
    return key.get_secret_value()


def _read_checkpoint(path: Path):  # type: ignore[no-untyped-def]
    from dividends.ledger import checkpoint
    key = _checkpoint_key()
    try:
        return checkpoint.read(path.read_bytes(), key, str(path))
    except OSError as exc:
        err.print(f"{path}: {exc.strerror}", style="red", markup=False)
        raise typer.Exit(2) from None
    except checkpoint.CheckpointError as exc:
        err.print(exc.text(), style="red", markup=False)
        raise typer.Exit(1) from None


@ledger_app.command("checkpoint")
def ledger_checkpoint(out_file: Annotated[Path, typer.Option("--out", help="the checkpoint file to write")],
                      user: UserOpt = None, password_stdin: PasswordStdinOpt = False) -> None:
    """Write the chain head of every village you see (county auditor or administrator) to a file
    signed with LEDGER_CHECKPOINT_KEY (the key the county keeps). The county keeps the file;
    ``ledger verify --against FILE`` checks it later."""
    from datetime import datetime, timezone

    from dividends import ledger
    from dividends.ledger import checkpoint
    from dividends.usecases import reading

    key = _checkpoint_key()
    entries, heads = as_user(user, password_stdin, reading.checkpoint_ledgers)
    errors = ledger.verify(entries, heads, every_head=True)
    if errors:
        # a checkpoint of a broken ledger would anchor the damage: refuse it
        out.print(text("cli.ledger.bad"), style="red")
        for e in errors[:50]:
            out.print(f"  - {e.text()}", markup=False)
        raise typer.Exit(1)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    out_file.write_bytes(checkpoint.write(heads, key, datetime.now(timezone.utc)))
    say("cli.ledger.checkpoint_written", villages=len(heads), file=str(out_file))


@ledger_app.command("export")
def ledger_export(out_file: Annotated[Path, typer.Option("--out")],
                  fmt: Annotated[str, typer.Option("--format", help="beancount")] = "beancount",
                  village: Annotated[Optional[list[str]], typer.Option("--village")] = None,
                  user: UserOpt = None, password_stdin: PasswordStdinOpt = False) -> None:
    """Export the ledgers of the villages you see (Beancount's bean-check accepts the file)."""
    from dividends import ledger
    from dividends.usecases import reading
    if fmt != "beancount":
        raise typer.BadParameter("only beancount")
    entries, _ = as_user(user, password_stdin, lambda actor: reading.ledgers(actor, village))
    flat = [e for es in entries.values() for e in es]
    buffer = io.StringIO()
    ledger.write_beancount(flat, buffer)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    out_file.write_text(buffer.getvalue(), encoding="utf-8")
    say("cli.ledger.exported", entries=len(flat), file=str(out_file))
