"""``make mutation``: mutmut over one package at a time, each with its own fast tests, then the
score per package.

    python -m tests.mutation [PACKAGE ...] [--max-children N] [--mutants GLOB ...] [--survivors]
                             [--sample N [--seed S]]

The packages, the modules each mutates and the tests each runs are the ``[tool.mutation.*]``
tables of ``pyproject.toml``; the options common to all are its ``[tool.mutmut]`` table. mutmut
reads one ``[tool.mutmut]`` table from the ``pyproject.toml`` of the directory it runs in and keeps
its mutants and test statistics in that directory's ``mutants/``, so each package runs in its own
workspace ``.cache/mutation/<package>/``: symbolic links to the source and the tests, and a
``pyproject.toml`` whose ``[tool.mutmut]`` table is the common one plus the package's
``only_mutate`` and test selection. A second run resumes: mutmut re-tests only what changed.

Score = killed / (mutants - skipped); a mutant no selected test reaches ("no tests") counts as a
survivor, and so does a timeout (check those by hand: ``mutmut show NAME`` in the workspace),
except one whose module fails to import with it and imports without it: mutmut reports those as
timeouts, and they are counted as ``killed at import`` (:func:`killed_at_import`).
Mutants judged equivalent (no test can tell them from the original) are listed by name with the
reason in ``[tool.mutation.<package>.equivalent]`` and left out of the score (README, "Mutation
testing", lists them); a listed mutant that a test kills is reported. Not run by CI: it takes long on purpose.

``--sample N --seed S`` scores a random sample of the package's mutants (with ``--mutants``: of
those matching the globs, e.g. one module's) instead of all of them
(the same N and S pick the same mutants as long as the mutated modules do not change): the
mutants are generated first, N are drawn, those not yet checked are tested (with ``--survivors``:
the sample's survivors are re-tested) and the score is printed over the sample, with its size.

The fork server of mutmut imports the modules listed in ``tests/mutation_preload.txt`` once
(``forkserver_warmup = "import"``); every mutant's run forks from it, so pytest, polars, numpy,
hypothesis and the product modules are not imported again per mutant. Nothing there may start
polars' thread pool (importing polars does not; computing a frame does), and no test module with
module-level data is listed: its data must be built under the mutant, as without the preload.
"""
from __future__ import annotations

import argparse
import fnmatch
import json
import os
import random
import shutil
import subprocess
import sys
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / ".cache" / "mutation"
LINKED = ("schemes", "dividends", "notify", "support", "tests")
# A timeout is not counted as killed: a broken worker setup (a hung or crashed child) shows up
# as timeouts, and counting them would inflate the score. Timeouts are listed per module.
KILLED = {"killed", "caught by type check", "killed at import"}
GOAL = 0.90
PRELOAD = "tests/mutation_preload.txt"  # relative to the workspace (its tests/ links to ours)
UNCOUNTED = {"skipped", "not checked", "equivalent"}


def packages(pyproject: dict) -> dict[str, dict]:
    return dict(pyproject["tool"]["mutation"])


def _toml_value(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)  # strings, lists, numbers and booleans: valid TOML


def _without_mutation_tables(text: str) -> list[str]:
    """The lines of ``pyproject.toml`` outside ``[tool.mutmut]`` and ``[tool.mutation.*]``."""
    out, skipping = [], False
    for line in text.splitlines():
        if line.startswith("["):
            skipping = line.startswith(("[tool.mutmut]", "[tool.mutation."))
        if not skipping:
            out.append(line)
    return out


def workspace_pyproject(text: str, name: str) -> str:
    """``pyproject.toml`` for the package's workspace: the project's own, with one
    ``[tool.mutmut]`` table made of the common options and the package's selection."""
    data = tomllib.loads(text)
    spec = packages(data)[name]
    table = dict(data["tool"]["mutmut"])
    table["only_mutate"] = spec["only_mutate"]
    selection = list(spec["tests"])
    for node in spec.get("deselect", []):
        selection += ["--deselect", node]
    table["pytest_add_cli_args_test_selection"] = selection
    if table.get("forkserver_warmup") == "import":
        table.setdefault("preload_modules_file", PRELOAD)
    lines = _without_mutation_tables(text) + ["", "[tool.mutmut]"]
    lines += [f"{key} = {_toml_value(value)}" for key, value in table.items()]
    return "\n".join(lines) + "\n"


def equivalent_list(pyproject: dict) -> list[str]:
    """The README's list of mutants judged equivalent ("Mutation testing"), one Markdown line per
    entry of the ``[tool.mutation.<package>.equivalent]`` tables, in their order:
    ``python -m tests.mutation --equivalent-list`` prints it to paste, and
    ``tests/test_mutation_readme.py`` fails when the README's list differs."""
    return [f"- `{mutant}`: {reason}" for spec in packages(pyproject).values()
            for mutant, reason in spec.get("equivalent", {}).items()]


def prepare(name: str) -> Path:
    here = WORK / name
    here.mkdir(parents=True, exist_ok=True)
    for entry in LINKED:
        link = here / entry
        if not link.is_symlink():
            link.symlink_to(ROOT / entry, target_is_directory=True)
    text = workspace_pyproject((ROOT / "pyproject.toml").read_text(encoding="utf-8"), name)
    target = here / "pyproject.toml"
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        target.write_text(text, encoding="utf-8")
    return here


def refresh_copies(here: Path, only_mutate: list[str]) -> int:
    """Bring the unmutated files of the workspace's ``mutants/`` copy up to date with the source.

    mutmut copies the source tree once and never refreshes a file that exists, so after a merge
    the copy keeps old message catalogs and modules (a "clean test" then fails). Mutated modules
    are left to mutmut (it regenerates them when their source changes). Returns the number of
    files copied."""
    copy = here / "mutants"
    if not copy.is_dir():
        return 0
    copied = 0
    for entry in LINKED:
        for source in (ROOT / entry).rglob("*"):
            relative = source.relative_to(ROOT)
            if not source.is_file() or "__pycache__" in relative.parts:
                continue
            if any(fnmatch.fnmatchcase(relative.as_posix(), pattern) for pattern in only_mutate):
                continue
            target = copy / relative
            here_stat = source.stat()
            if target.exists() and target.stat().st_size == here_stat.st_size and \
                    target.stat().st_mtime == here_stat.st_mtime:
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
            copied += 1
    return copied


GENERATE = """
import os
from mutmut.__main__ import copy_also_copy_files, copy_src_dir, create_mutants, setup_source_paths
from mutmut.mutation.trampoline import set_mutant_under_test
set_mutant_under_test("mutant_generation")
os.makedirs("mutants", exist_ok=True)
copy_src_dir()
copy_also_copy_files()
setup_source_paths()
create_mutants(1)
"""


def generate(here: Path) -> None:
    """Let mutmut generate (or bring up to date) the package's mutants without testing any: what
    ``mutmut run`` does first. A sample is drawn from them."""
    subprocess.run(["nice", "-n", "10", sys.executable, "-c", GENERATE], cwd=here, check=True,
                   stdout=subprocess.DEVNULL)


def sample(names: list[str], size: int, seed: int) -> list[str]:
    """``size`` of the mutant ``names``, drawn with ``seed``: the same names, size and seed give
    the same sample (the names are sorted first, whatever order mutmut lists them in)."""
    ordered = sorted(names)
    return sorted(random.Random(seed).sample(ordered, min(size, len(ordered))))


def matching(names: list[str], patterns: list[str]) -> list[str]:
    """The mutant ``names`` matching one of the globs ``patterns`` (none: all): with ``--mutants``
    a sample is drawn from one module's mutants, e.g. ``dividends.ledger.drafts.*``."""
    return [n for n in names if not patterns or any(fnmatch.fnmatchcase(n, p) for p in patterns)]


def results(here: Path) -> dict[str, str]:
    """mutant name -> status, from ``mutmut results --all``."""
    done = subprocess.run([sys.executable, "-m", "mutmut", "results", "--all=true"], cwd=here,
                          capture_output=True, text=True, check=True)
    out = {}
    for line in done.stdout.splitlines():
        mutant, sep, status = line.strip().rpartition(": ")
        if sep and "__mutmut_" in mutant:
            out[mutant] = status
    return out


def judged(statuses: dict[str, str], equivalent: dict[str, str]) -> dict[str, str]:
    """``statuses`` with the mutants judged equivalent (``[tool.mutation.<package>.equivalent]``:
    mutant name -> why no test can tell it from the original) marked ``equivalent``; one a test
    kills was not equivalent and keeps its status (the report names it)."""
    return {m: ("equivalent" if m in equivalent and s not in KILLED | {"not checked"} else s)
            for m, s in statuses.items()}


# Imports the module named in argv[1] from the workspace's mutants/ copy (as mutmut's runs do),
# with the mutant of MUTANT_UNDER_TEST active in its trampolines; exit 0 if the import succeeds.
IMPORT_PROBE = """
import importlib, os, sys
copy = os.path.abspath("mutants")
sys.path.insert(0, copy)
module = importlib.import_module(sys.argv[1])
assert os.path.abspath(module.__file__).startswith(copy + os.sep), module.__file__
"""


def _imports(here: Path, module: str, mutant: str) -> bool:
    env = {**os.environ, "MUTANT_UNDER_TEST": mutant}
    try:
        done = subprocess.run(["nice", "-n", "10", sys.executable, "-c", IMPORT_PROBE, module], cwd=here, env=env,
                              capture_output=True, timeout=300)
    except subprocess.TimeoutExpired:
        return True  # a hang is not a failed import: the mutant stays a timeout
    return done.returncode == 0


def killed_at_import(here: Path, statuses: dict[str, str]) -> dict[str, str]:
    """``statuses`` with each timeout whose module imports without the mutant and fails to import
    with it marked ``killed at import``.

    A mutant of a function the module calls while it is imported (``policy._r`` building the rule
    table) makes the import raise: every test that imports the module errors, so the suite
    catches it. mutmut passes the tests by node id, pytest then finds no collectors and exits 4,
    mutmut takes that for a bad command, its worker exits 255, and it reports a timeout, which is
    not counted as killed (a hung worker also ends so). Probing the import itself, in a process of
    its own, tells the two apart honestly: a mutant whose import hangs, or passes, stays a
    timeout; so does every timeout of a module whose clean import fails."""
    out = dict(statuses)
    clean: dict[str, bool] = {}
    for mutant, status in statuses.items():
        if status != "timeout":
            continue
        module = module_of(mutant)
        if module not in clean:
            clean[module] = _imports(here, module, "")
        if clean[module] and not _imports(here, module, mutant):
            out[mutant] = "killed at import"
    return out


def score(statuses: dict[str, str]) -> tuple[int, int, float]:
    counted = {m: s for m, s in statuses.items() if s not in UNCOUNTED}
    killed = sum(1 for s in counted.values() if s in KILLED)
    return killed, len(counted), (killed / len(counted) if counted else 1.0)


def survivors_among(statuses: dict[str, str], patterns: list[str]) -> list[str]:
    """The mutants checked and not killed (survived, no tests, timeout...), among ``patterns``
    (globs; none: all)."""
    return sorted(m for m, s in statuses.items() if s not in KILLED | UNCOUNTED
                  and (not patterns or any(fnmatch.fnmatchcase(m, p) for p in patterns)))


def module_of(mutant: str) -> str:
    return mutant.split(".x", 1)[0].split(".xǁ", 1)[0]


def report(name: str, statuses: dict[str, str], sampled: str = "") -> str:
    """The score of ``statuses`` (all of the package's mutants, or the sample ``sampled``
    describes) and a line per module."""
    killed, total, share = score(statuses)
    unchecked = sum(1 for s in statuses.values() if s == "not checked")
    equivalent = sum(1 for s in statuses.values() if s == "equivalent")
    lines = [f"{name}{sampled}: {killed}/{total} killed = {share:.1%} (goal {GOAL:.0%})"
             + (f"; {equivalent} equivalent left out" if equivalent else "")
             + (f"; {unchecked} of {len(statuses)} mutants not yet checked: run again to resume" if unchecked else "")]
    by_module: dict[str, Counter[str]] = {}
    for mutant, status in statuses.items():
        by_module.setdefault(module_of(mutant), Counter())[status] += 1
    for module, counts in sorted(by_module.items()):
        k = sum(n for s, n in counts.items() if s in KILLED)
        t = sum(n for s, n in counts.items() if s not in UNCOUNTED)
        lines.append(f"    {module}: {k}/{t}  " + ", ".join(f"{s} {n}" for s, n in sorted(counts.items())))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    names = list(packages(pyproject))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("packages", nargs="*", help=f"some of {names} (default: all)")
    parser.add_argument("--max-children", type=int, default=1)
    parser.add_argument("--score-only", action="store_true", help="print the scores of the last runs")
    parser.add_argument("--mutants", nargs="+", default=[], metavar="GLOB",
                        help="(re)test only these mutants, e.g. 'dividends.ledger.checkpoint.*' (one package)")
    parser.add_argument("--survivors", action="store_true",
                        help="re-test only the survivors of the last run (of --mutants, if given): after adding tests")
    parser.add_argument("--sample", type=int, metavar="N",
                        help="score a random sample of N mutants of the package (one package; of --mutants, if given)")
    parser.add_argument("--seed", type=int, default=0, help="the seed of --sample (default 0)")
    parser.add_argument("--equivalent-list", action="store_true",
                        help="print the README's list of the mutants judged equivalent (from pyproject) and stop")
    args = parser.parse_args(argv)
    if args.equivalent_list:
        lines = equivalent_list(pyproject)
        print("\n".join(lines))
        return 0
    chosen = args.packages or names
    unknown = [n for n in chosen if n not in names]
    if unknown:
        parser.error(f"unknown package(s) {unknown}: choose from {names}")
    if (args.mutants or args.survivors or args.sample) and len(chosen) != 1:
        parser.error("--mutants, --survivors and --sample need exactly one package")
    if args.sample is not None and args.sample < 1:
        parser.error("--sample needs N >= 1")
    summary = []
    for name in chosen:  # one package at a time: the machine is shared
        here = prepare(name)
        drawn: list[str] = []
        pool = 0
        if args.sample:
            generate(here)
            among = matching(list(results(here)), args.mutants)
            pool = len(among)
            drawn = sample(among, args.sample, args.seed)
        if not args.score_only:
            refreshed = refresh_copies(here, pyproject["tool"]["mutation"][name]["only_mutate"])
            if refreshed:
                print(f"== {name}: {refreshed} unmutated files of the workspace copy refreshed", flush=True)
            chosen_mutants = [] if drawn else list(args.mutants)
            if drawn:
                statuses = results(here)
                chosen_mutants = (survivors_among({m: statuses[m] for m in drawn}, []) if args.survivors
                                  else [m for m in drawn if statuses[m] == "not checked"])
                if not chosen_mutants:
                    print(f"== {name}: every mutant of the sample is checked" + (" and killed" if args.survivors else ""),
                          flush=True)
            elif args.survivors:
                chosen_mutants = survivors_among(results(here), chosen_mutants)
                if not chosen_mutants:
                    print(f"== {name}: no survivors to re-test", flush=True)
            if chosen_mutants or not (args.survivors or drawn):
                print(f"== mutation testing {name} in {here}", flush=True)
                subprocess.run(["nice", "-n", "10", sys.executable, "-m", "mutmut", "run",
                                "--max-children", str(args.max_children), *chosen_mutants], cwd=here, check=False)
        equivalent = dict(pyproject["tool"]["mutation"][name].get("equivalent", {}))
        every = killed_at_import(here, results(here))
        statuses = judged(every, equivalent)
        not_equivalent = sorted(m for m in equivalent if statuses.get(m) in KILLED)
        if not_equivalent:
            print(f"{name}: listed as equivalent but killed (remove from the list): {not_equivalent}")
        unknown_equivalent = sorted(m for m in equivalent if m not in statuses)
        if unknown_equivalent:
            print(f"{name}: listed as equivalent but no such mutant (the function changed?): {unknown_equivalent}")
        survivors = survivors_among(statuses, [])  # checked and not killed (not the unchecked)
        (here / "survivors.txt").write_text("".join(f"{m}: {statuses[m]}\n" for m in survivors), encoding="utf-8")
        if drawn:
            summary.append(report(name, {m: statuses[m] for m in drawn},
                                  f" (sample of {len(drawn)} of {pool} mutants"
                                  + (f" matching {' '.join(args.mutants)}" if args.mutants else "")
                                  + f", seed {args.seed})"))
        else:
            summary.append(report(name, statuses))
    print("\n".join(["", "Mutation score per package", *summary]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
