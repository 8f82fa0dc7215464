"""``make mutation`` counts a mutant that makes its module fail to import as killed, and only such
a one (``tests.mutation.killed_at_import``): mutmut reports it as a timeout."""
from __future__ import annotations

from pathlib import Path

from tests.mutation import KILLED, killed_at_import, score

FAILS = "reach_fake_pkg.rules.x_build__mutmut_1"


def _workspace(tmp_path: Path) -> Path:
    package = tmp_path / "mutants" / "reach_fake_pkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    # as mutmut's trampoline does for a function called at import: the active mutant raises
    (package / "rules.py").write_text(
        "import os\n"
        f"if os.environ.get('MUTANT_UNDER_TEST') == {FAILS!r}:\n"
        "    raise TypeError(\"Rule.__init__() missing 1 required positional argument: 'roles'\")\n"
        "RULES = {'village.read': 1}\n", encoding="utf-8")
    (package / "broken.py").write_text("raise ImportError('broken without any mutant')\n", encoding="utf-8")
    return tmp_path


def test_a_timeout_whose_module_fails_to_import_under_it_is_killed_and_no_other(tmp_path: Path) -> None:
    here = _workspace(tmp_path)
    statuses = {
        FAILS: "timeout",
        "reach_fake_pkg.rules.x_build__mutmut_2": "timeout",  # imports fine: a hang, say; stays
        "reach_fake_pkg.rules.x_build__mutmut_3": "survived",  # not a timeout: never probed
        "reach_fake_pkg.broken.x_f__mutmut_1": "timeout",  # the clean import fails too: stays
    }
    got = killed_at_import(here, statuses)
    assert got == {**statuses, FAILS: "killed at import"}
    assert "killed at import" in KILLED
    assert score(got) == (1, 4, 0.25)
