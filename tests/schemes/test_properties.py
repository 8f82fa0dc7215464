"""Property tests: the invariants hold for random registries under random schemes."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import polars as pl
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemes.engine import allocate
from schemes.invariants import check
from schemes.loader import parse_scheme
from schemes.money import apportion, split_by_weight
from schemes.problems import InputError

STATUSES = ["poor", "exited", "monitored", "non_poor"]
BASES = ["household", "person", "able_person", "unable_person", "share", "post"]
SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ------------------------------------------------------------------------ money primitives


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**62), st.lists(st.integers(0, 2**62), min_size=1, max_size=12))
def test_polars_split_matches_the_reference_apportionment(pool: int, weights: list[int]) -> None:
    frame = pl.DataFrame({"g": [0] * len(weights), "pool": [pool] * len(weights), "w": weights},
                         schema={"g": pl.Int64, "pool": pl.Int64, "w": pl.Int64})
    got = split_by_weight(frame, pl.col("pool"), pl.col("w"), "g").to_list()
    assert got == apportion(pool, weights)
    if sum(weights):
        assert sum(got) == pool


# --------------------------------------------------------------------------- random inputs

amounts = st.integers(0, 10**7).map(lambda f: f"{f // 100}.{f % 100:02d}")
percents = st.integers(0, 10000).map(lambda p: f"{p // 100}.{p % 100:02d}")


@st.composite
def filters(draw: Any) -> dict[str, Any]:
    kind = draw(st.sampled_from(["status", "members", "has_member", "any", "not", "posts", "capital"]))
    if kind == "status":
        return {"status": draw(st.lists(st.sampled_from(STATUSES), min_size=1, max_size=3, unique=True))}
    if kind == "members":
        return {"members": {draw(st.sampled_from(["gte", "lte", "eq"])): str(draw(st.integers(0, 6)))}}
    if kind == "has_member":
        return {"has_member": {"age": {"gte": str(draw(st.integers(0, 90)))}}}
    if kind == "posts":
        return {"posts": {"gte": "1"}}
    if kind == "capital":
        return {"capital": {"gt": draw(amounts)}}
    if kind == "any":
        return {"any": [{"status": "poor"}, {"unable_members": {"gte": "1"}}]}
    return {"not": {"status": draw(st.sampled_from(STATUSES))}}


def maybe(draw: Any, strategy: Any) -> dict[str, Any]:
    return draw(strategy) if draw(st.booleans()) else {}


@st.composite
def takes(draw: Any) -> dict[str, Any]:
    if draw(st.booleans()):
        return {"amount": draw(amounts)}
    return {"percent": draw(percents), "of": draw(st.sampled_from(["pool", "remaining"]))}


@st.composite
def rates(draw: Any) -> dict[str, Any]:
    basis = draw(st.sampled_from(BASES + ["capital", "elderly"]))
    if basis == "capital":
        return {"per": "capital", "percent": draw(percents)}
    per: Any = {"persons": {"age": {"gte": "60"}}} if basis == "elderly" else basis
    return {"per": per, "amount": draw(amounts)}


@st.composite
def weights(draw: Any) -> Any:
    basis = draw(st.sampled_from(BASES + ["capital"]))
    if draw(st.booleans()):
        return basis
    spec: dict[str, Any] = {"by": basis}
    if draw(st.booleans()):
        spec["multiplier"] = {s: draw(st.sampled_from(["0", "1", "2", "3", "5", "1.5", "0.25"])) for s in STATUSES}
    if draw(st.booleans()):
        spec["bonus"] = {"poor": draw(st.sampled_from(["1", "2", "0.5"]))}
    return spec


def shortfall(draw: Any, priority: bool = True) -> dict[str, Any]:
    policy = draw(st.sampled_from(["pro_rate", "refuse", "priority"] if priority else ["pro_rate", "refuse"]))
    out: dict[str, Any] = {"on_shortfall": policy}
    if policy == "priority":
        out["priority"] = [{"status": "poor"}, draw(filters())]
    return out


@st.composite
def schemes_(draw: Any) -> str:
    steps: list[dict[str, Any]] = []
    paid_collective = False
    for i in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(["carve_out", "per_unit", "pro_rata", "share_classes", "post_subsidy",
                                     "minimum_guarantee", "cap"]))
        step: dict[str, Any] = {"id": f"s{i}", "kind": kind}
        household_steps = [s["id"] for s in steps if s["kind"] != "carve_out"]
        if kind == "carve_out":
            step |= {"to": draw(st.sampled_from(["collective", "fund"])), **draw(takes()), **shortfall(draw, False)}
            paid_collective = paid_collective or step["to"] == "collective"
        elif kind == "per_unit":
            step |= {**draw(rates()), **shortfall(draw)}
            step |= {"eligible": f} if (f := maybe(draw, filters())) else {}
        elif kind == "pro_rata":
            step |= {**draw(takes()), "weight": draw(weights()), **shortfall(draw, False)}
            step |= {"eligible": f} if (f := maybe(draw, filters())) else {}
        elif kind == "share_classes":
            cuts = sorted(draw(st.lists(st.integers(0, 100), min_size=0, max_size=3)))
            bounds = [0, *cuts, 100]
            classes = []
            for j in range(len(bounds) - 1):
                c: dict[str, Any] = {"id": f"c{j}", "percent": str(bounds[j + 1] - bounds[j])}
                if draw(st.integers(0, 3)) == 0:
                    c["to"] = "fund"
                else:
                    c["weight"] = draw(weights())
                    c |= {"eligible": f} if (f := maybe(draw, filters())) else {}
                classes.append(c)
            step |= {**draw(takes()), "classes": classes, **shortfall(draw, False)}
        elif kind == "post_subsidy":
            step |= {"grades": {str(g): draw(amounts) for g in range(1, 5)}, **shortfall(draw)}
        elif kind == "minimum_guarantee":
            step |= {"floor": draw(rates()), "funded_by": (["collective"] if paid_collective else []) + ["remaining"],
                     **shortfall(draw)}
            if household_steps and draw(st.booleans()):
                step["counts"] = household_steps[:1]
        else:
            step |= {"limit": draw(rates()), "excess_to": draw(st.sampled_from(["remaining", "fund"]))}
        steps.append(step)
    steps.append({"id": "rest", "kind": "remainder", "to": "carry_over"})
    doc = {"id": "random", "version": 1, "effective": "2020-01-01", "title": "random", "description": "random",
           "accounts": {"collective": {"label": "c"}, "fund": {"label": "f"}, "carry_over": {"label": "r"}},
           "steps": steps}
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


@st.composite
def registries(draw: Any) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    villages = draw(st.integers(1, 3))
    rows, people, posts = [], [], []
    for v in range(villages):
        for h in range(draw(st.integers(0, 12))):
            members = draw(st.integers(1, 6))
            hid = f"V{v}-{h:03d}"
            rows.append({"household_id": hid, "village_id": f"V{v}", "status": draw(st.sampled_from(STATUSES)),
                         "members": members, "able_members": draw(st.integers(0, members)),
                         "shares": draw(st.integers(0, 50)), "capital_fen": draw(st.integers(0, 10**8))})
            for _ in range(members):
                people.append({"household_id": hid, "birth_date": date(1930, 1, 1) + timedelta(days=draw(st.integers(0, 34000))),
                               "able_to_work": draw(st.booleans()), "student": draw(st.booleans())})
            for p in range(draw(st.integers(0, 2))):
                posts.append({"household_id": hid, "person_name": f"p{p}", "post_type": "保洁员",
                              "grade": str(draw(st.integers(1, 4))), "months_served": draw(st.integers(0, 12))})
    returns = pl.DataFrame({"village_id": [f"V{v}" for v in range(villages)],
                            "amount_fen": [draw(st.one_of(st.integers(0, 10**6), st.integers(0, 10**12))) for _ in range(villages)]},
                           schema={"village_id": pl.String, "amount_fen": pl.Int64})
    hh_schema = {"household_id": pl.String, "village_id": pl.String, "status": pl.String, "members": pl.Int64,
                 "able_members": pl.Int64, "shares": pl.Int64, "capital_fen": pl.Int64}
    return (pl.DataFrame(rows, schema=hh_schema), returns,
            pl.DataFrame(people, schema={"household_id": pl.String, "birth_date": pl.Date, "able_to_work": pl.Boolean, "student": pl.Boolean}),
            pl.DataFrame(posts, schema={"household_id": pl.String, "person_name": pl.String, "post_type": pl.String,
                                        "grade": pl.String, "months_served": pl.Int64}))


def _refusal_only(error: InputError) -> bool:
    return all(p.msg.key == "compute.refused" for p in error.problems)


@SETTINGS
@given(schemes_(), registries(), st.randoms(use_true_random=False))
def test_invariants_hold_for_random_schemes_and_registries(text: str, registry: Any, rnd: Any) -> None:
    scheme = parse_scheme(text, "random.yaml")
    households, returns, persons, posts = registry
    try:
        allocation = allocate(scheme, households, returns, period=2024, posts=posts, persons=persons)
    except InputError as error:  # a refusing step may stop the run; nothing else may
        assert _refusal_only(error), error.text("en")
        return
    assert check(allocation) == []
    lines = allocation.lines()
    per_village = lines.group_by("village_id").agg(pl.col("amount_fen").sum())
    pools = dict(zip(returns["village_id"], returns["amount_fen"]))
    assert {v: pools[v] for v in per_village["village_id"]} == dict(zip(per_village["village_id"], per_village["amount_fen"]))
    assert sum(pools.values()) == lines["amount_fen"].sum()
    assert lines.filter(pl.col("recipient_kind") == "household")["recipient_id"].is_unique().all()
    assert all(lines[c].dtype == pl.Int64 for c in ["amount_fen", *allocation.step_ids])

    # any row order gives the same result
    def shuffled(frame: pl.DataFrame) -> pl.DataFrame:
        order = list(range(frame.height))
        rnd.shuffle(order)
        return frame[order] if frame.height else frame

    again = allocate(scheme, shuffled(households), shuffled(returns), period=2024, posts=shuffled(posts),
                     persons=shuffled(persons))
    assert again.lines().equals(lines)
    assert again.summary.equals(allocation.summary)
