"""The console's language (issue 12, item 9; the demo printed English on a C.UTF-8 machine while
its notices and texts were Chinese): ``--lang``, ``DIVIDENDS_LANG``, a locale that names a
language, else Chinese, the product's default."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from dividends.cli import console_language
from tests.dividends.support import ROOT


@pytest.mark.parametrize(("env", "expected"), [
    ({"LANG": "C.UTF-8"}, "zh"), ({"LANG": "POSIX"}, "zh"), ({}, "zh"), ({"LC_ALL": "C", "LANG": "en_US.UTF-8"}, "zh"),
    ({"LANG": "en_US.UTF-8"}, None), ({"LANG": "zh_CN.UTF-8"}, None), ({"LC_ALL": "en_GB.UTF-8", "LANG": "C.UTF-8"}, None),
    ({"DIVIDENDS_LANG": "en", "LANG": "C.UTF-8"}, "en"),
])
def test_a_locale_that_names_no_language_gets_chinese(env: dict[str, str], expected: str | None) -> None:
    console_language(env)
    assert env.get("DIVIDENDS_LANG") == expected  # None: the locale itself decides


def test_the_console_on_a_c_utf8_machine_speaks_chinese_and_an_english_locale_english() -> None:
    base = {k: v for k, v in os.environ.items() if k not in ("DIVIDENDS_LANG", "LC_ALL", "LC_MESSAGES", "LANG")}
    for env, word in (({"LANG": "C.UTF-8"}, "名称"), ({"LANG": "en_US.UTF-8"}, "title")):
        done = subprocess.run([sys.executable, "-m", "dividends", "schemes", "list"], capture_output=True, text=True,
                              env={**base, **env, "COLUMNS": "200"}, cwd=ROOT, timeout=120)
        assert done.returncode == 0, done.stderr
        assert word in done.stdout, (env, done.stdout[:400])
