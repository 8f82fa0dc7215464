"""Fail points for crash tests: a named point where a test can freeze the process and kill it.

In production ``DIVIDENDS_FAILPOINT`` is unset and :func:`checkpoint` does nothing. A test sets it
to a point's name (and ``DIVIDENDS_FAILPOINT_FILE`` to a path): the process writes the name to
that file when it reaches the point, then blocks, so the test can SIGKILL it mid-transaction.
"""
from __future__ import annotations

import os
import time
from pathlib import Path


def checkpoint(name: str) -> None:
    failpoint = os.environ.get("DIVIDENDS_FAILPOINT")
    if not failpoint or failpoint != name:  # unset (or empty): no point blocks, whatever its name
        return
    marker = os.environ.get("DIVIDENDS_FAILPOINT_FILE")
    if marker:
        Path(marker).write_text(name, encoding="utf-8")
    while True:  # wait to be killed; never returns
        time.sleep(60)
