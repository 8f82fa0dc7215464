"""The villagers' decision on a run (四议两公开): the meeting's resolution and the rules it must meet.

Pure: no database. A resolution states the meeting's date, its body (the villagers'
representatives' meeting or the members' meeting), the members entitled to attend, those present
and the votes for, against and abstaining. The quorum and majority rules are settings
(``APPROVAL_QUORUM``, default ``2/3``: at least two thirds of those entitled present;
``APPROVAL_MAJORITY``, default ``1/2``: more than half of those present in favour). A resolution
that misses either is refused with the figures that miss. The resolution is bound to the content
hash of the computation it approves.

>>> rules = ApprovalRules()
>>> Resolution(date(2025, 1, 14), entitled=30, present=20, votes_for=11, votes_against=5, abstaining=4).problems(rules)
[]
>>> [p.key for p in Resolution(date(2025, 1, 14), entitled=30, present=19, votes_for=19).problems(rules)]
['approval.quorum']
>>> [p.key for p in Resolution(date(2025, 1, 14), entitled=30, present=20, votes_for=10, votes_against=10).problems(rules)]
['approval.majority']
"""
from __future__ import annotations

from pathlib import Path

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from fractions import Fraction
from typing import Any

from schemes.i18n import Msg, load_catalog

load_catalog(Path(__file__).with_name("locale"), "dividends")

BODIES = ("representatives", "members")
"""村民代表会议 (representatives) or 村民会议 / 成员大会 (members)."""


def _fraction(name: str, text: str) -> Fraction:
    try:
        value = Fraction(text.strip())
    except (ValueError, ZeroDivisionError):
        raise ValueError(Msg("approval.setting", name=name, found=text)) from None
    if not 0 < value <= 1:
        raise ValueError(Msg("approval.setting", name=name, found=text))
    return value


@dataclass(frozen=True)
class ApprovalRules:
    """``quorum``: the share of entitled members who must be present (at least); ``majority``:
    the share of those present who must vote for (more than); ``review_counties``: county codes
    (or ``*``) where a township review and filing must precede approval."""

    quorum: Fraction = Fraction(2, 3)
    majority: Fraction = Fraction(1, 2)
    review_counties: frozenset[str] = frozenset()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ApprovalRules:
        if env is None:
            from dividends.settings import read_environment
            env = read_environment()
        counties = frozenset(c.strip() for c in env.get("TOWNSHIP_REVIEW_COUNTIES", "").split(",") if c.strip())
        return cls(_fraction("APPROVAL_QUORUM", env.get("APPROVAL_QUORUM", "2/3")),
                   _fraction("APPROVAL_MAJORITY", env.get("APPROVAL_MAJORITY", "1/2")), counties)

    def review_required(self, county_code: str | None) -> bool:
        return "*" in self.review_counties or (county_code or "") in self.review_counties

    def needed_present(self, entitled: int) -> int:
        """At least ``quorum`` of ``entitled``: the smallest whole number of people."""
        whole, rest = divmod(self.quorum.numerator * entitled, self.quorum.denominator)
        return whole + (1 if rest else 0)

    def needed_for(self, present: int) -> int:
        """More than ``majority`` of ``present``: the smallest whole number of votes."""
        return self.majority.numerator * present // self.majority.denominator + 1


@dataclass(frozen=True)
class Resolution:
    """What the meeting resolved, as the approver records it."""

    meeting_date: date
    entitled: int
    present: int
    votes_for: int
    votes_against: int = 0
    abstaining: int = 0
    body: str = "representatives"
    content_hash: str = field(default="", compare=False)

    def problems(self, rules: ApprovalRules) -> list[Msg]:
        """Every rule the resolution misses (empty: it stands)."""
        if self.body not in BODIES:
            return [Msg("approval.body", expected=list(BODIES), found=self.body)]
        if min(self.entitled, self.present, self.votes_for, self.votes_against, self.abstaining) < 0 \
                or self.entitled < 1 or self.present > self.entitled:
            return [Msg("approval.counts", entitled=self.entitled, present=self.present)]
        if self.votes_for + self.votes_against + self.abstaining > self.present:
            return [Msg("approval.votes", **self.counts())]
        out = []
        needed = rules.needed_present(self.entitled)
        if self.present < needed:
            out.append(Msg("approval.quorum", entitled=self.entitled, present=self.present, needed=needed,
                           rule=str(rules.quorum)))
        votes = rules.needed_for(self.present)
        if self.present >= needed and self.votes_for < votes:
            out.append(Msg("approval.majority", present=self.present, votes_for=self.votes_for, needed=votes,
                           rule=str(rules.majority)))
        return out

    def counts(self) -> dict[str, int]:
        return {"entitled": self.entitled, "present": self.present, "votes_for": self.votes_for,
                "votes_against": self.votes_against, "abstaining": self.abstaining}

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["meeting_date"] = self.meeting_date.isoformat()
        return data
