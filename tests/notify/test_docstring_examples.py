from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize("module", ["notify.segments", "notify.privacy", "notify.inbound", "notify.retry",
                                    "notify.status", "notify.phones", "support.fake_sender"])
def test_docstring_examples_hold(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0
