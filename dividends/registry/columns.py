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

import re
import unicodedata
from collections.abc import Sequence
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

    def accepted(self) -> tuple[str, ...]:
        return tuple(normalize_header(h) for h in (self.name, self.zh, *self.aliases))


_UNIT_SUFFIX = re.compile(r"\s*\([^()]*\)\s*$")
_SEPARATORS = re.compile(r"[\s\-]+")


def normalize_header(text: str) -> str:
    s = unicodedata.normalize("NFKC", text).replace("\ufeff", "").strip()
    s = _UNIT_SUFFIX.sub("", s).strip()
    return _SEPARATORS.sub("_", s.lower())


def match_headers(
    headers: Sequence[str], columns: Sequence[ColumnSpec]
) -> tuple[dict[str, int], list[tuple[ColumnSpec, int, int]]]:
    """Map canonical column names to header positions.

    Returns the mapping (first position wins) and the clashes: ``(column, first, second)`` for
    every further header that maps to a column already taken. Unknown headers are ignored.
    """
    lookup: dict[str, ColumnSpec] = {}
    for column in columns:
        for accepted in column.accepted():
            lookup.setdefault(accepted, column)
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


HOUSEHOLD_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("household_id", "户编号", True, ("户号", "户编码"), code_like=True),
    ColumnSpec("village_id", "村编码", True, ("村编号", "村代码"), code_like=True),
    ColumnSpec("head_name", "户主姓名", True, ("户主",)),
    ColumnSpec(
        "id_number",
        "身份证号",
        True,
        ("身份证号码", "公民身份号码", "户主身份证号"),
        code_like=True,
        text_only=True,
    ),
    ColumnSpec("phone", "手机号", False, ("手机号码", "联系电话", "mobile"), code_like=True),
    ColumnSpec("members", "人口数", True, ("家庭人口数", "家庭人口"), code_like=True),
    ColumnSpec("able_members", "有劳动能力人数", True, ("劳动力人数",), code_like=True),
    ColumnSpec("status", "类别", True, ("户类别", "户类型"), code_like=True),
    ColumnSpec("shares", "股数", False, ("持股数",), code_like=True),
    ColumnSpec("capital_yuan", "入股金额", False, ("capital",), code_like=True),
    ColumnSpec(
        "account_no",
        "银行账号",
        False,
        ("账号", "银行卡号", "account"),
        code_like=True,
        text_only=True,
    ),
    ColumnSpec("bank", "开户行", False, ("开户银行",)),
    ColumnSpec("language", "语言", False, ("lang",), code_like=True),
)

POST_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("household_id", "户编号", True, ("户号", "户编码"), code_like=True),
    ColumnSpec("person_name", "姓名", True, ("name",)),
    ColumnSpec("post_type", "岗位类型", True, ("岗位", "岗位名称")),
    ColumnSpec("grade", "等级", True, ("岗位等级",)),
    ColumnSpec("months_served", "服务月数", True, ("months",), code_like=True),
)

MEMBER_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("household_id", "户编号", True, ("户号", "户编码"), code_like=True),
    ColumnSpec("name", "姓名", True, ("person_name",)),
    ColumnSpec("birth_date", "出生日期", True, ("出生年月日",), code_like=True),
    ColumnSpec("able_to_work", "有劳动能力", True, ("劳动能力",), code_like=True),
    ColumnSpec("student", "在校学生", False, ("在校生", "是否在校学生"), code_like=True),
)

RETURN_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("village_id", "村编码", True, ("村编号", "村代码"), code_like=True),
    ColumnSpec("amount_yuan", "金额", True, ("收益金额", "分配金额", "amount"), code_like=True),
)
