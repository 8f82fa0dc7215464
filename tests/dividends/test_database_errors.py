"""A database that cannot be opened is a clear error (exit 2) naming the URL without its password."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.dividends.support import ROOT


@pytest.mark.parametrize("url, expected", [
    ("sqlite:///no/such/dir/x.sqlite3", "cannot open the database sqlite:///no/such/dir/x.sqlite3 (no writable directory /no/such/dir)"),
    ("postgres://nobody:s3cret@127.0.0.1:1/x", "cannot open the database postgres://nobody:****@127.0.0.1:1/x (ConnectionRefusedError"),
])
def test_an_unopenable_database_is_reported_not_a_traceback(url: str, expected: str) -> None:
    done = subprocess.run([sys.executable, "-m", "dividends", "run", "list"], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "DATABASE_URL": url, "DIVIDENDS_LANG": "en"}, timeout=60)
    assert done.returncode == 2
    assert expected in done.stderr
    assert "s3cret" not in done.stderr + done.stdout and "Traceback" not in done.stderr
