"""Payout runs: the lifecycle, its refusals and what each step posts.

::

    draft --compute--> computed --publicize--> publicized --approve--> approved --pay--> paid --close--> closed
                                                                          \\_____________\\________\\--reverse--> reversed

Each transition is one database transaction and a conditional update of the run's state, so a
process killed at any moment leaves the run before or after the transition, and repeating a
transition is a no-op. Computing posts nothing; approval posts the accrual; bank results post
settlements (see :mod:`dividends.payouts`); a reversal posts the mirror. A posted run is never
edited: it is reversed, and a corrected run replaces it.
"""
from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING
from datetime import date, timedelta
from pathlib import Path

import polars as pl

import dividends.messages  # noqa: F401
import dividends.refusals  # noqa: F401  (its messages)
from dividends import ledger, run_policy
from dividends.bundle import build_manifest, input_copies, render_outputs
from dividends.carryover import EARLIER_REVERSED, REVERSED, BroughtForward, arriving
from dividends.clock import Clock, SystemClock, today
from dividends.compute import Inputs, compute, resolve_scheme
from dividends.faults import checkpoint
from dividends.hashing import sha256_bytes
from dividends.period_inputs import NO_EVENTS, read_deductions
from dividends.recoveries import REVERSED as RECOVERY_REVERSED
from dividends.recoveries import Owed, creditor_for, match_results, merged_deductions, overpayment_reason, overpayments, \
    owed_of, recovered_from_lines
from dividends.registry import Registry
from dividends.registry.facts import RegistryFacts
from dividends.registry.needs import check_needs, prorated_steps
from schemes.engine import roster_problems
from schemes.loader import parse_scheme
from schemes.model import Cap, Scheme
from dividends.store import audit
from dividends.store import carryover as carryover_store
from dividends.store import registry as registry_store
from dividends.store import ledger as ledger_store
from dividends.store import recoveries as recoveries_store
from dividends.store.files import file_name, get_file, put_file
from dividends.store import runs as store
from dividends.store.snapshot_format import PARQUET_V2, read_frame_parquet
from dividends.store.transactions import transaction
from schemes.i18n import Msg, register
from schemes.money import MoneyFormatError, format_yuan, parse_yuan
from schemes.problems import InputError, Problem

if TYPE_CHECKING:
    from dividends.store.models import AssetReturn, Objection, RegistrySnapshot, Run, SchemeVersion, Village

ORDER = {"draft": 0, "computed": 1, "publicized": 2, "approved": 3, "paid": 4, "closed": 5}
POSTED = ("approved", "paid", "closed")
MIN_NOTICE_DAYS = 7


def refuse(key: str, /, **params: object) -> InputError:
    return InputError([Problem(Msg(key, **params))])


def state_name(state: str) -> Msg:
    """A run state in the reader's language (``publicized`` -> 公示中)."""
    return Msg(f"state.{state}")


#: run kind -> (zh, en): how the command line names a run's kind
RUN_KIND_LABELS: dict[str, tuple[str, str]] = {"regular": ("常规", "regular"), "reversal": ("冲销", "reversal"),
                                               "correction": ("更正", "correction")}
register({f"run_kind.{k}": {"zh": zh, "en": en} for k, (zh, en) in RUN_KIND_LABELS.items()})


def kind_name(kind: str) -> Msg | str:
    """A run's kind in the reader's language (``reversal`` -> 冲销)."""
    return Msg(f"run_kind.{kind}") if kind in RUN_KIND_LABELS else kind


def states(*names: str) -> list[Msg]:
    return [state_name(n) for n in names]


@dataclass(frozen=True)
class Outcome:
    """What a transition did: ``changed`` False means it was already done (a no-op)."""

    run: Run
    changed: bool


async def get_run(run_id: int) -> Run:
    run = await store.run_by_id(run_id)
    if run is None:
        raise refuse("run.not_found", run=run_id)
    return run


def _check(run: Run, action: str, source: str, target: str) -> bool:
    """True: do it; False: already done (no-op). Raises for an illegal transition."""
    if run.state == source:
        return True
    if run.state in ("reversed", "cancelled") or run.state not in ORDER or ORDER[run.state] < ORDER[source]:
        raise refuse("run.illegal", run=run.id, state=state_name(run.state), action=action, needed=states(source))
    return False  # at or past the target: repeating is a no-op


async def _advance(run: Run, source: str, target: str, **values: object) -> None:
    """The conditional update that makes a transition happen once, whatever runs concurrently."""
    updated = await store.move_state(run.id, [source], target, **values)
    if updated != 1:
        raise refuse("run.illegal", run=run.id, state=state_name("changed_concurrently"), action=target, needed=states(source))
    run.state = target
    for k, v in values.items():
        setattr(run, k, v)


# --------------------------------------------------------------------------- create


async def _village_and_amount(village_code: str, amount_yuan: str) -> tuple[Village, int]:
    """The village of a return and its amount in fen, or the refusal naming what is wrong."""
    village = await store.village_by_code(village_code)
    if village is None:
        raise refuse("run.village_unknown", village=village_code)
    try:
        return village, parse_yuan(amount_yuan)
    except MoneyFormatError:
        raise refuse("compute.amount_invalid", found=amount_yuan) from None


async def record_return(village_code: str, period: int, amount_yuan: str, actor: str, asset: str = "asset",
                        note: str = "") -> AssetReturn:
    village, amount = await _village_and_amount(village_code, amount_yuan)
    async with transaction():
        row, created = await store.get_or_create_return(village, period, asset,
                                                        {"amount_fen": amount, "created_by": actor, "note": note})
        if not created and row.amount_fen != amount:
            raise refuse("compute.amount_invalid", found=f"{amount_yuan} (already recorded as {format_yuan(row.amount_fen)})")
        if created:
            await audit.record(actor, "return.record", "asset_return", row.id, village=village, amount_fen=amount, asset=asset)
    return row


async def return_blocker(asset_return_id: int) -> Msg | None:
    """Why a recorded return cannot be corrected now (None: it can): a live run books it. Before
    the run is posted the way is to cancel it; once posted, to reverse it and create a
    correction run, which books the corrected return."""
    live = await live_runs_of_return(asset_return_id)
    if not live:
        return None
    run = live[0]
    way = "return.way_reverse" if run.state in POSTED else "return.way_cancel"
    return Msg("return.used", run=run.id, state=state_name(run.state), way=Msg(way, run=run.id))


async def correct_return(village_code: str, period: int, asset: str, amount_yuan: str, actor: str,
                         reason: str) -> AssetReturn:
    """Correct a recorded return that no live run books; the audit trail keeps the old amount."""
    village, amount = await _village_and_amount(village_code, amount_yuan)
    if not reason.strip():
        raise refuse("return.reason_missing")
    async with transaction():
        row = await store.return_for_update(village, period, asset)
        if row is None:
            raise refuse("return.not_found", village=village_code, period=period, asset=asset)
        blocker = await return_blocker(row.id)
        if blocker is not None:
            raise InputError([Problem(blocker)])
        if row.amount_fen == amount:
            raise refuse("return.same_amount", amount=format_yuan(amount))
        old = row.amount_fen
        await store.save_return_amount(row, amount)
        await audit.record(actor, "return.correct", "asset_return", row.id, village=village, old_fen=old,
                           amount_fen=amount, asset=asset, period=period, reason=reason.strip())
    return row


async def returns_of(village_code: str) -> list[AssetReturn]:
    return await store.returns_of_village(village_code)


async def return_corrections(asset_return_id: int) -> list[dict[str, object]]:
    """The recorded corrections of a return, oldest first: old and new amount, who, when, why."""
    return [{"old_fen": e.detail.get("old_fen"), "amount_fen": e.detail.get("amount_fen"), "by": e.actor,
             "at": e.at, "reason": e.detail.get("reason", "")}
            for e in await audit.events("asset_return", asset_return_id) if e.action == "return.correct"]


async def store_scheme(ref: str, actor: str) -> SchemeVersion:
    """Pin the exact scheme text; a changed text under an existing version is refused."""
    source = resolve_scheme(ref)
    s = source.scheme
    digest = sha256_bytes(s.text.encode("utf-8"))
    existing = await store.scheme_version(s.id, s.version)
    if existing is not None:
        if existing.sha256 != digest:
            raise refuse("run.scheme_changed", scheme=s.id, version=s.version)
        return existing
    row = await store.create_scheme_version(scheme_id=s.id, version=s.version, title=s.title.zh, effective=s.effective,
                                              text=s.text, sha256=digest, created_by=actor)
    await audit.record(actor, "scheme.store", "scheme_version", row.id, scheme=s.id, version=s.version, sha256=digest)
    return row


def check_deductions(data: bytes, name: str) -> None:
    """Refuse a deductions file with any problem (file, row and column named) before it is stored."""
    with tempfile.TemporaryDirectory(prefix="deductions-") as tmp:
        path = Path(tmp) / (Path(name).name or "deductions.csv")
        path.write_bytes(data)
        read_deductions(path)


async def create_run(village_code: str, period: int, scheme_ref: str, actor: str, *, amount_yuan: str | None = None,
                     asset: str | None = None, replaces: int | None = None,
                     deductions: tuple[str, bytes] | None = None) -> Run:
    """A draft run. ``deductions`` is ``(file name, content)`` of the run's deductions file
    (:func:`dividends.period_inputs.read_deductions`), checked here and kept as a recorded input."""
    village = await store.village_by_code(village_code)
    if village is None:
        raise refuse("run.village_unknown", village=village_code)
    snapshot = await registry_store.latest_snapshot(village.id, period)
    if snapshot is None:
        raise refuse("run.no_snapshot", village=village_code, period=period)
    # a column the scheme reads and the registry version never had would silently count as 0
    # and so would a roster the version does not have (known for versions that record their files)
    stored = RegistryFacts.from_dict(snapshot.facts or {})
    wanted = resolve_scheme(scheme_ref).scheme
    if stored.kinds:
        rosters = roster_problems(wanted, posts="posts" in stored.kinds, persons="members" in stored.kinds)
        if rosters:
            raise InputError(rosters)
    check_needs(wanted, stored)
    if deductions is not None:
        check_deductions(deductions[1], deductions[0])
    replaced = None
    if replaces is not None:
        replaced = await get_run(replaces)
        if replaced.state != "reversed":
            raise refuse("run.replaces_not_reversed", run=replaces, state=state_name(replaced.state))
    if amount_yuan is not None:
        await record_return(village_code, period, amount_yuan, actor, asset or "asset")
    returns = await store.returns_of_period(village, period, asset)
    if not returns:
        raise refuse("run.no_return", village=village_code, period=period)
    if len(returns) > 1:
        raise refuse("run.many_returns", village=village_code, period=period, assets=[r.asset for r in returns])
    async with transaction():
        asset_return = await store.lock_return(returns[0].id)
        live = await live_runs_of_return(asset_return.id)
        if live:
            raise refuse("refusal.live_run", village=village_code, period=period, asset=asset_return.asset,
                         run=live[0].id, state=state_name(live[0].state))
        scheme = await store_scheme(scheme_ref, actor)
        carried = await brought_forward_into(village.id, period, asset_return.asset)
        earlier = None  # a cap over the period: what the earlier posted runs of the period paid
        if any(isinstance(s, Cap) and s.over == "period" for s in wanted.steps):
            earlier_runs, earlier_lines = await carryover_store.earlier_posted_lines(village.id, period, asset_return.id)
            earlier = {"runs": earlier_runs, "lines": [[h, f] for h, f in earlier_lines.items()]}
        deductions_file = (await put_file(Path(deductions[0]).name or "deductions.csv", deductions[1])
                           if deductions is not None else None)
        owed = await recoveries_into(village.id, wanted)
        run = await store.create_run(village=village, period=period, scheme=scheme, snapshot=snapshot, asset_return=returns[0],
                               pool_fen=returns[0].amount_fen, prepared_by=actor,
                               kind="correction" if replaced else "regular", replaces=replaced,
                               brought_forward=carried.to_dict() if carried else None, deductions_file=deductions_file,
                               earlier_paid=earlier, recoveries=[o.row() for o in owed] or None)
        await audit.record(actor, "run.create", "run", run.id, village=village, scheme=scheme.scheme_id,
                           version=scheme.version, snapshot=snapshot.version, pool_fen=run.pool_fen, replaces=replaces,
                           brought_forward_fen=carried.fen if carried else 0,
                           brought_forward_from=carried.run if carried else None, deductions=deductions_file,
                           recoveries=len(owed), recoveries_fen=sum(o.fen for o in owed))
    return await get_run(run.id)


async def brought_forward_into(village_id: int, period: int, asset: str) -> BroughtForward | None:
    """The carry-over of the village's posted run of the period before, for ``asset``, that
    joins a new run of ``period`` (see :mod:`dividends.carryover`)."""
    source = await carryover_store.posted_source(village_id, period - 1, asset)
    if source is None:
        return None
    return arriving(source.id, source.period, source.scheme.text, await carryover_store.account_lines(source.id))


async def recoveries_into(village_id: int, scheme: Scheme) -> list[Owed]:
    """The village's outstanding debts a new run takes (see :mod:`dividends.recoveries`), each
    to an account the run's scheme allows (none when it has nowhere to put them)."""
    owed = await recoveries_store.outstanding(village_id)
    if not owed or creditor_for(scheme) is None:
        return []
    return [replace(o, creditor=creditor_for(scheme, o.creditor)) for o in owed]


def run_brought_forward(run: Run) -> BroughtForward | None:
    return BroughtForward.from_dict(run.brought_forward)


# -------------------------------------------------------------------------- compute


async def run_inputs(run: Run, directory: Path) -> Inputs:
    """Write a run's stored inputs to ``directory`` and describe them for :func:`compute`."""
    carried = run_brought_forward(run)
    deductions = None
    if run.deductions_file:
        suffix = Path(await file_name(run.deductions_file)).suffix.lower()
        deductions = (suffix if suffix in (".csv", ".xlsx") else ".csv", await get_file(run.deductions_file))
    if run.recoveries:  # the recorded debts join the file's rows in one input
        by_hand = None
        if deductions is not None:
            with tempfile.TemporaryDirectory(prefix="deductions-") as tmp:
                path = Path(tmp) / f"deductions{deductions[0]}"
                path.write_bytes(deductions[1])
                by_hand = read_deductions(path)
        deductions = (".csv", merged_deductions(by_hand, owed_of(run.recoveries)))
    return await write_inputs(directory, run.scheme.text, run.snapshot, run.period, run.pool_fen, run.created_at.date(),
                              brought_forward=carried.csv(run.village.code) if carried else None, deductions=deductions,
                              earlier_paid=earlier_paid_csv(run.earlier_paid))


def earlier_paid_csv(earlier: dict | None) -> str | None:  # type: ignore[type-arg]
    """The ``earlier_paid`` input file of a run's recorded earlier payments (an empty list: nothing paid)."""
    if earlier is None:
        return None
    return "household_id,amount_yuan\n" + "".join(f"{h},{format_yuan(int(f), grouping=False)}\n"
                                                   for h, f in earlier["lines"])


async def write_inputs(directory: Path, scheme_text: str, snapshot: RegistrySnapshot, period: int, pool_fen: int,
                       reference_date: date, *, brought_forward: str | None = None,
                       deductions: tuple[str, bytes] | None = None, earlier_paid: str | None = None) -> Inputs:
    """A scheme text, a stored registry snapshot and a return, as files :func:`compute` reads;
    ``brought_forward`` is the text of the carry-over input file, when one arrives;
    ``deductions`` the (suffix, content) of the run's deductions file."""
    registry_store.check_snapshot_format(snapshot, str(snapshot.village_id))
    scheme_path = directory / "scheme.yaml"
    scheme_path.write_text(scheme_text, encoding="utf-8")
    paths: dict[str, Path | None] = {}
    for kind, digest in (("households", snapshot.households_file), ("members", snapshot.members_file),
                         ("posts", snapshot.posts_file)):
        if digest is None:
            paths[kind] = None
            continue
        path = directory / f"{kind}.csv"
        path.write_bytes(await get_file(digest))
        paths[kind] = path
    assert paths["households"] is not None
    carried: Path | None = None
    if brought_forward is not None:
        carried = directory / "brought_forward.csv"
        carried.write_text(brought_forward, encoding="utf-8")
    deducted: Path | None = None
    if deductions is not None:
        deducted = directory / f"deductions{deductions[0]}"
        deducted.write_bytes(deductions[1])
    paid: Path | None = None
    if earlier_paid is not None:
        paid = directory / "earlier_paid.csv"
        paid.write_text(earlier_paid, encoding="utf-8")
    events = await _events_input(directory, scheme_text, snapshot)
    facts = RegistryFacts.from_dict(snapshot.facts or {})
    return Inputs(scheme=str(scheme_path), registry=paths["households"], members=paths["members"],
                  posts=paths["posts"], period=period, amount_yuan=format_yuan(pool_fen, grouping=False),
                  reference_date=reference_date, facts=facts, trusted=await trusted_registry(snapshot, paths),
                  brought_forward=carried, deductions=deducted, earlier_paid=paid, events=events)


async def _events_input(directory: Path, scheme_text: str, snapshot: RegistrySnapshot) -> Path | None:
    """``events.csv``, the registry version's events, when the scheme prorates by months (a
    version without events: the header only, nothing changed in the period); else None."""
    if not prorated_steps(parse_scheme(scheme_text)):
        return None
    path = directory / "events.csv"
    path.write_bytes(await get_file(snapshot.events_file) if snapshot.events_file else NO_EVENTS)
    return path


EVENTS_INPUT = "inputs/events.csv"


async def events_read(run: Run) -> int | None:
    """How many dated household and member events a computed run read (``inputs/events.csv``,
    its pinned registry version's events); None when it read none (not computed, or its scheme
    does not prorate by months)."""
    if EVENTS_INPUT not in ((run.manifest or {}).get("inputs") or {}):
        return None
    snapshot = run.snapshot
    data = await get_file(snapshot.events_file) if snapshot.events_file else NO_EVENTS
    import io
    return pl.read_csv(io.BytesIO(data), infer_schema=False).height


async def trusted_registry(snapshot: RegistrySnapshot, paths: dict[str, Path | None]) -> Registry | None:
    """A ``parquet-v2`` snapshot's validated frames, when every stored file still hashes to the
    digest the snapshot recorded; otherwise None (the CSV files are read and validated again).
    Its facts are those of the canonical files at ``paths`` (every column present), as reading
    them would give; what the original files lacked is the snapshot's facts (``Inputs.facts``)."""
    if snapshot.format != PARQUET_V2 or not snapshot.frames:
        return None
    frames = dict(snapshot.frames)
    wanted = {"households": snapshot.households_file, "members": snapshot.members_file, "posts": snapshot.posts_file}
    if {k for k, v in wanted.items() if v is not None} != set(frames):
        return None
    loaded: dict[str, pl.DataFrame] = {}
    for kind, digest in frames.items():
        data = await get_file(digest)
        if sha256_bytes(data) != digest:
            return None
        loaded[kind] = read_frame_parquet(data)
    kinds = [k for k in ("households", "posts", "members") if paths.get(k) is not None]
    facts = RegistryFacts(kinds=tuple(kinds), files={k: str(paths[k]) for k in kinds})
    return Registry(households=loaded["households"], persons=loaded.get("members"), posts=loaded.get("posts"),
                    facts=facts)


async def compute_run(run_id: int, actor: str, clock: Clock = SystemClock()) -> Outcome:
    run = await get_run(run_id)
    if not _check(run, "compute", "draft", "computed"):
        return Outcome(run, False)
    with tempfile.TemporaryDirectory(prefix="run-") as tmp:
        inputs = await run_inputs(run, Path(tmp))
        result = compute(inputs)
        outputs = render_outputs(result)
        manifest = build_manifest(result, outputs, input_copies(inputs, result))
    manifest["policy"] = run_policy.report(result.scheme, result.allocation, run.asset_return.asset or "")
    taken = (match_results(result.allocation.deductions, owed_of(run.recoveries))
             if result.allocation.deductions is not None else [])
    lines = result.allocation.lines()
    steps = list(result.allocation.step_ids)
    rows = lines.select(
        pl.lit(run.id).alias("run_id"), "recipient_kind", "recipient_id", "amount_fen",
        pl.struct(steps).struct.json_encode().alias("breakdown"),
    ).rows()
    async with transaction():
        await _advance(run, "draft", "computed", computed_at=clock.now(), content_hash=manifest["content_hash"],
                       manifest=manifest, lines=lines.height)
        await store.insert_lines(rows)
        await recoveries_store.record_taken(run, taken)
        checkpoint("compute.lines_written")
        await audit.record(actor, "run.compute", "run", run.id, village=run.village,
                           content_hash=manifest["content_hash"], lines=lines.height, total_fen=manifest["total_fen"])
    return Outcome(run, True)


async def lines_frame(run_id: int) -> pl.DataFrame:
    rows = await store.line_rows(run_id)
    return pl.DataFrame(
        [(k, r, a, json.dumps(b) if not isinstance(b, str) else b) for k, r, a, b in rows],
        schema={"recipient_kind": pl.String, "recipient_id": pl.String, "amount_fen": pl.Int64, "breakdown": pl.String},
        orient="row",
    )


# ------------------------------------------------------------------------- publicity


async def publicize(run_id: int, start: date, end: date, actor: str, clock: Clock = SystemClock(),
                    min_days: int = MIN_NOTICE_DAYS) -> Outcome:
    run = await get_run(run_id)
    if not _check(run, "publicize", "computed", "publicized"):
        return Outcome(run, False)
    if start < today(clock):
        raise refuse("refusal.notice_past", start=start.isoformat(), today=today(clock).isoformat())
    if end < start + timedelta(days=min_days - 1):
        raise refuse("run.notice_dates", start=start.isoformat(), end=end.isoformat(), days=min_days)
    async with transaction():
        await _advance(run, "computed", "publicized", notice_start=start, notice_end=end, publicized_at=clock.now())
        await audit.record(actor, "run.publicize", "run", run.id, village=run.village, start=start.isoformat(),
                           end=end.isoformat())
    return Outcome(run, True)


async def snapshot_households(snapshot: RegistrySnapshot) -> pl.DataFrame:
    """The households of a registry snapshot, as stored (every column text), from its file."""
    import io
    return pl.read_csv(io.BytesIO(await get_file(snapshot.households_file)), infer_schema=False).fill_null("")


async def household_in_run(run: Run, household_id: str) -> bool:
    return await store.household_in_snapshot(run.snapshot.id, household_id)


async def record_objection(run_id: int, household_id: str, text: str, *, channel: str, actor: str,
                           clock: Clock = SystemClock(), message_sid: str | None = None) -> Objection:
    run = await get_run(run_id)
    if message_sid:
        existing = await store.objection_by_sid(message_sid)
        if existing is not None:
            return existing
    now = today(clock)
    if run.state != "publicized" or not (run.notice_start and run.notice_end and run.notice_start <= now <= run.notice_end):
        raise refuse("run.objection_closed", run=run.id, start=str(run.notice_start or "-"),
                     end=str(run.notice_end or "-"), today=now.isoformat())
    if not await household_in_run(run, household_id):
        raise refuse("run.household_unknown", household=household_id, run=run.id)
    async with transaction():
        objection = await store.create_objection(run=run, household_id=household_id, text=text.strip(), channel=channel,
                                                  recorded_by=actor, message_sid=message_sid)
        await audit.record(actor, "objection.record", "objection", objection.id, village=run.village, run=run.id,
                           household=household_id, channel=channel)
    return objection


async def resolve_objection(objection_id: int, resolution: str, actor: str, clock: Clock = SystemClock()) -> Objection:
    objection = await store.objection_by_id(objection_id)
    if objection is None:
        raise refuse("run.objection_unknown", objection=objection_id)
    if objection.status == "resolved":
        return objection
    async with transaction():
        await store.resolve_open_objection(objection_id, resolution.strip(), actor, clock.now())
        await audit.record(actor, "objection.resolve", "objection", objection_id, village=objection.run.village,
                           run=objection.run.id, resolution=resolution.strip())
    await objection.refresh_from_db()
    return objection


# -------------------------------------------------------------------------- approval


async def approve(run_id: int, actor: str, clock: Clock = SystemClock(), resolution: dict[str, object] | None = None,
                  *, cash_without_account: bool = False) -> Outcome:
    """Approval by someone other than the preparer, after the notice period, with no open
    objection; posts the return and the accrual to the village's ledger. ``resolution`` (checked
    by :func:`dividends.usecases.runs.approve`) is stored in the same transaction, bound to the
    run's content hash. ``cash_without_account``: the households owed money with no bank account
    are paid in cash (the audit event lists them)."""
    run = await get_run(run_id)
    if not _check(run, "approve", "publicized", "approved"):
        return Outcome(run, False)
    lines = await check_approval(run, actor, clock, cash_without_account=cash_without_account)
    in_cash = await without_account(run, lines) if cash_without_account else []
    now = today(clock)
    carried = run_brought_forward(run)
    recovered, recovered_to = recovered_from_lines(lines)
    overpaid = await overpaid_by(run, lines)
    debts = [*await recoveries_store.new_debts(run.id), *((h, None, f) for h, f in overpaid.items())]
    drafts = ledger.draft_approval(run.village.code, ledger_store.run_ref(run.id), now, run.pool_fen,
                                   lines.select("recipient_kind", "recipient_id", "amount_fen"),
                                   brought_forward=carried.accounts if carried else None,
                                   recovered=recovered, recovered_to=recovered_to, debts=debts)
    async with transaction():
        await _advance(run, "publicized", "approved", approved_by=actor, approved_at=clock.now())
        if resolution is not None:
            from dividends.store import approvals
            await approvals.record_resolution(run, dict(resolution["counts"]), content_hash=run.content_hash or "",  # type: ignore[call-overload]
                                              quorum=str(resolution["quorum"]), majority=str(resolution["majority"]),
                                              actor=actor, at=clock.now())
        if overpaid:
            await recoveries_store.record_overpayments(run, overpaid, creditor_for(_scheme_of(run)) or "collective",
                                                       overpayment_reason(run.id, run.replaces_id))  # type: ignore[attr-defined]
        await ledger_store.append(run.village, drafts, run_id=run.id)
        checkpoint("approve.accrual_posted")
        await audit.record(actor, "run.approve", "run", run.id, village=run.village, pool_fen=run.pool_fen,
                           **({"cash_without_account": in_cash} if in_cash else {}))
    return Outcome(run, True)


async def overpaid_by(run: Run, lines: pl.DataFrame) -> dict[str, int]:
    """What the runs a correction replaces paid each household beyond its line now (a debt)."""
    if run.kind != "correction":
        return {}
    households = lines.filter(pl.col("recipient_kind") == "household")
    return overpayments(dict(households.select("recipient_id", "amount_fen").rows()),
                        await recoveries_store.paid_under_replaced(run))


def _scheme_of(run: Run):  # type: ignore[no-untyped-def]
    from dividends.carryover import _scheme
    return _scheme(run.scheme.text)


# ---------------------------------------------------------------------- cancel, reverse


async def cancel(run_id: int, actor: str, reason: str, clock: Clock = SystemClock()) -> Outcome:
    """Abandon a run that posted nothing (draft, computed or publicized), e.g. when the
    registry must be corrected first. Posted runs are reversed instead. A cancelled correction
    or prepared reversal gives up its link to the run it replaces or reverses (a one-to-one
    column), so that run can be corrected or reversed again; the audit event keeps the link."""
    run = await get_run(run_id)
    if run.state == "cancelled":
        return Outcome(run, False)
    if run.state not in ("draft", "computed", "publicized"):
        raise refuse("run.illegal", run=run.id, state=state_name(run.state), action="cancel",
                     needed=states("draft", "computed", "publicized"))
    source = run.state
    links = {name: linked for name in ("replaces", "reverses")
             if (linked := getattr(run, f"{name}_id", None)) is not None}
    async with transaction():
        await _advance(run, source, "cancelled", closed_at=clock.now(), **{f"{name}_id": None for name in links})
        await audit.record(actor, "run.cancel", "run", run.id, village=run.village, reason=reason, was=source, **links)
    return Outcome(run, True)



LIVE_EXCEPT = ("cancelled", "reversed")
"""A run in any other state is live: it books (or will book) its asset return."""


async def live_runs_of_return(asset_return_id: int) -> list[Run]:
    """The live regular and correction runs booking one asset return (reversals do not count)."""
    return await store.live_runs_of_return(asset_return_id, LIVE_EXCEPT)


async def prepare_reversal(run_id: int, actor: str, reason: str, clock: Clock = SystemClock()) -> Run:
    """Prepare the undoing of a posted run: a linked reversal run holding the mirror of its
    lines, awaiting a second person's approval (:func:`approve_reversal`); nothing is posted
    yet. Preparing twice returns the pending (or approved) reversal."""
    run = await get_run(run_id)
    existing = await store.pending_reversal_of(run.id)
    if existing is not None:
        return existing
    if run.state not in POSTED or run.kind == "reversal":
        raise refuse("run.illegal", run=run.id, state=state_name(run.state), action="reverse",
                     needed=states("approved", "paid", "closed"))
    lines = await lines_frame(run.id)
    now = clock.now()
    async with transaction():
        mirror = await store.create_run(village=run.village, period=run.period, kind="reversal", state="computed",
                                  scheme=run.scheme, snapshot=run.snapshot, asset_return=run.asset_return,
                                  pool_fen=-run.pool_fen, prepared_by=actor, reverses=run,
                                  content_hash=run.content_hash, lines=lines.height, computed_at=now,
                                  manifest={"reverses": run.id, "reason": reason})
        await store.insert_lines(lines.select(pl.lit(mirror.id).alias("run_id"), "recipient_kind", "recipient_id",
                                              -pl.col("amount_fen"), pl.lit("{}").alias("breakdown")).rows())
        await audit.record(actor, "run.reverse_prepare", "run", run.id, village=run.village, reversal=mirror.id,
                           reason=reason)
    return mirror


async def check_approval(run: Run, actor: str, clock: Clock = SystemClock(), *,
                         cash_without_account: bool = False) -> pl.DataFrame:
    """Why ``actor`` cannot approve the publicized ``run`` now (raised as an input error): the
    preparer, a carried-over reversed run, open objections, the notice period still running,
    households owed money without an account (unless ``cash_without_account``: the approver agrees
    they are paid in cash). The checks :func:`approve` runs, also asked by the run page to say why
    its approve button is disabled. Returns the run's lines."""
    if actor == run.prepared_by:
        raise refuse("run.same_person", user=actor, run=run.id)
    if run.correction_needed == REVERSED:
        carried = run_brought_forward(run)
        raise refuse("run.brought_forward_reversed", run=run.id, source=carried.run if carried else "-")
    if run.correction_needed == RECOVERY_REVERSED:
        raise refuse("run.recovery_reversed", run=run.id, source=await recoveries_store.reversed_source(run) or "-")
    if run.correction_needed == EARLIER_REVERSED:
        raise refuse("run.earlier_paid_reversed", run=run.id, sources=", ".join(str(i) for i in (run.earlier_paid or {}).get("runs") or []) or "-")
    open_ = await store.open_objections(run)
    if open_:
        raise refuse("run.open_objections", run=run.id, count=len(open_), households=sorted(set(open_))[:10])
    now = today(clock)
    assert run.notice_end is not None
    if now <= run.notice_end:
        raise refuse("run.notice_running", end=run.notice_end.isoformat(),
                     next=(run.notice_end + timedelta(days=1)).isoformat())
    lines = await lines_frame(run.id)
    missing = await without_account(run, lines)
    if missing and not cash_without_account:
        raise refuse("run.no_account", count=len(missing), households=list(missing)[:10])
    return lines


async def without_account(run: Run, lines: pl.DataFrame | None = None) -> list[str]:
    """The households the run owes money that have no bank account number in its registry
    snapshot, by id: approval refuses them unless the approver agrees they are paid in cash
    against the signed receipt list (``cash_without_account``); ``pay`` then leaves them out of
    the bank batches."""
    lines = await lines_frame(run.id) if lines is None else lines
    owed = lines.filter((pl.col("recipient_kind") == "household") & (pl.col("amount_fen") > 0))["recipient_id"]
    people = await snapshot_households(run.snapshot)
    return people.filter((pl.col("account_no") == "") & pl.col("household_id").is_in(owed.implode())) \
        .sort("household_id")["household_id"].to_list()


async def approve_reversal(reversal_id: int, actor: str, clock: Clock = SystemClock()) -> Run:
    """Approve a prepared reversal (never by its preparer: the use-case checks who): the
    original run becomes reversed and the mirror of its return and accrual is posted (the bank's
    payments stay as they happened; what was paid becomes owed back until a corrected run
    replaces it). Approving twice is a no-op."""
    mirror = await get_run(reversal_id)
    if mirror.kind != "reversal":
        raise refuse("refusal.not_a_reversal", run=reversal_id)
    if mirror.state == "closed":
        return mirror
    if actor == mirror.prepared_by:
        raise refuse("refusal.reversal_same_person", user=actor, run=reversal_id)
    run = await get_run(mirror.reverses_id)  # type: ignore[attr-defined]
    entries = await ledger_store.entries_of_run(run.id, kinds=("return", "brought_forward", "debt", "accrual"))
    flagged = await carryover_store.runs_to_flag(run)
    flagged += [(r, RECOVERY_REVERSED) for r in await recoveries_store.runs_taking_debts_of(run)]
    now = clock.now()
    async with transaction():
        updated = await store.move_state(run.id, POSTED, "reversed")
        if updated != 1:
            raise refuse("run.illegal", run=run.id, state=state_name(run.state), action="reverse",
                         needed=states("approved", "paid", "closed"))
        if await store.move_state(mirror.id, ["computed"], "closed", approved_by=actor, approved_at=now,
                                  closed_at=now) != 1:
            raise refuse("run.illegal", run=mirror.id, state=state_name("changed_concurrently"), action="approve",
                         needed=states("computed"))
        await ledger_store.append(run.village, ledger.draft_reversal(entries, ledger_store.run_ref(mirror.id), today(clock)),
                                  run_id=mirror.id)
        # its carry-over arrived in next period's runs, its payments capped live runs of the same
        # period, or debts it recorded are taken by other runs: they must be corrected
        for r, why in flagged:
            await carryover_store.flag([r.id], why)
            await audit.record(actor, "run.flag_correction", "run", r.id, village=run.village,
                               reason=why, source=run.id)
        await audit.record(actor, "run.reverse", "run", run.id, village=run.village, reversal=mirror.id,
                           reason=(mirror.manifest or {}).get("reason", ""), prepared_by=mirror.prepared_by)
    return await get_run(mirror.id)
