"""Both disclosures of a run (两公开): evidence that the public notice was posted (a photo or scan
of the sheet on the board, stored by hash) and, after payment, the result notice (paid, failed,
unpaid, masked like the public notice), produced and recorded. The village's accountant records
them; everyone who may read the run sees them."""
from __future__ import annotations

from pathlib import Path

from typing import Any

from dividends.actors import Actor
from dividends.clock import Clock, SystemClock, today
from dividends.files.result_notice import ResultRow, render_result_notice
from dividends.policy import allow
from dividends.refusals import NotAllowed, refuse
from dividends.runs import get_run
from dividends.store import approvals
from dividends.usecases import scope
from schemes.i18n import load_catalog

load_catalog(Path(__file__).parents[1] / "locale", "dividends")

MAX_EVIDENCE = 20 * 1024 * 1024
_MEDIA = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"%PDF-", "application/pdf"))


def media_type(data: bytes) -> str | None:
    """The kind of an evidence file from its first bytes (its name proves nothing)."""
    return next((kind for magic, kind in _MEDIA if data.startswith(magic)), None)


def checked_scan(name: str, data: bytes, refusals: str) -> tuple[str, str]:
    """A photo or scan's safe name and media type, or the refusal ``<refusals>_size`` (empty or
    above :data:`MAX_EVIDENCE`) or ``<refusals>_type`` (not JPEG, PNG or PDF by its first bytes)."""
    name = name.replace("/", "_").replace("\\", "_")[:200]
    if not 0 < len(data) <= MAX_EVIDENCE:
        raise refuse(f"{refusals}_size", file=name, size=len(data), limit=MAX_EVIDENCE)
    kind = media_type(data)
    if kind is None:
        raise refuse(f"{refusals}_type", file=name)
    return name, kind


async def attach_evidence(actor: Actor, run_id: int, name: str, data: bytes, clock: Clock = SystemClock()) -> str:
    """Record a photo or scan of the posted notice; returns its sha256."""
    found = await scope.run(actor, run_id)
    allow(actor, "publicity.evidence", found.place, state=found.state, what=run_id)
    name, kind = checked_scan(name or "notice", data, "publicity.evidence")
    return await approvals.add_evidence(found.id, "notice_photo", name=name, media_type=kind, data=data,
                                        actor=actor.username, at=clock.now())


async def _result_html(run_id: int, lang: str, clock: Clock) -> str:
    run = await get_run(run_id)
    # no bank account, to be paid in cash: not paid yet, like a line never issued
    rows = [ResultRow(r["household_id"], r["head_name"], r["id_number"], r["members"], r["amount_fen"],
                      "unpaid" if r["status"] == "cash" else r["status"])
            for r in await approvals.result_rows(run_id)]
    return render_result_notice(run.village.name, run.period, run.id, run.content_hash or "", rows, today(clock), lang)


async def record_result_notice(actor: Actor, run_id: int, lang: str | None = None,
                               clock: Clock = SystemClock()) -> tuple[str, str]:
    """Produce the result notice of a paid (or closed) run and record it (stored by hash, in the
    audit pack), in ``lang`` or else the village's document language. Returns the page and its
    sha256."""
    from dividends.villages import document_language
    found = await scope.run(actor, run_id)
    allow(actor, "publicity.result", found.place, state=found.state, what=run_id)
    lang = lang or await document_language(found.place.village_id)
    html = await _result_html(found.id, lang, clock)
    digest = await approvals.add_evidence(found.id, "result_notice", name=f"result-notice-{found.id}-{lang}.html",
                                          media_type="text/html", data=html.encode("utf-8"), actor=actor.username,
                                          at=clock.now())
    return html, digest


async def evidence(actor: Actor, run_id: int) -> list[dict[str, Any]]:
    found = await scope.run(actor, run_id)
    allow(actor, "village.read", found.place, what=run_id)
    return await approvals.evidence_of(found.id)


async def evidence_file(actor: Actor, run_id: int, digest: str) -> tuple[dict[str, Any], bytes]:
    """One recorded evidence file of a run (its record and bytes)."""
    found = await scope.run(actor, run_id)
    allow(actor, "village.read", found.place, what=run_id)
    for item in await approvals.evidence_of(found.id):
        if item["sha256"] == digest:
            return item, await approvals.evidence_bytes(digest)
    raise NotAllowed(digest[:64])
