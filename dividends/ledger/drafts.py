"""The entries a payout run posts, as drafts: approval, settlement and reversal.

Computing a run posts nothing. Approving it posts two entries; each bank result posts one
settlement; a reversal run posts the mirror of the reversed run's entries. Village V, run R, a
pool of 1,000.00 yuan: 600.00 to household H1, 300.00 to H2, 100.00 to the collective; H2's
first transfer fails and a later bank result pays it (amounts in fen, debit +, credit -)::

    ref             account                                   amount_fen
    return:R        Assets:Bank:V                                 100000
                    Income:AssetReturn:V                         -100000
    accrual:R       Equity:Collective:V:Collective--d867c55b…     -10000
                    Expenses:DistributablePool:V                  100000
                    Liabilities:Payable:V:H1                      -60000
                    Liabilities:Payable:V:H2                      -30000
    settlement:B1   Assets:Bank:V                                 -60000
                    Liabilities:Payable:V:H1                       60000
    settlement:B2   Assets:Bank:V                                 -30000
                    Liabilities:Payable:V:H2                       30000

Afterwards every payable is zero and the bank has paid out what the return brought in, less
what the collective keeps. Every entry sums to zero.

Inputs that would give a wrong entry (lines that do not add up to the pool, negative or missing
amounts, a recipient listed twice) raise :class:`~dividends.ledger.entries.DraftError`: they are
bugs upstream, and nothing half-made is returned. Narrations are rendered in the language given
(default Chinese), never from the environment, because they are part of the hashed record.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import polars as pl

import dividends.ledger.messages  # noqa: F401
from dividends.ledger import accounts
from dividends.ledger.entries import DraftError, Entry, EntryDraft, canonical_postings, postings_of
from schemes.i18n import Lang, Msg
from schemes.money import format_yuan

RECIPIENT_KINDS = ("household", "account")
SHORT_HASH = 12


def _require(frame: pl.DataFrame, columns: Sequence[str], what: str) -> None:
    if not set(columns) <= set(frame.columns):
        raise DraftError(Msg("ledger.draft.columns", what=what, expected=list(columns), found=frame.columns))
    dtype = frame.schema["amount_fen"]
    if not dtype.is_integer():
        raise DraftError(Msg("ledger.draft.amount_type", what=what, found=str(dtype)))


def _clean(frame: pl.DataFrame, columns: Sequence[str], id_column: str, village_id: str, run_id: str,
           what: str) -> pl.DataFrame:
    """The columns asked for, checked: one village, no nulls, non-negative integer amounts."""
    _require(frame, columns, what)
    if "village_id" in frame.columns:
        others = frame.filter(pl.col("village_id").ne_missing(village_id))["village_id"].unique().sort()
        others = others.fill_null("<null>").to_list()
        if others:
            raise DraftError(Msg("ledger.draft.mixed_villages", found=[village_id, *others]))
    out = frame.select(*[pl.col(c) for c in columns if c != "amount_fen"],
                       pl.col("amount_fen").cast(pl.Int64, strict=True))
    nulls = out.filter(pl.any_horizontal(pl.all().is_null())).height
    if nulls:
        raise DraftError(Msg("ledger.draft.nulls", village=village_id, run=run_id, count=nulls))
    negative = out.filter(pl.col("amount_fen") < 0)
    if negative.height:
        example = f"{negative[id_column][0]}: {format_yuan(negative['amount_fen'][0])}"
        raise DraftError(Msg("ledger.draft.negative", village=village_id, run=run_id, count=negative.height,
                             example=example))
    return out


def _refuse_duplicates(postings: pl.DataFrame, lines: pl.DataFrame, label: pl.Expr, village_id: str,
                       run_id: str) -> None:
    """Two postings on one payable or fund account would pay a recipient twice (or two ids would
    share a component). ``postings`` are canonical (sorted), so duplicates are neighbours; the
    slower search for the recipients concerned runs only when there are some."""
    account = pl.col("account")
    if postings.select((account == account.shift(1)).any()).item():
        dup = lines.filter(account.is_duplicated())
        found = dup.select(label.alias("_l"))["_l"].unique().sort().head(5).to_list()
        raise DraftError(Msg("ledger.draft.duplicate", village=village_id, run=run_id, found=found))


def _sum(frame: pl.DataFrame) -> int:
    return int(frame.select(pl.col("amount_fen").cast(pl.Int128).sum()).item() or 0)


def draft_approval(village_id: str, run_id: str, on: date, pool_fen: int, lines: pl.DataFrame,
                   *, lang: Lang = "zh", brought_forward: Mapping[str, int] | None = None,
                   recovered: Mapping[str, int] | None = None, recovered_to: Mapping[str, int] | None = None,
                   debts: Sequence[tuple[str, str | None, int]] = ()) -> list[EntryDraft]:
    """The two entries approving a run posts: the return received, then the accrual.

    ``lines`` is ``[recipient_kind ('household' | 'account'), recipient_id, amount_fen]`` (an
    extra ``village_id`` column must hold ``village_id`` only); the amounts must add up to
    ``pool_fen`` exactly. Lines of 0 fen get no posting. A pool of 0 posts nothing: ``[]`` (but
the ``debt`` entry when there are debts).

    ``brought_forward`` (account -> fen) is last period's carry-over joining this run's pool: a
    third entry, ``brought_forward``, between the two, moves it out of those collective accounts
    back into the distributable pool, and the lines must then add up to ``pool_fen`` plus it.

    Debts and their recovery (issue 10, item 3): ``debts`` are ``(household, creditor account or
    None, fen)`` recorded by this approval; a ``debt`` entry, before the accrual, debits each
    household's ``Assets:Receivable:V:H`` against the creditor's collective account (a debt from
    a deductions file) or against the household's payable (None: an overpayment a correction
    found, which the reversal and the smaller correction left as a debit on the payable).
    ``recovered`` (household -> fen) is what this run's deductions took from household lines and
    ``recovered_to`` (account -> fen) where the engine moved it: the accrual credits those
    receivables instead of crediting the creditor accounts with it (the two must agree).
    """
    if isinstance(pool_fen, bool) or not isinstance(pool_fen, int):
        raise TypeError(f"pool_fen must be int fen, found {type(pool_fen).__name__}")
    if pool_fen < 0:
        raise DraftError(Msg("ledger.draft.negative", village=village_id, run=run_id, count=1,
                             example=f"pool: {format_yuan(pool_fen)}"))
    arriving = {a: f for a, f in sorted((brought_forward or {}).items()) if f != 0}
    for account, fen in arriving.items():
        if isinstance(fen, bool) or not isinstance(fen, int):
            raise TypeError(f"brought forward fen must be int, found {type(fen).__name__}")
        if fen < 0:
            raise DraftError(Msg("ledger.draft.negative", village=village_id, run=run_id, count=1,
                                 example=f"{account}: {format_yuan(fen)}"))
    carried = sum(arriving.values())
    columns = ("recipient_kind", "recipient_id", "amount_fen")
    clean = _clean(lines, columns, "recipient_id", village_id, run_id, "lines")
    kinds = sorted(set(clean["recipient_kind"].unique().to_list()) - set(RECIPIENT_KINDS))
    if kinds:
        raise DraftError(Msg("ledger.draft.kind", village=village_id, run=run_id, found=kinds))
    total = _sum(clean)
    if total != pool_fen + carried:
        raise DraftError(Msg("ledger.draft.conservation", village=village_id, run=run_id,
                             found=format_yuan(total), expected=format_yuan(pool_fen + carried)))
    if pool_fen + carried == 0:  # nothing to distribute; debts found (a correction to 0) are still recorded
        return [_debt_entry(village_id, run_id, on, debts, lang)] if debts else []
    distributable = pool_fen + carried
    paid = clean.filter(pl.col("amount_fen") != 0)
    households = paid.filter(pl.col("recipient_kind") == "household")
    funds = paid.filter(pl.col("recipient_kind") == "account")
    taken = _recoveries(village_id, run_id, funds, recovered or {}, recovered_to or {})
    if taken.height:  # what the deductions moved to an account repays a receivable instead
        funds = funds.with_columns(
            pl.col("amount_fen") - pl.col("recipient_id").replace_strict(dict(recovered_to or {}), default=0,
                                                                         return_dtype=pl.Int64)
        ).filter(pl.col("amount_fen") != 0)
    credits = pl.concat([
        households.select(accounts.payables(village_id, households["recipient_id"]), "recipient_kind",
                          "recipient_id", "amount_fen"),
        funds.select(accounts.collectives(village_id, funds["recipient_id"]), "recipient_kind",
                     "recipient_id", "amount_fen"),
        taken.select(accounts.receivables(village_id, taken["recipient_id"]), "recipient_kind", "recipient_id",
                     "amount_fen"),
    ])
    accrual = canonical_postings(pl.concat([
        pl.DataFrame({"account": [accounts.distributable_pool(village_id)], "amount_fen": [distributable]},
                     schema={"account": pl.String, "amount_fen": pl.Int64}),
        credits.select("account", -pl.col("amount_fen")),
    ]))
    _refuse_duplicates(accrual, credits, pl.concat_str("recipient_kind", pl.lit(":"), "recipient_id"),
                       village_id, run_id)
    amount = format_yuan(pool_fen)
    drafts: list[EntryDraft] = []
    if pool_fen:
        drafts.append(EntryDraft(village_id, on, "return", run_id, f"return:{run_id}",
                                 Msg("ledger.narration.return", run=run_id, amount=amount).text(lang),
                                 postings_of([(accounts.bank(village_id), pool_fen),
                                              (accounts.asset_income(village_id), -pool_fen)])))
    if carried:
        drafts.append(EntryDraft(
            village_id, on, "brought_forward", run_id, f"brought_forward:{run_id}",
            Msg("ledger.narration.brought_forward", run=run_id, amount=format_yuan(carried),
                accounts="、".join(arriving) if lang == "zh" else ", ".join(arriving)).text(lang),
            postings_of([(accounts.collective(village_id, a), f) for a, f in arriving.items()]
                        + [(accounts.distributable_pool(village_id), -carried)])))
    if debts:
        drafts.append(_debt_entry(village_id, run_id, on, debts, lang))
    drafts.append(EntryDraft(village_id, on, "accrual", run_id, f"accrual:{run_id}",
                             Msg("ledger.narration.accrual", run=run_id, amount=format_yuan(distributable),
                                 households=households.height, accounts=funds.height).text(lang),
                             accrual))
    return drafts


def _recoveries(village_id: str, run_id: str, funds: pl.DataFrame, recovered: Mapping[str, int],
                recovered_to: Mapping[str, int]) -> pl.DataFrame:
    """``recovered`` as credit lines (recipient_kind "receivable"), checked against
    ``recovered_to`` and the account lines it is taken from."""
    households = {h: int(f) for h, f in sorted(recovered.items()) if f}
    moved = {a: int(f) for a, f in sorted(recovered_to.items()) if f}
    line = dict(funds.select("recipient_id", "amount_fen").rows())
    short = [f"{a}: {format_yuan(f)} > {format_yuan(line.get(a, 0))}" for a, f in moved.items() if f > line.get(a, 0)]
    negative = [f"{h}: {format_yuan(f)}" for h, f in households.items() if f < 0]
    if sum(households.values()) != sum(moved.values()) or short or negative:
        raise DraftError(Msg("ledger.draft.recovery", village=village_id, run=run_id,
                             households=format_yuan(sum(households.values())), accounts=format_yuan(sum(moved.values())),
                             detail=("; " + ", ".join(short + negative)) if short or negative else ""))
    return pl.DataFrame({"recipient_kind": ["receivable"] * len(households), "recipient_id": list(households),
                         "amount_fen": list(households.values())},
                        schema={"recipient_kind": pl.String, "recipient_id": pl.String, "amount_fen": pl.Int64})


def _debt_entry(village_id: str, run_id: str, on: date, debts: Sequence[tuple[str, str | None, int]],
                lang: Lang) -> EntryDraft:
    """Receivable debits against the creditor accounts (or the households' payables)."""
    pairs: dict[str, int] = {}
    for household, creditor, fen in debts:
        if isinstance(fen, bool) or not isinstance(fen, int) or fen <= 0:
            raise DraftError(Msg("ledger.draft.negative", village=village_id, run=run_id, count=1,
                                 example=f"{household}: {fen}"))
        against = accounts.payable(village_id, household) if creditor is None else accounts.collective(village_id, creditor)
        for account, amount in ((accounts.receivable(village_id, household), fen), (against, -fen)):
            pairs[account] = pairs.get(account, 0) + amount
    total = sum(f for _, _, f in debts)
    narration = Msg("ledger.narration.debt", run=run_id, households=len({h for h, _, _ in debts}),
                    amount=format_yuan(total)).text(lang)
    return EntryDraft(village_id, on, "debt", run_id, f"debt:{run_id}", narration,
                      postings_of([(a, f) for a, f in pairs.items() if f]))


def draft_settlement(village_id: str, run_id: str, on: date, paid: pl.DataFrame, ref: str,
                     *, lang: Lang = "zh") -> EntryDraft:
    """One bank result: each household's payable is debited by what the bank paid it, the bank
    account is credited with the total. ``paid`` is ``[household_id, amount_fen]``, failed
    transfers left out (they are paid by a later result). ``ref`` is the caller's idempotency
    key, e.g. ``f"settlement:{import_id}"``."""
    clean = _clean(paid, ("household_id", "amount_fen"), "household_id", village_id, run_id, "paid")
    clean = clean.filter(pl.col("amount_fen") != 0)
    total = _sum(clean)
    if total == 0:
        raise DraftError(Msg("ledger.draft.nothing_paid", village=village_id, run=run_id, ref=ref))
    debits = clean.select(accounts.payables(village_id, clean["household_id"]), "household_id", "amount_fen")
    postings = canonical_postings(pl.concat([
        debits.select("account", "amount_fen"),
        pl.DataFrame({"account": [accounts.bank(village_id)], "amount_fen": [-total]},
                     schema={"account": pl.String, "amount_fen": pl.Int64}),
    ]))
    _refuse_duplicates(postings, debits, pl.col("household_id"), village_id, run_id)
    narration = Msg("ledger.narration.settlement", run=run_id, ref=ref, households=clean.height,
                    amount=format_yuan(total)).text(lang)
    return EntryDraft(village_id, on, "settlement", run_id, ref, narration, postings)


def draft_reversal(entries_of_run: Sequence[Entry], reversal_run_id: str, on: date,
                   *, lang: Lang = "zh") -> list[EntryDraft]:
    """The exact mirror of each entry, in the same order: every posting negated, ``ref``
    ``reversal:<original ref>`` (so a run is reversed at most once per village), the narration
    naming the original's seq and hash. Posting the mirrors nets every account of the reversed
    entries to zero. For entry #2 ``accrual:R7`` with hash ``3f2a…`` the mirror has ref
    ``reversal:accrual:R7`` and the narration ``冲销第 2 号分录（3f2a…，accrual:R7）：<original>``.
    """
    drafts: list[EntryDraft] = []
    for entry in entries_of_run:
        mirror = entry.postings.select("account", -pl.col("amount_fen"))
        narration = Msg("ledger.narration.reversal", seq=entry.seq, hash=entry.hash[:SHORT_HASH], ref=entry.ref,
                        narration=entry.narration).text(lang)
        drafts.append(EntryDraft(entry.village_id, on, "reversal", reversal_run_id, f"reversal:{entry.ref}",
                                 narration, canonical_postings(mirror)))
    return drafts
