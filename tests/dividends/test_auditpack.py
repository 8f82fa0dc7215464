"""The audit pack: built from the database, verified offline, tampering detected."""
from __future__ import annotations

import io
import json
import warnings
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from dividends import payouts, runs
from dividends.auditpack import build_pack, verify_pack
from dividends.clock import FixedClock
from dividends.hashing import sha256_bytes
from dividends.store.models import PayoutItem
from tests.dbsupport import clean_db, database_url, db  # noqa: F401
from tests.dividends.test_runs import approved_run, bank_result
from tests.dividends.support import sample_files

pytestmark = pytest.mark.db


def rewrite(pack: Path, name: str, change, *, fix_manifest: bool) -> Path:  # type: ignore[no-untyped-def]
    with zipfile.ZipFile(pack) as z:
        files = {n: z.read(n) for n in z.namelist()}
    files[name] = change(files[name])
    if fix_manifest:
        manifest = json.loads(files["manifest.json"])
        manifest["files"][name] = sha256_bytes(files[name])
        files["manifest.json"] = json.dumps(manifest).encode()
    out = pack.with_name("tampered.zip")
    with zipfile.ZipFile(out, "w") as z:
        for n, data in files.items():
            z.writestr(n, data)
    return out


def _bump_first_household_amount(data: bytes) -> bytes:
    lines = data.decode().split("\n")
    i = next(i for i, line in enumerate(lines) if line.startswith("household,"))
    kind, rid, amount, rest = lines[i].split(",", 3)
    lines[i] = ",".join([kind, rid, str(int(amount) + 1), rest])
    return "\n".join(lines).encode()


@pytest.fixture
async def paid_pack(clean_db, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    clock = FixedClock(datetime(2025, 1, 6, 2, 0, tzinfo=UTC))
    files = sample_files(tmp_path / "reg", households=12, villages=1, seed=3)
    run = await approved_run(files, clock)
    batch = (await payouts.pay(run.id, "accountant", clock=clock)).batch
    ids = await PayoutItem.filter(batch=batch).order_by("household_id").values_list("household_id", flat=True)
    await payouts.import_bank_result(run.id, bank_result(tmp_path / "r.csv", [(h, "成功") for h in ids]),
                                     "accountant", clock=clock)
    await payouts.close(run.id, "accountant", clock=clock)
    pack = tmp_path / "pack.zip"
    pack.write_bytes(await build_pack(run.id))
    assert pack.read_bytes() == await build_pack(run.id)  # deterministic
    return pack


async def test_a_pack_holds_everything_and_verifies_offline(paid_pack: Path) -> None:
    names = zipfile.ZipFile(paid_pack).namelist()
    for expected in ("manifest.json", "computation/allocations.csv", "computation/inputs/scheme.yaml",
                     "computation/inputs/households.csv", "run/approvals.json", "ledger/entries.csv",
                     "ledger/run.beancount", "bank/batch-1.csv", "bank/batch-1.xlsx", "bank/result-1-1.csv"):
        assert expected in names
    result = verify_pack(paid_pack)
    assert result.ok, [p.text("en") for p in result.problems]
    approvals = json.loads(zipfile.ZipFile(paid_pack).read("run/approvals.json"))
    assert (approvals["prepared_by"], approvals["approved_by"], approvals["state"]) == ("accountant", "chair", "closed")


@pytest.mark.parametrize("name, change, fix, message", [
    ("computation/allocations.csv", lambda b: b.replace(b",0,", b",1,", 1), False, "does not match the manifest's sha256"),
    ("computation/allocations.csv", lambda b: b.replace(b",0,", b",1,", 1), True, "the recomputation gives"),
    ("run/allocation_lines.csv", lambda b: _bump_first_household_amount(b), True, "stored allocation lines differ"),
    ("ledger/postings.csv", lambda b: b.replace(b"V0001,2,Liabilities", b"V0001,2,Liabilities", 1)[:-3] + b"99\n", True,
     "ledger extract"),
])
async def test_tampering_with_a_pack_is_detected(paid_pack: Path, name, change, fix, message) -> None:  # type: ignore[no-untyped-def]
    result = verify_pack(rewrite(paid_pack, name, change, fix_manifest=fix))
    assert not result.ok
    assert message in " ".join(p.text("en") for p in result.problems)


GOLDEN_V1 = Path(__file__).parent / "fixtures" / "auditpack-v1.zip"


def test_a_pack_written_by_format_version_1_keeps_verifying(tmp_path: Path) -> None:
    """A pack written before the ledger head was recorded (kept as written by that version)."""
    assert json.loads(zipfile.ZipFile(GOLDEN_V1).read("manifest.json"))["format"] == "dividends.auditpack/1"
    result = verify_pack(GOLDEN_V1)
    assert result.ok, [p.text("en") for p in result.problems]
    assert (result.run, result.village, result.period) == (1, "V0001", 2024)
    copy = tmp_path / "v1.zip"
    copy.write_bytes(GOLDEN_V1.read_bytes())
    tampered = rewrite(copy, "run/allocation_lines.csv", _bump_first_household_amount, fix_manifest=True)
    assert not verify_pack(tampered).ok


async def test_a_pack_records_the_ledger_head(paid_pack: Path) -> None:
    from dividends.store import ledger as ledger_store
    manifest = json.loads(zipfile.ZipFile(paid_pack).read("manifest.json"))
    assert manifest["format"] == "dividends.auditpack/6"
    head = (await ledger_store.heads(["V0001"]))["V0001"]
    assert manifest["ledger_head"] == {"seq": head.seq, "hash": head.hash}

    def with_head(value):  # type: ignore[no-untyped-def]
        def change(data: bytes) -> bytes:
            doc = json.loads(data)
            doc["ledger_head"] = value
            return json.dumps(doc).encode()
        return change
    for value, message in (({"seq": head.seq, "hash": "f" * 64}, "has hash"),
                           ({"seq": 1, "hash": head.hash}, "is before the run's entry"),
                           (None, "no head recorded"),
                           ("V0001", "'ledger_head' must be")):
        with zipfile.ZipFile(paid_pack) as z:
            files = {n: z.read(n) for n in z.namelist()}
        files["manifest.json"] = with_head(value)(files["manifest.json"])
        out = paid_pack.with_name("head.zip")
        with zipfile.ZipFile(out, "w") as z:
            for n, data in files.items():
                z.writestr(n, data)
        result = verify_pack(out)
        assert not result.ok and message in " ".join(p.text("en") for p in result.problems), (value, result.problems)


def _repack(pack: Path, files: dict[str, bytes], *, extra: tuple[tuple[str, bytes], ...] = ()) -> Path:
    """The pack with these files, its manifest's hashes made to agree (a tamperer's careful edit)."""
    manifest = json.loads(files["manifest.json"])
    manifest["files"] = {n: sha256_bytes(d) for n, d in sorted(files.items()) if n != "manifest.json"}
    out = pack.with_name("tampered.zip")
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("manifest.json", json.dumps(manifest))
        for n, data in files.items():
            if n != "manifest.json":
                z.writestr(n, data)
        with warnings.catch_warnings():  # zipfile warns of a name written twice: that is the point
            warnings.simplefilter("ignore", UserWarning)
            for n, data in extra:
                z.writestr(n, data)
    return out


def _files(pack: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(pack) as z:
        return {n: z.read(n) for n in z.namelist()}


@pytest.mark.parametrize("name", ["run/allocation_lines.csv", "run/approvals.json", "ledger/entries.csv",
                                  "ledger/postings.csv", "bank/items.csv", "bank/batch-1.csv",
                                  "computation/manifest.json"])
async def test_a_required_file_dropped_with_the_manifest_rewritten_is_named_not_an_internal_error(
        paid_pack: Path, name: str) -> None:
    files = _files(paid_pack)
    del files[name]
    result = verify_pack(_repack(paid_pack, files))
    assert not result.ok
    assert [p.text("en") for p in result.problems] == [f"the pack lacks {name}, which every audit pack holds"]
    assert [p.text("zh") for p in result.problems] == [f"审计包缺少文件 {name}（每个审计包都必须有）"]


@pytest.mark.parametrize("name", ["run/allocation_lines.csv", "ledger/entries.csv", "bank/items.csv", "run/approvals.json"])
async def test_a_required_file_that_is_not_what_it_must_be_is_named(paid_pack: Path, name: str) -> None:
    files = _files(paid_pack)
    files[name] = b"\x00\xff binary" if name.endswith(".csv") else b"[1, 2]"
    result = verify_pack(_repack(paid_pack, files))
    assert not result.ok
    assert any(p.text("en").startswith(f"{name} in the pack cannot be read") for p in result.problems), \
        [p.text("en") for p in result.problems]


@pytest.mark.parametrize("key, value, expected", [
    ("period", 2023, "the pack's manifest says period is 2023, but run/approvals.json says 2024"),
    ("run", 2, "the pack's manifest says run is 2, but run/approvals.json says 1"),
    ("state", "draft", "the pack's manifest says state is draft, but run/approvals.json says closed"),
    ("village", "V0002", "the pack's manifest says village is V0002, but run/approvals.json says V0001"),
])
async def test_a_manifest_naming_another_run_period_or_state_is_refused(paid_pack: Path, key: str, value: object,
                                                                        expected: str) -> None:
    files = _files(paid_pack)
    manifest = json.loads(files["manifest.json"])
    manifest[key] = value
    files["manifest.json"] = json.dumps(manifest).encode()
    result = verify_pack(_repack(paid_pack, files))
    assert not result.ok
    assert expected in [p.text("en") for p in result.problems]


async def test_a_content_hash_rewritten_with_the_resolution_is_refused(paid_pack: Path) -> None:
    files = _files(paid_pack)
    manifest = json.loads(files["manifest.json"])
    real = manifest["content_hash"]
    manifest["content_hash"] = "1" * 64
    files["manifest.json"] = json.dumps(manifest).encode()
    resolution = json.loads(files["run/resolution.json"])
    resolution["content_hash"] = "1" * 64
    files["run/resolution.json"] = json.dumps(resolution).encode()
    result = verify_pack(_repack(paid_pack, files))
    assert [p.text("en") for p in result.problems] == [
        f"the pack's manifest says content_hash is {'1' * 64}, but computation/manifest.json says {real}"]


@pytest.mark.parametrize("bad", ["../x", "computation/../../x", "/tmp/x", "computation\\..\\x",
                                 "computation/inputs/x/../households.csv", "computation/allocations.csv"])
async def test_a_name_outside_the_pack_or_twice_is_refused_before_anything_is_extracted(
        paid_pack: Path, bad: str, monkeypatch: pytest.MonkeyPatch) -> None:
    extracted: list[object] = []
    monkeypatch.setattr(zipfile.ZipFile, "extractall", lambda *a, **k: extracted.append(a))
    files = _files(paid_pack)  # the bad name is added after the real files (a second copy of a real one)
    out = _repack(paid_pack, files, extra=((bad, b"evil"),))
    result = verify_pack(out)
    assert not result.ok and not extracted
    assert [p.text("en").split(":")[0] for p in result.problems] == [f"the pack holds a file named {bad}"]
    assert "未解压任何文件" in result.problems[0].text("zh")


async def test_every_changed_missing_and_extra_file_is_listed_at_once(paid_pack: Path) -> None:
    files = _files(paid_pack)
    out = paid_pack.with_name("tampered.zip")
    with zipfile.ZipFile(out, "w") as z:
        for n, data in files.items():
            if n in ("bank/items.csv", "bank/result-1-1.csv"):
                z.writestr(n, data + b"x")
            elif n != "ledger/run.beancount":
                z.writestr(n, data)
        z.writestr("notes.txt", b"hello")
    assert sorted(p.text("en") for p in verify_pack(out).problems) == [
        "bank/items.csv in the pack does not match the manifest's sha256",
        "bank/result-1-1.csv in the pack does not match the manifest's sha256",
        "the pack holds notes.txt, which its manifest does not list",
        "the pack lacks ledger/run.beancount, which its manifest lists",
    ]
