"""The JSON API for scripts: the main actions of the pages, the same services and role rules.

Authenticate with ``Authorization: Bearer <token>`` (tokens are made on the "API tokens" page
and stored hashed) or, from the browser, with the session cookie plus the ``X-CSRF-Token``
header on writes. Errors are ``{"error": ..., "problems": [{"where": ..., "message": ...}]}``:
400 bad input, 401 no credentials, 403 the role may not do it, 404 not found or not yours,
409 the run is not in a state that allows it. The description is served at ``/openapi.json``.
"""
from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from starlette.requests import Request
from pydantic import BaseModel
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from dividends import access, anomalies, overview, runs
from dividends.usecases import objections as objection_cases
from dividends.usecases import payments, registry, returns, scope
from dividends.usecases import runs as run_cases
from dividends.access import Actor
from dividends.clock import today
from dividends.files import load_formats
from dividends.web import forms
from dividends.web.auth import api
from dividends.web.i18n import language
from dividends.web import payloads as out
from dividends.web.openapi import Operation, describe
from schemes.i18n import Msg
from schemes.problems import InputError, Problem


def _json(data: BaseModel | dict[str, Any], status: int = 200) -> JSONResponse:
    """The answer, built from its declared type (:mod:`dividends.web.payloads`)."""
    return JSONResponse(data.model_dump(mode="json", by_alias=True) if isinstance(data, BaseModel) else data, status_code=status)


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        data = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise InputError([Problem(Msg("web.form.required", field="JSON body"))]) from None
    if not isinstance(data, dict):
        raise InputError([Problem(Msg("web.form.required", field="JSON object"))])
    return data


def actor_json(a: Actor) -> out.Me:
    return out.Me(username=a.username, role=a.role, village=a.village_code, county=a.county_code)


def run_json(run: runs.Run) -> out.Run:
    return out.Run(id=run.id, village=run.village.code, period=run.period, kind=run.kind, state=run.state,
                   scheme=run.scheme.scheme_id, scheme_version=run.scheme.version, pool_fen=run.pool_fen,
                   lines=run.lines, content_hash=run.content_hash, prepared_by=run.prepared_by,
                   approved_by=run.approved_by, notice_start=run.notice_start, notice_end=run.notice_end)


async def _changed(run_id: int, changed: bool) -> out.RunChanged:
    return out.RunChanged(**dict(run_json(await runs.get_run(run_id))), changed=changed)


@api
async def me(request: Request, actor: Actor) -> Response:
    return _json(actor_json(actor))


@api
async def villages(request: Request, actor: Actor) -> Response:
    rows = await access.villages_query(actor).order_by("code").values_list("code", "name")
    return _json(out.Villages(villages=[out.VillageRef(code=c, name=n) for c, n in rows]))


@api
async def village(request: Request, actor: Actor) -> Response:
    v = await access.village_for(actor, request.path_params["code"])
    data = await overview.village_page(v)
    return _json(out.Village(
        code=v.code, name=v.name, county=v.county.code,
        snapshots=[out.SnapshotRow(id=s.id, period=s.period, version=s.version, households=s.households,
                                   added=s.added, removed=s.removed, changed=s.changed) for s in data.snapshots],
        returns=[out.ReturnRow(period=r.period, asset=r.asset, amount_fen=r.amount_fen) for r in data.returns],
        runs=[out.RunRow(id=r.id, period=r.period, state=r.state, kind=r.kind, pool_fen=r.pool_fen) for r in data.runs]))


@api
async def record_return(request: Request, actor: Actor) -> Response:
    await scope.precheck(actor, "return.record", village=request.path_params["code"])
    data = out.parse_json(out.ReturnIn, await request.body())
    row = await returns.record(actor, request.path_params["code"], data.period, data.amount_yuan, data.asset or "asset",
                               data.note)
    return _json(out.ReturnRow(period=row.period, asset=row.asset, amount_fen=row.amount_fen), 201)


@api
async def correct_return(request: Request, actor: Actor) -> Response:
    await scope.precheck(actor, "return.correct", village=request.path_params["code"])
    data = out.parse_json(out.ReturnCorrectionIn, await request.body())
    row = await returns.correct(actor, request.path_params["code"], data.period, data.asset, data.amount_yuan,
                                data.reason)
    return _json(out.ReturnRow(period=row.period, asset=row.asset, amount_fen=row.amount_fen), 200)


@api
async def create_run(request: Request, actor: Actor) -> Response:
    v = await access.village_for(actor, request.path_params["code"])
    access.require(actor, "run.create")
    data = out.parse_json(out.RunIn, await request.body())
    scheme = forms.choice(data.scheme, "scheme", [c.name for c in overview.scheme_choices()])
    run = await run_cases.create(actor, v.code, data.period, scheme)
    return _json(run_json(run), 201)


@api
async def import_registry(request: Request, actor: Actor) -> Response:
    """multipart/form-data: ``period``, ``households`` (file), optional ``members``, ``posts``,
    ``events``."""
    v = await access.village_for(actor, request.path_params["code"])
    access.require(actor, "registry.import")
    form = await request.form(max_files=4, max_part_size=64 * 1024 * 1024)
    try:
        period = forms.integer(form.get("period"), "period", low=2000, high=2100)
        with tempfile.TemporaryDirectory(prefix="api-upload-") as tmp:
            households = await forms.save_upload(form, "households", Path(tmp))
            assert households is not None
            report = await registry.import_registry(
                actor, v.code, households, period=period, members=await forms.save_upload(form, "members", Path(tmp), required=False),
                posts=await forms.save_upload(form, "posts", Path(tmp), required=False),
                events=await forms.save_upload(form, "events", Path(tmp), required=False),
                reference_date=today(request.app.state.clock))
    finally:
        await form.close()
    mine = next(x for x in report.villages if x.village == v.code)
    return _json(out.RegistryImported(period=period, version=mine.version, households=mine.households, added=mine.added,
                                      removed=mine.removed, changed=mine.changed, unchanged=mine.unchanged,
                                      import_id=report.import_id,
                                      warnings=[w.text(language(request)) for w in report.warnings],
                                      notes=[n.text(language(request)) for n in report.notes], events=mine.events,
                                      events_added=mine.events_added, events_removed=mine.events_removed), 201)


@api
async def bank_result(request: Request, actor: Actor) -> Response:
    """multipart/form-data: ``result`` (the bank's file), optional ``batch``."""
    run = await _transition(request, actor, "run.bank_result")
    form = await request.form(max_files=1, max_part_size=64 * 1024 * 1024)
    try:
        number = forms.integer(form.get("batch"), "batch", low=1) if form.get("batch") else None
        with tempfile.TemporaryDirectory(prefix="api-result-") as tmp:
            path = await forms.save_upload(form, "result", Path(tmp))
            assert path is not None
            outcome = await payments.bank_result(actor, run.id, path, batch_number=number, clock=request.app.state.clock)
    finally:
        await form.close()
    return _json(out.BankResult(batch=outcome.batch, paid=outcome.paid, failed=outcome.failed, changed=outcome.changed), 201)


@api
async def run_detail(request: Request, actor: Actor) -> Response:
    run = await access.run_for(actor, request.path_params["run_id"])
    return _json(run_json(run))


@api
async def run_lines(request: Request, actor: Actor) -> Response:
    run = await access.run_for(actor, request.path_params["run_id"])
    q = request.query_params
    limit = forms.integer(q.get("limit", "100"), "limit", low=1, high=1000)
    offset = forms.integer(q.get("offset", "0"), "offset", low=0, high=10**9)
    rows, total = await overview.run_lines(run, q.get("q", "")[:64], limit=limit, offset=offset)
    return _json(out.Lines(total=total, lines=[out.Line(recipient_kind=r.recipient_kind, recipient_id=r.recipient_id,  # type: ignore[arg-type]
                                                        status=r.status, members=r.members, amount_fen=r.amount_fen,
                                                        breakdown=r.breakdown) for r in rows]))


async def _transition(request: Request, actor: Actor, action: str) -> runs.Run:
    run = await access.run_for(actor, request.path_params["run_id"])
    access.require(actor, action)
    return run


@api
async def compute(request: Request, actor: Actor) -> Response:
    outcome = await run_cases.compute(actor, request.path_params["run_id"], request.app.state.clock)
    return _json(await _changed(outcome.run.id, outcome.changed))


@api
async def publicize(request: Request, actor: Actor) -> Response:
    await scope.precheck(actor, "run.publicize", run_id=request.path_params["run_id"])
    data = out.parse_json(out.PublicizeIn, await request.body())
    outcome = await run_cases.publicize(actor, request.path_params["run_id"], data.start, data.end, request.app.state.clock,
                                        request.app.state.settings.publicity_min_days)
    return _json(await _changed(outcome.run.id, outcome.changed))


@api
async def objection(request: Request, actor: Actor) -> Response:
    await scope.precheck(actor, "objection.record", run_id=request.path_params["run_id"])
    data = out.parse_json(out.ObjectionIn, await request.body())
    row = await objection_cases.record(actor, request.path_params["run_id"], data.household_id, data.text,
                                       channel="web", clock=request.app.state.clock)
    return _json(out.Objection(id=row.id, household_id=row.household_id, status=row.status), 201)


@api
async def approve(request: Request, actor: Actor) -> Response:
    await scope.precheck(actor, "run.approve", run_id=request.path_params["run_id"])
    data = await _body(request)
    outcome = await run_cases.approve(actor, request.path_params["run_id"], request.app.state.clock,
                                      resolution=forms.resolution(data),
                                      cash_without_account=data.get("cash_without_account") in (True, "1", "true"))
    return _json(await _changed(outcome.run.id, outcome.changed))


@api
async def return_run(request: Request, actor: Actor) -> Response:
    await scope.precheck(actor, "run.return", run_id=request.path_params["run_id"])
    data = out.parse_json(out.ReturnRunIn, await request.body())
    run = await run_cases.return_run(actor, request.path_params["run_id"], data.reason, request.app.state.clock)
    return _json(out.RunChanged(**dict(run_json(run)), changed=True))


@api
async def review(request: Request, actor: Actor) -> Response:
    await scope.precheck(actor, "run.review", run_id=request.path_params["run_id"])
    data = out.parse_json(out.ReviewIn, await request.body())
    run = await run_cases.review(actor, request.path_params["run_id"], filing_number=data.filing_number, note=data.note,
                                 clock=request.app.state.clock)
    return _json(out.RunChanged(**dict(run_json(run)), changed=True))


@api
async def pay(request: Request, actor: Actor) -> Response:
    await scope.precheck(actor, "run.pay", run_id=request.path_params["run_id"])
    data = out.parse_json(out.PayIn, await request.body())
    bank_format = forms.choice(data.bank_format, "bank_format", sorted(load_formats()))
    outcome = await payments.pay(actor, request.path_params["run_id"], bank_format=bank_format,
                                 clock=request.app.state.clock)
    run, b = outcome.run, outcome.batch
    if b is None:  # every household owed has no bank account: all paid in cash, no bank file
        return _json(await _changed(run.id, outcome.changed), 201)
    return _json(out.Batch(batch=b.number, items=b.items, total_fen=b.total_fen,
                           csv=f"/runs/{run.id}/batches/{b.number}.csv", xlsx=f"/runs/{run.id}/batches/{b.number}.xlsx"), 201)


@api
async def close(request: Request, actor: Actor) -> Response:
    outcome = await payments.close(actor, request.path_params["run_id"], clock=request.app.state.clock)
    return _json(await _changed(outcome.run.id, outcome.changed))


@api
async def county_overview(request: Request, actor: Actor) -> Response:
    access.require(actor, "county.read")
    period = request.query_params.get("period")
    data = await overview.county_overview(None if actor.county_id is None else [actor.county_id],
                                          forms.integer(period, "period", low=2000, high=2100) if period else None)
    return _json(out.Overview(
        period=data.period, periods=list(data.periods), posted_fen=data.posted_fen, issued_fen=data.issued_fen,
        households=data.households, states=data.states,
        villages=[out.VillageTotals(code=v.code, name=v.name, runs=v.runs, households=v.households,
                                    posted_fen=v.posted_fen, issued_fen=v.issued_fen, last_run=v.last_run,
                                    last_state=v.last_state) for v in data.villages],
        schemes=[out.SchemeTotals(scheme=s.scheme_id, version=s.version, runs=s.runs, villages=s.villages,
                                  posted_fen=s.posted_fen) for s in data.schemes],
        histogram=[out.Bin(low_fen=b.low_fen, high_fen=b.high_fen, count=b.count) for b in data.histogram]))


@api
async def county_anomalies(request: Request, actor: Actor) -> Response:
    access.require(actor, "county.read")
    found = await anomalies.find_anomalies(None if actor.county_id is None else [actor.county_id],
                                           today(request.app.state.clock))
    return _json(out.Anomalies(
        double_payments=[out.DoublePayment(period=d.period, id_number=d.id_number, lines=[
            out.PaidLine(village=v, household=h, run=r, amount_fen=f) for v, h, r, f in d.lines])
            for d in found.double_payments],
        shared_phones=[out.SharedPhone(period=s.period, phone=s.phone, households=[
            out.HouseholdRef(village=v, household=h) for v, h in s.households]) for s in found.shared_phones],
        late_payouts=[out.LatePayout(run=x.run_id, village=x.village, period=x.period, state=x.state,
                                     deadline=x.deadline, paid_on=x.paid_on, days_late=x.days_late)
                      for x in found.late_payouts],
        parked=[out.Parked(village=p.village, run=p.run_id, period=p.period, account=p.account,
                           amount_fen=p.amount_fen) for p in found.parked],
        parked_fen=found.parked_fen,
        double_bookings=[out.DoubleBooking(village=b.village, period=b.period, asset=b.asset, amount_fen=b.amount_fen,
                                           runs=[out.RunStateRef(run=r, state=st) for r, st in b.runs],
                                           **{"return": b.return_id}) for b in found.double_bookings]))


@api
async def verify_village(request: Request, actor: Actor) -> Response:
    access.require(actor, "county.read")
    v = await access.village_for(actor, request.path_params["code"])
    result = await overview.verify_village(v, language(request))
    return _json(out.Verification(village=v.code, ok=result.ok, ledger_entries=result.entries,
                                  ledger_errors=list(result.ledger_errors),
                                  runs=[out.RunVerification(run=r.run_id, state=r.state, ok=r.ok, detail=r.detail)
                                        for r in result.runs]))


OPERATIONS = [
    Operation("GET", "/api/v1/me", me, "the caller", out.Me),
    Operation("GET", "/api/v1/villages", villages, "villages the caller may see", out.Villages),
    Operation("GET", "/api/v1/villages/{code}", village, "a village: registries, returns, runs", out.Village),
    Operation("POST", "/api/v1/villages/{code}/registry", import_registry,
              "import the village's registry for a period (accountant); a file with other villages is refused",
              out.RegistryImported, 201, form=out.RegistryForm),
    Operation("POST", "/api/v1/villages/{code}/returns", record_return,
              "record the village's asset return for a period (accountant)", out.ReturnRow, 201, body=out.ReturnIn),
    Operation("POST", "/api/v1/villages/{code}/returns/correct", correct_return,
              "correct a recorded asset return no run uses yet (accountant; the old value stays in the audit trail)",
              out.ReturnRow, 200, body=out.ReturnCorrectionIn),
    Operation("POST", "/api/v1/villages/{code}/runs", create_run, "create a run with a preset scheme (accountant)",
              out.Run, 201, body=out.RunIn),
    Operation("GET", "/api/v1/villages/{code}/verify", verify_village,
              "verify a village's ledger chain and recompute its runs (auditor, admin)", out.Verification),
    Operation("GET", "/api/v1/runs/{run_id:int}", run_detail, "a run", out.Run),
    Operation("GET", "/api/v1/runs/{run_id:int}/lines", run_lines, "a run's allocation lines", out.Lines,
              query=out.LinesQuery),
    Operation("POST", "/api/v1/runs/{run_id:int}/compute", compute, "compute (accountant)", out.RunChanged,
              conflict=True),
    Operation("POST", "/api/v1/runs/{run_id:int}/publicize", publicize, "start the notice period (accountant)",
              out.RunChanged, body=out.PublicizeIn, conflict=True),
    Operation("POST", "/api/v1/runs/{run_id:int}/objections", objection,
              "record an objection during the notice period (accountant, committee)", out.Objection, 201,
              body=out.ObjectionIn, conflict=True),
    Operation("POST", "/api/v1/runs/{run_id:int}/approve", approve,
              "approve on the villagers' (representatives') meeting resolution (committee; never the preparer; after "
              "the notice period; no open objection; quorum and majority met; bound to the content hash; the "
              "township's review first where the county requires it)",
              out.RunChanged, body=out.ResolutionIn, conflict=True),
    Operation("POST", "/api/v1/runs/{run_id:int}/return", return_run,
              "return a computed or publicized run to be corrected and recomputed (驳回; committee)", out.RunChanged,
              body=out.ReturnRunIn, conflict=True),
    Operation("POST", "/api/v1/runs/{run_id:int}/review", review,
              "record the township's review and filing of the plan (township)", out.RunChanged, body=out.ReviewIn,
              conflict=True),
    Operation("POST", "/api/v1/runs/{run_id:int}/pay", pay, "issue a payout batch and its bank files (accountant)",
              out.Batch, 201, body=out.PayIn, conflict=True),
    Operation("POST", "/api/v1/runs/{run_id:int}/bank-result", bank_result,
              "import the bank's result file for the run's newest (or a given) batch (accountant)", out.BankResult,
              201, form=out.BankResultForm, conflict=True),
    Operation("POST", "/api/v1/runs/{run_id:int}/close", close, "close a paid run (accountant)", out.RunChanged,
              conflict=True),
    Operation("GET", "/api/v1/county/overview", county_overview,
              "totals per village and scheme, run states, household amounts (auditor, admin)", out.Overview,
              query=out.OverviewQuery),
    Operation("GET", "/api/v1/county/anomalies", county_anomalies, "anomalies across the county's villages (auditor, admin)",
              out.Anomalies),
]
OPENAPI = describe(OPERATIONS)


async def openapi(request: Request) -> Response:
    return _json(OPENAPI)


ROUTES = [Route("/openapi.json", openapi, methods=["GET"], include_in_schema=False), *(op.route for op in OPERATIONS)]
