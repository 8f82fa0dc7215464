"""The inputs of a computation beyond the registry and the return, read from files.

Each is CSV (UTF-8, UTF-8 with BOM, or GBK) or XLSX with English or Chinese headers, read by the
registry's reader (so a title row, full-width digits and the usual spellings work the same), and
every problem names the file, row and column, in both languages. A payout run stores these
files as its inputs; ``dividends compute`` takes them with ``--brought-forward``,
``--deductions``, ``--earlier-paid`` and ``--events``.

=============== ===========================================================================
file            columns
=============== ===========================================================================
brought forward ``village_id 村编码, amount_yuan 结转金额`` (+ ``from_period 来源年度``,
                ``source 来源`` optional: the run or account it came from)
deductions      ``household_id 户编号, amount_yuan 扣款金额, reason 扣款原因, creditor 收款账户``
earlier paid    ``household_id 户编号, amount_yuan 已付金额`` (+ ``run 批次``, ``asset 资产``
                optional: one row per earlier posted run of the period, summed per household)
events          ``household_id 户编号, event 变动类型, date 变动日期`` (+ ``member 成员姓名``,
                ``from_status 原类别`` optional)
=============== ===========================================================================

Events: ``joined 新增``, ``left 迁出``, ``died 死亡``, ``status_changed 类别变更``. With a
member name (and always for a death) the event is a member's; without, the household's. A
status change names the status the household had before (``from_status``); the registry holds
the status after. Dates are within the period.
"""
from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path

import polars as pl

import dividends.messages  # noqa: F401
from dividends.registry.cells import parse_date, parse_fen
from dividends.registry.columns import ColumnSpec
from dividends.registry.reading import ROW, Table, read_table
from schemes.engine import Extra
from schemes.filters import STATUS_NAMES
from schemes.statuses import LABELS as STATUS_LABELS
from schemes.i18n import Msg, load_catalog
from schemes.months import EVENT_COLUMNS
from schemes.problems import InputError, Problem
from schemes.steps.adjustments import DEDUCTION_COLUMNS

load_catalog(Path(__file__).with_name("locale"), "dividends")

HOUSEHOLD = ColumnSpec("household_id", "户编号", True, ("户号", "户编码"), code_like=True)
BROUGHT_FORWARD_COLUMNS = (
    ColumnSpec("village_id", "村编码", True, ("村编号", "村代码"), code_like=True),
    ColumnSpec("amount_yuan", "结转金额", True, ("金额", "amount"), code_like=True),
    ColumnSpec("from_period", "来源年度", False, ("年度",), code_like=True),
    ColumnSpec("source", "来源", False, ("来源批次", "run")),
)
DEDUCTION_FILE_COLUMNS = (
    HOUSEHOLD,
    ColumnSpec("amount_yuan", "扣款金额", True, ("金额", "amount"), code_like=True),
    ColumnSpec("reason", "扣款原因", True, ("原因", "事由")),
    ColumnSpec("creditor", "收款账户", True, ("债权账户", "account"), code_like=True),
)
EARLIER_PAID_COLUMNS = (
    HOUSEHOLD,
    ColumnSpec("amount_yuan", "已付金额", True, ("金额", "amount"), code_like=True),
    ColumnSpec("run", "批次", False, ("run_id",), code_like=True),
    ColumnSpec("asset", "资产", False, ("项目",)),
)
EVENT_FILE_COLUMNS = (
    HOUSEHOLD,
    ColumnSpec("event", "变动类型", True, ("变动", "事件"), code_like=True),
    ColumnSpec("date", "变动日期", True, ("日期", "生效日期"), code_like=True),
    ColumnSpec("member", "成员姓名", False, ("姓名", "name")),
    ColumnSpec("from_status", "原类别", False, ("变动前类别",), code_like=True),
)
EVENT_NAMES = {
    "joined": "joined", "新增": "joined", "迁入": "joined", "出生": "joined",
    "left": "left", "迁出": "left", "减少": "left", "注销": "left",
    "died": "died", "死亡": "died",
    "status_changed": "status_changed", "类别变更": "status_changed", "状态变更": "status_changed",
}


def _money(table: Table, problems: list[Problem]) -> pl.Expr:
    f = table.frame.with_columns(_fen=parse_fen(pl.col("amount_yuan")))
    for r in f.filter(pl.col("_fen").is_null()).iter_rows(named=True):
        problems.append(table.problem(Msg("inputs.need_yuan", found=r["amount_yuan"] or "(empty)"), r[ROW], "amount_yuan"))
    return parse_fen(pl.col("amount_yuan"))


def _required_text(table: Table, columns: tuple[str, ...], problems: list[Problem]) -> None:
    for column in columns:
        for row in table.frame.filter(pl.col(column).is_null())[ROW].to_list():
            problems.append(table.problem(Msg("inputs.need_text"), row, column))


def read_brought_forward(path: Path) -> pl.DataFrame:
    """``village_id, amount_fen`` (one row per village)."""
    table = read_table(Path(path), BROUGHT_FORWARD_COLUMNS, allow_no_rows=True)
    problems = list(table.problems)
    _required_text(table, ("village_id",), problems)
    fen = _money(table, problems)
    seen: dict[str, int] = {}
    for r in table.frame.select(ROW, "village_id").iter_rows(named=True):
        if r["village_id"] in seen:
            problems.append(table.problem(Msg("inputs.duplicate_village", village=r["village_id"], first=seen[r["village_id"]]),
                                          r[ROW], "village_id"))
        elif r["village_id"] is not None:
            seen[r["village_id"]] = r[ROW]
    if problems:
        raise InputError(problems)
    return table.frame.select("village_id", fen.alias("amount_fen")).sort("village_id")


def read_deductions(path: Path) -> pl.DataFrame:
    """``household_id, amount_fen, reason, creditor``, in a stable order."""
    table = read_table(Path(path), DEDUCTION_FILE_COLUMNS, allow_no_rows=True)
    problems = list(table.problems)
    _required_text(table, ("household_id", "reason", "creditor"), problems)
    fen = _money(table, problems)
    if problems:
        raise InputError(problems)
    frame = table.frame.select("household_id", fen.alias("amount_fen"), "reason", "creditor")
    return frame.select([pl.col(c).cast(t) for c, t in DEDUCTION_COLUMNS.items()]).sort(
        "household_id", "creditor", "reason", "amount_fen")


def read_earlier_paid(path: Path) -> pl.DataFrame:
    """``household_id, amount_fen`` summed per household (earlier posted runs of the period)."""
    table = read_table(Path(path), EARLIER_PAID_COLUMNS, allow_no_rows=True)
    problems = list(table.problems)
    _required_text(table, ("household_id",), problems)
    fen = _money(table, problems)
    if problems:
        raise InputError(problems)
    return (table.frame.select("household_id", fen.alias("amount_fen"))
            .group_by("household_id").agg(pl.col("amount_fen").sum()).sort("household_id"))


def read_event_rows(path: Path, period: int, *, name: str | None = None,
                    households: Collection[str] | None = None) -> pl.DataFrame:
    """The rows of an events file: ``household_id, event, date, member, from_status`` (English
    event and status names, ``member`` null for a household's event) and the file's row ``_row``.
    ``name`` is how problems name the file (default: the path); ``households``, when given, the
    ids of the registry the events belong to: an event of any other household is a problem."""
    table = read_table(Path(path), EVENT_FILE_COLUMNS, name=name, allow_no_rows=True)
    problems = list(table.problems)
    _required_text(table, ("household_id",), problems)
    f = table.frame.with_columns(
        _event=pl.col("event").str.to_lowercase().replace_strict(EVENT_NAMES, default=None, return_dtype=pl.String),
        _date=parse_date(pl.col("date")),
        _from=pl.col("from_status").str.to_lowercase().replace_strict(dict(STATUS_NAMES), default=None,
                                                                      return_dtype=pl.String),
    )
    known = set(households) if households is not None else None
    for r in f.iter_rows(named=True):
        if known is not None and r["household_id"] is not None and r["household_id"] not in known:
            problems.append(table.problem(Msg("inputs.event_household", household=r["household_id"]), r[ROW],
                                          "household_id"))
        if r["_event"] is None:
            problems.append(table.problem(Msg("inputs.need_event", found=r["event"] or "(empty)"), r[ROW], "event"))
        if r["_date"] is None or r["_date"].year != period:
            problems.append(table.problem(Msg("inputs.need_date", period=period, found=r["date"] or "(empty)"), r[ROW], "date"))
        if r["_event"] == "status_changed" and r["_from"] is None:
            problems.append(table.problem(Msg("inputs.need_status", found=r["from_status"] or "(empty)"), r[ROW],
                                          "from_status"))
    if problems:
        raise InputError(problems)
    return f.select(ROW, "household_id", pl.col("_event").alias("event"), pl.col("_date").alias("date"),
                    pl.col("member").cast(pl.String), pl.col("_from").alias("from_status")).sort(
        "household_id", "date", "event", "member", "from_status", nulls_last=True)


def event_frame(rows: pl.DataFrame) -> pl.DataFrame:
    """The frame :mod:`schemes.months` reads, of :func:`read_event_rows`' rows: with a member
    name (and always for a death) the event is a member's, else the household's."""
    person = pl.col("member").is_not_null() | (pl.col("event") == "died")
    frame = rows.select(
        "household_id", "event",
        pl.when(person & (pl.col("event") != "status_changed")).then(pl.lit("person")).otherwise(pl.lit("household")).alias("scope"),
        "date", "from_status",
    )
    return frame.select([pl.col(c).cast(t) for c, t in EVENT_COLUMNS.items()]).sort(
        "household_id", "date", "event", "scope", "from_status", nulls_last=True)


STORED_EVENT_COLUMNS = ("household_id", "event", "date", "member", "from_status")
NO_EVENTS = (",".join(STORED_EVENT_COLUMNS) + "\n").encode()  # the header only: nothing changed


def events_csv(rows: pl.DataFrame) -> bytes:
    """The canonical events file of :func:`read_event_rows`' rows (English names, ISO dates,
    sorted): what a registry version stores and a run reads back as ``inputs/events.csv``."""
    out = rows.with_columns(pl.col("date").cast(pl.String)).select(STORED_EVENT_COLUMNS).sort(
        "household_id", "date", "event", "member", "from_status", nulls_last=True)
    return out.write_csv().encode("utf-8")


def event_text(row: Mapping[str, str | None], lang: str) -> str:
    """One event of a canonical events file as people read it (the registry diff, the import
    report): household, what happened, when, and whose or from which status."""
    detail: Msg | str = ""
    if row.get("member"):
        detail = Msg("events.member", name=str(row["member"]))
    elif row.get("from_status"):
        zh, en = STATUS_LABELS.get(str(row["from_status"]), (str(row["from_status"]),) * 2)
        detail = Msg("events.from_status", status=zh if lang == "zh" else en)
    return Msg("events.line", household=row["household_id"], event=Msg(f"events.kind.{row['event']}"),
               date=row["date"], detail=detail).text(lang)


def read_events(path: Path, period: int, name: str | None = None) -> pl.DataFrame:
    """``household_id, event, scope, date, from_status`` (the frame :mod:`schemes.months` reads)."""
    return event_frame(read_event_rows(path, period, name=name))


def read_extra(*, brought_forward: Path | None, deductions: Path | None, earlier_paid: Path | None,
               events: Path | None, period: int) -> Extra:
    """Read whichever files are given; every problem of every file at once."""
    problems: list[Problem] = []
    out: dict[str, pl.DataFrame | None] = {}
    for name, path, reader in (("brought_forward", brought_forward, read_brought_forward),
                               ("deductions", deductions, read_deductions),
                               ("earlier_paid", earlier_paid, read_earlier_paid)):
        out[name] = None
        if path is not None:
            try:
                out[name] = reader(path)
            except InputError as error:
                problems.extend(error.problems)
    out["events"] = None
    if events is not None:
        try:
            out["events"] = read_events(events, period)
        except InputError as error:
            problems.extend(error.problems)
    if problems:
        raise InputError(problems)
    return Extra(**out)  # type: ignore[arg-type]
