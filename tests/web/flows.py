"""Walking a run through the pages, as the village's accountant and committee would."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from dividends.clock import FixedClock
from tests.dividends.support import sample_files
from tests.web.support import Browser


@dataclass(frozen=True)
class Registry:
    households: Path
    members: Path
    posts: Path


RESOLUTION = {"meeting_date": "2025-01-06", "body": "representatives", "entitled": "30", "present": "21",
              "votes_for": "15", "votes_against": "4", "abstaining": "2"}
"""A villagers' representatives' meeting that meets the default rules (2/3 present, a majority for)."""


def registry_files(directory: Path, households: int = 12, villages: int = 1, seed: int = 3) -> Registry:
    files = sample_files(directory, households=households, villages=villages, seed=seed)
    return Registry(files.households, files.members, files.posts)


def upload(reg: Registry) -> dict[str, tuple[str, bytes, str]]:
    return {kind: (path.name, path.read_bytes(), "text/csv") for kind, path in
            (("households", reg.households), ("members", reg.members), ("posts", reg.posts))}


def run_id_of(response_location: str) -> int:
    match = re.fullmatch(r"/runs/(\d+)", response_location)
    assert match, response_location
    return int(match.group(1))


async def import_and_create(acc: Browser, reg: Registry, *, period: int = 2024, amount: str = "50000",
                            scheme: str = "shareholding", village: str = "V0001") -> int:
    imported = await acc.post(f"/villages/{village}/registry", {"period": str(period)}, files=upload(reg))
    assert imported.status_code == 200, imported.text[-2000:]
    recorded = await acc.post(f"/villages/{village}/returns", {"period": str(period), "amount": amount, "asset": "光伏电站"})
    assert recorded.status_code == 303, recorded.text[-2000:]
    created = await acc.post(f"/villages/{village}/runs", {"period": str(period), "scheme": scheme})
    assert created.status_code == 303, created.text[-2000:]
    return run_id_of(created.headers["location"])


async def computed(acc: Browser, reg: Registry, **kw: object) -> int:
    run_id = await import_and_create(acc, reg, **kw)  # type: ignore[arg-type]
    response = await acc.post(f"/runs/{run_id}/compute")
    assert response.status_code == 303, response.text[-2000:]
    return run_id


async def publicized(acc: Browser, reg: Registry, **kw: object) -> int:
    run_id = await computed(acc, reg, **kw)
    response = await acc.post(f"/runs/{run_id}/publicize", {"start": "2025-01-06", "end": "2025-01-12"})
    assert response.status_code == 303, response.text[-2000:]
    return run_id


async def approved(acc: Browser, com: Browser, clock: FixedClock, reg: Registry, **kw: object) -> int:
    run_id = await publicized(acc, reg, **kw)
    clock.advance(days=7)
    response = await com.post(f"/runs/{run_id}/approve", RESOLUTION)
    assert response.status_code == 303, response.text[-2000:]
    return run_id


def bank_result_csv(csv_bytes: bytes, failed: set[str] = frozenset()) -> bytes:  # type: ignore[assignment]
    """The bank's answer to a batch file: every household paid, except ``failed``."""
    text = csv_bytes.decode("utf-8-sig")
    ids = sorted(set(re.findall(r"V\d{4}-\d{5}", text)))
    rows = ["户编号,状态,失败原因"] + [f"{h},{'失败' if h in failed else '成功'},{'账户已销户' if h in failed else ''}" for h in ids]
    return ("\n".join(rows) + "\n").encode("utf-8-sig")


def households_of(frame_csv: Path) -> list[str]:
    return pl.read_csv(frame_csv, infer_schema=False)["household_id"].to_list()
