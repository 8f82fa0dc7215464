"""A property test's examples are the same whatever the process imported before it
(``tests/stable_examples.py``): Hypothesis draws no literals from the product's modules."""
from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.reach import reached, track


def _examples() -> list[Any]:
    seen: list[Any] = []

    @settings(max_examples=300, derandomize=True, database=None, deadline=None)
    @given(st.lists(st.integers(0, 10**9), max_size=6), st.text(max_size=6), st.floats(0, 10**6))
    def prop(numbers: list[int], text: str, number: float) -> None:
        reached()
        seen.append((numbers, text, number))

    track(prop)()
    return seen


def test_importing_a_module_of_new_literals_changes_no_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without ``drop_local_constants`` about one drawn value in forty comes from the literals of
    the local modules imported so far, and this module's 120 new ones change the examples."""
    before = _examples()
    literals = [str(123_456_789 + 7_919 * i) for i in range(60)] + [f"{0.5 + i:.3f}" for i in range(30)]
    words = [f"'reach-{i}-pollutant'" for i in range(30)]
    (tmp_path / "reach_pollutant.py").write_text(f"NUMBERS = [{', '.join(literals)}]\nWORDS = [{', '.join(words)}]\n",
                                                  encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        importlib.import_module("reach_pollutant")
        after = _examples()
    finally:
        sys.modules.pop("reach_pollutant", None)
    assert after == before
