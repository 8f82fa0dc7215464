"""The ``dividends`` command. Every command shares one error policy: bad input is shown as
located problems in the user's language (exit 2); a failed sign-in exits 4, a refusal of the
money rules (not found or outside the user's scope, the wrong role) exits 5; nothing
half-written; no traceback."""
from __future__ import annotations

import os
import sys
from typing import Annotated, Optional

import typer

import dividends.messages  # noqa: F401
from dividends.cli import computing, scheming
from dividends.cli.console import err, show_problems, text
from dividends.compute import InvariantError
from dividends.refusals import Forbidden, NotAllowed
from schemes.problems import InputError

app = typer.Typer(
    name="dividends",
    help="Asset-return dividend engine: exact, auditable payouts for village collectives.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _options(lang: Annotated[Optional[str], typer.Option("--lang", help="zh or en (default: DIVIDENDS_LANG, then the locale)")] = None) -> None:
    if lang:
        os.environ["DIVIDENDS_LANG"] = lang


app.command()(computing.compute)
app.command()(computing.verify)
app.command()(computing.compare)
app.add_typer(scheming.app, name="schemes")


def _register_later_commands() -> None:
    from dividends.cli import demo, running
    app.command()(demo.demo)
    from dividends.cli import templating
    running.import_app.command("template")(templating.template)
    app.add_typer(running.import_app, name="import")
    app.add_typer(running.run_app, name="run")
    app.add_typer(running.ledger_app, name="ledger")
    app.add_typer(running.village_app, name="village")
    from dividends.cli import serving  # noqa: F401  (serve, user add/password, village add)
    from dividends.cli import notifying  # noqa: F401  (notify prepare|estimate|send|status|resend-failed)


_register_later_commands()


def main() -> None:
    from dividends.cli.login import LoginFailed
    try:
        app()
    except InputError as error:
        show_problems(error.problems)
        sys.exit(2)
    except LoginFailed as error:
        err.print(error.msg.text(), style="red", markup=False)
        sys.exit(4)
    except (NotAllowed, Forbidden) as error:
        err.print(error.msg.text(), style="red", markup=False)
        sys.exit(5)
    except InvariantError as error:
        err.print(text("compute.invariant_failed", details="; ".join(v.text() for v in error.violations[:5])),
                  style="red", markup=False)
        sys.exit(3)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as error:  # the last line of defence: no traceback reaches a user
        if os.environ.get("DIVIDENDS_DEBUG"):
            raise
        err.print(text("cli.internal_error", kind=type(error).__name__), style="red", markup=False)
        sys.exit(70)
