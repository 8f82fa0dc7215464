"""The result notice (结果公开): what became of a paid run, the second of the "two disclosures".

One printable, self-contained HTML page (inline CSS, no script or outside resource): every
household the run owed, its amount and its fate — paid, failed (the bank refused; re-issued or
owed) or unpaid — with the same masking as the public notice (``张*明``, ``110105********002X``),
and the totals per fate. Deterministic: the same rows and date give the same bytes, so the
recorded page is stored once by hash.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from html import escape

from dividends.files.masking import mask_id_number, mask_person_name
from schemes.money import format_yuan

FATES = ("paid", "failed", "unpaid")
_WORDS = {
    "zh": {"title": "{village}村 {period} 年度收益分配结果公开", "paid": "已发放", "failed": "发放失败", "unpaid": "未发放",
           "household": "户编号", "head": "户主", "id": "身份证号", "members": "人口", "amount": "应发金额（元）",
           "fate": "发放结果", "total": "合计", "run": "分配批次 {run}，方案内容哈希 {hash}", "posted": "公开日期：{day}",
           "lede": "本次分配已经村民（代表）会议决议并公示，现将发放结果公布如下。对结果有疑问的，请联系村委会。",
           "count": "{n} 户，{amount} 元", "colon": "："},
    "en": {"title": "{village}: result of the {period} distribution", "paid": "paid", "failed": "failed",
           "unpaid": "unpaid", "household": "household", "head": "head", "id": "ID number", "members": "members",
           "amount": "amount (yuan)", "fate": "result", "total": "total",
           "run": "run {run}, content hash {hash}", "posted": "published on {day}",
           "lede": "This distribution was resolved by the villagers' (representatives') meeting and publicized; this is "
                   "what was paid. Questions go to the village committee.", "count": "{n} households, {amount} yuan",
           "colon": ": "},
}


@dataclass(frozen=True)
class ResultRow:
    household_id: str
    head_name: str
    id_number: str
    members: int
    amount_fen: int
    fate: str


def render_result_notice(village: str, period: int, run_id: int, content_hash: str, rows: list[ResultRow],
                         posted_on: date, lang: str = "zh") -> str:
    w = _WORDS["en" if lang == "en" else "zh"]
    body = []
    for r in sorted(rows, key=lambda r: r.household_id):
        if r.fate not in FATES:
            raise ValueError(f"unknown fate {r.fate!r}")
        body.append(f"<tr><td>{escape(r.household_id)}</td><td>{escape(mask_person_name(r.head_name))}</td>"
                    f"<td>{escape(mask_id_number(r.id_number)) if r.id_number else ''}</td><td class=n>{r.members}</td>"
                    f"<td class=n>{format_yuan(r.amount_fen)}</td><td class='f {r.fate}'>{w[r.fate]}</td></tr>")
    totals = []
    for fate in FATES:
        chosen = [r for r in rows if r.fate == fate]
        totals.append(f"<li>{w[fate]}{w['colon']}{w['count'].format(n=len(chosen), amount=format_yuan(sum(r.amount_fen for r in chosen)))}</li>")
    title = w["title"].format(village=escape(village), period=period)
    return (
        f"<!doctype html><html lang={'en' if lang == 'en' else 'zh-CN'}><head><meta charset=utf-8><title>{title}</title>"
        "<style>@page{size:A4;margin:15mm}body{font-family:sans-serif;font-size:12pt}table{border-collapse:collapse;"
        "width:100%}th,td{border:1px solid #333;padding:2px 6px}thead{display:table-header-group}tr{break-inside:avoid}"
        ".n{text-align:right}.failed,.unpaid{font-weight:bold}</style></head><body>"
        f"<h1>{title}</h1><p>{w['lede']}</p><ul class=totals>{''.join(totals)}</ul>"
        f"<table><thead><tr><th>{w['household']}</th><th>{w['head']}</th><th>{w['id']}</th><th>{w['members']}</th>"
        f"<th>{w['amount']}</th><th>{w['fate']}</th></tr></thead><tbody>{''.join(body)}</tbody>"
        f"<tfoot><tr><td colspan=4>{w['total']}</td><td class=n>{format_yuan(sum(r.amount_fen for r in rows))}</td>"
        f"<td></td></tr></tfoot></table>"
        f"<p>{w['run'].format(run=run_id, hash=escape(content_hash[:16]))}</p><p>{w['posted'].format(day=posted_on.isoformat())}</p>"
        "</body></html>")
