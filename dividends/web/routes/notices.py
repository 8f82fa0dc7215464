"""A run's SMS notices: the estimate first (segments, cost, the exact text per language and
provider, the households SMS will not reach), then queueing them for the worker (texts over the
segment limit only when the sender confirms), progress read from the database, delivery status,
and resending the failed ones."""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import dividends.outbox.messages  # noqa: F401  (status and kind names)
from dividends import access
from dividends.access import Actor
from dividends.outbox.fates import FATES, KINDS
from dividends.outbox.prepare import estimate
from dividends.outbox.report import report
from dividends.usecases import notices as notice_cases
from dividends.store import outbox as outbox_store
from dividends.web import forms
from dividends.web.auth import page
from dividends.web.i18n import language
from dividends.web.render import redirect, render
from notify.settings import channel_of, provider_templates
from schemes.i18n import Msg
from schemes.problems import InputError, Problem


def kinds_for(state: str) -> tuple[str, ...]:
    if state == "publicized":
        return ("publicity", "period_statement")
    if state in ("paid", "closed"):
        return ("payment_confirmation", "payment_failed", "period_statement")
    if state == "approved":
        return ("period_statement",)
    return ()


@page
async def notices(request: Request, actor: Actor) -> Response:
    run = await access.run_for(actor, int(request.path_params["run_id"]))
    sms = request.app.state.settings.sms
    channel, templates = channel_of(sms), provider_templates(sms)
    estimates = [await estimate(run.id, kind, price_per_segment_fen=sms.price_per_segment_fen,
                                max_segments=sms.max_segments, clock=request.app.state.clock, channel=channel,
                                templates=templates)
                 for kind in kinds_for(run.state)]
    delivery = await report(run.id, price_per_segment_fen=sms.price_per_segment_fen, limit=200)
    progress = {kind: counts for kind in KINDS if (counts := await outbox_store.progress(run.id, kind))}
    sending = any(c.get("sending", 0) or c.get("queued", 0) - c.get("prepared", 0) > 0 for c in progress.values())
    lang = language(request)

    def reason(code: int | None, stored: str) -> str:
        try:
            return Msg(f"notify.code.{code}").text(lang) if code is not None else stored
        except KeyError:
            return stored

    return render(request, "notices.html", {"run": run, "estimates": estimates, "delivery": delivery,
                                            "progress": progress, "sending": sending, "fates": FATES, "reason": reason,
                                            "channel": channel, "worker": request.app.state.worker.running})


async def _start(request: Request, actor: Actor, resend: bool) -> Response:
    run = await access.run_for(actor, int(request.path_params["run_id"]))
    access.require(actor, "notices.send")
    form = await request.form()
    kind = forms.choice(form.get("kind"), "kind", KINDS)
    app = request.app.state
    sms = app.settings.sms
    if resend:
        await notice_cases.resend_failed(actor, run.id, kind, app.clock)
        return redirect(f"/runs/{run.id}/notices")
    channel, templates = channel_of(sms), provider_templates(sms)
    prepared = await notice_cases.prepare(actor, run.id, kind, app.clock, max_segments=sms.max_segments,
                                          channel=channel, templates=templates)
    anchor = prepared.run_id  # a period statement lives on its period's newest told run
    found = await estimate(anchor, kind, price_per_segment_fen=sms.price_per_segment_fen,
                           max_segments=sms.max_segments, clock=app.clock, channel=channel, templates=templates)
    if found.over_limit_count and form.get("allow_long") != "1":
        raise InputError([Problem(Msg("sms.refused_long", count=found.over_limit_count, max=sms.max_segments))])
    await notice_cases.release(actor, anchor, kind, app.clock)
    return redirect(f"/runs/{anchor}/notices")


@page
async def send(request: Request, actor: Actor) -> Response:
    return await _start(request, actor, resend=False)


@page
async def resend(request: Request, actor: Actor) -> Response:
    return await _start(request, actor, resend=True)


ROUTES = [
    Route("/runs/{run_id:int}/notices", notices, methods=["GET"]),
    Route("/runs/{run_id:int}/notices/send", send, methods=["POST"]),
    Route("/runs/{run_id:int}/notices/resend", resend, methods=["POST"]),
]
