"""Property reach (issue 14): for each Hypothesis property test, the share of its generated
examples that reach the checks the test exists for, against the goal of 90%.

    python bench/property_reach.py [TEST_PATH ...]

Runs the property tests (default: every test file that uses ``@given``) under pytest with the
plugin ``tests.reach`` (derandomized, no example database, so the figures are the same every
run), which counts per test the examples run and those that called ``tests.reach.reached()``
where the test reaches its checks. Prints one line per test: examples, reached, share, and
``below goal`` where the share is under 90%; exits 1 if any test is below the goal or never calls
``reached()``. Not a timing benchmark: the figures are counts.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.reach import GOAL  # noqa: E402


def property_test_files() -> list[str]:
    return sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests").rglob("test_*.py")
                  if "@given" in p.read_text(encoding="utf-8")
                  and p.name not in ("test_api_schemathesis.py", "test_property_reach.py"))


def main(argv: list[str]) -> int:
    paths = argv or property_test_files()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "reach.json"
        env = {**os.environ, "PROPERTY_REACH_OUT": str(out)}
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "tests.reach", "-p", "no:cacheprovider",
                               "-m", "not db", *paths], cwd=ROOT, env=env, capture_output=True, text=True)
        if not out.exists():
            print(done.stdout[-3000:], done.stderr[-3000:])
            return 2
        counts: dict[str, list[int]] = json.loads(out.read_text(encoding="utf-8"))
    tail = done.stdout.strip().splitlines()[-1:] or [""]
    for line in done.stdout.splitlines():
        if line.startswith(("FAILED", "ERROR")):
            print(line)
    width = max((len(n) for n in counts), default=10)
    print(f"property reach (goal {GOAL:.0%} of the generated examples reach the checks); pytest: {tail[0]}")
    print(f"{'test':<{width}}  examples  reached   share")
    below = 0
    for nodeid, (examples, hit) in sorted(counts.items()):
        share = hit / examples if examples else 0.0
        flag = "" if share >= GOAL else ("  below goal" if hit else "  below goal (never calls reached())")
        below += share < GOAL
        print(f"{nodeid:<{width}}  {examples:8d}  {hit:7d}  {share:6.1%}{flag}")
    shares = [hit / n for n, hit in counts.values() if n]
    if shares:
        print(f"{len(counts)} property tests; lowest share {min(shares):.1%}; {below} below the goal")
    return 1 if below or done.returncode not in (0,) else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
