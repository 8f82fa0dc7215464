"""Rendering pages and errors: one Jinja environment, the helpers every template may use, and
the mapping of domain errors to HTTP answers (pages or JSON)."""
from __future__ import annotations

import base64
import hashlib
import re
from collections import OrderedDict
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.templating import Jinja2Templates

from dividends.access import Actor, Forbidden, NotAllowed
from dividends.clock import CHINA
from dividends.outbox.fates import fate_label, kind_label
from dividends.period_inputs import event_text
from dividends.web.i18n import (FIELD_NAMES, LANGUAGE_NAMES, PROVIDER_NAMES, OBJECTION_NAMES, ROLE_NAMES, STATE_NAMES, STATUS_NAMES, field_value, language,
                                named, t)
from dividends.web.security import csrf_token
from schemes.i18n import Msg, gettext_callables
from schemes.money import MoneyFormatError, format_yuan
from schemes.problems import InputError, Problem

TEMPLATES = Path(__file__).with_name("templates")
CONFLICT_KEYS = ("run.illegal", "run.same_person", "run.open_objections", "run.notice_running", "run.objection_closed",
                 "run.pending_results", "run.unpaid", "run.unpaid_reason", "return.used", "run.nothing_to_pay", "run.no_account", "bank.already")


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, trim_blocks=True,
                             lstrip_blocks=True, undefined=jinja2.StrictUndefined,
                             extensions=["jinja2.ext.i18n"])  # {% trans "key" %}English{% endtrans %}
    env.filters["yuan"] = lambda fen: format_yuan(int(fen or 0))
    env.filters["day"] = _day
    env.filters["signed_yuan"] = lambda fen: ("+" if int(fen or 0) > 0 else "") + format_yuan(int(fen or 0))
    return env


def _day(value: date | datetime | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def asset_label(asset: str, lang: str) -> str:
    """A recorded asset's name; the stored default (no name given) in the words the SMS uses."""
    from dividends.outbox.content import DEFAULT_ASSET
    from dividends.outbox.messages import phrase
    return phrase("outbox.project.default", lang) if not asset or asset == DEFAULT_ASSET else asset


def account_label(account: str, lang: str) -> str:
    """An account id of any preset scheme by its label (a site's own account: its id)."""
    from dividends.overview import scheme_choices
    for choice in scheme_choices():
        if account in choice.scheme.accounts:
            return choice.scheme.accounts[account].label.text(lang)
    return account


def _context(request: Request) -> dict[str, Any]:
    lang = language(request)
    actor: Actor | None = getattr(request.state, "actor", None)
    session = request.scope.get("session")

    def tr(key: str, /, **params: object) -> str:
        return t(lang, key, **params)

    def url_with(**params: object) -> str:
        query = dict(request.query_params)
        query.update({k: str(v) for k, v in params.items() if v is not None})
        return request.url.path + "?" + urlencode(query)

    return {
        **gettext_callables(lang),
        "lang": lang,
        "t": tr,
        "actor": actor,
        "csrf": csrf_token(session) if session is not None else "",
        "state_name": lambda s: named(STATE_NAMES, s, lang),
        "role_name": lambda r: named(ROLE_NAMES, r, lang),
        "status_name": lambda s: named(STATUS_NAMES, s, lang),
        "objection_name": lambda s: named(OBJECTION_NAMES, s, lang),
        "language_name": lambda code: named(LANGUAGE_NAMES, code, lang),
        "provider_name": lambda p: named(PROVIDER_NAMES, p, lang),
        "fate_name": lambda f: fate_label(f, lang),
        "kind_name": lambda k: kind_label(k, lang),
        "field_name": lambda f: named(FIELD_NAMES, f, lang),
        "field_value": lambda f, v: field_value(f, v, lang),
        "event_text": lambda row: event_text(row, lang),
        "account_name": lambda a: account_label(a, lang),
        "asset_name": lambda a: asset_label(a, lang),
        "url_with": url_with,
        "path": request.url.path,
        "query": request.url.query,
        "other_lang": "en" if lang == "zh" else "zh",
        "msg": lambda key, **params: Msg(key, **params).text(lang),
    }


templates = Jinja2Templates(env=_environment(), context_processors=[_context])


def render(request: Request, name: str, context: dict[str, Any] | None = None, status: int = 200) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context or {}, status_code=status)


class FragmentCache:
    """Rendered page parts that depend only on data (never on who asks), by key: the key must
    hold everything the part shows, the data version included. Least recently used go first."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self.parts: OrderedDict[tuple[Any, ...], Markup] = OrderedDict()

    def render(self, request: Request, key: tuple[Any, ...], name: str, context: Callable[[], dict[str, Any]]) -> Markup:
        """The part under ``key``, rendered from ``context()`` only when it is not cached."""
        part = self.parts.get(key)
        if part is None:
            part = Markup(templates.get_template(name).render({**_context(request), **context()}))
            self.parts[key] = part
            while len(self.parts) > self.size:
                self.parts.popitem(last=False)
        else:
            self.parts.move_to_end(key)
        return part


fragments = FragmentCache()


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def problem_rows(problems: tuple[Problem, ...] | list[Problem], lang: str) -> list[dict[str, str]]:
    from dividends.web.feedback import web_msg
    return [{"where": p.where(lang), "message": web_msg(p.msg).text(lang), "file": p.file or "",
             "row": str(p.row if p.row is not None else p.line if p.line is not None else ""), "column": p.column or ""}
            for p in problems]


def input_status(error: InputError) -> int:
    return 409 if any(p.msg.key in CONFLICT_KEYS for p in error.problems) else 400


def error_response(request: Request, status: int, key: str, problems: list[dict[str, str]] | None = None) -> Response:
    lang = language(request)
    if wants_json(request):
        body: dict[str, Any] = {"error": t(lang, key)}
        if problems is not None:
            body["problems"] = problems
        return JSONResponse(body, status_code=status)
    back = request.headers.get("referer", "")
    back_path = back if back.startswith(str(request.base_url)) else "/"
    return render(request, "error.html", {"status": status, "message": t(lang, key), "problems": problems or [],
                                          "back": back_path}, status=status)


async def on_input_error(request: Request, exc: Exception) -> Response:
    """A page form's mistake: the same page again, the form kept and each problem beside its
    field (:mod:`dividends.web.feedback`); otherwise the error page or JSON."""
    assert isinstance(exc, InputError)
    lang = language(request)
    if not wants_json(request):
        from dividends.web.feedback import page_again
        again = await page_again(request, list(exc.problems), input_status(exc))
        if again is not None:
            return again
    return error_response(request, input_status(exc), "error.400", problem_rows(exc.problems, lang))


async def on_money_error(request: Request, exc: Exception) -> Response:
    from schemes.i18n import Msg
    return await on_input_error(request, InputError([Problem(Msg("compute.amount_invalid", found=str(exc)))]))


async def on_not_allowed(request: Request, exc: Exception) -> Response:
    return error_response(request, 404, "error.404")


async def on_forbidden(request: Request, exc: Exception) -> Response:
    """403 with the refusal's own words under the general line: which role may not do what,
    and which roles may (the words the run page shows beside a disabled button)."""
    problems = problem_rows([Problem(exc.msg)], language(request)) if isinstance(exc, Forbidden) else None
    return error_response(request, 403, "error.403", problems)


async def on_http_error(request: Request, exc: Exception) -> Response:
    status = int(getattr(exc, "status_code", 500))
    key = {404: "error.404", 403: "error.403", 405: "error.400"}.get(status, "error.400" if status < 500 else "error.500")
    return error_response(request, status, key)


async def on_server_error(request: Request, exc: Exception) -> Response:
    return error_response(request, 500, "error.500")


EXCEPTION_HANDLERS: dict[Any, Any] = {
    InputError: on_input_error,
    MoneyFormatError: on_money_error,
    NotAllowed: on_not_allowed,
    Forbidden: on_forbidden,
}

_STYLE = re.compile(r"<style>(.*?)</style>", re.S)


def hashed_style_csp(html: str) -> str:
    """A CSP that allows exactly the inline ``<style>`` blocks of ``html`` (by their hashes),
    for self-contained printable pages."""
    hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(m.encode('utf-8')).digest()).decode()}'"
                      for m in _STYLE.findall(html))
    return (f"default-src 'none'; style-src {hashes}; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
            "frame-ancestors 'none'")
