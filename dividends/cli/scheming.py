"""``dividends schemes list|show|validate``."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from dividends.cli.console import out, say, show_problems, table, text
from schemes.describe import describe, describe_rules
from schemes.i18n import current_language
from schemes.loader import load_scheme
from schemes.policy import evaluate, load_profile, profile_names
from schemes.presets import load_preset, preset_names
from schemes.problems import InputError

app = typer.Typer(help="Scheme files: list the presets, show one readably, validate files.", no_args_is_help=True)


@app.command("list")
def list_() -> None:
    """The preset schemes."""
    lang = current_language()
    t = table(text("cli.col.id"), text("cli.col.version"), text("cli.col.title"), text("cli.col.steps"), text=(0, 2, 3))
    for name in preset_names():
        s = load_preset(name)
        t.add_row(name, str(s.version), s.title.text(lang), " → ".join(step.label.text(lang) for step in s.steps))
    out.print(t)


@app.command()
def show(scheme: Annotated[str, typer.Argument(help="a preset name or a scheme file")]) -> None:
    """A scheme in plain words, step by step, with the source of every number."""
    from dividends.compute import resolve_scheme  # the registry readers (polars): only here
    lang = current_language()
    s = resolve_scheme(scheme).scheme
    out.print(s.title.text(lang), style="bold", markup=False)
    say("cli.show.effective", date=s.effective.isoformat(), version=s.version, id=s.id)
    out.print(s.description.strip(), markup=False)
    if s.source:
        say("cli.show.source", source=s.source)
    if s.assumptions:
        say("cli.show.assumptions")
        for a in s.assumptions:
            out.print(f"  - {a}", markup=False)
    say("cli.show.steps")
    for d in describe(s, lang):
        out.print(f"  {d.index}. {d.label}: {d.sentence}", markup=False)
        for key, source in d.sources:
            say("cli.show.note", key=key, source=source)
    for rule in describe_rules(s, lang):
        out.print(f"  - {rule}", markup=False)
    for key, source in s.notes.items():
        if key.startswith("deductions."):
            say("cli.show.note", key=key, source=source)


@app.command()
def validate(files: Annotated[list[Path], typer.Argument(help="scheme files to check")],
             profile: Annotated[Optional[str], typer.Option("--profile", help="a policy profile (built in: "
                                                            + ", ".join(profile_names()) + ") or a profile file")] = None,
             strict: Annotated[bool, typer.Option("--strict", help="numbers without a source are errors")] = False) -> None:
    """Check scheme files; every problem with its line and key. A number without a source is a
    warning (an error with --strict). With --profile, each policy rule passes, fails or is
    decided on each run. Exit 2 if a file is invalid, 1 if a policy rule fails."""
    rules = load_profile(profile) if profile else None
    bad = failed = False
    for path in files:
        try:
            s = load_scheme(path, display_name=str(path))
        except InputError as error:
            show_problems(error.problems)
            bad = True
            continue
        if s.warnings:
            say("cli.schemes.warnings" if not strict else "cli.schemes.strict", count=len(s.warnings), file=str(path))
            show_problems(s.warnings)  # type: ignore[arg-type]
            bad = bad or strict
            if strict:
                continue
        say("cli.schemes.valid", file=str(path), id=s.id, version=s.version, steps=len(s.steps))
        if rules is not None:
            say("cli.schemes.profile", profile=rules.title.text(current_language()))
            for result in evaluate(rules, s):
                out.print("  " + result.text(), markup=False, style="red" if result.status == "fail" else None)
                failed = failed or result.status == "fail"
    if bad:
        raise typer.Exit(2)
    if failed:
        raise typer.Exit(1)
