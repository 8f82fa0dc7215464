"""The columns of the four input files, their English and Chinese headers, and header matching.

A header matches a column when, after normalising both, it equals the column's canonical name,
its Chinese header or one of its aliases. Normalising: Unicode NFKC (full-width letters and
brackets become ASCII), a BOM and surrounding spaces dropped, a trailing unit in brackets dropped
(``入股金额（元）`` -> ``入股金额``), lower case, and spaces or hyphens turned into ``_``
(``Household ID`` -> ``household_id``).

>>> normalize_header(" 入股金额（元） ")
'入股金额'
>>> normalize_header("\\ufeffHousehold ID")
'household_id'
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class ColumnSpec:
    """One column of an input file.

    In ``code_like`` columns (ids, numbers, dates, codes) full-width digits, letters and signs
    typed with a Chinese input method are read as ASCII; names are left as written.
    ``text_only`` columns (long digit strings) lose digits when a workbook stores them as numbers:
    the reader notes which cells were numbers.
    """

    name: str
    zh: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    code_like: bool = False
    text_only: bool = False
    summable: bool = False  # a totals row (合计/小计) holds the sum of this column
    identity: bool = False  # an id or a name: no invisible characters, no formula-leading text

    def accepted(self) -> tuple[str, ...]:
        return tuple(normalize_header(h) for h in (self.name, self.zh, *self.aliases))


_UNIT_SUFFIX = re.compile(r"\s*\([^()]*\)\s*$")
_SEPARATORS = re.compile(r"[\s\-]+")
_MARKS = re.compile(r"^[*※★\s]+|[*※★:：\s]+$")
_CJK = re.compile(r"[\u3400-\u9fff]")


def normalize_header(text: str) -> str:
    """NFKC, no BOM, no unit in brackets, no required-marks (``*``) or colon at the ends, lower
    case, spaces and hyphens as ``_``; in a Chinese header, spaces and line breaks are dropped
    (``家庭\\n人口数`` -> ``家庭人口数``)."""
    s = unicodedata.normalize("NFKC", text).replace("\ufeff", "").strip()
    s = _MARKS.sub("", s)
    s = _UNIT_SUFFIX.sub("", s).strip()
    s = _MARKS.sub("", s)
    if _CJK.search(s):
        return re.sub(r"[\s_\-]+", "", s.lower())
    return _SEPARATORS.sub("_", s.lower())


def match_headers(
    headers: Sequence[str],
    columns: Sequence[ColumnSpec],
    mapping: Mapping[str, str] | None = None,
) -> tuple[dict[str, int], list[tuple[ColumnSpec, int, int]]]:
    """Map canonical column names to header positions.

    ``mapping`` (normalised header -> canonical name, see :mod:`dividends.registry.mapping`)
    is consulted before the built-in names. Returns the mapping (first position wins) and the
    clashes: ``(column, first, second)`` for every further header that maps to a column already
    taken. Unknown headers are ignored here (see :func:`unknown_headers`).
    """
    lookup = _lookup(columns, mapping)
    found: dict[str, int] = {}
    clashes: list[tuple[ColumnSpec, int, int]] = []
    for position, header in enumerate(headers):
        match = lookup.get(normalize_header(header or ""))
        if match is None:
            continue
        if match.name in found:
            clashes.append((match, found[match.name], position))
        else:
            found[match.name] = position
    return found, clashes


def _lookup(columns: Sequence[ColumnSpec], mapping: Mapping[str, str] | None) -> dict[str, ColumnSpec]:
    by_name = {c.name: c for c in columns}
    lookup: dict[str, ColumnSpec] = {}
    for header, name in (mapping or {}).items():
        if name in by_name:
            lookup[normalize_header(header)] = by_name[name]
    for column in columns:
        for accepted in column.accepted():
            lookup.setdefault(accepted, column)
    return lookup


IGNORED_HEADERS = frozenset(
    normalize_header(h)
    for h in ("序号", "编号序号", "行号", "备注", "说明", "签字", "签名", "户主签字", "户主签名",
              "领取人签字", "签字确认", "no", "no.", "#", "remarks", "notes")
)
"""Headers of columns no scheme uses (row numbers, remarks, signatures): read past silently."""


@dataclass(frozen=True)
class UnknownHeader:
    """A header the reader did not recognise, with the columns it may have meant."""

    header: str
    position: int
    suggestions: tuple[str, ...] = ()

    def describe(self, columns: Sequence[ColumnSpec]) -> str:
        """``股份数（shares?）`` style: the header, then the closest columns, for messages."""
        zh = {c.name: c.zh for c in columns}
        if not self.suggestions:
            return self.header
        guesses = "/".join(f"{zh.get(s, s)} {s}" for s in self.suggestions)
        return f"{self.header} (→ {guesses}?)"


def header_of(described: str) -> str:
    """The header as written, from :meth:`UnknownHeader.describe`'s text.

    >>> header_of("股份数目 (→ 股数 shares?)"), header_of("备用列")
    ('股份数目', '备用列')
    """
    return described.split(" (→ ", 1)[0]


def unknown_headers(
    headers: Sequence[str],
    columns: Sequence[ColumnSpec],
    mapping: Mapping[str, str] | None = None,
) -> tuple[UnknownHeader, ...]:
    """The non-empty headers that map to no column (and are not in :data:`IGNORED_HEADERS`),
    each with up to three columns whose names are close (``股份数`` -> ``shares``)."""
    lookup = _lookup(columns, mapping)
    names = list(lookup)
    found: list[UnknownHeader] = []
    for position, header in enumerate(headers):
        key = normalize_header(header or "")
        if not key or key in lookup or key in IGNORED_HEADERS:
            continue
        close = difflib.get_close_matches(key, names, n=6, cutoff=0.6)
        close += [n for n in names if len(n) >= 2 and len(key) >= 2 and (n in key or key in n)]
        suggestions = tuple(dict.fromkeys(lookup[n].name for n in close))[:3]
        found.append(UnknownHeader(header.strip(), position, suggestions))
    return tuple(found)


_HOUSEHOLD_ID = ColumnSpec(
    "household_id",
    "户编号",
    True,
    ("户号", "户编码", "户代码", "家庭编号", "家庭户号", "农户编号", "户主编号", "household",
     "hh_id"),
    code_like=True,
    identity=True,
)
_VILLAGE_ID = ColumnSpec(
    "village_id",
    "村编码",
    True,
    ("村编号", "村代码", "行政村编码", "行政村代码", "行政村编号", "所在村", "所属村", "village"),
    code_like=True,
    identity=True,
)

#: registry field -> (zh, en): how pages, notices and exports name a stored household field
FIELD_LABELS: dict[str, tuple[str, str]] = {
    "household_id": ("户编号", "household id"), "village_id": ("村编码", "village code"),
    "head_name": ("户主姓名", "head of household"), "id_number": ("身份证号", "ID number"), "phone": ("手机号", "phone"),
    "members": ("人口数", "members"), "able_members": ("劳动力人数", "members able to work"), "status": ("类别", "status"),
    "shares": ("股数", "shares"), "capital_yuan": ("入股金额（元）", "capital (yuan)"), "account_no": ("银行账号", "account number"),
    "bank": ("开户行", "bank"), "language": ("短信语言", "SMS language"),
}

HOUSEHOLD_COLUMNS: tuple[ColumnSpec, ...] = (
    _HOUSEHOLD_ID,
    _VILLAGE_ID,
    ColumnSpec(
        "head_name", "户主姓名", True, ("户主", "户主名字", "户主名称", "姓名", "head"),
        identity=True,
    ),
    ColumnSpec(
        "id_number",
        "身份证号",
        True,
        ("身份证号码", "公民身份号码", "公民身份证号码", "居民身份证号码", "户主身份证号",
         "户主身份证号码", "身份证", "证件号码", "户主证件号码", "id", "id_no"),
        code_like=True,
        text_only=True,
    ),
    ColumnSpec(
        "phone",
        "手机号",
        False,
        ("手机号码", "手机", "联系电话", "电话", "电话号码", "联系方式", "户主电话", "户主手机号",
         "户主联系电话", "mobile", "tel", "telephone"),
        code_like=True,
    ),
    ColumnSpec(
        "members",
        "人口数",
        True,
        ("家庭人口数", "家庭人口", "人口", "家庭成员数", "户人口数", "在册人口", "总人口", "人数"),
        code_like=True,
        summable=True,
    ),
    ColumnSpec(
        "able_members",
        "有劳动能力人数",
        True,
        ("劳动力人数", "劳动力", "劳动力数", "有劳动力人数", "劳动能力人数"),
        code_like=True,
        summable=True,
    ),
    ColumnSpec(
        "status",
        "类别",
        True,
        ("户类别", "户类型", "户属性", "户别", "农户类型", "农户类别", "贫困户属性", "人员类别",
         "帮扶类别", "身份类别", "贫困状态", "脱贫状态", "状态", "户状态"),
        code_like=True,
    ),
    ColumnSpec(
        "shares",
        "股数",
        False,
        ("持股数", "股份数", "股份", "持股", "股权数", "入股股数", "分红股数", "股份数量"),
        code_like=True,
        summable=True,
    ),
    ColumnSpec(
        "capital_yuan",
        "入股金额",
        False,
        ("入股资金", "出资额", "出资金额", "股金", "入股金", "投资金额", "capital",
         "capital_amount"),
        code_like=True,
        summable=True,
    ),
    ColumnSpec(
        "account_no",
        "银行账号",
        False,
        ("账号", "银行卡号", "卡号", "一卡通账号", "一卡通", "惠农一卡通", "社保卡号", "存折账号",
         "收款账号", "银行账户", "账户", "account", "account_number"),
        code_like=True,
        text_only=True,
    ),
    ColumnSpec("bank", "开户行", False, ("开户银行", "银行", "开户行名称", "银行名称", "发卡行")),
    ColumnSpec("language", "语言", False, ("lang",), code_like=True),
)

POST_COLUMNS: tuple[ColumnSpec, ...] = (
    _HOUSEHOLD_ID,
    ColumnSpec(
        "person_name", "姓名", True, ("上岗人员", "上岗人姓名", "人员姓名", "岗位人员", "name"),
        identity=True,
    ),
    ColumnSpec(
        "post_type", "岗位类型", True, ("岗位", "岗位名称", "岗位类别", "公益岗位", "公益岗位类型")
    ),
    ColumnSpec("grade", "等级", True, ("岗位等级", "补贴等级", "档次", "补贴档次", "级别")),
    ColumnSpec(
        "months_served",
        "服务月数",
        True,
        ("上岗月数", "在岗月数", "工作月数", "出勤月数", "服务月份数", "月数", "months"),
        code_like=True,
    ),
)

MEMBER_COLUMNS: tuple[ColumnSpec, ...] = (
    _HOUSEHOLD_ID,
    ColumnSpec(
        "name", "姓名", True, ("成员姓名", "家庭成员姓名", "person_name"), identity=True
    ),
    ColumnSpec(
        "birth_date",
        "出生日期",
        True,
        ("出生年月日", "出生年月", "生日", "birth", "date_of_birth"),
        code_like=True,
    ),
    ColumnSpec(
        "able_to_work",
        "有劳动能力",
        True,
        ("劳动能力", "是否有劳动能力", "有无劳动能力"),
        code_like=True,
    ),
    ColumnSpec(
        "student",
        "在校学生",
        False,
        ("在校生", "是否在校学生", "是否在校生", "在校", "学生"),
        code_like=True,
    ),
)

RETURN_COLUMNS: tuple[ColumnSpec, ...] = (
    _VILLAGE_ID,
    ColumnSpec(
        "amount_yuan",
        "金额",
        True,
        ("收益金额", "分配金额", "收益", "年收益", "可分配收益", "可分配金额", "amount"),
        code_like=True,
        summable=True,
    ),
)
