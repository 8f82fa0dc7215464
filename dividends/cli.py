from __future__ import annotations


def main() -> None:  # replaced by the typer app
    raise SystemExit("not yet")
