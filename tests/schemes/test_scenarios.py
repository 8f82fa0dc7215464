"""The scenario cases under scenarios/: hand-checked numbers for every preset and step kind."""
from __future__ import annotations

import pytest

from schemes.engine import allocate
from schemes.invariants import check
from schemes.money import parse_yuan
from schemes.problems import InputError
from tests.schemes.scenario import Case, load_cases

CASES = load_cases("presets.yaml") + load_cases("steps.yaml")
SUMMARY_FIELDS = {"requested": "requested_fen", "paid": "paid_fen", "shortfall": "shortfall_fen",
                  "unallocated": "unallocated_fen", "floors_applied": "floors_applied", "recipients": "recipients"}


def _run(case: Case):  # type: ignore[no-untyped-def]
    return allocate(case.scheme, case.households, case.returns, period=case.period,
                    posts=case.posts, persons=case.persons)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_scenario(case: Case) -> None:
    if "error" in case.expect:
        with pytest.raises(InputError) as caught:
            _run(case)
        assert case.expect["error"] in caught.value.text("en")
        return
    allocation = _run(case)
    assert check(allocation) == []

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

    for step, fields in case.expect.get("summary", {}).items():
        row = allocation.summary.filter((allocation.summary["step_id"] == step) & (allocation.summary["part"] == "")
                                        & (allocation.summary["village_id"] == "V1")).row(0, named=True)
        for field, value in fields.items():
            expected = value if isinstance(value, int) else parse_yuan(str(value))
            assert row[SUMMARY_FIELDS[field]] == expected, f"{step}.{field}"


@pytest.mark.parametrize("case", [c for c in CASES if "error" not in c.expect][:6], ids=lambda c: c.name)
def test_row_order_does_not_change_anything(case: Case) -> None:
    reversed_case = Case(case.name, case.scheme, case.period, case.households.reverse(), case.returns.reverse(),
                         case.posts.reverse() if case.posts is not None else None,
                         case.persons.reverse() if case.persons is not None else None, case.expect)
    a, b = _run(case), _run(reversed_case)
    assert a.lines().equals(b.lines())
    assert a.summary.equals(b.summary)
