"""Blank registry templates a village can fill in: one workbook, or one CSV file per kind.

The workbook has a 填表说明 (instructions) sheet first, then 户信息 (households), 家庭成员
(members) and 公益岗位 (posts), with the Chinese headers the reader knows. ID number, account,
phone and code columns are formatted as text, so Excel keeps every digit of an ID number. The
same workbook can be given as the households, the members and the posts file: the reader skips
the instructions and reads the sheet that holds each file's header.

:func:`template_file` is what the command line writes and what the import page will serve.
"""
from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass
from typing import Literal

from dividends.registry import messages as _messages  # noqa: F401  (registers the catalog)
from dividends.registry.columns import HOUSEHOLD_COLUMNS, MEMBER_COLUMNS, POST_COLUMNS, ColumnSpec
from dividends.registry.vocabulary import Vocabulary
from schemes.i18n import Msg, register

TemplateKind = Literal["households", "members", "posts"]
KINDS: tuple[TemplateKind, ...] = ("households", "members", "posts")
SPECS: dict[TemplateKind, tuple[ColumnSpec, ...]] = {
    "households": HOUSEHOLD_COLUMNS,
    "members": MEMBER_COLUMNS,
    "posts": POST_COLUMNS,
}
TEXT_COLUMNS = {"household_id", "village_id", "id_number", "phone", "account_no"}
_FIXED_TIME = datetime.datetime(2024, 1, 1)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

register(
    {
        "template.sheet.instructions": {"zh": "填表说明", "en": "Instructions"},
        "template.written": {"zh": "已写出模板 {file}", "en": "template written: {file}"},
        "template.bad_format": {
            "zh": "模板格式应为 xlsx 或 csv，实际为“{found}”",
            "en": "the template format must be xlsx or csv, found '{found}'",
        },
        "template.sheet.households": {"zh": "户信息", "en": "Households"},
        "template.sheet.members": {"zh": "家庭成员", "en": "Members"},
        "template.sheet.posts": {"zh": "公益岗位", "en": "Posts"},
        "template.col.sheet": {"zh": "工作表", "en": "sheet"},
        "template.col.header": {"zh": "表头", "en": "header"},
        "template.col.required": {"zh": "必填", "en": "required"},
        "template.col.what": {"zh": "填写内容", "en": "what to write"},
        "template.col.also": {"zh": "也认可的表头", "en": "other accepted headers"},
        "template.yes": {"zh": "是", "en": "yes"},
        "template.no": {"zh": "否", "en": "no"},
        "template.title": {
            "zh": "村级资产收益分配名册：每户一行；不要合并数据单元格；可以保留标题行、合计行和签字行",
            "en": "Village asset-return registry: one row per household; do not merge data cells; "
            "title, totals and signature rows may stay",
        },
        "template.note.text": {
            "zh": "身份证号、银行账号、手机号和编号列已设为“文本”格式：请直接录入或粘贴为“值”，不要改回数字格式，"
            "否则 Excel 只保留 15 位有效数字",
            "en": "ID number, account, phone and code columns are formatted as text: type or paste "
            "values, and do not change them back to numbers, or Excel keeps only 15 digits",
        },
        "template.note.statuses": {
            "zh": "类别可填：{words}",
            "en": "The status column accepts: {words}",
        },
        "template.what.household_id": {"zh": "本村唯一的户编号，如 V001-0001", "en": "the household's id, unique in the village"},
        "template.what.village_id": {"zh": "村编码", "en": "the village's code"},
        "template.what.head_name": {"zh": "户主姓名", "en": "the head of household's name"},
        "template.what.id_number": {"zh": "户主 18 位身份证号", "en": "the head's 18-character ID number"},
        "template.what.phone": {"zh": "接收短信的手机号（可空）", "en": "mobile number for SMS notices (may be empty)"},
        "template.what.members": {"zh": "家庭人口数（整数）", "en": "number of members (whole number)"},
        "template.what.able_members": {"zh": "有劳动能力的人数（整数）", "en": "members able to work (whole number)"},
        "template.what.status": {"zh": "贫困户、脱贫户、监测户或一般户", "en": "poor, exited, monitored or non_poor"},
        "template.what.shares": {"zh": "持有股数（整数，按股分红时必填）", "en": "shares held (needed by share dividends)"},
        "template.what.capital_yuan": {"zh": "入股金额，元，最多两位小数", "en": "capital paid in, yuan, up to 2 decimals"},
        "template.what.account_no": {"zh": "银行卡号或一卡通账号", "en": "bank or one-card account number"},
        "template.what.bank": {"zh": "开户行", "en": "the account's bank"},
        "template.what.language": {"zh": "短信语言：中文或英文（可空，默认中文）", "en": "SMS language: zh or en (default zh)"},
        "template.what.name": {"zh": "成员姓名", "en": "the member's name"},
        "template.what.birth_date": {"zh": "出生日期，如 1980-03-01", "en": "birth date, such as 1980-03-01"},
        "template.what.able_to_work": {"zh": "是否有劳动能力：是/否", "en": "able to work: yes/no"},
        "template.what.student": {"zh": "是否在校学生：是/否（可空）", "en": "a student: yes/no (may be empty)"},
        "template.what.person_name": {"zh": "上岗人员姓名", "en": "the person holding the post"},
        "template.what.post_type": {"zh": "岗位类型，如 保洁员", "en": "post type, such as cleaner"},
        "template.what.grade": {"zh": "补贴等级，与方案一致", "en": "subsidy grade, as in the scheme"},
        "template.what.months_served": {"zh": "本年上岗月数（0–12）", "en": "months served this year (0-12)"},
    }
)


@dataclass(frozen=True)
class TemplateFile:
    """A file to hand to a user: its name, content type and bytes."""

    name: str
    content_type: str
    data: bytes


def _sheet_name(kind: str, lang: str) -> str:
    return Msg(f"template.sheet.{kind}").text(lang)


def template_workbook(lang: str = "zh") -> bytes:
    """The XLSX template: instructions first, then one sheet per kind."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    book.set_properties({"created": _FIXED_TIME})  # the same bytes every time
    bold = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    required = book.add_format({"bold": True, "bg_color": "#FCE4D6", "border": 1})
    text = book.add_format({"num_format": "@"})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})

    notes = book.add_worksheet(_sheet_name("instructions", lang))
    notes.write(0, 0, Msg("template.title").text(lang), book.add_format({"bold": True}))
    notes.write(1, 0, Msg("template.note.text").text(lang))
    words = Vocabulary.shipped().listing()
    status_words = "; ".join(f"{s}: {', '.join(w)}" for s, w in words.items())
    notes.write(2, 0, Msg("template.note.statuses", words=status_words).text(lang))
    heads = ("sheet", "header", "required", "what", "also")
    for i, key in enumerate(heads):
        notes.write(4, i, Msg(f"template.col.{key}").text(lang), bold)
    row = 5
    for kind in KINDS:
        for column in SPECS[kind]:
            notes.write_row(row, 0, [
                _sheet_name(kind, lang),
                column.zh,
                Msg("template.yes" if column.required else "template.no").text(lang),
                Msg(f"template.what.{column.name}").text(lang),
                "、".join(column.aliases[:8]),
            ])
            row += 1
    notes.set_column(0, 0, 14)
    notes.set_column(1, 2, 16)
    notes.set_column(3, 4, 48, wrap)

    for kind in KINDS:
        sheet = book.add_worksheet(_sheet_name(kind, lang))
        for i, column in enumerate(SPECS[kind]):
            sheet.write_string(0, i, column.zh, required if column.required else bold)
            width = 22 if column.name in ("id_number", "account_no") else 14
            sheet.set_column(i, i, width, text if column.name in TEXT_COLUMNS else None)
        sheet.freeze_panes(1, 0)
    book.close()
    return buffer.getvalue()


def template_csv(kind: TemplateKind) -> bytes:
    """A CSV template of one kind: the header row, UTF-8 with a BOM (Excel opens it right)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([c.zh for c in SPECS[kind]])
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


def template_file(kind: TemplateKind | Literal["workbook"] = "workbook", lang: str = "zh") -> TemplateFile:
    """The workbook (``kind="workbook"``) or one kind's CSV, named for the user."""
    if kind == "workbook":
        name = "名册模板.xlsx" if lang == "zh" else "registry-template.xlsx"
        return TemplateFile(name, XLSX, template_workbook(lang))
    return TemplateFile(f"{kind}-template.csv", "text/csv; charset=utf-8", template_csv(kind))
