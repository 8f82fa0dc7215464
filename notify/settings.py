"""SMS settings from the environment or a ``.env`` file, never from code.

=============================  ==============================================================
variable                       meaning
=============================  ==============================================================
``SMS_BACKEND``                ``twilio``, ``aliyun``, ``tencent``, ``console`` (default: print,
                               send nothing) or ``file`` (append JSON lines); tests hand the app
                               a fake sender instead
``SMS_SIGNATURE``              the deployment's signature (the county or township office that
                               registered it, without 【】); required for aliyun and tencent
``SMS_TEMPLATES_FILE``         YAML mapping of the catalog's templates to each provider's codes
                               and approval states (aliyun, tencent); see the README
``SMS_TWO_WAY``                ``true``/``false``: whether replies reach us (default: the
                               provider's: aliyun and tencent yes, twilio no, since Twilio
                               carries no replies from mainland China)
``SMS_DAILY_LIMIT_PER_NUMBER`` texts one number may get a day per template (default: the
                               provider's documented limit, aliyun 50, tencent 10)
``SMS_PARAM_MAX``              longest template variable the provider accepts (default aliyun 35,
                               tencent 6)
``SMS_QUIET_HOURS``            local hours without SMS, ``HH:MM-HH:MM`` (default ``21:00-08:00``;
                               ``none`` to send at any hour)
``SMS_WEBHOOK_TOKEN``          secret path segment of the unsigned receipt and reply pushes
                               (aliyun, tencent): ``/webhooks/{provider}/{token}/...``
``SMS_WEBHOOK_ALLOW``          optional comma-separated addresses or networks allowed to push
``SMS_RECEIPTS``               ``push`` (webhooks configured at the provider) or ``pull`` (the
                               worker polls receipts and replies); default push when a token is
                               set, else pull
``SMS_RECEIPT_WINDOW_SECONDS`` how long after a send a missing receipt still means "maybe sent"
                               to a look-up (Tencent lists messages once their receipt came;
                               default 600)
``SMS_EMBEDDED_WORKER``        ``true`` (default): the web app runs a worker inside itself; set
                               ``false`` where ``dividends notify worker`` runs as its own service
``ALIYUN_ACCESS_KEY_ID``       Aliyun AccessKey (aliyun)
``ALIYUN_ACCESS_KEY_SECRET``   secret (aliyun)
``ALIYUN_SMS_ENDPOINT``        default ``https://dysmsapi.aliyuncs.com`` (the project's fake in tests)
``TENCENT_SECRET_ID``          Tencent Cloud SecretId (tencent)
``TENCENT_SECRET_KEY``         secret (tencent)
``TENCENT_SMS_SDK_APP_ID``     the SMS application's SdkAppId (tencent)
``TENCENT_SMS_REGION``         default ``ap-guangzhou``
``TENCENT_SMS_ENDPOINT``       default ``https://sms.tencentcloudapi.com``
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

Values come from a mapping of variables (:meth:`SmsSettings.from_env`); the product reads the
process environment over ``.env`` in :mod:`dividends.settings`. Secrets are pydantic
``SecretStr`` values: ``**********`` in ``str``, ``repr`` and logs. Errors name the variable,
what was expected and what was found.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, get_args
from urllib.parse import urlsplit

from schemes.i18n import Msg, load_catalog

if TYPE_CHECKING:
    from pydantic import SecretStr

    from notify.catalog import Channel, ProviderTemplates
    from notify.senders import Sender

Backend = Literal["twilio", "aliyun", "tencent", "console", "file"]
BACKENDS: tuple[str, ...] = get_args(Backend)

STATUS_CALLBACK_PATH = "/webhooks/twilio/status"
INBOUND_PATH = "/webhooks/twilio/inbound"

DEFAULT_RATE_PER_SECOND = 10
DEFAULT_MAX_SEGMENTS = 3
DEFAULT_PRICE_PER_SEGMENT_FEN = 30
DEFAULT_TIMEOUT_SECONDS = 15
DEFAULT_OUTBOX_FILE = "out/sms-outbox.jsonl"
DEFAULT_QUIET_HOURS = "21:00-08:00"
ALIYUN_ENDPOINT = "https://dysmsapi.aliyuncs.com"
TENCENT_ENDPOINT = "https://sms.tencentcloudapi.com"
_QUIET = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-3]):([0-5][0-9])$")

_ACCOUNT_SID = re.compile(r"^AC[0-9a-fA-F]{32}$")
_SERVICE_SID = re.compile(r"^MG[0-9a-fA-F]{32}$")
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
_ALPHANUMERIC_SENDER = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")

load_catalog(Path(__file__).with_name("locale"), "notify")


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
    auth_token: SecretStr | None = None
    messaging_service_sid: str | None = None
    from_number: str | None = None
    public_base_url: str | None = None
    api_base_url: str | None = None
    rate_per_second: int = DEFAULT_RATE_PER_SECOND
    max_segments: int = DEFAULT_MAX_SEGMENTS
    price_per_segment_fen: int = DEFAULT_PRICE_PER_SEGMENT_FEN
    timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS
    outbox_file: Path = Path(DEFAULT_OUTBOX_FILE)
    signature: str | None = None
    templates_file: Path | None = None
    two_way: bool | None = None
    daily_limit: int | None = None
    param_max: int | None = None
    quiet_hours: tuple[int, int] | None = (21 * 60, 8 * 60)
    webhook_token: SecretStr | None = None
    webhook_allow: tuple[str, ...] = ()
    receipts: Literal["push", "pull"] | None = None
    embedded_worker: bool = True
    receipt_window_seconds: int = 600
    aliyun_access_key_id: str | None = None
    aliyun_access_key_secret: SecretStr | None = None
    aliyun_endpoint: str = ALIYUN_ENDPOINT
    tencent_secret_id: str | None = None
    tencent_secret_key: SecretStr | None = None
    tencent_sdk_app_id: str | None = None
    tencent_region: str = "ap-guangzhou"
    tencent_endpoint: str = TENCENT_ENDPOINT

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise SettingsError(
                "SMS_BACKEND", Msg("sms.settings.backend", choices=BACKENDS), repr(self.backend)
            )
        if self.backend == "twilio":
            self._check_twilio()
        required: dict[str, tuple[tuple[str, object], ...]] = {
            "aliyun": (("SMS_SIGNATURE", self.signature), ("ALIYUN_ACCESS_KEY_ID", self.aliyun_access_key_id),
                       ("ALIYUN_ACCESS_KEY_SECRET", self.aliyun_access_key_secret)),
            "tencent": (("SMS_SIGNATURE", self.signature), ("TENCENT_SECRET_ID", self.tencent_secret_id),
                        ("TENCENT_SECRET_KEY", self.tencent_secret_key),
                        ("TENCENT_SMS_SDK_APP_ID", self.tencent_sdk_app_id)),
        }
        for variable, value in required.get(self.backend, ()):
            if not value:
                raise SettingsError(variable, Msg("sms.settings.required", backend=self.backend),
                                    Msg("sms.settings.missing"))
        if self.webhook_token is not None and not re.fullmatch(r"[A-Za-z0-9_-]{16,128}", self.webhook_token.get_secret_value()):
            raise SettingsError("SMS_WEBHOOK_TOKEN", Msg("sms.settings.token"),
                                Msg("sms.settings.hidden", length=len(self.webhook_token)))
        for variable, url in (("ALIYUN_SMS_ENDPOINT", self.aliyun_endpoint),
                              ("TENCENT_SMS_ENDPOINT", self.tencent_endpoint)):
            _check_url(variable, url)
        for variable, url in (
            ("PUBLIC_BASE_URL", self.public_base_url),
            ("TWILIO_API_BASE_URL", self.api_base_url),
        ):
            if url is not None:
                _check_url(variable, url)
        for name, (variable, low, high) in _INT_FIELDS.items():
            value = getattr(self, name)
            if value is None and name in _OPTIONAL_INTS:
                continue
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise SettingsError(
                    variable, Msg("sms.settings.int_range", low=low, high=high), repr(value)
                )

    def _check_twilio(self) -> None:
        if not self.account_sid or not _ACCOUNT_SID.match(self.account_sid):
            raise SettingsError(
                "TWILIO_ACCOUNT_SID", Msg("sms.settings.account_sid"), _shown(self.account_sid)
            )
        token = self.auth_token.get_secret_value() if self.auth_token is not None else ""
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
    def provider(self) -> str:
        return self.backend

    @property
    def receipt_mode(self) -> str:
        """``push`` when the provider posts receipts to us, else ``pull`` (the worker polls)."""
        if self.receipts is not None:
            return self.receipts
        if self.backend in ("console", "file"):
            return "push"  # dry runs: nothing to poll
        if self.backend == "twilio":
            return "push" if self.public_base_url else "pull"
        return "push" if self.webhook_token is not None and self.public_base_url else "pull"

    def webhook_url(self, provider: str, what: str) -> str | None:
        """The public URL a provider pushes ``what`` (``report``, ``reply``) to, token included."""
        if not self.public_base_url or self.webhook_token is None:
            return None
        return f"{self.public_base_url}/webhooks/{provider}/{self.webhook_token.get_secret_value()}/{what}"

    @property
    def status_callback_url(self) -> str | None:
        """``{PUBLIC_BASE_URL}/webhooks/twilio/status``, or ``None`` without a public URL."""
        return self.public_base_url + STATUS_CALLBACK_PATH if self.public_base_url else None

    @property
    def inbound_url(self) -> str | None:
        return self.public_base_url + INBOUND_PATH if self.public_base_url else None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SmsSettings:
        """Read the settings from the variables ``env`` (the product reads the process
        environment and ``.env`` in one place, :mod:`dividends.settings`)."""

        def get(name: str) -> str | None:
            value = env.get(name)
            return value.strip() if value is not None and value.strip() else None

        token = env.get("TWILIO_AUTH_TOKEN")
        base = get("PUBLIC_BASE_URL")
        api = get("TWILIO_API_BASE_URL")
        secret = _secret(env, "ALIYUN_ACCESS_KEY_SECRET")
        tencent_key = _secret(env, "TENCENT_SECRET_KEY")
        webhook = _secret(env, "SMS_WEBHOOK_TOKEN")
        extra: dict[str, object] = {}
        for name, variable in (("aliyun_endpoint", "ALIYUN_SMS_ENDPOINT"),
                               ("tencent_endpoint", "TENCENT_SMS_ENDPOINT"), ("tencent_region", "TENCENT_SMS_REGION")):
            if get(variable):
                extra[name] = str(get(variable)).rstrip("/")
        templates = get("SMS_TEMPLATES_FILE")
        return cls(
            signature=get("SMS_SIGNATURE"),
            templates_file=Path(templates) if templates else None,
            two_way=_bool(env, "SMS_TWO_WAY"),
            quiet_hours=_quiet(get("SMS_QUIET_HOURS") or DEFAULT_QUIET_HOURS),
            webhook_token=webhook,
            embedded_worker=_bool(env, "SMS_EMBEDDED_WORKER") is not False,
            webhook_allow=_allow(get("SMS_WEBHOOK_ALLOW") or ""),
            receipts=_choice(env, "SMS_RECEIPTS", ("push", "pull")),  # type: ignore[arg-type]
            aliyun_access_key_id=get("ALIYUN_ACCESS_KEY_ID"),
            aliyun_access_key_secret=secret,
            tencent_secret_id=get("TENCENT_SECRET_ID"),
            tencent_secret_key=tencent_key,
            tencent_sdk_app_id=get("TENCENT_SMS_SDK_APP_ID"),
            **extra,  # type: ignore[arg-type]
            backend=(get("SMS_BACKEND") or "console").lower(),  # type: ignore[arg-type]
            account_sid=get("TWILIO_ACCOUNT_SID"),
            auth_token=_secret(env, "TWILIO_AUTH_TOKEN"),
            messaging_service_sid=get("TWILIO_MESSAGING_SERVICE_SID"),
            from_number=get("TWILIO_FROM"),
            public_base_url=base.rstrip("/") if base else None,
            api_base_url=api.rstrip("/") if api else None,
            outbox_file=Path(get("SMS_OUTBOX_FILE") or DEFAULT_OUTBOX_FILE),
            **{name: value for name in _INT_FIELDS if (value := _int(env, name)) is not None},
        )


#: Every environment variable :meth:`SmsSettings.from_env` reads (the product's settings module
#: reads exactly these, and its own, from the process environment and ``.env``).
VARIABLES: tuple[str, ...] = (
    "SMS_BACKEND", "SMS_SIGNATURE", "SMS_TEMPLATES_FILE", "SMS_TWO_WAY", "SMS_QUIET_HOURS",
    "SMS_WEBHOOK_TOKEN", "SMS_WEBHOOK_ALLOW", "SMS_RECEIPTS", "SMS_EMBEDDED_WORKER", "SMS_OUTBOX_FILE",
    "ALIYUN_ACCESS_KEY_ID", "ALIYUN_ACCESS_KEY_SECRET", "ALIYUN_SMS_ENDPOINT",
    "TENCENT_SECRET_ID", "TENCENT_SECRET_KEY", "TENCENT_SMS_SDK_APP_ID", "TENCENT_SMS_REGION",
    "TENCENT_SMS_ENDPOINT", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_MESSAGING_SERVICE_SID",
    "TWILIO_FROM", "TWILIO_API_BASE_URL", "PUBLIC_BASE_URL",
    "SMS_RATE_PER_SECOND", "SMS_MAX_SEGMENTS", "SMS_PRICE_PER_SEGMENT_FEN", "SMS_TIMEOUT_SECONDS",
    "SMS_DAILY_LIMIT_PER_NUMBER", "SMS_PARAM_MAX", "SMS_RECEIPT_WINDOW_SECONDS",
)


#: Integer settings: field -> (variable, lowest, highest).
_INT_FIELDS: dict[str, tuple[str, int, int]] = {
    "rate_per_second": ("SMS_RATE_PER_SECOND", 1, 10_000),
    "max_segments": ("SMS_MAX_SEGMENTS", 1, 10),
    "price_per_segment_fen": ("SMS_PRICE_PER_SEGMENT_FEN", 0, 100_000),
    "timeout_seconds": ("SMS_TIMEOUT_SECONDS", 1, 600),
    "daily_limit": ("SMS_DAILY_LIMIT_PER_NUMBER", 1, 1_000),
    "param_max": ("SMS_PARAM_MAX", 1, 500),
    "receipt_window_seconds": ("SMS_RECEIPT_WINDOW_SECONDS", 0, 86_400),
}


_OPTIONAL_INTS = frozenset({"daily_limit", "param_max"})


def _secret(env: Mapping[str, str], name: str) -> SecretStr | None:
    value = (env.get(name) or "").strip()
    if not value:
        return None
    from pydantic import SecretStr  # only where a secret is set: loading pydantic takes a while

    return SecretStr(value)


def _bool(env: Mapping[str, str], name: str) -> bool | None:
    raw = (env.get(name) or "").strip().lower()
    if not raw:
        return None
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(name, Msg("sms.settings.bool"), repr(raw))


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...]) -> str | None:
    raw = (env.get(name) or "").strip().lower()
    if not raw:
        return None
    if raw not in choices:
        raise SettingsError(name, Msg("sms.settings.receipts"), repr(raw))
    return raw


def _quiet(raw: str) -> tuple[int, int] | None:
    """``21:00-08:00`` -> minutes after midnight (start, end); ``none`` -> no quiet hours."""
    if raw.strip().lower() == "none":
        return None
    m = _QUIET.match(raw.strip())
    if not m:
        raise SettingsError("SMS_QUIET_HOURS", Msg("sms.settings.quiet"), repr(raw))
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    return h1 * 60 + m1, h2 * 60 + m2


def _allow(raw: str) -> tuple[str, ...]:
    import ipaddress

    out = []
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        try:
            out.append(str(ipaddress.ip_network(part, strict=False)))
        except ValueError:
            raise SettingsError("SMS_WEBHOOK_ALLOW", Msg("sms.settings.allow"), repr(part)) from None
    return tuple(out)


def _int(env: Mapping[str, str], name: str) -> int | None:
    """The whole number in the variable behind field ``name``, or ``None`` when it is unset."""
    variable, low, high = _INT_FIELDS[name]
    raw = (env.get(variable) or "").strip()
    if not raw:
        return None
    if not re.fullmatch(r"[0-9]+", raw):
        raise SettingsError(variable, Msg("sms.settings.int_range", low=low, high=high), repr(raw))
    return int(raw)


def _shown(value: str | None) -> Msg | str:
    return Msg("sms.settings.missing") if value is None else repr(value)


def _check_url(variable: str, url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise SettingsError(variable, Msg("sms.settings.url"), repr(url))


def make_sender(settings: SmsSettings) -> Sender:
    """The sender ``settings.backend`` names. Use it as an async context manager.

    ``twilio`` imports the Twilio adapter only now, so the other backends never load the SDK.
    """
    if settings.backend == "twilio":
        from notify.twilio_sender import TwilioSender

        return TwilioSender(settings)
    if settings.backend == "aliyun":
        from notify.aliyun_sender import AliyunSender

        return AliyunSender(settings, provider_templates(settings))
    if settings.backend == "tencent":
        from notify.tencent_sender import TencentSender

        return TencentSender(settings, provider_templates(settings))
    if settings.backend == "file":
        from notify.console import FileSender

        return FileSender(settings.outbox_file)
    from notify.console import ConsoleSender

    return ConsoleSender()


def channel_of(settings: SmsSettings) -> Channel:
    """The :class:`~notify.catalog.Channel` the settings describe (provider, signature, two-way)."""
    from notify.catalog import Channel

    return Channel.of(settings.backend, settings.signature, two_way=settings.two_way,
                      param_max=settings.param_max, daily_limit=settings.daily_limit)


def provider_templates(settings: SmsSettings) -> ProviderTemplates:
    """The deployment's template mapping (empty without ``SMS_TEMPLATES_FILE``: nothing approved)."""
    from notify.catalog import ProviderTemplates, load_provider_templates

    if settings.templates_file is None:
        return ProviderTemplates()
    return load_provider_templates(settings.templates_file)
