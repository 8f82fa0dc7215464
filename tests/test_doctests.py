"""The examples in the docstrings of every module of notify/, dividends/ and support/ run as
tests (schemes/ has its own, tests/schemes/test_doctests.py, which its mutation run uses)."""
from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

PACKAGES = ("notify", "dividends", "support")
MODULES = sorted(m.name for package in PACKAGES
                 for m in pkgutil.walk_packages(importlib.import_module(package).__path__, f"{package}.")
                 if not m.name.endswith("__main__") and ".migrations." not in m.name)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_hold(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
                             report=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} fail"


def test_the_modules_with_examples_are_found() -> None:
    """A walk that found nothing would pass every case above: these modules teach by example."""
    attempted = {name: doctest.testmod(importlib.import_module(name), report=False).attempted
                 for name in ("notify.segments", "dividends.ledger.chain", "dividends.policy", "support.sample")}
    assert all(attempted.values()), attempted
