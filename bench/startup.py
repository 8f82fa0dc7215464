"""Benchmark of command start-up (not a timed test): light commands against ``import polars``.

    python bench/startup.py              # 7 rounds
    python bench/startup.py --rounds 15

Each round runs, one after the other in this one invocation, the floor ``python -c "import
polars"`` and then every light command (``dividends --help``, ``dividends schemes list``), each
in a fresh process, so a busy machine slows floor and commands alike. Printed per program: the
median wall seconds and the median CPU seconds (user + system of the child: on a shared, loaded
machine a fairer measure of work than the wall clock, which also counts waiting for a core),
and their ratios to the floor's medians. Target (issue 13): at most 2x the floor.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = 2.0
FLOOR = ("import polars", [sys.executable, "-c", "import polars"])


def _dividends() -> list[str]:
    script = Path(sys.executable).with_name("dividends")
    return [str(script)] if script.exists() else [sys.executable, "-m", "dividends"]


LIGHT = (("dividends --help", ["--help"]), ("dividends schemes list", ["schemes", "list"]))


def measure(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run of ``cmd`` in a fresh process."""
    t0 = time.perf_counter()
    process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT,
                               env={**os.environ, "DIVIDENDS_LANG": "en", "COLUMNS": "100"})
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - t0
    process.returncode = os.waitstatus_to_exitcode(status)
    stderr = process.stderr.read().decode() if process.stderr else ""
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({process.returncode}):\n{stderr}")
    return wall, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    programs = [FLOOR, *((name, _dividends() + argv) for name, argv in LIGHT)]
    for _, cmd in programs:  # warm the file cache and the .pyc files once
        measure(cmd)
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name, _ in programs}
    for _ in range(args.rounds):
        for name, cmd in programs:
            runs[name].append(measure(cmd))
    load = os.getloadavg()
    print(f"start-up, median of {args.rounds} rounds (floor and commands alternate); "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")
    print(f"{'program':<26}{'wall s':>8}{'ratio':>7}{'cpu s':>8}{'ratio':>7}{'target':>8}")
    floor_wall = statistics.median(w for w, _ in runs[FLOOR[0]])
    floor_cpu = statistics.median(c for _, c in runs[FLOOR[0]])
    for name, _ in programs:
        wall = statistics.median(w for w, _ in runs[name])
        cpu = statistics.median(c for _, c in runs[name])
        verdict = "" if name == FLOOR[0] else f"{TARGET:>7.1f}x {'ok' if cpu / floor_cpu <= TARGET else 'OVER'}"
        print(f"{name:<26}{wall:>8.3f}{wall / floor_wall:>7.2f}{cpu:>8.3f}{cpu / floor_cpu:>7.2f} {verdict}")


if __name__ == "__main__":
    main()
