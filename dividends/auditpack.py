"""The audit pack of a run: everything a county auditor needs, in one zip, checkable offline.

::

    manifest.json                 format, run facts, sha256 of every other file
    computation/                  the computation bundle (inputs, scheme, allocations, summary, manifest)
    run/allocation_lines.csv      the lines as stored in the database
    run/approvals.json            who prepared, publicized, approved, paid, closed; objections; audit events
    ledger/entries.csv            the run's ledger entries with their hashes
    ledger/postings.csv           their postings
    ledger/run.beancount          the same, for Beancount
    bank/items.csv                payout items and their results
    bank/batch-N.csv|xlsx         the bank files as issued
    bank/result-N-K.<ext>         the bank's result files as imported
    run/resolution.json           the villagers' (representatives') meeting resolution, bound to the content hash
    run/decisions.json            township reviews and filings, returns (驳回), each bound to a content hash
    run/evidence.json             the publicity evidence: photos of the posted notice, the result notice
    evidence/<kind>-<sha256>.<ext> those files, named by their hash

    run/policy.json               the policy rules that pass or fail and the numbers without a source (format 5)
    bank/cash.json                cash payments against the signed receipt list, their lines and settlement (format 6)
    bank/cash-<id>-<sha256>.<ext> the scan of each signed list, named by its hash

Format versions: 1 (the first), 2 (adds the ledger head), 3 (adds the resolution, decisions and
evidence), 4 (the ledger head in the manifest), 5 (adds ``run/policy.json``, re-evaluated from the
recomputation when verified), 6 (adds ``bank/cash.json`` and the scans of the signed lists, checked
against the ``cash:<id>`` settlements, the payout items and the audit trail); every version is read
and verified.

``verify_pack`` checks the hashes, recomputes the run from ``computation/inputs`` bit for bit,
and checks that stored lines, ledger entries, bank files and results agree with each other.
"""
from __future__ import annotations

import io
import json
from collections.abc import Awaitable, Callable
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

import dividends.messages  # noqa: F401
from dividends import ledger, run_policy
from dividends.bundle import verify_bundle, write_bundle
from dividends.files.limits import MB, current_limits
from dividends.files.safe import export_csv as frame_csv, restore_frame
from dividends.hashing import sha256_bytes
from dividends.registry.workbook import check_inflated_size
from dividends.compute import compute
from dividends.runs import get_run, lines_frame, run_inputs
from dividends.store import approvals as approvals_store
from dividends.store import audit
from dividends.store import cash as cash_store
from dividends.store import ledger as ledger_store
from dividends.store import packs
from schemes.i18n import Msg, load_catalog
from schemes.problems import InputError, Problem

load_catalog(Path(__file__).with_name("locale"), "dividends")

FORMAT = "dividends.auditpack/6"
#: Formats this version reads; 4 adds the ledger head, 5 the policy results, 6 the cash payments
#: (earlier packs keep verifying).
FORMATS = ("dividends.auditpack/1", "dividends.auditpack/2", "dividends.auditpack/3", "dividends.auditpack/4",
           "dividends.auditpack/5", FORMAT)
_SUFFIX = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf", "text/html": "html"}


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


async def build_pack(run_id: int) -> bytes:
    """The zip's bytes (deterministic: fixed timestamps and sorted names)."""
    run = await get_run(run_id)
    files: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory(prefix="pack-") as tmp:
        computation = compute(await run_inputs(run, Path(tmp)))
        write_bundle(computation, Path(tmp) / "computation")
        asset = run.asset_return.asset or ""
        files["run/policy.json"] = _json({"asset": asset,
                                          **run_policy.report(computation.scheme, computation.allocation, asset)})
        for path in sorted((Path(tmp) / "computation").rglob("*")):
            if path.is_file():
                files[f"computation/{path.relative_to(Path(tmp) / 'computation').as_posix()}"] = path.read_bytes()
    lines = await lines_frame(run.id)
    files["run/allocation_lines.csv"] = frame_csv(lines)
    objections = await packs.objections(run.id)
    events = [{"at": _iso(e.at), "actor": e.actor, "action": e.action, "detail": e.detail}
              for e in await audit.events("run", run.id)]
    approvals = {
        "run": run.id, "kind": run.kind, "state": run.state, "village": run.village.code, "period": run.period,
        "scheme": {"id": run.scheme.scheme_id, "version": run.scheme.version, "sha256": run.scheme.sha256},
        "prepared_by": run.prepared_by, "approved_by": run.approved_by,
        "notice": {"start": _iso(run.notice_start), "end": _iso(run.notice_end)},
        "times": {k: _iso(getattr(run, k)) for k in ("created_at", "computed_at", "publicized_at", "approved_at", "paid_at", "closed_at")},
        "reverses": run.reverses_id, "replaces": run.replaces_id,  # type: ignore[attr-defined]
        "objections": [{k: _iso(v) if hasattr(v, "isoformat") else v for k, v in o.items()} for o in objections],
        "events": events,
    }
    files["run/approvals.json"] = json.dumps(approvals, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")

    entries = await ledger_store.entries_of_run(run.id)
    files["ledger/entries.csv"] = frame_csv(ledger.entry_rows(entries))
    files["ledger/postings.csv"] = frame_csv(ledger.posting_rows(entries))
    out = io.StringIO()
    ledger.write_beancount(entries, out, title=f"run {run.id} {run.village.code} {run.period}")
    files["ledger/run.beancount"] = out.getvalue().encode("utf-8")

    files["bank/items.csv"] = frame_csv(pl.DataFrame(await packs.payout_items(run.id), schema={
        "batch": pl.Int64, "household_id": pl.String, "amount_fen": pl.Int64, "status": pl.String,
        "bank_ref": pl.String, "reason": pl.String}))
    for batch in await packs.batch_files(run.id):
        files[f"bank/batch-{batch.number}.csv"] = batch.csv
        files[f"bank/batch-{batch.number}.xlsx"] = batch.xlsx
        for k, (ext, data) in enumerate(batch.results, start=1):
            files[f"bank/result-{batch.number}-{k}{ext}"] = data
    payments = await cash_store.of_run(run.id)
    if payments:
        await _add_scans(files, payments, lambda p: f"bank/cash-{p['id']}-{p['evidence_sha256']}", "evidence_sha256",
                         cash_store.evidence_bytes)
        files["bank/cash.json"] = _json(payments)
    resolution = await approvals_store.resolution_of(run.id)
    if resolution is not None:
        files["run/resolution.json"] = _json(resolution)
    decisions = await approvals_store.decisions_of(run.id)
    if decisions:
        files["run/decisions.json"] = _json(decisions)
    evidence = await approvals_store.evidence_of(run.id)
    if evidence:
        await _add_scans(files, evidence, lambda e: f"evidence/{e['kind']}-{e['sha256']}", "sha256",
                         approvals_store.evidence_bytes)
        files["run/evidence.json"] = _json(evidence)
    notices = await packs.notices(run.id)
    if notices:
        files["notices.csv"] = frame_csv(pl.DataFrame(notices))
    head = (await ledger_store.heads([run.village.code])).get(run.village.code)

    manifest = {
        "format": FORMAT, "run": run.id, "village": run.village.code, "period": run.period, "state": run.state,
        "content_hash": run.content_hash, "pool_fen": run.pool_fen,
        # the village's chain head when the pack was written: a copy outside the database
        "ledger_head": {"seq": head.seq, "hash": head.hash} if head is not None else None,
        "files": {name: sha256_bytes(data) for name, data in sorted(files.items())},
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in [("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8")),
                           *sorted(files.items())]:
            info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()


async def _add_scans(files: dict[str, bytes], records: list[dict[str, Any]], stem: Callable[[dict[str, Any]], str],
                     digest: str, load: Callable[[str], Awaitable[bytes]]) -> None:
    """Each record's stored file (a photo, a scan) into the pack under ``stem`` and the suffix of
    its media type; the record notes the name as ``file``."""
    for record in records:
        record["file"] = f"{stem(record)}.{_SUFFIX.get(record['media_type'], 'bin')}"
        files[record["file"]] = await load(record[digest])


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")


@dataclass(frozen=True)
class PackVerification:
    ok: bool
    problems: tuple[Problem, ...]
    run: int | None = None
    village: str | None = None
    period: int | None = None


def _open_pack(path: Path, name: str) -> zipfile.ZipFile:
    """The pack as a zip, after the size limit of audit packs and the inflated-size limit."""
    limits = current_limits()

    def fail(msg: Msg) -> InputError:
        return InputError([Problem(msg, file=name)])

    try:
        size = Path(path).stat().st_size
    except OSError:
        raise fail(Msg("pack.not_zip", file=name)) from None
    too_large = limits.too_large("audit_pack", size)
    if too_large is not None:
        raise fail(too_large)
    with open(path, "rb") as handle:
        head = handle.read(4)
    if head != b"PK\x03\x04":
        raise fail(Msg("pack.not_zip", file=name))
    check_inflated_size(Path(path).read_bytes(), limits, fail)
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise fail(Msg("pack.not_zip", file=name)) from None


def _read_manifest(archive: zipfile.ZipFile, names: set[str]) -> dict[str, Any] | Msg:
    """The manifest, or the message saying what is wrong with it (never a traceback)."""
    if "manifest.json" not in names:
        return Msg("pack.bad_manifest", detail="manifest.json is missing")
    info = archive.getinfo("manifest.json")
    if info.file_size > 16 * MB:
        return Msg("pack.bad_manifest", detail="manifest.json is larger than 16 MB")
    try:
        manifest = json.loads(archive.read("manifest.json").decode("utf-8"))
    except (ValueError, UnicodeDecodeError, zipfile.BadZipFile) as exc:
        return Msg("pack.bad_manifest", detail=str(exc).splitlines()[0][:200])
    if not isinstance(manifest, dict):
        return Msg("pack.bad_manifest", detail="not a JSON object")
    if manifest.get("format") not in FORMATS:
        return Msg("pack.format", found=manifest.get("format"), expected=" | ".join(FORMATS))
    files = manifest.get("files")
    if not isinstance(files, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in files.items()):
        return Msg("pack.bad_manifest", detail="'files' must map file names to sha256 texts")
    for key, kind in (("run", int), ("village", str), ("period", int)):
        if not isinstance(manifest.get(key), kind) or isinstance(manifest.get(key), bool):
            return Msg("pack.bad_manifest", detail=f"'{key}' is missing or not a {kind.__name__}")
    if _version(manifest) >= 4:
        head = manifest.get("ledger_head", "missing")
        if head is not None and not (isinstance(head, dict) and isinstance(head.get("seq"), int)
                                     and isinstance(head.get("hash"), str) and len(head["hash"]) == 64):
            return Msg("pack.bad_manifest", detail="'ledger_head' must be null or {seq: int, hash: sha256}")
    return manifest


def verify_pack(path: Path, name: str | None = None) -> PackVerification:
    """Check an audit pack offline (no database): hashes, recomputation, cross-checks.

    ``name`` is how messages name the pack (default: the path as given). A pack that is too
    large, inflates too far, is not a zip or has a malformed manifest is an :class:`InputError`
    or a failed verification with a clear message, never a traceback."""
    name = name or str(path)
    archive = _open_pack(path, name)
    with archive:
        problems: list[Problem] = [Problem(Msg("pack.bad_name", file=n)) for n in _unsafe_names(archive.namelist())]
        if problems:  # a path outside the pack, or a name twice: nothing is read, nothing extracted
            return PackVerification(False, tuple(problems))
        names = set(archive.namelist())
        manifest = _read_manifest(archive, names)
        if isinstance(manifest, Msg):
            return _fail(manifest)
        listed = manifest["files"]
        problems += [Problem(Msg("pack.file_missing", file=n)) for n in sorted(set(listed) - names)]
        problems += [Problem(Msg("pack.file_extra", file=n)) for n in sorted(names - set(listed) - {"manifest.json"})]
        problems += [Problem(Msg("pack.file_changed", file=n)) for n, digest in sorted(listed.items())
                     if n in names and sha256_bytes(archive.read(n)) != digest]
        problems += [Problem(Msg("pack.file_required", file=n)) for n in REQUIRED if n not in names and n not in listed]
        if problems:  # every file that is missing, extra or changed, at once
            return PackVerification(False, tuple(problems))
        if "computation/manifest.json" not in names:
            return _fail(Msg("pack.file_required", file="computation/manifest.json"))
        with tempfile.TemporaryDirectory(prefix="verify-pack-") as tmp:
            archive.extractall(tmp, members=[n for n in names if n.startswith("computation/")])
            bundle = verify_bundle(Path(tmp) / "computation")
            if not bundle.ok:
                return PackVerification(False, bundle.problems)
            policy_problems = _policy_checks(archive, manifest, names, bundle.computation)
            computed = pl.read_csv(Path(tmp) / "computation" / "allocations.csv", infer_schema=False)
            computation_manifest = json.loads((Path(tmp) / "computation" / "manifest.json").read_text(encoding="utf-8"))
        try:
            problems = _facts_agree(archive, manifest, computation_manifest) + policy_problems \
                + _cross_checks(archive, manifest, computed)
        except _Damaged as damaged:
            if damaged.detail == "missing":
                return _fail(Msg("pack.file_required", file=damaged.file))
            return _fail(Msg("pack.file_damaged", file=damaged.file, detail=damaged.detail))
    if problems:
        return PackVerification(False, tuple(problems))
    return PackVerification(True, (), manifest["run"], manifest["village"], manifest["period"])


REQUIRED = ("run/allocation_lines.csv", "run/approvals.json", "ledger/entries.csv", "ledger/postings.csv",
            "bank/items.csv")
"""The files every audit pack holds, whatever its format (``computation/`` is checked as a bundle)."""


class _Damaged(Exception):
    """A file of the pack that cannot be read as what it must be (its name and the reader's words)."""

    def __init__(self, file: str, detail: str) -> None:
        super().__init__(file, detail)
        self.file, self.detail = file, detail


def _unsafe_names(names: list[str]) -> list[str]:
    r"""The names a pack never holds: absolute, with a drive or a backslash, with an empty, ``.``
    or ``..`` part (a path outside the pack's directory once extracted), or a name twice.

    >>> _unsafe_names(["manifest.json", "computation/../../x", "/etc/passwd", "a\\b", "a/./b", "c:x", "x", "x"])
    ['/etc/passwd', 'a/./b', 'a\\b', 'c:x', 'computation/../../x', 'x']
    """
    seen: set[str] = set()
    bad: set[str] = set()
    for name in names:
        parts = name.rstrip("/").split("/")
        if name.startswith("/") or "\\" in name or ":" in parts[0] or any(p in ("", ".", "..") for p in parts) \
                or name in seen:
            bad.add(name)
        seen.add(name)
    return sorted(bad)


def _read_csv(archive: zipfile.ZipFile, name: str, schema: dict[str, Any], **options: Any) -> pl.DataFrame:
    """A CSV of the pack as a frame of ``schema``; a file that is not such a CSV is :class:`_Damaged`."""
    if name not in archive.namelist():
        raise _Damaged(name, "missing")
    try:
        frame = restore_frame(pl.read_csv(io.BytesIO(archive.read(name)), schema_overrides=schema, **options))
    except (pl.exceptions.PolarsError, ValueError, TypeError) as exc:
        raise _Damaged(name, str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__) from None
    absent = [c for c in schema if c not in frame.columns]
    if absent:
        raise _Damaged(name, "no column " + ", ".join(absent))
    return frame


def _read_json(archive: zipfile.ZipFile, name: str) -> dict[str, Any]:
    try:
        value = json.loads(archive.read(name).decode("utf-8"))
    except KeyError:
        raise _Damaged(name, "missing") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise _Damaged(name, str(exc).splitlines()[0][:200]) from None
    if not isinstance(value, dict):
        raise _Damaged(name, "not a JSON object")
    return value


def _facts_agree(archive: zipfile.ZipFile, manifest: dict[str, Any], computation: dict[str, Any]) -> list[Problem]:
    """The run the manifest names is the run the other files are about: its number, village,
    period and state as ``run/approvals.json`` records them, its period and content hash as the
    recomputed computation has them (a manifest edited to another run or period, or a content
    hash rewritten with the resolution, is found here)."""
    approvals = _read_json(archive, "run/approvals.json")
    problems: list[Problem] = []

    def differs(field: str, found: object, source: str, expected: object) -> None:
        if found != expected:
            problems.append(Problem(Msg("pack.fact_differs", field=field, found=str(found), source=source,
                                        expected=str(expected))))

    for key in ("run", "village", "period", "state"):
        if key in approvals:
            differs(key, manifest.get(key), "run/approvals.json", approvals[key])
    parameters = computation.get("parameters") if isinstance(computation.get("parameters"), dict) else {}
    differs("period", manifest.get("period"), "computation/manifest.json", parameters.get("period"))
    if approvals.get("kind") != "reversal":
        differs("content_hash", manifest.get("content_hash"), "computation/manifest.json", computation.get("content_hash"))
    return problems


def _policy_checks(archive: zipfile.ZipFile, manifest: dict[str, Any], names: set[str], computation: Any) -> list[Problem]:
    """Format 5: ``run/policy.json`` is there and says what the recomputed run says about the
    policy rules and the numbers without a source (a pack cannot hide a failed rule)."""
    if _version(manifest) < 5:
        return []
    if "run/policy.json" not in names:
        return [Problem(Msg("pack.file_missing", file="run/policy.json"))]
    try:
        recorded = json.loads(archive.read("run/policy.json").decode("utf-8"))
        asset = str(recorded["asset"])
    except (ValueError, UnicodeDecodeError, KeyError, TypeError):
        return [Problem(Msg("pack.bad_manifest", detail="run/policy.json is not a policy report"))]
    expected = json.loads(_json({"asset": asset, **run_policy.report(computation.scheme, computation.allocation, asset)}))
    if recorded != expected:
        return [Problem(Msg("pack.policy_differs", failed=", ".join(r["id"] for r in run_policy.failed(expected)) or "-"))]
    return []


def _fail(msg: Msg) -> PackVerification:
    return PackVerification(False, (Problem(msg),))


def _head_agrees(manifest: dict[str, Any], entries: list[ledger.Entry]) -> list[Problem]:
    """A version-4 pack records the village's chain head when it was written: it is at or after
    every entry of the run, and if it is one of them, it has that entry's hash. (Checking the
    database's chain still holds this head is ``ledger verify --against`` on a checkpoint.)"""
    if _version(manifest) < 4:
        return []
    head = manifest["ledger_head"]
    if head is None:
        return [Problem(Msg("pack.ledger_head", detail="no head recorded, yet the run has entries"))] if entries else []
    last = max((e.seq for e in entries), default=0)
    if head["seq"] < last:
        return [Problem(Msg("pack.ledger_head", detail=f"head #{head['seq']} is before the run's entry #{last}"))]
    at = next((e for e in entries if e.seq == head["seq"]), None)
    if at is not None and at.hash != head["hash"]:
        return [Problem(Msg("pack.ledger_head", detail=f"entry #{at.seq} has hash {at.hash[:12]}, "
                                                       f"the head {head['hash'][:12]}"))]
    return []


def _cross_checks(archive: zipfile.ZipFile, manifest: dict[str, Any], computed: pl.DataFrame) -> list[Problem]:
    problems: list[Problem] = []
    stored = _read_csv(archive, "run/allocation_lines.csv", {
        "recipient_id": pl.String, "recipient_kind": pl.String, "amount_fen": pl.Int64})
    mine = stored.select("recipient_kind", "recipient_id", "amount_fen").sort("recipient_kind", "recipient_id")
    theirs = computed.select("recipient_kind", "recipient_id", pl.col("amount_fen").cast(pl.Int64)).sort(
        "recipient_kind", "recipient_id")
    approvals = _read_json(archive, "run/approvals.json")
    if approvals.get("kind") != "reversal" and not mine.equals(theirs):
        diff = mine.join(theirs, on=["recipient_kind", "recipient_id"], how="full", suffix="_computed", coalesce=True) \
            .filter(pl.col("amount_fen").ne_missing(pl.col("amount_fen_computed")))
        first = diff.row(0, named=True) if diff.height else {}
        problems.append(Problem(Msg("pack.lines_differ", detail=f"{first.get('recipient_id')}: {first.get('amount_fen')} "
                                                                f"vs {first.get('amount_fen_computed')}")))
    entries_frame = _read_csv(archive, "ledger/entries.csv", {
        "run_id": pl.String, "seq": pl.Int64, "on": pl.Date, "ref": pl.String, "narration": pl.String,
        "village_id": pl.String, "kind": pl.String, "prev_hash": pl.String, "hash": pl.String})
    postings = _read_csv(archive, "ledger/postings.csv", {
        "village_id": pl.String, "seq": pl.Int64, "account": pl.String, "amount_fen": pl.Int64})
    entries = [e for es in ledger.entries_from_rows(entries_frame, postings).values() for e in es]
    for check in (ledger.hashes, ledger.balanced, ledger.amounts_are_integers):
        for error in check(manifest["village"], entries):
            problems.append(Problem(Msg("pack.ledger", detail=error.msg)))
    problems.extend(_head_agrees(manifest, entries))
    village = manifest["village"]
    for entry in entries:
        if entry.kind == "accrual":
            households = mine.filter((pl.col("recipient_kind") == "household") & (pl.col("amount_fen") != 0))
            expected = households.select(
                ledger.payables(village, households["recipient_id"]).alias("account"),
                (-pl.col("amount_fen")).alias("amount_fen"))
            got = entry.postings.filter(pl.col("account").str.starts_with("Liabilities:Payable:"))
            if not got.sort("account").equals(expected.sort("account")):
                problems.append(Problem(Msg("pack.accrual", detail="household payables")))
    items = _read_csv(archive, "bank/items.csv", {
        "household_id": pl.String, "amount_fen": pl.Int64, "status": pl.String, "batch": pl.Int64,
        "bank_ref": pl.String, "reason": pl.String})
    paid = items.filter(pl.col("status") == "paid")
    settled = pl.concat([e.postings for e in entries if e.kind == "settlement"] or
                        [pl.DataFrame(schema=ledger.POSTINGS_SCHEMA)])
    settled_payables = settled.filter(pl.col("account").str.starts_with("Liabilities:Payable:"))
    if int(settled_payables["amount_fen"].sum()) != int(paid["amount_fen"].sum()):
        problems.append(Problem(Msg("pack.settlement", detail=f"{settled_payables['amount_fen'].sum()} "
                                                              f"vs {paid['amount_fen'].sum()}")))
    for batch, group in items.filter(pl.col("batch").is_not_null()).group_by("batch", maintain_order=True):
        name = f"bank/batch-{batch[0]}.csv"
        if name not in archive.namelist():
            raise _Damaged(name, "missing")  # shown as the file the pack lacks
        text = archive.read(name).decode("utf-8-sig", errors="replace")
        if not all(str(h) in text for h in group["household_id"].to_list()):
            problems.append(Problem(Msg("pack.bank_file", file=name)))
    problems += _decision_checks(archive, manifest, approvals)
    problems += _cash_checks(archive, manifest, approvals, entries, items)
    return problems


def _cash_checks(archive: zipfile.ZipFile, manifest: dict[str, Any], approvals: dict[str, Any],
                 entries: list[ledger.Entry], items: pl.DataFrame) -> list[Problem]:
    """Format 6: every ``cash:<id>`` settlement is an approved payment of ``bank/cash.json`` and
    debits exactly its households' payables; each of them has a paid payout item; the scan of the
    signed list is the file the audit trail recorded, by hash."""
    if _version(manifest) < 6:
        return []
    names = set(archive.namelist())
    try:
        payments = json.loads(archive.read("bank/cash.json")) if "bank/cash.json" in names else []
        approved = {f"cash:{p['id']}": p for p in payments if p["state"] == "approved"}
        scans = [(str(p["file"]), str(p["evidence_sha256"])) for p in payments]
        lines = {ref: {str(x["household_id"]): int(x["amount_fen"]) for x in p["lines"]} for ref, p in approved.items()}
    except (ValueError, KeyError, TypeError):
        return [Problem(Msg("pack.bad_manifest", detail="bank/cash.json is malformed"))]
    problems: list[Problem] = []
    village = manifest["village"]
    posted = {e.ref: e for e in entries if e.kind == "settlement" and e.ref.startswith("cash:")}
    for ref in sorted(set(posted) ^ set(approved)):
        problems.append(Problem(Msg("pack.cash", detail=f"{ref}: " + ("no approved payment" if ref in posted
                                                                           else "no settlement entry"))))
    paid = set(items.filter(pl.col("status") == "paid")["household_id"].to_list())
    for ref in sorted(set(posted) & set(approved)):
        got = dict(posted[ref].postings.filter(pl.col("account").str.starts_with("Liabilities:Payable:"))
                   .select("account", "amount_fen").iter_rows())
        if got != {ledger.payable(village, h): a for h, a in lines[ref].items()}:
            problems.append(Problem(Msg("pack.cash", detail=f"{ref}: the entry's payables are not the payment's lines")))
        if not set(lines[ref]) <= paid:
            problems.append(Problem(Msg("pack.cash", detail=f"{ref}: {', '.join(sorted(set(lines[ref]) - paid))} not paid")))
    recorded = {e.get("detail", {}).get("evidence_sha256") for e in approvals.get("events", [])
                if e.get("action") in ("run.cash_recorded", "run.cash_paid")}
    for name, digest in scans:
        if name not in names or sha256_bytes(archive.read(name)) != digest or digest not in name \
                or digest not in recorded:
            problems.append(Problem(Msg("pack.cash", detail=f"{name}: the scan does not match its recorded hash")))
    return problems


def _decision_checks(archive: zipfile.ZipFile, manifest: dict[str, Any], approvals: dict[str, Any]) -> list[Problem]:
    """Format 3: an approved run (regular or correction) carries its resolution; the resolution
    is bound to this run's content hash and meets the rules it was recorded under; every evidence file is the one the audit trail recorded, by hash."""
    problems: list[Problem] = []
    names = set(archive.namelist())
    if _version(manifest) >= 3 and approvals.get("kind") != "reversal" and approvals.get("state") in _APPROVED \
            and "run/resolution.json" not in names:
        import dividends.policy  # noqa: F401  (registers the run-state labels)
        problems.append(Problem(Msg("pack.resolution_missing", run=manifest["run"],
                                    state=Msg(f"state.{approvals.get('state')}"))))
    recorded = [e.get("detail", {}).get("sha256") for e in approvals.get("events", [])
                if str(e.get("action", "")).startswith("publicity.")]
    if "run/resolution.json" in names:
        try:
            resolution = json.loads(archive.read("run/resolution.json"))
            bound = resolution["content_hash"]
            counts = [int(resolution[k]) for k in ("entitled", "present", "votes_for", "votes_against", "abstaining")]
            rules = resolution["rules"]
        except (ValueError, KeyError, TypeError):
            return [Problem(Msg("pack.bad_manifest", detail="run/resolution.json is malformed"))]
        if bound != manifest.get("content_hash"):
            problems.append(Problem(Msg("pack.resolution_hash", found=str(bound)[:16],
                                        expected=str(manifest.get("content_hash"))[:16])))
        if not _meets(counts, rules):
            problems.append(Problem(Msg("pack.resolution_rules", quorum=str(rules.get("quorum")),
                                        majority=str(rules.get("majority")), present=counts[1], entitled=counts[0],
                                        votes_for=counts[2])))
    if "run/evidence.json" in names:
        try:
            evidence = json.loads(archive.read("run/evidence.json"))
            listed = [(str(e["file"]), str(e["sha256"])) for e in evidence]
        except (ValueError, KeyError, TypeError):
            return problems + [Problem(Msg("pack.bad_manifest", detail="run/evidence.json is malformed"))]
        for name, digest in listed:
            if name not in names or sha256_bytes(archive.read(name)) != digest or digest not in name \
                    or digest not in recorded:
                problems.append(Problem(Msg("pack.evidence", file=name)))
    return problems


_APPROVED = ("approved", "paid", "closed")
"""The posted states: a run is in them only after its approval."""


def _version(manifest: dict[str, Any]) -> int:
    """The format's number (``dividends.auditpack/3`` -> 3); the manifest was checked against FORMATS."""
    return int(str(manifest["format"]).rsplit("/", 1)[1])


def _meets(counts: list[int], rules: dict[str, Any]) -> bool:
    """The recorded counts against the recorded rules (``>=2/3`` present, ``>1/2`` in favour)."""
    from fractions import Fraction
    entitled, present, votes_for, against, abstaining = counts
    try:
        quorum = Fraction(str(rules["quorum"]).lstrip(">="))
        majority = Fraction(str(rules["majority"]).lstrip(">"))
    except (ValueError, KeyError, ZeroDivisionError):
        return False
    return (0 < entitled and 0 <= present <= entitled and votes_for + against + abstaining <= present
            and present >= quorum * entitled and votes_for > majority * present)
