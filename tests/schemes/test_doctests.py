"""The examples in the docstrings of ``schemes/`` run as tests (a wrong example fails the suite)."""
from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import schemes

MODULES = sorted(m.name for m in pkgutil.walk_packages(schemes.__path__, "schemes."))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_hold(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, report=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} fail"


def test_the_modules_that_teach_by_example_have_examples() -> None:
    attempted = {name: doctest.testmod(importlib.import_module(name), report=False).attempted for name in MODULES}
    for name in ("schemes.money", "schemes.months", "schemes.describe"):
        assert attempted[name] > 0, name
