"""Shared helpers for the payout-engine tests: sample registries on disk, running the CLI."""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import polars as pl

from support.sample import generate, write_csv

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class SampleFiles:
    households: Path
    members: Path
    posts: Path
    returns: Path


def sample_files(directory: Path, households: int = 60, villages: int = 2, seed: int = 7, *,
                 all_accounts: bool = True, **write: str) -> SampleFiles:
    """Sample registry files; ``all_accounts`` gives every household a bank account number (the
    generator leaves a few without one, as real registries do)."""
    data = generate(households, villages, seed=seed)
    if all_accounts:
        data = replace(data, households=data.households.with_columns(
            pl.when(pl.col("account_no") == "").then(pl.lit("6217000000000000") + pl.col("household_id").str.slice(-3))
            .otherwise(pl.col("account_no")).alias("account_no")))
    files = write_csv(data, directory, **write)  # type: ignore[arg-type]
    return SampleFiles(files["households"], files["persons"], files["posts"], files["returns"])


def run_cli(*args: str | Path, lang: str = "en", cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DIVIDENDS_LANG": lang, "COLUMNS": "200"}
    env.pop("DIVIDENDS_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "dividends", *map(str, args)], capture_output=True, text=True,
                          env=env, cwd=cwd or ROOT, timeout=120)
