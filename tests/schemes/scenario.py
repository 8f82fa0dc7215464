"""Load scenario cases (YAML data files) into engine inputs and expectations."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from schemes.engine import Extra
from schemes.loader import load_scheme
from schemes.model import Scheme
from schemes.money import parse_yuan
from schemes.presets import load_preset

HERE = Path(__file__).parent / "scenarios"
EXAMPLES = Path(__file__).resolve().parents[2] / "schemes" / "examples"
HOUSEHOLD_DEFAULTS: dict[str, Any] = {
    "village_id": "V1", "status": "non_poor", "members": 1, "able_members": 0, "shares": 0, "capital_yuan": "0",
}


@dataclass
class Case:
    name: str
    scheme: Scheme
    period: int
    households: pl.DataFrame
    returns: pl.DataFrame
    posts: pl.DataFrame | None
    persons: pl.DataFrame | None
    expect: dict[str, Any]
    extra: Extra = Extra()


def _table(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [dict(zip(spec["columns"], row, strict=True)) for row in spec["rows"]]


def households_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    full = [{**HOUSEHOLD_DEFAULTS, **r} for r in rows]
    return pl.DataFrame(
        {
            "household_id": [str(r["household_id"]) for r in full],
            "village_id": [str(r["village_id"]) for r in full],
            "status": [r["status"] for r in full],
            "members": [int(r["members"]) for r in full],
            "able_members": [int(r["able_members"]) for r in full],
            "shares": [int(r["shares"]) for r in full],
            "capital_fen": [parse_yuan(str(r["capital_yuan"])) for r in full],
        },
        schema={"household_id": pl.String, "village_id": pl.String, "status": pl.String, "members": pl.Int64,
                "able_members": pl.Int64, "shares": pl.Int64, "capital_fen": pl.Int64},
    )


def load_cases(file: str) -> list[Case]:
    raw = yaml.safe_load((HERE / file).read_text(encoding="utf-8"))
    return [_case(item) for item in raw]


def _case(item: dict[str, Any]) -> Case:
    ref = item["scheme"]
    if ref.startswith("examples/"):
        scheme = load_scheme(EXAMPLES / ref.removeprefix("examples/"))
    else:
        scheme = load_scheme(HERE / ref) if ref.endswith(".yaml") else load_preset(ref)
    households = households_frame(_table(item["households"]))
    if "returns" in item:
        returns = {k: parse_yuan(str(v)) for k, v in item["returns"].items()}
    else:
        returns = {"V1": parse_yuan(str(item["amount_yuan"]))}
    returns_frame = pl.DataFrame({"village_id": list(returns), "amount_fen": list(returns.values())},
                                 schema={"village_id": pl.String, "amount_fen": pl.Int64})
    posts = None
    if "posts" in item:
        rows = _table(item["posts"])
        posts = pl.DataFrame({
            "household_id": [r["household_id"] for r in rows], "person_name": [r["person_name"] for r in rows],
            "post_type": [r["post_type"] for r in rows], "grade": [str(r["grade"]) for r in rows],
            "months_served": [int(r["months_served"]) for r in rows],
        }, schema={"household_id": pl.String, "person_name": pl.String, "post_type": pl.String,
                   "grade": pl.String, "months_served": pl.Int64})
    persons = None
    if "persons" in item:
        rows = _table(item["persons"])
        persons = pl.DataFrame({
            "household_id": [r["household_id"] for r in rows],
            "birth_date": [r["birth_date"] if r["birth_date"] is None or isinstance(r["birth_date"], date)
                           else date.fromisoformat(r["birth_date"]) for r in rows],
            # null (a blank cell) stays null: a filter on it matches nobody
            "able_to_work": [_flag(r["able_to_work"]) for r in rows], "student": [_flag(r["student"]) for r in rows],
        }, schema={"household_id": pl.String, "birth_date": pl.Date, "able_to_work": pl.Boolean, "student": pl.Boolean})
    return Case(item["name"], scheme, int(item["period"]), households, returns_frame, posts, persons, item["expect"],
                _extra(item))


def _flag(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _extra(item: dict[str, Any]) -> Extra:
    """Optional inputs: brought_forward {village: yuan}, deductions / earlier_paid / events tables."""
    bf = None
    if "brought_forward" in item:
        bf = pl.DataFrame({"village_id": list(item["brought_forward"]),
                           "amount_fen": [parse_yuan(str(v)) for v in item["brought_forward"].values()]},
                          schema={"village_id": pl.String, "amount_fen": pl.Int64})
    deductions = None
    if "deductions" in item:
        rows = _table(item["deductions"])
        deductions = pl.DataFrame({"household_id": [r["household_id"] for r in rows],
                                   "amount_fen": [parse_yuan(str(r["amount_yuan"])) for r in rows],
                                   "reason": [r["reason"] for r in rows], "creditor": [r["creditor"] for r in rows]},
                                  schema={"household_id": pl.String, "amount_fen": pl.Int64, "reason": pl.String,
                                          "creditor": pl.String})
    earlier = None
    if "earlier_paid" in item:
        earlier = pl.DataFrame({"household_id": list(item["earlier_paid"]),
                                "amount_fen": [parse_yuan(str(v)) for v in item["earlier_paid"].values()]},
                               schema={"household_id": pl.String, "amount_fen": pl.Int64})
    events = None
    if "events" in item:
        rows = _table(item["events"])
        events = pl.DataFrame({"household_id": [r["household_id"] for r in rows], "event": [r["event"] for r in rows],
                               "scope": [r["scope"] for r in rows],
                               "date": [r["date"] if isinstance(r["date"], date) else date.fromisoformat(r["date"]) for r in rows],
                               "from_status": [r.get("from_status") for r in rows]},
                              schema={"household_id": pl.String, "event": pl.String, "scope": pl.String, "date": pl.Date,
                                      "from_status": pl.String})
    return Extra(bf, deductions, earlier, events)
