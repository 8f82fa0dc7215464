"""Village pages: home, registry import with its report and diff, asset returns, a new run
(scheme choice, description and preview)."""
from __future__ import annotations

import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from dividends import access, overview, todo
from dividends.usecases import payments, registry, returns
from dividends.usecases import runs as run_cases
from dividends.usecases import villages as village_cases
from notify.privacy import mask_account
from dividends.access import Actor
from dividends.clock import today
from dividends.web import forms
from dividends.web.auth import page
from dividends.registry.columns import header_of
from dividends.registry.mapping import SPECS, ColumnMapping
from dividends.registry.template import CSV_KINDS as TEMPLATE_KINDS
from dividends.registry.template import template_file
from dividends.web.i18n import language, t
from dividends.web.render import problem_rows, redirect, render
from schemes.describe import describe
from schemes.plain import plain_steps
from schemes.money import parse_yuan
from schemes.problems import InputError, Problem


def _period_default(request: Request) -> int:
    return today(request.app.state.clock).year - 1


@page
async def home(request: Request, actor: Actor) -> Response:
    if actor.in_village:
        return redirect(f"/villages/{actor.village_code}")
    if actor.may("county.read"):
        return redirect("/county")
    if actor.in_township:  # the township's reviewer: its villages and the plans waiting for review
        villages = list(await access.villages_query(actor).order_by("code"))
        items = await todo.todo(actor, today(request.app.state.clock))
        return render(request, "township.html", {"villages": villages, "todo": items})
    return redirect("/account/tokens")


@page
async def village_home(request: Request, actor: Actor) -> Response:
    village = await access.village_for(actor, request.path_params["code"])
    data = await overview.village_page(village)
    items = await todo.todo(actor, today(request.app.state.clock))
    return render(request, "village.html", {"village": village, "data": data, "todo": items})


MAPPING_ROWS = 6


def _column_choices(lang: str) -> list[tuple[str, str]]:
    """``kind:column`` -> its label, for the mapping step's choices."""
    out: list[tuple[str, str]] = []
    for kind in ("households", "members", "posts"):
        kind_label = t(lang, f"registry.kind.{kind}")
        for column in SPECS[kind]:
            label = column.zh if lang == "zh" else column.name.replace("_", " ")  # no internal ids on a Chinese page
            out.append((f"{kind}:{column.name}", f"{kind_label} · {label}"))
    return out


def _unknown_rows(problems: Iterable[Problem], names: dict[str, str]) -> list[dict[str, str]]:
    """The headers nothing recognised (from warnings or errors), each with its first suggestion,
    as rows of the mapping step."""
    kinds = {name: kind for kind, name in names.items()}
    rows: dict[str, dict[str, str]] = {}
    for problem in problems:
        described = problem.msg.params.get("unknown") or problem.msg.params.get("headers") or ()
        if isinstance(described, str) or not all(isinstance(d, str) for d in described):
            continue
        kind = kinds.get(problem.file or "", "households")
        for text in described:
            header = header_of(text)
            guess = text.split(" (→ ", 1)[1].split("/")[0].split(" ")[-1].rstrip("?)") if " (→ " in text else ""
            rows.setdefault(header, {"header": header, "column": f"{kind}:{guess}" if guess else ""})
    return list(rows.values())


def _mapping_of(form: Any, lang: str) -> ColumnMapping:
    """The mapping step's rows: header text and ``kind:column`` (empty rows skipped)."""
    entries: list[tuple[str, str, str]] = []
    choices = {value for value, _ in _column_choices("en")}
    for n in range(MAPPING_ROWS * 2):
        header = forms.text(form, f"map_header_{n}", required=False, limit=200).strip()
        target = str(form.get(f"map_column_{n}") or "")
        if not header or not target:
            continue
        target = forms.choice(target, t(lang, "registry.mapping.column"), sorted(choices))
        kind, column = target.split(":", 1)
        entries.append((kind, header, column))
    return ColumnMapping(tuple(entries))


async def _registry_page(request: Request, actor: Actor, village: Any, period: int, *, status: int = 200,
                         **context: Any) -> Response:
    lang = language(request)
    remembered = await registry.county_mapping(actor, village.code)
    rows = list(context.pop("unknown", []))
    rows += [{"header": "", "column": ""}] * max(0, MAPPING_ROWS - len(rows))
    values = {"village": village, "period": period, "problems": [], "report": None, "notes": [], "warnings": [],
              "remembered": [(h, c, k) for k, h, c in remembered.entries], "mapping_rows": rows[:MAPPING_ROWS * 2],
              "column_choices": _column_choices(lang), **context}
    return render(request, "registry.html", values, status=status)


@page
async def registry_form(request: Request, actor: Actor) -> Response:
    village = await access.village_for(actor, request.path_params["code"])
    access.require(actor, "registry.import")
    return await _registry_page(request, actor, village, _period_default(request))


@page
async def registry_template(request: Request, actor: Actor) -> Response:
    """The blank template to fill in: the workbook, or one kind's CSV."""
    await access.village_for(actor, request.path_params["code"])
    kind = forms.choice(request.query_params.get("kind", "workbook"), "kind", ["workbook", *TEMPLATE_KINDS])
    file = template_file(kind, language(request))  # type: ignore[arg-type]
    return Response(file.data, media_type=file.content_type, headers={
        "content-disposition": f"attachment; filename*=UTF-8''{quote(file.name)}"})


@page
async def registry_import(request: Request, actor: Actor) -> Response:
    village = await access.village_for(actor, request.path_params["code"])
    access.require(actor, "registry.import")
    form = await request.form(max_files=4, max_part_size=64 * 1024 * 1024)
    period = _period_default(request)
    lang = language(request)
    names: dict[str, str] = {}
    mapping = ColumnMapping()
    try:
        period = forms.integer(form.get("period"), "period", low=2000, high=2100)
        mapping = _mapping_of(form, lang)
        with tempfile.TemporaryDirectory(prefix="upload-") as tmp:
            directory = Path(tmp)
            households = await forms.save_upload(form, "households", directory)
            members = await forms.save_upload(form, "members", directory, required=False)
            posts = await forms.save_upload(form, "posts", directory, required=False)
            events = await forms.save_upload(form, "events", directory, required=False)
            assert households is not None
            names = {k: p.name for k, p in (("households", households), ("members", members), ("posts", posts),
                                            ("events", events)) if p}
            report = await registry.import_registry(actor, village.code, households, period=period, members=members,
                                                    posts=posts, reference_date=today(request.app.state.clock),
                                                    mapping=mapping or None, events=events)
    except InputError as error:
        return await _registry_page(request, actor, village, period, status=400,
                                    problems=problem_rows(error.problems, lang),
                                    unknown=_unknown_rows(error.problems, names) + _rows_of(mapping))
    finally:
        await form.close()
    mine = next(v for v in report.villages if v.village == village.code)
    snapshot = await access.snapshot_for(actor, mine.snapshot_id)  # type: ignore[arg-type]
    changes = await overview.snapshot_changes(snapshot)
    return await _registry_page(request, actor, village, period, report=mine, snapshot=snapshot, changes=changes,
                                events=await overview.snapshot_events(snapshot),
                                withdrawable=report.import_id is not None, notes=problem_rows(report.notes, lang),
                                warnings=problem_rows(report.warnings, lang),
                                unknown=_unknown_rows(report.warnings, names))


def _rows_of(mapping: ColumnMapping) -> list[dict[str, str]]:
    return [{"header": h, "column": f"{k}:{c}"} for k, h, c in mapping.entries]


@page
async def registry_withdraw(request: Request, actor: Actor) -> Response:
    """Withdraw the import that made this version, when no run uses it (recorded, not deleted)."""
    village = await access.village_for(actor, request.path_params["code"])
    snapshot = await access.snapshot_for(actor, int(request.path_params["snapshot_id"]))
    if snapshot.village.id != village.id:
        raise access.NotAllowed(snapshot.id)
    access.require(actor, "registry.withdraw")
    form = await request.form()
    await registry.withdraw(actor, snapshot.registry_import_id, forms.text(form, "reason", limit=500),  # type: ignore[attr-defined]
                            request.app.state.clock)
    return redirect(f"/villages/{village.code}")


@page
async def snapshot_view(request: Request, actor: Actor) -> Response:
    village = await access.village_for(actor, request.path_params["code"])
    snapshot = await access.snapshot_for(actor, int(request.path_params["snapshot_id"]))
    if snapshot.village.id != village.id:
        raise access.NotAllowed(snapshot.id)
    changes = await overview.snapshot_changes(snapshot)
    record = snapshot.registry_import
    withdrawn = f"{record.withdrawn_by} · {record.withdrawn_reason}" if record.withdrawn_at else ""
    payee_changes = await payments.corrections_not_in_registry(actor, snapshot)
    return render(request, "snapshot.html", {"village": village, "snapshot": snapshot, "changes": changes,
                                             "events": await overview.snapshot_events(snapshot),
                                             "payee_changes": payee_changes, "mask_account": mask_account,
                                             "withdrawn": withdrawn, "may_withdraw": actor.may("registry.withdraw")})


@page
async def returns_page(request: Request, actor: Actor) -> Response:
    village = await access.village_for(actor, request.path_params["code"])
    data = await overview.village_page(village)
    return render(request, "returns.html", {"village": village, "returns": data.returns,
                                            "corrections": await returns.corrections(actor, village.code),
                                            "period": _period_default(request)})


@page
async def correct_return(request: Request, actor: Actor) -> Response:
    village = await access.village_for(actor, request.path_params["code"])
    form = await request.form()
    period = forms.integer(form.get("period"), "period", low=2000, high=2100)
    await returns.correct(actor, village.code, period, forms.text(form, "asset", limit=128), forms.text(form, "amount"),
                          forms.text(form, "reason", required=False))
    return redirect(f"/villages/{village.code}/returns")


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
async def set_language(request: Request, actor: Actor) -> Response:
    """The village's document language (its accountant, or an administrator)."""
    village = await access.village_for(actor, request.path_params["code"])
    form = await request.form()
    await village_cases.set_language(actor, village.code, forms.text(form, "language", limit=8))
    return redirect(f"/villages/{village.code}#documents")


@page
async def new_run(request: Request, actor: Actor) -> Response:
    """Pick a scheme: every preset with its narrative and plain steps; ``?scheme=`` previews it
    here, ``&compare=`` puts a second one beside it (per household and per status)."""
    village = await access.village_for(actor, request.path_params["code"])
    access.require(actor, "run.create")
    lang = language(request)
    q = request.query_params
    period = forms.integer(q.get("period", str(_period_default(request))), "period", low=2000, high=2100)
    choices = overview.scheme_choices()
    names = [c.name for c in choices]
    chosen = q.get("scheme")
    other = q.get("compare") or None
    preview = comparison = None
    problems: list[dict[str, str]] = []
    if chosen:
        chosen = forms.choice(chosen, "scheme", names)
        other = forms.choice(other, "compare", names) if other else None
        data = await overview.village_page(village)
        returns = [r for r in data.returns if r.period == period]
        amount = parse_yuan(q["amount"]) if q.get("amount") else (returns[0].amount_fen if len(returns) == 1 else 0)
        reference = today(request.app.state.clock)
        try:
            preview = await overview.preview_scheme(village, period, chosen, amount, reference=reference)
            if other and other != chosen:
                second = await overview.preview_scheme(village, period, other, amount, reference=reference)
                comparison = overview.compare_previews(preview, second)
        except InputError as error:
            problems = problem_rows(error.problems, lang)
    described = {c.name: describe(c.scheme, lang) for c in choices}
    plain = {c.name: plain_steps(c.scheme, lang) for c in choices}
    narratives = {c.name: overview.narrative(c.scheme.description, lang) for c in choices}
    return render(request, "run_new.html", {"village": village, "period": period, "choices": choices,
                                            "described": described, "plain": plain, "narratives": narratives,
                                            "chosen": chosen, "other": other, "preview": preview,
                                            "comparison": comparison, "compare_limit": COMPARE_ROWS,
                                            "problems": problems}, status=400 if problems else 200)


COMPARE_ROWS = 30  # households listed in a comparison (the largest changes); the status table counts all


@page
async def create_run(request: Request, actor: Actor) -> Response:
    village = await access.village_for(actor, request.path_params["code"])
    access.require(actor, "run.create")
    form = await request.form(max_files=1, max_part_size=16 * 1024 * 1024)
    try:
        period = forms.integer(form.get("period"), "period", low=2000, high=2100)
        scheme = forms.choice(form.get("scheme"), "scheme", [c.name for c in overview.scheme_choices()])
        deductions = None  # the run's deductions file, optional: a recorded input
        with tempfile.TemporaryDirectory(prefix="upload-") as tmp:
            path = await forms.save_upload(form, "deductions", Path(tmp), required=False)
            if path is not None:
                deductions = (path.name, path.read_bytes())
        run = await run_cases.create(actor, village.code, period, scheme, deductions=deductions)
    finally:
        await form.close()
    return redirect(f"/runs/{run.id}")


ROUTES = [
    Route("/", home, methods=["GET"]),
    Route("/villages/{code}", village_home, methods=["GET"]),
    Route("/villages/{code}/registry", registry_form, methods=["GET"]),
    Route("/villages/{code}/registry", registry_import, methods=["POST"]),
    Route("/villages/{code}/registry/{snapshot_id:int}", snapshot_view, methods=["GET"]),
    Route("/villages/{code}/registry/template", registry_template, methods=["GET"]),
    Route("/villages/{code}/registry/{snapshot_id:int}/withdraw", registry_withdraw, methods=["POST"]),
    Route("/villages/{code}/returns", returns_page, methods=["GET"]),
    Route("/villages/{code}/returns", record_return, methods=["POST"]),
    Route("/villages/{code}/returns/correct", correct_return, methods=["POST"]),
    Route("/villages/{code}/language", set_language, methods=["POST"]),
    Route("/villages/{code}/runs/new", new_run, methods=["GET"]),
    Route("/villages/{code}/runs", create_run, methods=["POST"]),
]
