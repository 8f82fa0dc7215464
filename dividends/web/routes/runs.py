"""A payout run, step by step: compute, the household table, the public notice, publicity and
objections, approval, bank files and results, closing, SMS notices, verification."""
from __future__ import annotations

import tempfile
from datetime import timedelta
from typing import Any
from pathlib import Path
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from dividends import access, overview, publicity, runs
from dividends.usecases import objections as objection_cases
from dividends.usecases import payments, reading, scope
from dividends.usecases import publicity as publicity_cases
from dividends.approval import ApprovalRules
from dividends.usecases import runs as run_cases
from dividends.access import Actor
from dividends.clock import today
from dividends.files import load_formats
from dividends.store.files import file_name, get_file
from dividends.web import forms
from dividends.web.auth import page
from dividends.villages import document_language
from dividends.web.i18n import language, t
from dividends.files import receipt_pdf
from notify.privacy import mask_account
from dividends.web.render import hashed_style_csp, redirect, render

PAGE_SIZE = 50


async def _run(request: Request, actor: Actor) -> runs.Run:
    return await access.run_for(actor, int(request.path_params["run_id"]))


@page
async def run_view(request: Request, actor: Actor) -> Response:
    run = await _run(request, actor)
    lang = language(request)
    data = await overview.run_page(run, lang)
    formats = [(f, fmt.name.text(lang)) for f, fmt in sorted(load_formats().items())]
    payees = await payments.payee_corrections(actor, run.id)
    cash = await payments.cash_payments(actor, run.id)
    people = await overview.display_names([run.prepared_by, run.approved_by, *(c.approved_by for c in payees),
                                           *(c.prepared_by for c in payees),
                                           *(str(c[k]) for c in cash for k in ("prepared_by", "approved_by") if c[k])])
    summary = await overview.approval_summary(run, lang)
    return render(request, "run.html", {"run": run, "data": data, "formats": formats, "people": people, "summary": summary,
                                        "today": today(request.app.state.clock),
                                        "decisions": await run_cases.decisions(actor, run.id),
                                        "evidence": await publicity_cases.evidence(actor, run.id),
                                        "blockers": await run_cases.blockers(actor, run.id, request.app.state.clock),
                                        "rules": ApprovalRules.from_env(), "sms_preview": await sms_preview(request, run),
                                        "closing": (await payments.closing(actor, run.id)
                                                    if run.state == "paid" and actor.may("run.close") else None),
                                        "payees": payees, "policy": (run.manifest or {}).get("policy"),
                                        "debts": await overview.outstanding_debts(run),
                                        "unpaid": (await payments.payee_households(actor, run.id)
                                                   if run.state == "paid" and actor.may("payee.correct") else []),
                                        "cash": cash,
                                        "no_account": await run_cases.without_account(actor, run.id),
                                        "cash_owed": await payments.cash_owed(actor, run.id),
                                        "mask_account": mask_account,
                                        "reversal": await run_cases.reversal(actor, run.id),
                                        "correction_schemes": overview.scheme_choices() if run.state == "reversed" else ()})



async def sms_preview(request: Request, run: Any) -> list[tuple[str, Any]]:
    """The exact text the run's households get by SMS now (per kind and language, through the
    configured provider), as the notices page estimates it."""
    from dividends.outbox.prepare import estimate, preview
    from dividends.web.routes.notices import kinds_for
    from notify.settings import channel_of, provider_templates
    sms = request.app.state.settings.sms
    channel = channel_of(sms)
    out: list[tuple[str, Any]] = []
    # a computed run shows the publicity text it will send; an approved one the one it sent
    kinds = kinds_for(run.state)
    if run.state in ("computed", "approved") and "publicity" not in kinds:
        kinds = ("publicity", *kinds)
    for kind in kinds:
        found = await estimate(run.id, kind, price_per_segment_fen=sms.price_per_segment_fen, max_segments=sms.max_segments,
                               clock=request.app.state.clock, channel=channel, templates=provider_templates(sms))
        samples = [s for s in found.samples if s.provider == channel.provider and not s.error]
        if not samples and kind == "publicity":  # never prepared (or nothing left to prepare): render one per language
            planned = today(request.app.state.clock) + timedelta(days=request.app.state.settings.publicity_min_days)
            samples = [s for s in await preview(run.id, kind, channel=channel, deadline=planned) if not s.error]
        out += [(kind, s) for s in samples]
    return out


@page
async def lines_view(request: Request, actor: Actor) -> Response:
    run = await _run(request, actor)
    q = request.query_params.get("q", "")[:64]
    number = forms.integer(request.query_params.get("page", "1"), "page", low=1, high=10**6)
    rows, total = await overview.run_lines(run, q, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE)
    scheme = overview.run_scheme(run)
    return render(request, "lines.html", {"run": run, "rows": rows, "total": total, "q": q, "page": number,
                                          "pages": max(1, -(-total // PAGE_SIZE)), "steps": scheme.steps,
                                          "accounts": {k: a.label.text(language(request)) for k, a in scheme.accounts.items()}})


@page
async def cash_list(request: Request, actor: Actor) -> Response:
    run = await _run(request, actor)
    rows = await payments.cash_list(actor, run.id)
    if request.url.path.endswith(".pdf"):
        if not receipt_pdf.available():  # no fpdf2 or no CJK font: the print view only
            return Response(status_code=404)
        lang = language(request)
        heads = [t(lang, k) for k in ("col.household", "col.head", "cash.id_number", "col.total", "cash.signature", "cash.date")]
        body = receipt_pdf.receipt_list(f"{t(lang, 'cash.title')} · {run.village.name} {run.period}", heads, rows,
                                        t(lang, "cash.total", count=len(rows)))
        return Response(body, media_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="cash-list-{run.id}.pdf"'})
    return render(request, "cash_list.html", {"run": run, "rows": rows, "total_fen": sum(int(r["amount_fen"]) for r in rows),
                                              "pdf": receipt_pdf.available()})


@page
async def compute(request: Request, actor: Actor) -> Response:
    run_id = int(request.path_params["run_id"])
    await run_cases.compute(actor, run_id, request.app.state.clock)
    return redirect(f"/runs/{run_id}")


@page
async def publicize(request: Request, actor: Actor) -> Response:
    run_id = int(request.path_params["run_id"])
    await scope.precheck(actor, "run.publicize", run_id=run_id)
    form = await request.form()
    start, end = forms.day(form.get("start"), "start"), forms.day(form.get("end"), "end")
    await run_cases.publicize(actor, run_id, start, end, request.app.state.clock,
                              request.app.state.settings.publicity_min_days)
    return redirect(f"/runs/{run_id}")


@page
async def notice(request: Request, actor: Actor) -> Response:
    """The printable public notice (self-contained HTML; its inline style is allowed by hash)."""
    run = await _run(request, actor)
    if run.state == "draft":
        raise access.NotAllowed(run.id)
    # a document posted in the village: its own language unless this page asks for one (?lang=)
    asked = request.query_params.get("lang")
    lang = language(request) if asked else await document_language(run.village_id)
    html = await publicity.notice_html(run.id, lang, request.app.state.clock)
    return HTMLResponse(html, headers={"content-security-policy": hashed_style_csp(html)})


@page
async def record_objection(request: Request, actor: Actor) -> Response:
    run_id = int(request.path_params["run_id"])
    await scope.precheck(actor, "objection.record", run_id=run_id)
    form = await request.form()
    await objection_cases.record(actor, run_id, forms.text(form, "household_id", limit=64), forms.text(form, "text"),
                                 channel="web", clock=request.app.state.clock)
    return redirect(f"/runs/{run_id}#objections")


@page
async def resolve_objection(request: Request, actor: Actor) -> Response:
    run_id = int(request.path_params["run_id"])
    await scope.precheck(actor, "objection.resolve", run_id=run_id)
    form = await request.form()
    await objection_cases.resolve(actor, int(request.path_params["objection_id"]), forms.text(form, "resolution"),
                                  run_id=run_id, clock=request.app.state.clock)
    return redirect(f"/runs/{run_id}#objections")


@page
async def approve(request: Request, actor: Actor) -> Response:
    run_id = int(request.path_params["run_id"])
    await scope.precheck(actor, "run.approve", run_id=run_id)
    form = await request.form()
    await run_cases.approve(actor, run_id, request.app.state.clock, resolution=forms.resolution(form),
                            cash_without_account=form.get("cash_without_account") == "1")
    return redirect(f"/runs/{run_id}")


@page
async def pay(request: Request, actor: Actor) -> Response:
    run_id = int(request.path_params["run_id"])
    await scope.precheck(actor, "run.pay", run_id=run_id)
    form = await request.form()
    bank_format = forms.choice(form.get("bank_format", "generic"), "bank_format", sorted(load_formats()))
    await payments.pay(actor, run_id, bank_format=bank_format, clock=request.app.state.clock)
    return redirect(f"/runs/{run_id}#batches")


@page
async def batch_file(request: Request, actor: Actor) -> Response:
    run = await _run(request, actor)
    batch = await access.batch_for(actor, run, int(request.path_params["number"]))
    kind = request.path_params["kind"]
    if kind not in ("csv", "xlsx"):
        raise access.NotAllowed(kind)
    digest = batch.csv_file if kind == "csv" else batch.xlsx_file
    media = "text/csv; charset=utf-8" if kind == "csv" else \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    name = await file_name(digest)
    return Response(await get_file(digest), media_type=media, headers={
        "content-disposition": f"attachment; filename=\"batch-{run.id}-{batch.number}.{kind}\"; filename*=UTF-8''{quote(name)}"})


@page
async def bank_result(request: Request, actor: Actor) -> Response:
    run = await _run(request, actor)
    access.require(actor, "run.bank_result")  # before reading an upload the role may not send
    form = await request.form(max_files=1, max_part_size=64 * 1024 * 1024)
    try:
        number = forms.integer(form.get("batch"), "batch", low=1) if form.get("batch") else None
        with tempfile.TemporaryDirectory(prefix="result-") as tmp:
            path = await forms.save_upload(form, "result", Path(tmp))
            assert path is not None
            outcome = await payments.bank_result(actor, run.id, path, batch_number=number, clock=request.app.state.clock)
    finally:
        await form.close()
    # who the bank refused, why, and the way to fix each account: right where the page opens
    return redirect(f"/runs/{run.id}#bank-failures" if outcome.failed else f"/runs/{run.id}#batches")


@page
async def close(request: Request, actor: Actor) -> Response:
    run_id = int(request.path_params["run_id"])
    await scope.precheck(actor, "run.close", run_id=run_id)
    form = await request.form()
    await payments.close(actor, run_id, allow_unpaid=form.get("allow_unpaid") == "1",
                         reason=forms.text(form, "reason", required=False), clock=request.app.state.clock)
    return redirect(f"/runs/{run_id}")


@page
async def correct_payee(request: Request, actor: Actor) -> Response:
    run_id = int(request.path_params["run_id"])
    await scope.precheck(actor, "payee.correct", run_id=run_id)
    form = await request.form()
    await payments.correct_payee(actor, run_id, forms.text(form, "household_id", limit=64), forms.text(form, "account_no", limit=40),
                                 bank=forms.text(form, "bank", required=False, limit=128),
                                 reason=forms.text(form, "reason", required=False))
    return redirect(f"/runs/{run_id}#payees")


@page
async def approve_payee(request: Request, actor: Actor) -> Response:
    run_id = int(request.path_params["run_id"])
    await payments.approve_payee(actor, run_id, int(request.path_params["correction_id"]), clock=request.app.state.clock)
    return redirect(f"/runs/{run_id}#payees")


@page
async def record_cash(request: Request, actor: Actor) -> Response:
    """The accountant records households paid in cash, with the scan of the signed list."""
    run_id = int(request.path_params["run_id"])
    await scope.precheck(actor, "cash.prepare", run_id=run_id)  # before reading the upload
    form = await request.form(max_files=1, max_part_size=publicity_cases.MAX_EVIDENCE + 1)
    try:
        upload = forms.upload(form, "scan")
        await payments.record_cash(actor, run_id, [str(h) for h in form.getlist("household_id")][:10_000],
                                   name=upload.filename, data=await upload.read(),
                                   note=forms.text(form, "note", required=False))
    finally:
        await form.close()
    return redirect(f"/runs/{run_id}#cash")


@page
async def approve_cash(request: Request, actor: Actor) -> Response:
    run_id = int(request.path_params["run_id"])
    await payments.approve_cash(actor, run_id, int(request.path_params["payment_id"]), clock=request.app.state.clock)
    return redirect(f"/runs/{run_id}#cash")


@page
async def reject_cash(request: Request, actor: Actor) -> Response:
    run_id = int(request.path_params["run_id"])
    form = await request.form()
    await payments.reject_cash(actor, run_id, int(request.path_params["payment_id"]),
                               forms.text(form, "reason", required=False), clock=request.app.state.clock)
    return redirect(f"/runs/{run_id}#cash")


@page
async def cash_scan(request: Request, actor: Actor) -> Response:
    run_id, payment_id = int(request.path_params["run_id"]), int(request.path_params["payment_id"])
    kind, data = await payments.cash_scan(actor, run_id, payment_id)
    return Response(data, media_type=kind, headers={"content-disposition": f'inline; filename="cash-{payment_id}"',
                                                    "x-content-type-options": "nosniff"})


@page
async def cancel(request: Request, actor: Actor) -> Response:
    run_id = int(request.path_params["run_id"])
    await scope.precheck(actor, "run.cancel", run_id=run_id)
    form = await request.form()
    await run_cases.cancel(actor, run_id, forms.text(form, "reason"), request.app.state.clock)
    return redirect(f"/runs/{run_id}")


@page
async def reverse(request: Request, actor: Actor) -> Response:
    """Prepare the reversal of a posted run; the page of the reversal awaits a second approver."""
    run_id = int(request.path_params["run_id"])
    await scope.precheck(actor, "run.reverse", run_id=run_id)
    form = await request.form()
    mirror = await run_cases.reverse(actor, run_id, forms.text(form, "reason"), request.app.state.clock)
    return redirect(f"/runs/{mirror.id}")


@page
async def approve_reversal(request: Request, actor: Actor) -> Response:
    run_id = int(request.path_params["run_id"])
    await scope.precheck(actor, "reversal.approve", run_id=run_id)  # the role before the run's kind
    await run_cases.approve_reversal(actor, run_id, request.app.state.clock)
    return redirect(f"/runs/{run_id}")


@page
async def correct(request: Request, actor: Actor) -> Response:
    """A correction run replacing a reversed run (its page opens on the draft)."""
    run_id = int(request.path_params["run_id"])
    await scope.precheck(actor, "run.create", run_id=run_id)
    form = await request.form()
    scheme = forms.choice(form.get("scheme"), "scheme", [c.name for c in overview.scheme_choices()])
    created = await run_cases.correct(actor, run_id, scheme)
    return redirect(f"/runs/{created.id}")


@page
async def verify(request: Request, actor: Actor) -> Response:
    run = await _run(request, actor)
    result = await overview.verify_village(run.village, language(request), run_ids=[run.id])
    return render(request, "verify.html", {"village": run.village, "result": result, "run": run})


@page
async def audit_pack(request: Request, actor: Actor) -> Response:
    run_id = int(request.path_params["run_id"])
    data = await reading.audit_pack(actor, run_id)  # the village's accountant, the county's auditors and admins
    return Response(data, media_type="application/zip",
                    headers={"content-disposition": f'attachment; filename="audit-pack-run-{run_id}.zip"'})


ROUTES = [
    Route("/runs/{run_id:int}", run_view, methods=["GET"]),
    Route("/runs/{run_id:int}/lines", lines_view, methods=["GET"]),
    Route("/runs/{run_id:int}/cash-list", cash_list, methods=["GET"]),
    Route("/runs/{run_id:int}/cash-list.pdf", cash_list, methods=["GET"]),
    Route("/runs/{run_id:int}/compute", compute, methods=["POST"]),
    Route("/runs/{run_id:int}/publicize", publicize, methods=["POST"]),
    Route("/runs/{run_id:int}/notice", notice, methods=["GET"]),
    Route("/runs/{run_id:int}/objections", record_objection, methods=["POST"]),
    Route("/runs/{run_id:int}/objections/{objection_id:int}/resolve", resolve_objection, methods=["POST"]),
    Route("/runs/{run_id:int}/approve", approve, methods=["POST"]),
    Route("/runs/{run_id:int}/pay", pay, methods=["POST"]),
    Route("/runs/{run_id:int}/batches/{number:int}.{kind}", batch_file, methods=["GET"]),
    Route("/runs/{run_id:int}/bank-result", bank_result, methods=["POST"]),
    Route("/runs/{run_id:int}/close", close, methods=["POST"]),
    Route("/runs/{run_id:int}/payees", correct_payee, methods=["POST"]),
    Route("/runs/{run_id:int}/payees/{correction_id:int}/approve", approve_payee, methods=["POST"]),
    Route("/runs/{run_id:int}/cash", record_cash, methods=["POST"]),
    Route("/runs/{run_id:int}/cash/{payment_id:int}/approve", approve_cash, methods=["POST"]),
    Route("/runs/{run_id:int}/cash/{payment_id:int}/reject", reject_cash, methods=["POST"]),
    Route("/runs/{run_id:int}/cash/{payment_id:int}/scan", cash_scan, methods=["GET"]),
    Route("/runs/{run_id:int}/cancel", cancel, methods=["POST"]),
    Route("/runs/{run_id:int}/reverse", reverse, methods=["POST"]),
    Route("/runs/{run_id:int}/approve-reversal", approve_reversal, methods=["POST"]),
    Route("/runs/{run_id:int}/correct", correct, methods=["POST"]),
    Route("/runs/{run_id:int}/verify", verify, methods=["GET"]),
    Route("/runs/{run_id:int}/audit-pack", audit_pack, methods=["GET"]),
]
