"""Generated examples that do not depend on what else the test process has imported.

Hypothesis (since 6.131) draws about one value in twenty of its integers, floats, strings and
bytes from a pool of the literals it finds in the source of every *local* module in
``sys.modules`` (the product's modules; not the tests, not site-packages), and the pool grows as
modules are imported (``hypothesis.internal.conjecture.providers._get_local_constants``). Which
product modules a pytest process holds depends on which tests ran before in it, so the examples
of a property test, even a derandomized one, changed with the tests before it: the random-scheme
property reached the invariants in 122 of 124 examples alone, 128 of 130 after an import of
``dividends``, 119 of 124 after ``dividends``, ``notify``, ``support`` and ``schemes``, and once
114 of 129 (88%, under its 90% floor) in an ``-n 2`` worker that had run dividends tests first.
The pool also changes with any literal edited anywhere in the product, and with every mutant
of a mutation run.

:func:`drop_local_constants` empties that pool for the whole test session (``tests/conftest.py``
calls it at import); the global pool of Hypothesis's own constants (boundary values such as 0,
-1, 2**63, NaN, empty and odd strings) is kept. ``tests/test_stable_examples.py`` checks that
importing a module full of new literals no longer changes a derandomized test's examples, so a
Hypothesis release that moves the hook fails there rather than bringing the flake back quietly.
"""
from __future__ import annotations

from hypothesis.internal.conjecture import providers
from hypothesis.internal.constants_ast import Constants

_EMPTY = Constants()


def _no_local_constants() -> Constants:
    return _EMPTY


def drop_local_constants() -> None:
    """Make Hypothesis draw no literals of the process's own modules (see the module's text)."""
    if hasattr(providers, "_get_local_constants"):
        providers._get_local_constants = _no_local_constants
        providers.CONSTANTS_CACHE.cache.clear()  # allowed constants computed from an older pool
