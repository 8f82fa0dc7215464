"""The computation's inputs beyond the registry: brought forward, deductions, what earlier runs
paid, events. Files in (zh/en headers, located errors), recorded in the bundle, verified offline."""
from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from dividends.bundle import verify_bundle, write_bundle
from dividends.compute import Inputs, compute
from schemes.problems import InputError
from tests.dividends.support import SampleFiles, run_cli, sample_files

ROOT = Path(__file__).resolve().parents[2]
MONTHS = str(ROOT / "schemes" / "examples" / "per-person-months.yaml")


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> SampleFiles:
    return sample_files(tmp_path_factory.mktemp("registry"), households=30)


def _extra_files(directory: Path, files: SampleFiles) -> dict[str, Path]:
    households = pl.read_csv(files.households, infer_schema=False)
    poor = households.filter(pl.col("status") == "poor")["household_id"].to_list()
    out = {
        "brought_forward": directory / "bf.csv", "deductions": directory / "deductions.csv",
        "earlier_paid": directory / "earlier.csv", "events": directory / "events.csv",
    }
    out["brought_forward"].write_text("村编码,结转金额,来源年度\nV0001,1234.56,2023\n", encoding="utf-8")
    out["deductions"].write_text(f"户编号,扣款金额,扣款原因,收款账户\n{poor[0]},300,2023年多付,collective\n"
                                 f"{poor[1]},99999,借款,collective\n", encoding="utf-8")
    out["earlier_paid"].write_text(f"household_id,amount_yuan,run\n{poor[0]},1900,7\n", encoding="utf-8-sig")
    out["events"].write_text(f"户编号,变动类型,变动日期,成员姓名,原类别\n{poor[1]},死亡,2024/5/10,某某,\n"
                             f"{poor[2]},类别变更,2024-03-15,,一般户\n", encoding="gbk")
    return out


def test_extra_inputs_are_recorded_copied_and_verified(files: SampleFiles, tmp_path: Path) -> None:
    extra = _extra_files(tmp_path, files)
    inputs = Inputs(scheme=MONTHS, registry=files.households, members=files.members, posts=files.posts,
                    returns=files.returns, period=2024, **extra)  # type: ignore[arg-type]
    result = compute(inputs)
    manifest = write_bundle(result, tmp_path / "out")
    out = tmp_path / "out"
    assert {"inputs/brought_forward.csv", "inputs/deductions.csv", "inputs/earlier_paid.csv",
            "inputs/events.csv"} <= set(manifest["inputs"])
    assert (out / "deductions.csv").is_file()
    lines = pl.read_csv(out / "allocations.csv")
    assert lines.columns[4] == "brought_forward" and lines.columns[-1] == "deductions"
    v1 = lines.filter(pl.col("village_id") == "V0001")
    returns = pl.read_csv(files.returns, infer_schema=False)
    v1_return = int(returns.filter(pl.col("village_id") == "V0001")["amount_yuan"][0].replace(".", ""))
    assert v1["amount_fen"].sum() == v1_return + 123456  # the carry-over arrived
    deductions = pl.read_csv(out / "deductions.csv")
    assert (deductions["recovered_fen"] + deductions["carried_forward_fen"] == deductions["amount_fen"]).all()
    assert deductions["carried_forward_fen"].sum() > 0  # 99,999 yuan cannot be recovered from one payout
    assert verify_bundle(out).ok

    # the same computation without the events is another computation: another hash
    (tmp_path / "none.csv").write_text("household_id,event,date\n", encoding="utf-8")
    again = compute(Inputs(scheme=MONTHS, registry=files.households, members=files.members, posts=files.posts,
                           returns=files.returns, period=2024, **{**extra, "events": tmp_path / "none.csv"}))
    assert write_bundle(again, tmp_path / "out2")["content_hash"] != manifest["content_hash"]

    events = out / "inputs" / "events.csv"
    events.write_bytes(events.read_bytes().replace("2024/5/10".encode("gbk"), "2024/4/10".encode("gbk")))
    result = verify_bundle(out)
    assert not result.ok and "inputs/events.csv was changed" in result.problems[0].text("en")


def test_bad_extra_files_are_refused_with_file_row_and_column(files: SampleFiles, tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text("户编号,扣款金额,扣款原因,收款账户\nV0001-00001,12.345,,collective\n", encoding="utf-8")
    (tmp_path / "e.csv").write_text("household_id,event,date\nV0001-00001,moved,2023-05-01\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        compute(Inputs(scheme=MONTHS, registry=files.households, members=files.members, posts=files.posts,
                       returns=files.returns, period=2024, deductions=tmp_path / "d.csv", events=tmp_path / "e.csv",
                       earlier_paid=None))
    text = caught.value.text("en")
    assert "d.csv, row 2, column '扣款金额': expected an amount in yuan (non-negative, at most 2 decimals), found 12.345" in text
    assert "d.csv, row 2, column '扣款原因': must not be empty" in text
    assert "e.csv, row 2, column 'event': expected joined (新增), left (迁出), died (死亡) or status_changed" in text
    assert "e.csv, row 2, column 'date': expected a date within 2024" in text
    zh = caught.value.text("zh")
    assert "d.csv，第 2 行，“扣款金额”列: 应为金额" in zh


def test_a_scheme_that_needs_an_input_says_which(files: SampleFiles) -> None:
    with pytest.raises(InputError) as caught:
        compute(Inputs(scheme=MONTHS, registry=files.households, members=files.members, posts=files.posts,
                       returns=files.returns, period=2024))
    text = caught.value.text("en")
    assert "step(s) cap cap the household's total for the period and need the file of what earlier runs of the period paid" in text
    assert "step(s) dividend prorate by months and need the file of the period's household and member events (an empty" in text


def test_cli_compute_takes_the_extra_files(files: SampleFiles, tmp_path: Path) -> None:
    extra = _extra_files(tmp_path, files)
    done = run_cli("compute", "--scheme", MONTHS, "--registry", files.households, "--members", files.members,
                   "--returns", files.returns, "--period", "2024", "--out", tmp_path / "run",
                   "--brought-forward", extra["brought_forward"], "--deductions", extra["deductions"],
                   "--earlier-paid", extra["earlier_paid"], "--events", extra["events"])
    assert done.returncode == 0, done.stderr
    assert run_cli("verify", tmp_path / "run").returncode == 0
