"""The Beancount export: byte-for-byte golden file, accepted by bean-check, read back exactly."""
from __future__ import annotations

import dataclasses
import io
import os
import subprocess
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from beancount import loader
from beancount.core import data

from dividends.ledger import Entry, chain, component, draft_approval, write_beancount
from dividends.ledger.beancount import quote, yuan_text
from support.ledger_example import example_ledger, lines

GOLDEN = Path(__file__).parent / "golden" / "ledger"
BEAN_CHECK = Path(sys.executable).parent / "bean-check"


def all_entries() -> list[Entry]:
    ledger = example_ledger()
    return [e for v in sorted(ledger) for e in ledger[v]]


def export(entries: list[Entry], **kw: str) -> str:
    out = io.StringIO()
    write_beancount(entries, out, **kw)
    return out.getvalue()


def bean_check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BEAN_CHECK), str(path)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONWARNINGS": ""})


def test_the_export_matches_the_golden_file_byte_for_byte() -> None:
    text = export(all_entries())
    golden = GOLDEN / "example.beancount"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_text(text, encoding="utf-8", newline="\n")
    assert text == golden.read_text(encoding="utf-8")


def test_bean_check_accepts_the_export(tmp_path: Path) -> None:
    path = tmp_path / "ledger.beancount"
    path.write_text(export(all_entries(), title="两村分红账"), encoding="utf-8")
    result = bean_check(path)
    assert (result.returncode, result.stderr, result.stdout) == (0, "", "")


def test_bean_check_rejects_an_unbalanced_file_so_the_check_has_teeth(tmp_path: Path) -> None:
    text = export(all_entries())
    assert text.count("  -3000.00 CNY") == 1
    path = tmp_path / "unbalanced.beancount"
    path.write_text(text.replace("  -3000.00 CNY", "  -3000.01 CNY"), encoding="utf-8")
    result = bean_check(path)
    assert result.returncode != 0
    assert "does not balance" in result.stderr + result.stdout


def test_beancount_reads_back_every_amount_date_and_chain_field_exactly(tmp_path: Path) -> None:
    entries = all_entries()
    path = tmp_path / "ledger.beancount"
    path.write_text(export(entries), encoding="utf-8")
    loaded, errors, options = loader.load_file(str(path))
    assert errors == []
    assert options["title"] == "Asset-return dividends"
    txns = {(t.meta["village"], int(t.meta["seq"])): t for t in loaded if isinstance(t, data.Transaction)}
    opens = {o.account: o.date for o in loaded if isinstance(o, data.Open)}
    assert len(txns) == len(entries)
    for entry in entries:
        txn = txns[(entry.village_id, entry.seq)]
        assert (txn.date, txn.payee, txn.narration) == (entry.on, entry.kind, entry.narration)
        assert (txn.meta["ref"], txn.meta["run"], txn.meta["hash"], txn.meta["prev_hash"]) == (
            entry.ref, entry.run_id, entry.hash, entry.prev_hash)
        got = sorted((p.account, p.units.number * 100, p.units.currency) for p in txn.postings)
        assert got == [(a, Decimal(f), "CNY") for a, f in entry.postings.rows()]
        assert all(opens[a] <= entry.on for a in entry.postings["account"])


def test_ids_that_need_rewriting_are_exported_as_valid_accounts(tmp_path: Path) -> None:
    text = export(all_entries())
    for raw in ("张家村", "王 二", "h.001", "李\"四\"", "公益 基金", "welfare_fund", "carry_over"):
        assert f":{component(raw)}" in text
    assert ":王 二" not in text and ":h.001" not in text


def test_strings_are_escaped_for_beancount(tmp_path: Path) -> None:
    tricky = 'say "hi" \\ back\nslash\ttab'
    assert quote(tricky) == '"say \\"hi\\" \\\\ back\\nslash\\ttab"'
    entries = all_entries()
    entries[0] = dataclasses.replace(entries[0], narration=tricky)  # export does not verify
    path = tmp_path / "tricky.beancount"
    path.write_text(export(entries, title='a "title"'), encoding="utf-8")
    loaded, errors, options = loader.load_file(str(path))
    assert errors == []
    assert options["title"] == 'a "title"'
    assert tricky in [t.narration for t in loaded if isinstance(t, data.Transaction)]


@pytest.mark.parametrize("fen,text", [
    (0, "0.00"), (1, "0.01"), (-1, "-0.01"), (99, "0.99"), (100, "1.00"), (-100, "-1.00"), (123450, "1234.50"),
    (2**63 - 1, "92233720368547758.07"), (-(2**63), "-92233720368547758.08"),
])
def test_amounts_are_written_exactly_from_integer_fen(fen: int, text: str) -> None:
    frame = pl.DataFrame({"f": [fen]}, schema={"f": pl.Int64})
    assert frame.select(yuan_text(pl.col("f")).alias("t"))["t"].item() == text


def test_an_empty_ledger_is_just_the_options() -> None:
    assert export([]) == 'option "title" "Asset-return dividends"\noption "operating_currency" "CNY"\n'


def test_a_hundred_thousand_postings_export_in_about_a_second() -> None:
    n = 100_000
    big = pl.select(pl.int_range(n).alias("i")).select(
        recipient_kind=pl.lit("household"), recipient_id=pl.format("V0001-{}", pl.col("i").cast(pl.String).str.zfill(6)),
        amount_fen=(pl.col("i") % 9973 + 1).cast(pl.Int64))
    pool = int(big["amount_fen"].sum())
    entries = chain(draft_approval("V0001", "R1", date(2025, 1, 20), pool, big), None)
    start = time.perf_counter()
    text = export(entries)
    elapsed = time.perf_counter() - start
    assert text.count(" CNY\n") == (2 + n + 1) + (n + 3)  # return + accrual postings, then the opens
    assert elapsed < 5, f"exporting {n} postings took {elapsed:.2f} s"


def test_example_helpers_build_the_frames_drafts_expect() -> None:
    assert lines([("household", "H1", 5)]).schema == pl.Schema(
        {"recipient_kind": pl.String, "recipient_id": pl.String, "amount_fen": pl.Int64})


# --------------------------------------------------------------------------- a small file in full

def small(village: str, on: date, amounts: list[int], run: str = "R1") -> list[Entry]:
    drafts = [draft_approval(village, run, on, sum(amounts), lines([("household", f"{village}-{i}", a)
                                                                      for i, a in enumerate(amounts, 1)]),
                             lang="en")[0]]
    return chain(drafts, None)


def test_a_small_file_in_full_entries_by_date_then_village_then_seq_whatever_order_they_come_in() -> None:
    day = date(2025, 1, 20)
    v2 = small("V2", day, [5])
    v1 = chain([*(e.draft for e in small("V1", day, [1, 2])), *(e.draft for e in small("V1", day, [4]))], None)
    early = small("V3", date(2025, 1, 2), [7])
    text = export([v2[0], v1[1], early[0], v1[0]], title="t\r")
    header = "\n".join([
        '{on} * "return" "asset return of run R1: {yuan} yuan received"',
        '  village: "{v}"', '  run: "R1"', '  ref: "return:R1"', "  seq: {seq}",
        '  prev_hash: "{prev}"', '  hash: "{hash}"',
        "  Assets:Bank:{v}  {yuan} CNY", "  Income:AssetReturn:{v}  -{yuan} CNY"])
    blocks = [header.format(on=e.on.isoformat(), v=e.village_id, seq=e.seq, prev=e.prev_hash, hash=e.hash,
                            yuan=f"0.0{e.total_debits()}") for e in (early[0], v1[0], v1[1], v2[0])]
    assert text == "\n".join([
        'option "title" "t\\r"', 'option "operating_currency" "CNY"', "",
        "2025-01-02 open Assets:Bank:V3 CNY", "2025-01-02 open Income:AssetReturn:V3 CNY",
        "2025-01-20 open Assets:Bank:V1 CNY", "2025-01-20 open Assets:Bank:V2 CNY",
        "2025-01-20 open Income:AssetReturn:V1 CNY", "2025-01-20 open Income:AssetReturn:V2 CNY",
        "", blocks[0], "", blocks[1], "", blocks[2], "", blocks[3], ""])


def test_an_account_opens_on_its_first_use_even_when_a_later_entry_uses_it_too() -> None:
    first = small("V1", date(2025, 1, 2), [3])
    later = chain([e.draft for e in small("V1", date(2025, 3, 4), [3], run="R2")], first[-1])
    text = export([*later, *first])
    assert text.count(" open ") == 2
    assert "2025-01-02 open Assets:Bank:V1 CNY\n2025-01-02 open Income:AssetReturn:V1 CNY\n" in text


def test_an_entry_without_postings_is_written_as_its_header_alone() -> None:
    (entry,) = small("V1", date(2025, 1, 2), [3])
    bare = dataclasses.replace(entry, postings=entry.postings.clear())
    text = export([entry, dataclasses.replace(bare, seq=2)])
    assert text.endswith(f'  hash: "{entry.hash}"\n')
    assert text.count("  hash: ") == 2 and text.count(" CNY\n") == 2 + 2


def test_postings_of_other_integer_types_are_written_as_yuan() -> None:
    (entry,) = small("V1", date(2025, 1, 2), [123])
    narrow = dataclasses.replace(entry, postings=entry.postings.with_columns(pl.col("amount_fen").cast(pl.Int32)))
    assert export([narrow]) == export([entry])


def test_quote_escapes_carriage_returns_and_leaves_other_text_alone() -> None:
    assert quote("a\rb") == '"a\\rb"'
    assert quote("张家村 'x'") == '"张家村 \'x\'"'
    assert quote("") == '""'
