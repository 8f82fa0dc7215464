"""Plain option values converted without typer's pydantic validators (dividends.cli.params) give
what typer's own converter gives: the same value, or the same refusal and exit code."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import pytest
import typer
from typer import core
from typer.testing import CliRunner

from dividends.cli import params

INTS = ["0", "7", "007", "2024", "-1", "-0", "+5", " 5", "5 ", "1_000", "1e3", "1.0", "1.5", "abc", "", "٣", "５",
        "999999999999999999", "9999999999999999999", "99999999999999999999999", "0x10", "5\n", "2024年"]
STRS = ["x", "", "  spaced  ", "中文", "--", "-", "tourism-cooperative", "a=b", "\t", "é", "1"]
PATHS = ["a.csv", "", "-", "dir/", ".", "..", "~/x.csv", "中文.csv", "a b.csv", "/", "//x", "EXISTING", "EXISTING_DIR",
         "EXISTING/missing", "a\\b"]


def _app(seen: list[object]) -> typer.Typer:
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)

    @app.command()
    def run(number: Annotated[int, typer.Option("--number")] = 1,
            maybe: Annotated[Optional[int], typer.Option("--maybe")] = None,
            ranged: Annotated[int, typer.Option("--ranged", min=1, max=9)] = 1,
            word: Annotated[str, typer.Option("--word")] = "w",
            maybe_word: Annotated[Optional[str], typer.Option("--maybe-word")] = None,
            flag: Annotated[bool, typer.Option("--flag")] = False,
            switch: Annotated[bool, typer.Option("--switch/--no-switch")] = True,
            path: Annotated[Path, typer.Option("--path")] = Path("p"),
            maybe_path: Annotated[Optional[Path], typer.Option("--maybe-path")] = None,
            existing: Annotated[Optional[Path], typer.Option("--existing", exists=True)] = None,
            file_only: Annotated[Optional[Path], typer.Option("--file-only", exists=True, dir_okay=False)] = None,
            dir_only: Annotated[Optional[Path], typer.Option("--dir-only", file_okay=False)] = None,
            resolved: Annotated[Optional[Path], typer.Option("--resolved", resolve_path=True)] = None,
            dash: Annotated[Optional[Path], typer.Option("--dash", allow_dash=True)] = None) -> None:
        seen.append((number, maybe, ranged, word, maybe_word, flag, switch, path, maybe_path, existing, file_only,
                     dir_only, resolved, dash))
        for value in seen[-1]:  # the types too: a Path is a Path, an int an int
            seen.append(type(value).__name__)

    return app


def _cases(tmp_path: Path) -> list[list[str]]:
    existing = tmp_path / "here.csv"
    existing.write_text("x", encoding="utf-8")
    cases: list[list[str]] = [[]]
    cases += [[option, value] for option in ("--number", "--maybe", "--ranged") for value in INTS]
    cases += [[option, value] for option in ("--word", "--maybe-word") for value in STRS]
    for option in ("--path", "--maybe-path", "--existing", "--file-only", "--dir-only", "--resolved", "--dash"):
        for value in PATHS:
            value = value.replace("EXISTING_DIR", str(tmp_path)).replace("EXISTING", str(existing))
            cases.append([option, value])
    cases += [["--flag"], ["--no-switch"], ["--switch"], ["--flag", "--no-switch", "--number", "3", "--path", "q"],
              ["--number"], ["--number", "1", "--number", "2"]]
    return cases


def _outcomes(cases: list[list[str]], get_runtime_param: object, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    monkeypatch.setattr(core._TyperParameter, "get_runtime_param", get_runtime_param)
    runner = CliRunner()
    outcomes: list[object] = []
    for argv in cases:
        seen: list[object] = []
        result = runner.invoke(_app(seen), argv, env={"COLUMNS": "200", "NO_COLOR": "1"})
        outcomes.append((argv, result.exit_code, result.output, seen, type(result.exception).__name__))
    return outcomes


def test_plain_values_convert_as_typer_converts_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cases = _cases(tmp_path)
    assert len(cases) > 130
    ours = _outcomes(cases, params._get_runtime_param, monkeypatch)
    typers = _outcomes(cases, params.TYPER_GET_RUNTIME_PARAM, monkeypatch)
    for mine, theirs in zip(ours, typers, strict=True):
        assert mine == theirs
    assert sum(1 for o in ours if o[1] == 0) > 60 and sum(1 for o in ours if o[1] == 2) > 20  # both kinds seen


def test_the_plain_converter_serves_plain_parameters_only() -> None:
    from typer._coercion import resolve_type_descriptor
    from typer.models import OptionInfo

    def descriptor(annotation: object, **info: object):  # type: ignore[no-untyped-def]
        return resolve_type_descriptor(annotation, OptionInfo(**info))  # type: ignore[arg-type]

    for annotation in (str, int, bool, Path):
        assert isinstance(params.plain(descriptor(annotation)), params.PlainParam)
    assert params.plain(descriptor(int, min=1)) is None
    assert params.plain(descriptor(float)) is None
    assert params.plain(descriptor(list[str])) is None
    assert params.plain(descriptor(str, parser=str.upper)) is None
