"""``dividends compute``, ``verify`` and ``compare``: files in, files out, every refusal clear."""
from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest

from dividends.bundle import EarlyBundle, frame_hashes, render_outputs, verify_bundle, write_bundle
from dividends.compare import compare
from dividends.hashing import sha256_bytes
from dividends.compute import Inputs, compute
from schemes.problems import InputError
from tests.dividends.support import SampleFiles, run_cli, sample_files


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> SampleFiles:
    return sample_files(tmp_path_factory.mktemp("registry"))


def inputs(files: SampleFiles, scheme: str = "tourism-cooperative", **extra: object) -> Inputs:
    base = dict(scheme=scheme, registry=files.households, members=files.members, posts=files.posts,
                returns=files.returns, period=2024)
    return Inputs(**{**base, **extra})  # type: ignore[arg-type]


def test_the_output_directory_holds_allocations_summary_inputs_and_manifest(files: SampleFiles, tmp_path: Path) -> None:
    result = compute(inputs(files))
    manifest = write_bundle(result, tmp_path / "out")
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == ["allocations.csv", "inputs", "manifest.json", "summary.csv"]
    assert sorted(p.name for p in (out / "inputs").iterdir()) == [
        "households.csv", "members.csv", "posts.csv", "returns.csv", "scheme.yaml"]
    lines = pl.read_csv(out / "allocations.csv")
    assert lines.columns == ["recipient_id", "recipient_kind", "village_id", "amount_fen",
                             "collective", "dividend", "guarantee", "carry_over"]
    assert all(lines[c].dtype == pl.Int64 for c in lines.columns[3:])
    returns = pl.read_csv(files.returns)
    assert manifest["total_fen"] == lines["amount_fen"].sum() == int(
        sum(int(str(v).replace(".", "")) for v in returns[returns.columns[1]].cast(pl.String)))
    assert manifest["scheme"] == {"id": "tourism-cooperative", "version": 1, "effective": "2016-01-01",
                                  "source": "tourism-cooperative"}
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8")) == manifest


def test_any_row_order_gives_identical_files_and_hash(files: SampleFiles, tmp_path: Path) -> None:
    shuffled = tmp_path / "shuffled"
    shuffled.mkdir()
    for path in (files.households, files.members, files.posts, files.returns):
        text = path.read_text(encoding="utf-8").splitlines()
        body = text[1:]
        body.reverse()
        (shuffled / path.name).write_text("\n".join([text[0], *body]) + "\n", encoding="utf-8")
    original = write_bundle(compute(inputs(files)), tmp_path / "a")
    again = write_bundle(compute(inputs(SampleFiles(*(shuffled / p.name for p in (
        files.households, files.members, files.posts, files.returns))))), tmp_path / "b")
    assert (tmp_path / "a" / "allocations.csv").read_bytes() == (tmp_path / "b" / "allocations.csv").read_bytes()
    assert (tmp_path / "a" / "summary.csv").read_bytes() == (tmp_path / "b" / "summary.csv").read_bytes()
    assert original["content_hash"] == again["content_hash"]
    assert original["inputs"] != again["inputs"]  # the raw files differ; their content does not


def test_a_bundle_started_early_is_the_same_and_only_for_its_own_frames(files: SampleFiles, tmp_path: Path) -> None:
    early = EarlyBundle()
    result = compute(inputs(files), early=early)
    assert early.frames(result) == frame_hashes(result)
    assert early.outputs(result) == render_outputs(result)
    rendered = early.outputs(result)
    assert early.output_hashes(rendered) == {name: sha256_bytes(data) for name, data in rendered.items()}
    assert early.output_hashes({"x.csv": b"other"}) == {"x.csv": sha256_bytes(b"other")}
    assert write_bundle(result, tmp_path / "a", early=early) == write_bundle(result, tmp_path / "b")
    assert (tmp_path / "a" / "allocations.csv").read_bytes() == (tmp_path / "b" / "allocations.csv").read_bytes()
    other = compute(inputs(files, period=2023))  # other frame objects: hashed and rendered afresh
    assert early.frames(other) == frame_hashes(other)
    assert early.outputs(other) == render_outputs(other)
    assert write_bundle(other, tmp_path / "c", early=early) == write_bundle(other, tmp_path / "d")
    assert EarlyBundle().frames(result) == frame_hashes(result)  # never started: computed on the spot
    assert EarlyBundle().outputs(result) == render_outputs(result)


def test_inputs_copied_early_give_the_same_bundle_and_no_staging_is_left(files: SampleFiles, tmp_path: Path) -> None:
    given = inputs(files)
    early = EarlyBundle()
    early.copy_inputs(given, tmp_path / "a")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".a.")]  # copying, out of sight
    result = compute(given, early=early)
    assert write_bundle(result, tmp_path / "a", early=early) == write_bundle(result, tmp_path / "b")
    for name in ("allocations.csv", "inputs/households.csv", "inputs/scheme.yaml"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    early.discard()  # taken by write_bundle: nothing to remove, the bundle stays
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b"]
    # copies for other inputs or another directory are not used, and are removed on discard
    other = EarlyBundle()
    other.copy_inputs(inputs(files), tmp_path / "c")
    assert write_bundle(result, tmp_path / "c", early=other) == write_bundle(result, tmp_path / "d")
    other.discard()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b", "c", "d"]
    # nothing is staged where the bundle would be refused, or its parent does not exist yet
    refused = EarlyBundle()
    refused.copy_inputs(given, tmp_path / "a")
    refused.copy_inputs(given, tmp_path / "new" / "deeper")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b", "c", "d"]
    with pytest.raises(InputError, match="exists and is not empty"):
        write_bundle(result, tmp_path / "a", early=refused)
    # a copy that fails fails the bundle, and leaves nothing
    broken, missing = EarlyBundle(), inputs(files, posts=tmp_path / "missing.csv")
    broken.copy_inputs(missing, tmp_path / "e")
    with pytest.raises(FileNotFoundError):
        write_bundle(replace(compute(given), inputs=missing), tmp_path / "e", early=broken)
    broken.discard()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b", "c", "d"]


def test_verify_accepts_an_untouched_directory(files: SampleFiles, tmp_path: Path) -> None:
    write_bundle(compute(inputs(files)), tmp_path / "out")
    assert verify_bundle(tmp_path / "out").ok


@pytest.mark.parametrize("tamper, expected", [
    ("edit_amount", "amount_fen is 1 in the file, the recomputation gives"),
    ("drop_line", "is missing: the recomputation has"),
    ("add_line", "is extra"),
    ("edit_input", "input file inputs/households.csv was changed"),
    ("edit_manifest_total", "the manifest's total_fen is 1"),
    ("edit_summary", "summary.csv line 2 (V0001 collective): kind is pro_rata in the file, the recomputation gives carve_out"),
    ("delete_input", "input file inputs/posts.csv is missing"),
])
def test_verify_names_the_first_difference(files: SampleFiles, tmp_path: Path, tamper: str, expected: str) -> None:
    out = tmp_path / "out"
    write_bundle(compute(inputs(files)), out)
    allocations = out / "allocations.csv"
    lines = allocations.read_text(encoding="utf-8").split("\n")
    if tamper == "edit_amount":
        cells = lines[5].split(",")
        cells[3] = "1"
        lines[5] = ",".join(cells)
        allocations.write_text("\n".join(lines), encoding="utf-8")
    elif tamper == "drop_line":
        allocations.write_text("\n".join(lines[:4] + lines[5:]), encoding="utf-8")
    elif tamper == "add_line":
        allocations.write_text("\n".join(lines[:-1] + ["X,household,V0001,1,0,1,0,0", ""]), encoding="utf-8")
    elif tamper == "edit_input":
        path = out / "inputs" / "households.csv"
        path.write_text(path.read_text(encoding="utf-8").replace(",3,", ",4,", 1), encoding="utf-8")
    elif tamper == "edit_manifest_total":
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        manifest["total_fen"] = 1
        (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    elif tamper == "edit_summary":
        summary = out / "summary.csv"
        rows = summary.read_text(encoding="utf-8").split("\n")
        rows[1] = rows[1].replace("carve_out", "pro_rata")
        summary.write_text("\n".join(rows), encoding="utf-8")
    elif tamper == "delete_input":
        (out / "inputs" / "posts.csv").unlink()
    result = verify_bundle(out)
    assert not result.ok
    assert expected in result.problems[0].text("en")


def test_an_existing_directory_is_not_overwritten_unless_asked(files: SampleFiles, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(InputError, match="exists and is not empty"):
        write_bundle(compute(inputs(files)), out)
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    write_bundle(compute(inputs(files)), out, overwrite=True)
    assert not (out / "keep.txt").exists() and (out / "manifest.json").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left behind


def test_amount_needs_a_single_village(files: SampleFiles) -> None:
    with pytest.raises(InputError, match="--amount is one village's return, but the registry has 2 villages"):
        compute(inputs(files, returns=None, amount_yuan="1000"))


def test_a_return_for_an_unknown_village_is_refused(files: SampleFiles, tmp_path: Path) -> None:
    returns = tmp_path / "returns.csv"
    returns.write_text(files.returns.read_text(encoding="utf-8") + "V0099,10.00\n", encoding="utf-8")
    with pytest.raises(InputError, match="village V0099 has a return but no households"):
        compute(inputs(files, returns=returns))


def test_compare_reports_each_household_and_totals_by_status(files: SampleFiles) -> None:
    c = compare(inputs(files, scheme="golden-chicken"), "shareholding")
    households = c.lines.filter(pl.col("recipient_kind") == "household")
    assert (households["b_fen"] - households["a_fen"] == households["difference_fen"]).all()
    assert c.by_status["difference_fen"].sum() == households["difference_fen"].sum()
    assert c.by_status["households"].sum() == households.height
    # the same inputs: both schemes distribute the same total
    assert c.lines["a_fen"].sum() == c.lines["b_fen"].sum()
    poor = c.by_status.filter(pl.col("status") == "poor").row(0, named=True)
    golden = c.a.allocation.households.filter(pl.col("status") == "poor")["amount_fen"].sum()
    assert poor["a_fen"] == golden


def test_cli_compute_then_verify_then_tamper(files: SampleFiles, tmp_path: Path) -> None:
    out = tmp_path / "run"
    done = run_cli("compute", "--scheme", "golden-chicken", "--registry", files.households, "--returns", files.returns,
                   "--period", "2024", "--out", out)
    assert done.returncode == 0, done.stderr
    assert "wrote" in done.stdout and "content_hash" in done.stdout
    ok = run_cli("verify", out)
    assert ok.returncode == 0 and "verified" in ok.stdout
    (out / "allocations.csv").write_text((out / "allocations.csv").read_text(encoding="utf-8").replace(",", ";", 1),
                                         encoding="utf-8")
    bad = run_cli("verify", out)
    assert bad.returncode == 1
    assert "allocations.csv" in bad.stderr and "Traceback" not in bad.stderr + bad.stdout


def test_cli_reports_bad_input_without_a_traceback_and_writes_nothing(files: SampleFiles, tmp_path: Path) -> None:
    scheme = tmp_path / "bad.yaml"
    scheme.write_text("id: x\nversion: one\n", encoding="utf-8")
    out = tmp_path / "never"
    done = run_cli("compute", "--scheme", scheme, "--registry", files.households, "--returns", files.returns,
                   "--period", "2024", "--out", out)
    assert done.returncode == 2
    assert "key version: expected a whole number of at least 1, found one" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]  # the early copies' staging removed
    zh = run_cli("compute", "--scheme", "no-such-scheme", "--registry", files.households, "--returns", files.returns,
                 "--period", "2024", "--out", out, lang="zh")
    assert zh.returncode == 2 and "找不到方案“no-such-scheme”" in zh.stderr


def test_cli_schemes_list_show_validate(tmp_path: Path) -> None:
    listed = run_cli("schemes", "list")
    for name in ("photovoltaic", "tourism-cooperative", "shareholding", "golden-chicken"):
        assert name in listed.stdout
    shown = run_cli("schemes", "show", "tourism-cooperative", lang="zh")
    assert "保证入股金额>0.00的农户所得不低于入股金额的 25%" in shown.stdout
    assert "seed: 25% minimum guarantee" in shown.stdout
    good = Path(__file__).resolve().parents[2] / "schemes" / "presets" / "photovoltaic.yaml"
    bad = tmp_path / "bad.yaml"
    shutil.copy(good, bad)
    bad.write_text(bad.read_text(encoding="utf-8").replace("kind: pro_rata", "kind: prorata"), encoding="utf-8")
    checked = run_cli("schemes", "validate", good, bad)
    assert checked.returncode == 2
    assert "valid (photovoltaic version 1, 3 steps)" in checked.stdout
    assert "found prorata (pro_rata?)" in checked.stderr


def test_a_scheme_text_read_again_from_another_file_names_that_file(tmp_path: Path) -> None:
    """resolve_scheme parses a text once per process; each file still names itself (scheme and
    warnings) exactly as the loader does, and a broken text is refused every time."""
    from dividends.compute import resolve_scheme
    from schemes.loader import load_scheme
    from tests.schemes.test_policy import EQUAL
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    for path in (first, second):
        path.write_text(EQUAL, encoding="utf-8")
    for path in (first, second, first):
        got, loaded = resolve_scheme(str(path)).scheme, load_scheme(path, display_name=str(path))
        assert got == loaded and got.file == str(path)
        assert [w.text("en") for w in got.warnings] == [w.text("en") for w in loaded.warnings]
        assert got.warnings and all(str(path) in w.text("en") for w in got.warnings)
    second.write_text(EQUAL + "  - nonsense\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(InputError, match="b.yaml"):
            resolve_scheme(str(second))


def test_cli_compute_leaves_nothing_when_its_report_fails_while_the_bundle_is_staged(
        files: SampleFiles, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the bundle is written into its staging directory while the reading report and the summary
    # are drawn; it is put in place only once both succeeded
    from typer.testing import CliRunner

    import dividends.cli.computing as computing
    from dividends.cli import app

    def broken(registry: object) -> None:
        raise RuntimeError("the report failed")

    monkeypatch.setattr(computing, "show_reading", broken)
    out = tmp_path / "run"
    done = CliRunner().invoke(app, ["compute", "--scheme", "golden-chicken", "--registry", str(files.households),
                                    "--returns", str(files.returns), "--period", "2024", "--out", str(out)])
    assert isinstance(done.exception, RuntimeError)
    assert list(tmp_path.iterdir()) == []  # neither the bundle nor its staging directory
    monkeypatch.undo()
    done = CliRunner().invoke(app, ["compute", "--scheme", "golden-chicken", "--registry", str(files.households),
                                    "--returns", str(files.returns), "--period", "2024", "--out", str(out)],
                              env={"DIVIDENDS_LANG": "en"})
    assert done.exit_code == 0, done.output
    assert [p.name for p in tmp_path.iterdir()] == ["run"] and (out / "manifest.json").is_file()


def test_no_staging_directory_where_none_can_be_made_and_the_bundle_says_why_later(
        files: SampleFiles, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import dividends.staging as staging

    def refused(*args: object, **kwargs: object) -> str:
        raise PermissionError("read-only")

    monkeypatch.setattr(staging.tempfile, "mkdtemp", refused)
    early = EarlyBundle()
    early.copy_inputs(inputs(files), tmp_path / "out")  # nothing started, nothing raised
    assert early.staged.take(staging.copy_names(inputs(files).files()), tmp_path / "out") is None
    with pytest.raises(InputError, match="village V0099"):  # the input problem, not the directory, comes first
        compute(inputs(files, amount_yuan=None, returns=_with_unknown_village(files, tmp_path)), early=early)
    assert list(tmp_path.iterdir()) == [tmp_path / "returns.csv"]


def _with_unknown_village(files: SampleFiles, tmp_path: Path) -> Path:
    returns = tmp_path / "returns.csv"
    returns.write_text(files.returns.read_text(encoding="utf-8") + "V0099,10.00\n", encoding="utf-8")
    return returns


@pytest.mark.parametrize("where, expected", [
    ("a-file", "{tmp}/a-file is a file, not a directory: --out names the directory the results are written to"),
    ("a-file/out", "{tmp}/a-file is a file, not a directory: --out names the directory the results are written to"),
    ("/proc/out", "the output directory /proc/out cannot be written (No such file or directory); "
                  "choose a directory you may write to"),
])
def test_an_output_directory_that_cannot_be_written_is_named_not_an_internal_error(
        tmp_path: Path, where: str, expected: str) -> None:
    files = sample_files(tmp_path / "in", households=5, villages=1, seed=1)
    (tmp_path / "a-file").write_text("x")
    out = where if where.startswith("/") else str(tmp_path / where)
    result = run_cli("compute", "--scheme", "shareholding", "--registry", files.households, "--members", files.members,
                     "--posts", files.posts, "--amount", "1000", "--period", "2024", "--out", out)
    assert result.returncode == 2, result.stderr
    assert expected.format(tmp=tmp_path) in " ".join(result.stderr.split())
    assert (tmp_path / "a-file").read_text() == "x" and not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("edit, expected", [
    (lambda m: m.pop("inputs"), "'inputs' must map file names to sha256 texts"),
    (lambda m: m["inputs"].update({"inputs/../../../etc/passwd": "x"}),
     "'inputs' names inputs/../../../etc/passwd, which is not a file inside the directory"),
    (lambda m: m["outputs"].update({"/etc/passwd": "x"}), "'outputs' names /etc/passwd, which is not a file inside the directory"),
    (lambda m: m["parameters"].update(period="2024"), "'parameters.period' is missing or not a whole number"),
    (lambda m: m.update(parameters={}), "'parameters.period' is missing or not a whole number"),
    (lambda m: m["parameters"].update(reference_date="yesterday"),
     "'parameters.reference_date' is missing or not a date (YYYY-MM-DD)"),
    (lambda m: [m["inputs"].pop(k) for k in list(m["inputs"]) if k.endswith("scheme.yaml")],
     "'inputs' must name the scheme and the households file"),
])
def test_a_bundle_manifest_of_the_wrong_shape_is_a_located_refusal_not_an_internal_error(
        files: SampleFiles, tmp_path: Path, edit, expected) -> None:  # type: ignore[no-untyped-def]
    copy = tmp_path / "bundle"
    made = run_cli("compute", "--scheme", "shareholding", "--registry", files.households, "--members", files.members,
                   "--posts", files.posts, "--returns", files.returns, "--period", "2024", "--out", copy)
    assert made.returncode == 0, made.stderr
    manifest = json.loads((copy / "manifest.json").read_text())
    edit(manifest)
    (copy / "manifest.json").write_text(json.dumps(manifest))
    result = run_cli("verify", copy)
    assert result.returncode == 2, result.stderr
    assert f"manifest.json cannot be read: {expected}" in " ".join(result.stderr.split())
    (copy / "manifest.json").write_text("[1]")
    assert "manifest.json cannot be read: not a JSON object" in " ".join(run_cli("verify", copy).stderr.split())
