"""The hash chain and verify: a sound ledger verifies clean, and every kind of tampering is caught."""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date

import polars as pl
import pytest

from dividends.ledger import (
    ZERO_HASH,
    ChainHead,
    DraftError,
    Entry,
    EntryDraft,
    LedgerError,
    account_names,
    amounts_are_integers,
    balanced,
    chain,
    chain_links,
    entries_by_village,
    entries_from_rows,
    entry_hash,
    entry_rows,
    hashes,
    head,
    head_of,
    no_empty_entries,
    posting_rows,
    verify,
)
from dividends.ledger.entries import postings_of
from support.ledger_example import example_ledger
from dividends.ledger.hashes import hashed_bytes

V = "V0001"
Ledger = dict[str, list[Entry]]


@pytest.fixture(scope="module")
def ledger() -> Ledger:
    return example_ledger()


def codes(errors: list[LedgerError]) -> list[tuple[int | None, str]]:
    return [(e.seq, e.code) for e in errors]


def with_postings(entry: Entry, change: Callable[[pl.DataFrame], pl.DataFrame]) -> Entry:
    return dataclasses.replace(entry, postings=change(entry.postings))


def tampered(ledger: Ledger, entries: list[Entry]) -> Ledger:
    return {**ledger, V: entries}


def draft(village: str = V, amount: int = 100, ref: str = "return:R1") -> EntryDraft:
    return EntryDraft(village, date(2025, 1, 20), "return", "R1", ref, "asset return",
                      postings_of([(f"Assets:Bank:{village}", amount), (f"Income:AssetReturn:{village}", -amount)]))


# --------------------------------------------------------------------------- the hash and the chain

def test_the_hashed_bytes_are_a_json_line_then_the_postings_csv() -> None:
    entry = chain([draft()], None)[0]
    assert hashed_bytes(ZERO_HASH, 1, entry) == (
        b'["dividends.ledger/1","' + ZERO_HASH.encode() + b'","V0001",1,"2025-01-20","return","R1",'
        b'"return:R1","asset return"]\n'
        b"account,amount_fen\nAssets:Bank:V0001,100\nIncome:AssetReturn:V0001,-100\n"
    )
    # A golden value: changing the encoding changes every stored hash, so it must be deliberate.
    assert entry.hash == "21ca9f48b8ae47facb81e1ce33c47ff8c6eaaf5f1134d78fe11f02c9c41f65db"
    assert entry.hash == entry_hash(ZERO_HASH, entry)


def test_the_hash_does_not_depend_on_the_order_of_the_posting_rows() -> None:
    entry = chain([draft()], None)[0]
    shuffled = with_postings(entry, lambda p: p.reverse())
    assert entry_hash(entry.prev_hash, shuffled) == entry.hash


def test_non_ascii_fields_hash_deterministically() -> None:
    a = chain([dataclasses.replace(draft(), narration="资产收益 \"引号\"\n换行")], None)[0]
    b = chain([dataclasses.replace(draft(), narration="资产收益 \"引号\"\n换行")], None)[0]
    assert a.hash == b.hash


def test_chain_numbers_entries_and_links_each_to_the_previous_hash() -> None:
    first = chain([draft(ref="a"), draft(ref="b")], None)
    assert [(e.seq, e.prev_hash) for e in first] == [(1, ZERO_HASH), (2, first[0].hash)]
    more = chain([draft(ref="c")], first[-1])
    assert (more[0].seq, more[0].prev_hash) == (3, first[-1].hash)
    assert verify({V: first + more}) == []
    assert chain([], first[-1]) == []


def test_chain_refuses_mixed_villages_and_a_last_entry_of_another_village() -> None:
    with pytest.raises(ValueError, match="one village"):
        chain([draft("V1"), draft("V2")], None)
    last = chain([draft("V1")], None)[-1]
    with pytest.raises(DraftError, match="one village"):
        chain([draft("V2")], last)


def test_chain_refuses_an_unbalanced_or_empty_draft() -> None:
    unbalanced = dataclasses.replace(draft(), postings=postings_of([("Assets:Bank:V0001", 100)]))
    with pytest.raises(DraftError, match="sum to 1.00 yuan"):
        chain([unbalanced], None)
    empty = dataclasses.replace(draft(), postings=postings_of([]))
    with pytest.raises(DraftError, match="at least two postings"):
        chain([empty], None)
    bad_name = dataclasses.replace(draft(), postings=postings_of([("Assets:bank", 1), ("Income:X", -1)]))
    with pytest.raises(DraftError, match="Beancount would reject"):
        chain([bad_name], None)


# --------------------------------------------------------------------------- verify: sound ledgers

def test_a_sound_ledger_verifies_clean(ledger: Ledger) -> None:
    assert verify(ledger) == []
    heads = {v: head_of(es) for v, es in ledger.items()}
    assert verify(ledger, heads={v: h for v, h in heads.items() if h}) == []


def test_entries_survive_the_trip_through_table_rows(ledger: Ledger) -> None:
    everything = [e for v in sorted(ledger) for e in ledger[v]]
    back = entries_from_rows(entry_rows(everything), posting_rows(everything))
    assert back == ledger
    assert verify(back) == []


# --------------------------------------------------------------------------- verify: tampering

EDITS: dict[str, Callable[[Entry], Entry]] = {
    "amount": lambda e: with_postings(e, lambda p: p.with_columns(
        pl.when(pl.int_range(pl.len()) == 0).then(pl.col("amount_fen") + 1).otherwise(pl.col("amount_fen")))),
    "amount moved between postings (still balanced)": lambda e: with_postings(e, lambda p: p.with_columns(
        pl.col("amount_fen") + pl.when(pl.int_range(pl.len()) == 0).then(1).when(pl.int_range(pl.len()) == 1)
        .then(-1).otherwise(0))),
    "account": lambda e: with_postings(e, lambda p: p.with_columns(
        pl.when(pl.int_range(pl.len()) == 0).then(pl.lit("Assets:Bank:ELSEWHERE")).otherwise(pl.col("account")).alias("account"))),
    "posting deleted": lambda e: with_postings(e, lambda p: p.slice(1)),
    "narration": lambda e: dataclasses.replace(e, narration=e.narration + " "),
    "date": lambda e: dataclasses.replace(e, on=date(2025, 1, 21)),
    "ref": lambda e: dataclasses.replace(e, ref="accrual:R9"),
    "run": lambda e: dataclasses.replace(e, run_id="R9"),
}


@pytest.mark.parametrize("what", list(EDITS))
def test_an_edited_entry_is_caught_by_its_hash(ledger: Ledger, what: str) -> None:
    entries = list(ledger[V])
    entries[1] = EDITS[what](entries[1])
    errors = verify(tampered(ledger, entries))
    assert (2, "hash") in codes(errors)
    assert all(e.village_id == V and e.seq == 2 for e in errors)


def test_an_edited_amount_is_also_reported_as_unbalanced(ledger: Ledger) -> None:
    entries = list(ledger[V])
    entries[1] = EDITS["amount"](entries[1])
    assert codes(verify(tampered(ledger, entries))) == [(2, "unbalanced"), (2, "hash")]


def test_deleting_the_first_entry_is_caught(ledger: Ledger) -> None:
    assert codes(verify(tampered(ledger, ledger[V][1:]))) == [(2, "first_seq"), (2, "first_prev_hash")]


@pytest.mark.parametrize("index", [3, -2])
def test_deleting_an_entry_in_the_middle_or_the_last_but_one_is_caught(ledger: Ledger, index: int) -> None:
    entries = list(ledger[V])
    gone = entries.pop(index)
    assert codes(verify(tampered(ledger, entries))) == [(gone.seq + 1, "seq_gap"), (gone.seq + 1, "prev_hash")]


def test_swapping_two_entries_is_caught(ledger: Ledger) -> None:
    entries = list(ledger[V])
    entries[2], entries[3] = entries[3], entries[2]
    assert codes(verify(tampered(ledger, entries))) == [
        (4, "seq_gap"), (4, "prev_hash"), (3, "seq_gap"), (3, "prev_hash"), (5, "seq_gap"), (5, "prev_hash")]


def test_swapping_two_entries_contents_but_not_their_numbers_is_caught(ledger: Ledger) -> None:
    entries = list(ledger[V])
    a, b = entries[2], entries[3]
    entries[2] = dataclasses.replace(b, seq=a.seq, prev_hash=a.prev_hash, hash=a.hash)
    entries[3] = dataclasses.replace(a, seq=b.seq, prev_hash=b.prev_hash, hash=b.hash)
    assert codes(verify(tampered(ledger, entries))) == [(3, "hash"), (4, "hash")]


def test_deleting_the_last_entry_is_caught_only_against_a_recorded_head(ledger: Ledger) -> None:
    heads = {V: ChainHead(ledger[V][-1].seq, ledger[V][-1].hash)}
    shortened = tampered(ledger, ledger[V][:-1])
    assert verify(shortened) == []
    assert codes(verify(shortened, heads=heads)) == [(len(ledger[V]) - 1, "head")]
    assert codes(verify(tampered(ledger, []), heads=heads)) == [(None, "head")]


def test_a_deleted_head_is_caught_when_heads_are_read_from_the_books(ledger: Ledger) -> None:
    """Every posting records its village's head: entries without one mean the head row was
    deleted (after which deleting the last entries would go unnoticed)."""
    shortened = tampered(ledger, ledger[V][:-1])
    others = {v: ChainHead(es[-1].seq, es[-1].hash) for v, es in ledger.items() if v != V and es}
    assert verify(shortened, heads=others) == []  # heads of some villages only (as a caller may pass)
    errors = verify(shortened, heads=others, every_head=True)
    assert codes(errors) == [(len(ledger[V]) - 1, "head")]
    assert errors[0].msg.text("en") == (f"village {V} has {len(ledger[V]) - 1} entries (the last #{len(ledger[V]) - 1}) "
                                        "but no recorded chain head: the head was deleted, so entries removed "
                                        "from the end would go unnoticed")
    assert "没有记录的链头" in errors[0].msg.text("zh")
    assert verify(shortened) == []  # no heads given (a pack's extract, a list of entries): nothing to compare


def test_an_edit_with_every_later_hash_recomputed_is_caught_only_against_a_recorded_head(ledger: Ledger) -> None:
    heads = {V: ChainHead(ledger[V][-1].seq, ledger[V][-1].hash)}
    rewritten = chain([e.draft for e in [ledger[V][0], EDITS["narration"](ledger[V][1]), *ledger[V][2:]]], None)
    assert verify(tampered(ledger, rewritten)) == []
    assert codes(verify(tampered(ledger, rewritten), heads=heads)) == [(len(ledger[V]), "head")]


def test_an_entry_of_another_village_in_a_chain_is_caught(ledger: Ledger) -> None:
    entries = list(ledger[V])
    entries[1] = dataclasses.replace(entries[1], village_id="V0002")
    assert codes(verify(tampered(ledger, entries))) == [(2, "hash"), (2, "village_mismatch")]


def test_money_that_is_not_integer_fen_is_reported(ledger: Ledger) -> None:
    entries = list(ledger[V])
    entries[0] = with_postings(entries[0], lambda p: p.with_columns(pl.col("amount_fen").cast(pl.Float64)))
    entries[1] = with_postings(entries[1], lambda p: p.with_columns(
        pl.when(pl.int_range(pl.len()) == 0).then(None).otherwise(pl.col("amount_fen")).alias("amount_fen")))
    errors = verify(tampered(ledger, entries))
    assert (1, "amount_type") in codes(errors)
    assert (2, "amount_null") in codes(errors)


def test_an_empty_entry_is_reported(ledger: Ledger) -> None:
    e = ledger[V][0]
    empty = dataclasses.replace(e, postings=e.postings.clear())
    empty = dataclasses.replace(empty, hash=entry_hash(empty.prev_hash, empty))
    assert codes(verify(tampered(ledger, [empty]))) == [(1, "empty")]


def test_messages_name_the_village_the_entry_and_what_was_expected(ledger: Ledger) -> None:
    entries = list(ledger[V])
    del entries[3]
    seq_gap, prev_hash = verify(tampered(ledger, entries))
    assert seq_gap.text("en") == ("village V0001: after entry #3 expected entry #4, found #5 "
                                  "(a deleted or reordered entry?)")
    assert seq_gap.text("zh") == "村 V0001：第 3 号分录之后应为第 4 号，实际为第 5 号（分录被删除或顺序被调换？）"
    en = prev_hash.text("en")
    assert en.startswith("village V0001, entry #5: prev_hash is ")
    assert f"the entry before it (#3) has hash {ledger[V][2].hash[:12]}" in en
    assert prev_hash.text("zh").startswith("村 V0001 第 5 号分录")

    edited = list(ledger[V])
    edited[0] = EDITS["amount"](edited[0])
    unbalanced = verify(tampered(ledger, edited))[0]
    assert unbalanced.text("en") == "village V0001, entry #1: the postings should sum to 0, they sum to 0.01 yuan"
    assert unbalanced.text("zh") == "村 V0001 第 1 号分录借贷不平：各笔金额之和应为 0，实际为 0.01 元"


# --------------------------------------------------------------------------- table rows, in detail

def test_entry_rows_are_one_row_per_entry_with_the_stored_columns_and_types(ledger: Ledger) -> None:
    entries = ledger[V][:2]
    rows = entry_rows(entries)
    assert rows.schema == pl.Schema({"village_id": pl.String, "seq": pl.Int64, "on": pl.Date, "kind": pl.String,
                                     "run_id": pl.String, "ref": pl.String, "narration": pl.String,
                                     "prev_hash": pl.String, "hash": pl.String})
    assert rows.to_dicts() == [e.row() for e in entries]
    assert rows["seq"].to_list() == [1, 2] and rows["prev_hash"][0] == ZERO_HASH
    assert entry_rows([]).schema == rows.schema and entry_rows([]).height == 0


def test_posting_rows_carry_each_entrys_village_and_seq_in_entry_order(ledger: Ledger) -> None:
    entries = [ledger[V][1], ledger[V][0]]
    rows = posting_rows(entries)
    assert rows.columns == ["village_id", "seq", "account", "amount_fen"]
    assert rows.schema == pl.Schema({"village_id": pl.String, "seq": pl.Int64, "account": pl.String, "amount_fen": pl.Int64})
    expected = [(V, e.seq, a, f) for e in entries for a, f in e.postings.select("account", "amount_fen").iter_rows()]
    assert rows.rows() == expected
    assert rows.n_chunks() == 1


def test_no_entries_make_an_empty_posting_table_of_the_same_columns_and_types() -> None:
    empty = posting_rows([])
    assert empty.height == 0
    assert empty.schema == pl.Schema({"village_id": pl.String, "seq": pl.Int64, "account": pl.String, "amount_fen": pl.Int64})
    assert entries_from_rows(entry_rows([]), empty) == {}


def test_rows_are_read_back_by_village_in_row_order_with_their_postings(ledger: Ledger) -> None:
    other = next(v for v in ledger if v != V)
    everything = [*ledger[other], *ledger[V]]
    back = entries_from_rows(entry_rows(everything), posting_rows(reversed(everything)))
    assert list(back) == [other, V]
    assert back[V] == ledger[V] and back[other] == ledger[other]
    for entry in back[V]:
        assert entry.postings.columns == ["account", "amount_fen"]


def test_an_entry_row_without_posting_rows_reads_back_with_no_postings(ledger: Ledger) -> None:
    entries = ledger[V][:2]
    postings = posting_rows(entries).filter(pl.col("seq") != 2)
    first, second = entries_from_rows(entry_rows(entries), postings)[V]
    assert first == entries[0]
    assert second.seq == 2 and second.hash == entries[1].hash and second.prev_hash == entries[1].prev_hash
    assert second.postings.height == 0 and second.postings.columns == ["account", "amount_fen"]
    assert second.postings.schema == pl.Schema({"account": pl.String, "amount_fen": pl.Int64})
    assert (second.village_id, second.on, second.kind, second.run_id, second.ref, second.narration) == (
        V, entries[1].on, entries[1].kind, entries[1].run_id, entries[1].ref, entries[1].narration)
    assert [e.code for e in verify({V: [first, second]})]  # verify sees the missing postings


def test_postings_read_with_another_type_keep_it(ledger: Ledger) -> None:
    entries = ledger[V][:1]
    postings = posting_rows(entries).with_columns(pl.col("amount_fen").cast(pl.Float64))
    [entry] = entries_from_rows(entry_rows(entries), postings)[V]
    assert entry.postings.schema["amount_fen"] == pl.Float64


# --------------------------------------------------------------------------- records (mutation survivors)

def test_a_draft_error_is_english_whatever_the_language_of_the_session(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIVIDENDS_LANG", "zh")
    with pytest.raises(DraftError) as refused:
        chain([draft("V1"), draft("V2")], None)
    error = refused.value
    assert str(error) == error.msg.text("en") != error.text()
    assert error.text() == error.msg.text("zh")
    assert error.text("en") == str(error)


def test_drafts_are_equal_only_when_fields_and_postings_both_are() -> None:
    a = draft()
    assert a == draft() and hash(a) == hash(draft())
    assert a != draft(amount=101)  # same fields, other postings
    other = dataclasses.replace(a, narration="another")
    assert other.postings.equals(a.postings) and other != a  # same postings, another field
    assert a != "return:R1" and a.__eq__(object()) is NotImplemented


def test_drafts_and_entries_hash_by_their_fields() -> None:
    a, b = draft(), draft(ref="return:R2")
    assert hash(a) == hash(draft()) != hash(b)  # different fields spread over a set's buckets
    assert len({a, draft(), b}) == 2
    first, second = chain([a, b], None)
    assert hash(first) == hash(dataclasses.replace(first)) != hash(second)


def test_the_head_of_no_entries_is_none_and_of_a_chain_its_last_entry() -> None:
    assert head_of([]) is None
    entries = chain([draft(), draft(ref="return:R2")], None)
    assert head_of(entries) == ChainHead(2, entries[-1].hash)


def test_a_mixed_village_refusal_names_every_village_in_order() -> None:
    with pytest.raises(DraftError) as refused:
        chain([draft("V3"), draft("V1"), draft("V3")], None)
    assert (refused.value.msg.key, refused.value.msg.params) == ("ledger.draft.mixed_villages", {"found": ["V1", "V3"]})
    last = chain([draft("V2")], None)[-1]
    with pytest.raises(DraftError) as refused:
        chain([draft("V1")], last)
    assert refused.value.msg.params == {"found": ["V1", "V2"]}


def test_an_invalid_draft_refusal_gives_the_first_five_problems_in_order() -> None:
    drafts = [dataclasses.replace(draft(ref=f"return:R{i}"), postings=postings_of([("Assets:Bank:V0001", i)]))
              for i in range(1, 8)]
    with pytest.raises(DraftError) as refused:
        chain(drafts, None)
    msg = refused.value.msg
    assert msg.key == "ledger.draft.invalid"
    details = msg.params["details"]
    assert len(details) == 5
    assert [(d.key, d.params["village"], d.params["seq"], d.params["found"]) for d in details] == [
        ("ledger.unbalanced", V, i, f"0.0{i}") for i in range(1, 6)]


def test_chaining_after_a_last_entry_continues_its_seq_and_hash() -> None:
    first = chain([draft(), draft(ref="return:R2")], None)
    more = chain([draft(ref="return:R3")], first[-1])
    assert [(e.seq, e.prev_hash) for e in more] == [(3, first[-1].hash)]
    assert more[0].hash == entry_hash(first[-1].hash, more[0])
    assert (first[0].seq, first[0].prev_hash, first[1].prev_hash) == (1, ZERO_HASH, first[0].hash)


def test_non_ascii_fields_are_hashed_as_json_escapes_and_postings_sorted_by_account_then_amount() -> None:
    postings = pl.DataFrame({"account": ["Income:AssetReturn:V0001", "Assets:Bank:V0001", "Assets:Bank:V0001"],
                             "amount_fen": [-300, 200, 100]}, schema={"account": pl.String, "amount_fen": pl.Int64})
    entry = dataclasses.replace(draft(), narration="收益", postings=postings)  # rows not in canonical order
    assert hashed_bytes("ab" * 32, 7, entry) == (
        b'["dividends.ledger/1","' + b"ab" * 32 + b'","V0001",7,"2025-01-20","return","R1",'
        b'"return:R1","\\u6536\\u76ca"]\n'
        b"account,amount_fen\nAssets:Bank:V0001,100\nAssets:Bank:V0001,200\nIncome:AssetReturn:V0001,-300\n"
    )


# --------------------------------------------------------------------------- postings and records

def test_canonical_postings_sort_cast_and_refuse_what_is_not_integer_fen() -> None:
    from dividends.ledger.entries import POSTINGS_SCHEMA, canonical_postings

    frame = pl.DataFrame({"amount_fen": [5, -2, -3], "account": ["B", "A", "A"], "extra": [1, 2, 3]},
                         schema={"amount_fen": pl.Int32, "account": pl.String, "extra": pl.Int64})
    out = canonical_postings(frame)
    assert out.schema == POSTINGS_SCHEMA and out.rows() == [("A", -3), ("A", -2), ("B", 5)]
    big = pl.DataFrame({"account": ["A"], "amount_fen": [2**63]}, schema={"account": pl.String, "amount_fen": pl.UInt64})
    with pytest.raises(pl.exceptions.InvalidOperationError):
        canonical_postings(big)  # an amount no Int64 holds is refused, not wrapped or nulled
    with pytest.raises(TypeError, match="amount_fen must be integer fen, found Float64"):
        canonical_postings(pl.DataFrame({"account": ["A"], "amount_fen": [1.0]}))
    with pytest.raises(TypeError, match=r"need the columns account and amount_fen, found \['account'\]"):
        canonical_postings(pl.DataFrame({"account": ["A"]}))
    with pytest.raises(TypeError, match="need the columns"):
        canonical_postings(pl.DataFrame({"amount_fen": [1]}))


def test_a_draft_takes_a_date_only_and_keeps_its_own_copy_of_the_postings() -> None:
    from datetime import datetime

    with pytest.raises(TypeError, match="on must be a datetime.date, found datetime"):
        dataclasses.replace(draft(), on=datetime(2025, 1, 20, 12))
    with pytest.raises(TypeError, match="found str"):
        dataclasses.replace(draft(), on="2025-01-20")
    postings = postings_of([("Assets:Bank:V0001", 100), ("Income:AssetReturn:V0001", -100)])
    d = EntryDraft(V, date(2025, 1, 20), "return", "R1", "return:R1", "", postings)
    postings[0, "amount_fen"] = 999
    assert d.postings["amount_fen"].to_list() == [100, -100]


def test_total_debits_sum_only_the_positive_postings_exactly() -> None:
    big = 2**62
    d = dataclasses.replace(draft(), postings=postings_of([("Assets:A", big), ("Assets:B", big), ("Income:C", -big),
                                                          ("Income:C", -big), ("Assets:D", 0)]))
    assert d.total_debits() == 2**63  # over Int64: summed as Int128
    assert dataclasses.replace(draft(), postings=postings_of([])).total_debits() == 0


def test_a_posted_entrys_row_and_draft() -> None:
    entry = chain([draft(ref="return:R9")], None)[0]
    assert entry.row() == {"village_id": V, "on": date(2025, 1, 20), "kind": "return", "run_id": "R1",
                           "ref": "return:R9", "narration": "asset return", "seq": 1, "prev_hash": ZERO_HASH,
                           "hash": entry.hash}
    assert entry.draft == draft(ref="return:R9") and type(entry.draft) is EntryDraft
    assert entry.draft.row() == {k: v for k, v in entry.row().items() if k not in ("seq", "prev_hash", "hash")}


# --------------------------------------------------------------------------- each check alone, its message in full

POSTINGS = {"account": pl.String, "amount_fen": pl.Int64}


def entry(seq: int = 1, prev: str = ZERO_HASH, postings: pl.DataFrame | None = None, village: str = V) -> Entry:
    """A posted entry whose hash is that of its content (postings that cannot be hashed: the
    hash of the sound postings), so only what a test breaks is wrong."""
    d = draft(village)
    posted = Entry(d.village_id, d.on, d.kind, d.run_id, d.ref, d.narration, d.postings, seq=seq, prev_hash=prev,
                   hash="")
    posted = dataclasses.replace(posted, hash=entry_hash(prev, posted))
    if postings is None:
        return posted
    changed = dataclasses.replace(posted, postings=postings)
    try:
        return dataclasses.replace(changed, hash=entry_hash(prev, changed))
    except (pl.exceptions.PolarsError, TypeError):
        return changed


def english(errors: list[LedgerError]) -> list[tuple[str, int | None, str, str]]:
    return [(e.village_id, e.seq, e.code, e.text("en")) for e in errors]


def test_a_missing_or_untyped_posting_column_is_reported_by_name_with_the_type_found() -> None:
    no_account = entry(postings=pl.DataFrame({"amount_fen": [5, -5]}, schema={"amount_fen": pl.Int64}))
    floats = entry(seq=2, postings=pl.DataFrame({"account": ["Assets:Bank:V0001", "Income:AssetReturn:V0001"],
                                                  "amount_fen": [5.0, -5.0]}))
    assert english(amounts_are_integers(V, [no_account, floats])) == [
        (V, 1, "amount_type", "village V0001, entry #1: column account should be String, found -"),
        (V, 2, "amount_type", "village V0001, entry #2: column amount_fen should be Int64, found Float64"),
    ]
    assert amounts_are_integers(V, [entry()]) == []


def test_postings_without_an_amount_or_an_account_are_counted_per_column() -> None:
    frame = pl.DataFrame({"account": ["Assets:Bank:V0001", None, None], "amount_fen": [None, None, 5]},
                         schema={"account": pl.String, "amount_fen": pl.Int64})
    assert english(amounts_are_integers(V, [entry(seq=3, postings=frame)])) == [
        (V, 3, "amount_null", "village V0001, entry #3: 2 posting(s) have no account"),
        (V, 3, "amount_null", "village V0001, entry #3: 2 posting(s) have no amount_fen"),
    ]


def test_an_empty_entry_is_reported_with_its_village_and_number() -> None:
    empty = entry(seq=4, postings=postings_of([]))
    assert english(no_empty_entries("V0009", [entry(), empty])) == [
        ("V0009", 4, "empty", "village V0009, entry #4: expected at least two postings, found none")]


def test_balance_is_checked_only_on_integer_postings_and_summed_beyond_int64() -> None:
    big = 2**62
    wraps = entry(seq=2, postings=pl.DataFrame({"account": ["Assets:A", "Assets:B", "Income:C"],
                                                "amount_fen": [big, big, -big]}, schema=POSTINGS))
    floats = entry(seq=3, postings=pl.DataFrame({"account": ["Assets:A"], "amount_fen": [1.5]}))
    no_account = entry(seq=4, postings=pl.DataFrame({"amount_fen": [7]}, schema={"amount_fen": pl.Int64}))
    text = balanced(V, [entry(), wraps, floats, no_account])
    assert english(text) == [(V, 2, "unbalanced", "village V0001, entry #2: the postings should sum to 0, "
                              f"they sum to {big // 100:,}.{big % 100:02d} yuan")]
    assert balanced(V, [entry(postings=postings_of([]))]) == []


def test_bad_account_names_are_shown_three_at_most_and_untyped_accounts_are_left_to_the_type_check() -> None:
    names = ["Assets:bank", "Cash:V1", "Income:x", "Assets:Bank:V_1", "Assets:Bank:V0001"]
    five = entry(seq=2, postings=pl.DataFrame({"account": names, "amount_fen": [1, 1, 1, 1, -4]}, schema=POSTINGS))
    three = entry(seq=3, postings=pl.DataFrame({"account": names[:3] + [None], "amount_fen": [1, 1, -2, 0]},
                                                schema=POSTINGS))
    numbers = entry(seq=4, postings=pl.DataFrame({"account": [1, 2], "amount_fen": [1, -1]}))
    assert english(account_names(V, [entry(), five, three, numbers])) == [
        (V, 2, "account_name", "village V0001, entry #2: account name(s) Beancount would reject: "
                               "'Assets:Bank:V_1', 'Assets:bank', 'Cash:V1', …"),
        (V, 3, "account_name", "village V0001, entry #3: account name(s) Beancount would reject: "
                               "'Assets:bank', 'Cash:V1', 'Income:x'"),
    ]
    no_column = entry(seq=5, postings=pl.DataFrame({"amount_fen": [1]}, schema={"amount_fen": pl.Int64}))
    assert account_names(V, [no_column]) == []


def test_a_wrong_hash_shows_twelve_digits_of_the_stored_and_the_computed_hash() -> None:
    good = entry()
    short = dataclasses.replace(good, hash="abc")
    long = dataclasses.replace(good, hash="f" * 64)
    assert english(hashes(V, [good, short, long])) == [
        (V, 1, "hash", f"village V0001, entry #1: the stored hash is abc, its content hashes to {good.hash[:12]} "
                       "(the entry or one of its postings was edited?)"),
        (V, 1, "hash", f"village V0001, entry #1: the stored hash is ffffffffffff, its content hashes to "
                       f"{good.hash[:12]} (the entry or one of its postings was edited?)"),
    ]
    twelve = dataclasses.replace(good, hash="a" * 12)
    assert f"stored hash is {'a' * 12}," in hashes(V, [twelve])[0].text("en")
    floats = dataclasses.replace(good, postings=good.postings.with_columns(pl.col("amount_fen").cast(pl.Float64)))
    assert hashes(V, [floats]) == []  # only amounts_are_integers speaks about it


def test_every_broken_link_of_a_chain_is_reported_in_words() -> None:
    first = entry(seq=2, prev="1" * 64)
    other = entry(seq=3, prev=first.hash, village="V0002")
    gap = entry(seq=5, prev="2" * 64)
    assert english(chain_links(V, [first, other, gap])) == [
        (V, 2, "first_seq", "village V0001: the chain should start at entry #1, it starts at #2 "
                            "(were the entries before it deleted?)"),
        (V, 2, "first_prev_hash", "village V0001, entry #2: the first entry's prev_hash should be 64 zeros, "
                                  "found 111111111111"),
        (V, 3, "village_mismatch", "village V0001's chain holds entry #3 of village V0002"),
        (V, 5, "seq_gap", "village V0001: after entry #3 expected entry #4, found #5 (a deleted or reordered entry?)"),
        (V, 5, "prev_hash", f"village V0001, entry #5: prev_hash is 222222222222, but the entry before it (#3) "
                            f"has hash {other.hash[:12]} (an entry deleted, reordered or edited?)"),
    ]
    assert chain_links(V, [entry(), entry(seq=2, prev=entry().hash)]) == []


def test_a_chain_that_does_not_end_at_its_recorded_head_is_reported_in_words() -> None:
    one, two = entry(), entry(seq=2, prev=entry().hash)
    assert head(V, [one, two], ChainHead(2, two.hash)) == []
    assert english(head(V, [one], ChainHead(2, two.hash))) == [
        (V, 1, "head", f"village V0001: the chain ends at entry #1 (hash {one.hash[:12]}), but the recorded head "
                       f"is entry #2 (hash {two.hash[:12]}): entries at the end deleted, or the chain rewritten?")]
    assert english(head(V, [one, two], ChainHead(2, one.hash)))[0][:3] == (V, 2, "head")
    assert english(head(V, [one, two], ChainHead(3, two.hash)))[0][:3] == (V, 2, "head")
    assert english(head(V, [], ChainHead(7, two.hash))) == [
        (V, None, "head", "village V0001 has a recorded head (entry #7) but no entries")]


def test_verify_checks_villages_in_order_including_those_only_a_head_names() -> None:
    one = entry()
    broken = dataclasses.replace(entry(village="V0002"), hash="0" * 64)
    errors = verify({"V0002": [broken], V: [dataclasses.replace(one, hash="1" * 64)]},
                    heads={"V0003": ChainHead(1, one.hash), V: ChainHead(1, "1" * 64)})
    assert [(e.village_id, e.seq, e.code) for e in errors] == [
        (V, 1, "hash"), ("V0002", 1, "hash"), ("V0003", None, "head")]


def test_entries_are_grouped_by_village_keeping_their_order() -> None:
    a1, b1, a2 = entry(), entry(village="V0002"), entry(seq=2, prev=entry().hash)
    grouped = entries_by_village([a1, b1, a2])
    assert list(grouped) == [V, "V0002"] and grouped[V] == [a1, a2] and grouped["V0002"] == [b1]


def test_a_ledger_error_speaks_the_language_asked_for() -> None:
    (error,) = no_empty_entries(V, [entry(postings=postings_of([]))])
    assert error.text("zh") != error.text("en") and "V0001" in error.text("zh")
