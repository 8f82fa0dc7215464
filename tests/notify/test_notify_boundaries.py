"""Rules of the SMS channel beyond the import rules of tests/test_architecture.py."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_money_modules_hold_no_float() -> None:
    for name in ("segments", "texts", "settings", "retry", "senders"):
        tree = ast.parse((ROOT / "notify" / f"{name}.py").read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            assert not (isinstance(node, ast.Constant) and isinstance(node.value, float)), name
            assert not (isinstance(node, ast.Name) and node.id == "float"), name


def test_the_light_modules_do_not_load_the_twilio_sdk() -> None:
    code = (
        "import sys, notify.settings, notify.senders, notify.texts, notify.console, "
        "notify.inbound, notify.status, notify.segments, notify.retry, notify.privacy; "
        "assert 'twilio' not in sys.modules, 'twilio loaded'"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
