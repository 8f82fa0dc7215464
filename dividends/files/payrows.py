"""The rows of a bank payout file: checking the payment items, then laying them out in a format.

Pure: frames and records in, a :class:`PayTable` of text cells out. The writers in
:mod:`dividends.files.banks` only serialise it, so the CSV and the XLSX of a batch always hold
the same cells.

Payment items (one row per household to pay), columns:

==============  ========  ====================================================================
household_id    String    unique within the batch
payee_name      String    the head's full name (the bank checks it against the account)
id_number       String    the head's full ID number (required when the format has an
                          ``id_number`` column)
account_no      String    6 to 32 digits (spaces are removed)
bank            String    may be empty (shown only when the format has a ``bank`` column)
amount_fen      Int64     more than 0
==============  ========  ====================================================================

Rows are sorted by ``household_id`` whatever the input order, and ``seq`` follows that order.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import polars as pl

from dividends.files.formats import BankFormat
from dividends.files.masking import mask_id_number
from schemes.i18n import Msg
from schemes.money import format_yuan
from schemes.problems import InputError, Problem

ITEM_COLUMNS: tuple[str, ...] = ("household_id", "payee_name", "id_number", "account_no", "bank", "amount_fen")
TEXT_COLUMNS: tuple[str, ...] = ITEM_COLUMNS[:-1]
_ACCOUNT = re.compile(r"^[0-9]{6,32}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
FORMULA_START = ("=", "+", "-", "@")
"""A text cell starting with one of these runs as a formula when a spreadsheet opens a CSV."""


@dataclass(frozen=True)
class BatchMeta:
    """What a bank file says about its batch (fills ``purpose``, fixed values, the file name)."""

    village_id: str
    village_name: str
    period: int
    run_id: str
    batch_no: str
    scheme_title: str
    """In the language of the bank file (Chinese for every shipped format)."""
    created_on: date

    def placeholders(self, fmt: BankFormat) -> dict[str, str]:
        return {
            "period": str(self.period),
            "scheme": self.scheme_title,
            "village_id": self.village_id,
            "village_name": self.village_name,
            "run_id": self.run_id,
            "batch_no": self.batch_no,
            "date": self.created_on.strftime("%Y%m%d"),
            "format": fmt.id,
        }


@dataclass(frozen=True)
class PayTable:
    """A bank file's cells, all text, in file order."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    summary: tuple[str, ...] | None
    summary_first: bool
    total_fen: int

    def lines(self) -> list[tuple[str, ...]]:
        """Every line of the file in order: summary (if first), header, rows, summary (if last)."""
        out: list[tuple[str, ...]] = []
        if self.summary is not None and self.summary_first:
            out.append(self.summary)
        out.append(self.header)
        out.extend(self.rows)
        if self.summary is not None and not self.summary_first:
            out.append(self.summary)
        return out


def build_table(items: pl.DataFrame, meta: BatchMeta, fmt: BankFormat) -> PayTable:
    """Check ``items`` and lay them out in ``fmt``.

    Raises :class:`InputError` listing every item that cannot be paid as it stands (no account,
    amount not above zero, a household twice, ...), each naming the household: the registry must
    be fixed before a payout file is made. A missing column or a non-integer amount column is a
    programming error (:class:`TypeError`).
    """
    frame = _canonical(items)
    problems = check_items(frame, fmt)
    if frame.height == 0:
        problems.append(Problem(Msg("files.bankfile.empty")))
    context = meta.placeholders(fmt)
    purpose = fmt.purpose.format_map(context)
    fixed = {i: c.value.format_map(context) for i, c in enumerate(fmt.columns) if c.value is not None}
    problems += _template_lengths(fmt, purpose, fixed)
    if problems:
        raise InputError(problems)

    rows: list[tuple[str, ...]] = []
    total = 0
    per_batch = {"purpose": purpose, "village_id": meta.village_id, "village_name": meta.village_name,
                 "period": str(meta.period), "run_id": meta.run_id, "batch_no": meta.batch_no}
    for seq, item in enumerate(frame.iter_rows(named=True), start=1):
        fen: int = item["amount_fen"]
        total += fen
        values = {
            **per_batch,
            "seq": str(seq),
            "household_id": item["household_id"],
            "payee_name": item["payee_name"],
            "id_number": item["id_number"],
            "account_no": item["account_no"],
            "bank": item["bank"],
            "amount_yuan": format_yuan(fen, grouping=False),
            "amount_fen": str(fen),
        }
        rows.append(tuple(fixed[i] if c.field is None else values[c.field] for i, c in enumerate(fmt.columns)))

    summary = None
    if fmt.summary_row is not None:
        totals = {**context, "count": str(len(rows)), "total_yuan": format_yuan(total, grouping=False),
                  "total_fen": str(total)}
        summary = tuple(cell.format_map(totals) for cell in fmt.summary_row.cells)
    return PayTable(header=fmt.headers(), rows=tuple(rows), summary=summary,
                    summary_first=fmt.summary_row is not None and fmt.summary_row.position == "first", total_fen=total)


def _canonical(items: pl.DataFrame) -> pl.DataFrame:
    missing = [c for c in ITEM_COLUMNS if c not in items.columns]
    if missing:
        raise TypeError(f"payment items lack the column(s) {missing}; expected {list(ITEM_COLUMNS)}")
    dtype = items.schema["amount_fen"]
    if not dtype.is_integer():
        raise TypeError(f"amount_fen must be an integer column of fen (Int64), found {dtype}: money is never a float")
    return (
        items.select(
            *[pl.col(c).cast(pl.String).fill_null("").str.strip_chars() for c in TEXT_COLUMNS],
            pl.col("amount_fen").cast(pl.Int64),
        )
        .with_columns(
            pl.col("account_no").str.replace_all(r"\s", ""),
            pl.col("id_number").str.replace_all(r"\s", "").str.to_uppercase(),
        )
        .sort("household_id", maintain_order=True)
    )


def check_items(frame: pl.DataFrame, fmt: BankFormat) -> list[Problem]:
    """Every reason the canonical ``frame`` cannot be paid in ``fmt``, in row order."""
    problems: list[Problem] = []
    fields = fmt.fields()
    counts = frame.group_by("household_id").len()
    repeated = {r["household_id"]: r["len"] for r in counts.filter(pl.col("len") > 1).iter_rows(named=True)}
    reported: set[str] = set()
    for row, item in enumerate(frame.iter_rows(named=True), start=1):
        hid, name = item["household_id"], item["payee_name"]
        if not hid:
            problems.append(Problem(Msg("files.bankfile.no_household_id", row=row), column="household_id"))
            hid = f"#{row}"
        elif hid in repeated and hid not in reported:
            reported.add(hid)
            problems.append(Problem(Msg("files.bankfile.duplicate_household", household=hid, count=repeated[hid]),
                                    column="household_id"))
        who: str | Msg = Msg("files.bankfile.who", household=hid, name=name) if name else hid
        if not item["account_no"]:
            problems.append(Problem(Msg("files.bankfile.no_account", household=who), column="account_no"))
        elif not _ACCOUNT.match(item["account_no"]):
            problems.append(Problem(Msg("files.bankfile.bad_account", household=who, found=shown("account_no", item["account_no"])),
                                    column="account_no"))
        fen = item["amount_fen"]
        if fen is None:
            problems.append(Problem(Msg("files.bankfile.no_amount", household=who), column="amount_fen"))
        elif fen <= 0:
            problems.append(Problem(Msg("files.bankfile.bad_amount", household=who, found=format_yuan(fen)),
                                    column="amount_fen"))
        for column in ("payee_name", "id_number", "bank", "household_id"):
            value = item[column]
            required = column == "payee_name" or (column == "id_number" and column in fields)
            if not value and required:
                problems.append(Problem(Msg("files.bankfile.no_value", household=hid, column=Msg(f"files.bankfile.col.{column}"),
                                            format=fmt.id), column=column))
            elif value and (_CONTROL.search(value) or value.startswith(FORMULA_START)):
                problems.append(Problem(Msg("files.bankfile.bad_text", household=hid, column=Msg(f"files.bankfile.col.{column}"),
                                            found=shown(column, value)), column=column))
        for c in fmt.columns:
            if c.max_length is not None and c.field in TEXT_COLUMNS and len(item[c.field]) > c.max_length:
                problems.append(Problem(Msg("files.bankfile.too_long", household=hid, header=c.header, limit=c.max_length,
                                            length=len(item[c.field]), found=shown(c.field, item[c.field])),
                                    column=c.field))
    return problems


def shown(column: str, value: str) -> str:
    """A bad value as an error message may quote it: account numbers by their last four
    characters, ID numbers masked (messages end up in logs; invariant 8)."""
    if column == "account_no":
        return "…" + value[-4:] if len(value) > 4 else "…"
    if column == "id_number":
        return mask_id_number(value)
    return repr(value)


def _template_lengths(fmt: BankFormat, purpose: str, fixed: dict[int, str]) -> list[Problem]:
    problems = []
    for i, c in enumerate(fmt.columns):
        text = purpose if c.field == "purpose" else fixed.get(i)
        if c.max_length is not None and text is not None and len(text) > c.max_length:
            problems.append(Problem(Msg("files.bankfile.template_too_long", header=c.header, limit=c.max_length,
                                        length=len(text), found=text), file=fmt.source, key=f"{fmt.id}.columns"))
    return problems
