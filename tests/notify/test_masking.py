from __future__ import annotations

import pytest

from notify.privacy import find_unmasked_number, mask_account, mask_name, mask_phone, scrub


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三明", "张*明"),
        ("张三", "张*"),
        ("张", "张*"),
        ("欧阳小明", "欧阳*明"),
        ("Li Ming", "Li M."),
        ("Ouyang Xiao Ming", "Ouyang X. M."),
        (" 王五 ", "王*"),
    ],
)
def test_mask_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked


def test_mask_name_needs_a_name() -> None:
    with pytest.raises(ValueError):
        mask_name("  ")


@pytest.mark.parametrize(
    ("account", "lang", "masked"),
    [
        ("6222021234567891234", "zh", "尾号1234"),
        ("6222 0212 3456 7891 234", "en", "ending 1234"),
        ("1234", "zh", "尾号1234"),
    ],
)
def test_mask_account_keeps_the_last_four_digits(account: str, lang: str, masked: str) -> None:
    assert mask_account(account, lang) == masked


def test_mask_account_refuses_what_is_not_an_account_number() -> None:
    with pytest.raises(ValueError):
        mask_account("12")


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("+8613800138000", "+86 138****8000"),
        ("13800138000", "138****8000"),
        ("+15005550006", "+1 500***0006"),
        ("+86 138 0013 8000", "+86 138****8000"),
        ("", "***"),
    ],
)
def test_mask_phone(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked


def test_scrub_masks_phone_numbers_quoted_in_free_text() -> None:
    text = "The 'To' number +8613800138000 is not a valid phone number (code 21211)."
    assert (
        scrub(text) == "The 'To' number +86 138****8000 is not a valid phone number (code 21211)."
    )


def test_find_unmasked_number_spots_eight_digits_in_a_row_but_not_amounts_or_dates() -> None:
    assert find_unmasked_number("尾号1234，1,234,567.00元，2026年12月20日") is None
    assert find_unmasked_number("call 138 0013 8000") == "138 0013 8000"
    assert find_unmasked_number("ID 110101199003071234") == "110101199003071234"
