"""The deduction variants of the SMS templates (issue 10, item 3: a debt deducted from a payout is
shown in the household's SMS): every template carrying a payout breakdown has a ``_deduction``
variant (amount before the deduction, deducted, paid) and a ``_deduction_owed`` one (also what is
still owed), in both languages, with one-way twins, split variants for Tencent Cloud's short
variables, registered with both providers; the texts fit their segments."""
from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sms_examples import ACCOUNT, DEADLINE, EN_HOUSEHOLD, EN_PAYMENT, ZH_HOUSEHOLD, ZH_PAYMENT

from notify.catalog import (BREAKDOWN_TEMPLATES, CATALOG, DEDUCTION, OWED, SPLIT, Channel, deduction_variant,
                            TemplateError, load_provider_templates, tencent_text)
from notify.senders import OutgoingSms
from notify.settings import make_sender
from notify.texts import render, render_example
from schemes.i18n import LANGS
from support.fake_provider import FAKE_SIGNATURE, TEMPLATES_FILE, FakeProviderServer, provider_settings

VARIANTS = [base + DEDUCTION + owed for base in BREAKDOWN_TEMPLATES for owed in ("", OWED)]
OFFICE = "0539-8123456"


def test_every_template_with_a_breakdown_has_both_deduction_variants_in_both_languages() -> None:
    with_breakdown = {t.id for t in CATALOG.templates.values()
                      if "${breakdown}" in t.text["zh"] and not t.id.endswith(SPLIT) and DEDUCTION not in t.id}
    assert with_breakdown == set(BREAKDOWN_TEMPLATES)
    for base in BREAKDOWN_TEMPLATES:
        plain = CATALOG.template(base)
        for owed in ("", OWED):
            variant = CATALOG.template(base + DEDUCTION + owed)
            assert (variant.kind, variant.reply) == (plain.kind, plain.reply), variant.id
            assert variant.oneway == (plain.oneway + DEDUCTION + owed if plain.oneway else None), variant.id
            for lang in LANGS:
                names = set(variant.variables(lang))
                assert {"gross", "deducted", "amount", "breakdown"} <= names, (variant.id, lang)
                assert ("owed" in names) == bool(owed), (variant.id, lang)
                assert set(plain.variables(lang)) <= names, (variant.id, lang)  # says all the plain text says
            split = CATALOG.template(variant.id + SPLIT)
            for lang in LANGS:
                assert "${gross_yuan}.${gross_fen}" in split.text[lang] and "${deducted_yuan}" in split.text[lang]
                assert not {"gross", "deducted", "amount", "owed"} & set(split.variables(lang)), (split.id, lang)


def test_the_variant_follows_the_deduction_and_what_is_still_owed() -> None:
    assert deduction_variant("publicity", 0, 0) == deduction_variant("publicity", 0, 900) == "publicity"
    assert deduction_variant("publicity", 1, 0) == "publicity_deduction"
    assert deduction_variant("period_statement", 1, 1) == "period_statement_deduction_owed"
    assert CATALOG.for_channel("publicity_deduction_owed", two_way=False, split=True).id == \
        "publicity_oneway_deduction_owed_split"


def test_the_shipped_mapping_registers_every_variant_with_both_providers() -> None:
    mapping = load_provider_templates(TEMPLATES_FILE)
    codes: dict[str, set[str]] = {"aliyun": set(), "tencent": set()}
    for variant in VARIANTS:
        for provider in ("aliyun", "tencent"):
            ids = [variant] + ([variant + SPLIT] if Channel.of(provider).splits_amount else [])
            for tid in ids:
                for lang in LANGS:
                    reg = mapping.registration(provider, tid, lang)
                    assert reg.state == "approved", (provider, tid, lang)
                    assert reg.code not in codes[provider], (provider, tid, lang, reg.code)
                    codes[provider].add(reg.code)


def _base(lang: str) -> dict[str, Any]:
    household = ZH_HOUSEHOLD if lang == "zh" else EN_HOUSEHOLD
    # 1,534.50 before the deduction, 300.00 deducted, 1,234.50 paid, 200.00 still owed
    labels = [label for label, _ in household["breakdown"]]  # type: ignore[union-attr]
    return {**household, "office_phone": OFFICE, "amount_fen": 123450, "deducted_fen": 30000, "owed_fen": 20000,
            "breakdown": [(labels[0], 96000), (labels[1], 57450)]}


def records(lang: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(kind, the base template it is told with, record) of every kind carrying a breakdown."""
    base = _base(lang)
    payment = ZH_PAYMENT if lang == "zh" else EN_PAYMENT
    period = {**base, "project": "各项收益" if lang == "zh" else "all returns"}
    return [("publicity", "publicity", {**base, "deadline": DEADLINE}),
            ("payment_confirmation", "payment_confirmation", {**base, **payment}),
            ("statement", "statement_publicity", {**base, "status": "publicity", "deadline": DEADLINE}),
            ("statement", "statement_approved", {**base, "status": "approved"}),
            ("statement", "statement_paid", {**base, "status": "paid", **payment}),
            ("statement", "statement_failed", {**base, "status": "failed"}),
            ("period_statement", "period_statement", period)]


CHANNELS = {"console": Channel(), "aliyun": Channel.of("aliyun", FAKE_SIGNATURE),
            "tencent": Channel.of("tencent", FAKE_SIGNATURE), "twilio": Channel.of("twilio", FAKE_SIGNATURE)}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("provider", sorted(CHANNELS))
@pytest.mark.parametrize("two_way", [True, False])
def test_a_deducted_payout_shows_before_deducted_paid_and_owed(lang: str, provider: str, two_way: bool) -> None:
    if (provider, lang) == ("tencent", "en"):
        pytest.skip("Tencent's 6-character variables hold no English village or project name (plain texts alike)")
    if (provider, two_way) == ("tencent", False):
        pytest.skip("Tencent's 6-character variables hold no office landline (plain one-way texts alike)")
    channel = CHANNELS[provider]
    channel = Channel(channel.provider, channel.signature, two_way, channel.param_max, channel.daily_limit)
    split = channel.splits_amount
    shown = {"gross": "1534.50" if split else "1,534.50", "deducted": "300.00", "amount": "1234.50" if split else "1,234.50",
             "owed": "200.00"}
    for kind, base, record in records(lang):
        if kind == "statement" and not two_way:
            continue  # the answer to a reply: no one-way channel gets one
        for owed in (20000, 0):
            text = render(kind, lang, {**record, "owed_fen": owed}, channel=channel)
            variant = CATALOG.for_channel(base + DEDUCTION + (OWED if owed else ""), two_way=channel.two_way,
                                          split=split)
            assert text.template == variant.id, (kind, base, owed)
            for name, value in shown.items():
                assert (value in text.body) == (name != "owed" or bool(owed)), (text.template, name, text.body)
            # segments: Chinese within three (the product's limit), English within three GSM-7 parts;
            # English under a Chinese signature (UCS-2, or counted 70/67 by a domestic provider) at
            # most two more than the plain text of the same payout
            if lang == "zh" or provider == "console":
                assert text.info.segments <= 3 and not text.over_limit, (text.template, lang, text.info)
            else:
                plain = {**record, "amount_fen": record["amount_fen"] + record["deducted_fen"], "deducted_fen": 0}
                assert text.info.segments <= render(kind, lang, plain, channel=channel).info.segments + 2
            if lang == "en" and provider == "console":
                assert text.info.encoding == "GSM-7", text.body
            if not two_way:
                assert OFFICE in text.body and "回复" not in text.body and "Reply" not in text.body


def test_tencent_variables_stay_within_six_characters_up_to_999999_yuan() -> None:
    lang = "zh"
    channel = Channel.of("tencent", FAKE_SIGNATURE)
    limit = channel.param_max
    assert limit == 6
    for kind, _, record in records(lang):
        big = {**record, "amount_fen": 99_999_999 - 9_999_999, "deducted_fen": 9_999_999, "owed_fen": 99_999_999,
               "breakdown": [(record["breakdown"][0][0], 99_999_999)]}
        text = render(kind, lang, big, channel=channel)
        assert text.template.endswith(SPLIT)
        assert all(len(v) <= limit for v in (text.params or {}).values()), (text.template, text.params)
        assert "999999.99" in text.body and "99999.99" in text.body
        # registered with Tencent as numbered variables, each appearing once in its order
        registered = tencent_text(CATALOG.template(text.template).text[lang])
        assert "${" not in registered and "{1}" in registered


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_variant_renders_with_its_examples_for_every_provider(variant: str) -> None:
    for provider, channel in CHANNELS.items():
        tid = variant + SPLIT if channel.splits_amount else variant
        plain = variant.split(DEDUCTION)[0] + (SPLIT if channel.splits_amount else "")
        for lang in LANGS:
            try:
                before = render_example(plain, lang, channel)
            except TemplateError:  # the plain text's examples do not fit this provider either
                continue
            text = render_example(tid, lang, channel)
            assert text.info.segments <= (3 if lang == "zh" else before.info.segments + 2), (tid, provider, lang)
            assert "${" not in text.body


def test_a_breakdown_must_add_up_to_the_payout_before_the_deduction() -> None:
    record = {**_base("zh"), "deadline": DEADLINE}
    with pytest.raises(ValueError, match="plus 30001 deducted"):
        render("publicity", "zh", {**record, "deducted_fen": 30001})
    with pytest.raises(ValueError):
        render("publicity", "zh", {**record, "deducted_fen": -1})
    nothing_paid = {**record, "amount_fen": 0, "deducted_fen": 153450, "owed_fen": 0}
    text = render("publicity", "zh", nothing_paid)  # everything taken: not the "nothing for you" text
    assert text.template == "publicity_deduction" and "拟实发0.00元" in text.body and "扣还欠款1,534.50元" in text.body


def test_the_chinese_publicity_text_reads_in_order() -> None:
    text = render("publicity", "zh", {**_base("zh"), "deadline": DEADLINE}, channel=CHANNELS["aliyun"])
    assert text.body == (
        f"【{FAKE_SIGNATURE}】青山村张*明户：2026年度光伏收益分红应发1,534.50元（岗位补贴960.00元，直接收益574.50元），"
        "扣还欠款300.00元，拟实发1,234.50元，尚欠200.00元从以后分红中扣还。"
        "公示至12月20日，有异议请回复“异议+原因”。回复查询看明细，回TD退订")
    assert ACCOUNT not in text.body


@pytest.fixture
def fake(request: pytest.FixtureRequest) -> FakeProviderServer:
    return request.getfixturevalue(f"fake_{request.param}")  # type: ignore[no-any-return]


@pytest.mark.parametrize("fake", ["aliyun", "tencent"], indirect=True)
async def test_the_providers_fakes_send_a_deduction_variant(fake: FakeProviderServer) -> None:
    provider = fake.state.provider
    record = {**_base("zh"), **ZH_PAYMENT, "paid_on": date(2026, 12, 28)}
    text = render("payment_confirmation", "zh", record, channel=Channel.of(provider, FAKE_SIGNATURE))
    assert text.template.startswith("payment_confirmation_deduction_owed")
    async with make_sender(provider_settings(provider, fake.url, SMS_TIMEOUT_SECONDS="1")) as sender:
        result = await sender.send(OutgoingSms("+8613800138000", text.body, template=text.template, lang="zh",
                                               params=text.params, key="deduction-1"))
    assert fake.state.messages[result.sid].content == text.body
