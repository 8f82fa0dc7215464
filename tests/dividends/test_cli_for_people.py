"""The command line as people use it (issue 12 item 9): amounts never cut in a narrow or piped
terminal, ``--help`` without type labels, a reason whenever there is nothing to do, documents
in the village's language whatever the operator's locale."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from dividends.cli import app
from dividends.cli.lazy import _Placeholder
from schemes.money import format_yuan
from tests.dividends.support import ROOT, SampleFiles, sample_files


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> SampleFiles:
    return sample_files(tmp_path_factory.mktemp("registry"), households=3000, villages=2)


def _narrow(*args: str | Path, lang: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DIVIDENDS_LANG": lang, "COLUMNS": "40"}
    env.pop("DIVIDENDS_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "dividends", *map(str, args)], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120)  # piped: stdout is not a terminal


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_narrow_piped_terminal_shows_every_amount_whole(files: SampleFiles, tmp_path: Path, lang: str) -> None:
    out = tmp_path / "out"
    done = _narrow("compute", "--scheme", "tourism-cooperative", "--registry", files.households, "--members", files.members,
                   "--posts", files.posts, "--returns", files.returns, "--period", "2024", "--out", out, lang=lang)
    assert done.returncode == 0, done.stderr
    summary = pl.read_csv(out / "summary.csv")
    steps = summary.group_by("step_index").agg(pl.col("paid_fen").sum(), pl.col("shortfall_fen").sum())
    pools = summary.filter(pl.col("step_index") == 1).select("village_id", "available_fen")
    wanted = [format_yuan(int(v)) for v in [*steps["paid_fen"], *steps["shortfall_fen"], *pools["available_fen"]]]
    assert any(len(w) >= 10 for w in wanted), "the sample should have amounts wider than a folded column"
    assert "…" not in done.stdout
    for amount in wanted:
        assert re.search(rf"(?<![\d,.]){re.escape(amount)}(?![\d,.])", done.stdout), (amount, done.stdout)


def _commands() -> list[list[str]]:
    from typer._click import Context
    from typer.main import get_command

    found: list[list[str]] = []

    def walk(command: object, path: list[str]) -> None:
        found.append(path)
        if hasattr(command, "list_commands"):
            ctx = Context(command)  # type: ignore[arg-type]
            for name in command.list_commands(ctx):  # type: ignore[attr-defined]
                sub = command.get_command(ctx, name)  # type: ignore[attr-defined]
                walk(sub.lazy.load(name) if isinstance(sub, _Placeholder) else sub, [*path, name])
    walk(get_command(app), [])
    return found


def test_every_commands_help_reads_without_type_labels() -> None:
    runner = CliRunner()
    commands = _commands()
    assert ["notify", "estimate"] in commands and ["village", "language"] in commands and len(commands) > 40
    for path in commands:
        shown = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "120"})
        assert shown.exit_code == 0, (path, shown.output)
        labels = re.findall(r"<(?:bool|str|int|float|path|text|list\[[^\]]*\])>", shown.output)
        assert not labels, (path, labels, shown.output)


def test_the_scheme_list_in_a_narrow_chinese_terminal_keeps_its_headers_and_speaks_in_step_names() -> None:
    from schemes.presets import load_preset, preset_names
    done = _narrow("schemes", "list", lang="zh")
    assert done.returncode == 0, done.stderr
    header = "".join(line for line in done.stdout.splitlines()[:4])
    assert "版" in header and "本" in header  # a Chinese figure header wraps by character, never vanishes
    body = [line.split("│")[1:-1] for line in done.stdout.splitlines() if line.startswith("│")]
    ids, steps = ("".join(cells[k].strip() for cells in body) for k in (0, 3))  # folded cells, read on
    for name in preset_names():
        assert name in ids  # folded across lines, never cut
        for step in load_preset(name).steps:
            assert step.label.text("zh") in steps and step.kind not in steps


def test_compare_names_household_statuses_by_label(files: SampleFiles) -> None:
    done = _narrow("compare", "--scheme", "golden-chicken", "--vs", "shareholding", "--registry", files.households,
                   "--members", files.members, "--posts", files.posts, "--returns", files.returns, "--period", "2024",
                   lang="zh")
    assert done.returncode == 0, done.stderr
    assert "贫困户" in done.stdout and "一般户" in done.stdout
    assert not re.search(r"(?<![A-Za-z_])(poor|non_poor|exited|monitored)(?![A-Za-z_])", done.stdout), done.stdout[:2000]
