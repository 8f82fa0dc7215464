"""Never silently default what the scheme needs: absent columns are facts, unknown headers are
reported, and a column mapping (or a built-in synonym) fixes the file."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dividends.cli import app
from dividends.compute import Inputs, compute
from dividends.registry import read_registry
from dividends.registry.facts import RegistryFacts
from dividends.registry.mapping import ColumnMapping, load_mapping
from dividends.registry.needs import check_needs, need_problems, scheme_needs
from schemes.presets import load_preset
from schemes.problems import InputError
from tests.dividends.test_registry_layouts import ident
from tests.dividends.workbooks import FORMATS, write

REFERENCE = date(2025, 6, 30)
HEADER = ["户编号", "村编码", "户主姓名", "身份证号", "人口数", "有劳动能力人数", "类别"]


def households(tmp_path: Path, share_header: str = "股份数目", fmt: str = "csv") -> Path:
    rows = [HEADER + [share_header, "入股金额"]]
    rows += [[f"H{n}", "V1", f"户主{n}", ident(n), "3", "2", "一般户", str(n), "100"] for n in (1, 2, 3)]
    return write(tmp_path, fmt, rows)


def run(tmp_path: Path, registry: Path, scheme: str, **kwargs: object):  # type: ignore[no-untyped-def]
    return compute(Inputs(scheme=scheme, registry=registry, period=2025, amount_yuan="1000",
                          reference_date=REFERENCE, **kwargs))  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", FORMATS)
def test_shares_under_an_unknown_header_stop_a_scheme_paying_by_shares(tmp_path: Path, fmt: str) -> None:
    with pytest.raises(InputError) as caught:
        run(tmp_path, households(tmp_path, fmt=fmt), "shareholding")
    [problem] = caught.value.problems  # 入股金额 is present: capital is not reported
    assert (problem.msg.key, problem.msg.params["column"]) == ("needs.missing_column", "shares")
    text = problem.msg.text("en")
    assert "need the column 'shares' (“股数”)" in text
    assert "股份数目 (→ 股数 shares?)" in text  # the unrecognised header with its suggestion
    step = load_preset("shareholding").steps
    assert problem.msg.params["step"] == [s.id for s in step if s.id in problem.msg.params["step"]]
    assert all(s in text for s in problem.msg.params["step"])
    assert "股份数目" in problem.msg.text("zh") and "列映射" in problem.msg.text("zh")


def test_the_same_file_is_fine_for_a_scheme_that_reads_no_shares_and_the_header_is_a_warning(tmp_path: Path) -> None:
    result = run(tmp_path, households(tmp_path), "golden-chicken")
    [warning] = result.registry.warnings
    assert warning.msg.key == "registry.unknown_headers"
    assert "股份数目 (→ 股数 shares?)" in warning.msg.text("en")
    assert result.registry.facts.absent == {"households": ("phone", "shares", "account_no", "bank", "language")}


def test_a_mapping_file_maps_the_header_and_the_shares_are_read(tmp_path: Path) -> None:
    mapping = tmp_path / "columns.yaml"
    mapping.write_text("股份数目: shares\n", encoding="utf-8")
    result = run(tmp_path, households(tmp_path), "shareholding", columns=mapping)
    assert result.registry.households["shares"].to_list() == [1, 2, 3]
    assert result.registry.warnings == ()


@pytest.mark.parametrize("header", ["股份数", "持股数", "股权数", "分红股数"])
def test_common_share_headers_are_built_in_synonyms(tmp_path: Path, header: str) -> None:
    result = run(tmp_path, households(tmp_path, header), "shareholding")
    assert result.registry.households["shares"].to_list() == [1, 2, 3]


def test_a_column_left_blank_counts_as_absent(tmp_path: Path) -> None:
    rows = [HEADER + ["股数"]] + [[f"H{n}", "V1", f"户主{n}", ident(n), "3", "2", "一般户", None] for n in (1, 2)]
    with pytest.raises(InputError) as caught:
        run(tmp_path, write(tmp_path, "csv", rows), "shareholding")
    assert {p.msg.params["column"] for p in caught.value.problems} == {"shares", "capital_yuan"}


def test_months_served_under_its_common_names_is_read(tmp_path: Path) -> None:
    posts = write(tmp_path, "csv", [["户编号", "上岗人员", "岗位名称", "补贴档次", "上岗月数"], ["H1", "张三", "保洁员", "A", "12"]],
                  name="posts")
    hh = write(tmp_path, "csv", [HEADER, ["H1", "V1", "张三", ident(1), "1", "1", "贫困户"]])
    registry = read_registry(hh, posts=posts, reference_date=REFERENCE)
    assert registry.posts is not None and registry.posts["months_served"].to_list() == [12]


def test_facts_stored_with_a_version_give_the_same_check_later() -> None:
    facts = RegistryFacts(kinds=("households",), absent={"households": ("shares",)},
                          unknown={"households": ("股份数目 (→ 股数 shares?)",)}, files={"households": "上河村.xlsx"})
    stored = RegistryFacts.from_dict(facts.to_dict())
    problems = need_problems(load_preset("shareholding"), stored)
    assert [p.msg.params["column"] for p in problems] == ["shares"]
    assert problems[0].file == "上河村.xlsx"
    check_needs(load_preset("golden-chicken"), stored)  # raises nothing


def test_every_preset_declares_the_fields_its_steps_read() -> None:
    needs = {name: {(n.kind, n.column) for n in scheme_needs(load_preset(name))}
             for name in ("photovoltaic", "five-share-classes", "tourism-cooperative")}
    assert ("posts", "months_served") in needs["photovoltaic"]
    assert ("members", "student") in needs["five-share-classes"]
    assert ("households", "capital_yuan") in needs["tourism-cooperative"]


def test_a_student_filter_on_a_members_file_without_the_column_stops(tmp_path: Path) -> None:
    facts = RegistryFacts(kinds=("households", "members"), absent={"members": ("student",)})
    [problem] = need_problems(load_preset("five-share-classes"), facts)
    assert problem.msg.params["column"] == "student"


def test_a_bad_mapping_file_names_the_line_and_the_columns(tmp_path: Path) -> None:
    mapping = tmp_path / "columns.yaml"
    mapping.write_text("股份数目: shares\n上岗月份: months\nposts:\n  月数: 服务月数\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_mapping(mapping)
    [problem] = caught.value.problems
    assert problem.line == 2 and "months_served" in problem.msg.text("en")


def test_a_mapping_is_a_value_that_can_be_stored() -> None:
    mapping = ColumnMapping((("*", "股份数目", "shares"), ("posts", "上岗月份", "months_served")))
    assert ColumnMapping.from_dict(mapping.to_dict()) == mapping
    assert mapping.for_kind("households") == {"股份数目": "shares"}
    assert mapping.for_kind("posts") == {"上岗月份": "months_served"}


def test_the_command_line_stops_with_the_field_and_accepts_a_mapping(tmp_path: Path) -> None:
    path = households(tmp_path)
    runner = CliRunner()
    result = runner.invoke(app, ["--lang", "en", "compute", "--scheme", "shareholding", "--registry", str(path),
                                 "--period", "2025", "--amount", "1000", "--out", str(tmp_path / "out")])
    assert result.exit_code != 0
    mapping = tmp_path / "columns.yaml"
    mapping.write_text("households:\n  股份数目: 股数\n", encoding="utf-8")
    result = runner.invoke(app, ["--lang", "en", "compute", "--scheme", "shareholding", "--registry", str(path),
                                 "--period", "2025", "--amount", "1000", "--out", str(tmp_path / "out"),
                                 "--columns", str(mapping)])
    assert result.exit_code == 0, result.output
    verify = runner.invoke(app, ["verify", str(tmp_path / "out")])
    assert verify.exit_code == 0, verify.output  # the mapping is copied into inputs/ and used again
