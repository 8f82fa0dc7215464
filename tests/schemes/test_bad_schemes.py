"""One bad scheme file per kind of mistake, each with the message the user must see.

The first line of each file under bad/ says ``# expect: <text>``; the rendered English problem
list must contain that text (file name, line and key path included).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from schemes.loader import load_scheme
from schemes.problems import InputError

BAD = sorted((Path(__file__).parent / "bad").glob("*.yaml"))


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_bad_scheme_is_refused_with_a_located_message(path: Path) -> None:
    expected = path.read_text(encoding="utf-8").splitlines()[0].removeprefix("# expect: ")
    with pytest.raises(InputError) as caught:
        load_scheme(path, display_name=path.name)
    assert expected in caught.value.text("en")


def test_messages_read_in_chinese_too() -> None:
    path = Path(__file__).parent / "bad" / "bad-percent.yaml"
    with pytest.raises(InputError) as caught:
        load_scheme(path, display_name=path.name)
    assert "bad-percent.yaml，第 14 行，键 steps[0].percent: 应为百分比（如 30 或 12.5），实际为 thirty" in caught.value.text("zh")


def test_every_problem_of_a_file_is_reported_at_once(tmp_path: Path) -> None:
    path = tmp_path / "many.yaml"
    path.write_text(
        "id: Bad Id\nversion: zero\neffective: 2020-01-01\ntitle: t\ndescription: d\n"
        "accounts: {carry_over: {label: c}}\nsteps:\n  - {id: a, kind: carve_out, to: nowhere, percent: x}\n"
        "  - {id: carry, kind: remainder, to: carry_over}\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as caught:
        load_scheme(path, display_name="many.yaml")
    keys = [p.key for p in caught.value.problems]
    assert keys == ["id", "version", "steps[0].percent", "steps[0].to"]
