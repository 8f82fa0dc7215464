"""SMS settings from the environment or a ``.env`` file, never from code.

=============================  ==============================================================
variable                       meaning
=============================  ==============================================================
``SMS_BACKEND``                ``twilio``, ``console`` (default: print, send nothing) or ``file``
                               (append JSON lines); tests hand the app a fake sender instead
``TWILIO_ACCOUNT_SID``         ``AC`` + 32 hex (twilio)
``TWILIO_AUTH_TOKEN``          secret; never logged, shown or echoed in an error (twilio)
``TWILIO_MESSAGING_SERVICE_SID``  ``MG`` + 32 hex; or
``TWILIO_FROM``                a sender number in E.164 (``+1…``) or an alphanumeric sender
                               ID; exactly one of the two (twilio)
``TWILIO_API_BASE_URL``        override of ``https://api.twilio.com`` (the project's fake, Prism)
``PUBLIC_BASE_URL``            this site's public URL, e.g. ``https://dividends.example.org``;
                               status callbacks go to ``{base}/webhooks/twilio/status`` and
                               signatures are checked against it. Without it, no status
                               callbacks are requested.
``SMS_RATE_PER_SECOND``        sends per second the dispatcher may start (default 10)
``SMS_MAX_SEGMENTS``           a text over this many segments is flagged (default 3)
``SMS_PRICE_PER_SEGMENT_FEN``  estimated price of one segment in fen (default 30, about
                               US$0.04, a placeholder: set it from your Twilio price list)
``SMS_TIMEOUT_SECONDS``        time allowed for one API request (default 15)
``SMS_OUTBOX_FILE``            the file backend's JSON-lines file (default
                               ``out/sms-outbox.jsonl``)
=============================  ==============================================================

The process environment wins over ``.env``. Errors name the variable, what was expected and
what was found.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, get_args
from urllib.parse import urlsplit

from schemes.i18n import Msg, register

if TYPE_CHECKING:
    from notify.senders import Sender

Backend = Literal["twilio", "console", "file"]
BACKENDS: tuple[str, ...] = get_args(Backend)

STATUS_CALLBACK_PATH = "/webhooks/twilio/status"
INBOUND_PATH = "/webhooks/twilio/inbound"

DEFAULT_RATE_PER_SECOND = 10
DEFAULT_MAX_SEGMENTS = 3
DEFAULT_PRICE_PER_SEGMENT_FEN = 30
DEFAULT_TIMEOUT_SECONDS = 15
DEFAULT_OUTBOX_FILE = "out/sms-outbox.jsonl"

_ACCOUNT_SID = re.compile(r"^AC[0-9a-fA-F]{32}$")
_SERVICE_SID = re.compile(r"^MG[0-9a-fA-F]{32}$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_ALPHANUMERIC_SENDER = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")

register(
    {
        "sms.settings.error": {
            "zh": "环境变量 {variable}：应为{expected}，实际为{found}",
            "en": "environment variable {variable}: expected {expected}, found {found}",
        },
        "sms.settings.missing": {"zh": "（未设置）", "en": "(not set)"},
        "sms.settings.hidden": {
            "zh": "（已隐藏，{length} 个字符）",
            "en": "(hidden, {length} characters)",
        },
        "sms.settings.backend": {
            "zh": "以下之一：{choices}",
            "en": "one of {choices}",
        },
        "sms.settings.account_sid": {
            "zh": "以 AC 开头、后跟 32 位十六进制字符的账户 SID",
            "en": "an account SID: AC followed by 32 hex characters",
        },
        "sms.settings.service_sid": {
            "zh": "以 MG 开头、后跟 32 位十六进制字符的消息服务 SID",
            "en": "a Messaging Service SID: MG followed by 32 hex characters",
        },
        "sms.settings.from": {
            "zh": "E.164 格式的发送号码（如 +15005550006）或不超过 11 个字符的字母数字发送者 ID",
            "en": "a sender number in E.164 (e.g. +15005550006) or an alphanumeric sender ID "
            "of at most 11 characters",
        },
        "sms.settings.sender_choice": {
            "zh": "TWILIO_MESSAGING_SERVICE_SID 与 TWILIO_FROM 二者恰好设置其一",
            "en": "exactly one of TWILIO_MESSAGING_SERVICE_SID and TWILIO_FROM",
        },
        "sms.settings.auth_token": {
            "zh": "Twilio 账户的 Auth Token",
            "en": "the Twilio account's auth token",
        },
        "sms.settings.url": {
            "zh": "不带查询串、以 http:// 或 https:// 开头的网址（如 https://dividends.example.org）",
            "en": "an http:// or https:// URL without a query string "
            "(e.g. https://dividends.example.org)",
        },
        "sms.settings.int_range": {
            "zh": "{low} 到 {high} 之间的整数",
            "en": "a whole number from {low} to {high}",
        },
        "sms.settings.path": {"zh": "文件路径", "en": "a file path"},
    }
)


class Secret:
    """A value that never shows itself: ``str()`` and ``repr()`` give ``**********``.

    Call :meth:`reveal` at the one place that needs the value (the API client, a signature).
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __len__(self) -> int:
        return len(self._value)

    def __repr__(self) -> str:
        return "Secret('**********')"

    def __str__(self) -> str:
        return "**********"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))


class SettingsError(ValueError):
    """A setting is missing or wrong: which variable, what was expected, what was found."""

    def __init__(self, variable: str, expected: Msg, found: Msg | str) -> None:
        self.variable = variable
        self.expected = expected
        self.found = found
        super().__init__(self.text("en"))

    def text(self, lang: str | None = None) -> str:
        found = self.found.text(lang) if isinstance(self.found, Msg) else self.found
        return Msg(
            "sms.settings.error", variable=self.variable, expected=self.expected, found=found
        ).text(lang)

    def __str__(self) -> str:
        return self.text()


@dataclass(frozen=True)
class SmsSettings:
    backend: Backend = "console"
    account_sid: str | None = None
    auth_token: Secret | None = None
    messaging_service_sid: str | None = None
    from_number: str | None = None
    public_base_url: str | None = None
    api_base_url: str | None = None
    rate_per_second: int = DEFAULT_RATE_PER_SECOND
    max_segments: int = DEFAULT_MAX_SEGMENTS
    price_per_segment_fen: int = DEFAULT_PRICE_PER_SEGMENT_FEN
    timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS
    outbox_file: Path = Path(DEFAULT_OUTBOX_FILE)

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise SettingsError(
                "SMS_BACKEND", Msg("sms.settings.backend", choices=BACKENDS), repr(self.backend)
            )
        if self.backend == "twilio":
            self._check_twilio()
        for variable, url in (
            ("PUBLIC_BASE_URL", self.public_base_url),
            ("TWILIO_API_BASE_URL", self.api_base_url),
        ):
            if url is not None:
                _check_url(variable, url)
        for name, (variable, low, high) in _INT_FIELDS.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise SettingsError(
                    variable, Msg("sms.settings.int_range", low=low, high=high), repr(value)
                )

    def _check_twilio(self) -> None:
        if not self.account_sid or not _ACCOUNT_SID.match(self.account_sid):
            raise SettingsError(
                "TWILIO_ACCOUNT_SID", Msg("sms.settings.account_sid"), _shown(self.account_sid)
            )
        token = self.auth_token.reveal() if self.auth_token is not None else ""
        if not token or any(c.isspace() for c in token):
            shown = (
                Msg("sms.settings.hidden", length=len(token))
                if token
                else Msg("sms.settings.missing")
            )
            raise SettingsError("TWILIO_AUTH_TOKEN", Msg("sms.settings.auth_token"), shown)
        if bool(self.messaging_service_sid) == bool(self.from_number):
            found: Msg | str = (
                "TWILIO_MESSAGING_SERVICE_SID, TWILIO_FROM"
                if self.from_number
                else Msg("sms.settings.missing")
            )
            raise SettingsError(
                "TWILIO_MESSAGING_SERVICE_SID / TWILIO_FROM",
                Msg("sms.settings.sender_choice"),
                found,
            )
        if self.messaging_service_sid and not _SERVICE_SID.match(self.messaging_service_sid):
            raise SettingsError(
                "TWILIO_MESSAGING_SERVICE_SID",
                Msg("sms.settings.service_sid"),
                repr(self.messaging_service_sid),
            )
        if self.from_number and not (
            _E164.match(self.from_number) or _ALPHANUMERIC_SENDER.match(self.from_number)
        ):
            raise SettingsError("TWILIO_FROM", Msg("sms.settings.from"), repr(self.from_number))

    @property
    def status_callback_url(self) -> str | None:
        """``{PUBLIC_BASE_URL}/webhooks/twilio/status``, or ``None`` without a public URL."""
        return self.public_base_url + STATUS_CALLBACK_PATH if self.public_base_url else None

    @property
    def inbound_url(self) -> str | None:
        return self.public_base_url + INBOUND_PATH if self.public_base_url else None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SmsSettings:
        """Read the settings from ``env`` (default: ``.env`` in the working directory under
        ``os.environ``)."""
        if env is None:
            env = {**read_env_file(Path(".env")), **os.environ}

        def get(name: str) -> str | None:
            value = env.get(name)
            return value.strip() if value is not None and value.strip() else None

        token = env.get("TWILIO_AUTH_TOKEN")
        base = get("PUBLIC_BASE_URL")
        api = get("TWILIO_API_BASE_URL")
        return cls(
            backend=(get("SMS_BACKEND") or "console").lower(),  # type: ignore[arg-type]
            account_sid=get("TWILIO_ACCOUNT_SID"),
            auth_token=Secret(token.strip()) if token and token.strip() else None,
            messaging_service_sid=get("TWILIO_MESSAGING_SERVICE_SID"),
            from_number=get("TWILIO_FROM"),
            public_base_url=base.rstrip("/") if base else None,
            api_base_url=api.rstrip("/") if api else None,
            outbox_file=Path(get("SMS_OUTBOX_FILE") or DEFAULT_OUTBOX_FILE),
            **{name: value for name in _INT_FIELDS if (value := _int(env, name)) is not None},
        )


#: Integer settings: field -> (variable, lowest, highest).
_INT_FIELDS: dict[str, tuple[str, int, int]] = {
    "rate_per_second": ("SMS_RATE_PER_SECOND", 1, 10_000),
    "max_segments": ("SMS_MAX_SEGMENTS", 1, 10),
    "price_per_segment_fen": ("SMS_PRICE_PER_SEGMENT_FEN", 0, 100_000),
    "timeout_seconds": ("SMS_TIMEOUT_SECONDS", 1, 600),
}


def _int(env: Mapping[str, str], name: str) -> int | None:
    """The whole number in the variable behind field ``name``, or ``None`` when it is unset."""
    variable, low, high = _INT_FIELDS[name]
    raw = (env.get(variable) or "").strip()
    if not raw:
        return None
    if not re.fullmatch(r"\d+", raw):
        raise SettingsError(variable, Msg("sms.settings.int_range", low=low, high=high), repr(raw))
    return int(raw)


def _shown(value: str | None) -> Msg | str:
    return Msg("sms.settings.missing") if value is None else repr(value)


def _check_url(variable: str, url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise SettingsError(variable, Msg("sms.settings.url"), repr(url))


def read_env_file(path: Path) -> dict[str, str]:
    """``KEY=VALUE`` lines of a ``.env`` file (``#`` comments, optional ``export``, quotes).

    A missing file is an empty mapping.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    values: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        key = key.removeprefix("export ").strip()
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        values[key] = value
    return values


def make_sender(settings: SmsSettings) -> Sender:
    """The sender ``settings.backend`` names. Use it as an async context manager.

    ``twilio`` imports the Twilio adapter only now, so the other backends never load the SDK.
    """
    if settings.backend == "twilio":
        from notify.twilio_sender import TwilioSender

        return TwilioSender(settings)
    if settings.backend == "file":
        from notify.console import FileSender

        return FileSender(settings.outbox_file)
    from notify.console import ConsoleSender

    return ConsoleSender()
