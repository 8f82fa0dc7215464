from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

import pytest

from notify.console import ConsoleSender, FileSender
from pydantic import SecretStr

from notify.settings import VARIABLES, SettingsError, SmsSettings, make_sender
from notify.twilio_sender import TwilioSender

TOKEN = "f00dfeedf00dfeedf00dfeedf00dbeef"
SID = "AC" + "a1" * 16
SERVICE = "MG" + "b2" * 16

TWILIO_ENV = {
    "SMS_BACKEND": "twilio",
    "TWILIO_ACCOUNT_SID": SID,
    "TWILIO_AUTH_TOKEN": TOKEN,
    "TWILIO_MESSAGING_SERVICE_SID": SERVICE,
    "PUBLIC_BASE_URL": "https://dividends.example.org/",
}


def test_twilio_settings_from_the_environment() -> None:
    settings = SmsSettings.from_env(
        {
            **TWILIO_ENV,
            "SMS_RATE_PER_SECOND": "25",
            "SMS_MAX_SEGMENTS": "2",
            "SMS_PRICE_PER_SEGMENT_FEN": "35",
            "TWILIO_API_BASE_URL": "http://127.0.0.1:4010",
        }
    )
    assert settings.backend == "twilio"
    assert settings.account_sid == SID
    assert settings.auth_token is not None and settings.auth_token.get_secret_value() == TOKEN
    assert settings.messaging_service_sid == SERVICE and settings.from_number is None
    assert settings.status_callback_url == "https://dividends.example.org/webhooks/twilio/status"
    assert settings.inbound_url == "https://dividends.example.org/webhooks/twilio/inbound"
    assert (settings.rate_per_second, settings.max_segments, settings.price_per_segment_fen) == (
        25,
        2,
        35,
    )
    assert settings.api_base_url == "http://127.0.0.1:4010"


def test_defaults_are_a_safe_dry_run() -> None:
    settings = SmsSettings.from_env({})
    assert settings.backend == "console"
    assert (settings.rate_per_second, settings.max_segments, settings.price_per_segment_fen) == (
        10,
        3,
        30,
    )
    assert settings.status_callback_url is None
    assert settings.outbox_file == Path("out/sms-outbox.jsonl")


def test_a_sender_number_instead_of_a_messaging_service() -> None:
    env = {**TWILIO_ENV, "TWILIO_FROM": "+15005550006"}
    del env["TWILIO_MESSAGING_SERVICE_SID"]
    assert SmsSettings.from_env(env).from_number == "+15005550006"


@pytest.mark.parametrize(
    ("change", "variable"),
    [
        ({"TWILIO_ACCOUNT_SID": ""}, "TWILIO_ACCOUNT_SID"),
        ({"TWILIO_ACCOUNT_SID": "AC123"}, "TWILIO_ACCOUNT_SID"),
        ({"TWILIO_AUTH_TOKEN": ""}, "TWILIO_AUTH_TOKEN"),
        ({"TWILIO_MESSAGING_SERVICE_SID": ""}, "TWILIO_MESSAGING_SERVICE_SID / TWILIO_FROM"),
        ({"TWILIO_FROM": "+15005550006"}, "TWILIO_MESSAGING_SERVICE_SID / TWILIO_FROM"),
        ({"TWILIO_MESSAGING_SERVICE_SID": "MG12"}, "TWILIO_MESSAGING_SERVICE_SID"),
        ({"TWILIO_MESSAGING_SERVICE_SID": "", "TWILIO_FROM": "0086 138"}, "TWILIO_FROM"),
        ({"PUBLIC_BASE_URL": "dividends.example.org"}, "PUBLIC_BASE_URL"),
        ({"PUBLIC_BASE_URL": "https://x.org/?a=1"}, "PUBLIC_BASE_URL"),
        ({"TWILIO_API_BASE_URL": "ftp://x"}, "TWILIO_API_BASE_URL"),
        ({"SMS_BACKEND": "sms"}, "SMS_BACKEND"),
        ({"SMS_RATE_PER_SECOND": "0"}, "SMS_RATE_PER_SECOND"),
        ({"SMS_RATE_PER_SECOND": "2.5"}, "SMS_RATE_PER_SECOND"),
        ({"SMS_MAX_SEGMENTS": "11"}, "SMS_MAX_SEGMENTS"),
        ({"SMS_PRICE_PER_SEGMENT_FEN": "0.3"}, "SMS_PRICE_PER_SEGMENT_FEN"),
    ],
)
def test_a_bad_setting_names_its_variable_and_what_was_expected(
    change: dict[str, str], variable: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        SmsSettings.from_env({**TWILIO_ENV, **change})
    assert caught.value.variable == variable
    assert variable in str(caught.value) and "expected" in caught.value.text("en")
    assert "应为" in caught.value.text("zh")
    assert TOKEN not in caught.value.text("en") + caught.value.text("zh") + repr(caught.value)


def test_the_auth_token_never_shows() -> None:
    settings = SmsSettings.from_env(TWILIO_ENV)
    shown = [
        str(settings),
        repr(settings),
        str(settings.auth_token),
        repr(settings.auth_token),
        f"{settings.auth_token}",
        str(dataclasses.asdict(settings)),
        repr(copy.deepcopy(settings)),
    ]
    for text in shown:
        assert TOKEN not in text
    assert "**********" in repr(settings)


def test_a_malformed_token_is_reported_without_echoing_it() -> None:
    token = "abc def-secret"
    with pytest.raises(SettingsError) as caught:
        SmsSettings.from_env({**TWILIO_ENV, "TWILIO_AUTH_TOKEN": token})
    message = caught.value.text("en")
    assert "hidden, 14 characters" in message
    assert "def-secret" not in message and "abc" not in message


def test_secrets_compare_by_value_and_know_their_length() -> None:
    assert SecretStr("a") == SecretStr("a") and SecretStr("a") != SecretStr("b") and len(SecretStr("abc")) == 3


def test_every_variable_read_is_declared() -> None:
    """The settings module reads exactly :data:`VARIABLES` from the environment: a variable
    that ``from_env`` asks for but that is not declared would never be read from ``.env``."""
    asked: set[str] = set()

    class Recording(dict[str, str]):
        def get(self, key: str, default: object = None) -> object:  # type: ignore[override]
            asked.add(key)
            return super().get(key, default)

        def __getitem__(self, key: str) -> str:
            asked.add(key)
            return super().__getitem__(key)

    SmsSettings.from_env(Recording(TWILIO_ENV))
    SmsSettings.from_env(Recording())
    assert asked and asked <= set(VARIABLES), asked - set(VARIABLES)


@pytest.mark.parametrize(
    ("env", "kind"),
    [
        ({}, ConsoleSender),
        ({"SMS_BACKEND": "file"}, FileSender),
        (TWILIO_ENV, TwilioSender),
    ],
)
def test_make_sender_builds_the_configured_backend(env: dict[str, str], kind: type) -> None:
    assert isinstance(make_sender(SmsSettings.from_env(env)), kind)
