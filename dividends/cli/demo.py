"""``dividends demo``: sample villages, every preset computed, verified and compared."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from dividends.bundle import verify_bundle, write_bundle
from dividends.cli.computing import print_summary
from dividends.cli.console import out, say, show_problems
from dividends.compare import compare
from dividends.compute import Computation, Inputs, compute
from dividends.sample import generate, write_csv
from schemes.i18n import Msg, current_language
from schemes.money import format_yuan
from schemes.presets import preset_names

MARKER = ".dividends-demo"


def demo(
    directory: Annotated[Path, typer.Option("--dir", help="where to write the demo files")] = Path("demo-out"),
    villages: Annotated[int, typer.Option(help="how many villages")] = 3,
    households: Annotated[int, typer.Option(help="how many households in all")] = 600,
    period: Annotated[int, typer.Option(help="the payout year")] = 2024,
) -> None:
    """Generate a sample registry, compute every preset scheme, verify and compare."""
    if directory.exists() and any(directory.iterdir()) and not (directory / MARKER).exists():
        raise typer.BadParameter(Msg("demo.not_empty", dir=str(directory)).text())
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    (directory / MARKER).write_text("files written by `dividends demo`; safe to delete\n", encoding="utf-8")
    say("demo.start", villages=villages, households=households, dir=str(directory))

    data = generate(households, villages, seed=period)
    files = write_csv(data, directory / "registry", headers="zh", encoding="utf-8-sig")
    lang = current_language()
    first_bundle = None
    for name in preset_names():
        inputs = Inputs(scheme=name, registry=files["households"], posts=files["posts"], members=files["persons"],
                        returns=files["returns"], period=period)
        result = compute(inputs)
        bundle = directory / name
        write_bundle(result, bundle, overwrite=True)
        first_bundle = first_bundle or bundle
        out.rule(Msg("demo.preset", title=result.scheme.title.text(lang), id=name).text())
        print_summary(result, villages=villages)
        _example_household(result, lang)

    assert first_bundle is not None
    check = verify_bundle(first_bundle)
    if check.ok:
        say("verify.ok", dir=str(first_bundle), hash=(check.content_hash or "")[:16])
    else:
        show_problems(check.problems)
        raise typer.Exit(1)

    base = Inputs(scheme="golden-chicken", registry=files["households"], posts=files["posts"],
                  members=files["persons"], returns=files["returns"], period=period)
    c = compare(base, "shareholding")
    out.rule(Msg("demo.compare", a="golden-chicken", b="shareholding").text())
    for r in c.by_status.iter_rows(named=True):
        out.print(f"  {r['status']:<10} {r['households']:>5}  {format_yuan(r['a_fen']):>14} → "
                  f"{format_yuan(r['b_fen']):>14}  ({format_yuan(r['difference_fen'])})", markup=False)
    say("demo.done", dir=str(directory))


def _example_household(result: Computation, lang: str) -> None:
    """Print the breakdown of the best-paid poor household, as its notice would state it."""
    a = result.allocation
    hh = (a.households.filter(pl.col("status") == "poor")
          .join(result.registry.households.select("household_id", "members"), on="household_id")
          .sort("amount_fen", "household_id", descending=[True, False]))
    if hh.height == 0 or hh["amount_fen"][0] == 0:
        return
    row = hh.row(0, named=True)
    parts = [f"{s.label.text(lang)} {format_yuan(row[s.id])}" for s in a.scheme.steps if row.get(s.id)]
    say("demo.household", household=row["household_id"], status=row["status"], members=row["members"],
        amount=format_yuan(row["amount_fen"]), breakdown=", ".join(parts))
