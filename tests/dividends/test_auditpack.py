"""The audit pack: built from the database, verified offline, tampering detected."""
from __future__ import annotations

import io
import json
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
