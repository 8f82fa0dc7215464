"""The README's list of mutants judged equivalent is the ``[tool.mutation.<package>.equivalent]``
tables of pyproject, entry for entry (``python -m tests.mutation --equivalent-list`` writes it)."""
from __future__ import annotations

import re
import tomllib

from tests.mutation import ROOT, equivalent_list

HEAD = "**Mutants judged equivalent**"


def test_the_readmes_equivalent_mutants_are_those_of_pyproject() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    expected = equivalent_list(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8")))
    section = readme[readme.index(HEAD):]
    intro, listed = section.split("\n\n", 2)[:2]
    assert listed.splitlines() == expected, "README out of date: python -m tests.mutation --equivalent-list"
    count = re.search(r"(\d+) mutants\):$", intro)
    assert count and int(count.group(1)) == len(expected)
