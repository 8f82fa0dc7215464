"""A small county world for the role tests: runs in several states in three villages of two
counties, built through the services (the pages are tested elsewhere)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from dividends import access, payouts, runs
from dividends.actors import Actor
from dividends.clock import FixedClock
from dividends.imports import import_registry
from tests.dividends.test_runs import RESOLUTION
from dividends.store.models import Objection, RegistrySnapshot
from tests.dividends.support import sample_files
from tests.web.flows import bank_result_csv


@dataclass(frozen=True)
class World:
    runs: dict[str, int]  # village -> run id
    snapshots: dict[str, int]
    objections: dict[str, int]
    tokens: dict[str, str]
    pack: bytes = b""  # V0001's audit pack, as its auditor downloads it
    registry: bytes = b""  # V0001's households file (its rows of the sample registry), to import again


def _rename(directory: Path, source: Path, old: str, new: str) -> Path:
    target = directory / source.name
    target.write_text(source.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    return target


async def build_world(tmp: Path, clock: FixedClock) -> World:
    files = sample_files(tmp / "reg", households=24, villages=2, seed=3)
    await import_registry(files.households, period=2024, actor="acc1", posts=files.posts, members=files.members,
                          county="C1", reference_date=date(2025, 1, 1))
    other = tmp / "other"
    other.mkdir()
    one = sample_files(tmp / "one", households=10, villages=1, seed=5)
    await import_registry(_rename(other, one.households, "V0001", "V9001"), period=2024, actor="acc9", county="C2",
                          members=_rename(other, one.members, "V0001", "V9001"),
                          posts=_rename(other, one.posts, "V0001", "V9001"), reference_date=date(2025, 1, 1))
    ids: dict[str, int] = {}
    for village, preparer in (("V0001", "acc1"), ("V0002", "acc2"), ("V9001", "acc9")):
        run = await runs.create_run(village, 2024, "shareholding", preparer, amount_yuan="30000")
        await runs.compute_run(run.id, preparer, clock)
        await runs.publicize(run.id, date(2025, 1, 6), date(2025, 1, 12), preparer, clock)
        ids[village] = run.id
    objections = {}
    for village, run_id in ids.items():
        lines = await runs.lines_frame(run_id)
        household = lines.filter(lines["recipient_kind"] == "household")["recipient_id"][0]
        objection = await runs.record_objection(run_id, household, "核对", channel="web", actor="x", clock=clock)
        await runs.resolve_objection(objection.id, "ok", "com1", clock)
        objections[village] = objection.id
    clock.advance(days=7)
    from dividends.store.files import get_file
    for village in ("V0001", "V9001"):
        await runs.approve(ids[village], "com1", clock, resolution=RESOLUTION)  # on a recorded meeting
        outcome = await payouts.pay(ids[village], "acc1", clock=clock)
        csv = tmp / f"{village}.csv"
        batch = await get_file(outcome.batch.csv_file)
        # V0001: the bank refuses its first household (closed account): failed list, payee fix, cash list
        failed = {sorted(set(re.findall(r"V[0-9]{4}-[0-9]{5}", batch.decode("utf-8-sig"))))[0]} \
            if village == "V0001" else set()
        csv.write_bytes(bank_result_csv(batch, failed))
        if failed:
            await payouts.import_bank_result(ids[village], csv, "acc1", clock=clock)
    # a township reviewer (乡镇农经站) over V0002, and V0002's own committee member (approves there)
    admin = Actor(0, "test", "test", "admin")
    await access.create_township(admin, "T01", "甲镇", county="C1")
    await access.set_village_township(admin, "V0002", "T01")
    for username, role, village, town, name in (("town1", "township", None, "T01", "钱站长"),
                                                 ("com2", "committee", "V0002", None, "陈监委")):
        await access.create_user(username, "correct horse battery", role, actor="test", village=village,
                                 township=town, display_name=name)
    snapshots = {s.village.code: s.id for s in await RegistrySnapshot.all().prefetch_related("village")}
    tokens = {}
    for username in ("acc1", "com1", "com1b", "acc2", "aud1", "aud2", "adm1", "root", "town1", "com2"):
        actor = await access.verify_login(username, "correct horse battery", "127.0.0.9", clock)
        assert actor is not None
        tokens[username] = await access.create_token(actor, "script")
    assert await Objection.all().count() == 3
    from dividends.auditpack import build_pack
    lines = files.households.read_text(encoding="utf-8").splitlines()
    own = "\n".join([lines[0], *(line for line in lines[1:] if line.startswith("V0001-"))]) + "\n"
    return World(ids, snapshots, objections, tokens, await build_pack(ids["V0001"]), own.encode("utf-8"))
