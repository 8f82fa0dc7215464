"""Counts, dates, ID numbers, bank accounts and settings read ASCII digits only: ``int()`` and
``\\d`` would take Arabic-Indic and other scripts' digits (``int("١٢") == 12``)."""
from __future__ import annotations

import pytest

from dividends.files.limits import Limits
from dividends.outbox.dispatcher import parse_key
from dividends.registry.idnumber import is_valid_id_number
from dividends.web import forms
from notify.settings import SettingsError, SmsSettings
from schemes.problems import InputError

ARABIC_12 = "\u0661\u0662"
DEVANAGARI_7 = "\u096d"


def test_a_form_number_or_date_in_other_digits_is_refused() -> None:
    assert forms.integer("12", "period") == 12
    with pytest.raises(InputError):
        forms.integer(ARABIC_12, "period")
    with pytest.raises(InputError):
        forms.day("2026-0" + DEVANAGARI_7 + "-01", "start")


def test_an_id_number_in_other_digits_is_invalid() -> None:
    valid = "11010519491231002X"
    assert is_valid_id_number(valid)
    assert not is_valid_id_number("\u0661" + valid[1:])


def test_settings_and_limits_refuse_other_digits() -> None:
    with pytest.raises(SettingsError):
        SmsSettings.from_env({"SMS_MAX_SEGMENTS": "\u0662"})
    with pytest.raises(InputError):
        Limits.from_env({"MAX_COLUMNS": ARABIC_12})


def test_a_correlation_key_in_other_digits_is_not_ours() -> None:
    assert parse_key("notice-42-1") == (42, 1)
    assert parse_key("notice-" + ARABIC_12 + "-1") is None
