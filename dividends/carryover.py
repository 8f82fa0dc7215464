"""Carry-over that arrives: what a posted run parked in its carry-over accounts becomes the
"brought forward" input of the next period's run for the same village and asset.

The rules, pure (the queries are in :mod:`dividends.store.carryover`):

- the source is the village's posted (approved, paid or closed) regular or correction run of
  the period before, for the same asset; the latest one when a correction replaced a run;
- what arrives is that run's lines to its scheme's carry-over accounts (the targets of its
  ``remainder`` steps), per account; nothing arrives when they hold 0 fen;
- it is fixed when the next run is created (its ``brought_forward``), written as the
  ``brought_forward`` input of its computation (so it is in the content hash and offline
  verify reads it), and posted at approval as its own ledger entry;
- a later reversal of the source flags every live run it arrived in for correction
  (``correction_needed = "brought_forward_reversed"``): such a run is not approved, and a
  posted one is reversed and replaced (the replacement takes the carry-over of the source's
  correction, if that is posted by then);
- carry-over that arrived in a live run is no longer "parked money";
- likewise a run capped over the period took what the earlier posted runs of the period paid
  each household as a recorded input (its ``earlier_paid``): reversing one of those earlier
  runs flags it (``correction_needed = "earlier_paid_reversed"``).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from schemes.loader import parse_scheme
from schemes.model import Remainder, Scheme
from schemes.money import format_yuan

REVERSED = "brought_forward_reversed"
"""``correction_needed`` of a run whose carry-over came from a run later reversed."""
EARLIER_REVERSED = "earlier_paid_reversed"
"""``correction_needed`` of a run capped over the period by what earlier runs paid, one of which
was later reversed (the cap's recorded input no longer holds)."""
FLAGS = (REVERSED, EARLIER_REVERSED)
"""Every reason a run is flagged for correction: a flagged run is not approved."""


def carry_over_accounts(scheme: Scheme) -> set[str]:
    """The accounts a scheme parks undistributed money in: its remainder steps' targets."""
    return {s.to for s in scheme.steps if isinstance(s, Remainder)}


@lru_cache(maxsize=128)
def _scheme(text: str) -> Scheme:
    return parse_scheme(text)


@dataclass(frozen=True)
class BroughtForward:
    """Last period's carry-over arriving in a run: ``accounts`` maps account -> fen (> 0)."""

    run: int
    period: int
    accounts: dict[str, int]

    @property
    def fen(self) -> int:
        return sum(self.accounts.values())

    def to_dict(self) -> dict[str, object]:
        return {"run": self.run, "period": self.period, "accounts": dict(sorted(self.accounts.items()))}

    @classmethod
    def from_dict(cls, data: Mapping[str, object] | None) -> BroughtForward | None:
        if not data:
            return None
        accounts = data["accounts"]
        assert isinstance(accounts, Mapping)
        return cls(int(data["run"]), int(data["period"]), {str(a): int(f) for a, f in accounts.items()})  # type: ignore[call-overload]

    def csv(self, village_code: str) -> str:
        """The ``brought_forward`` input file (:func:`dividends.period_inputs.read_brought_forward`)."""
        return ("village_id,amount_yuan,from_period,source\n"
                f"{village_code},{format_yuan(self.fen, grouping=False)},{self.period},run {self.run}\n")


def arriving(source_run: int, source_period: int, scheme_text: str,
             account_lines: Mapping[str, int]) -> BroughtForward | None:
    """What a source run's account lines bring forward under its scheme (None: nothing).

    >>> from schemes.presets import preset_path
    >>> text = preset_path("photovoltaic").read_text(encoding="utf-8")
    >>> sorted(carry_over_accounts(_scheme(text)))
    ['carry_over']
    >>> arriving(7, 2024, text, {"om_reserve": 10000000, "carry_over": 12345}).to_dict()
    {'run': 7, 'period': 2024, 'accounts': {'carry_over': 12345}}
    >>> arriving(7, 2024, text, {"om_reserve": 10000000, "carry_over": 0}) is None
    True
    """
    kept = carry_over_accounts(_scheme(scheme_text))
    accounts = {a: int(f) for a, f in sorted(account_lines.items()) if a in kept and f > 0}
    return BroughtForward(source_run, source_period, accounts) if accounts else None
