"""Evaluation of each step kind: pure functions over polars frames."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from schemes.steps.classes import share_classes
from schemes.steps.floors import cap, minimum_guarantee
from schemes.steps.needs import per_unit, post_subsidy
from schemes.steps.simple import carve_out, pro_rata, remainder

EVALUATORS: dict[str, Callable[[Any, Any], Any]] = {
    "carve_out": carve_out,
    "per_unit": per_unit,
    "pro_rata": pro_rata,
    "share_classes": share_classes,
    "post_subsidy": post_subsidy,
    "minimum_guarantee": minimum_guarantee,
    "cap": cap,
    "remainder": remainder,
}
