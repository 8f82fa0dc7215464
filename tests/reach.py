"""How many of a property test's generated examples reach the checks the test exists for.

A property test calls :func:`reached` where an example gets to its invariant checks (after any
early return, refusal or ``assume``). Counting is off in an ordinary run (``reached`` only records
a Hypothesis event, shown by ``--hypothesis-show-statistics``); ``bench/property_reach.py`` loads
this module as a pytest plugin (``-p tests.reach``), which counts, per test, the examples the test
function ran and how many of them called :func:`reached`, and writes the counts to the JSON file
named by ``PROPERTY_REACH_OUT``. Each property test should reach its checks in at least 90% of its
examples (issue 14; ``tests/test_property_reach.py`` checks that every property test calls it).

A test whose ``@given`` function is defined inside the test body wraps it with :func:`track` so
that its examples are counted too.
"""
from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

from hypothesis import event, settings
from hypothesis.errors import StopTest

EVENT = "reached the checks"
GOAL = 0.90

# nodeid -> [examples run, examples that reached the checks]
COUNTS: dict[str, list[int]] = {}
_state: dict[str, Any] = {"item": None, "example": False}


def reached() -> None:
    """Mark that the current example got as far as the checks its property test exists for."""
    event(EVENT)
    _state["example"] = True


def track(test: Callable[..., Any]) -> Callable[..., Any]:
    """Count the examples of the ``@given`` function ``test`` (and which of them call
    :func:`reached`) for the pytest item that runs it; returns ``test``."""
    handle = getattr(test, "hypothesis", None)
    if handle is None or getattr(handle.inner_test, "_reach_counted", False):
        return test
    inner = handle.inner_test

    def counted(*args: Any, **kwargs: Any) -> Any:
        _state["example"] = False
        overrun = False
        try:
            return inner(*args, **kwargs)
        except StopTest:
            # Hypothesis ran out of its data buffer while drawing and discards the example (it
            # is never run to the end, nor counted among the test's examples): not one of ours
            overrun = True
            raise
        finally:
            item = _state["item"]
            if item is not None and not overrun:
                counts = COUNTS.setdefault(item, [0, 0])
                counts[0] += 1
                counts[1] += bool(_state["example"])

    counted._reach_counted = True  # type: ignore[attr-defined]
    handle.inner_test = counted
    return test


# --- the pytest plugin (only with -p tests.reach) -------------------------------------------

def pytest_configure(config: Any) -> None:
    # the same examples every run (a stable share), none replayed from the example database, no
    # deadline (a loaded machine would fail examples on time, which is not what is measured)
    settings.register_profile("reach", derandomize=True, database=None, print_blob=False, deadline=None)
    settings.load_profile("reach")


def pytest_collection_modifyitems(items: list[Any]) -> None:
    for item in items:
        track(getattr(item, "obj", None))


def pytest_runtest_setup(item: Any) -> None:
    _state["item"] = item.nodeid


def pytest_runtest_teardown(item: Any) -> None:
    _state["item"] = None


def pytest_sessionfinish(session: Any) -> None:
    out = os.environ.get("PROPERTY_REACH_OUT")
    if out:
        with open(out, "w", encoding="utf-8") as handle:
            json.dump(COUNTS, handle, indent=1, sort_keys=True)
