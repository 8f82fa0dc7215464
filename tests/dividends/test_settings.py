"""The one settings module: the environment over ``.env`` (pydantic-settings), typed and checked."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dividends.settings import VARIABLES, SettingsError, Settings, read_environment


def _clear(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_env_file_is_read_and_the_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text(
        "# SMS\nexport SMS_BACKEND=file\nSMS_OUTBOX_FILE='out/dry.jsonl'\n"
        "SMS_MAX_SEGMENTS=2 # two\n"
        'SMS_RATE_PER_SECOND="5"\nPUBLICITY_MIN_DAYS=9\nNOT_OURS=1\n',
        encoding="utf-8",
    )
    _clear(monkeypatch)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SMS_RATE_PER_SECOND", "7")
    assert read_environment() == {"SMS_BACKEND": "file", "SMS_OUTBOX_FILE": "out/dry.jsonl", "SMS_MAX_SEGMENTS": "2",
                                  "SMS_RATE_PER_SECOND": "7", "PUBLICITY_MIN_DAYS": "9"}
    settings = Settings.from_env()
    assert settings.sms.backend == "file" and settings.sms.outbox_file == Path("out/dry.jsonl")
    assert (settings.sms.max_segments, settings.sms.rate_per_second, settings.publicity_min_days) == (2, 7, 9)
    assert read_environment(tmp_path / "missing.env") == {"SMS_RATE_PER_SECOND": "7"}
    assert read_environment(None) == {"SMS_RATE_PER_SECOND": "7"}


def test_the_secret_key_never_shows() -> None:
    settings = Settings.from_env({"SECRET_KEY": "k" * 40})
    assert settings.secret_key is not None and settings.secret_key.get_secret_value() == "k" * 40
    assert "k" * 40 not in repr(settings) + str(settings)


@pytest.mark.parametrize("days", ["0", "366", "seven", "\u0661\u0662", "７"])
def test_a_bad_notice_period_names_its_variable(days: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"PUBLICITY_MIN_DAYS": days})
    assert caught.value.variable == "PUBLICITY_MIN_DAYS"
    assert "from 1 to 365" in caught.value.text("en") and "应为" in caught.value.text("zh")


def test_settings_import_no_web_orm_or_provider_module() -> None:
    """Cheap to import: the command line loads settings without the web stack; pydantic and
    pydantic-settings load only when settings are read."""
    code = ("import sys, dividends.settings; print(sorted(m for m in ('starlette', 'tortoise', 'twilio', 'jinja2', "
            "'polars', 'uvicorn', 'pydantic', 'pydantic_settings') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_approval_and_file_limit_variables_are_declared() -> None:
    """The rules that take their settings from the environment read only variables the one
    settings module declares (so ``.env`` reaches them too)."""
    from dividends.approval import ApprovalRules
    from dividends.files.limits import Limits
    asked: set[str] = set()

    class Recording(dict[str, str]):
        def get(self, key: str, default: object = None) -> object:  # type: ignore[override]
            asked.add(key)
            return super().get(key, default)

    ApprovalRules.from_env(Recording())
    Limits.from_env(Recording())
    assert {"APPROVAL_QUORUM", "TOWNSHIP_REVIEW_COUNTIES", "MAX_ROWS"} <= asked <= set(VARIABLES), asked - set(VARIABLES)


def test_the_approval_rules_read_the_env_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from fractions import Fraction

    from dividends.approval import ApprovalRules
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("APPROVAL_QUORUM", raising=False)
    (tmp_path / ".env").write_text("APPROVAL_QUORUM=1/2\n", encoding="utf-8")
    assert ApprovalRules.from_env().quorum == Fraction(1, 2)


def test_the_database_url_reads_the_env_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``DATABASE_URL`` comes through the settings module: ``.env`` reaches it, the environment
    wins over ``.env``, and without either the embedded SQLite default applies."""
    from dividends.store.db import DEFAULT_URL, database_url
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert database_url() == DEFAULT_URL == Settings.from_env({}).database_url
    (tmp_path / ".env").write_text("DATABASE_URL=sqlite://from-env-file.sqlite3\n", encoding="utf-8")
    assert database_url() == "sqlite://from-env-file.sqlite3"
    monkeypatch.setenv("DATABASE_URL", "sqlite://from-environment.sqlite3")
    assert database_url() == "sqlite://from-environment.sqlite3"
    assert database_url({"DATABASE_URL": "postgres://x/y"}) == "postgres://x/y"
