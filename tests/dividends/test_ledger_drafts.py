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


# --------------------------------------------------------------------------- brought forward, refusals in words

BF_LINES = lines([("household", "V0001-00001", 1_000), ("account", "collective", 500)])


def test_last_periods_carry_over_moves_back_into_the_pool_in_its_own_entry() -> None:
    ret, bf, accrual = draft_approval(V, "R2", ON, 1_000, BF_LINES, lang="en",
                                      brought_forward={"welfare_fund": 200, "carry_over": 300, "unused": 0})
    assert (bf.kind, bf.ref, bf.run_id, bf.village_id, bf.on) == ("brought_forward", "brought_forward:R2", "R2", V, ON)
    assert rows(bf) == sorted([(f"Equity:Collective:V0001:{component('carry_over')}", 300),
                               (f"Equity:Collective:V0001:{component('welfare_fund')}", 200),
                               ("Expenses:DistributablePool:V0001", -500)])
    assert bf.narration == ("run R2: 5.00 yuan brought forward from last period (carry_over, welfare_fund) "
                            "joins the distributable amount")
    assert rows(ret) == [("Assets:Bank:V0001", 1_000), ("Income:AssetReturn:V0001", -1_000)]
    assert ("Expenses:DistributablePool:V0001", 1_500) in rows(accrual)
    assert accrual.narration == ("run R2 approved: 15.00 yuan distributable, payable to 1 household(s), "
                                 "1 collective/fund account(s)")
    zh = draft_approval(V, "R2", ON, 1_000, BF_LINES, brought_forward={"welfare_fund": 200, "carry_over": 300})[1]
    assert "carry_over、welfare_fund" in zh.narration and "5.00" in zh.narration


def test_a_carry_over_alone_is_distributed_without_a_return_entry() -> None:
    drafts = draft_approval(V, "R2", ON, 0, BF_LINES, brought_forward={"carry_over": 1_500})
    assert [d.kind for d in drafts] == ["brought_forward", "accrual"]
    assert all(total(d) == 0 for d in drafts)


def test_lines_must_add_up_to_the_pool_plus_what_is_brought_forward() -> None:
    with pytest.raises(DraftError) as caught:
        draft_approval(V, "R2", ON, 1_500, BF_LINES, brought_forward={"carry_over": 300})
    assert caught.value.text("en") == ("village V0001, run R2: the lines sum to 15.00 yuan, expected the pool, "
                                       "18.00 yuan")


def test_a_carry_over_that_is_not_int_fen_or_negative_is_refused() -> None:
    with pytest.raises(TypeError, match="brought forward fen must be int, found float"):
        draft_approval(V, "R2", ON, 1_000, BF_LINES, brought_forward={"carry_over": 1.5})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="found bool"):
        draft_approval(V, "R2", ON, 1_000, BF_LINES, brought_forward={"carry_over": True})
    with pytest.raises(DraftError) as caught:
        draft_approval(V, "R2", ON, 1_000, BF_LINES, brought_forward={"welfare": 5, "carry_over": -1})
    assert caught.value.text("en") == ("village V0001, run R2: amounts should be non-negative fen, 1 are negative, "
                                       "e.g. carry_over: -0.01")


def test_a_pool_that_is_not_int_fen_or_negative_is_refused_in_words() -> None:
    with pytest.raises(TypeError, match="pool_fen must be int fen, found float"):
        draft_approval(V, "R1", ON, 1000.0, LINES)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="found bool"):
        draft_approval(V, "R1", ON, True, LINES)
    with pytest.raises(DraftError) as caught:
        draft_approval(V, "R1", ON, -1, LINES)
    assert caught.value.text("en") == ("village V0001, run R1: amounts should be non-negative fen, 1 are negative, "
                                       "e.g. pool: -0.01")


def refusal(pool: int, frame: pl.DataFrame, **kw: object) -> str:
    with pytest.raises(DraftError) as caught:
        draft_approval(V, "R1", ON, pool, frame, **kw)  # type: ignore[arg-type]
    return caught.value.text("en")


def test_lines_refused_for_their_columns_or_amount_type_say_what_was_expected_and_found() -> None:
    assert refusal(5, pl.DataFrame({"recipient_id": ["H1"], "amount_fen": [5]})) == (
        "lines should have the columns recipient_kind, recipient_id, amount_fen, found recipient_id, amount_fen")
    assert refusal(5, pl.DataFrame({"recipient_kind": ["household"], "recipient_id": ["H1"], "amount_fen": [5.0]})) == (
        "lines: amount_fen should be integer fen, found Float64")
    unsigned = pl.DataFrame({"recipient_kind": ["household"], "recipient_id": ["H1"], "amount_fen": [5]},
                            schema={"recipient_kind": pl.String, "recipient_id": pl.String, "amount_fen": pl.UInt8})
    _, accrual = draft_approval(V, "R1", ON, 5, unsigned)
    assert accrual.postings.schema["amount_fen"] == pl.Int64 and total(accrual) == 0


def test_refused_lines_are_counted_and_the_first_negative_one_is_shown() -> None:
    nulls = pl.DataFrame({"recipient_kind": ["household", None, "household"], "recipient_id": ["H1", "H2", None],
                          "amount_fen": [5, 5, 5]},
                         schema={"recipient_kind": pl.String, "recipient_id": pl.String, "amount_fen": pl.Int64})
    assert refusal(15, nulls) == "village V0001, run R1: 2 line(s) have no recipient or no amount"
    negative = lines([("household", "H1", 10), ("household", "H2", -3), ("household", "H3", -2), ("account", "c", 0)])
    assert refusal(5, negative) == ("village V0001, run R1: amounts should be non-negative fen, 2 are negative, "
                                    "e.g. H2: -0.03")
    assert refusal(5, lines([("person", "P1", 1), ("alien", "A1", 1), ("household", "H1", 3)])) == (
        "village V0001, run R1: recipient_kind should be household or account, found alien, person")


def test_lines_of_other_villages_are_named_after_the_village_drafted_for() -> None:
    frame = pl.concat([LINES.with_columns(village_id=pl.lit(v, pl.String)) for v in ("V0003", V, None, "V0002")])
    assert refusal(400_000, frame) == "a chain holds the entries of one village, found V0001, <null>, V0002, V0003"


def test_a_double_payment_names_the_first_five_recipients_listed_twice_in_order() -> None:
    twice = lines([(kind, f"{kind[0].upper()}{i}", 1) for kind in ("household", "account") for i in (3, 1, 2)] * 2)
    assert refusal(12, twice) == ("village V0001, run R1: recipients listed more than once (a double payment?): "
                                  "account:A1, account:A2, account:A3, household:H1, household:H2")
    assert refusal(2, lines([("account", "c", 1), ("account", "c", 1)])).endswith("(a double payment?): account:c")


def test_the_accrual_counts_only_the_households_and_accounts_it_pays() -> None:
    frame = lines([("household", "H1", 3), ("household", "H2", 0), ("household", "H3", 2), ("account", "a", 0),
                   ("account", "b", 5)])
    _, accrual = draft_approval(V, "R1", ON, 10, frame, lang="en")
    assert accrual.narration == ("run R1 approved: 0.10 yuan distributable, payable to 2 household(s), "
                                 "1 collective/fund account(s)")
    assert accrual.postings.height == 4


def test_recoveries_that_do_not_agree_are_refused_naming_the_sums_and_each_culprit() -> None:
    run = lines([("household", "H1", 800), ("account", "collective", 700), ("account", "welfare", 100)])
    assert refusal(1_600, run, recovered={"H1": 200}, recovered_to={"collective": 100}) == (
        "village V0001, run R1: deductions do not agree: 2.00 yuan taken from households, 1.00 yuan to accounts")
    assert refusal(1_600, run, recovered={"H1": 800, "H2": 200}, recovered_to={"collective": 800, "welfare": 200}) == (
        "village V0001, run R1: deductions do not agree: 10.00 yuan taken from households, 10.00 yuan to accounts; "
        "collective: 8.00 > 7.00, welfare: 2.00 > 1.00")
    assert refusal(1_600, run, recovered={"H1": -5, "H2": 5}, recovered_to={"other": 0}) == (
        "village V0001, run R1: deductions do not agree: 0.00 yuan taken from households, 0.00 yuan to accounts; "
        "H1: -0.05")
    assert refusal(1_600, run, recovered={"H1": 5}, recovered_to={"nowhere": 5}).endswith("; nowhere: 0.05 > 0.00")


def test_a_recovery_credits_the_receivable_and_leaves_the_rest_of_the_account_line() -> None:
    run = lines([("household", "H1", 800), ("account", "collective", 700), ("account", "welfare", 100)])
    _, accrual = draft_approval(V, "R1", ON, 1_600, run, recovered={"H1": 200, "H2": 0},
                                recovered_to={"collective": 200, "welfare": 0})
    assert dict(accrual.postings.rows()) == {
        f"Assets:Receivable:V0001:{component('H1')}": -200,
        f"Equity:Collective:V0001:{component('collective')}": -500,
        f"Equity:Collective:V0001:{component('welfare')}": -100,
        "Expenses:DistributablePool:V0001": 1_600,
        f"Liabilities:Payable:V0001:{component('H1')}": -800,
    }
    _, whole = draft_approval(V, "R1", ON, 1_600, run, recovered={"H1": 700}, recovered_to={"collective": 700})
    assert f"Equity:Collective:V0001:{component('collective')}" not in dict(whole.postings.rows())


def test_debts_are_summed_per_account_and_counted_per_household() -> None:
    drafts = draft_approval(V, "R1", ON, 10, lines([("household", "H1", 10)]), lang="en",
                            debts=[("H1", "collective", 300), ("H1", "collective", 250), ("H2", None, 5)])
    debt = drafts[1]
    assert (debt.kind, debt.ref, debt.run_id, debt.on, debt.village_id) == ("debt", "debt:R1", "R1", ON, V)
    assert dict(debt.postings.rows()) == {
        f"Assets:Receivable:V0001:{component('H1')}": 550,
        f"Assets:Receivable:V0001:{component('H2')}": 5,
        f"Equity:Collective:V0001:{component('collective')}": -550,
        f"Liabilities:Payable:V0001:{component('H2')}": -5,
    }
    assert debt.narration == "run R1: debts of 2 household(s) recorded, 5.55 yuan receivable"
    assert "5.55" in draft_approval(V, "R1", ON, 0, lines([]), debts=[("H1", None, 555)])[0].narration


def test_a_debt_narration_is_in_the_language_asked_whatever_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIVIDENDS_LANG", "en")
    (debt,) = draft_approval(V, "R1", ON, 0, lines([]), debts=[("H1", None, 555)])
    assert debt.narration == "运行 R1 记录 1 户欠款共 5.55 元（应收款）"
    monkeypatch.setenv("DIVIDENDS_LANG", "zh")
    (debt,) = draft_approval(V, "R1", ON, 0, lines([]), lang="en", debts=[("H1", None, 555)])
    assert debt.narration == "run R1: debts of 1 household(s) recorded, 5.55 yuan receivable"


@pytest.mark.parametrize("fen", [0, -5, True, 2.5])
def test_a_debt_that_is_not_positive_int_fen_is_refused_naming_it(fen: object) -> None:
    assert refusal(10, lines([("household", "H1", 10)]), debts=[("H9", None, 1), ("H1", None, fen)]) == (
        f"village V0001, run R1: amounts should be non-negative fen, 1 are negative, e.g. H1: {fen}")


def test_settlement_refusals_name_the_bank_result_and_the_lines() -> None:
    with pytest.raises(DraftError) as caught:
        draft_settlement(V, "R1", ON, paid([("H1", 0), ("H2", 0)]), "settlement:B7")
    assert caught.value.text("en") == "village V0001, run R1: bank result settlement:B7 pays nothing; there is nothing to post"
    with pytest.raises(DraftError) as caught:
        draft_settlement(V, "R1", ON, pl.DataFrame({"household_id": ["H1"]}), "settlement:B7")
    assert caught.value.text("en") == "paid should have the columns household_id, amount_fen, found household_id"
    with pytest.raises(DraftError) as caught:
        draft_settlement(V, "R1", ON, paid([("H2", 5), ("H1", 5), ("H2", 5), ("H1", 1)]), "settlement:B7")
    assert caught.value.text("en").endswith("(a double payment?): H1, H2")
    with pytest.raises(DraftError, match="one village"):
        draft_settlement(V, "R1", ON, paid([("H1", 5)]).with_columns(village_id=pl.lit("V2")), "settlement:B7")


def test_a_settlement_narration_defaults_to_chinese() -> None:
    draft = draft_settlement(V, "R1", ON, paid([("H1", 5)]), "settlement:B1")
    assert draft.narration != draft_settlement(V, "R1", ON, paid([("H1", 5)]), "settlement:B1", lang="en").narration
    assert "settlement:B1" in draft.narration and "0.05" in draft.narration


def test_a_reversal_narration_defaults_to_chinese_and_names_twelve_hash_digits() -> None:
    posted = chain(draft_approval(V, "R1", ON, 100_000, LINES), None)
    (mirror, _) = draft_reversal(posted, "R1-REV", ON)
    assert mirror.narration.startswith(f"冲销第 1 号分录（{posted[0].hash[:12]}…，return:R1）")
    assert posted[0].hash[:13] not in mirror.narration
