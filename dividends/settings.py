"""All settings of the product, from the environment or a ``.env`` file, never from code.

The process environment wins over ``.env`` (read from the working directory). Secrets are
:class:`notify.settings.Secret` values: they never appear in ``repr``, logs or pages.

=========================  ==========================================================
``DATABASE_URL``           ``sqlite://dividends.sqlite3`` (default) or ``postgres://...``
``SECRET_KEY``             signs session cookies and CSRF tokens (required to serve)
``PUBLIC_BASE_URL``        the address people and Twilio reach the app at
``DIVIDENDS_LANG``         default language of pages and messages (``zh``)
``SESSION_HTTPS_ONLY``     ``true`` behind HTTPS (default: true unless the base URL is http)
``PUBLICITY_MIN_DAYS``     shortest notice period (default 7)
``BANK_FORMATS_FILE``      extra bank formats (YAML) besides the shipped ones
``LEDGER_CHECKPOINT_KEY``  signs ledger checkpoints (kept by the county, at least 16 characters)
``TWILIO_*``, ``SMS_*``    see :mod:`notify.settings`
=========================  ==========================================================
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from notify.settings import Secret, SettingsError, SmsSettings, read_env_file
from schemes.i18n import Msg, register

register({"settings.key_short": {
    "zh": "密钥太短：至少 {low} 个字符",
    "en": "the key is too short: at least {low} characters",
}})

__all__ = ["Settings", "load_settings", "Secret", "SettingsError"]


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: Secret | None
    public_base_url: str
    lang: str
    session_https_only: bool
    publicity_min_days: int
    bank_formats_file: Path | None
    sms: SmsSettings
    ledger_checkpoint_key: Secret | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        if env is None:
            env = {**read_env_file(Path(".env")), **os.environ}
        public = env.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
        days_text = env.get("PUBLICITY_MIN_DAYS", "7")
        if not days_text.isdigit() or not 1 <= int(days_text) <= 365:
            raise SettingsError("PUBLICITY_MIN_DAYS", Msg("sms.settings.int_range", low=1, high=365), days_text)
        https = env.get("SESSION_HTTPS_ONLY", "").lower()
        checkpoint_key = env.get("LEDGER_CHECKPOINT_KEY", "")
        if checkpoint_key and len(checkpoint_key) < 16:
            raise SettingsError("LEDGER_CHECKPOINT_KEY", Msg("settings.key_short", low=16), "****")
        return cls(
            database_url=env.get("DATABASE_URL") or "sqlite://dividends.sqlite3",
            secret_key=Secret(env["SECRET_KEY"]) if env.get("SECRET_KEY") else None,
            public_base_url=public,
            lang="en" if env.get("DIVIDENDS_LANG", "zh").lower().startswith("en") else "zh",
            session_https_only=(https in ("1", "true", "yes")) if https else public.startswith("https://"),
            publicity_min_days=int(days_text),
            bank_formats_file=Path(env["BANK_FORMATS_FILE"]) if env.get("BANK_FORMATS_FILE") else None,
            sms=SmsSettings.from_env({**env, "PUBLIC_BASE_URL": public}),
            ledger_checkpoint_key=Secret(checkpoint_key) if checkpoint_key else None,
        )


def load_settings() -> Settings:
    return Settings.from_env()
