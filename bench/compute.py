"""Benchmark of the compute step (not a timed test): N households in V villages, every preset.

    python bench/compute.py                                  # 1,000,000 households, 1,000 villages
    python bench/compute.py --households 10000000 --villages 10000
    python bench/compute.py --full                           # also files: read + validate + write
    python bench/compute.py --shapes                         # the new shapes against their plain twins
    python bench/compute.py --process                        # the whole `dividends compute` against bench/floor.py

``--process`` runs, alternating in this one invocation (3 rounds), the floor program
``bench/floor.py`` (read the same households CSV, split 3:7 by shares with largest remainder in
fen, write allocations.csv) and the whole ``dividends compute`` process (tourism-cooperative
preset: reading, validating every column, allocation, every invariant, the output bundle) on the
same files, and prints the median wall and CPU seconds of each, peak RSS and the ratio (target
of issue 13: at most 2.5x). ``--data DIR`` keeps the generated CSV files in DIR for the next run.

``--shapes`` measures each scheme shape of issue 10 against the same scheme without it, on the
same households: the claim group (golden-chicken-pro-rata against golden-chicken), months of
eligibility with events, a cap over the period, deductions and a carry-over arriving
(per-person-months with its four inputs against the same steps per person, capped per run, with
no inputs), and a carry-over joining the pool (pv-public-welfare-2020 with and without). The
schemes alternate for ``--rounds`` rounds (each a fresh child, best of 3 inside; the twin that
goes first swaps every round), so a loaded machine's drift does not land on one side. Each
round gives one CPU ratio per pair; the report prints every round's ratio, their median and
range (the verdict, against the floor: the new shape may cost at most 20% more), the best
figures of all rounds, and the load (``uptime``) before and after. ``--threads N`` runs each
child with ``POLARS_MAX_THREADS=N``.

The sample registry is generated once (deterministic) and saved as Parquet; each scheme is then
measured in a fresh child process, so "peak RSS" is that scheme's own high-water mark (frames
included). Targets on the 2-core reference machine: 1,000,000 households in <= 2 s for the
compute step; 10,000,000 households within 24 GiB.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


EXAMPLES = ROOT / "schemes" / "examples"
SHAPE_FLOOR = 1.20  # a new shape may cost at most 20% more than its plain twin
SHAPES = (  # (new shape, its plain twin): scheme refs, "+" = with the extra inputs
    ("golden-chicken-pro-rata", "golden-chicken"),
    ("per-person-months+", "per-person-months:plain"),
    ("pv-public-welfare-2020+", "pv-public-welfare-2020"),
)
# which extra inputs a "+" scheme gets: the ones its steps use
EXTRA_OF = {"per-person-months": ("brought_forward", "deductions", "earlier_paid", "events"),
            "pv-public-welfare-2020": ("brought_forward",)}


def _scheme(ref: str):  # type: ignore[no-untyped-def]
    """A preset, an example (``name``), or an example made plain (``name:plain``: no proration,
    caps per run, no deductions rule)."""
    from schemes.loader import load_scheme, parse_scheme
    from schemes.presets import load_preset, preset_names

    name, _, variant = ref.rstrip("+").partition(":")
    if name in preset_names():
        return load_preset(name)
    path = EXAMPLES / f"{name}.yaml"
    if variant != "plain":
        return load_scheme(path)
    text = path.read_text(encoding="utf-8")
    text = text.replace("    prorate: {by: months, effect: next_month}\n", "").replace("    over: period\n", "")
    return parse_scheme(text, f"{name}-plain.yaml")


def _extra(ref: str, households, returns):  # type: ignore[no-untyped-def]
    """Deterministic extra inputs for ``ref`` ending in ``+``: a carry-over for every village,
    deductions for 5% of households, earlier payments for 10%, events for 1%."""
    import polars as pl

    from schemes.engine import Extra

    if not ref.endswith("+"):
        return Extra()
    ids = households.select("household_id").with_row_index("i")
    bf = returns.select("village_id", (pl.col("amount_fen") // 10).alias("amount_fen"))
    deductions = ids.filter(pl.col("i") % 20 == 3).select(
        "household_id", (pl.lit(5000) + pl.col("i") % 70000).cast(pl.Int64).alias("amount_fen"),
        pl.lit("loan").alias("reason"), pl.lit("collective").alias("creditor"))
    earlier = ids.filter(pl.col("i") % 10 == 1).select("household_id", (pl.col("i") % 300000).cast(pl.Int64).alias("amount_fen"))
    kinds = ["died", "joined", "left", "status_changed"]
    events = ids.filter(pl.col("i") % 100 == 7).select(
        "household_id",
        pl.col("i").map_elements(lambda i: kinds[(i // 100) % 4], return_dtype=pl.String).alias("event"),
        pl.col("i").map_elements(lambda i: "household" if (i // 100) % 4 >= 2 else "person", return_dtype=pl.String).alias("scope"),
        (pl.lit(19723) + pl.col("i") % 365).cast(pl.Int32).cast(pl.Date).alias("date"),  # 2024-01-01 + days
        pl.lit("non_poor").alias("from_status"))
    wanted = EXTRA_OF.get(ref.rstrip("+").partition(":")[0], ())
    given = {"brought_forward": bf, "deductions": deductions, "earlier_paid": earlier, "events": events}
    return Extra(**{k: (v if k in wanted else None) for k, v in given.items()})


def _cpu() -> float:
    """CPU seconds of this process, every thread: on a shared, loaded machine a fairer measure
    of work than the wall clock, which also counts waiting for a core."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def child(data: Path, scheme: str, villages: int, full: bool) -> dict[str, object]:
    import polars as pl

    from schemes.engine import allocate
    from schemes.invariants import check

    households = pl.read_parquet(data / "households.parquet")
    persons = pl.read_parquet(data / "persons.parquet")
    posts = pl.read_parquet(data / "posts.parquet")
    returns = pl.read_parquet(data / "returns.parquet")
    s = _scheme(scheme)
    extra = _extra(scheme, households, returns)
    if not s.deductions.creditors:  # deductions only where the scheme names who recovers them
        from dataclasses import replace
        extra = replace(extra, deductions=None)
    cpu = []
    runs = []
    for _ in range(3):  # the first run is what a command-line user gets (cold); the best is steady state
        c0 = _cpu()
        t0 = time.perf_counter()
        allocation = allocate(s, households, returns, period=2024, posts=posts, persons=persons, extra=extra)
        t1 = time.perf_counter()
        violations = check(allocation)
        t2 = time.perf_counter()
        runs.append((t1 - t0, t2 - t1))
        cpu.append(_cpu() - c0)
    t2 = time.perf_counter()
    lines = allocation.lines()
    t3 = time.perf_counter()
    result: dict[str, object] = {
        "scheme": scheme, "households": households.height, "villages": returns.height,
        "allocate_s": runs[0][0], "invariants_s": runs[0][1],
        "best_compute_s": min(a + b for a, b in runs), "lines_s": t3 - t2, "violations": len(violations),
        "best_cpu_s": min(cpu),
        "lines": lines.height,
    }
    if full:
        from dividends.bundle import write_bundle
        from dividends.compute import Inputs, compute

        # a million households make a 112 MB households file: above the default upload limit
        os.environ.setdefault("MAX_REGISTRY_FILE_MB", "1024")
        files = {k: data / f"{k}.csv" for k in ("households", "members", "posts", "returns")}
        t4 = time.perf_counter()
        c = compute(Inputs(scheme=scheme, registry=files["households"], members=files["members"],
                           posts=files["posts"], returns=files["returns"], period=2024))
        t5 = time.perf_counter()
        with tempfile.TemporaryDirectory() as out:
            write_bundle(c, Path(out) / "run")
        t6 = time.perf_counter()
        result |= {"read_validate_compute_s": t5 - t4, "write_s": t6 - t5}
    result["peak_rss_gib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    return result


PROCESS_TARGET = 2.5


def _run_process(cmd: list[str]) -> tuple[float, float, float]:
    """(wall s, CPU s of the child, its peak RSS in GiB) of one run of ``cmd``."""
    t0 = time.perf_counter()
    process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               # 10,000,000 households exceed the default row limit (5,000,000)
                               env={**os.environ, "MAX_REGISTRY_FILE_MB": "4096", "MAX_ROWS": "100000000",
                                    "DIVIDENDS_LANG": "en"})
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{process.stderr.read().decode() if process.stderr else ''}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 2**20


def process_bench(households: int, villages: int, data: Path | None, rounds: int) -> None:
    """The whole ``dividends compute`` process beside the floor program, same files, same run."""
    import shutil
    import statistics

    keep = data is not None
    data = data or Path(tempfile.mkdtemp(prefix="bench-process-"))
    data.mkdir(parents=True, exist_ok=True)
    stamp = data / f".sample-{households}-{villages}"
    if not stamp.exists():
        # generated in a child: a child forked from this process after it held the sample would
        # report this process's peak as its own (Linux carries the high-water mark over fork and exec)
        t = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--generate", str(data), "--households", str(households),
                        "--villages", str(villages)], check=True)
        stamp.touch()
        print(f"generated {households:,} households in {villages:,} villages in {time.perf_counter() - t:.1f} s")
    registry, returns = data / "households.csv", data / "returns.csv"
    dividends = Path(sys.executable).with_name("dividends")
    cli = [str(dividends)] if dividends.exists() else [sys.executable, "-m", "dividends"]
    programs = {
        "floor (bench/floor.py)": lambda out: [sys.executable, str(ROOT / "bench" / "floor.py"), str(registry),
                                               str(returns), str(out)],
        "dividends compute": lambda out: [*cli, "compute", "--scheme", "tourism-cooperative", "--registry",
                                          str(registry), "--returns", str(returns), "--period", "2024",
                                          "--out", str(out)],
    }
    runs: dict[str, list[tuple[float, float, float]]] = {name: [] for name in programs}
    try:
        for i in range(rounds):
            for name, cmd in programs.items():
                out = data / f"out-{i}-{name.split()[0]}"
                shutil.rmtree(out, ignore_errors=True)
                runs[name].append(_run_process(cmd(out)))
                shutil.rmtree(out, ignore_errors=True)
    finally:
        if not keep:
            shutil.rmtree(data, ignore_errors=True)
    load = os.getloadavg()
    print(f"whole process, {households:,} households in {villages:,} villages, median of {rounds} alternating rounds; "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")
    print(f"{'program':<24}{'wall s':>8}{'ratio':>7}{'cpu s':>8}{'ratio':>7}{'peak RSS GiB':>14}{'target':>8}"
          f"{'cpu range s':>16}")
    floor = runs["floor (bench/floor.py)"]
    floor_wall = statistics.median(r[0] for r in floor)
    floor_cpu = statistics.median(r[1] for r in floor)
    for name, measured in runs.items():
        wall = statistics.median(r[0] for r in measured)
        cpu = statistics.median(r[1] for r in measured)
        peak = max(r[2] for r in measured)
        verdict = "" if measured is floor else f"{PROCESS_TARGET:>7.1f}x {'ok' if cpu / floor_cpu <= PROCESS_TARGET else 'OVER'}"
        low, high = min(r[1] for r in measured), max(r[1] for r in measured)
        print(f"{name:<24}{wall:>8.2f}{wall / floor_wall:>7.2f}{cpu:>8.2f}{cpu / floor_cpu:>7.2f}{peak:>14.2f} "
              f"{verdict:<10}{low:>7.2f}-{high:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--villages", type=int, default=1_000)
    parser.add_argument("--schemes", default="", help="comma-separated presets (default: all)")
    parser.add_argument("--full", action="store_true", help="also time reading/validating CSV files and writing outputs")
    parser.add_argument("--shapes", action="store_true", help="the new scheme shapes against their plain twins")
    parser.add_argument("--process", action="store_true",
                        help="the whole `dividends compute` process against the floor program bench/floor.py")
    parser.add_argument("--rounds", type=int, default=3, help="--process, --shapes: alternating rounds")
    parser.add_argument("--threads", type=int, default=None,
                        help="polars threads in each measured child (POLARS_MAX_THREADS; default: polars decides)")
    parser.add_argument("--data", type=Path, default=None, help="--process: keep (and reuse) the CSV files here")
    parser.add_argument("--child", nargs=2, metavar=("DATA", "SCHEME"), help=argparse.SUPPRESS)
    parser.add_argument("--generate", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        from support.sample import generate, write_csv
        write_csv(generate(args.households, args.villages, seed=2024), args.generate)
        return
    if args.child:
        print(json.dumps(child(Path(args.child[0]), args.child[1], args.villages, args.full)))
        return
    if args.process:
        process_bench(args.households, args.villages, args.data, args.rounds)
        return

    from support.sample import generate, write_csv
    from schemes.presets import preset_names

    schemes = [s for s in args.schemes.split(",") if s] or preset_names()
    if args.shapes:
        schemes = [ref for pair in SHAPES for ref in pair]
    with tempfile.TemporaryDirectory(prefix="bench-compute-") as tmp:
        data = Path(tmp)
        t = time.perf_counter()
        sample = generate(args.households, args.villages, seed=2024)
        for name in ("households", "persons", "posts", "returns"):
            getattr(sample, name).write_parquet(data / f"{name}.parquet")
        if args.full:
            files = write_csv(sample, data)
            for kind, path in files.items():
                path.rename(data / f"{'members' if kind == 'persons' else kind}.csv")
        print(f"generated {args.households:,} households in {args.villages:,} villages "
              f"({sample.persons.height:,} persons, {sample.posts.height:,} posts) in {time.perf_counter() - t:.1f} s")
        del sample
        header = (f"{'scheme':<26}{'allocate s':>11}{'invariants s':>13}{'compute s':>10}{'best of 3 s':>12}"
                  f"{'lines s':>9}{'households/s':>14}{'peak RSS GiB':>14}")
        if args.full:
            header += f"{'read+validate+compute s':>25}{'write s':>9}"
        print(header)
        results: dict[str, dict[str, float]] = {}
        rounds: list[dict[str, dict[str, float]]] = []  # --shapes: each round's figures per scheme
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        if args.threads:
            env["POLARS_MAX_THREADS"] = str(args.threads)
        load_before = _uptime()
        # --shapes: each twin pair alternates for --rounds rounds, the twin that goes first
        # swapping every round (a loaded machine drifts); each round gives one ratio per pair
        order = ([(i, ref) for i in range(args.rounds) for pair in SHAPES for ref in (pair if i % 2 == 0 else pair[::-1])]
                 if args.shapes else [(0, ref) for ref in schemes])
        for i, scheme in order:
            cmd = [sys.executable, __file__, "--child", str(data), scheme, "--villages", str(args.villages)]
            if args.full:
                cmd.append("--full")
            done = subprocess.run(cmd, capture_output=True, text=True, env=env)
            if done.returncode != 0:
                print(f"{scheme}: failed\n{done.stderr}")
                continue
            r = json.loads(done.stdout.strip().splitlines()[-1])
            while len(rounds) <= i:
                rounds.append({})
            rounds[i][scheme] = dict(r)
            if scheme in results:  # a later round: keep the best steady-state figures
                r["best_cpu_s"] = min(r["best_cpu_s"], results[scheme]["best_cpu_s"])
                r["best_compute_s"] = min(r["best_compute_s"], results[scheme]["best_compute_s"])
            results[scheme] = r
            compute_s = r["allocate_s"] + r["invariants_s"]
            line = (f"{scheme:<26}{r['allocate_s']:>11.2f}{r['invariants_s']:>13.2f}{compute_s:>10.2f}"
                    f"{r['best_compute_s']:>12.2f}{r['lines_s']:>9.2f}"
                    f"{r['households'] / compute_s:>14,.0f}{r['peak_rss_gib']:>14.2f}")
            if args.full:
                line += f"{r['read_validate_compute_s']:>25.2f}{r['write_s']:>9.2f}"
            if r["violations"]:
                line += f"   {r['violations']} INVARIANT VIOLATIONS"
            print(line)
        load_after = _uptime()
        print("compute = allocate + invariants, first (cold) run; households/s from it; peak RSS includes the input frames.")
        if args.shapes:
            shapes_report(results, rounds, load_before, load_after, args.threads)


def _uptime() -> str:
    """The load average as ``uptime`` prints it."""
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        load = os.getloadavg()
        return f"load average: {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f}"


def shapes_report(results: dict[str, dict[str, float]], rounds: list[dict[str, dict[str, float]]],
                  load_before: str, load_after: str, threads: int | None) -> None:
    """Per pair: each round's CPU ratio (new shape / plain twin, best of 3 each), their median
    and range, and the best-of-all-rounds figures beside the floor."""
    import statistics

    print(f"threads: {threads or 'polars default'}; cores: {os.cpu_count()}")
    print(f"load before: {load_before}")
    print(f"load after:  {load_after}")
    print(f"best of 3 per round, {len(rounds)} alternating rounds, allocate + invariants, CPU seconds of the process "
          "(all threads); the verdict is on the median ratio")
    print(f"{'new shape':<26}{'plain twin':<26}{'rounds (cpu ratio)':<40}{'median':>7}{'min':>6}{'max':>6}"
          f"{'best cpu s':>11}{'twin':>6}{'wall':>6}{'floor':>7}")
    for new, plain in SHAPES:
        ratios = [r[new]["best_cpu_s"] / r[plain]["best_cpu_s"] for r in rounds if new in r and plain in r]
        a, b = results.get(new), results.get(plain)
        if not ratios or not a or not b:
            print(f"{new:<26}{plain:<26}failed")
            continue
        median = statistics.median(ratios)
        verdict = "ok" if median <= SHAPE_FLOOR else "OVER"
        per_round = " ".join(f"{x:.2f}" for x in ratios)
        wall = a["best_compute_s"] / b["best_compute_s"]
        print(f"{new:<26}{plain:<26}{per_round:<40}{median:>7.2f}{min(ratios):>6.2f}{max(ratios):>6.2f}"
              f"{a['best_cpu_s']:>11.2f}{b['best_cpu_s']:>6.2f}{wall:>6.2f}{SHAPE_FLOOR:>7.2f}  {verdict}")

if __name__ == "__main__":
    main()
