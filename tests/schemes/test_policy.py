"""Policy profiles (rules as data, each decided by a test) and sources required for numbers."""
from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from schemes.engine import allocate
from schemes.loader import load_scheme, parse_scheme
from schemes.policy import evaluate, load_profile, profile_names
from schemes.presets import load_preset, preset_names
from schemes.problems import InputError
from tests.schemes.scenario import households_frame

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "schemes" / "examples").glob("*.yaml"))
PV = ROOT / "schemes" / "examples" / "pv-public-welfare-2020.yaml"


def _status(results: list, rule: str) -> str:  # type: ignore[type-arg]
    return next(r.status for r in results if r.rule.id == rule)


def test_the_national_profile_cites_a_source_and_date_for_every_rule() -> None:
    assert "national-pv-2020" in profile_names()
    profile = load_profile("national-pv-2020")
    assert len(profile.rules) == 4
    for rule in profile.rules:
        assert rule.source and rule.date == "2020"
        assert rule.title.zh and rule.title.en
    assert any("国开办司发〔2020〕3号" in r.source for r in profile.rules)
    assert any("严禁简单平均分配" in r.source for r in profile.rules)


def test_on_a_scheme_alone_each_rule_passes_fails_or_waits_for_a_run() -> None:
    profile = load_profile("national-pv-2020")
    pv = evaluate(profile, load_scheme(PV))
    assert [r.status for r in pv] == ["pass", "pass", "pass", "pass"]
    yinan = evaluate(profile, load_preset("photovoltaic"))  # 2016: pays poor households directly
    assert _status(yinan, "posts_and_public_works_80") == "undecided"
    assert _status(yinan, "rest_for_small_projects_and_rewards") == "fail"
    assert "'direct' is for 'household_income'" in next(r for r in yinan if r.status == "fail").msg.text("en")
    assert _status(yinan, "posts_are_paid_for_service") == "pass"
    golden = evaluate(profile, load_preset("golden-chicken"))
    assert _status(golden, "posts_are_paid_for_service") == "fail"
    for r in pv + yinan:
        assert r.text("zh") and r.text("en")


def _pv_run(posts: list[tuple[str, int]]):  # type: ignore[no-untyped-def]
    households = households_frame([{"household_id": h, "status": "poor", "members": 2} for h in ("H1", "H2", "H3")])
    roster = pl.DataFrame({"household_id": [h for h, n in posts for _ in range(n)],
                           "person_name": [f"p{i}" for h, n in posts for i in range(n)],
                           "post_type": ["保洁员"] * sum(n for _, n in posts), "grade": ["1"] * sum(n for _, n in posts),
                           "months_served": [12] * sum(n for _, n in posts)},
                          schema={"household_id": pl.String, "person_name": pl.String, "post_type": pl.String,
                                  "grade": pl.String, "months_served": pl.Int64})
    returns = pl.DataFrame({"village_id": ["V1"], "amount_fen": [1_000_001]})
    return allocate(load_scheme(PV), households, returns, period=2024, posts=roster)


def test_on_a_computed_run_the_share_rule_is_decided_per_village() -> None:
    profile = load_profile("national-pv-2020")
    paid = evaluate(profile, load_scheme(PV), _pv_run([("H1", 1), ("H2", 2)]))
    assert _status(paid, "posts_and_public_works_80") == "pass"  # 70% + 10%, rounded down to the fen
    nobody = evaluate(profile, load_scheme(PV), _pv_run([]))  # no post holders: the 70% is carried over
    share = next(r for r in nobody if r.rule.id == "posts_and_public_works_80")
    assert share.status == "fail"
    assert "village V1: 1,000.00 yuan to public-welfare posts, village public works, 9.99%" in share.msg.text("en")


EQUAL = """id: equal
version: 1
effective: 2020-01-01
title: t
description: d
accounts: {carry_over: c}
steps:
  - {id: same, kind: pro_rata, percent: 100, weight: household, purpose: household_income}
  - {id: rest, kind: remainder, to: carry_over}
"""


def test_a_simple_equal_split_is_found_on_the_scheme_and_on_the_run() -> None:
    profile = load_profile("national-pv-2020")
    scheme = parse_scheme(EQUAL, "equal.yaml")
    assert _status(evaluate(profile, scheme), "no_simple_equal_split") == "fail"
    households = households_frame([{"household_id": h, "status": s} for h, s in (("A", "poor"), ("B", "non_poor"))])
    run = allocate(scheme, households, pl.DataFrame({"village_id": ["V1"], "amount_fen": [1001]}), period=2024)
    result = next(r for r in evaluate(profile, scheme, run) if r.rule.id == "no_simple_equal_split")
    assert result.status == "fail"
    assert "pays all 2 households of village V1 the same (5.00 yuan)" in result.msg.text("en")
    weighted = parse_scheme(EQUAL.replace("weight: household", "weight: person"), "w.yaml")
    assert _status(evaluate(profile, weighted), "no_simple_equal_split") == "pass"
    filtered = parse_scheme(EQUAL.replace("weight: household,", "weight: household, eligible: {status: poor},"), "f.yaml")
    assert _status(evaluate(profile, filtered), "no_simple_equal_split") == "pass"


def test_a_bad_profile_names_the_rule_and_what_is_expected(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("id: p\ntitle: t\nrules:\n  - {id: r, title: t, source: s, date: '2024'}\n"
                    "  - {id: q, title: t, source: s, date: '2024', min_share: {percent: 80, purposes: [roads]}}\n",
                    encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_profile(str(path))
    text = caught.value.text("en")
    assert "line 4, key rules[0]: each rule needs exactly one check: min_share, max_share, forbid, require_step" in text
    assert "key rules[1].min_share.purposes[0]: expected one of: public_welfare_post" in text
    with pytest.raises(InputError, match="no policy profile 'nope'"):
        load_profile("nope")


def test_a_number_without_a_source_is_a_located_warning() -> None:
    scheme = parse_scheme(EQUAL, "equal.yaml")
    assert [w.text("en") for w in scheme.warnings] == [
        'equal.yaml, line 8, key steps[0].percent: this number has no source (write it as {value: ..., source: "..."})']
    sourced = parse_scheme(EQUAL.replace("percent: 100", "percent: {value: 100, source: 'the whole return'}"), "s.yaml")
    assert sourced.warnings == ()
    assert sourced.notes["steps[0].percent"] == "the whole return"


@pytest.mark.parametrize("name", preset_names())
def test_every_preset_cites_a_source_for_every_number(name: str) -> None:
    assert load_preset(name).warnings == ()


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_cites_a_source_for_every_number(path: Path) -> None:
    assert load_scheme(path).warnings == ()
