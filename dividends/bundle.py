"""A computation's output directory: allocations, summary, copies of the inputs, manifest.

::

    DIR/allocations.csv   one line per recipient and village, a fen column per step
    DIR/summary.csv       per village and step (and share class): totals, floors, shortfalls
    DIR/excluded.csv      only when bad rows were excluded on request: what and why
    DIR/deductions.csv    only with a deductions input: per deduction, recovered and carried forward
    DIR/inputs/           byte-for-byte copies of every input, the scheme file included
    DIR/manifest.json     scheme id/version, sha256 of every file, total_fen, content_hash

``content_hash`` covers the *canonical* inputs (sorted, normalised frames; the scheme text) and
the output files, so the same inputs in any row order give the same hash. The directory is
written next to its final place and renamed into it: it exists whole or not at all.
"""
from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from dividends import __version__
from dividends.compute import Computation, Inputs, compute
from dividends.registry import Registry
from dividends.files.safe import export_csv
from dividends.staging import StagedInputs, copy_names
from dividends.hashing import canonical_json, copy_hashed, sha256_bytes, sha256_file, sha256_frame
from schemes.engine import Allocation, Extra
from schemes.i18n import Msg
from schemes.problems import InputError, Problem

FORMAT = "dividends.computation/1"
ALLOCATIONS, SUMMARY, EXCLUDED, MANIFEST = "allocations.csv", "summary.csv", "excluded.csv", "manifest.json"
DEDUCTIONS = "deductions.csv"
EXTRA_INPUTS = ("brought_forward", "deductions", "earlier_paid", "events")


def render_outputs(c: Computation) -> dict[str, bytes]:
    return {**allocation_outputs(c.allocation), **excluded_output(c)}


def allocation_outputs(allocation: Allocation) -> dict[str, bytes]:
    """The output files of the allocation: lines, summary and, with deductions, their rows."""
    outputs = {ALLOCATIONS: export_csv(allocation.lines()), SUMMARY: export_csv(allocation.summary)}
    if allocation.deductions is not None:
        outputs[DEDUCTIONS] = export_csv(allocation.deductions)
    return outputs


def excluded_output(c: Computation) -> dict[str, bytes]:
    """``excluded.csv`` when bad rows were excluded on request."""
    if not c.registry.exclusions:
        return {}
    rows = [{"file": p.file or "", "row": p.row, "column": p.column or "", "problem_en": p.msg.text("en"),
             "problem_zh": p.msg.text("zh")} for p in c.registry.exclusions]
    return {EXCLUDED: export_csv(pl.DataFrame(rows, schema={"file": pl.String, "row": pl.Int64, "column": pl.String,
                                                            "problem_en": pl.String, "problem_zh": pl.String}))}


def input_copies(inputs: Inputs, c: Computation) -> dict[str, Path]:
    """Name inside ``inputs/`` -> the file to copy."""
    return {"scheme.yaml": c.source.path, **copy_names(inputs.files())}


def parameters(c: Computation) -> dict[str, Any]:
    params: dict[str, Any] = {
        "period": c.inputs.period,
        "amount_yuan": c.inputs.amount_yuan,
        "exclude_invalid": c.inputs.exclude_invalid,
        "reference_date": c.reference_date.isoformat(),
    }
    if c.inputs.sheets:  # only when asked for: bundles written before keep their hashes
        params["sheets"] = dict(c.inputs.sheets)
    return params


def frame_hashes(c: Computation) -> dict[str, str | None]:
    """The SHA-256 of each canonical input frame the content hash covers (:func:`sha256_frame`):
    registry, posts, members, returns, and each extra input only when given (so that earlier
    bundles keep their hash)."""
    return input_frame_hashes(c.registry, c.returns, c.extra)


def input_frame_hashes(registry: Registry, returns: pl.DataFrame, extra: Extra) -> dict[str, str | None]:
    """:func:`frame_hashes` of a computation holding these input frames."""
    hashes: dict[str, str | None] = {
        "registry": sha256_frame(registry.households),
        "posts": sha256_frame(registry.posts) if registry.posts is not None else None,
        "members": sha256_frame(registry.persons) if registry.persons is not None else None,
        "returns": sha256_frame(returns),
    }
    for name in EXTRA_INPUTS:
        frame = getattr(extra, name)
        if frame is not None:
            hashes[name] = sha256_frame(frame)
    return hashes


class EarlyBundle:
    """The bundle's two large renders started on other threads as soon as their frames exist
    (``compute(..., early=EarlyBundle())``, :class:`dividends.compute.EarlyWork`):
    :func:`input_frame_hashes` (the canonical CSV of a million households) while the engine
    allocates, and the output files (:func:`render_outputs`) while the invariants run; polars
    and hashlib release the GIL; and (:meth:`copy_inputs`) the input files' copies, into a
    hidden staging directory, from the moment the command starts. Nothing else is written:
    :func:`write_bundle` writes only a computation that passed every invariant, and the staging
    directory of one that did not is removed (:meth:`discard`). :meth:`frames` and
    :meth:`outputs` give a result only to a computation holding exactly those frame objects
    (frames are immutable), so a computation of other inputs is hashed and rendered afresh,
    never given stale bytes."""

    def __init__(self, staged: StagedInputs | None = None) -> None:
        self._frames: Future[dict[str, str | None]] | None = None
        self._inputs: tuple[object, ...] = ()
        self._outputs: Future[tuple[dict[str, bytes], dict[str, str]]] | None = None  # (files, their SHA-256)
        self._allocation: object = None
        self.staged = staged if staged is not None else StagedInputs()

    def copy_inputs(self, inputs: Inputs, out: Path, *, overwrite: bool = False) -> None:
        """Start copying (and hashing) ``inputs``' files into the staging directory of a bundle
        to be written to ``out``, on a thread (:class:`dividends.staging.StagedInputs`)."""
        self.staged.start(inputs.files(), out, overwrite=overwrite)

    def discard(self) -> None:
        """Remove the staged copies of a computation that failed (none once written)."""
        self.staged.discard()

    def inputs_ready(self, registry: Registry, returns: pl.DataFrame, extra: Extra) -> None:
        self._frames = _on_thread("frame-hashes", input_frame_hashes, registry, returns, extra)
        self._inputs = (registry, returns, extra)

    def allocated(self, allocation: Allocation) -> None:
        self._outputs = _on_thread("outputs", _hashed_outputs, allocation)
        self._allocation = allocation

    def frames(self, c: Computation) -> dict[str, str | None]:
        """:func:`frame_hashes` of ``c``."""
        if self._frames is None or not _same(self._inputs, (c.registry, c.returns, c.extra)):
            return frame_hashes(c)
        return self._frames.result()

    def outputs(self, c: Computation) -> dict[str, bytes]:
        """:func:`render_outputs` of ``c``."""
        if self._outputs is None or self._allocation is not c.allocation:
            return render_outputs(c)
        return {**self._outputs.result()[0], **excluded_output(c)}

    def output_hashes(self, outputs: dict[str, bytes]) -> dict[str, str]:
        """The SHA-256 of each of ``outputs``: taken from the outputs thread for the very bytes
        it rendered (and hashed meanwhile), hashed here for any other."""
        rendered = self._outputs
        done = rendered.result() if rendered is not None and rendered.done() and rendered.exception() is None \
            else ({}, {})
        return {name: done[1][name] if done[0].get(name) is data else sha256_bytes(data)
                for name, data in outputs.items()}


def _hashed_outputs(allocation: Allocation) -> tuple[dict[str, bytes], dict[str, str]]:
    """:func:`allocation_outputs` and the SHA-256 of each (hashlib releases the GIL)."""
    outputs = allocation_outputs(allocation)
    return outputs, {name: sha256_bytes(data) for name, data in outputs.items()}


def _same(a: tuple[object, ...], b: tuple[object, ...]) -> bool:
    return len(a) == len(b) and all(x is y for x, y in zip(a, b))


def _on_thread(name: str, work: Any, *args: object) -> Future[Any]:
    """``work(*args)`` on a thread of its own, which ends with it."""
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
    try:
        return executor.submit(work, *args)
    finally:
        executor.shutdown(wait=False)


def content_hash(c: Computation, outputs: dict[str, bytes], output_hashes: dict[str, str] | None = None,
                 frames: dict[str, str | None] | None = None) -> str:
    """The hash of the canonical inputs and the outputs; ``frames``: :func:`frame_hashes` of
    ``c`` when already computed."""
    hashes = output_hashes or {name: sha256_bytes(data) for name, data in outputs.items()}
    canonical = {
        "format": FORMAT,
        "scheme": sha256_bytes(c.scheme.text.encode("utf-8")),
        "parameters": {k: v for k, v in parameters(c).items() if k != "amount_yuan"},
        **(frames if frames is not None else frame_hashes(c)),
        "outputs": {name: hashes[name] for name in sorted(outputs)},
    }
    return sha256_bytes(canonical_json(canonical))


def build_manifest(c: Computation, outputs: dict[str, bytes], copies: dict[str, Path],
                   input_hashes: dict[str, str] | None = None,
                   frames: dict[str, str | None] | None = None,
                   output_hashes: dict[str, str] | None = None) -> dict[str, Any]:
    """The manifest; ``input_hashes`` (name inside ``inputs/`` -> SHA-256) when the copies were
    hashed while being written, ``frames`` (:func:`frame_hashes`) and ``output_hashes`` (name
    -> SHA-256 of ``outputs``) when already computed."""
    lines = c.allocation.lines()
    if output_hashes is None:
        output_hashes = {name: sha256_bytes(data) for name, data in outputs.items()}
    inputs = input_hashes if input_hashes is not None else {name: sha256_file(path) for name, path in copies.items()}
    return {
        "format": FORMAT,
        "engine_version": __version__,
        "scheme": {"id": c.scheme.id, "version": c.scheme.version, "effective": c.scheme.effective.isoformat(),
                   "source": c.source.ref if c.source.path.name != Path(c.source.ref).name else c.source.path.name},
        "parameters": parameters(c),
        "inputs": {f"inputs/{name}": inputs[name] for name in sorted(copies)},
        "outputs": {name: output_hashes[name] for name in sorted(outputs)},
        "villages": c.allocation.villages.height,
        "households": c.registry.households.height,
        "excluded_rows": len(c.registry.exclusions),
        "lines": lines.height,
        "total_fen": int(c.allocation.villages["pool_fen"].sum()),
        "content_hash": content_hash(c, outputs, output_hashes, frames),
    }


def write_bundle(c: Computation, out: Path, *, overwrite: bool = False,
                 early: EarlyBundle | None = None) -> dict[str, Any]:
    """Write the directory atomically; refuses to replace a non-empty one unless asked.
    ``early``: the hashes and renders started while computing (:class:`EarlyBundle`), if any."""
    staged = stage_bundle(c, out, overwrite=overwrite, early=early)
    staged.commit()
    return staged.manifest


@dataclass(frozen=True)
class StagedBundle:
    """A bundle written whole into its hidden staging directory (:func:`stage_bundle`), not yet
    in place: :meth:`commit` renames it into place, :meth:`discard` removes it."""

    staging: Path
    out: Path
    manifest: dict[str, Any]

    def commit(self) -> None:
        """Put the bundle in place (replacing the directory there, as :func:`stage_bundle` allowed)."""
        try:
            if self.out.exists():
                trash = self.out.with_name(f".{self.out.name}.old-{os.getpid()}")
                self.out.rename(trash)
                self.staging.rename(self.out)
                shutil.rmtree(trash, ignore_errors=True)
            else:
                self.staging.rename(self.out)
        except BaseException:
            self.discard()
            raise

    def discard(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)


def _staging_next_to(out: Path) -> Path:
    """A new hidden directory beside ``out`` (its parents made), or the located refusal of a
    place no directory can be written (a parent that is a file, read-only, ``/proc``)."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    except OSError as exc:
        file = next((a for a in out.parents if a.exists()), None)
        if file is not None and not file.is_dir():
            raise InputError([Problem(Msg("output.not_dir", path=str(file)))]) from None
        raise InputError([Problem(Msg("output.unwritable", path=str(out),
                                      reason=exc.strerror or type(exc).__name__))]) from None


def stage_bundle(c: Computation, out: Path, *, overwrite: bool = False,
                 early: EarlyBundle | None = None) -> StagedBundle:
    """The whole bundle of ``c`` written into a hidden staging directory next to ``out``
    (refused, as :func:`write_bundle`, where a non-empty directory may not be replaced); the
    caller commits or discards it. A failure removes it."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError([Problem(Msg("output.not_dir", path=str(out)))])
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise InputError([Problem(Msg("output.exists", path=str(out)))])
    # the canonical input frames are rendered and hashed on a second thread (started early, or
    # here) while this one copies the inputs and renders the outputs (unless rendered early
    # meanwhile); polars and hashlib release the GIL: the largest renders of the bundle overlap
    # instead of following each other
    copies = input_copies(c.inputs, c)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="frame-hashes") as worker:
        frames = worker.submit(early.frames if early is not None else frame_hashes, c)
        staged = early.staged.take(copy_names(c.inputs.files()), out) if early is not None else None
        if staged is None:
            staging, hashes = _staging_next_to(out), {}
        else:  # the input files were copied and hashed into it while computing
            staging, hashes = staged[0], dict(staged[1])
        try:
            (staging / "inputs").mkdir(exist_ok=True)
            for name, path in copies.items():  # one read each; the scheme file (and all, unstaged) here
                if name not in hashes:
                    hashes[name] = copy_hashed(path, staging / "inputs" / name)
            outputs = early.outputs(c) if early is not None else render_outputs(c)
            manifest = build_manifest(c, outputs, copies, hashes, frames.result(),
                                      early.output_hashes(outputs) if early is not None else None)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    try:
        for name, data in outputs.items():
            (staging / name).write_bytes(data)
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return StagedBundle(staging, out, manifest)


# ---------------------------------------------------------------------------------- verify


@dataclass(frozen=True)
class Verification:
    ok: bool
    problems: tuple[Problem, ...]
    content_hash: str | None
    computation: Any = field(default=None, compare=False, repr=False)
    """The recomputation that verified (a :class:`dividends.compute.Computation`), when ok."""


def read_manifest(directory: Path) -> dict[str, Any]:
    path = directory / MANIFEST
    if not path.is_file():
        raise InputError([Problem(Msg("verify.no_manifest", path=str(directory)))])
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(manifest, dict):
            raise ValueError("not a JSON object")
        if manifest.get("format") != FORMAT:
            raise ValueError(f"format {manifest.get('format')!r}, expected {FORMAT!r}")
        shape = _manifest_shape(manifest)
        if shape is not None:
            raise ValueError(shape)
        return manifest
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError([Problem(Msg("verify.bad_manifest", detail=str(exc)), file=str(path))]) from None


def _manifest_shape(manifest: dict[str, Any]) -> str | None:
    """What is wrong with a computation manifest's shape (in the manifest's own words), or None:
    ``inputs`` and ``outputs`` map plain names inside the directory to sha256 texts (never a path
    outside it), ``parameters`` holds the period and the reference date.

    >>> _manifest_shape({"inputs": {"inputs/../../etc/passwd": "x"}, "outputs": {}, "parameters": {}})
    "'inputs' names inputs/../../etc/passwd, which is not a file inside the directory"
    """
    for key in ("inputs", "outputs"):
        files = manifest.get(key)
        if not isinstance(files, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in files.items()):
            return f"'{key}' must map file names to sha256 texts"
        for name in files:
            parts = name.split("/")
            if name.startswith("/") or "\\" in name or any(part in ("", ".", "..") for part in parts) \
                    or (key == "inputs" and (len(parts) != 2 or parts[0] != "inputs")):
                return f"'{key}' names {name}, which is not a file inside the directory"
    stems = [Path(name).stem for name in manifest["inputs"]]
    if "scheme" not in stems or "households" not in stems:
        return "'inputs' must name the scheme and the households file"
    parameters = manifest.get("parameters")
    if not isinstance(parameters, dict):
        return "'parameters' is missing or not an object"
    if not isinstance(parameters.get("period"), int) or isinstance(parameters.get("period"), bool):
        return "'parameters.period' is missing or not a whole number"
    try:
        date.fromisoformat(str(parameters.get("reference_date")))
    except ValueError:
        return "'parameters.reference_date' is missing or not a date (YYYY-MM-DD)"
    return None


def inputs_from_manifest(directory: Path, manifest: dict[str, Any]) -> Inputs:
    files = {Path(name).stem: directory / name for name in manifest["inputs"]}
    params = manifest["parameters"]
    return Inputs(
        scheme=str(files["scheme"]), registry=files["households"], period=int(params["period"]),
        posts=files.get("posts"), members=files.get("members"), returns=files.get("returns"),
        amount_yuan=params.get("amount_yuan"), exclude_invalid=bool(params.get("exclude_invalid")),
        reference_date=date.fromisoformat(params["reference_date"]),
        columns=files.get("columns"), vocabulary=files.get("vocabulary"),
        sheets=tuple(sorted(dict(params.get("sheets") or {}).items())),
        **{name: files.get(name) for name in EXTRA_INPUTS},
    )


def verify_bundle(directory: Path) -> Verification:
    """Recompute from ``DIR/inputs`` and compare with the files and the manifest.

    Returns the first difference found (an input changed, a line differs, a hash differs)."""
    directory = Path(directory)
    manifest = read_manifest(directory)
    for name, expected in manifest["inputs"].items():
        path = directory / name
        if not path.is_file():
            return _fail(Msg("verify.input_missing", file=name))
        found = sha256_file(path)
        if found != expected:
            return _fail(Msg("verify.input_changed", file=name, found=found[:16], expected=expected[:16]))
    recomputed = compute(inputs_from_manifest(directory, manifest))
    outputs = render_outputs(recomputed)
    for name in sorted(set(outputs) | set(manifest["outputs"])):
        path = directory / name
        if not path.is_file():
            return _fail(Msg("verify.output_missing", file=name))
        difference = first_difference(name, path.read_bytes(), outputs.get(name, b""))
        if difference is not None:
            return _fail(difference)
        recorded = manifest["outputs"].get(name)
        if recorded != sha256_bytes(outputs[name]):
            return _fail(Msg("verify.hash_differs", field=f"outputs.{name}", found=str(recorded)[:16],
                             expected=sha256_bytes(outputs[name])[:16]))
    expected_hash = content_hash(recomputed, outputs)
    if manifest.get("content_hash") != expected_hash:
        return _fail(Msg("verify.hash_differs", field="content_hash", found=str(manifest.get("content_hash"))[:16],
                         expected=expected_hash[:16]))
    total = int(recomputed.allocation.villages["pool_fen"].sum())
    if manifest.get("total_fen") != total:
        return _fail(Msg("verify.hash_differs", field="total_fen", found=manifest.get("total_fen"), expected=total))
    return Verification(True, (), expected_hash, recomputed)


def _fail(msg: Msg) -> Verification:
    return Verification(False, (Problem(msg),), None)


def first_difference(name: str, found: bytes, expected: bytes) -> Msg | None:
    """The first line where a CSV file differs from what it should be, described by recipient."""
    if found == expected:
        return None
    have = found.decode("utf-8", errors="replace").split("\n")
    want = expected.decode("utf-8", errors="replace").split("\n")
    header = next(csv.reader(io.StringIO(want[0]))) if want and want[0] else []
    if have[:1] != want[:1]:
        return Msg("verify.header_differs", file=name, found=have[0][:200] if have else "")
    for index in range(1, max(len(have), len(want))):
        a = have[index] if index < len(have) else None
        b = want[index] if index < len(want) else None
        if a == b:
            continue
        line = index + 1
        if a is None or a == "":
            return Msg("verify.line_missing", file=name, line=line, expected=_describe(header, b or ""))
        if b is None or b == "":
            return Msg("verify.line_extra", file=name, line=line, found=_describe(header, a))
        row_a, row_b = _row(header, a), _row(header, b)
        if _key(row_a) != _key(row_b):
            return Msg("verify.line_missing", file=name, line=line, expected=_describe(header, b))
        for column in header:
            if row_a.get(column) != row_b.get(column):
                return Msg("verify.line_differs", file=name, line=line, recipient=_key_text(row_b), column=column,
                           found=row_a.get(column), expected=row_b.get(column))
    return Msg("verify.header_differs", file=name, found="(line endings or encoding)")


def _row(header: list[str], line: str) -> dict[str, str]:
    values = next(csv.reader(io.StringIO(line)), [])
    return dict(zip(header, values))


def _key(row: dict[str, str]) -> tuple[str, ...]:
    return tuple(row.get(k, "") for k in ("village_id", "recipient_kind", "recipient_id", "step_id", "part", "file", "row"))


def _key_text(row: dict[str, str]) -> str:
    return " ".join(v for v in _key(row) if v)


def _describe(header: list[str], line: str) -> str:
    return _key_text(_row(header, line)) or line[:120]
