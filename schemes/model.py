"""What a scheme is: frozen records, no behaviour beyond small helpers.

A scheme is an ordered list of steps. Every village runs the same steps on its own pool: the
*pool* is the village's distributable amount, *remaining* is what earlier steps left. Each step
pays households, named accounts of the village (collective, funds, carry-over), or both. Money
is int fen; rates and percents are exact ``Fraction`` values.
"""
from __future__ import annotations

from calendar import isleap
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Literal, TypeAlias, Union

from schemes.filters import Filter, PersonFilter, PostFilter
from schemes.statuses import STATUS_NAMES as STATUSES

REMAINING = "remaining"
POOL = "pool"
# What a line of money is for, as policy rules speak of it (a step, share class or account may
# name one); see schemes/profiles/.
PURPOSES: tuple[str, ...] = (
    "public_welfare_post", "public_works", "small_projects", "rewards", "household_income",
    "collective", "operation_maintenance", "carry_over",
)
# Columns the engine adds after the scheme's own steps when their inputs are given.
BROUGHT_FORWARD = "brought_forward"
DEDUCTIONS = "deductions"
EXTRA_COLUMNS: tuple[str, ...] = (BROUGHT_FORWARD, DEDUCTIONS)

BasisKind = Literal[
    "household", "person", "able_person", "unable_person", "share", "capital", "post", "persons"
]
Policy = Literal["pro_rate", "priority", "refuse"]
Effect = Literal["next_month", "same_month"]
TakeOf = Literal["pool", "remaining"]


@dataclass(frozen=True)
class Label:
    zh: str
    en: str

    def text(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class Basis:
    """What one unit is: a household, a person, a share, one fen of capital, a post, or a person
    matching a filter (``persons``)."""

    kind: BasisKind
    persons: PersonFilter | None = None


@dataclass(frozen=True)
class Take:
    """How much a step takes: a fixed amount, or a percent of the pool or of what remains."""

    amount_fen: int | None = None
    percent: Fraction | None = None
    of: TakeOf = "pool"


@dataclass(frozen=True)
class Rate:
    """Money per unit of a basis: ``amount_fen`` per unit, or ``percent`` of capital."""

    basis: Basis
    amount_fen: int | None = None
    percent: Fraction | None = None


@dataclass(frozen=True)
class Weight:
    """A pro-rata weight: ``(units + bonus[status]) * multiplier[status]``."""

    basis: Basis
    multiplier: Mapping[str, Fraction] | None = None
    bonus: Mapping[str, Fraction] | None = None


@dataclass(frozen=True)
class Shortfall:
    """What to do when a step cannot pay everything it should."""

    policy: Policy = "refuse"
    priority: tuple[Filter, ...] = ()


@dataclass(frozen=True)
class Step:
    id: str
    label: Label
    line: int | None = field(default=None, compare=False)
    group: str | None = None  # the claim group whose shortfall rule settles this step
    key: str | None = field(default=None, compare=False)  # its key path in the file: steps[0].claims[1]
    purpose: str | None = None  # one of PURPOSES, for policy profiles


@dataclass(frozen=True)
class Prorate:
    """Pay a per-unit claim for the months of the period a unit was eligible: household and
    member events (joined, left, died, status changed) take effect from the month after their
    date (``next_month``, the common rule) or in their own month (``same_month``)."""

    effect: Effect = "next_month"


@dataclass(frozen=True)
class CarveOut(Step):
    to: str = ""
    take: Take = Take()
    shortfall: Shortfall = Shortfall()
    kind: Literal["carve_out"] = "carve_out"


@dataclass(frozen=True)
class PerUnit(Step):
    rate: Rate = Rate(Basis("household"))
    eligible: Filter | None = None
    shortfall: Shortfall = Shortfall()
    prorate: Prorate | None = None
    kind: Literal["per_unit"] = "per_unit"


@dataclass(frozen=True)
class ProRata(Step):
    take: Take = Take()
    weight: Weight = Weight(Basis("household"))
    eligible: Filter | None = None
    shortfall: Shortfall = Shortfall()
    kind: Literal["pro_rata"] = "pro_rata"


@dataclass(frozen=True)
class ShareClass:
    id: str
    label: Label
    percent: Fraction
    weight: Weight | None = None
    eligible: Filter | None = None
    to: str | None = None  # an account keeps this class (e.g. development shares)
    purpose: str | None = None


@dataclass(frozen=True)
class ShareClasses(Step):
    take: Take = Take()
    classes: tuple[ShareClass, ...] = ()
    shortfall: Shortfall = Shortfall()
    kind: Literal["share_classes"] = "share_classes"


@dataclass(frozen=True)
class PostSubsidy(Step):
    grades: Mapping[str, int] = field(default_factory=dict)  # grade -> annual fen
    eligible: Filter | None = None
    posts: PostFilter | None = None
    shortfall: Shortfall = Shortfall()
    kind: Literal["post_subsidy"] = "post_subsidy"


@dataclass(frozen=True)
class MinimumGuarantee(Step):
    floor: Rate = Rate(Basis("household"))
    eligible: Filter | None = None
    counts: tuple[str, ...] | None = None  # steps whose payments count toward the floor
    funded_by: tuple[str, ...] = (REMAINING,)
    shortfall: Shortfall = Shortfall()
    kind: Literal["minimum_guarantee"] = "minimum_guarantee"


@dataclass(frozen=True)
class Cap(Step):
    limit: Rate = Rate(Basis("household"))
    eligible: Filter | None = None
    counts: tuple[str, ...] | None = None
    excess_to: str = REMAINING
    over: Literal["run", "period"] = "run"  # period: what earlier runs of the period paid counts too
    kind: Literal["cap"] = "cap"


@dataclass(frozen=True)
class Remainder(Step):
    to: str = ""
    kind: Literal["remainder"] = "remainder"


AnyStep: TypeAlias = Union[
    CarveOut, PerUnit, ProRata, ShareClasses, PostSubsidy, MinimumGuarantee, Cap, Remainder
]
HOUSEHOLD_STEP_KINDS = frozenset(
    {"per_unit", "pro_rata", "share_classes", "post_subsidy", "minimum_guarantee", "cap"}
)


CLAIM_KINDS = frozenset({"per_unit", "post_subsidy", "carve_out"})


@dataclass(frozen=True)
class ClaimGroup:
    """Claims (the steps named in ``claims``, consecutive in ``Scheme.steps``) whose shortfall
    is settled together from what remains before the first of them: ``pro_rate`` cuts every
    claim line by the same exact factor (largest remainder in fen over all of them), ``priority``
    pays ``levels`` in order (claims of one level share a cut pro rata), ``refuse`` stops."""

    id: str
    label: Label
    policy: Policy
    claims: tuple[str, ...]
    levels: tuple[tuple[str, ...], ...]
    line: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class DeductionRule:
    """How a run's deductions (debts to the collective, recovered overpayments) are taken from
    household lines: never below ``protected`` (a floor per household, rounded up) nor zero; only
    to the ``creditors`` accounts (all declared accounts when empty)."""

    protected: Rate | None = None
    creditors: tuple[str, ...] = ()


@dataclass(frozen=True)
class Account:
    name: str
    label: Label
    purpose: str | None = None


@dataclass(frozen=True)
class Scheme:
    id: str
    version: int
    effective: date
    title: Label
    description: str
    accounts: Mapping[str, Account]
    steps: tuple[AnyStep, ...]
    source: str | None = None
    assumptions: tuple[str, ...] = ()
    notes: Mapping[str, str] = field(default_factory=dict)  # key path -> source note
    age_on: tuple[int, int] = (12, 31)  # (month, day) in the period year when ages are taken
    groups: Mapping[str, ClaimGroup] = field(default_factory=dict)
    deductions: DeductionRule = DeductionRule()
    brought_forward_to: str = POOL  # the pool, or an account that takes it whole
    warnings: tuple[object, ...] = field(default=(), compare=False)  # Problems: numbers without source
    text: str = field(default="", compare=False, repr=False)  # the file as read
    file: str = field(default="", compare=False)

    @property
    def step_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.steps)

    def step(self, step_id: str) -> AnyStep:
        for s in self.steps:
            if s.id == step_id:
                return s
        raise KeyError(step_id)

    def group_of(self, step_id: str) -> ClaimGroup | None:
        g = self.step(step_id).group
        return self.groups[g] if g else None

    def age_reference(self, period: int) -> date:
        """The day of ``period`` on which ages are taken; ``age_on: "02-29"`` is 28 February in
        a common year (the loader admits 29 February, which only leap years have)."""
        month, day = self.age_on
        if (month, day) == (2, 29) and not isleap(period):
            return date(period, 2, 28)
        return date(period, month, day)
