"""Village pages: home, registry import with its report and diff, asset returns, a new run
(scheme choice, description and preview)."""
from __future__ import annotations

import tempfile
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from dividends import access, overview
from dividends.usecases import registry, returns
from dividends.usecases import runs as run_cases
from dividends.access import Actor
from dividends.clock import today
from dividends.web import forms
from dividends.web.auth import page
from dividends.web.i18n import language, t
from dividends.web.render import problem_rows, redirect, render
from schemes.describe import describe
from schemes.money import parse_yuan
from schemes.problems import InputError


def _period_default(request: Request) -> int:
    return today(request.app.state.clock).year - 1


@page
async def home(request: Request, actor: Actor) -> Response:
    if actor.in_village:
        return redirect(f"/villages/{actor.village_code}")
    if actor.may("county.read"):
        return redirect("/county")
    return redirect("/account/tokens")


@page
async def village_home(request: Request, actor: Actor) -> Response:
    village = await access.village_for(actor, request.path_params["code"])
    data = await overview.village_page(village)
    return render(request, "village.html", {"village": village, "data": data})


@page
async def registry_form(request: Request, actor: Actor) -> Response:
    village = await access.village_for(actor, request.path_params["code"])
    access.require(actor, "registry.import")
    return render(request, "registry.html", {"village": village, "period": _period_default(request), "problems": [],
                                             "report": None})


@page
async def registry_import(request: Request, actor: Actor) -> Response:
    village = await access.village_for(actor, request.path_params["code"])
    access.require(actor, "registry.import")
    form = await request.form(max_files=3, max_part_size=64 * 1024 * 1024)
    period = _period_default(request)
    try:
        period = forms.integer(form.get("period"), "period", low=2000, high=2100)
        with tempfile.TemporaryDirectory(prefix="upload-") as tmp:
            directory = Path(tmp)
            households = await forms.save_upload(form, "households", directory)
            members = await forms.save_upload(form, "members", directory, required=False)
            posts = await forms.save_upload(form, "posts", directory, required=False)
            assert households is not None
            report = await registry.import_registry(actor, village.code, households, period=period, members=members,
                                                    posts=posts, reference_date=today(request.app.state.clock))
    except InputError as error:
        return render(request, "registry.html", {"village": village, "period": period, "report": None,
                                                 "problems": problem_rows(error.problems, language(request))}, status=400)
    finally:
        await form.close()
    mine = next(v for v in report.villages if v.village == village.code)
    snapshot = await overview.RegistrySnapshot.get(village=village, period=period, version=mine.version)
    changes = await overview.snapshot_changes(snapshot)
    return render(request, "registry.html", {"village": village, "period": period, "problems": [], "report": mine,
                                             "snapshot": snapshot, "changes": changes})


@page
async def snapshot_view(request: Request, actor: Actor) -> Response:
    village = await access.village_for(actor, request.path_params["code"])
    snapshot = await access.snapshot_for(actor, int(request.path_params["snapshot_id"]))
    if snapshot.village.id != village.id:
        raise access.NotAllowed(snapshot.id)
    changes = await overview.snapshot_changes(snapshot)
    return render(request, "snapshot.html", {"village": village, "snapshot": snapshot, "changes": changes})


@page
async def returns_page(request: Request, actor: Actor) -> Response:
    village = await access.village_for(actor, request.path_params["code"])
    data = await overview.village_page(village)
    return render(request, "returns.html", {"village": village, "returns": data.returns,
                                            "period": _period_default(request)})


@page
async def record_return(request: Request, actor: Actor) -> Response:
    village = await access.village_for(actor, request.path_params["code"])
    access.require(actor, "return.record")
    form = await request.form()
    period = forms.integer(form.get("period"), "period", low=2000, high=2100)
    amount = forms.text(form, "amount")
    asset = forms.text(form, "asset", required=False, limit=128) or t(language(request), "returns.default_asset")
    await returns.record(actor, village.code, period, amount, asset, forms.text(form, "note", required=False))
    return redirect(f"/villages/{village.code}/returns")


@page
async def new_run(request: Request, actor: Actor) -> Response:
    """Pick a scheme: every preset with its description; ``?scheme=`` previews it here."""
    village = await access.village_for(actor, request.path_params["code"])
    access.require(actor, "run.create")
    lang = language(request)
    q = request.query_params
    period = forms.integer(q.get("period", str(_period_default(request))), "period", low=2000, high=2100)
    choices = overview.scheme_choices()
    chosen = q.get("scheme")
    preview = None
    problems: list[dict[str, str]] = []
    if chosen:
        chosen = forms.choice(chosen, "scheme", [c.name for c in choices])
        data = await overview.village_page(village)
        returns = [r for r in data.returns if r.period == period]
        amount = parse_yuan(q["amount"]) if q.get("amount") else (returns[0].amount_fen if len(returns) == 1 else 0)
        try:
            preview = await overview.preview_scheme(village, period, chosen, amount, reference=today(request.app.state.clock))
        except InputError as error:
            problems = problem_rows(error.problems, lang)
    described = {c.name: describe(c.scheme, lang) for c in choices}
    return render(request, "run_new.html", {"village": village, "period": period, "choices": choices,
                                            "described": described, "chosen": chosen, "preview": preview,
                                            "problems": problems}, status=400 if problems else 200)


@page
async def create_run(request: Request, actor: Actor) -> Response:
    village = await access.village_for(actor, request.path_params["code"])
    access.require(actor, "run.create")
    form = await request.form()
    period = forms.integer(form.get("period"), "period", low=2000, high=2100)
    scheme = forms.choice(form.get("scheme"), "scheme", [c.name for c in overview.scheme_choices()])
    run = await run_cases.create(actor, village.code, period, scheme)
    return redirect(f"/runs/{run.id}")


ROUTES = [
    Route("/", home, methods=["GET"]),
    Route("/villages/{code}", village_home, methods=["GET"]),
    Route("/villages/{code}/registry", registry_form, methods=["GET"]),
    Route("/villages/{code}/registry", registry_import, methods=["POST"]),
    Route("/villages/{code}/registry/{snapshot_id:int}", snapshot_view, methods=["GET"]),
    Route("/villages/{code}/returns", returns_page, methods=["GET"]),
    Route("/villages/{code}/returns", record_return, methods=["POST"]),
    Route("/villages/{code}/runs/new", new_run, methods=["GET"]),
    Route("/villages/{code}/runs", create_run, methods=["POST"]),
]
