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


def test_every_example_written_in_a_module_is_one_the_suite_runs() -> None:
    """An example the doctest finder does not see (in a comment, in a function defined elsewhere,
    behind a decorator that hides ``__module__``) would never run: every ``>>>`` line of every
    module of schemes/, notify/, dividends/ and support/ is an example of a docstring found."""
    import re
    from pathlib import Path

    import schemes

    names = MODULES + sorted(m.name for m in pkgutil.walk_packages(schemes.__path__, "schemes."))
    unseen = {}
    for name in names:
        module = importlib.import_module(name)
        if not (module.__file__ or "").endswith(".py"):  # a compiled extension (the registry's _linescan): no source
            continue
        written = len(re.findall(r"^\s*>>> ", Path(module.__file__ or "").read_text(encoding="utf-8"), re.M))
        found = sum(len(test.examples) for test in doctest.DocTestFinder().find(module))
        if written != found:
            unseen[name] = (written, found)
    assert not unseen, f"(>>> lines, examples found) per module: {unseen}"
