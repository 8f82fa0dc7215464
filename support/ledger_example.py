"""A small, realistic ledger of two villages, for tests, demos and benchmarks.

Village ``V0001`` (ids that are valid Beancount components already):

1. run ``R2025-1`` approved on 2025-01-20 (return + accrual: four households, the collective,
   the welfare fund and the carry-over); the first bank result pays three households, the fourth
   transfer fails and a second bank result pays it on 2025-02-03;
2. run ``R2025-2`` approved on 2025-06-30 with a wrong list, reversed on 2025-07-02 by run
   ``R2025-2-REV`` before any payment; the corrected run ``R2025-3`` is approved and paid.

Village ``张家村`` (ids that need rewriting: Chinese, spaces, dots, lower case): run ``Z1``,
approved and paid in one bank result.
"""
from __future__ import annotations

from datetime import date

import polars as pl

from dividends.ledger.chain import chain
from dividends.ledger.drafts import draft_approval, draft_reversal, draft_settlement
from dividends.ledger.entries import Entry
from schemes.i18n import Lang


def lines(rows: list[tuple[str, str, int]]) -> pl.DataFrame:
    """Allocation lines ``[recipient_kind, recipient_id, amount_fen]``."""
    return pl.DataFrame(rows, schema={"recipient_kind": pl.String, "recipient_id": pl.String,
                                      "amount_fen": pl.Int64}, orient="row")


def paid(rows: list[tuple[str, int]]) -> pl.DataFrame:
    """A bank result's paid lines ``[household_id, amount_fen]``."""
    return pl.DataFrame(rows, schema={"household_id": pl.String, "amount_fen": pl.Int64}, orient="row")


def example_ledger(lang: Lang = "zh") -> dict[str, list[Entry]]:
    v = "V0001"
    run1 = lines([
        ("household", "V0001-00001", 250_000), ("household", "V0001-00002", 180_050),
        ("household", "V0001-00003", 120_000), ("household", "V0001-00004", 99_950),
        ("household", "V0001-00005", 0),
        ("account", "collective", 300_000), ("account", "welfare_fund", 50_000), ("account", "carry_over", 1),
    ])
    pool1 = int(run1["amount_fen"].sum())
    entries = chain(draft_approval(v, "R2025-1", date(2025, 1, 20), pool1, run1, lang=lang), None)
    entries += chain([draft_settlement(v, "R2025-1", date(2025, 1, 25), paid(
        [("V0001-00001", 250_000), ("V0001-00002", 180_050), ("V0001-00003", 120_000)]),
        "settlement:B2025-0125", lang=lang)], entries[-1])
    entries += chain([draft_settlement(v, "R2025-1", date(2025, 2, 3), paid([("V0001-00004", 99_950)]),
                                       "settlement:B2025-0203", lang=lang)], entries[-1])
    wrong = lines([("household", "V0001-00001", 90_000), ("household", "V0001-00002", 90_000),
                   ("account", "collective", 20_000)])
    posted = chain(draft_approval(v, "R2025-2", date(2025, 6, 30), 200_000, wrong, lang=lang), entries[-1])
    entries += posted
    entries += chain(draft_reversal(posted, "R2025-2-REV", date(2025, 7, 2), lang=lang), entries[-1])
    right = lines([("household", "V0001-00001", 60_000), ("household", "V0001-00002", 60_000),
                   ("household", "V0001-00003", 60_000), ("account", "collective", 20_000)])
    entries += chain(draft_approval(v, "R2025-3", date(2025, 7, 2), 200_000, right, lang=lang), entries[-1])
    entries += chain([draft_settlement(v, "R2025-3", date(2025, 7, 9), paid(
        [("V0001-00001", 60_000), ("V0001-00002", 60_000), ("V0001-00003", 60_000)]),
        "settlement:B2025-0709", lang=lang)], entries[-1])

    z = "张家村"
    zlines = lines([("household", "王 二", 33_333), ("household", "h.001", 33_333), ("household", "李\"四\"", 33_334),
                    ("account", "集体", 10_000), ("account", "公益 基金", 5_000)])
    zentries = chain(draft_approval(z, "Z1", date(2025, 3, 1), 115_000, zlines, lang=lang), None)
    zentries += chain([draft_settlement(z, "Z1", date(2025, 3, 8), paid(
        [("王 二", 33_333), ("h.001", 33_333), ("李\"四\"", 33_334)]), "settlement:Z-0308", lang=lang)],
        zentries[-1])
    return {v: entries, z: zentries}
