"""County pages for auditors and administrators: every village at a glance, runs across
villages, one village's books and their verification, anomalies, scheme versions."""
from __future__ import annotations

import asyncio
import tempfile
from dataclasses import replace
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from dividends import access, anomalies, overview, todo
from dividends.access import Actor
from dividends.clock import today
from dividends.web import forms
from dividends.web.auth import page
from dividends.web.i18n import STATE_NAMES, language, t
from dividends.web.render import fragments, problem_rows, render
from dividends.web.svg import bar_chart, histogram

PAGE_SIZE = 100


def scope(actor: Actor) -> list[int] | None:
    """The counties an actor reads (None: all of them)."""
    access.require(actor, "county.read")
    return None if actor.county_id is None else [actor.county_id]


def _page_number(request: Request) -> int:
    return forms.integer(request.query_params.get("page", "1"), "page", low=1, high=10**6)


@page
async def county_home(request: Request, actor: Actor) -> Response:
    counties = scope(actor)
    period = request.query_params.get("period")
    data = await overview.county_overview(counties, forms.integer(period, "period", low=2000, high=2100) if period else None)
    lang = language(request)
    number = _page_number(request)
    key = ("county", tuple(counties or ()), data.version, data.period, lang, request.url.query)
    body = fragments.render(request, key, "county_body.html", lambda: {
        "data": data, "villages": data.villages[(number - 1) * PAGE_SIZE:number * PAGE_SIZE], "page": number,
        "pages": max(1, -(-len(data.villages) // PAGE_SIZE)), "charts": {
            "villages": bar_chart([(f"{v.name} {v.code}"[:24], v.posted_fen) for v in data.top],
                                  title=t(lang, "county.chart_villages", count=len(data.top)),
                                  unit=t(lang, "county.unit_yuan")),
            "households": histogram([(b.low_fen, b.high_fen, b.count) for b in data.histogram],
                                    title=t(lang, "county.chart_households"),
                                    x_unit=t(lang, "county.axis_amount"), y_unit=t(lang, "county.axis_households"),
                                    zero_label=t(lang, "county.nothing"))}})
    items = await todo.todo(actor, today(request.app.state.clock))
    return render(request, "county.html", {"body": body, "data": data, "todo": items})


@page
async def county_runs(request: Request, actor: Actor) -> Response:
    counties = scope(actor)
    state = request.query_params.get("state") or None
    if state is not None:
        state = forms.choice(state, "state", list(STATE_NAMES))
    number = _page_number(request)
    rows, total = await overview.county_runs(counties, state=state, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE)
    return render(request, "county_runs.html", {"rows": rows, "total": total, "state": state, "page": number,
                                                "pages": max(1, -(-total // PAGE_SIZE)),
                                                "today": today(request.app.state.clock), "states": list(STATE_NAMES)})


@page
async def county_village(request: Request, actor: Actor) -> Response:
    scope(actor)
    village = await access.village_for(actor, request.path_params["code"])
    data = await overview.village_page(village)
    return render(request, "county_village.html", {"village": village, "data": data})


@page
async def verify_village(request: Request, actor: Actor) -> Response:
    scope(actor)
    village = await access.village_for(actor, request.path_params["code"])
    result = await overview.verify_village(village, language(request))
    return render(request, "verify.html", {"village": village, "result": result, "run": None})


@page
async def verify_pack(request: Request, actor: Actor) -> Response:
    """Verify an audit pack file the auditor uploads (changes nothing)."""
    scope(actor)
    form = await request.form(max_files=1)
    try:
        with tempfile.TemporaryDirectory(prefix="pack-") as tmp:
            path = await forms.save_upload(form, "pack", Path(tmp))
            assert path is not None
            result = await asyncio.to_thread(overview.verify_uploaded_pack, path)  # parsing off the event loop
    finally:
        await form.close()
    lang = language(request)
    unreadable = any(p.msg.key in ("pack.bad_manifest", "pack.format") for p in result.problems)
    problems = [replace(p, file=p.file or path.name) for p in result.problems] if unreadable else result.problems
    return render(request, "verify_pack.html", {"result": result, "problems": problem_rows(problems, lang)},
                  status=400 if unreadable else 200)


@page
async def anomalies_page(request: Request, actor: Actor) -> Response:
    counties = scope(actor)
    found = await anomalies.find_anomalies(counties, today(request.app.state.clock))
    return render(request, "anomalies.html", {"found": found, "threshold": anomalies.PHONE_THRESHOLD,
                                              "late_after": anomalies.LATE_AFTER})


@page
async def schemes_page(request: Request, actor: Actor) -> Response:
    scope(actor)
    versions = await overview.scheme_versions()
    return render(request, "schemes.html", {"versions": versions})


@page
async def scheme_diff(request: Request, actor: Actor) -> Response:
    scope(actor)
    versions = [v for v in await overview.scheme_versions() if v.scheme_id == request.path_params["scheme_id"]]
    if not versions:
        raise access.NotAllowed(request.path_params["scheme_id"])
    by_version = {v.version: v for v in versions}
    q = request.query_params
    a = forms.integer(q.get("a", str(versions[0].version)), "a", low=1)
    b = forms.integer(q.get("b", str(versions[-1].version)), "b", low=1)
    if a not in by_version or b not in by_version:
        raise access.NotAllowed(f"{a},{b}")
    lines = overview.scheme_diff(by_version[a], by_version[b], language(request))
    return render(request, "scheme_diff.html", {"scheme_id": versions[0].scheme_id, "versions": versions, "a": a, "b": b,
                                                "lines": lines})


ROUTES = [
    Route("/county", county_home, methods=["GET"]),
    Route("/county/runs", county_runs, methods=["GET"]),
    Route("/county/villages/{code}", county_village, methods=["GET"]),
    Route("/county/villages/{code}/verify", verify_village, methods=["GET"]),
    Route("/county/verify-pack", verify_pack, methods=["POST"]),
    Route("/county/anomalies", anomalies_page, methods=["GET"]),
    Route("/county/schemes", schemes_page, methods=["GET"]),
    Route("/county/schemes/{scheme_id}/diff", scheme_diff, methods=["GET"]),
]
