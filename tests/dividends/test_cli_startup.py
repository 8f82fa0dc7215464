"""The light commands start without the heavy modules (issue 13), and the lazy command table
says what the commands it stands for say. Not a timing test: which modules a fresh process has
imported after the command ran (``bench/startup.py`` measures the time)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[2]

HEAVY = ("polars", "numpy", "tortoise", "pypika_tortoise", "aiosqlite", "asyncpg", "starlette", "uvicorn",
         "jinja2", "httpx", "twilio", "dividends.store", "dividends.web", "dividends.compute",
         "dividends.registry", "dividends.usecases")

PROBE = """
import json, sys
sys.argv = ["dividends", *json.loads(sys.argv[1])]
import dividends.cli
from dividends.cli import main
dividends.cli._exit_at_once = lambda: None  # a command ending the process at once would leave no report
try:
    main()
except SystemExit as stop:
    code = stop.code
else:
    code = 0
print("\\n" + json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def imported_by(*argv: str) -> tuple[int, set[str]]:
    """The exit code and the modules of a fresh ``dividends *argv`` process."""
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(argv)], capture_output=True, text=True,
                          cwd=ROOT, env={"PATH": "", "DIVIDENDS_LANG": "en", "PYTHONPATH": str(ROOT)}, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    return report["code"], set(report["modules"])


def heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


@pytest.mark.parametrize("argv", [("--help",), ("schemes", "list"), ("schemes", "--help"), ()])
def test_light_commands_import_no_orm_web_or_polars(argv: tuple[str, ...]) -> None:
    code, modules = imported_by(*argv)
    assert code in (0, 2)  # no arguments: the help, exit 2 (click's no_args_is_help)
    assert "dividends.cli" in modules
    assert heavy(modules) == []


def test_the_probe_sees_heavy_modules_where_a_command_needs_them() -> None:
    # the same probe on a computing command's help: its module (polars, the computation) is
    # loaded; `compute` itself loads them only once it runs (its input copies start first)
    code, modules = imported_by("demo", "--help")
    assert code == 0
    assert "polars" in heavy(modules) and "dividends.compute" in modules
    code, modules = imported_by("compute", "--help")
    assert code == 0 and "dividends.cli.computing" in modules and "dividends.staging" in modules
    assert heavy(modules) == [] and "dividends.compute" not in modules
    code, modules = imported_by("run", "--help")
    assert code == 0
    assert "dividends.store.db" in modules


def test_the_table_help_is_the_commands_own_help() -> None:
    from dividends.cli import COMMANDS

    for name, lazy in COMMANDS.items():
        command = lazy.load(name)
        assert command.name == name
        first = (command.help or "").strip().split("\n\n")[0].replace("\n", " ")
        assert first == lazy.help, name


def test_every_command_runs_through_the_table() -> None:
    from dividends.cli import COMMANDS, app

    runner = CliRunner()
    listing = runner.invoke(app, ["--help"], env={"DIVIDENDS_LANG": "en", "COLUMNS": "200"})
    assert listing.exit_code == 0
    for name in COMMANDS:
        assert f" {name} " in listing.output
        result = runner.invoke(app, [name, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, (name, result.output)
        assert "Usage:" in result.output and name in result.output
    typo = runner.invoke(app, ["schemse"])
    assert typo.exit_code == 2 and "schemes" in typo.output
    assert isinstance(app, typer.Typer)


def test_a_compute_imports_neither_pydantic_nor_babel_nor_phonenumbers(tmp_path: Path) -> None:
    # issue 13: the compute path converts its options without typer's pydantic validators
    # (dividends.cli.params), reads its messages with gettext and its phone patterns from
    # notify.phones; a real computation on sample files, in a fresh process
    from support.sample import generate, write_csv

    files = write_csv(generate(200, 3, seed=7), tmp_path)
    code, modules = imported_by("compute", "--scheme", "tourism-cooperative", "--registry", str(files["households"]),
                                "--returns", str(files["returns"]), "--period", "2024", "--out", str(tmp_path / "out"))
    assert code == 0
    assert (tmp_path / "out" / "allocations.csv").exists()
    assert sorted(m for m in modules if m.split(".")[0] in ("pydantic", "pydantic_core", "babel", "phonenumbers")) == []


def test_a_compute_ends_its_process_at_once_with_everything_written(tmp_path: Path) -> None:
    # compute ends with os._exit(0) once every file is written (no interpreter teardown): the exit
    # code, the whole output on a pipe and the bundle are as with the usual exit, and a failing
    # compute still exits the usual way with its code
    from support.sample import generate, write_csv

    files = write_csv(generate(200, 3, seed=7), tmp_path)
    argv = ["compute", "--scheme", "tourism-cooperative", "--registry", str(files["households"]),
            "--returns", str(files["returns"]), "--period", "2024", "--out", str(tmp_path / "out")]
    env = {"PATH": "", "DIVIDENDS_LANG": "en", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "dividends", *argv], capture_output=True, text=True, cwd=ROOT,
                          env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().splitlines()[-1].startswith("wrote ") and "content_hash" in done.stdout
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["content_hash"][:16] in done.stdout
    verified = subprocess.run([sys.executable, "-m", "dividends", "verify", str(tmp_path / "out")], capture_output=True,
                              text=True, cwd=ROOT, env=env, timeout=120)
    assert verified.returncode == 0, verified.stderr
    again = subprocess.run([sys.executable, "-m", "dividends", *argv], capture_output=True, text=True, cwd=ROOT,
                           env=env, timeout=120)
    assert again.returncode == 2 and "Traceback" not in again.stderr  # the directory exists: refused
