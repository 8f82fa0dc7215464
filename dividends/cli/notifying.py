"""``dividends notify prepare|estimate|send|status|resend-failed RUN``: the SMS notices of a run;
``dividends notify templates``: the logical templates, their approval per provider, their texts.

The sender comes from the settings (``SMS_BACKEND``: ``console`` prints, ``file`` appends JSON
lines, ``twilio`` sends). Every command that reads or changes a run's notices signs in first
(``--user`` with the password, or ``DIVIDENDS_TOKEN``: :mod:`dividends.cli.login`) and calls the
use-cases of :mod:`dividends.usecases.notices` as that user; every write is an audit event in
its name. ``notify worker`` is the sending service (like ``serve``) and sends only what an
accountant released.
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, Optional, TypeVar

import typer

import dividends.outbox.messages  # noqa: F401  (messages)
from dividends.actors import Actor
from dividends.cli.console import err, out, progress, say, table, text, yuan
from dividends.cli.login import PasswordStdinOpt, UserOpt, credentials, sign_in
from dividends.clock import SystemClock
from dividends.outbox.dispatcher import DispatchReport, dispatch, record_dispatch
from dividends.outbox.fates import FATES, KINDS, fate_label, kind_label
from dividends.outbox.prepare import NoticeEstimate, PrepareReport, estimate
from dividends.outbox.worker import WorkerReport
from dividends.outbox.report import DeliveryReport, report
from dividends.settings import Settings, SettingsError, load_settings
from dividends.store.db import database
from dividends.store import outbox as outbox_store
from dividends.usecases import notices
from notify.catalog import Channel, ProviderTemplates, TemplateError
from notify.settings import channel_of, make_sender, provider_templates
from notify.texts import render_example

T = TypeVar("T")
app = typer.Typer(help="SMS notices of a run: prepare, estimate, send, delivery status, resend failed ones.",
                  no_args_is_help=True)


RunArg = Annotated[int, typer.Argument(help="run number")]
KindOpt = Annotated[str, typer.Option("--kind", help=f"one of {', '.join(KINDS)}")]


def _settings() -> Settings:
    """The settings, or a clear message naming the variable that is wrong (exit 2)."""
    try:
        return load_settings()
    except SettingsError as error:
        err.print(error.text(), style="red", markup=False)
        raise typer.Exit(2) from None


def _with_db(settings: Settings, work: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        async with database(settings.database_url):
            return await work()
    return asyncio.run(main())


def _as_user(settings: Settings, user: str | None, password_stdin: bool, work: Callable[[Actor], Awaitable[T]]) -> T:
    """Sign in, then run ``work(actor)`` (the same rules as the web's notices pages)."""
    name, password = credentials(user, password_stdin)

    async def main() -> T:
        async with database(settings.database_url):
            return await work(await sign_in(name, password))
    return asyncio.run(main())


def _reason(code: int | None, stored: str) -> str:
    key = f"notify.code.{code}"
    try:
        return text(key) if code is not None else stored
    except KeyError:
        return stored


@app.command("prepare")
def prepare_cmd(run: RunArg, kind: KindOpt, user: UserOpt = None, password_stdin: PasswordStdinOpt = False) -> None:
    """Write the notices of one kind for every household concerned (idempotent; accountant)."""
    settings = _settings()
    channel, templates = _channel(settings)
    done = _as_user(settings, user, password_stdin, lambda actor: notices.prepare(
        actor, run, kind, SystemClock(), max_segments=settings.sms.max_segments, channel=channel, templates=templates))
    _print_prepared(done)


def _print_prepared(done: PrepareReport) -> None:
    say("notify.prepared", run=done.run_id, kind=kind_label(done.kind), created=done.created, queued=done.queued,
        no_phone=done.no_phone, opted_out=done.opted_out, unrenderable=done.unrenderable, existing=done.existing)
    for household, reason in done.failures[:10]:
        err.print(text("notify.unrenderable", household=household, reason=reason), style="yellow", markup=False)


@app.command("estimate")
def estimate_cmd(run: RunArg, kind: KindOpt, user: UserOpt = None, password_stdin: PasswordStdinOpt = False) -> None:
    """Texts, segments and the estimated cost, before anything is sent (every role, in scope)."""
    settings = _settings()
    channel, templates = _channel(settings)

    async def work(actor: Actor) -> NoticeEstimate:
        return await estimate(await notices.readable(actor, run), kind,
                              price_per_segment_fen=settings.sms.price_per_segment_fen,
                              max_segments=settings.sms.max_segments, channel=channel, templates=templates)
    found = _as_user(settings, user, password_stdin, work)
    _print_estimate(found)


def nothing_reason(e: NoticeEstimate) -> tuple[str, dict[str, object]]:
    """Why an estimate has nothing to send, most telling first: the run's state or notice
    period, texts already handled, households unreachable, nobody to tell."""
    if e.closed is not None:
        return "notify.estimate.nothing.closed", {"reason": e.closed.text()}
    if e.done:
        return "notify.estimate.nothing.done", {"done": e.done}
    if e.no_phone or e.opted_out:
        return "notify.estimate.nothing.unreachable", {"no_phone": e.no_phone, "opted_out": e.opted_out}
    return "notify.estimate.nothing.nobody", {}


def _print_estimate(e: NoticeEstimate) -> None:
    title = text("notify.estimate.title", run=e.run_id, kind=kind_label(e.kind))
    if not e.prepared:
        title += " " + text("notify.estimate.not_prepared")
    t = table(text("notify.col.item"), text("notify.col.value"), title=title)
    t.add_row(text("notify.row.to_send"), str(e.to_send))
    t.add_row(text("notify.row.segments"), str(e.segments))
    t.add_row(text("notify.row.cost", price=e.price_per_segment_fen), yuan(e.cost_fen))
    t.add_row(text("notify.row.encoding"), f"{e.gsm7} / {e.ucs2}")
    t.add_row(text("notify.row.no_phone"), str(e.no_phone))
    t.add_row(text("notify.row.opted_out"), str(e.opted_out))
    t.add_row(text("notify.row.unrenderable"), str(e.unrenderable))
    t.add_row(text("notify.row.done"), str(e.done))
    out.print(t)
    if e.to_send == 0:
        key, params = nothing_reason(e)
        say(key, **params)
    if e.over_limit_count:
        err.print(text("notify.over_limit", count=e.over_limit_count, max=e.max_segments,
                       households=[f"{o.household_id} ({o.segments})" for o in e.over_limit[:10]]),
                  style="yellow", markup=False)


SendKindOpt = Annotated[Optional[str], typer.Option("--kind", help=f"one of {', '.join(KINDS)} (default: every kind)")]
YesOpt = Annotated[bool, typer.Option("--yes", help="send without asking (the estimate is printed first)")]
RateOpt = Annotated[Optional[float], typer.Option("--rate", help="sends per second (default SMS_RATE_PER_SECOND)")]
ConcurrencyOpt = Annotated[Optional[int], typer.Option("--concurrency", help="requests in flight")]
LeaseOpt = Annotated[Optional[float], typer.Option(
    "--lease", help="seconds a claim stays ours before others look its notices up (default: timeout + 45)")]
WaitOpt = Annotated[Optional[float], typer.Option(
    "--wait", help="seconds to wait for retries and look-ups due soon (default: the lease + 5)")]


LongOpt = Annotated[bool, typer.Option("--allow-long", help="send texts over SMS_MAX_SEGMENTS all the same")]
HereOpt = Annotated[bool, typer.Option("--here", help="send from this process now instead of leaving it to the "
                                                     "worker (SQLite without a worker)")]


def _channel(settings: Settings) -> tuple[Channel, ProviderTemplates]:
    try:
        return channel_of(settings.sms), provider_templates(settings.sms)
    except TemplateError as error:
        err.print(error.text(), style="red", markup=False)
        raise typer.Exit(2) from None


@app.command("send")
def send_cmd(run: RunArg, kind: SendKindOpt = None, yes: YesOpt = False, rate: RateOpt = None,
             concurrency: ConcurrencyOpt = None, lease: LeaseOpt = None, wait: WaitOpt = None,
             allow_long: LongOpt = False, here: HereOpt = False, user: UserOpt = None,
             password_stdin: PasswordStdinOpt = False) -> None:
    """Prepare the notices if needed and print the estimate; with --yes queue them for the worker
    (`dividends notify worker`), or with --here send them from this process (accountant)."""
    settings = _settings()
    kinds = [kind] if kind else list(KINDS)
    channel, templates = _channel(settings)

    async def work(actor: Actor) -> tuple[list[NoticeEstimate], int, DispatchReport | None]:
        await notices.readable(actor, run)
        estimates = []
        for k in kinds:
            if kind and not (await progress_of(run, k)):
                _print_prepared(await notices.prepare(actor, run, k, SystemClock(),
                                                      max_segments=settings.sms.max_segments, channel=channel,
                                                      templates=templates))
            if await progress_of(run, k):
                estimates.append(await estimate(run, k, price_per_segment_fen=settings.sms.price_per_segment_fen,
                                                max_segments=settings.sms.max_segments, channel=channel,
                                                templates=templates))
        for e in estimates:
            _print_estimate(e)
        if not estimates:
            say("notify.report.no_notices", run=run)
            return estimates, 0, None
        if not yes or (any(e.over_limit_count for e in estimates) and not allow_long):
            return estimates, 0, None
        released = await notices.release(actor, run, kind, SystemClock())
        if not here:
            return estimates, released, None
        async with make_sender(settings.sms) as sender:
            with progress() as bar:
                task = bar.add_task(text("notify.progress"), total=None)
                result = await dispatch(
                    sender, settings.sms, SystemClock(), run_id=run, kind=kind, concurrency=concurrency,
                    rate_per_second=rate, lease_seconds=lease,
                    idle_wait_seconds=wait if wait is not None else (lease or settings.sms.timeout_seconds + 45) + 5,
                    progress=lambda done, total: bar.update(task, completed=done, total=total))
        await record_dispatch(run, kind, actor.username, result)
        return estimates, released, result

    estimates, released, result = _as_user(settings, user, password_stdin, work)
    if yes and any(e.over_limit_count for e in estimates) and not allow_long:
        err.print(text("notify.refused_long"), style="red", markup=False)
        raise typer.Exit(1)
    if result is None:
        if not yes:
            if any(e.to_send for e in estimates):
                say("notify.confirm")
            return
        say("notify.released", count=released)
        return
    _print_dispatch(result)
    if result.stopped:
        raise typer.Exit(1)


async def progress_of(run: int, kind: str) -> int:
    return sum(n for status, n in (await outbox_store.progress(run, kind)).items() if status != "prepared")


WorkerRateOpt = Annotated[Optional[float], typer.Option("--rate", help="sends per second of this worker "
                                                                      "(default SMS_RATE_PER_SECOND)")]
PollOpt = Annotated[float, typer.Option("--poll", help="seconds between receipt polls (SMS_RECEIPTS=pull)")]


@app.command("worker")
def worker_cmd(rate: WorkerRateOpt = None, concurrency: ConcurrencyOpt = None, lease: LeaseOpt = None,
               poll: PollOpt = 10.0) -> None:
    """Run the SMS worker until SIGTERM: send queued notices at the configured pace, retry when
    due, look up unknown outcomes, poll receipts, keep quiet hours (SMS_QUIET_HOURS)."""
    import signal

    from dividends.outbox.worker import run_worker

    settings = _settings()
    _channel(settings)

    async def work() -> WorkerReport:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        say("notify.worker.started", provider=settings.sms.backend, rate=rate or settings.sms.rate_per_second)
        async with make_sender(settings.sms) as sender:
            return await run_worker(sender, settings.sms, SystemClock(), stop=stop, concurrency=concurrency,
                                    rate_per_second=rate, lease_seconds=lease, poll_seconds=poll)

    done = _with_db(settings, work)
    say("notify.worker.stopped", sent=done.sent, failed=done.failed, recovered=done.recovered,
        receipts=done.receipts, replies=done.replies)
    if done.stopped:
        err.print(text("notify.dispatch.stopped", reason=done.stopped), style="red", markup=False)
        raise typer.Exit(1)


def _print_dispatch(r: DispatchReport) -> None:
    say("notify.dispatch.done", sent=r.sent, resent=r.resent, recovered=r.recovered, failed=r.failed,
        opted_out=r.opted_out, retry=r.retry_scheduled, doubt=r.in_doubt_after, seconds=f"{r.elapsed_seconds:.1f}",
        rate=f"{r.messages_per_second:.0f}")
    if r.queued_after or r.in_doubt_after:
        at = r.next_due.isoformat(timespec="seconds") if r.next_due else "-"
        say("notify.dispatch.waiting", queued=r.queued_after, doubt=r.in_doubt_after, at=at)
    if r.stopped:
        err.print(text("notify.dispatch.stopped", reason=r.stopped), style="red", markup=False)


@app.command("status")
def status_cmd(run: RunArg, user: UserOpt = None, password_stdin: PasswordStdinOpt = False) -> None:
    """Delivery report: households by kind and status, segments and cost, the failed list (every role, in scope)."""
    settings = _settings()

    async def work(actor: Actor) -> DeliveryReport:
        return await report(await notices.readable(actor, run), price_per_segment_fen=settings.sms.price_per_segment_fen)
    found = _as_user(settings, user, password_stdin, work)
    _print_report(found)


def _print_report(r: DeliveryReport) -> None:
    if not r.counts:
        say("notify.report.no_notices", run=r.run_id)
        return
    t = table(text("notify.col.status"), *[kind_label(k) for k in r.counts], text("notify.col.total"),
              title=text("notify.report.title", run=r.run_id))
    for status in FATES:
        t.add_row(fate_label(status), *[str(by[status]) for by in r.counts.values()], str(r.total(status)))
    t.add_row(text("notify.col.total"), *[str(sum(by.values())) for by in r.counts.values()], str(r.total()))
    out.print(t)
    say("notify.report.totals", segments=r.segments_sent, cost=yuan(r.cost_fen), superseded=r.superseded)
    if not r.failed:
        say("notify.report.none_failed")
        return
    f = table(text("notify.col.household"), text("notify.col.kind"), text("notify.col.phone"),
              text("notify.col.status"), text("notify.col.code"), text("notify.col.reason"), text("notify.col.attempt"),
              title=text("notify.report.failed_title", count=r.failed_count))
    for n in r.failed:
        f.add_row(n.household_id, kind_label(n.kind), n.phone, fate_label(n.status), str(n.code or ""), _reason(n.code, n.reason),
                  str(n.attempt))
    out.print(f)


@app.command("period-statement")
def period_statement_cmd(
        village: Annotated[str, typer.Argument(help="village code")],
        period: Annotated[int, typer.Argument(help="the period (year)")],
        runs: Annotated[Optional[str], typer.Option("--runs", help="only these runs, comma-separated (runs paid together)")] = None,
        combined: Annotated[bool, typer.Option("--combined", help="the combined notice: one line per household, a column per run")] = False,
        prepare: Annotated[bool, typer.Option("--prepare", help="queue them in the outbox (accountant; then release and send)")] = False,
        user: UserOpt = None, password_stdin: PasswordStdinOpt = False) -> None:
    """One statement per household over the village's runs of a period (publicized or later): the
    text each household gets through the configured provider, with its segments. ``--prepare``
    writes them to the outbox (one per household and period; idempotent)."""
    from dividends.period_statement import combined_rows, statements
    settings = _settings()
    channel, templates = _channel(settings)
    if prepare:
        _print_prepared(_as_user(settings, user, password_stdin, lambda actor: notices.prepare_period(
            actor, village, period, SystemClock(), max_segments=settings.sms.max_segments, channel=channel,
            templates=templates)))
        return
    ids = [int(r) for r in runs.split(",") if r.strip()] if runs else None

    async def work(actor: Actor):  # type: ignore[no-untyped-def]
        return await notices.period_statements(actor, village, period, ids)
    found = _as_user(settings, user, password_stdin, work)
    if combined:
        header, rows = combined_rows(found)
        t = table(text("notify.col.household"), text("notify.col.name"), *header[2:-1], text("notify.col.total"))
        for r in rows:
            t.add_row(str(r[0]), str(r[1]), *[yuan(int(c)) for c in r[2:]])  # type: ignore[call-overload]
        out.print(t)
        return
    t = table(text("notify.col.household"), text("notify.col.period"), text("notify.col.segments"), text("notify.col.text"),
              text=(0, 3))
    for s in statements(found, channel, settings.sms.max_segments):
        t.add_row(s.key[1], str(s.key[0]), str(s.text.info.segments) if s.text else "-",
                  s.text.body if s.text else s.error)
    out.print(t)


@app.command("templates")
def templates_cmd(lang: Annotated[Optional[str], typer.Option("--lang", help="zh or en (default both)")] = None) -> None:
    """Every SMS template: its kind, approval state at each provider, and its text with example
    values as each provider sends it (signature and segments included)."""
    from notify.catalog import CATALOG, PROFILES, Channel, TemplateError, tencent_text
    from notify.settings import channel_of, provider_templates

    settings = _settings()
    try:
        mapping = provider_templates(settings.sms)
    except TemplateError as error:
        err.print(error.text(), style="red", markup=False)
        raise typer.Exit(2) from None
    signature = settings.sms.signature or text("notify.templates.no_signature")
    langs = [lang] if lang else ["zh", "en"]
    t = table(text("notify.templates.col.template"), text("notify.col.kind"), text("notify.templates.col.reply"),
              "aliyun", "tencent", title=text("notify.templates.title", signature=signature,
                                              provider=settings.sms.backend))
    for template in CATALOG.templates.values():
        states = []
        for provider in ("aliyun", "tencent"):
            cells = []
            for code_lang in langs:
                reg = mapping.registration(provider, template.id, code_lang)
                cells.append(f"{code_lang} {text(f'sms.template.state.{reg.state}')} {reg.code}".strip())
            states.append("\n".join(cells))
        reply = text("notify.templates.reply") if template.reply else text("notify.templates.oneway")
        t.add_row(template.id, template.kind, reply, *states)
    out.print(t)
    configured = channel_of(settings.sms)
    for template in CATALOG.templates.values():
        for code_lang in langs:
            out.print(f"[bold]{template.id}[/bold] ({code_lang})")
            out.print("  aliyun : " + template.text[code_lang], markup=False, highlight=False)
            out.print("  tencent: " + tencent_text(template.text[code_lang]), markup=False, highlight=False)
            for provider in PROFILES:
                if provider in ("console", "file"):
                    continue
                channel = Channel.of(provider, settings.sms.signature or configured.signature)
                try:
                    shown = render_example(template.id, code_lang, channel)
                    line = f"{shown.body}  ({shown.info.segments} × {shown.info.encoding})"
                except TemplateError as error:
                    line = "✗ " + error.text()
                out.print(f"  → {provider:7}: {line}", markup=False, highlight=False)


@app.command("resend-failed")
def resend_failed_cmd(run: RunArg, kind: KindOpt, user: UserOpt = None, password_stdin: PasswordStdinOpt = False) -> None:
    """Queue a new attempt of each failed or undelivered notice (an audited, explicit action; accountant)."""
    settings = _settings()
    done = _as_user(settings, user, password_stdin, lambda actor: notices.resend_failed(actor, run, kind, SystemClock()))
    if done.queued + done.opted_out == 0:
        say("outbox.nothing_to_resend", run=run, kind=kind_label(kind))
        return
    say("notify.resent", count=done.queued, kind=kind_label(kind))
