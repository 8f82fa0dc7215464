"""The order of the engine's summary rows and lines where sort keys tie: a step's parts stay in
the scheme's order, and a village's accounts in name order."""
from __future__ import annotations

import random

import polars as pl

from schemes.engine import _accounts_first, allocate
from schemes.loader import parse_scheme

CLASSES = ["c0", "c1", "c2", "c3", "c4", "c5"]
VILLAGES = [f"V{v}" for v in range(8)]
SCHEME = """id: parts
version: 1
effective: 2020-01-01
title: t
description: d
accounts: {fund: {label: f}, carry_over: {label: c}}
steps:
  - id: classes
    kind: share_classes
    percent: 60
    classes:
      - {id: c0, percent: 20, weight: household}
      - {id: c1, percent: 20, to: fund}
      - {id: c2, percent: 15, weight: person}
      - {id: c3, percent: 15, weight: household, eligible: {status: poor}}
      - {id: c4, percent: 15, to: fund}
      - {id: c5, percent: 15, weight: able_person}
  - {id: even, kind: pro_rata, percent: 100, of: remaining, weight: household}
  - {id: rest, kind: remainder, to: carry_over}
"""


def test_the_summary_keeps_each_steps_parts_in_the_schemes_order_in_every_village() -> None:
    """Eight villages, a step of six classes: 72 summary rows, of which each (village, step) of
    the classes ties seven times. A sort by village and step that does not keep the order of
    equal keys (polars' ``maintain_order=False`` does not, from a few dozen rows) mixes the parts."""
    rows = [(f"{v}-{h}", v, "poor" if h % 2 else "non_poor", 1 + h, h % 3) for v in VILLAGES for h in range(3)]
    households = pl.DataFrame(rows, schema={"household_id": pl.String, "village_id": pl.String, "status": pl.String,
                                            "members": pl.Int64, "able_members": pl.Int64}, orient="row")
    households = households.with_columns(shares=pl.lit(0, pl.Int64), capital_fen=pl.lit(0, pl.Int64))
    returns = pl.DataFrame({"village_id": VILLAGES, "amount_fen": [100_000 + 37 * i for i in range(len(VILLAGES))]})
    summary = allocate(parse_scheme(SCHEME, "parts.yaml"), households, returns, period=2024).summary
    per_village = [(1, "classes", ""), *((1, "classes", c) for c in CLASSES), (2, "even", ""), (3, "rest", "")]
    expected = [(v, *row) for v in VILLAGES for row in per_village]
    assert summary.select("village_id", "step_index", "step_id", "part").rows() == expected


def test_a_villages_accounts_come_first_in_name_order_among_many_lines() -> None:
    """Six accounts in each of 40 villages share one sort key (the village's first household
    line): the result keeps the name order of the sorted accounts. polars sorts one integer key
    stably whatever ``maintain_order`` says (so dropping it changes nothing today); an unstable
    sort would not (numpy's introsort reorders such ties from 39 rows), and this test would say so."""
    rnd = random.Random(14)
    villages = [f"V{v:02d}" for v in range(40)]
    names = ["carry_over", "collective", "fund", "reserve", "school", "welfare"]
    accounts = [(v, n) for v in villages for n in names]
    rnd.shuffle(accounts)
    households = [(v, f"H{v}-{h:03d}") for v in villages for h in range(rnd.randint(1, 60))]

    def frame(rows: list[tuple[str, str]], kind: str) -> pl.DataFrame:
        return pl.DataFrame({"recipient_id": [r for _, r in rows], "recipient_kind": [kind] * len(rows),
                             "village_id": [v for v, _ in rows], "amount_fen": list(range(len(rows)))},
                            schema={"recipient_id": pl.String, "recipient_kind": pl.String, "village_id": pl.String,
                                    "amount_fen": pl.Int64})

    acc, hh = frame(accounts, "account"), frame(households, "household")
    expected = pl.concat([acc, hh]).sort("village_id", "recipient_kind", "recipient_id")
    assert _accounts_first(acc, hh).equals(expected)
