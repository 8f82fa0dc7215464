"""Build the optional native line scan (``_linescan.c``) next to its source, for this Python.

    python -m dividends.registry.build_native           # build when missing or older than the source
    python -m dividends.registry.build_native --force   # build again

``make install`` and ``make install-test`` run it. The module is an accelerator only
(:mod:`dividends.registry.linefacts`): when there is no C compiler or the build fails this says
so and exits 0, and the reader takes the polars path. Needs a C compiler (``$CC``, else ``cc``)
and the Python headers (``sysconfig``'s include directory).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "_linescan.c"
FLAGS = ("-O2", "-shared", "-fPIC", "-std=c99", "-Wall", "-Wextra", "-fno-strict-aliasing")


def target() -> Path:
    return HERE / f"_linescan{sysconfig.get_config_var('EXT_SUFFIX') or '.so'}"


def build(force: bool = False) -> str:
    """Compile the module; returns what happened (one line)."""
    out = target()
    if not force and out.exists() and out.stat().st_mtime >= SOURCE.stat().st_mtime:
        return f"native line scan up to date: {out.name}"
    compiler = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if not compiler:
        return "native line scan not built: no C compiler (the reader uses polars alone)"
    include = sysconfig.get_paths()["include"]
    with tempfile.TemporaryDirectory(dir=HERE) as scratch:
        built = Path(scratch) / out.name
        command = [*compiler.split(), *FLAGS, f"-I{include}", str(SOURCE), "-o", str(built)]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0 or not built.exists():
            return f"native line scan not built ({' '.join(command)}):\n{done.stderr.strip()}"
        os.replace(built, out)  # (atomic: a running reader keeps the old file it mapped)
    return f"native line scan built: {out.name}"


def main() -> None:
    print(build(force="--force" in sys.argv[1:]))


if __name__ == "__main__":
    main()
