"""The ``dividends`` command. Every command shares one error policy: bad input is shown as
located problems in the user's language (exit 2); a failed sign-in exits 4, a refusal of the
money rules (not found or outside the user's scope, the wrong role) exits 5; nothing
half-written; no traceback."""
from __future__ import annotations

import os
from collections.abc import MutableMapping
import sys
from typing import Annotated, Optional

import typer

import dividends.messages  # noqa: F401
from dividends.cli import helptext, params
from dividends.cli.lazy import Lazy, lazy_group
from schemes.problems import InputError

COMMANDS: dict[str, Lazy] = {
    # name: where it lives (imported only when it runs) and the line `dividends --help` shows.
    # A module here may import anything; this file imports only typer and the messages.
    "compute": Lazy("dividends.cli.computing:compute",
                    "Compute the split and write allocations, summary, input copies and a manifest."),
    "verify": Lazy("dividends.cli.computing:verify",
                   "Recompute and compare with the files and manifest (exit 1 on any difference). Works offline."),
    "compare": Lazy("dividends.cli.computing:compare",
                    "Per-household difference between two schemes (or two versions) on the same inputs."),
    "schemes": Lazy("dividends.cli.scheming:app", "Scheme files: list the presets, show one readably, validate files."),
    "demo": Lazy("dividends.cli.demo:demo",
                 "Sample villages through every preset, then a whole payout lifecycle on a fresh SQLite file."),
    "import": Lazy("dividends.cli.running:import_app",
                   "Import a registry (households, posts, members) as new versioned snapshots."),
    "run": Lazy("dividends.cli.deciding:run_app",  # deciding adds approve|return|review|evidence|result-notice
                "Payout runs: create, compute, publicize, approve, pay, close, reverse."),
    "ledger": Lazy("dividends.cli.running:ledger_app",
                   "The villages' ledgers: verify the hash chains, export to Beancount."),
    "village": Lazy("dividends.cli.serving:village_app",
                    "Village details shown on notices: name, committee contact, county."),
    "township": Lazy("dividends.cli.deciding:township_app",
                     "Townships (乡镇): their villages and farm economy station reviewers."),
    "serve": Lazy("dividends.cli.serving:serve", "Serve the web app (migrations are applied first)."),
    "backup": Lazy("dividends.cli.backing:backup",
                   "Back up the SQLite database while the app runs (administrators; PostgreSQL: see the README)."),
    "restore": Lazy("dividends.cli.backing:restore",
                    "Restore a backup after checking it opens, its migrations and its ledgers (administrators)."),
    "user": Lazy("dividends.cli.serving:users", "User accounts of the web app."),
    "notify": Lazy("dividends.cli.notifying:app",
                   "SMS notices of a run: prepare, estimate, send, delivery status, resend failed ones."),
}

helptext.install()
params.install()  # plain option values without typer's pydantic validators

app = typer.Typer(
    cls=lazy_group(COMMANDS),
    name="dividends",
    help="Asset-return dividend engine: exact, auditable payouts for village collectives.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _options(lang: Annotated[Optional[str], typer.Option("--lang", help="zh or en (default: DIVIDENDS_LANG, then the locale; Chinese when the locale names no language, e.g. C.UTF-8)")] = None) -> None:
    if lang:
        os.environ["DIVIDENDS_LANG"] = lang


def console_language(env: MutableMapping[str, str] = os.environ) -> None:
    """The console speaks the operator's language: ``--lang``, ``DIVIDENDS_LANG``, else a locale
    that names one (``zh_CN.UTF-8`` Chinese, ``en_US.UTF-8`` English). A locale that names no
    language (``C``, ``POSIX``, ``C.UTF-8``, unset: containers, cron, a bare SSH session) gets
    Chinese, the product's default, as the pages and the village's documents do."""
    if env.get("DIVIDENDS_LANG"):
        return
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name)
        if value:
            if value.split(".")[0].split("@")[0].upper() not in ("C", "POSIX"):
                return  # a real locale: schemes.i18n.current_language reads it
            break
    env["DIVIDENDS_LANG"] = "zh"


EXIT_AT_ONCE: list[bool] = []
"""Set by :func:`exit_at_once_when_done` (a command whose process ends with it)."""


def exit_at_once_when_done() -> None:
    """Asked by a command that has written and closed every file it writes (``compute``): when
    it ends successfully, :func:`main` flushes the standard streams and ends the process at once
    (``os._exit(0)``) instead of tearing the interpreter down, which frees the command's frames
    (a million households, the allocation, its lines) column by column only for the process to
    end: ~0.15 s of a ``dividends compute`` on 1,000,000 households. Exit code 0 as before; a
    command that fails, or a stream that cannot be flushed, exits the usual way. Only
    :func:`main` does it: a command run in process (typer's ``CliRunner``) returns as usual."""
    EXIT_AT_ONCE.append(True)


def _exit_at_once() -> None:
    """End a successful command's process now, its output flushed (see :func:`exit_at_once_when_done`)."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed or broken stream: the usual exit reports it
        return
    os._exit(0)


def main() -> None:
    console_language()
    try:
        app()
    except SystemExit as stop:
        if EXIT_AT_ONCE and stop.code in (0, None):
            _exit_at_once()
        raise
    except InputError as error:
        from dividends.cli.console import show_problems
        show_problems(error.problems)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as error:  # the last line of defence: no traceback reaches a user
        from dividends.cli.console import err, text
        login, refusals = sys.modules.get("dividends.cli.login"), sys.modules.get("dividends.refusals")
        if login is not None and isinstance(error, login.LoginFailed):  # a failed sign-in: exit 4
            err.print(error.msg.text(), style="red", markup=False)
            sys.exit(4)
        if refusals is not None and isinstance(error, (refusals.NotAllowed, refusals.Forbidden)):  # exit 5
            err.print(error.msg.text(), style="red", markup=False)
            sys.exit(5)
        compute = sys.modules.get("dividends.compute")  # an invariant can only break where it was imported
        if compute is not None and isinstance(error, compute.InvariantError):
            err.print(text("compute.invariant_failed", details="; ".join(v.text() for v in error.violations[:5])),
                      style="red", markup=False)
            sys.exit(3)
        if os.environ.get("DIVIDENDS_DEBUG"):
            raise
        err.print(text("cli.internal_error", kind=type(error).__name__), style="red", markup=False)
        sys.exit(70)
