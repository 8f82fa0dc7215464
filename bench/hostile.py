"""Benchmark (not a timed test): hostile files refused by the reader with bounded memory and time,
and reading that leaves an event loop free.

    python bench/hostile.py             # 400 MiB-inflating XLSX, 200 MB CSV, 1,000,000 columns

Each file is read in a fresh child process, so "peak RSS" is that reader's own high-water mark
(the interpreter and polars included). The figures are printed beside their floors:

* peak RSS of the reader refusing the file: at most 500 MiB;
* the longest pause of an asyncio loop ticking every 10 ms while the reader runs in a worker
  thread (``asyncio.to_thread``, what a server does with an upload): at most 1 s, so a
  ``/healthz`` on that loop keeps answering.
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
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MIB = 1 << 20
RSS_FLOOR_MIB = 500
PAUSE_FLOOR_S = 1.0

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    'content-types"><Default Extension="xml" ContentType="application/xml"/></Types>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
    '2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
    '<sheet name="户信息" sheetId="1" r:id="rId1"/></sheets></workbook>'
)


def inflating_xlsx(path: Path, inflated: int) -> Path:
    """A workbook whose one sheet is ``inflated`` bytes of rows of inline strings."""
    row = '<row><c t="inlineStr"><is><t>' + "0" * 200 + "</t></is></c></row>"
    block = (row * (MIB // len(row))).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(b'<?xml version="1.0"?><worksheet><sheetData>')
            written = 0
            while written < inflated:
                sheet.write(block)
                written += len(block)
            sheet.write(b"</sheetData></worksheet>")
    return path


def forge_sizes(path: Path, declared: int) -> Path:
    """The same zip with every member's declared inflated size set to ``declared`` (in the local
    headers and the central directory): a file that lies about what it holds."""
    import struct

    data = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.find(signature)
        while at != -1:
            struct.pack_into("<I", data, at + offset, declared)
            at = data.find(signature, at + 4)
    forged = path.with_name("forged-" + path.name)
    forged.write_bytes(bytes(data))
    return forged


def big_csv(path: Path, size: int) -> Path:
    line = b"H0000001,V001," + "王伟".encode() + b",110105194912310029,13800138000,3,2,poor,1,100.00\n"
    block = line * (MIB // len(line))
    with path.open("wb") as out:
        out.write(b"household_id,village_id,head_name,id_number,phone,members,able_members,status,shares,"
                  b"capital_yuan\n")
        written = 0
        while written < size:
            out.write(block)
            written += len(block)
    return path


def wide_csv(path: Path, columns: int) -> Path:
    path.write_bytes(b",".join(b"c%d" % i for i in range(columns)) + b"\n")
    return path


def child(path: Path) -> dict[str, object]:
    """Read ``path`` in a worker thread while a loop ticks; report the outcome."""
    import asyncio

    from dividends.registry import HOUSEHOLD_COLUMNS, read_table
    from schemes.problems import InputError

    async def main() -> dict[str, object]:
        pauses: list[float] = []
        done = asyncio.Event()

        async def tick() -> None:
            last = time.perf_counter()
            while not done.is_set():
                await asyncio.sleep(0.01)
                now = time.perf_counter()
                pauses.append(now - last - 0.01)
                last = now

        ticker = asyncio.create_task(tick())
        started = time.perf_counter()
        try:
            await asyncio.to_thread(read_table, path, HOUSEHOLD_COLUMNS, name=path.name)
            outcome = "read"
        except InputError as error:
            outcome = error.problems[0].msg.key + ": " + error.problems[0].text("en")[:160]
        elapsed = time.perf_counter() - started
        done.set()
        await ticker
        return {"outcome": outcome, "seconds": elapsed, "max_pause_s": max(pauses, default=0.0)}

    result = asyncio.run(main())
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--inflated-mib", type=int, default=400)
    parser.add_argument("--csv-mb", type=int, default=200)
    parser.add_argument("--columns", type=int, default=1_000_000)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(Path(args.child))))
        return

    with tempfile.TemporaryDirectory(prefix="bench-hostile-") as tmp:
        t = time.perf_counter()
        bomb = inflating_xlsx(Path(tmp) / "bomb.xlsx", args.inflated_mib * MIB)
        files = {
            f"XLSX inflating to {args.inflated_mib} MiB": bomb,
            "the same, declaring 1 KiB": forge_sizes(bomb, 1024),
            f"CSV of {args.csv_mb} MB": big_csv(Path(tmp) / "big.csv", args.csv_mb * 1_000_000),
            f"CSV of {args.columns:,} columns": wide_csv(Path(tmp) / "wide.csv", args.columns),
        }
        print(f"built the files in {time.perf_counter() - t:.1f} s "
              f"(XLSX {files[next(iter(files))].stat().st_size / 1024:.0f} KiB on disk)")
        print(f"{'file':<34}{'seconds':>9}{'peak RSS MiB':>14}{'floor':>7}{'max loop pause s':>18}{'floor':>7}  outcome")
        failed = False
        for label, path in files.items():
            done = subprocess.run([sys.executable, __file__, "--child", str(path)], capture_output=True, text=True,
                                  env={**os.environ, "PYTHONPATH": str(ROOT)})
            if done.returncode != 0:
                print(f"{label}: failed\n{done.stderr}")
                failed = True
                continue
            r = json.loads(done.stdout.strip().splitlines()[-1])
            ok = r["peak_rss_mib"] <= RSS_FLOOR_MIB and r["max_pause_s"] <= PAUSE_FLOOR_S and r["outcome"] != "read"
            failed |= not ok
            print(f"{label:<34}{r['seconds']:>9.2f}{r['peak_rss_mib']:>14.0f}{RSS_FLOOR_MIB:>7}"
                  f"{r['max_pause_s']:>18.3f}{PAUSE_FLOOR_S:>7.1f}  {'ok' if ok else 'OVER'}  {r['outcome']}")
        print(f"machine load (1/5/15 min): {os.getloadavg()}")
        sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
