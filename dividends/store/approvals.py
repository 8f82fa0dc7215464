"""The villagers' resolution, township reviews, returns (驳回) and publicity evidence of runs: the
only place these tables are read or written (the use-cases call these inside their rules)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dividends.store import audit
from dividends.store.files import get_file, put_file
from dividends.store.models import (
    AllocationLine, Household, PayoutItem, RegistrySnapshot, Run, RunDecision, RunEvidence, RunResolution,
)
from dividends.store.transactions import transaction


@dataclass(frozen=True)
class ApprovalFacts:
    content_hash: str
    county_code: str | None
    township_id: int | None


async def approval_facts(run_id: int) -> ApprovalFacts:
    run = await Run.get(id=run_id).prefetch_related("village__county")
    return ApprovalFacts(run.content_hash or "", run.village.county.code,  # type: ignore[attr-defined]
                         run.village.township_id)  # type: ignore[attr-defined]


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


async def record_resolution(run: Run, counts: dict[str, Any], *, content_hash: str, quorum: str, majority: str,
                            actor: str, at: datetime) -> None:
    """Store the resolution bound to ``content_hash`` (call inside the approval's transaction)."""
    await RunResolution.create(run_id=run.id, content_hash=content_hash, meeting_date=counts["meeting_date"],
                               body=counts["body"], entitled=counts["entitled"], present=counts["present"],
                               votes_for=counts["votes_for"], votes_against=counts["votes_against"],
                               abstaining=counts["abstaining"], quorum=quorum, majority=majority, recorded_by=actor,
                               recorded_at=at)


async def resolution_of(run_id: int) -> dict[str, Any] | None:
    """The run's resolution as plain JSON values (what the audit pack carries), or None."""
    row = await RunResolution.get_or_none(run_id=run_id)
    if row is None:
        return None
    return {"run": run_id, "content_hash": row.content_hash, "meeting_date": row.meeting_date.isoformat(),
            "body": row.body, "entitled": row.entitled, "present": row.present, "votes_for": row.votes_for,
            "votes_against": row.votes_against, "abstaining": row.abstaining,
            "rules": {"quorum": row.quorum, "majority": row.majority}, "recorded_by": row.recorded_by,
            "recorded_at": _iso(row.recorded_at)}


async def record_decision(run_id: int, kind: str, *, content_hash: str, actor: str, at: datetime,
                          township_id: int | None = None, filing_number: str = "", text: str = "") -> None:
    run = await Run.get(id=run_id).prefetch_related("village")
    async with transaction():
        row = await RunDecision.create(run_id=run_id, kind=kind, content_hash=content_hash, township_id=township_id,
                                       filing_number=filing_number, text=text, decided_by=actor, decided_at=at)
        await audit.record(actor, f"run.{kind}", "run", run_id, village=run.village, decision=row.id,
                           content_hash=content_hash, filing_number=filing_number, text=text)


async def decisions_of(run_id: int) -> list[dict[str, Any]]:
    rows = await RunDecision.filter(run_id=run_id).order_by("id").prefetch_related("township")
    return [{"kind": r.kind, "content_hash": r.content_hash, "township": r.township.code if r.township else None,
             "filing_number": r.filing_number, "text": r.text, "by": r.decided_by, "at": _iso(r.decided_at)}
            for r in rows]


async def reviewed(run_id: int, content_hash: str) -> bool:
    """True when a township review was recorded for exactly this content."""
    return await RunDecision.filter(run_id=run_id, kind="review", content_hash=content_hash).exists()


async def was_returned(run_id: int) -> bool:
    return await RunDecision.filter(run_id=run_id, kind="return").exists()


async def return_to_draft(run_id: int, source: str, *, content_hash: str, reason: str, actor: str,
                          at: datetime) -> bool:
    """Send a computed or publicized run back to draft (驳回): its lines and notice period are
    dropped so that it is corrected and recomputed. False when its state changed meanwhile."""
    run = await Run.get(id=run_id).prefetch_related("village")
    async with transaction():
        updated = await Run.filter(id=run_id, state=source).update(
            state="draft", content_hash=None, manifest=None, lines=0, computed_at=None, notice_start=None,
            notice_end=None, publicized_at=None)
        if updated != 1:
            return False
        await AllocationLine.filter(run_id=run_id).delete()
        row = await RunDecision.create(run_id=run_id, kind="return", content_hash=content_hash, text=reason,
                                       decided_by=actor, decided_at=at)
        await audit.record(actor, "run.return", "run", run_id, village=run.village, decision=row.id, was=source,
                           content_hash=content_hash, reason=reason)
    return True


async def refresh_snapshot(run_id: int) -> int | None:
    """Point a returned draft at its village's newest registry snapshot of the period (the
    corrected registry); returns the snapshot version now used."""
    run = await Run.get(id=run_id)
    newest = await RegistrySnapshot.filter(village_id=run.village_id, period=run.period).order_by("-version").first()  # type: ignore[attr-defined]
    if newest is None or run.state != "draft":
        return None
    await Run.filter(id=run_id, state="draft").update(snapshot_id=newest.id)
    return newest.version


# --------------------------------------------------------------------------- evidence


async def add_evidence(run_id: int, kind: str, *, name: str, media_type: str, data: bytes, actor: str,
                       at: datetime) -> str:
    """Store bytes by hash and record them as the run's evidence (once per kind and content)."""
    run = await Run.get(id=run_id).prefetch_related("village")
    async with transaction():
        digest = await put_file(name, data)
        _, created = await RunEvidence.get_or_create(run_id=run_id, kind=kind, sha256=digest, defaults={
            "name": name[:255], "media_type": media_type, "recorded_by": actor, "recorded_at": at})
        if created:
            await audit.record(actor, f"publicity.{kind}", "run", run_id, village=run.village, sha256=digest,
                               name=name[:255], size=len(data))
    return digest


async def evidence_of(run_id: int) -> list[dict[str, Any]]:
    rows = await RunEvidence.filter(run_id=run_id).order_by("id")
    return [{"kind": r.kind, "sha256": r.sha256, "name": r.name, "media_type": r.media_type, "by": r.recorded_by,
             "at": _iso(r.recorded_at)} for r in rows]


async def evidence_bytes(digest: str) -> bytes:
    return await get_file(digest)


async def result_rows(run_id: int) -> list[dict[str, Any]]:
    """Each household owed by the run with its amount and what became of it: ``paid``,
    ``failed`` (last item failed), ``cash`` (no bank account, to be paid in cash) or ``unpaid``
    (never issued or still pending)."""
    run = await Run.get(id=run_id)
    lines = await AllocationLine.filter(run_id=run_id, recipient_kind="household", amount_fen__gt=0) \
        .order_by("recipient_id").values_list("recipient_id", "amount_fen")
    people = {h.household_id: h for h in await Household.filter(snapshot_id=run.snapshot_id)}  # type: ignore[attr-defined]
    fate: dict[str, str] = {}
    for household, status in await PayoutItem.filter(run_id=run_id).order_by("id").values_list("household_id", "status"):
        if fate.get(household) != "paid":
            fate[household] = status
    out = []
    for household, amount in lines:
        h = people.get(household)
        status = fate.get(household, "unpaid")
        out.append({"household_id": household, "head_name": h.head_name if h else "", "id_number": h.id_number if h else "",
                    "members": h.members if h else 0, "amount_fen": amount,
                    "status": "unpaid" if status == "pending" else status})
    return out

