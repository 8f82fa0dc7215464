"""The villagers' decision and both disclosures on the web: return a run (驳回), the township's
review and filing, the photo of the posted notice, the result notice after payment. Each route
calls one use-case (:mod:`dividends.usecases.runs`, :mod:`dividends.usecases.publicity`)."""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from dividends.access import Actor
from dividends.usecases import publicity as publicity_cases
from dividends.usecases import runs as run_cases
from dividends.usecases import scope
from dividends.web import forms
from dividends.web.auth import page
from dividends.web.i18n import language
from dividends.web.render import hashed_style_csp, redirect

MAX_PHOTO = publicity_cases.MAX_EVIDENCE


@page
async def return_run(request: Request, actor: Actor) -> Response:
    run_id = int(request.path_params["run_id"])
    await scope.precheck(actor, "run.return", run_id=run_id)
    form = await request.form()
    await run_cases.return_run(actor, run_id, forms.text(form, "reason"), request.app.state.clock)
    return redirect(f"/runs/{run_id}")


@page
async def review(request: Request, actor: Actor) -> Response:
    run_id = int(request.path_params["run_id"])
    await scope.precheck(actor, "run.review", run_id=run_id)
    form = await request.form()
    await run_cases.review(actor, run_id, filing_number=forms.text(form, "filing_number", required=False, limit=64),
                           note=forms.text(form, "note", required=False), clock=request.app.state.clock)
    return redirect(f"/runs/{run_id}#decision")


@page
async def evidence(request: Request, actor: Actor) -> Response:
    run_id = int(request.path_params["run_id"])
    await scope.precheck(actor, "publicity.evidence", run_id=run_id)  # before reading the upload
    form = await request.form(max_files=1, max_part_size=MAX_PHOTO + 1)
    try:
        upload = forms.upload(form, "photo")
        data = await upload.read()
        await publicity_cases.attach_evidence(actor, run_id, upload.filename, data, request.app.state.clock)
    finally:
        await form.close()
    return redirect(f"/runs/{run_id}#evidence")


@page
async def evidence_file(request: Request, actor: Actor) -> Response:
    run_id = int(request.path_params["run_id"])
    item, data = await publicity_cases.evidence_file(actor, run_id, request.path_params["sha"][:64])
    headers = {"content-disposition": f'inline; filename="{item["kind"]}-{item["sha256"][:12]}"',
               "x-content-type-options": "nosniff"}
    if item["media_type"] == "text/html":
        headers["content-security-policy"] = hashed_style_csp(data.decode("utf-8", "replace"))
    else:
        headers["content-security-policy"] = "default-src 'none'; img-src 'self'; frame-ancestors 'none'"
    return Response(data, media_type=item["media_type"], headers=headers)


@page
async def result_notice(request: Request, actor: Actor) -> Response:
    run_id = int(request.path_params["run_id"])
    await scope.precheck(actor, "publicity.result", run_id=run_id)
    html, _ = await publicity_cases.record_result_notice(actor, run_id, language(request), request.app.state.clock)
    return HTMLResponse(html, headers={"content-security-policy": hashed_style_csp(html)})


ROUTES = [
    Route("/runs/{run_id:int}/return", return_run, methods=["POST"]),
    Route("/runs/{run_id:int}/review", review, methods=["POST"]),
    Route("/runs/{run_id:int}/evidence", evidence, methods=["POST"]),
    Route("/runs/{run_id:int}/evidence/{sha}", evidence_file, methods=["GET"]),
    Route("/runs/{run_id:int}/result-notice", result_notice, methods=["POST"]),
]
