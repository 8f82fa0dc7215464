"""``make mutation``'s bookkeeping (tests/mutation.py) without running mutmut: each package's
workspace table, the score, mutants judged equivalent, the survivors re-tested."""
from __future__ import annotations

import tomllib
from pathlib import Path

from tests import mutation

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = (ROOT / "pyproject.toml").read_text(encoding="utf-8")


def test_every_package_gets_one_mutmut_table_with_its_modules_and_tests() -> None:
    data = tomllib.loads(PYPROJECT)
    for name, spec in mutation.packages(data).items():
        table = tomllib.loads(mutation.workspace_pyproject(PYPROJECT, name))["tool"]
        assert "mutation" not in table, name
        assert table["mutmut"]["only_mutate"] == spec["only_mutate"]
        selection = table["mutmut"]["pytest_add_cli_args_test_selection"]
        assert selection[:len(spec["tests"])] == spec["tests"]
        assert selection.count("--deselect") == len(spec.get("deselect", []))
        for path in spec["tests"]:
            assert path.startswith("-") or (ROOT / path).exists() or path in {"not db"}, (name, path)


def test_every_equivalent_mutant_is_listed_with_a_reason() -> None:
    for name, spec in mutation.packages(tomllib.loads(PYPROJECT)).items():
        for mutant, reason in spec.get("equivalent", {}).items():
            assert "__mutmut_" in mutant and len(reason) > 10, (name, mutant)


def test_the_score_leaves_out_skipped_unchecked_and_equivalent_mutants() -> None:
    statuses = {"m.x_f__mutmut_1": "killed", "m.x_f__mutmut_2": "survived", "m.x_f__mutmut_3": "no tests",
                "m.x_f__mutmut_4": "timeout", "m.x_f__mutmut_5": "skipped", "m.x_f__mutmut_6": "not checked",
                "m.x_f__mutmut_7": "survived", "m.x_f__mutmut_8": "caught by type check", "m.x_f__mutmut_9": "killed"}
    equivalent = {"m.x_f__mutmut_7": "the same", "m.x_f__mutmut_9": "wrongly listed", "m.x_f__mutmut_6": "unchecked"}
    judged = mutation.judged(statuses, equivalent)
    assert judged["m.x_f__mutmut_7"] == "equivalent"
    assert judged["m.x_f__mutmut_9"] == "killed" and judged["m.x_f__mutmut_6"] == "not checked"
    assert mutation.score(judged) == (3, 6, 0.5)
    assert mutation.survivors_among(judged, []) == ["m.x_f__mutmut_2", "m.x_f__mutmut_3", "m.x_f__mutmut_4"]
    assert mutation.survivors_among(judged, ["m.x_f__mutmut_[23]"]) == ["m.x_f__mutmut_2", "m.x_f__mutmut_3"]
    assert "m: 3/6" in mutation.report("p", judged) and "1 equivalent left out" in mutation.report("p", judged)


def test_a_sample_is_the_same_for_the_same_seed_whatever_the_order_of_the_names() -> None:
    names = [f"m.x_f__mutmut_{i}" for i in range(1, 200)]
    drawn = mutation.sample(names, 40, seed=1)
    assert len(drawn) == len(set(drawn)) == 40 and set(drawn) <= set(names)
    assert mutation.sample(list(reversed(names)), 40, seed=1) == drawn
    assert mutation.sample(names, 40, seed=2) != drawn
    assert mutation.sample(names[:10], 40, seed=1) == sorted(names[:10])


def test_a_sample_can_be_drawn_from_one_module_of_a_package() -> None:
    names = [f"p.{module}.x_f__mutmut_{i}" for module in ("a", "b") for i in range(1, 100)]
    among = mutation.matching(names, ["p.b.*"])
    assert len(among) == 99 and all(n.startswith("p.b.") for n in among)
    assert mutation.matching(names, []) == names
    drawn = mutation.sample(among, 40, seed=5)
    assert len(drawn) == 40 and all(n.startswith("p.b.") for n in drawn)


def test_the_import_warm_up_reads_the_preload_list_and_the_list_names_modules() -> None:
    table = tomllib.loads(mutation.workspace_pyproject(PYPROJECT, "schemes-money"))["tool"]["mutmut"]
    assert table["forkserver_warmup"] == "import" and table["preload_modules_file"] == mutation.PRELOAD
    assert "ignore::pytest.PytestAssertRewriteWarning" in table["pytest_add_cli_args"]
    listed = [line.strip() for line in (ROOT / mutation.PRELOAD).read_text(encoding="utf-8").splitlines()
              if line.strip() and not line.startswith("#")]
    assert "polars" in listed and all(name.replace(".", "").replace("_", "").isalnum() for name in listed)
    # no test module: their module-level data must be built under the mutant
    assert not [name for name in listed if name.rsplit(".", 1)[-1].startswith("test_")]
