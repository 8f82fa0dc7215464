"""Ledger entries in the database: appending to a village's chain, reading it back."""
from __future__ import annotations

from collections.abc import Iterable, Sequence

import polars as pl
from tortoise.connection import get_connection

from dividends import ledger
from dividends.store.bulk import insert_rows
from dividends.store.models import LedgerEntry, LedgerHead, LedgerPosting, Village


def run_ref(run_id: int) -> str:
    return f"R{run_id}"


def _as_entry(row: LedgerEntry, village_code: str) -> ledger.Entry:
    return ledger.Entry(village_code, row.on, row.kind, run_ref(row.run_id) if row.run_id else "", row.ref,  # type: ignore[attr-defined]
                        row.narration, pl.DataFrame(schema=ledger.POSTINGS_SCHEMA), seq=row.seq,
                        prev_hash=row.prev_hash, hash=row.hash)


async def append(village: Village, drafts: Sequence[ledger.EntryDraft], *, run_id: int | None) -> list[ledger.Entry]:
    """Chain ``drafts`` after the village's last entry and store them (call inside a
    transaction). The unique (village, seq) and ref constraints refuse a concurrent or repeated
    append rather than fork the chain or post twice."""
    if not drafts:
        return []
    last = await LedgerEntry.filter(village=village).order_by("-seq").first()
    entries = ledger.chain(drafts, _as_entry(last, village.code) if last else None)
    postings: list[tuple[int, str, int]] = []
    for entry in entries:
        row = await LedgerEntry.create(village=village, seq=entry.seq, on=entry.on, kind=entry.kind, run_id=run_id,
                                       ref=entry.ref, narration=entry.narration, prev_hash=entry.prev_hash,
                                       hash=entry.hash)
        postings.extend((row.id, a, f) for a, f in entry.postings.select("account", "amount_fen").iter_rows())
    await insert_rows(LedgerPosting._meta.db_table, ["entry_id", "account", "amount_fen"], postings)
    head = entries[-1]
    updated = await LedgerHead.filter(village=village).update(seq=head.seq, hash=head.hash)
    if not updated:
        await LedgerHead.create(village=village, seq=head.seq, hash=head.hash)
    return entries


async def _postings(entry_ids: Sequence[int]) -> pl.DataFrame:
    """All postings of the given entries, read in one query (a run may have a million)."""
    schema = {"entry_id": pl.Int64, "account": pl.String, "amount_fen": pl.Int64}
    if not entry_ids:
        return pl.DataFrame(schema=schema)
    conn = get_connection("default")
    out = []
    for start in range(0, len(entry_ids), 500):
        chunk = list(entry_ids[start:start + 500])
        marks = ", ".join("$%d" % (i + 1) if conn.capabilities.dialect == "postgres" else "?" for i in range(len(chunk)))
        rows = await conn.execute_query_dict(
            f'SELECT entry_id, account, amount_fen FROM "{LedgerPosting._meta.db_table}" '
            f"WHERE entry_id IN ({marks}) ORDER BY id", chunk)
        out.append(pl.DataFrame(rows, schema=schema))
    return pl.concat(out)


async def _with_postings(rows: Iterable[LedgerEntry], codes: dict[int, str]) -> list[ledger.Entry]:
    rows = list(rows)
    postings = await _postings([r.id for r in rows])
    grouped = postings.partition_by("entry_id", as_dict=True, include_key=False, maintain_order=True)
    empty = pl.DataFrame(schema=ledger.POSTINGS_SCHEMA)
    return [ledger.Entry(codes[r.village_id], r.on, r.kind, run_ref(r.run_id) if r.run_id else "", r.ref,  # type: ignore[attr-defined]
                         r.narration, grouped.get((r.id,), empty), seq=r.seq, prev_hash=r.prev_hash, hash=r.hash)
            for r in rows]


async def entries_of_run(run_id: int, kinds: Sequence[str] | None = None) -> list[ledger.Entry]:
    query = LedgerEntry.filter(run_id=run_id)
    if kinds:
        query = query.filter(kind__in=list(kinds))
    rows = await query.order_by("seq").prefetch_related("village")
    return await _with_postings(rows, {r.village_id: r.village.code for r in rows})  # type: ignore[attr-defined]


async def entries_by_village(village_codes: Sequence[str] | None = None) -> dict[str, list[ledger.Entry]]:
    villages = await (Village.filter(code__in=list(village_codes)) if village_codes else Village.all())
    codes = {v.id: v.code for v in villages}
    rows = await LedgerEntry.filter(village_id__in=list(codes)).order_by("village_id", "seq")
    entries = await _with_postings(rows, codes)
    out: dict[str, list[ledger.Entry]] = {codes[v]: [] for v in sorted(codes, key=codes.get)}  # type: ignore[arg-type]
    for e in entries:
        out[e.village_id].append(e)
    return {k: v for k, v in out.items() if v}


async def heads(village_codes: Sequence[str] | None = None) -> dict[str, ledger.ChainHead]:
    query = LedgerHead.all().prefetch_related("village")
    rows = await query
    return {r.village.code: ledger.ChainHead(r.seq, r.hash) for r in rows
            if not village_codes or r.village.code in village_codes}
