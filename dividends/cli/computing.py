"""``dividends compute``, ``verify`` and ``compare``."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

from dividends.cli import allocator  # noqa: F401  (before polars: its allocator's settings)
from dividends.cli import exit_at_once_when_done

import typer

from dividends.cli.console import err, out, progress, say, show_problems, table, text, yuan
from dividends.staging import StagedInputs
from schemes.i18n import current_language

if TYPE_CHECKING:  # polars, the registry, the engine and the bundle load when a command runs
    from dividends.bundle import EarlyBundle
    from dividends.compute import Computation, Inputs
    from dividends.registry import Registry
    from dividends.registry.mapping import ColumnMapping
    from dividends.registry.vocabulary import Vocabulary
    from schemes.problems import Problem

SchemeOpt = Annotated[str, typer.Option("--scheme", help="a preset name or a scheme file")]
RegistryOpt = Annotated[Path, typer.Option("--registry", help="households file (CSV or XLSX)")]
PostsOpt = Annotated[Optional[Path], typer.Option("--posts", help="public-welfare posts roster")]
MembersOpt = Annotated[Optional[Path], typer.Option("--members", help="household members file")]
AmountOpt = Annotated[Optional[str], typer.Option("--amount", help="one village's return, in yuan")]
ReturnsOpt = Annotated[Optional[Path], typer.Option("--returns", help="village_id, amount_yuan per village")]
PeriodOpt = Annotated[int, typer.Option("--period", help="the payout year")]
ExcludeOpt = Annotated[bool, typer.Option("--exclude-invalid", help="drop rows with problems (they are listed)")]
ColumnsOpt = Annotated[Optional[Path], typer.Option("--columns", help="column mapping file (YAML: 'header: column')")]
SheetOpt = Annotated[Optional[str], typer.Option("--sheet", help="the households workbook's sheet to read")]
VocabularyOpt = Annotated[Optional[Path], typer.Option("--vocabulary", help="the county's status words (YAML)")]
BroughtForwardOpt = Annotated[Optional[Path], typer.Option("--brought-forward", help="last period's carry-over per village")]
DeductionsOpt = Annotated[Optional[Path], typer.Option("--deductions", help="debts and overpayments to deduct")]
EarlierPaidOpt = Annotated[Optional[Path], typer.Option("--earlier-paid", help="what earlier runs of the period paid")]
EventsOpt = Annotated[Optional[Path], typer.Option("--events", help="household and member events of the period")]


def _inputs(scheme: str, registry: Path, posts: Path | None, members: Path | None, amount: str | None,
            returns: Path | None, period: int, exclude_invalid: bool, columns: Path | None = None,
            sheet: str | None = None, vocabulary: Path | None = None) -> Inputs:
    from dividends.compute import Inputs
    return Inputs(scheme=scheme, registry=registry, period=period, posts=posts, members=members,
                  amount_yuan=amount, returns=returns, exclude_invalid=exclude_invalid, columns=columns,
                  vocabulary=vocabulary, sheets=(("households", sheet),) if sheet else ())


def reading_options(columns: Path | None, sheet: str | None,
                    vocabulary: Path | None) -> tuple[ColumnMapping | None, dict[str, str], Vocabulary | None]:
    """The ``--columns``, ``--sheet`` and ``--vocabulary`` options as the readers take them."""
    from dividends.registry.mapping import load_mapping
    from dividends.registry.vocabulary import Vocabulary
    mapping = load_mapping(columns) if columns is not None else None
    words = Vocabulary.shipped().extended(vocabulary) if vocabulary is not None else None
    return mapping, ({"households": sheet} if sheet else {}), words


def show_reading_report(notes: tuple[Problem, ...], warnings: tuple[Problem, ...]) -> None:
    """What the reader did (the sheet it read, rows it skipped) and the warnings (unrecognised
    headers, landlines), on stderr."""
    for note in notes:
        err.print(note.text(current_language()), markup=False, highlight=False)
    if warnings:
        err.print(text("cli.compute.warnings", count=len(warnings)), style="yellow", markup=False)
        for warning in warnings[:50]:
            err.print("  - " + warning.text(current_language()), style="yellow", markup=False, highlight=False)
        if len(warnings) > 50:
            err.print("  " + text("problems.more", count=len(warnings) - 50), style="yellow", markup=False)


def show_reading(registry: Registry) -> None:
    """The reading report, and the households no SMS can reach."""
    show_reading_report(registry.notes, registry.warnings)
    unreachable = registry.unreachable_by_sms()
    if unreachable.height:
        ids = unreachable["household_id"].head(20).to_list()
        say("cli.compute.no_sms", count=unreachable.height, households=ids)


def _with_progress(inputs: Inputs, big: bool, early: EarlyBundle | None = None) -> Computation:
    with progress(big) as bar:
        task = bar.add_task("", total=None)

        from dividends.compute import compute as run_compute

        def report(what: str, done: int, total: int) -> None:
            bar.update(task, description=what, completed=done, total=total)

        return run_compute(inputs, report, early)


def compute(scheme: SchemeOpt, registry: RegistryOpt, period: PeriodOpt,
            out_dir: Annotated[Path, typer.Option("--out", help="output directory")],
            posts: PostsOpt = None, members: MembersOpt = None, amount: AmountOpt = None, returns: ReturnsOpt = None,
            exclude_invalid: ExcludeOpt = False,
            overwrite: Annotated[bool, typer.Option("--overwrite", help="replace a non-empty output directory")] = False,
            columns: ColumnsOpt = None, sheet: SheetOpt = None, vocabulary: VocabularyOpt = None,
            brought_forward: BroughtForwardOpt = None, deductions: DeductionsOpt = None,
            earlier_paid: EarlierPaidOpt = None, events: EventsOpt = None) -> None:
    """Compute the split and write allocations, summary, input copies and a manifest."""
    given = {"registry": registry, "posts": posts, "members": members, "returns": returns, "columns": columns,
             "vocabulary": vocabulary, "brought_forward": brought_forward, "deductions": deductions,
             "earlier_paid": earlier_paid, "events": events}
    # the input files are copied into the bundle's staging directory on a thread from here on,
    # while this one imports polars, the registry and the engine, then reads (dividends.staging)
    staged = StagedInputs()
    staged.start({kind: path for kind, path in given.items() if path is not None}, out_dir, overwrite=overwrite)
    try:
        summary, manifest, result = _compute(staged, scheme, registry, period, out_dir, posts, members, amount,
                                             returns, exclude_invalid, overwrite, columns, sheet, vocabulary,
                                             brought_forward, deductions, earlier_paid, events)
    finally:
        staged.discard()  # the staged copies of a computation that failed (write_bundle took them otherwise)
    out.file.write(summary)
    out.file.flush()
    if result.registry.exclusions:
        show_problems(result.registry.exclusions, limit=20)
        say("cli.compute.excluded", count=len(result.registry.exclusions), file=str(out_dir / "excluded.csv"))
    say("cli.compute.done", dir=str(out_dir), lines=manifest["lines"], villages=manifest["villages"],
        total=yuan(manifest["total_fen"]), hash=manifest["content_hash"][:16])
    exit_at_once_when_done()  # every file is written and closed: no teardown of the frames


def _compute(staged: StagedInputs, scheme: str, registry: Path, period: int, out_dir: Path, posts: Path | None,
             members: Path | None, amount: str | None, returns: Path | None, exclude_invalid: bool, overwrite: bool,
             columns: Path | None, sheet: str | None, vocabulary: Path | None, brought_forward: Path | None,
             deductions: Path | None, earlier_paid: Path | None,
             events: Path | None) -> tuple[str, dict[str, object], Computation]:
    """The computation and its bundle: (the summary tables drawn, the manifest, the result)."""
    from concurrent.futures import ThreadPoolExecutor, wait
    from dataclasses import replace

    from dividends.bundle import EarlyBundle, stage_bundle

    inputs = replace(_inputs(scheme, registry, posts, members, amount, returns, period, exclude_invalid, columns, sheet,
                             vocabulary),
                     brought_forward=brought_forward, deductions=deductions, earlier_paid=earlier_paid, events=events)
    big = registry.exists() and registry.stat().st_size > 2_000_000
    early = EarlyBundle(staged)  # the bundle hashes and renders on other threads while the engine works
    result = _with_progress(inputs, big, early)
    # every invariant passed: the bundle is written into its hidden staging directory on a
    # thread while this one shows the reading report and draws the summary; it is put in place
    # only once both succeeded (a failure on either side leaves nothing)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="bundle") as writer:
        staging = writer.submit(stage_bundle, result, out_dir, overwrite=overwrite, early=early)
        try:
            show_reading(result.registry)
            with out.capture() as summary:  # shown once the bundle is in place
                print_summary(result)
        except BaseException:
            wait([staging])
            if staging.exception() is None:
                staging.result().discard()
            raise
        bundle = staging.result()
    bundle.commit()
    return summary.get(), bundle.manifest, result


def print_summary(result: Computation, villages: int = 10) -> None:
    import polars as pl

    a = result.allocation
    from schemes.describe import column_labels
    lang_label = column_labels(result.scheme, _lang())
    steps = a.summary.filter(pl.col("part") == "").group_by("step_index", "step_id", maintain_order=True).agg(
        pl.col("paid_fen").sum(), pl.col("shortfall_fen").sum(), pl.col("unallocated_fen").sum(),
        pl.col("recipients").sum(), pl.col("floors_applied").sum()).sort("step_index")
    t = table(text("cli.col.step"), text("cli.col.paid"), text("cli.col.shortfall"), text("cli.col.unallocated"),
              text("cli.col.recipients"), text("cli.col.floors"), title=text("cli.steps.title", villages=a.villages.height))
    for r in steps.iter_rows(named=True):
        t.add_row(f"{r['step_index']}. {lang_label[r['step_id']]}", yuan(r["paid_fen"]), yuan(r["shortfall_fen"]),
                  yuan(r["unallocated_fen"]), str(r["recipients"]), str(r["floors_applied"]))
    out.print(t)
    v = table(text("cli.col.village"), text("cli.col.pool"), text("cli.col.households"),
              title=text("cli.villages.title", count=min(villages, a.villages.height)))
    for r in a.villages.head(villages).iter_rows(named=True):
        v.add_row(r["village_id"], yuan(r["pool_fen"]), str(r["households"]))
    out.print(v)


def _lang() -> str:
    from schemes.i18n import current_language
    return current_language()


def verify(path: Annotated[Path, typer.Argument(help="a computation's output directory, or an audit pack (.zip)")]) -> None:
    """Recompute and compare with the files and manifest (exit 1 on any difference). Works offline."""
    from dividends.bundle import verify_bundle

    if path.is_file():
        from dividends.auditpack import verify_pack
        pack = verify_pack(path)
        if not pack.ok:
            out.print(text("cli.verify.failed"), style="red")
            show_problems(pack.problems)
            raise typer.Exit(1)
        say("pack.ok", run=pack.run, village=pack.village, period=pack.period)
        return
    result = verify_bundle(path)
    if not result.ok:
        out.print(text("cli.verify.failed"), style="red")
        show_problems(result.problems)
        raise typer.Exit(1)
    say("verify.ok", dir=str(path), hash=(result.content_hash or "")[:16])


def _status(name: str | None) -> str:
    """A household status as people read it (the one vocabulary), else the value itself."""
    from schemes.statuses import LABELS as STATUS_LABELS
    pair = STATUS_LABELS.get(name or "")
    return (pair[0] if current_language() == "zh" else pair[1]) if pair else (name or "")


def compare(scheme: SchemeOpt, vs: Annotated[str, typer.Option("--vs", help="the other scheme (preset or file)")],
            registry: RegistryOpt, period: PeriodOpt, posts: PostsOpt = None, members: MembersOpt = None,
            amount: AmountOpt = None, returns: ReturnsOpt = None, exclude_invalid: ExcludeOpt = False,
            out_file: Annotated[Optional[Path], typer.Option("--out", help="write per-household differences (CSV)")] = None,
            top: Annotated[int, typer.Option(help="how many of the largest changes to print")] = 10) -> None:
    """Per-household difference between two schemes (or two versions) on the same inputs."""
    import polars as pl

    from dividends.compare import compare as compare_schemes
    from dividends.files.safe import export_csv
    inputs = _inputs(scheme, registry, posts, members, amount, returns, period, exclude_invalid)
    c = compare_schemes(inputs, vs)
    a_name = f"{c.a.scheme.id} v{c.a.scheme.version}"
    b_name = f"{c.b.scheme.id} v{c.b.scheme.version}"
    t = table(text("cli.col.status"), text("cli.col.households"), text("cli.col.a"), text("cli.col.b"),
              text("cli.col.diff"), text("cli.col.gain"), text("cli.col.loss"),
              title=text("cli.compare.title", a=a_name, b=b_name))
    for r in c.by_status.iter_rows(named=True):
        t.add_row(_status(r["status"]), str(r["households"]), yuan(r["a_fen"]), yuan(r["b_fen"]), yuan(r["difference_fen"]),
                  str(r["gain"]), str(r["loss"]))
    out.print(t)
    accounts = c.lines.filter(pl.col("recipient_kind") == "account").group_by("recipient_id").agg(
        pl.col("a_fen").sum(), pl.col("b_fen").sum(), pl.col("difference_fen").sum()).sort("recipient_id")
    if accounts.height:
        t = table(text("cli.col.recipient"), text("cli.col.a"), text("cli.col.b"), text("cli.col.diff"),
                  title=text("cli.compare.accounts"))
        for r in accounts.iter_rows(named=True):
            t.add_row(r["recipient_id"], yuan(r["a_fen"]), yuan(r["b_fen"]), yuan(r["difference_fen"]))
        out.print(t)
    largest = c.lines.filter(pl.col("recipient_kind") == "household").sort(
        pl.col("difference_fen").abs(), "village_id", "recipient_id", descending=[True, False, False]).head(top)
    t = table(text("cli.col.recipient"), text("cli.col.village"), text("cli.col.status"), text("cli.col.a"),
              text("cli.col.b"), text("cli.col.diff"), title=text("cli.compare.top", count=largest.height), text=(0, 1, 2))
    for r in largest.iter_rows(named=True):
        t.add_row(r["recipient_id"], r["village_id"], _status(r["status"]),
                  yuan(r["a_fen"]), yuan(r["b_fen"]),
                  yuan(r["difference_fen"]))
    out.print(t)
    if out_file is not None:
        out_file.parent.mkdir(parents=True, exist_ok=True)
        out_file.write_bytes(export_csv(c.lines))
        say("cli.compare.written", file=str(out_file))
