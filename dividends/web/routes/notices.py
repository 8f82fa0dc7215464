"""A run's SMS notices: segments and estimated cost first, then sending (in the background,
the page shows progress), delivery status, and resending the failed ones."""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import dividends.outbox.messages  # noqa: F401  (status and kind names)
from dividends import access
from dividends.access import Actor
from dividends.outbox.fates import FATES, KINDS
from dividends.outbox.prepare import estimate, prepare
from dividends.outbox.report import report, resend_failed
from dividends.web import forms
from schemes.i18n import Msg
from dividends.web.auth import page
from dividends.web.i18n import language
from dividends.web.render import redirect, render
from dividends.web.sending import Dispatches


def dispatches(request: Request) -> Dispatches:
    return request.app.state.dispatches  # type: ignore[no-any-return]


def kinds_for(state: str) -> tuple[str, ...]:
    if state == "publicized":
        return ("publicity",)
    if state in ("paid", "closed"):
        return ("payment_confirmation", "payment_failed")
    return ()


@page
async def notices(request: Request, actor: Actor) -> Response:
    run = await access.run_for(actor, int(request.path_params["run_id"]))
    sms = request.app.state.settings.sms
    estimates = [await estimate(run.id, kind, price_per_segment_fen=sms.price_per_segment_fen,
                                max_segments=sms.max_segments, clock=request.app.state.clock)
                 for kind in kinds_for(run.state)]
    delivery = await report(run.id, price_per_segment_fen=sms.price_per_segment_fen, limit=200)
    progress = {kind: dispatches(request).progress.get((run.id, kind)) for kind in KINDS}
    sending = any(dispatches(request).running(run.id, kind) for kind in KINDS)
    lang = language(request)

    def reason(code: int | None, stored: str) -> str:
        try:
            return Msg(f"notify.code.{code}").text(lang) if code is not None else stored
        except KeyError:
            return stored

    return render(request, "notices.html", {"run": run, "estimates": estimates, "delivery": delivery,
                                            "progress": progress, "sending": sending, "fates": FATES, "reason": reason})


async def _start(request: Request, actor: Actor, resend: bool) -> Response:
    run = await access.run_for(actor, int(request.path_params["run_id"]))
    access.require(actor, "notices.send")
    form = await request.form()
    kind = forms.choice(form.get("kind"), "kind", KINDS)
    app = request.app.state
    if resend:
        await resend_failed(run.id, kind, actor.username, app.clock)
    else:
        await prepare(run.id, kind, actor.username, app.clock, max_segments=app.settings.sms.max_segments)
    dispatches(request).start(run.id, kind, actor.username, app.sender, app.settings.sms, app.clock)
    return redirect(f"/runs/{run.id}/notices")


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
