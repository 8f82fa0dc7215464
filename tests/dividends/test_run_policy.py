"""Policy rules and sources on the run side (issue 10, items 7 and 8): a computed run records
which rules of the profiles that apply to it pass or fail and which numbers cite no source; the
audit pack carries the same report (format 5), and verify re-evaluates it from the recomputation."""
from __future__ import annotations

import json
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from dividends import run_policy, runs
from dividends.auditpack import build_pack, verify_pack
from dividends.clock import FixedClock
from dividends.imports import import_registry
from schemes.loader import parse_scheme
from schemes.policy import evaluate, load_profile
from schemes.presets import load_preset
from tests.dbsupport import clean_db, database_url, db  # noqa: F401  (fixtures)
from tests.dividends.support import sample_files
from tests.dividends.test_auditpack import rewrite
from tests.dividends.test_carry_over_runs import SHAREHOLDING

pytestmark = pytest.mark.db


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2025, 1, 6, 2, 0, tzinfo=UTC))


async def computed(tmp_path: Path, clock: FixedClock, scheme: str, asset: str = "asset") -> runs.Run:
    reg = sample_files(tmp_path / "reg", households=12, villages=1, seed=3)
    await import_registry(reg.households, period=2024, actor="accountant", posts=reg.posts, members=reg.members,
                          reference_date=date(2025, 1, 1))
    run = await runs.create_run("V0001", 2024, scheme, "accountant", amount_yuan="50000", asset=asset)
    await runs.compute_run(run.id, "accountant", clock)
    return await runs.get_run(run.id)


def unsourced_scheme(tmp_path: Path) -> Path:
    path = tmp_path / "unsourced.yaml"
    path.write_text(SHAREHOLDING.read_text(encoding="utf-8").replace(
        '''percent: {value: 20, source: "assumed: collective's stake"}''', "percent: 20"), encoding="utf-8")
    assert "percent: 20\n" in path.read_text(encoding="utf-8")
    return path


def test_a_profile_applies_by_asset_or_by_scheme() -> None:
    profile = load_profile("national-pv-2020")
    assert profile.applies("photovoltaic", "asset") and profile.applies("shareholding", "PV")
    assert not profile.applies("shareholding", "kiwi")


async def test_a_pv_run_records_each_rule_and_the_pack_carries_it(clean_db, clock, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run = await computed(tmp_path, clock, "photovoltaic")
    policy = run.manifest["policy"]
    assert [p["id"] for p in policy["profiles"]] == ["national-pv-2020"]
    rules = policy["profiles"][0]["rules"]
    scheme = load_preset("photovoltaic")
    assert [r["id"] for r in rules] == [r.id for r in load_profile("national-pv-2020").rules]
    assert any(r.status == "undecided" for r in evaluate(load_profile("national-pv-2020"), scheme))
    for r in rules:  # a computed run decides every rule, even those the scheme alone cannot
        assert r["status"] in ("pass", "fail"), r
        assert r["source"] and r["message"]["zh"] and r["message"]["en"]

    pack = tmp_path / "pack.zip"
    pack.write_bytes(await build_pack(run.id))
    with zipfile.ZipFile(pack) as z:
        recorded = json.loads(z.read("run/policy.json"))
    assert recorded["asset"] == "asset" and recorded["profiles"] == policy["profiles"]
    assert verify_pack(pack).ok

    def flip(data: bytes) -> bytes:  # hide the first rule's result
        doc = json.loads(data)
        first = doc["profiles"][0]["rules"][0]
        first["status"] = "pass" if first["status"] == "fail" else "fail"
        return json.dumps(doc).encode()
    forged = verify_pack(rewrite(pack, "run/policy.json", flip, fix_manifest=True))
    assert [p.msg.key for p in forged.problems] == ["pack.policy_differs"]

    def as_format(fmt: str) -> Path:  # the pack without its policy file, as format fmt
        with zipfile.ZipFile(pack) as z:
            files = {n: z.read(n) for n in z.namelist() if n != "run/policy.json"}
        manifest = json.loads(files["manifest.json"])
        manifest["files"].pop("run/policy.json")
        manifest["format"] = fmt
        files["manifest.json"] = json.dumps(manifest).encode()
        out = tmp_path / f"{fmt.rsplit('/', 1)[1]}.zip"
        with zipfile.ZipFile(out, "w") as z:
            for n, data in files.items():
                z.writestr(n, data)
        return out
    assert verify_pack(as_format("dividends.auditpack/4")).ok  # written before policy results existed
    bare = verify_pack(as_format("dividends.auditpack/5"))
    assert [p.msg.key for p in bare.problems] == ["pack.file_missing"]


async def test_a_run_of_another_asset_has_no_profile_and_lists_numbers_without_source(clean_db, clock, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run = await computed(tmp_path, clock, str(unsourced_scheme(tmp_path)), asset="kiwi")
    policy = run.manifest["policy"]
    assert policy["profiles"] == []
    assert [w["where"] for w in policy["unsourced"]] == ["scheme shareholding v1, line 39, key steps[0].percent"]
    assert "no source" in policy["unsourced"][0]["message"]["en"] and "未注明出处" in policy["unsourced"][0]["message"]["zh"]
    # the scheme alone gives the same list (numbers without source are a property of the scheme)
    assert policy["unsourced"] == run_policy.report(parse_scheme(run.scheme.text), None, "kiwi")["unsourced"]
    pack = tmp_path / "pack.zip"
    pack.write_bytes(await build_pack(run.id))
    assert json.loads(zipfile.ZipFile(pack).read("run/policy.json"))["unsourced"] == policy["unsourced"]
    assert verify_pack(pack).ok, verify_pack(pack).problems
