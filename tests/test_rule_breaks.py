"""The rule breaks of ``tests/rule_breaks.py`` (run by hand: each breaks one run rule in the
product code and expects tests/dividends/test_runs_usecases.py to fail) still find the code they
break: each names one place, exactly once, and changes it."""
import pytest

from tests.rule_breaks import BREAKS, ROOT


@pytest.mark.parametrize(("name", "path", "old", "new"), BREAKS, ids=[b[0] for b in BREAKS])
def test_each_break_still_finds_the_code_it_breaks(name: str, path: str, old: str, new: str) -> None:
    assert old != new
    assert (ROOT / path).read_text(encoding="utf-8").count(old) == 1, f"{name}: {path} no longer holds the code once"


def test_the_breaks_have_distinct_names() -> None:
    names = [b[0] for b in BREAKS]
    assert len(names) == len(set(names))
