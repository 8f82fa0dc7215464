"""Every property test marks where its examples reach their checks (``tests.reach.reached()``), so
that ``bench/property_reach.py`` can report the share of generated examples that get there."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests import reach

TESTS = Path(__file__).resolve().parent


def _given_tests(tree: ast.Module) -> list[ast.FunctionDef]:
    def is_given(d: ast.expr) -> bool:
        target = d.func if isinstance(d, ast.Call) else d
        return isinstance(target, ast.Name) and target.id == "given"
    return [n for n in tree.body if isinstance(n, ast.FunctionDef) and any(map(is_given, n.decorator_list))]


def _called(node: ast.AST) -> set[str]:
    return {n.func.id for n in ast.walk(node) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}


FILES = sorted(p for p in TESTS.rglob("test_*.py") if "@given" in p.read_text(encoding="utf-8")
               and "schemathesis" not in p.name)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(TESTS)))
def test_every_property_test_marks_where_it_reaches_its_checks(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    helpers = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    missing = []
    for test in _given_tests(tree):
        calls = _called(test)
        calls |= {c for name in calls if name in helpers for c in _called(helpers[name])}
        if "reached" not in calls:
            missing.append(test.name)
    assert not missing, f"{path.name}: property tests without reached(): {missing}"


def test_the_property_test_files_are_found() -> None:
    names = {p.name for p in FILES}
    assert {"test_ledger_properties.py", "test_segments.py", "test_properties.py"} <= names, names


def test_reached_outside_the_plugin_counts_nothing() -> None:
    """An ordinary run (no ``-p tests.reach``) records only a Hypothesis event."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    before = {k: list(v) for k, v in reach.COUNTS.items()}
    item, reach._state["item"] = reach._state["item"], None  # as outside the plugin: no current test

    @settings(max_examples=5, database=None)
    @given(st.integers())
    def prop(n: int) -> None:
        reach.reached()

    try:
        reach.track(prop)()
    finally:
        reach._state["item"] = item
    assert reach.COUNTS == before
