"""The computing commands set polars' allocator to one arena (dividends.cli.allocator) before
polars loads, unless the user configured it; what the allocator then reads is polars' own
defaults followed by that setting."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = "import os, dividends.cli.computing, polars; print(os.environ['_RJEM_MALLOC_CONF'])"


def allocator_conf(**env: str) -> str:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, cwd=ROOT, timeout=120,
                          env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), **env})
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_computing_command_runs_polars_with_one_allocator_arena() -> None:
    assert allocator_conf().split(",")[-1] == "narenas:1"


def test_the_users_allocator_setting_stands() -> None:
    conf = allocator_conf(_RJEM_MALLOC_CONF="narenas:3,dirty_decay_ms:100")
    assert "narenas:1" not in conf
    assert conf.endswith("narenas:3,dirty_decay_ms:100")
