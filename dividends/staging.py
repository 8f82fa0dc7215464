"""A computation's input files copied into its bundle's staging directory while it computes.

The copies of a bundle's inputs (``DIR/inputs/``, :mod:`dividends.bundle`) depend on nothing
the computation finds: ``dividends compute`` starts them (:class:`StagedInputs`) the moment it
has its arguments, before it imports polars, the registry or the engine, so that the kernel's
copy and the SHA-256 of 100 MB files (neither holds the GIL) run on a thread while the process
imports, reads and validates. They go to a hidden directory next to the output directory,
which :func:`dividends.bundle.write_bundle` renames into place once every invariant passed, and
which is removed when anything fails: the output directory exists whole or not at all, as
before. This module imports neither polars nor the engine.
"""
from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path

from dividends.hashing import copy_hashed

INPUT_NAMES = {"registry": "households", "posts": "posts", "members": "members", "returns": "returns",
               "columns": "columns", "vocabulary": "vocabulary",
               "brought_forward": "brought_forward", "deductions": "deductions", "earlier_paid": "earlier_paid",
               "events": "events"}
"""An input's kind -> the stem of its copy inside ``inputs/``."""


def copy_names(files: Mapping[str, Path]) -> dict[str, Path]:
    """Name inside ``inputs/`` -> the file copied there, for the input files by kind
    (:meth:`dividends.compute.Inputs.files`; the scheme file is named by the bundle)."""
    return {INPUT_NAMES[kind] + path.suffix.lower(): path for kind, path in files.items()}


class StagedInputs:
    """Copies of input files being made into a bundle's staging directory (see the module)."""

    def __init__(self) -> None:
        self._staged: tuple[Path, Path, dict[str, Path]] | None = None  # out, staging, copies
        self._copies: Future[dict[str, str]] | None = None

    def start(self, files: Mapping[str, Path], out: Path, *, overwrite: bool = False) -> None:
        """Start copying ``files`` (kind -> path) for a bundle to be written to ``out``. Only
        where the bundle may then be written (``out`` absent or an empty directory, or
        ``overwrite``) in a parent that exists (no directory is made before the computation
        passed): otherwise the bundle copies, or refuses, when it is written, as before."""
        out = Path(out)
        if self._staged is not None or not out.parent.is_dir():
            return
        if out.exists() and not (out.is_dir() and (overwrite or not any(out.iterdir()))):
            return
        try:
            staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
        except OSError:  # a directory not writable: the bundle reports it when it is written, as before
            return
        copies = copy_names(files)
        self._staged = (out, staging, copies)
        try:
            executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="input-copies")
            try:
                self._copies = executor.submit(_copy_all, copies, staging / "inputs")
            finally:
                executor.shutdown(wait=False)
        except BaseException:
            self.discard()
            raise

    def take(self, copies: Mapping[str, Path], out: Path) -> tuple[Path, dict[str, str]] | None:
        """The staging directory and the SHA-256 of each copy, when exactly ``copies`` (name ->
        path, as :func:`copy_names` gives) were started for ``out``, once all are made; the
        caller owns the directory from then on. A failed copy raises here (the directory
        removed). None when nothing was started for them."""
        if self._staged is None or self._copies is None:
            return None
        staged_out, staging, staged = self._staged
        if staged_out != Path(out) or staged != dict(copies):
            return None
        try:
            hashes = self._copies.result()
        except BaseException:
            self.discard()
            raise
        self._staged, self._copies = None, None
        return staging, hashes

    def discard(self) -> None:
        """Remove the staging directory (once its copies stopped), unless :meth:`take` gave it
        away; nothing to do otherwise."""
        if self._staged is None:
            return
        staging = self._staged[1]
        if self._copies is not None:
            wait([self._copies])
        self._staged, self._copies = None, None
        shutil.rmtree(staging, ignore_errors=True)


def _copy_all(copies: dict[str, Path], target: Path) -> dict[str, str]:
    """Copy each file into ``target`` (made here) under its name; the SHA-256 of each copy."""
    target.mkdir()
    return {name: copy_hashed(path, target / name) for name, path in copies.items()}
