"""Stored registry snapshots: Parquet frames trusted by hash (``parquet-v2``), CSV snapshots
stored before (``csv-v1``) still read, and audit-pack inputs still the stored CSV bytes."""
from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

import dividends.compute as compute_module
from dividends import runs
from dividends.bundle import build_manifest, input_copies, render_outputs
from dividends.clock import FixedClock
from dividends.compute import Inputs, compute
from dividends.hashing import sha256_bytes
from dividends.imports import import_registry
from dividends.store.files import get_file, put_file
from dividends.store import registry as registry_store
from dividends.store.models import RegistrySnapshot, StoredFile
from dividends.store.snapshot_format import PARQUET_V2, read_frame_parquet
from tests.dbsupport import clean_db, database_url, db  # noqa: F401  (fixtures)
from tests.dividends.support import sample_files

pytestmark = pytest.mark.db

CSV_V1 = Path(__file__).parent / "fixtures" / "snapshot-csv-v1"  # as stored by the csv-v1 import
PATHS = {"households": Path("households.csv"), "members": Path("members.csv"), "posts": Path("posts.csv")}
CLOCK = datetime(2025, 1, 6, 2, 0, tzinfo=UTC)


def _no_reading(*args, **kwargs):  # type: ignore[no-untyped-def]
    raise AssertionError("the registry was read and validated again")


def _file_inputs(directory: Path, households: Path, members: Path | None, posts: Path | None,
                 scheme: str, reference: date) -> Inputs:
    return Inputs(scheme=scheme, registry=households, members=members, posts=posts, period=2024,
                  amount_yuan="50000.00", reference_date=reference)


async def test_an_import_stores_the_validated_frames_and_a_run_trusts_them(clean_db, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    files = sample_files(tmp_path / "reg", households=15, villages=1, seed=5)
    await import_registry(files.households, period=2024, actor="accountant", posts=files.posts,
                          members=files.members, reference_date=date(2025, 1, 1))
    snapshot = await RegistrySnapshot.get()
    assert snapshot.format == PARQUET_V2
    assert sorted(snapshot.frames) == ["households", "members", "posts"]
    for kind, digest in snapshot.frames.items():
        assert sha256_bytes(await get_file(digest)) == digest, kind
    assert read_frame_parquet(await get_file(snapshot.frames["households"])).height == 15

    run = await runs.create_run("V0001", 2024, "tourism-cooperative", "accountant", amount_yuan="50000")
    monkeypatch.setattr(compute_module, "read_registry", _no_reading)
    assert (await runs.compute_run(run.id, "accountant", FixedClock(CLOCK))).changed
    monkeypatch.undo()
    run = await runs.get_run(run.id)

    # the same run computed from the stored CSV files, read and validated again: same hash
    stored = tmp_path / "stored"
    stored.mkdir()
    for kind, digest in (("households", snapshot.households_file), ("members", snapshot.members_file),
                         ("posts", snapshot.posts_file)):
        (stored / f"{kind}.csv").write_bytes(await get_file(digest))
    again = compute(_file_inputs(stored, stored / "households.csv", stored / "members.csv", stored / "posts.csv",
                                 "tourism-cooperative", run.created_at.date()))
    manifest = build_manifest(again, render_outputs(again), input_copies(again.inputs, again))
    assert run.content_hash == manifest["content_hash"]
    # the pack's inputs are the stored CSV bytes, never the Parquet frames
    assert run.manifest["inputs"]["inputs/households.csv"] == snapshot.households_file
    assert run.manifest["inputs"]["inputs/members.csv"] == snapshot.members_file


async def test_a_snapshot_whose_frames_no_longer_match_their_hash_is_read_from_its_csv(clean_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    files = sample_files(tmp_path / "reg", households=10, villages=1, seed=8)
    await import_registry(files.households, period=2024, actor="accountant", posts=files.posts,
                          members=files.members, reference_date=date(2025, 1, 1))
    snapshot = await RegistrySnapshot.get()
    assert await runs.trusted_registry(snapshot, PATHS) is not None
    await StoredFile.filter(sha256=snapshot.frames["households"]).update(data=b"PAR1 not these bytes")
    assert await runs.trusted_registry(snapshot, PATHS) is None
    run = await runs.create_run("V0001", 2024, "shareholding", "accountant", amount_yuan="20000")
    assert (await runs.compute_run(run.id, "accountant", FixedClock(CLOCK))).changed
    assert (await runs.get_run(run.id)).lines > 0


async def test_a_snapshot_stored_as_csv_before_parquet_keeps_being_read(clean_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A ``csv-v1`` snapshot (its files kept as that version stored them) has no frames: a run
    reads and validates its CSV files, and its manifest's inputs are those bytes."""
    stored = {kind: (CSV_V1 / f"{kind}.csv").read_bytes() for kind in ("households", "members", "posts")}
    digests = {kind: await put_file(f"V0001-2024-{kind}.csv", data) for kind, data in stored.items()}
    county = await registry_store.county("default")
    village = await registry_store.village("V0001", county)
    record = await registry_store.new_import(period=2024, actor="accountant", files={}, households=12, excluded=[],
                                             columns={})
    snapshot = await registry_store.create_snapshot(  # the row as the csv-v1 import wrote it: no format, no frames
        record, village, period=2024, version=1, households_file=digests["households"],
        members_file=digests["members"], posts_file=digests["posts"], households=12,
        facts=json.loads((CSV_V1 / "facts.json").read_text(encoding="utf-8")), columns={})
    snapshot = await RegistrySnapshot.get(id=snapshot.id)
    assert snapshot.format == "csv-v1" and await runs.trusted_registry(snapshot, PATHS) is None

    run = await runs.create_run("V0001", 2024, "shareholding", "accountant", amount_yuan="50000")
    assert (await runs.compute_run(run.id, "accountant", FixedClock(CLOCK))).changed
    run = await runs.get_run(run.id)
    assert run.manifest["inputs"]["inputs/households.csv"] == sha256_bytes(stored["households"])
    assert run.manifest["inputs"]["inputs/posts.csv"] == sha256_bytes(stored["posts"])
    direct = compute(_file_inputs(CSV_V1, CSV_V1 / "households.csv", CSV_V1 / "members.csv", CSV_V1 / "posts.csv",
                                  "shareholding", run.created_at.date()))
    manifest = build_manifest(direct, render_outputs(direct), input_copies(direct.inputs, direct))
    assert run.content_hash == manifest["content_hash"]
