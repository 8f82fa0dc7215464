"""Reading scheme files: YAML in, a validated :class:`~schemes.model.Scheme` out.

Every problem names the file, the line, the key path and what was expected; all problems of a
file are reported together. Any number may be written as ``{value: ..., source: "..."}`` to say
where it comes from; those notes are kept in ``Scheme.notes`` by key path.
"""
from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import date
from fractions import Fraction
from pathlib import Path as FsPath
from typing import Any

import schemes.messages  # noqa: F401  (registers the message catalog)
from schemes.filters import STATUS_NAMES, Filter, parse_filter, _show
from schemes.model import (
    CLAIM_KINDS, EXTRA_COLUMNS, HOUSEHOLD_STEP_KINDS, POOL, PURPOSES, REMAINING, STATUSES, Account, AnyStep,
    Basis, Cap, CarveOut, ClaimGroup, DeductionRule, Label, MinimumGuarantee, PerUnit, PostSubsidy, Prorate,
    ProRata, Rate, Remainder, Scheme, ShareClass, ShareClasses, Shortfall, Take, Weight,
)
from schemes.money import (
    MAX_AMOUNT_FEN, MAX_DECIMALS, MAX_DENOMINATOR, MAX_FACTOR, MoneyFormatError, PrecisionError, format_yuan,
    parse_decimal, parse_percent, parse_yuan,
)
from schemes.problems import InputError
from schemes.yamldoc import Document, Path, parse, render_path
from schemes.yamlread import DocumentReader

IDENT = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
SCHEME_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
RESERVED_COLUMNS = frozenset({"recipient_id", "recipient_kind", "village_id", "amount_fen", *EXTRA_COLUMNS})
MAX_CAPITAL_PERCENT = 1000
BASES = ("household", "person", "able_person", "unable_person", "share", "capital", "post")
POLICIES = ("pro_rate", "priority", "refuse")
KINDS = (
    "carve_out", "per_unit", "pro_rata", "share_classes", "post_subsidy",
    "minimum_guarantee", "cap", "remainder", "claim_group",
)

TOP_KEYS = ("id", "version", "effective", "title", "description", "source", "assumptions",
            "accounts", "steps", "age_on", "deductions", "brought_forward")
COMMON_STEP_KEYS = ("id", "kind", "label", "description", "purpose")
TAKE_KEYS = ("amount", "percent", "of")
SHORTFALL_KEYS = ("on_shortfall", "priority")


def load_scheme(path: str | FsPath, display_name: str | None = None) -> Scheme:
    """Read and validate a scheme file; raises :class:`InputError` listing every problem."""
    p = FsPath(path)
    name = display_name or str(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        from schemes.i18n import Msg
        from schemes.problems import Problem
        raise InputError([Problem(Msg("file.unreadable", detail=exc.strerror or str(exc)), file=name)]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        from schemes.i18n import Msg
        from schemes.problems import Problem
        raise InputError([Problem(Msg("scheme.not_utf8"), file=name)]) from None
    return parse_scheme(text, name)


def parse_scheme(text: str, file: str = "<scheme>") -> Scheme:
    doc = parse(text, file)
    scheme = None
    if not doc.problems:
        scheme = _Reader(doc).scheme(text)
    if doc.problems or scheme is None:
        raise InputError(sorted(doc.problems, key=lambda p: p.sort_key()))
    return scheme


class _Reader(DocumentReader):
    def __init__(self, doc: Document) -> None:
        super().__init__(doc)
        self.groups: dict[str, ClaimGroup] = {}

    # ----------------------------------------------------------------- small typed readers

    def unwrap(self, value: Any, path: Path) -> tuple[Any, Path]:
        """``{value: X, source: "..."}`` -> X, recording the source note (see Document.unwrap)."""
        return self.doc.unwrap(value, path)

    def ident(self, value: Any, path: Path, pattern: re.Pattern[str] = IDENT) -> str | None:
        if not isinstance(value, str) or not pattern.match(value):
            self.problem(path, "scheme.need_ident", found=_show(value))
            return None
        return value

    def integer(self, value: Any, path: Path, minimum: int = 0) -> int | None:
        if isinstance(value, dict) and "value" in value:  # a version or a count, not money
            value, path = self.unwrap(value, path)
        if isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value.strip()):
            number = int(value)
            if number >= minimum:
                return number
        self.problem(path, "scheme.need_integer", minimum=minimum, found=_show(value))
        return None

    def yuan(self, value: Any, path: Path) -> int | None:
        value, path = self.unwrap(value, path)
        try:
            if isinstance(value, bool) or not isinstance(value, str):
                raise MoneyFormatError(value)
            fen = parse_yuan(value)
        except MoneyFormatError:
            self.problem(path, "scheme.need_yuan", found=_show(value))
            return None
        if fen > MAX_AMOUNT_FEN:
            self.problem(path, "scheme.amount_too_large", maximum=format_yuan(MAX_AMOUNT_FEN), found=_show(value))
            return None
        return fen

    def percent(self, value: Any, path: Path, maximum: int | None = 100) -> Fraction | None:
        value, path = self.unwrap(value, path)
        try:
            if isinstance(value, bool) or not isinstance(value, str):
                raise MoneyFormatError(value)
            pct = parse_percent(value)
        except PrecisionError:
            self.problem(path, "scheme.too_precise", found=_show(value), decimals=MAX_DECIMALS, denominator=MAX_DENOMINATOR)
            return None
        except MoneyFormatError:
            self.problem(path, "scheme.need_percent", found=_show(value))
            return None
        if maximum is not None and pct > maximum / 100:
            self.problem(path, "scheme.percent_too_large", maximum=maximum, found=_show(value))
            return None
        return pct

    def decimal(self, value: Any, path: Path) -> Fraction | None:
        value, path = self.unwrap(value, path)
        try:
            if isinstance(value, bool) or not isinstance(value, str):
                raise MoneyFormatError(value)
            number = parse_decimal(value)
        except PrecisionError:
            self.problem(path, "scheme.too_precise", found=_show(value), decimals=MAX_DECIMALS, denominator=MAX_DENOMINATOR)
            return None
        except MoneyFormatError:
            self.problem(path, "scheme.need_decimal", found=_show(value))
            return None
        if number > MAX_FACTOR:
            self.problem(path, "scheme.factor_too_large", maximum=MAX_FACTOR, found=_show(value))
            return None
        return number

    def date_(self, value: Any, path: Path) -> date | None:
        if isinstance(value, dict) and "value" in value:
            value, path = self.unwrap(value, path)
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.problem(path, "scheme.need_date", found=_show(value))
        return None

    def filter(self, value: Any, path: Path) -> Filter | None:
        if value is None:
            return None
        return parse_filter(self.doc, value, path, "household")

    # ----------------------------------------------------------------------- the document

    def scheme(self, text: str) -> Scheme | None:
        top = self.mapping(self.doc.root, (), TOP_KEYS,
                           ("id", "version", "effective", "title", "description", "accounts", "steps"))
        if top is None:
            return None
        sid = self.ident(top.get("id"), ("id",), SCHEME_ID) if "id" in top else None
        version = self.integer(top["version"], ("version",), minimum=1) if "version" in top else None
        effective = self.date_(top["effective"], ("effective",)) if "effective" in top else None
        title = self.label(top["title"], ("title",)) if "title" in top else None
        description = self.text(top["description"], ("description",)) if "description" in top else None
        source = self.text(top["source"], ("source",)) if top.get("source") is not None else None
        assumptions = self._assumptions(top.get("assumptions"))
        age_on = self._age_on(top.get("age_on"))
        accounts = self._accounts(top.get("accounts"))
        steps = self._steps(top.get("steps"), accounts or {})
        deductions = self._deductions(top.get("deductions"), accounts or {})
        brought_forward_to = self._brought_forward(top.get("brought_forward"), accounts or {})
        if self.doc.problems:
            return None
        assert sid and version and effective and title and description and accounts is not None
        return Scheme(
            id=sid, version=version, effective=effective, title=title, description=description,
            accounts=accounts, steps=tuple(steps), source=source, assumptions=assumptions,
            notes=dict(self.doc.notes), age_on=age_on, text=text, file=self.doc.file, groups=dict(self.groups),
            deductions=deductions, brought_forward_to=brought_forward_to,
            warnings=tuple(sorted(self.doc.warnings, key=lambda p: p.sort_key())),
        )

    def _assumptions(self, value: Any) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.problem(("assumptions",), "yaml.need_list", found=_show(value))
            return ()
        out = [self.text(v, ("assumptions", i)) for i, v in enumerate(value)]
        return tuple(v for v in out if v)

    def _age_on(self, value: Any) -> tuple[int, int]:
        if value is None:
            return (12, 31)
        if isinstance(value, str) and re.fullmatch(r"[0-9]{2}-[0-9]{2}", value.strip()):
            month, day = (int(x) for x in value.strip().split("-"))
            try:
                date(2000, month, day)  # a leap year accepts 02-29
                return (month, day)
            except ValueError:
                pass
        self.problem(("age_on",), "scheme.need_month_day", found=_show(value))
        return (12, 31)

    def _accounts(self, value: Any) -> dict[str, Account] | None:
        path: Path = ("accounts",)
        if not isinstance(value, dict) or not value:
            self.problem(path, "scheme.need_accounts", found=_show(value))
            return None
        out: dict[str, Account] = {}
        for name, spec in value.items():
            p = path + (name,)
            if self.ident(name, p) is None:
                continue
            if name == REMAINING:
                self.problem(p, "scheme.reserved_account", name=name)
                continue
            purpose = None
            if isinstance(spec, (str, dict)) and not (isinstance(spec, dict) and "label" in spec):
                label = self.label(spec, p)
            else:
                m = self.mapping(spec, p, ("label", "purpose"), ("label",))
                label = self.label(m.get("label"), p + ("label",)) if m else None
                purpose = self._purpose(m, p) if m else None
            if label:
                out[name] = Account(name, label, purpose)
        return out

    def _steps(self, value: Any, accounts: dict[str, Account]) -> list[AnyStep]:
        path: Path = ("steps",)
        if not isinstance(value, list) or not value:
            self.problem(path, "scheme.need_steps", found=_show(value))
            return []
        steps: list[AnyStep] = []
        seen: dict[str, int] = {}
        for i, raw in enumerate(value):
            p = path + (i,)
            kind, sid = self._kind_and_id(raw, p, KINDS, seen)
            if sid:
                seen[sid] = i
            if kind is None or sid is None:
                continue
            label = self.label(raw.get("label"), p + ("label",), default=sid)
            if kind == "claim_group":
                steps.extend(self._claim_group(raw, p, sid, label or Label(sid, sid), accounts, steps, seen))
                continue
            step = self._step(kind, raw, p, sid, label or Label(sid, sid), accounts, steps)
            if step is not None:
                steps.append(step)
        self._check_order(steps, path, len(value))
        return steps

    def _kind_and_id(self, raw: Any, p: Path, kinds: tuple[str, ...], seen: dict[str, int]) -> tuple[str | None, str | None]:
        """A step's (or claim's) ``kind`` and ``id``, each None after its problem is recorded."""
        if not isinstance(raw, dict):
            self.problem(p, "yaml.need_mapping", found=_show(raw))
            return None, None
        kind = self.choice(raw.get("kind"), p + ("kind",), kinds) if "kind" in raw else None
        if "kind" not in raw:
            self.problem(p + ("kind",), "yaml.missing_key", name="kind")
        sid = self.ident(raw.get("id"), p + ("id",)) if "id" in raw else None
        if "id" not in raw:
            self.problem(p + ("id",), "yaml.missing_key", name="id")
        if sid in RESERVED_COLUMNS:
            self.problem(p + ("id",), "scheme.reserved_step_id", name=sid, expected=sorted(RESERVED_COLUMNS))
            sid = None
        if sid and sid in seen:
            self.problem(p + ("id",), "scheme.duplicate_step", name=sid, other=seen[sid])
            sid = None
        return kind, sid

    def _step(self, kind: str, raw: dict[str, Any], path: Path, sid: str, label: Label,
              accounts: dict[str, Account], earlier: list[AnyStep], group: str | None = None) -> AnyStep | None:
        parser: Callable[..., AnyStep | None] = getattr(self, f"_step_{kind}")
        step = parser(raw, path, sid, label, accounts, earlier)
        if step is None:
            return None
        purpose = self._purpose(raw, path)
        return replace(step, group=group, purpose=purpose, key=render_path(path))

    def _purpose(self, m: dict[str, Any], path: Path) -> str | None:
        if m.get("purpose") is None:
            return None
        return self.choice(m["purpose"], path + ("purpose",), PURPOSES)

    def _claim_group(self, raw: dict[str, Any], path: Path, gid: str, label: Label, accounts: dict[str, Account],
                     earlier: list[AnyStep], seen: dict[str, int]) -> list[AnyStep]:
        """``kind: claim_group``: its ``claims`` become steps (columns) settled together."""
        m = self._common(raw, path, ("claims",) + SHORTFALL_KEYS, ("claims",))
        if m is None:
            return []
        policy = self.choice(m.get("on_shortfall", "refuse"), path + ("on_shortfall",), POLICIES)
        raw_claims = m.get("claims")
        if not isinstance(raw_claims, list) or len(raw_claims) < 2:
            self.problem(path + ("claims",), "scheme.group_needs_claims", found=_show(raw_claims))
            return []
        claims: list[AnyStep] = []
        for j, rc in enumerate(raw_claims):
            p = path + ("claims", j)
            kind, cid = self._kind_and_id(rc, p, tuple(sorted(CLAIM_KINDS)), seen)
            if not isinstance(rc, dict):
                continue
            if "on_shortfall" in rc or "priority" in rc:
                self.problem(p + ("on_shortfall" if "on_shortfall" in rc else "priority",), "scheme.claim_own_shortfall", group=gid)
                continue
            if kind is None or cid is None:
                continue
            seen[cid] = len(earlier) + len(claims)
            clabel = self.label(rc.get("label"), p + ("label",), default=cid) or Label(cid, cid)
            step = self._step(kind, {**rc, "on_shortfall": "pro_rate"}, p, cid, clabel, accounts, earlier + claims, gid)
            if step is not None:
                claims.append(step)
        ids = tuple(c.id for c in claims)
        levels: list[tuple[str, ...]] = [ids]
        if policy == "priority":
            levels = self._claim_levels(m.get("priority"), path + ("priority",), ids)
        elif "priority" in m:
            self.problem(path + ("priority",), "scheme.priority_without_policy")
        if policy is None or len(claims) != len(raw_claims) or not levels:
            return []
        self.groups[gid] = ClaimGroup(gid, label, policy, ids, tuple(levels), path_line(self.doc, path))  # type: ignore[arg-type]
        return claims

    def _claim_levels(self, value: Any, path: Path, ids: tuple[str, ...]) -> list[tuple[str, ...]]:
        """``priority: [dividend, [collective, fund]]``: claim ids in order; a list shares a level."""
        if not isinstance(value, list) or not value:
            self.problem(path, "scheme.group_priority", found=_show(value), expected=list(ids))
            return []
        levels: list[tuple[str, ...]] = []
        listed: list[str] = []
        for i, item in enumerate(value):
            items = item if isinstance(item, list) else [item]
            for it in items:
                if it not in ids or it in listed:
                    self.problem(path + (i,), "scheme.group_priority", found=_show(it), expected=list(ids))
                    return []
                listed.append(it)
            levels.append(tuple(items))
        missing = [c for c in ids if c not in listed]
        if missing:
            self.problem(path, "scheme.group_priority_missing", missing=missing)
            return []
        return levels

    def _deductions(self, value: Any, accounts: dict[str, Account]) -> DeductionRule:
        if value is None:
            return DeductionRule()
        path: Path = ("deductions",)
        m = self.mapping(value, path, ("protected", "creditors"))
        if m is None:
            return DeductionRule()
        protected = self._rate_mapping(m["protected"], path + ("protected",)) if m.get("protected") is not None else None
        creditors: list[str] = []
        raw = m.get("creditors")
        if raw is not None:
            items = raw if isinstance(raw, list) else [raw]
            for i, item in enumerate(items):
                ref = self._account_ref(item, path + (("creditors", i) if isinstance(raw, list) else ("creditors",)), accounts)
                if ref:
                    creditors.append(ref)
        return DeductionRule(protected, tuple(creditors))

    def _brought_forward(self, value: Any, accounts: dict[str, Account]) -> str:
        if value is None:
            return POOL
        path: Path = ("brought_forward",)
        m = self.mapping(value, path, ("to",), ("to",))
        if m is None or m.get("to") is None:
            return POOL
        if m["to"] == POOL:
            return POOL
        return self._account_ref(m["to"], path + ("to",), accounts) or POOL

    def _check_order(self, steps: list[AnyStep], path: Path, count: int) -> None:
        if self.doc.problems:
            return
        remainders = [i for i, s in enumerate(steps) if s.kind == "remainder"]
        if not remainders:
            self.problem(path, "scheme.need_remainder")
        elif remainders[0] != len(steps) - 1:
            self.problem(path + (remainders[0] + 1,), "scheme.step_after_remainder",
                         name=steps[remainders[0] + 1].id)

    # ------------------------------------------------------------------ shared step parts

    def _common(self, raw: dict[str, Any], path: Path, extra: Iterable[str], required: Iterable[str] = ()) -> dict[str, Any] | None:
        m = self.mapping(raw, path, COMMON_STEP_KEYS + tuple(extra), required)
        if m is not None and "description" in m:
            self.text(m["description"], path + ("description",))
        return m

    def _account_ref(self, value: Any, path: Path, accounts: dict[str, Account], allow_remaining: bool = False) -> str | None:
        if allow_remaining and value == REMAINING:
            return REMAINING
        if isinstance(value, str) and value in accounts:
            return value
        expected = list(accounts) + ([REMAINING] if allow_remaining else [])
        close = difflib.get_close_matches(str(value), expected, n=1)
        self.problem(path, "scheme.unknown_account", found=_show(value), expected=expected,
                     hint=f" ({close[0]}?)" if close else "")
        return None

    def _take(self, m: dict[str, Any], path: Path) -> Take | None:
        has_amount, has_percent = "amount" in m, "percent" in m
        if has_amount == has_percent:
            self.problem(path, "scheme.need_amount_or_percent")
            return None
        of = self.choice(m.get("of", "pool"), path + ("of",), ("pool", "remaining"))
        if has_amount:
            if "of" in m:
                self.problem(path + ("of",), "scheme.of_with_amount")
            fen = self.yuan(m["amount"], path + ("amount",))
            return Take(amount_fen=fen) if fen is not None else None
        pct = self.percent(m["percent"], path + ("percent",))
        return Take(percent=pct, of=of) if pct is not None and of else None  # type: ignore[arg-type]

    def _basis(self, value: Any, path: Path) -> Basis | None:
        if isinstance(value, dict):
            m = self.mapping(value, path, ("persons",), ("persons",))
            if m is None or "persons" not in m:
                return None
            pf = parse_filter(self.doc, m["persons"], path + ("persons",), "person")
            return Basis("persons", pf) if pf is not None else None
        kind = self.choice(value, path, BASES + ("persons",))
        if kind == "persons":
            self.problem(path, "scheme.persons_need_filter")
            return None
        return Basis(kind) if kind else None  # type: ignore[arg-type]

    def _rate(self, m: dict[str, Any], path: Path) -> Rate | None:
        """``per`` + ``amount`` (yuan per unit) or, for ``per: capital``, ``percent``."""
        if "per" not in m:
            self.problem(path + ("per",), "yaml.missing_key", name="per")
            return None
        basis = self._basis(m["per"], path + ("per",))
        if basis is None:
            return None
        if basis.kind == "capital":
            if "amount" in m or "percent" not in m:
                self.problem(path, "scheme.capital_needs_percent")
                return None
            pct = self.percent(m["percent"], path + ("percent",), maximum=MAX_CAPITAL_PERCENT)
            return Rate(basis, percent=pct) if pct is not None else None
        if "percent" in m or "amount" not in m:
            self.problem(path, "scheme.unit_needs_amount", basis=basis.kind)
            return None
        fen = self.yuan(m["amount"], path + ("amount",))
        return Rate(basis, amount_fen=fen) if fen is not None else None

    def _rate_mapping(self, value: Any, path: Path) -> Rate | None:
        m = self.mapping(value, path, ("per", "amount", "percent"))
        return self._rate(m, path) if m is not None else None

    def _by_status(self, value: Any, path: Path, *, complete: bool) -> dict[str, Fraction] | None:
        m = self.mapping(value, path, tuple(STATUS_NAMES) + ("others",))
        if m is None:
            return None
        out: dict[str, Fraction] = {}
        for key, raw in m.items():
            canonical = "others" if key == "others" else STATUS_NAMES.get(key)
            if canonical is None:
                continue  # reported by mapping()
            number = self.decimal(raw, path + (key,))
            if number is not None:
                out[canonical] = number
        others = out.pop("others", None)
        missing = [s for s in STATUSES if s not in out]
        if missing and others is None and complete:
            self.problem(path, "scheme.multiplier_incomplete", missing=missing)
            return None
        for s in missing:
            out[s] = others if others is not None else Fraction(0)
        return out

    def _weight(self, value: Any, path: Path) -> Weight | None:
        if isinstance(value, str):
            basis = self._basis(value, path)
            return Weight(basis) if basis else None
        m = self.mapping(value, path, ("by", "multiplier", "bonus"), ("by",))
        if m is None or "by" not in m:
            return None
        basis = self._basis(m["by"], path + ("by",))
        multiplier = self._by_status(m["multiplier"], path + ("multiplier",), complete=True) if "multiplier" in m else None
        bonus = self._by_status(m["bonus"], path + ("bonus",), complete=False) if "bonus" in m else None
        if basis is None or ("multiplier" in m and multiplier is None) or ("bonus" in m and bonus is None):
            return None
        scale = _lcm_of(multiplier) * _lcm_of(bonus)
        if scale > MAX_DENOMINATOR**2:
            self.problem(path, "scheme.weight_too_fine", found=scale, maximum=MAX_DENOMINATOR**2)
            return None
        return Weight(basis, multiplier, bonus)

    def _shortfall(self, m: dict[str, Any], path: Path, allowed: tuple[str, ...] = POLICIES) -> Shortfall | None:
        policy = self.choice(m.get("on_shortfall", "refuse"), path + ("on_shortfall",), allowed)
        if policy is None:
            return None
        groups: list[Filter] = []
        if policy == "priority":
            raw = m.get("priority")
            if not isinstance(raw, list) or not raw:
                self.problem(path + ("priority",), "scheme.priority_needs_groups", found=_show(raw))
                return None
            for i, item in enumerate(raw):
                f = self.filter(item, path + ("priority", i))
                if f is not None:
                    groups.append(f)
        elif "priority" in m:
            self.problem(path + ("priority",), "scheme.priority_without_policy")
            return None
        return Shortfall(policy, tuple(groups))  # type: ignore[arg-type]

    def _counts(self, value: Any, path: Path, earlier: list[AnyStep]) -> tuple[str, ...] | None:
        if value is None:
            return None
        items = value if isinstance(value, list) else [value]
        household_steps = [s.id for s in earlier if s.kind in HOUSEHOLD_STEP_KINDS]
        out = []
        for i, item in enumerate(items):
            if item not in household_steps:
                self.problem(path + ((i,) if isinstance(value, list) else ()), "scheme.unknown_count_step",
                             found=_show(item), expected=household_steps or ["-"])
                return None
            out.append(item)
        return tuple(out)

    @staticmethod
    def _paid_accounts(earlier: list[AnyStep]) -> set[str]:
        paid: set[str] = set()
        for s in earlier:
            if isinstance(s, (CarveOut, Remainder)):
                paid.add(s.to)
            elif isinstance(s, ShareClasses):
                paid.update(c.to for c in s.classes if c.to)
            elif isinstance(s, Cap) and s.excess_to != REMAINING:
                paid.add(s.excess_to)
        return paid

    # ------------------------------------------------------------------------ step kinds

    def _step_carve_out(self, raw, path, sid, label, accounts, earlier):  # type: ignore[no-untyped-def]
        m = self._common(raw, path, ("to",) + TAKE_KEYS + SHORTFALL_KEYS, ("to",))
        if m is None:
            return None
        to = self._account_ref(m.get("to"), path + ("to",), accounts)
        take = self._take(m, path)
        shortfall = self._shortfall(m, path, ("pro_rate", "refuse"))
        if to and take and shortfall:
            return CarveOut(sid, label, path_line(self.doc, path), to=to, take=take, shortfall=shortfall)
        return None

    def _step_per_unit(self, raw, path, sid, label, accounts, earlier):  # type: ignore[no-untyped-def]
        m = self._common(raw, path, ("per", "amount", "percent", "eligible", "prorate") + SHORTFALL_KEYS)
        if m is None:
            return None
        rate = self._rate(m, path)
        eligible = self.filter(m.get("eligible"), path + ("eligible",))
        shortfall = self._shortfall(m, path)
        prorate = self._prorate(m.get("prorate"), path + ("prorate",), rate)
        if rate and shortfall and ("eligible" not in m or eligible is not None) and ("prorate" not in m or prorate):
            return PerUnit(sid, label, path_line(self.doc, path), rate=rate, eligible=eligible, shortfall=shortfall,
                           prorate=prorate)
        return None

    def _prorate(self, value: Any, path: Path, rate: Rate | None) -> Prorate | None:
        """``prorate: months`` or ``prorate: {by: months, effect: next_month | same_month}``."""
        if value is None:
            return None
        if isinstance(value, str):
            value = {"by": value}
        m = self.mapping(value, path, ("by", "effect"), ("by",))
        if m is None or self.choice(m.get("by"), path + ("by",), ("months",)) is None:
            return None
        effect = self.choice(m.get("effect", "next_month"), path + ("effect",), ("next_month", "same_month"))
        if rate is not None and rate.basis.kind not in ("household", "person"):
            self.problem(path, "scheme.prorate_basis", basis=rate.basis.kind)
            return None
        return Prorate(effect) if effect else None  # type: ignore[arg-type]

    def _step_pro_rata(self, raw, path, sid, label, accounts, earlier):  # type: ignore[no-untyped-def]
        m = self._common(raw, path, TAKE_KEYS + ("weight", "eligible") + SHORTFALL_KEYS, ("weight",))
        if m is None:
            return None
        take = self._take(m, path)
        weight = self._weight(m["weight"], path + ("weight",)) if "weight" in m else None
        eligible = self.filter(m.get("eligible"), path + ("eligible",))
        shortfall = self._shortfall(m, path, ("pro_rate", "refuse"))
        if take and weight and shortfall and ("eligible" not in m or eligible is not None):
            return ProRata(sid, label, path_line(self.doc, path), take=take, weight=weight, eligible=eligible, shortfall=shortfall)
        return None

    def _step_share_classes(self, raw, path, sid, label, accounts, earlier):  # type: ignore[no-untyped-def]
        m = self._common(raw, path, TAKE_KEYS + ("classes",) + SHORTFALL_KEYS, ("classes",))
        if m is None:
            return None
        take = self._take(m, path)
        shortfall = self._shortfall(m, path, ("pro_rate", "refuse"))
        raw_classes = m.get("classes")
        if not isinstance(raw_classes, list) or not raw_classes:
            self.problem(path + ("classes",), "yaml.need_list", found=_show(raw_classes))
            return None
        classes: list[ShareClass] = []
        seen: set[str] = set()
        for i, rc in enumerate(raw_classes):
            p = path + ("classes", i)
            cm = self.mapping(rc, p, ("id", "label", "percent", "weight", "eligible", "to", "purpose"), ("id", "percent"))
            if cm is None:
                continue
            cid = self.ident(cm.get("id"), p + ("id",)) if "id" in cm else None
            if cid in seen:
                self.problem(p + ("id",), "scheme.duplicate_class", name=cid)
                cid = None
            if cid:
                seen.add(cid)
            clabel = self.label(cm.get("label"), p + ("label",), default=cid or "?")
            pct = self.percent(cm["percent"], p + ("percent",)) if "percent" in cm else None
            to = weight = eligible = None
            if ("to" in cm) == ("weight" in cm):
                self.problem(p, "scheme.class_to_or_weight")
                continue
            if "to" in cm:
                to = self._account_ref(cm["to"], p + ("to",), accounts)
                if "eligible" in cm:
                    self.problem(p + ("eligible",), "scheme.class_to_with_eligible")
            else:
                weight = self._weight(cm["weight"], p + ("weight",))
                eligible = self.filter(cm.get("eligible"), p + ("eligible",))
            if cid and clabel and pct is not None and (to or weight):
                classes.append(ShareClass(cid, clabel, pct, weight, eligible, to, self._purpose(cm, p)))
        if len(classes) == len(raw_classes):
            total = sum((c.percent for c in classes), Fraction(0))
            if total != 1:
                self.problem(path + ("classes",), "scheme.classes_not_100",
                             found=str(total * 100 if (total * 100).denominator != 1 else (total * 100).numerator))
                return None
        if take and shortfall and len(classes) == len(raw_classes):
            return ShareClasses(sid, label, path_line(self.doc, path), take=take, classes=tuple(classes), shortfall=shortfall)
        return None

    def _step_post_subsidy(self, raw, path, sid, label, accounts, earlier):  # type: ignore[no-untyped-def]
        m = self._common(raw, path, ("grades", "eligible", "posts") + SHORTFALL_KEYS, ("grades",))
        if m is None:
            return None
        grades: dict[str, int] = {}
        raw_grades = m.get("grades")
        if not isinstance(raw_grades, dict) or not raw_grades:
            self.problem(path + ("grades",), "scheme.need_grades", found=_show(raw_grades))
        else:
            for grade, amount in raw_grades.items():
                fen = self.yuan(amount, path + ("grades", grade))
                if fen is not None:
                    grades[str(grade).strip()] = fen
        eligible = self.filter(m.get("eligible"), path + ("eligible",))
        posts = parse_filter(self.doc, m["posts"], path + ("posts",), "post") if "posts" in m else None
        shortfall = self._shortfall(m, path)
        if grades and len(grades) == len(raw_grades or {}) and shortfall:
            return PostSubsidy(sid, label, path_line(self.doc, path), grades=grades, eligible=eligible, posts=posts, shortfall=shortfall)
        return None

    def _step_minimum_guarantee(self, raw, path, sid, label, accounts, earlier):  # type: ignore[no-untyped-def]
        m = self._common(raw, path, ("floor", "eligible", "counts", "funded_by") + SHORTFALL_KEYS, ("floor", "funded_by"))
        if m is None:
            return None
        floor = self._rate_mapping(m["floor"], path + ("floor",)) if "floor" in m else None
        eligible = self.filter(m.get("eligible"), path + ("eligible",))
        counts = self._counts(m.get("counts"), path + ("counts",), earlier)
        raw_sources = m.get("funded_by")
        sources: list[str] = []
        items = raw_sources if isinstance(raw_sources, list) else [raw_sources]
        paid = self._paid_accounts(earlier)
        for i, item in enumerate(items):
            p = path + (("funded_by", i) if isinstance(raw_sources, list) else ("funded_by",))
            ref = self._account_ref(item, p, accounts, allow_remaining=True)
            if ref and ref != REMAINING and ref not in paid:
                self.problem(p, "scheme.source_never_paid", name=ref)
                continue
            if ref:
                sources.append(ref)
        shortfall = self._shortfall(m, path)
        if floor and shortfall and sources and len(sources) == len(items) and ("counts" not in m or counts is not None):
            return MinimumGuarantee(sid, label, path_line(self.doc, path), floor=floor, eligible=eligible, counts=counts,
                                    funded_by=tuple(sources), shortfall=shortfall)
        return None

    def _step_cap(self, raw, path, sid, label, accounts, earlier):  # type: ignore[no-untyped-def]
        m = self._common(raw, path, ("limit", "eligible", "counts", "excess_to", "over"), ("limit", "excess_to"))
        if m is None:
            return None
        limit = self._rate_mapping(m["limit"], path + ("limit",)) if "limit" in m else None
        eligible = self.filter(m.get("eligible"), path + ("eligible",))
        counts = self._counts(m.get("counts"), path + ("counts",), earlier)
        excess = self._account_ref(m.get("excess_to"), path + ("excess_to",), accounts, allow_remaining=True)
        over = self.choice(m.get("over", "run"), path + ("over",), ("run", "period"))
        if limit and excess and over and ("counts" not in m or counts is not None):
            return Cap(sid, label, path_line(self.doc, path), limit=limit, eligible=eligible, counts=counts, excess_to=excess,
                       over=over)  # type: ignore[arg-type]
        return None

    def _step_remainder(self, raw, path, sid, label, accounts, earlier):  # type: ignore[no-untyped-def]
        m = self._common(raw, path, ("to",), ("to",))
        if m is None:
            return None
        to = self._account_ref(m.get("to"), path + ("to",), accounts)
        return Remainder(sid, label, path_line(self.doc, path), to=to) if to else None


def _lcm_of(values: dict[str, Fraction] | None) -> int:
    from math import lcm
    out = 1
    for v in (values or {}).values():
        out = lcm(out, v.denominator)
    return out


def path_line(doc: Document, path: Path) -> int | None:
    return doc.line_of(path)
