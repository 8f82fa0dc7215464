from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize("module", ["segments", "privacy", "inbound", "retry", "status", "fake"])
def test_docstring_examples_hold(module: str) -> None:
    result = doctest.testmod(importlib.import_module(f"notify.{module}"))
    assert result.attempted > 0 and result.failed == 0
