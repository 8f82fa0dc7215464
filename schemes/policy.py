"""Policy profiles: the rules a scheme must follow, as data, each with its source and date.

A profile (YAML, under ``schemes/profiles/`` or a file of its own) lists rules; each rule has
one check that a test can decide, on a scheme alone and on a computed allocation:

``min_share: {percent: 80, purposes: [...]}`` (and ``max_share``)
    The lines whose purpose is one of ``purposes`` take at least (at most) ``percent`` of the
    distributable amount. On an allocation: per village, against the pool times the percent
    rounded down to the fen. On a scheme: the *intended* share when every step up to the last
    one is a percent of the pool or of what remains (tranches that find recipients); otherwise
    ``undecided`` (decided on each computed run).
``forbid: simple_equal_split``
    "Simple equal split": a step that pays households by one weight per household (no weight,
    post or eligibility distinguishes them: ``per``/``weight`` household without multiplier or
    bonus, no ``eligible``). On a scheme: the shape is present. On an allocation: the shape is
    present and some village's lines of that step are all equal (within one fen) over two or more
    households.
``require_step: {kind: post_subsidy}`` or ``{purpose: public_welfare_post}``
    The scheme has such a step.
``only_purposes: [...]``
    Every step (share class, account) names a purpose among these; on an allocation, every
    non-zero line has one (a line's purpose is its step's or share class's, else its account's).

:func:`evaluate` returns one :class:`RuleResult` per rule (``pass``, ``fail`` or ``undecided``)
with a message saying why, in both languages: for ``schemes validate --profile``, the run page
and the audit pack.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from importlib import resources
from pathlib import Path as FsPath
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # polars loads when a frame is computed, not when a scheme is read
    import polars as pl

    from schemes.engine import Allocation

from schemes.filters import _show
from schemes.i18n import Msg, load_catalog
from schemes.model import (
    DEDUCTIONS, POOL, PURPOSES, REMAINING, AnyStep, Basis, CarveOut, Label, PerUnit, ProRata, Remainder, Scheme,
    ShareClasses, Weight,
)
from schemes.money import format_percent, format_yuan
from schemes.problems import InputError, Problem
from schemes.yamldoc import parse
from schemes.yamlread import DocumentReader

load_catalog(FsPath(__file__).with_name("locale"), "schemes")

Status = Literal["pass", "fail", "undecided"]
CHECK_KEYS = ("min_share", "max_share", "forbid", "require_step", "only_purposes")
SHAPES = ("simple_equal_split",)
STEP_KINDS = ("carve_out", "per_unit", "pro_rata", "share_classes", "post_subsidy", "minimum_guarantee", "cap",
              "remainder")


@dataclass(frozen=True)
class Rule:
    id: str
    title: Label
    source: str
    date: str
    check: str  # one of CHECK_KEYS
    percent: Fraction | None = None
    purposes: tuple[str, ...] = ()
    shape: str | None = None
    kind: str | None = None


@dataclass(frozen=True)
class Profile:
    id: str
    title: Label
    rules: tuple[Rule, ...]
    file: str = ""
    assets: tuple[str, ...] = ()
    """``applies_to.assets``: the asset returns (run side) the profile checks, by name."""
    schemes: tuple[str, ...] = ()
    """``applies_to.schemes``: the scheme ids the profile checks whatever the asset."""

    def applies(self, scheme_id: str, asset: str) -> bool:
        """Whether a run of ``scheme_id`` for ``asset`` is checked against this profile."""
        return scheme_id in self.schemes or asset.strip().casefold() in {a.casefold() for a in self.assets}


@dataclass(frozen=True)
class RuleResult:
    rule: Rule
    status: Status
    msg: Msg

    def text(self, lang: str | None = None) -> str:
        status = Msg(f"policy.{self.status}").text(lang)
        from schemes.i18n import current_language
        title = self.rule.title.text(current_language(lang))
        return f"[{status}] {title}: {self.msg.text(lang)} ({self.rule.source}, {self.rule.date})"


# ------------------------------------------------------------------------------------ files

_DIR = FsPath(str(resources.files("schemes"))) / "profiles"


def profile_names() -> list[str]:
    return sorted(p.stem for p in _DIR.glob("*.yaml"))


def load_profile(ref: str) -> Profile:
    """A built-in profile by name, or a profile file; raises :class:`InputError` with every problem."""
    path = FsPath(ref)
    if not path.is_file():
        path = _DIR / f"{ref}.yaml"
        if not path.is_file():
            raise InputError([Problem(Msg("policy.not_found", ref=ref, names=profile_names()))])
        name = f"profiles/{ref}.yaml"
    else:
        name = ref
    doc = parse(path.read_text(encoding="utf-8-sig"), name)
    profile = _ProfileReader(doc).profile() if not doc.problems else None
    if doc.problems or profile is None:
        raise InputError(sorted(doc.problems, key=lambda p: p.sort_key()))
    return profile


class _ProfileReader(DocumentReader):
    def profile(self) -> Profile | None:
        top = self.mapping(self.doc.root, (), ("id", "title", "description", "applies_to", "rules"), ("id", "title", "rules"))
        if top is None:
            return None
        pid = self.text(top.get("id"), ("id",))
        title = self.label(top.get("title"), ("title",))
        if "description" in top:
            self.text(top["description"], ("description",))
        raw = top.get("rules")
        if not isinstance(raw, list) or not raw:
            self.problem(("rules",), "yaml.need_list", found=_show(raw))
            return None
        rules = [r for i, item in enumerate(raw) if (r := self.rule(item, ("rules", i))) is not None]
        applies = self.mapping(top.get("applies_to") or {}, ("applies_to",), ("assets", "schemes")) or {}
        assets, schemes = (tuple(str(v) for v in (applies.get(k) or [])) for k in ("assets", "schemes"))
        if self.doc.problems or not pid or not title:
            return None
        return Profile(pid, title, tuple(rules), self.doc.file, assets, schemes)

    def rule(self, value: Any, path: tuple[str | int, ...]) -> Rule | None:
        m = self.mapping(value, path, ("id", "title", "source", "date") + CHECK_KEYS, ("id", "title", "source", "date"))
        if m is None:
            return None
        checks = [k for k in CHECK_KEYS if k in m]
        if len(checks) != 1:
            self.problem(path, "policy.need_check", expected=list(CHECK_KEYS))
            return None
        rid, title = self.text(m.get("id"), path + ("id",)), self.label(m.get("title"), path + ("title",))
        source, day = self.text(m.get("source"), path + ("source",)), self.text(str(m.get("date") or ""), path + ("date",))
        check = checks[0]
        body, p = m[check], path + (check,)
        rule = Rule(rid or "", title or Label("", ""), source or "", day or "", check)
        if check in ("min_share", "max_share"):
            spec = self.mapping(body, p, ("percent", "purposes"), ("percent", "purposes"))
            if spec is None:
                return None
            from schemes.money import MoneyFormatError, parse_percent
            try:
                percent = parse_percent(str(spec.get("percent")))
            except MoneyFormatError:
                self.problem(p + ("percent",), "scheme.need_percent", found=_show(spec.get("percent")))
                return None
            purposes = self.purposes(spec.get("purposes"), p + ("purposes",))
            rule = Rule(rule.id, rule.title, rule.source, rule.date, check, percent=percent, purposes=purposes)
        elif check == "forbid":
            if body not in SHAPES:
                self.problem(p, "policy.unknown_forbid", found=_show(body), expected=list(SHAPES))
                return None
            rule = Rule(rule.id, rule.title, rule.source, rule.date, check, shape=body)
        elif check == "require_step":
            spec = self.mapping(body, p, ("kind", "purpose"))
            if spec is None or len(spec) != 1:
                self.problem(p, "policy.need_check", expected=["kind", "purpose"])
                return None
            if "kind" in spec:
                kind = self.choice(spec["kind"], p + ("kind",), STEP_KINDS)
                rule = Rule(rule.id, rule.title, rule.source, rule.date, check, kind=kind)
            else:
                rule = Rule(rule.id, rule.title, rule.source, rule.date, check,
                            purposes=self.purposes([spec["purpose"]], p + ("purpose",)))
        else:
            rule = Rule(rule.id, rule.title, rule.source, rule.date, check, purposes=self.purposes(body, p))
        return rule if rid and title and source and day else None

    def purposes(self, value: Any, path: tuple[str | int, ...]) -> tuple[str, ...]:
        items = value if isinstance(value, list) else [value]
        out = [self.choice(v, path + (i,), PURPOSES) for i, v in enumerate(items)]
        return tuple(p for p in out if p)


# ------------------------------------------------------------------------------- evaluation


def evaluate(profile: Profile, scheme: Scheme, allocation: Allocation | None = None) -> list[RuleResult]:
    """Every rule of ``profile`` on ``scheme`` (and on ``allocation`` when given: a computed run)."""
    return [_evaluate(rule, scheme, allocation) for rule in profile.rules]


def _evaluate(rule: Rule, scheme: Scheme, a: Allocation | None) -> RuleResult:
    if rule.check in ("min_share", "max_share"):
        return _share(rule, scheme, a)
    if rule.check == "forbid":
        return _equal_split(rule, scheme, a)
    if rule.check == "require_step":
        for s in scheme.steps:
            if (rule.kind and s.kind == rule.kind) or (rule.purposes and s.purpose in rule.purposes):
                return RuleResult(rule, "pass", Msg("policy.require.ok", step=s.id))
        what = rule.kind or _words(rule.purposes)
        return RuleResult(rule, "fail", Msg("policy.require.missing", what=what))
    return _only_purposes(rule, scheme, a)


def _words(purposes: tuple[str, ...]) -> list[Msg]:
    """Purposes as a message parameter (rendered in the reader's language)."""
    return [Msg(f"purpose.{p}") for p in purposes]


def line_purposes(scheme: Scheme) -> dict[str, str | None]:
    """Column -> purpose of its household lines (its step's purpose)."""
    return {s.id: s.purpose for s in scheme.steps}


def _account_purpose(scheme: Scheme, step: AnyStep | None, account: str) -> str | None:
    """The purpose of ``step``'s line on ``account``: the share class's or the account's for a
    class kept by an account, else the step's, else the account's."""
    acc = scheme.accounts.get(account)
    if isinstance(step, ShareClasses):
        kept = [c.purpose for c in step.classes if c.to == account and c.purpose]
        return kept[0] if kept else (acc.purpose if acc else None)
    if step is not None and step.purpose:
        return step.purpose
    return acc.purpose if acc else None


def intended_shares(scheme: Scheme) -> tuple[dict[str | None, Fraction], str | None]:
    """The share of the pool each purpose is meant to get, when every step is a percent of the
    pool or of what remains (or the remainder); else ``({}, first step that is not)``."""
    shares: dict[str | None, Fraction] = {}
    rem = Fraction(1)

    def add(purpose: str | None, amount: Fraction) -> None:
        shares[purpose] = shares.get(purpose, Fraction(0)) + amount

    for s in scheme.steps:
        if isinstance(s, Remainder):
            add(_account_purpose(scheme, s, s.to), rem)
            rem = Fraction(0)
            continue
        take = getattr(s, "take", None)
        if not isinstance(s, (CarveOut, ProRata, ShareClasses)) or s.group or take is None or take.percent is None:
            return {}, s.id
        amount = take.percent * (1 if take.of == POOL else rem)
        amount = min(amount, rem)
        rem -= amount
        if isinstance(s, CarveOut):
            add(_account_purpose(scheme, s, s.to), amount)
        elif isinstance(s, ProRata):
            add(s.purpose, amount)
        else:
            for c in s.classes:
                add(_account_purpose(scheme, s, c.to) if c.to else (c.purpose or s.purpose), amount * c.percent)
    return shares, None


def _share(rule: Rule, scheme: Scheme, a: Allocation | None) -> RuleResult:
    import polars as pl
    assert rule.percent is not None
    minimum = rule.check == "min_share"
    op = "≥" if minimum else "≤"
    purposes = _words(rule.purposes)
    if a is None:
        shares, unknown = intended_shares(scheme)
        if unknown is not None:
            return RuleResult(rule, "undecided", Msg("policy.share.unknown", step=unknown))
        share = sum((v for k, v in shares.items() if k in rule.purposes), Fraction(0))
        ok = share >= rule.percent if minimum else share <= rule.percent
        return RuleResult(rule, "pass" if ok else "fail", Msg("policy.share.static", share=format_percent(share),
                                                              purposes=purposes, op=op, percent=format_percent(rule.percent)))
    per_village = _purpose_amounts(scheme, a, rule.purposes)
    frame = a.villages.select("village_id", "pool_fen").join(per_village, on="village_id", how="left").with_columns(
        pl.col("fen").fill_null(0))
    limit = (pl.col("pool_fen").cast(pl.Int128) * rule.percent.numerator // rule.percent.denominator)
    if not minimum:
        limit = -((-pl.col("pool_fen").cast(pl.Int128) * rule.percent.numerator) // rule.percent.denominator)
    bad = frame.filter(pl.col("fen") < limit) if minimum else frame.filter(pl.col("fen") > limit)
    bad = bad.filter(pl.col("pool_fen") > 0)
    shares = frame.filter(pl.col("pool_fen") > 0).with_columns(s=pl.col("fen") / pl.col("pool_fen"))
    if bad.height:
        r = bad.row(0, named=True)
        share = Fraction(r["fen"], r["pool_fen"]) if r["pool_fen"] else Fraction(0)
        return RuleResult(rule, "fail", Msg("policy.share.run", count=frame.height, bad=bad.height, village=r["village_id"],
                                            paid=format_yuan(r["fen"]), purposes=purposes, share=_pct(share), op=op,
                                            percent=format_percent(rule.percent)))
    lowest = min((Fraction(int(r["fen"]), int(r["pool_fen"])) for r in shares.iter_rows(named=True)), default=Fraction(0))
    return RuleResult(rule, "pass", Msg("policy.share.run_ok", count=frame.height, share=_pct(lowest)))


def _pct(value: Fraction) -> str:
    """A share to two decimals of a percent, rounded down (display only; the test is exact)."""
    basis_points = value.numerator * 10000 // value.denominator
    return f"{basis_points // 100}.{basis_points % 100:02d}%"


def _purpose_amounts(scheme: Scheme, a: Allocation, purposes: tuple[str, ...]) -> pl.DataFrame:
    """Per village, the fen of every line whose purpose is among ``purposes``."""
    import polars as pl
    parts = []
    for s in scheme.steps:
        if s.purpose in purposes:
            parts.append(a.households.select("village_id", pl.col(s.id).alias("fen")))
        for account in scheme.accounts:
            if _account_purpose(scheme, s, account) in purposes:
                parts.append(a.accounts.filter(pl.col("account") == account).select("village_id", pl.col(s.id).alias("fen")))
    if not parts:
        return pl.DataFrame(schema={"village_id": pl.String, "fen": pl.Int64})
    return pl.concat(parts).group_by("village_id").agg(pl.col("fen").sum())


def _equal_shape(s: AnyStep) -> bool:
    def flat(w: Weight | None, basis: Basis | None) -> bool:
        b = w.basis if w is not None else basis
        return b is not None and b.kind == "household" and not (w is not None and (w.multiplier or w.bonus))
    if isinstance(s, PerUnit):
        return s.eligible is None and s.prorate is None and s.rate.basis.kind == "household"
    if isinstance(s, ProRata):
        return s.eligible is None and flat(s.weight, None)
    if isinstance(s, ShareClasses):
        return any(c.weight is not None and c.eligible is None and flat(c.weight, None) for c in s.classes)
    return False


def _equal_split(rule: Rule, scheme: Scheme, a: Allocation | None) -> RuleResult:
    import polars as pl
    shaped = [s for s in scheme.steps if _equal_shape(s)]
    if not shaped:
        return RuleResult(rule, "pass", Msg("policy.equal.none"))
    if a is None:
        return RuleResult(rule, "fail", Msg("policy.equal.static", step=shaped[0].id))
    for s in shaped:
        stats = a.households.group_by("village_id").agg(pl.len().alias("n"), pl.col(s.id).min().alias("lo"),
                                                        pl.col(s.id).max().alias("hi")).sort("village_id")
        equal = stats.filter((pl.col("n") >= 2) & (pl.col("lo") > 0) & (pl.col("hi") - pl.col("lo") <= 1))
        if equal.height:
            r = equal.row(0, named=True)
            return RuleResult(rule, "fail", Msg("policy.equal.run", step=s.id, village=r["village_id"], count=r["n"],
                                                amount=format_yuan(r["lo"])))
    return RuleResult(rule, "pass", Msg("policy.equal.run_ok", step=shaped[0].id))


def _only_purposes(rule: Rule, scheme: Scheme, a: Allocation | None) -> RuleResult:
    allowed = _words(rule.purposes)
    for s in scheme.steps:
        if getattr(s, "excess_to", None) == REMAINING:
            continue  # a cap that returns the excess to what remains only cuts other lines
        accounts = [s.to] if isinstance(s, (CarveOut, Remainder)) else []
        if isinstance(s, ShareClasses):
            accounts = [c.to for c in s.classes if c.to]
        if isinstance(s, ShareClasses) and any(c.purpose for c in s.classes):
            targets = [(c.id, c.purpose or s.purpose) for c in s.classes]
        elif accounts:
            targets = [(s.id, _account_purpose(scheme, s, x)) for x in accounts]
        elif getattr(s, "excess_to", REMAINING) != REMAINING:
            targets = [(s.id, s.purpose or _account_purpose(scheme, None, s.excess_to))]  # type: ignore[attr-defined]
        else:
            targets = [(s.id, s.purpose)]
        for name, purpose in targets:
            if a is not None and not _pays(a, s.id):
                continue
            if purpose is None:
                return RuleResult(rule, "fail", Msg("policy.purpose.missing", step=name))
            if purpose not in rule.purposes:
                return RuleResult(rule, "fail", Msg("policy.purpose.other", step=name, purpose=purpose, allowed=allowed))
    return RuleResult(rule, "pass", Msg("policy.purpose.ok"))


def _pays(a: Allocation, column: str) -> bool:
    if column == DEDUCTIONS or column not in a.households.columns:
        return False
    return bool((a.households[column] != 0).any() or (a.accounts[column] != 0).any())
