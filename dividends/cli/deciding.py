"""``dividends run approve|return|review|evidence|result-notice`` and ``dividends township ...``:
the villagers' decision (四议两公开) and both disclosures, through the same use-cases as the web.

Every command signs in (``--user`` with a password, or ``DIVIDENDS_TOKEN``: :mod:`dividends.cli.login`);
the rules themselves (role, scope, state, maker–checker, quorum, township review) are the use-cases'."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Optional, TypeVar

import typer

from dividends.cli.console import err, say
from dividends.cli.login import PasswordStdinOpt, UserOpt, as_user
from dividends.cli.running import RunArg, run_app
from dividends.actors import Actor
from schemes.i18n import Msg, load_catalog
from schemes.problems import InputError, Problem

T = TypeVar("T")
township_app = typer.Typer(help="Townships (乡镇): their villages and farm economy station reviewers.", no_args_is_help=True)

load_catalog(Path(__file__).parents[1] / "locale", "dividends")


def _acting(user: str | None, password_stdin: bool, work: Callable[[Actor], Awaitable[T]]) -> T:
    """Sign in and run ``work`` as that user (a refusal exits 5, a failed sign-in 4: cli.main)."""
    return as_user(user, password_stdin, work)


@run_app.command("approve")
def approve_cmd(run: RunArg,
                meeting: Annotated[str, typer.Option("--meeting-date", help="day of the villagers' (representatives') meeting, YYYY-MM-DD")],
                entitled: Annotated[int, typer.Option("--entitled", help="members entitled to attend")],
                present: Annotated[int, typer.Option("--present", help="members present")],
                votes_for: Annotated[int, typer.Option("--for", help="votes in favour")],
                against: Annotated[int, typer.Option("--against")] = 0,
                abstaining: Annotated[int, typer.Option("--abstaining")] = 0,
                body: Annotated[str, typer.Option("--body", help="representatives | members")] = "representatives",
                content_hash: Annotated[str, typer.Option("--content-hash", help="the content hash the meeting voted on (as on the notice)")] = "",
                cash_without_account: Annotated[bool, typer.Option("--cash-without-account", help="households owed money with no bank account are paid in cash against the signed receipt list")] = False,
                user: UserOpt = None, password_stdin: PasswordStdinOpt = False) -> None:
    """Approve on the meeting's resolution (not by the preparer; after the notice period; no open
    objection; quorum and majority met; the township's review first where the county requires it)."""
    from dividends.approval import Resolution
    from dividends.cli.running import _transition
    from dividends.usecases import runs as run_cases
    try:
        day = date.fromisoformat(meeting)
    except ValueError:
        raise InputError([Problem(Msg("cli.decide.date", found=meeting))]) from None
    resolution = Resolution(day, entitled=entitled, present=present, votes_for=votes_for, votes_against=against,
                            abstaining=abstaining, body=body, content_hash=content_hash.strip())
    _transition("approve", user, password_stdin, lambda actor: run_cases.approve(actor, run, resolution=resolution,
                                                                            cash_without_account=cash_without_account))


@run_app.command("return")
def return_cmd(run: RunArg, reason: Annotated[str, typer.Option("--reason", help="what must be corrected")],
               user: UserOpt = None, password_stdin: PasswordStdinOpt = False) -> None:
    """Return a computed or publicized run (驳回) to be corrected and recomputed (committee)."""
    from dividends.usecases import runs as run_cases
    _acting(user, password_stdin, lambda actor: run_cases.return_run(actor, run, reason))  # type: ignore[arg-type]
    say("cli.decide.returned", run=run)


@run_app.command("review")
def review_cmd(run: RunArg, filing: Annotated[str, typer.Option("--filing-number", help="the station's filing number")] = "",
               note: Annotated[str, typer.Option("--note")] = "", user: UserOpt = None, password_stdin: PasswordStdinOpt = False) -> None:
    """Record the township's review and filing of the plan (乡镇农经站)."""
    from dividends.usecases import runs as run_cases
    done = _acting(user, password_stdin, lambda actor: run_cases.review(actor, run, filing_number=filing, note=note))  # type: ignore[arg-type]
    say("cli.decide.reviewed", run=run, hash=(done.content_hash or "")[:16])


@run_app.command("evidence")
def evidence_cmd(run: RunArg, photo: Annotated[Path, typer.Argument(help="photo or scan of the posted notice (JPEG, PNG, PDF)")],
                 user: UserOpt = None, password_stdin: PasswordStdinOpt = False) -> None:
    """Attach a photo or scan of the posted public notice (stored by hash, in the audit pack)."""
    from dividends.usecases import publicity
    data = photo.read_bytes()
    digest = _acting(user, password_stdin, lambda actor: publicity.attach_evidence(actor, run, photo.name, data))  # type: ignore[arg-type]
    say("cli.decide.evidence", sha=digest)


@run_app.command("result-notice")
def result_notice_cmd(run: RunArg, out_file: Annotated[Path, typer.Option("--out", help="where to write the page")] = Path("result-notice.html"),
                      lang: Annotated[Optional[str], typer.Option("--notice-lang", help="zh | en (default: the village's document language)")] = None, user: UserOpt = None, password_stdin: PasswordStdinOpt = False) -> None:
    """Produce and record the result notice of a paid run (paid, failed, unpaid; masked)."""
    from dividends.usecases import publicity
    html, digest = _acting(user, password_stdin, lambda actor: publicity.record_result_notice(actor, run, lang))  # type: ignore[arg-type]
    out_file.write_text(html, encoding="utf-8")
    say("cli.decide.result", file=str(out_file), sha=digest[:16])


@township_app.command("add")
def township_add(code: Annotated[str, typer.Argument()], name: Annotated[str, typer.Option("--name")],
                 county: Annotated[str, typer.Option("--county")], user: UserOpt = None, password_stdin: PasswordStdinOpt = False) -> None:
    """A township of a county (administrator)."""
    from dividends.access import create_township
    row = _acting(user, password_stdin, lambda actor: create_township(actor, code, name, county=county))  # type: ignore[arg-type]
    say("cli.decide.township", code=row.code, name=row.name)


@township_app.command("village")
def township_village(township: Annotated[str, typer.Argument()], village: Annotated[str, typer.Argument()],
                     user: UserOpt = None, password_stdin: PasswordStdinOpt = False) -> None:
    """Put a village under a township (administrator)."""
    from dividends.access import set_village_township
    _acting(user, password_stdin, lambda actor: set_village_township(actor, village, township))  # type: ignore[arg-type]
    say("cli.decide.village_township", village=village, township=township)

