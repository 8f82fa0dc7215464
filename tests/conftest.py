"""Test-session hooks for every test directory."""
from __future__ import annotations

import os

import pytest

from tests.stable_examples import drop_local_constants

# a property test's examples must not depend on which product modules earlier tests imported
drop_local_constants()

if os.environ.get("MUTANT_UNDER_TEST"):
    # make mutation (mutmut sets the mutant's name): a property that fails only has to fail, so
    # its example is not shrunk; shrinking a mutant's crash took minutes and was cut off as a
    # timeout, which the score counts as a survivor (NOTES-mutA.md)
    from hypothesis import Phase, settings

    settings.register_profile("mutation", phases=[Phase.explicit, Phase.reuse, Phase.generate])
    settings.load_profile("mutation")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist (``make test``), the modules holding a ``slow`` test go first: with
    ``--dist loadscope`` a worker takes whole modules in collection order, and a long module
    handed out last keeps one worker busy alone at the end. Every worker collects the same
    order (xdist requires it); a run in one process keeps the usual order."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    slow = {item.nodeid.split("::", 1)[0] for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.nodeid.split("::", 1)[0] not in slow)
