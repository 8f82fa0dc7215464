"""Drafting a run's entries: approval (return + accrual), settlements, reversals."""
from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pytest

from dividends.ledger import (
    POSTINGS_SCHEMA,
    DraftError,
    EntryDraft,
    chain,
    component,
    draft_approval,
    draft_reversal,
    draft_settlement,
)
from support.ledger_example import lines, paid

ON = date(2025, 1, 20)
V = "V0001"
LINES = lines([
    ("household", "V0001-00002", 30_000), ("household", "V0001-00001", 60_000), ("household", "V0001-00003", 0),
    ("account", "collective", 10_000),
])


def rows(draft: EntryDraft) -> list[tuple[str, int]]:
    return draft.postings.rows()


def total(draft: EntryDraft) -> int:
    return sum(amount for _, amount in rows(draft))


def test_approval_posts_the_return_then_the_accrual() -> None:
    ret, accrual = draft_approval(V, "R1", ON, 100_000, LINES, lang="en")
    assert (ret.kind, ret.ref, ret.run_id, ret.village_id, ret.on) == ("return", "return:R1", "R1", V, ON)
    assert rows(ret) == [("Assets:Bank:V0001", 100_000), ("Income:AssetReturn:V0001", -100_000)]
    assert (accrual.kind, accrual.ref) == ("accrual", "accrual:R1")
    assert rows(accrual) == [
        (f"Equity:Collective:V0001:{component('collective')}", -10_000),
        ("Expenses:DistributablePool:V0001", 100_000),
        ("Liabilities:Payable:V0001:V0001-00001", -60_000),
        ("Liabilities:Payable:V0001:V0001-00002", -30_000),
    ]
    assert ret.narration == "asset return of run R1: 1,000.00 yuan received"
    assert accrual.narration == ("run R1 approved: 1,000.00 yuan distributable, payable to 2 household(s), "
                                 "1 collective/fund account(s)")


def test_drafts_balance_and_postings_are_int64_fen_in_canonical_order() -> None:
    for draft in draft_approval(V, "R1", ON, 100_000, LINES):
        assert total(draft) == 0
        assert dict(draft.postings.schema) == POSTINGS_SCHEMA
        assert draft.postings.equals(draft.postings.sort("account", "amount_fen"))


def test_the_order_of_the_lines_does_not_change_the_drafts() -> None:
    a = draft_approval(V, "R1", ON, 100_000, LINES)
    b = draft_approval(V, "R1", ON, 100_000, LINES.reverse())
    assert a == b


def test_narrations_default_to_chinese_whatever_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIVIDENDS_LANG", "en")
    ret, _ = draft_approval(V, "R1", ON, 100_000, LINES)
    assert ret.narration == "运行 R1 的资产收益 1,000.00 元入账"


def test_a_zero_pool_posts_nothing() -> None:
    assert draft_approval(V, "R1", ON, 0, lines([("household", "V0001-00001", 0)])) == []
    assert draft_approval(V, "R1", ON, 0, lines([])) == []


def test_a_village_id_column_of_the_same_village_is_accepted() -> None:
    with_village = LINES.with_columns(village_id=pl.lit(V))
    assert draft_approval(V, "R1", ON, 100_000, with_village) == draft_approval(V, "R1", ON, 100_000, LINES)


@pytest.mark.parametrize("frame,pool,code_words", [
    (LINES, 100_001, ["sum to 1,000.00", "1,000.01"]),
    (lines([("household", "H1", -5), ("household", "H2", 5)]), 0, ["negative", "H1: -0.05"]),
    (lines([("household", "H1", 5), ("household", "H1", 5)]), 10, ["more than once", "household:H1"]),
    (lines([("person", "P1", 5)]), 5, ["recipient_kind", "person"]),
    (pl.DataFrame({"recipient_kind": ["household"], "recipient_id": [None], "amount_fen": [5]},
                  schema={"recipient_kind": pl.String, "recipient_id": pl.String, "amount_fen": pl.Int64}), 5,
     ["1 line(s)"]),
    (pl.DataFrame({"recipient_kind": ["household"], "recipient_id": ["H1"], "amount_fen": [5.0]}), 5,
     ["integer fen", "Float64"]),
    (pl.DataFrame({"recipient_id": ["H1"], "amount_fen": [5]}), 5, ["recipient_kind"]),
    (LINES.with_columns(village_id=pl.lit("V0002")), 100_000, ["one village", "V0002"]),
    (LINES.with_columns(village_id=pl.lit(None, pl.String)), 100_000, ["one village", "<null>"]),
])
def test_approval_refuses_lines_that_would_give_a_wrong_entry(frame: pl.DataFrame, pool: int,
                                                             code_words: list[str]) -> None:
    with pytest.raises(DraftError) as caught:
        draft_approval(V, "R1", ON, pool, frame)
    for word in code_words:
        assert word in caught.value.text("en")
    assert caught.value.text("zh")  # the Chinese message renders too


def test_an_id_that_looks_like_another_ids_component_stays_a_separate_account() -> None:
    look_alike = lines([("account", "collective", 5), ("account", component("collective"), 5)])
    _, accrual = draft_approval(V, "R1", ON, 10, look_alike)
    assert accrual.postings.height == 3


def test_approval_refuses_a_datetime_a_float_pool_and_a_negative_pool() -> None:
    with pytest.raises(TypeError):
        draft_approval(V, "R1", datetime(2025, 1, 20, 12), 100_000, LINES)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        draft_approval(V, "R1", ON, 1000.0, LINES)  # type: ignore[arg-type]
    with pytest.raises(DraftError, match="non-negative"):
        draft_approval(V, "R1", ON, -1, LINES)


def test_a_settlement_debits_each_payable_and_credits_the_bank_with_the_total() -> None:
    draft = draft_settlement(V, "R1", date(2025, 1, 25),
                             paid([("V0001-00002", 30_000), ("V0001-00001", 60_000), ("V0001-00009", 0)]),
                             "settlement:B1", lang="en")
    assert (draft.kind, draft.ref, draft.run_id) == ("settlement", "settlement:B1", "R1")
    assert rows(draft) == [
        ("Assets:Bank:V0001", -90_000),
        ("Liabilities:Payable:V0001:V0001-00001", 60_000),
        ("Liabilities:Payable:V0001:V0001-00002", 30_000),
    ]
    assert draft.narration == "run R1, bank result settlement:B1: 2 household(s) paid, 900.00 yuan"


def test_a_settlement_that_pays_nothing_or_pays_a_household_twice_is_refused() -> None:
    with pytest.raises(DraftError, match="nothing to post"):
        draft_settlement(V, "R1", ON, paid([("H1", 0)]), "settlement:B1")
    with pytest.raises(DraftError, match="more than once"):
        draft_settlement(V, "R1", ON, paid([("H1", 5), ("H1", 5)]), "settlement:B1")
    with pytest.raises(DraftError, match="negative"):
        draft_settlement(V, "R1", ON, paid([("H1", -5)]), "settlement:B1")


def test_a_reversal_mirrors_every_entry_in_order_and_names_the_original() -> None:
    posted = chain(draft_approval(V, "R1", ON, 100_000, LINES), None)
    mirrors = draft_reversal(posted, "R1-REV", date(2025, 2, 1), lang="en")
    assert [m.ref for m in mirrors] == ["reversal:return:R1", "reversal:accrual:R1"]
    for original, mirror in zip(posted, mirrors, strict=True):
        assert (mirror.kind, mirror.run_id, mirror.village_id, mirror.on) == ("reversal", "R1-REV", V, date(2025, 2, 1))
        negated = original.postings.select("account", -pl.col("amount_fen")).sort("account", "amount_fen")
        assert mirror.postings.equals(negated)
        assert mirror.narration.startswith(f"reversal of entry #{original.seq} ({original.hash[:12]}..., {original.ref}): ")
        assert mirror.narration.endswith(original.narration)


def test_a_draft_keeps_its_own_copy_of_the_postings() -> None:
    frame = pl.DataFrame({"account": ["Assets:Bank:V1", "Income:AssetReturn:V1"], "amount_fen": [5, -5]})
    draft = EntryDraft("V1", ON, "return", "R1", "return:R1", "", frame)
    frame[0, "amount_fen"] = 6
    assert draft.postings["amount_fen"].to_list() == [5, -5]


def test_a_million_households_make_one_frame_not_a_million_objects() -> None:
    n = 1_000_000
    big = pl.select(pl.int_range(n).alias("i")).select(
        recipient_kind=pl.lit("household"), recipient_id=pl.format("V0001-{}", pl.col("i").cast(pl.String).str.zfill(7)),
        amount_fen=pl.lit(3, pl.Int64))
    _, accrual = draft_approval(V, "R1", ON, 3 * n, big)
    assert accrual.postings.height == n + 1
    assert total(accrual) == 0
