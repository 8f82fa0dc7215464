"""Realistic notice data shared by the SMS tests (imported by name: pytest puts this directory
on ``sys.path``)."""

from __future__ import annotations

from datetime import date
from typing import Any

PHONE = "+8613800138000"
ACCOUNT = "6222021234567891234"

ZH_HOUSEHOLD = dict(
    village="青山村",
    household="张三明",
    year=2026,
    project="光伏收益",
    amount_fen=123450,
    breakdown=[("岗位补贴", 96000), ("直接收益", 27450)],
)
EN_HOUSEHOLD = dict(
    village="Qingshan Village",
    household="Li Ming",
    year=2026,
    project="PV income",
    amount_fen=123450,
    breakdown=[("post subsidy", 96000), ("direct income", 27450)],
)
ZH_PAYMENT = dict(paid_on=date(2026, 12, 28), channel="惠农一卡通", account=ACCOUNT)
EN_PAYMENT = dict(paid_on=date(2026, 12, 28), channel="Huinong card", account=ACCOUNT)
DEADLINE = date(2026, 12, 20)


def without_breakdown(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != "breakdown"}


#: (kind, case name) -> {lang: context}: the typical texts, checked against golden files.
TYPICAL: dict[tuple[str, str], dict[str, dict[str, Any]]] = {
    ("publicity", "typical"): {
        "zh": {**ZH_HOUSEHOLD, "deadline": DEADLINE},
        "en": {**EN_HOUSEHOLD, "deadline": DEADLINE},
    },
    ("payment_confirmation", "typical"): {
        "zh": {**ZH_HOUSEHOLD, **ZH_PAYMENT},
        "en": {**EN_HOUSEHOLD, **EN_PAYMENT},
    },
    ("payment_failed", "typical"): {
        "zh": {
            **without_breakdown(ZH_HOUSEHOLD),
            "channel": "惠农一卡通",
            "account": ACCOUNT,
            "reason": "账户已销户",
        },
        "en": {
            **without_breakdown(EN_HOUSEHOLD),
            "channel": "Huinong card",
            "account": ACCOUNT,
            "reason": "account closed",
        },
    },
    ("statement", "publicity"): {
        "zh": {**ZH_HOUSEHOLD, "status": "publicity", "deadline": DEADLINE},
        "en": {**EN_HOUSEHOLD, "status": "publicity", "deadline": DEADLINE},
    },
    ("statement", "approved"): {
        "zh": {**ZH_HOUSEHOLD, "status": "approved"},
        "en": {**EN_HOUSEHOLD, "status": "approved"},
    },
    ("statement", "paid"): {
        "zh": {**ZH_HOUSEHOLD, "status": "paid", **ZH_PAYMENT},
        "en": {**EN_HOUSEHOLD, "status": "paid", **EN_PAYMENT},
    },
    ("statement", "failed"): {
        "zh": {**ZH_HOUSEHOLD, "status": "failed"},
        "en": {**EN_HOUSEHOLD, "status": "failed"},
    },
    ("period_statement", "two_assets"): {  # a PV run and a tourism cooperative run of the same year
        "zh": {**ZH_HOUSEHOLD, "project": "各项收益", "amount_fen": 223450,
               "breakdown": [("光伏收益", 123450), ("乡村旅游", 100000)]},
        "en": {**EN_HOUSEHOLD, "project": "all returns", "amount_fen": 223450,
               "breakdown": [("PV income", 123450), ("tourism", 100000)]},
    },
    ("help", "typical"): {"zh": {"village": "青山村"}, "en": {"village": "Qingshan Village"}},
    ("objection_received", "typical"): {
        "zh": {"village": "青山村"},
        "en": {"village": "Qingshan Village"},
    },
}

#: A heavier household: long village and project names, a five-digit amount, three items.
ZH_HEAVY = dict(
    village="小王庄村",
    household="欧阳晓明",
    year=2026,
    project="乡村旅游合作社收益",
    amount_fen=1234567,
    breakdown=[("股份分红", 1000000), ("保底收益", 200000), ("岗位补贴", 34567)],
)
EN_HEAVY = dict(
    village="Xiaowangzhuang Village",
    household="Ouyang Xiaoming",
    year=2026,
    project="tourism cooperative income",
    amount_fen=1234567,
    breakdown=[("share dividend", 1000000), ("guaranteed income", 200000), ("post subsidy", 34567)],
)
