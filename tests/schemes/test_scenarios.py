"""The scenario cases under scenarios/: hand-checked numbers for every preset and step kind."""
from __future__ import annotations

from dataclasses import replace

import polars as pl
import pytest

from schemes.engine import allocate
from schemes.invariants import check
from schemes.money import parse_yuan
from schemes.problems import InputError
from schemes.steps.context import FloorCheck, SplitCheck
from schemes.engine import Extra
from tests.schemes.scenario import Case, load_cases

CASES = load_cases("presets.yaml") + load_cases("steps.yaml") + load_cases("shapes.yaml")
SUMMARY_FIELDS = {"requested": "requested_fen", "paid": "paid_fen", "shortfall": "shortfall_fen",
                  "unallocated": "unallocated_fen", "floors_applied": "floors_applied", "recipients": "recipients"}


def _run(case: Case):  # type: ignore[no-untyped-def]
    return allocate(case.scheme, case.households, case.returns, period=case.period,
                    posts=case.posts, persons=case.persons, extra=case.extra)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_scenario(case: Case) -> None:
    if "error" in case.expect:
        with pytest.raises(InputError) as caught:
            _run(case)
        assert case.expect["error"] in caught.value.text("en")
        return
    allocation = _run(case)
    assert check(allocation) == []
    _evidence_has_its_types(allocation)

    got: dict[str, dict[str, int]] = {}
    for row in allocation.lines().iter_rows(named=True):
        # households by id; accounts by name in V1, else as "village/account"
        key = row["recipient_id"]
        if row["recipient_kind"] == "account" and row["village_id"] != "V1":
            key = f"{row['village_id']}/{key}"
        got[key] = {s: row[s] for s in allocation.step_ids if row[s] != 0}
        assert row["amount_fen"] == sum(row[s] for s in allocation.step_ids)
    want = {k: {s: parse_yuan(str(v), allow_negative=True) for s, v in steps.items()}
            for k, steps in case.expect["lines"].items()}
    assert got == want

    if "deductions" in case.expect:
        assert allocation.deductions is not None
        got_d = {(r["household_id"], r["creditor"], r["reason"]): (r["recovered_fen"], r["carried_forward_fen"])
                 for r in allocation.deductions.iter_rows(named=True)}
        want_d = {(h, c, reason): (parse_yuan(str(rec)), parse_yuan(str(left)))
                  for h, c, reason, rec, left in case.expect["deductions"]}
        assert got_d == want_d
        # integer fen, one row per deduction in a stable order: village, household, creditor, reason, amount
        assert {c: t for c, t in allocation.deductions.schema.items() if c.endswith("_fen")} == {
            "amount_fen": pl.Int64, "recovered_fen": pl.Int64, "carried_forward_fen": pl.Int64}
        assert allocation.deductions.equals(allocation.deductions.sort(
            "village_id", "household_id", "creditor", "reason", "amount_fen"))

    _summary_is_consistent(allocation)

    for key, fields in case.expect.get("summary", {}).items():
        step, _, part = key.partition("/")  # "step/part": a share class's own row
        row = allocation.summary.filter((allocation.summary["step_id"] == step) & (allocation.summary["part"] == part)
                                        & (allocation.summary["village_id"] == "V1")).row(0, named=True)
        for field, value in fields.items():
            expected = value if isinstance(value, int) else parse_yuan(str(value))
            assert row[SUMMARY_FIELDS[field]] == expected, f"{key}.{field}"


SPLIT_EVIDENCE = {"group": pl.Int64, "pool": pl.Int64, "weight": pl.Int128, "out": pl.Int64}
FLOOR_EVIDENCE = {"vix": pl.Int64, "floor": pl.Int64, "total": pl.Int64}


def _evidence_has_its_types(allocation) -> None:  # type: ignore[no-untyped-def]
    """The invariants' evidence carries the columns and types its classes document (the checks
    compare and group those integers; an unsigned village index would be another key type)."""
    for evidence in allocation.checks:
        if isinstance(evidence, SplitCheck):
            assert dict(evidence.frame.schema) == SPLIT_EVIDENCE, (evidence.step_id, evidence.part)
        elif isinstance(evidence, FloorCheck):
            assert dict(evidence.frame.schema) == FLOOR_EVIDENCE, evidence.step_id
            assert evidence.shortfall.dtype == pl.Int64


MOVING = {"cap", "minimum_guarantee", "deductions"}  # steps that move fen between lines (drawn, cut)


def _summary_is_consistent(allocation) -> None:  # type: ignore[no-untyped-def]
    """What every summary must say of every case: per village one row per step in the scheme's
    order (brought forward first, deductions last), each with its kind; what a step asked is
    what it paid, fell short of or left unallocated; its recipients are its lines not zero."""
    summary, scheme = allocation.summary, allocation.scheme
    villages = allocation.villages
    assert villages.schema == {"village_id": pl.String, "pool_fen": pl.Int64, "households": pl.Int64,
                               "return_fen": pl.Int64, "brought_forward_fen": pl.Int64}
    assert (villages["pool_fen"] == villages["return_fen"] + villages["brought_forward_fen"]).all()
    assert allocation.households.equals(allocation.households.sort("village_id", "household_id"))
    assert allocation.accounts.equals(allocation.accounts.sort("village_id", "account"))
    assert summary.null_count().sum_horizontal().item() == 0  # every row and part has every figure
    assert (summary["requested_fen"] == summary["paid_fen"] + summary["shortfall_fen"] + summary["unallocated_fen"]).all()
    kinds = {s.id: s.kind for s in scheme.steps} | {"brought_forward": "brought_forward", "deductions": "deductions"}
    order = ["brought_forward"] * ("brought_forward" in summary["step_id"]) + list(scheme.step_ids) \
        + ["deductions"] * ("deductions" in summary["step_id"])
    lines = pl.concat([allocation.households.select("village_id", *allocation.step_ids),
                       allocation.accounts.select("village_id", *allocation.step_ids)])
    for village in allocation.villages["village_id"]:
        rows = summary.filter((pl.col("village_id") == village) & (pl.col("part") == ""))
        assert rows["step_id"].to_list() == order
        assert rows["step_index"].to_list() == [i + 1 - ("brought_forward" in order) for i in range(len(order))]
        assert rows["kind"].to_list() == [kinds[s] for s in order]
        for r in rows.filter(pl.col("step_id").is_in(allocation.step_ids)).iter_rows(named=True):
            mine = lines.filter(pl.col("village_id") == village)[r["step_id"]]
            assert r["recipients"] == (mine != 0).sum()
            if r["kind"] not in MOVING:  # what a paying step paid is what its lines hold
                assert r["paid_fen"] == mine.sum(), (village, r["step_id"])


ORDER_CASES = [c for c in CASES if "error" not in c.expect]
# the first cases, and every case with claim groups, extra inputs or a members file (persons
# counted per household: the file's rows in any order)
ORDER_CASES = ORDER_CASES[:6] + [c for c in ORDER_CASES[6:] if c.scheme.groups or c.persons is not None or any(
    v is not None for v in vars(c.extra).values())]


@pytest.mark.parametrize("case", ORDER_CASES, ids=lambda c: c.name)
def test_row_order_does_not_change_anything(case: Case) -> None:
    extra = case.extra
    flip = (lambda f: f.reverse() if f is not None else None)  # noqa: E731
    reversed_case = Case(case.name, case.scheme, case.period, case.households.reverse(), case.returns.reverse(),
                         flip(case.posts), flip(case.persons), case.expect,
                         type(extra)(flip(extra.brought_forward), flip(extra.deductions), flip(extra.earlier_paid),
                                     flip(extra.events)))
    a, b = _run(case), _run(reversed_case)
    assert a.lines().equals(b.lines())
    assert a.summary.equals(b.summary)


EXTRA_CASES = [c for c in ORDER_CASES if c.households.height >= 2 and any(v is not None for v in vars(c.extra).values())]


@pytest.mark.parametrize("case", EXTRA_CASES, ids=lambda c: c.name)
def test_households_in_pieces_give_the_same_allocation(case: Case) -> None:
    """A registry read in pieces (a Parquet file's row groups) computes what the whole frame
    does, with the inputs that look households up by id (deductions, earlier payments, events)."""
    h = case.households
    pieces = pl.concat([h.slice(0, h.height // 2), h.slice(h.height // 2)], rechunk=False)
    assert pieces["household_id"].n_chunks() == 2
    a, b = _run(case), _run(replace(case, households=pieces))
    assert a.lines().equals(b.lines())
    assert a.summary.equals(b.summary)


def test_lines_come_in_the_same_order_whatever_the_order_of_the_household_rows() -> None:
    for case in ORDER_CASES:
        allocation = _run(case)
        shuffled = replace(allocation, households=allocation.households.reverse(), _lines=[])
        assert shuffled.lines().equals(allocation.lines()), case.name


def test_no_villages_and_no_households_make_an_empty_allocation_of_the_same_types() -> None:
    case = ORDER_CASES[0]
    full = _run(case)
    empty = allocate(case.scheme, case.households.clear(), case.returns.clear(), period=case.period)
    assert check(empty) == []
    for got, want in ((empty.summary, full.summary), (empty.lines(), full.lines()),
                      (empty.households, full.households), (empty.villages, full.villages)):
        assert got.height == 0 and got.schema == want.schema


def test_a_households_frame_without_a_column_is_refused_naming_it() -> None:
    case = ORDER_CASES[0]
    with pytest.raises(TypeError, match="households frame lacks columns.*'shares'"):
        allocate(case.scheme, case.households.drop("shares"), case.returns, period=case.period)


def test_a_negative_deduction_is_refused() -> None:
    """The scenario loader refuses negative yuan, so the deductions frame is built here."""
    case = next(c for c in CASES if c.extra.deductions is not None and "error" not in c.expect)
    deductions = pl.DataFrame({"household_id": [case.households["household_id"][0]], "amount_fen": [-100],
                               "reason": ["loan"], "creditor": [case.extra.deductions["creditor"][0]]},
                              schema=case.extra.deductions.schema)
    with pytest.raises(InputError) as caught:
        _run(replace(case, extra=replace(case.extra, deductions=deductions)))
    assert caught.value.text("en") == "1 problem(s) found:\n  - a deduction amount cannot be negative"


@pytest.mark.parametrize("amounts", [[100, 200], [-100]], ids=["a village twice", "a negative amount"])
def test_brought_forward_rows_must_be_one_non_negative_row_per_village(amounts: list[int]) -> None:
    """Built here: the scenario loader's brought_forward is a mapping of non-negative yuan."""
    case = next(c for c in CASES if c.extra.brought_forward is not None and "error" not in c.expect)
    village = case.returns["village_id"][0]
    bf = pl.DataFrame({"village_id": [village] * len(amounts), "amount_fen": amounts},
                      schema={"village_id": pl.String, "amount_fen": pl.Int64})
    with pytest.raises(InputError) as caught:
        _run(replace(case, extra=replace(case.extra, brought_forward=bf)))
    assert caught.value.text("en") == ("1 problem(s) found:\n  - amounts brought forward must be one non-negative row "
                                       "per village, and with the return within the largest amount")


# ------------------------------------------------------------------ inputs beyond the scenario format

MONTHS_SAME = next(c for c in CASES if c.scheme.id == "months-same")


def _refusals(case: Case, extra: Extra) -> list[tuple[str, dict[str, object]]]:
    with pytest.raises(InputError) as caught:
        allocate(case.scheme, case.households, case.returns, period=case.period, extra=extra)
    return [(p.msg.key, dict(p.msg.params)) for p in caught.value.problems]


def test_a_step_prorated_by_months_without_events_is_refused_naming_it() -> None:
    assert _refusals(MONTHS_SAME, replace(MONTHS_SAME.extra, events=None)) == [
        ("compute.needs_events", {"steps": ["dividend"]})]


def test_events_of_another_period_are_refused_with_their_count() -> None:
    events = MONTHS_SAME.extra.events
    assert events is not None
    wrong = pl.concat([events, events]).with_columns(pl.col("date").dt.offset_by("-1y"))
    assert _refusals(MONTHS_SAME, replace(MONTHS_SAME.extra, events=wrong)) == [
        ("compute.event_rows", {"count": 2, "period": 2024})]


def test_progress_is_reported_per_step_and_once_at_the_end() -> None:
    calls: list[tuple[int, int, str]] = []
    c = MONTHS_SAME
    allocate(c.scheme, c.households, c.returns, period=c.period, extra=c.extra,
             progress=lambda i, n, step: calls.append((i, n, step)))
    assert calls == [(0, 2, "dividend"), (1, 2, "carry"), (2, 2, "")]


def test_the_households_of_an_allocation_keep_their_status() -> None:
    c = next(c for c in CASES if c.households["status"].n_unique() > 2 and "error" not in c.expect)
    allocation = _run(c)
    statuses = dict(zip(c.households["household_id"], c.households["status"], strict=True))
    assert dict(zip(allocation.households["household_id"], allocation.households["status"], strict=True)) == statuses


def test_money_brought_forward_to_one_village_leaves_the_others_pool_alone() -> None:
    from schemes.loader import load_scheme
    from tests.schemes.scenario import HERE, households_frame

    households = households_frame([{"household_id": "H1", "village_id": "V1", "status": "poor"},
                                   {"household_id": "H2", "village_id": "V2", "status": "poor"}])
    returns = pl.DataFrame({"village_id": ["V1", "V2"], "amount_fen": [10_000, 20_000]})
    extra = Extra(brought_forward=pl.DataFrame({"village_id": ["V1"], "amount_fen": [500]}))
    a = allocate(load_scheme(HERE / "schemes/status-weights.yaml"), households, returns, period=2024, extra=extra)
    assert dict(a.villages.select("village_id", "pool_fen").rows()) == {"V1": 10_500, "V2": 20_000}
    assert check(a) == []


MONTHS = next(c for c in CASES if c.name.startswith("Months of eligibility, a cap over the year's total"))


def _sorted_lines(case: Case) -> pl.DataFrame:
    return _run(case).lines().sort(pl.all())


def test_events_of_households_whose_ids_are_out_of_order_across_villages_are_found() -> None:
    """H2 in V1 and H1 in V2: in village order the ids are not sorted, so the events' households
    are looked up without the sorted shortcut."""
    from tests.schemes.scenario import households_frame

    households = households_frame([{"household_id": "H2", "village_id": "V1", "status": "poor", "members": 3},
                                   {"household_id": "H1", "village_id": "V2", "status": "poor", "members": 3}])
    returns = pl.DataFrame({"village_id": ["V1", "V2"], "amount_fen": [1_000_000, 1_000_000]})
    c = MONTHS_SAME
    a = allocate(c.scheme, households, returns, period=c.period, extra=c.extra)  # H1: a member died in May
    paid = dict(a.households.select("household_id", "dividend").rows())
    assert paid == {"H1": 400_000, "H2": 360_000}  # 1,200 yuan x 40 / 12 months, 1,200 x 3
    assert check(a) == []


def test_what_earlier_runs_paid_a_household_is_added_up_over_its_rows() -> None:
    earlier = MONTHS.extra.earlier_paid
    assert earlier is not None and earlier.height == 1
    (household, fen), = earlier.rows()
    split = pl.DataFrame({"household_id": [household, "H2", household], "amount_fen": [fen - 1, 0, 1]},
                         schema=earlier.schema)
    assert _sorted_lines(replace(MONTHS, extra=replace(MONTHS.extra, earlier_paid=split))).equals(_sorted_lines(MONTHS))
