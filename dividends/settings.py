"""All settings of the product, from the environment or a ``.env`` file, never from code.

This is the one module that reads the process environment for settings: pydantic-settings
reads every variable of :data:`VARIABLES` from it and from ``.env`` in the working directory
(python-dotenv parses the file; the environment wins), and :meth:`Settings.from_env` turns the
values into typed settings with errors that name the variable, what was expected and what was
found. Secrets are pydantic ``SecretStr`` values: they never appear in ``repr``, logs or pages.
It imports no web, ORM or SMS-provider module, so the command line loads it cheaply.

=========================  ==========================================================
``DATABASE_URL``           ``sqlite://dividends.sqlite3`` (default) or ``postgres://...``
``SECRET_KEY``             signs session cookies and CSRF tokens (required to serve)
``PUBLIC_BASE_URL``        the address people and Twilio reach the app at
``DIVIDENDS_LANG``         default language of pages and messages (``zh``)
``SESSION_HTTPS_ONLY``     ``true`` behind HTTPS (default: true unless the base URL is http)
``PUBLICITY_MIN_DAYS``     shortest notice period (default 7)
``BANK_FORMATS_FILE``      extra bank formats (YAML) besides the shipped ones
``LEDGER_CHECKPOINT_KEY``  signs ledger checkpoints (kept by the county, at least 16 characters)
``APPROVAL_*``             quorum and majority of a resolution (:class:`dividends.approval.ApprovalRules`)
``TOWNSHIP_REVIEW_*``      counties where a township review precedes approval (same class)
``PASSWORD_HASH_*``        argon2 hashes at once (:func:`dividends.access.password_hash_concurrency`)
``MAX_*``                  upload and file limits (:class:`dividends.files.limits.Limits`)
``TWILIO_*``, ``SMS_*``    see :mod:`notify.settings`
=========================  ==========================================================
"""
from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from notify.settings import VARIABLES as SMS_VARIABLES
from notify.settings import SettingsError, SmsSettings
from schemes.i18n import Msg, load_catalog

load_catalog(Path(__file__).with_name("locale"), "dividends")

if TYPE_CHECKING:
    from pydantic import SecretStr

__all__ = ["Settings", "load_settings", "read_environment", "SettingsError", "VARIABLES"]

#: The product's own variables (besides the SMS ones, :data:`notify.settings.VARIABLES`).
OWN_VARIABLES: tuple[str, ...] = ("DATABASE_URL", "SECRET_KEY", "PUBLIC_BASE_URL", "DIVIDENDS_LANG",
                                  "SESSION_HTTPS_ONLY", "PUBLICITY_MIN_DAYS", "BANK_FORMATS_FILE",
                                  "LEDGER_CHECKPOINT_KEY", "APPROVAL_QUORUM", "APPROVAL_MAJORITY",
                                  "TOWNSHIP_REVIEW_COUNTIES", "PASSWORD_HASH_CONCURRENCY",
                                  "MAX_REGISTRY_FILE_MB", "MAX_BANK_RESULT_FILE_MB", "MAX_AUDIT_PACK_FILE_MB",
                                  "MAX_INFLATED_MB", "MAX_CELL_CHARS", "MAX_COLUMNS", "MAX_ROWS", "MAX_LINE_CHARS")
DEFAULT_DATABASE_URL = "sqlite://dividends.sqlite3"
VARIABLES: tuple[str, ...] = OWN_VARIABLES + tuple(v for v in SMS_VARIABLES if v not in OWN_VARIABLES)


@cache
def _environment() -> Any:
    """A pydantic-settings model with every variable as an optional text field (made on first
    use: importing pydantic-settings costs more than the rest of this module)."""
    from pydantic import create_model
    from pydantic_settings import BaseSettings, SettingsConfigDict

    class Variables(BaseSettings):
        model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", case_sensitive=True,
                                          extra="ignore", frozen=True)

    return create_model("Environment", __base__=Variables,
                        **{name: (str | None, None) for name in VARIABLES})  # type: ignore[call-overload]


def read_environment(env_file: Path | None = Path(".env")) -> dict[str, str]:
    """The values of :data:`VARIABLES` that are set, from the process environment over
    ``env_file`` (``None``: the environment alone)."""
    if env_file is None or not env_file.is_file():  # the environment alone: no pydantic needed
        return {name: os.environ[name] for name in VARIABLES if name in os.environ}
    values = _environment()(_env_file=env_file).model_dump()
    return {name: value for name, value in values.items() if value is not None}


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: SecretStr | None
    public_base_url: str
    lang: str
    session_https_only: bool
    publicity_min_days: int
    bank_formats_file: Path | None
    sms: SmsSettings
    ledger_checkpoint_key: SecretStr | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Typed settings from the variables ``env`` (default: :func:`read_environment`)."""
        if env is None:
            env = read_environment()
        public = env.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
        days_text = env.get("PUBLICITY_MIN_DAYS", "7")
        if not re.fullmatch(r"[0-9]{1,3}", days_text) or not 1 <= int(days_text) <= 365:
            raise SettingsError("PUBLICITY_MIN_DAYS", Msg("sms.settings.int_range", low=1, high=365), days_text)
        https = env.get("SESSION_HTTPS_ONLY", "").lower()
        checkpoint_key = env.get("LEDGER_CHECKPOINT_KEY", "")
        if checkpoint_key and len(checkpoint_key) < 16:
            raise SettingsError("LEDGER_CHECKPOINT_KEY", Msg("settings.key_short", low=16), "****")
        return cls(
            database_url=env.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            secret_key=_secret_key(env.get("SECRET_KEY")),
            public_base_url=public,
            lang="en" if env.get("DIVIDENDS_LANG", "zh").lower().startswith("en") else "zh",
            session_https_only=(https in ("1", "true", "yes")) if https else public.startswith("https://"),
            publicity_min_days=int(days_text),
            bank_formats_file=Path(env["BANK_FORMATS_FILE"]) if env.get("BANK_FORMATS_FILE") else None,
            sms=SmsSettings.from_env({**env, "PUBLIC_BASE_URL": public}),
            ledger_checkpoint_key=_secret_key(checkpoint_key),
        )


def _secret_key(value: str | None) -> SecretStr | None:
    if not value:
        return None
    from pydantic import SecretStr

    return SecretStr(value)


def load_settings() -> Settings:
    """The settings of this process: the environment over ``.env``."""
    return Settings.from_env()
