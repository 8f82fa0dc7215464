"""A form sent with a mistake comes back as the same page, the values kept and each problem
beside its field, in the page's language.

When a page form's POST raises :class:`InputError`, :func:`page_again` renders the page the
form was on (its ``Referer``, same origin) again through the router with a GET, then
:func:`mark_form` rewrites the form whose ``action`` is the POST's path: every control gets the
value that was sent (never a password or a file), a control a problem is about gets
``aria-invalid`` and the message right after it, and a summary at the top of ``<main>`` lists
every problem with a link to its field. A problem names its field by the ``field`` parameter of
its message (the form helpers of :mod:`dividends.web.forms` set it) or by its message key
(:data:`KEY_FIELDS`, for the use-cases' own checks); the field's name in a message becomes the
label the page shows for it.

Only the templates' own markup is rewritten (every attribute double-quoted, forms not nested).
"""
from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from markupsafe import Markup, escape
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from dividends.web.i18n import language, t
from schemes.i18n import Msg
from schemes.problems import Problem

#: Message keys of the use-cases' checks -> the form field they are about.
KEY_FIELDS: dict[str, str] = {
    "compute.amount_invalid": "amount",
    "money.invalid": "amount",
    "money.negative": "amount",
    "returns.amount_negative": "amount",
    "run.notice_days": "end",
    "run.notice_order": "end",
    "run.unknown_household": "household_id",
    "objection.unknown_household": "household_id",
    "users.exists": "username",
    "users.password_short": "password",
    "access.scope_village": "village",
    "access.scope_county": "county",
    "access.unknown_village": "village",
    "access.unknown_county": "county",
    "access.username": "username",
    "access.role": "role",
    "bank.unknown_format": "bank_format",
}

#: Messages whose text names a command-line option, and the page's own wording instead.
WEB_KEYS: dict[str, str] = {
    "access.scope_village": "web.form.scope_village",
    "access.scope_county": "web.form.scope_county",
    "users.first_admin": "web.form.first_admin",
}

_SECRET = re.compile(r"pass|csrf|token", re.I)
_FORM = re.compile(r'<form\b[^>]*>.*?</form>', re.S)
_ACTION = re.compile(r'\baction="([^"]*)"')
_CONTROL = re.compile(r'<(input|select|textarea)\b([^>]*)>', re.S)
_ATTR = re.compile(r'([a-zA-Z_:-]+)(?:="([^"]*)")?')
_LABEL = re.compile(r'<label\b[^>]*\bfor="([^"]*)"[^>]*>(.*?)</label>', re.S)
_TAGS = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Placed:
    """One problem on the page: its text, where in a file, and the control it is about."""

    message: str
    where: str
    field: str | None
    anchor: str | None


def field_of(problem: Problem) -> str | None:
    """The form field a problem is about (None: the form as a whole)."""
    named = problem.msg.params.get("field")
    if isinstance(named, str) and named:
        return named
    return KEY_FIELDS.get(problem.msg.key)


def web_msg(msg: Msg, label: str | None = None) -> Msg:
    """The message as a page says it: the page's wording for a command-line one, the field's
    label instead of its name."""
    params = dict(msg.params)
    if label is not None and "field" in params:
        params["field"] = label
    return Msg(WEB_KEYS.get(msg.key, msg.key), **params)


def sent_values(form: FormData | None) -> dict[str, list[str]]:
    """The text values the form sent, by field (no passwords, tokens or files)."""
    values: dict[str, list[str]] = {}
    if form is None:
        return values
    for name, value in form.multi_items():
        if isinstance(value, UploadFile) or _SECRET.search(name):
            continue
        values.setdefault(name, []).append(str(value))
    return values


def _attrs(text: str) -> dict[str, str | None]:
    return {m.group(1).lower(): (html.unescape(m.group(2)) if m.group(2) is not None else None)
            for m in _ATTR.finditer(text)}


def _tag(name: str, attrs: Mapping[str, str | None]) -> str:
    parts = [name] + [k if v is None else f'{k}="{escape(v)}"' for k, v in attrs.items()]
    return "<" + " ".join(parts) + ">"


def _labels(form_html: str) -> dict[str, str]:
    return {m.group(1): " ".join(html.unescape(_TAGS.sub("", m.group(2))).split()) for m in _LABEL.finditer(form_html)}


def download_form(rows: list[dict[str, str]], lang: str, csrf: str) -> Markup:
    """A button that downloads a file's problems as a spreadsheet (empty when no problem is
    about a file): the rows go back to ``/problems.xlsx`` in a hidden field."""
    files = [r["file"] for r in rows if r.get("file")]
    if not files:
        return Markup("")
    data = json.dumps([{k: r.get(k, "") for k in ("file", "row", "column", "message")} for r in rows], ensure_ascii=False)
    return Markup('<form method="post" action="/problems.xlsx" class="download">'
                  f'<input type="hidden" name="csrf_token" value="{escape(csrf)}">'
                  f'<input type="hidden" name="file" value="{escape(files[0])}">'
                  f'<input type="hidden" name="problems" value="{escape(data)}">'
                  f'<button type="submit" class="secondary">{escape(t(lang, "problems.download"))}</button></form>')


def mark_form(page: str, action: str, problems: list[Problem], values: Mapping[str, list[str]],
              lang: str, csrf: str = "") -> str:
    """``page`` with the form posting to ``action`` refilled from ``values`` and each problem
    beside its control, plus a summary of all problems at the top of ``<main>``."""
    forms = [m for m in _FORM.finditer(page) if (a := _ACTION.search(m.group(0))) and html.unescape(a.group(1)) == action]
    wanted = {f for p in problems if (f := field_of(p))}
    placed: list[Placed] = []
    if forms:
        match = forms[0]
        form_html = match.group(0)
        labels = _labels(form_html)
        found: dict[str, tuple[str, str]] = {}  # field -> (control id, label)
        out: list[str] = []
        pos = 0
        for control in _CONTROL.finditer(form_html):
            kind = control.group(1)
            attrs = _attrs(control.group(2))
            name = attrs.get("name") or ""
            ctype = (attrs.get("type") or "text").lower()
            end = control.end()
            if kind in ("select", "textarea"):
                close = form_html.find(f"</{kind}>", end)
                end = close + len(kind) + 3 if close >= 0 else end
            body = form_html[control.end():end - len(kind) - 3] if end > control.end() else ""
            out.append(form_html[pos:control.start()])
            pos = end
            if not name or ctype in ("hidden", "submit", "button"):
                out.append(form_html[control.start():end])
                continue
            # a file or a secret is never sent back, but a problem about it is still shown beside it
            sent = None if ctype in ("file", "password") or _SECRET.search(name) else values.get(name)
            if sent is not None:
                if kind == "input" and ctype in ("checkbox", "radio"):
                    attrs.pop("checked", None)
                    if (attrs.get("value") or "on") in sent:
                        attrs["checked"] = None
                elif kind == "input":
                    attrs["value"] = sent[0]
                elif kind == "textarea":
                    body = str(escape(sent[0]))
                else:
                    body = re.sub(r"\sselected\b", "", body)
                    body = re.sub(r'(<option\b[^>]*\bvalue="' + re.escape(str(escape(sent[0]))) + r'")', r"\1 selected",
                                  body, count=1)
            error = ""
            if name in wanted and name not in found:
                ident = attrs.get("id") or f"field-{name}"
                attrs["id"] = ident
                attrs["aria-invalid"] = "true"
                attrs["aria-describedby"] = f"{ident}-error"
                found[name] = (ident, labels.get(ident, name))
                mine = [p for p in problems if field_of(p) == name]
                error = (f'<span class="field-error" id="{escape(ident)}-error">'
                         + "；".join(str(escape(web_msg(p.msg, found[name][1]).text(lang))) for p in mine) + "</span>")
            out.append(_tag(kind, attrs))
            if kind in ("select", "textarea"):
                out.append(body + f"</{kind}>")
            out.append(error)
        out.append(form_html[pos:])
        page = page[:match.start()] + "".join(out) + page[match.end():]
        for p in problems:
            f = field_of(p)
            ident, label = found.get(f, (None, None)) if f else (None, None)
            placed.append(Placed(web_msg(p.msg, label).text(lang), p.where(lang), f if ident else None, ident))
    else:
        placed = [Placed(web_msg(p.msg).text(lang), p.where(lang), None, None) for p in problems]
    from dividends.web.render import problem_rows
    summary = _summary(placed, lang, kept=bool(forms), download=download_form(problem_rows(problems, lang), lang, csrf))
    at = page.find("<main")
    at = page.find(">", at) + 1 if at >= 0 else 0
    return page[:at] + summary + page[at:]


def _summary(placed: list[Placed], lang: str, *, kept: bool, download: str) -> str:
    items = []
    for p in placed:
        text = (f'<span class="where">{escape(p.where)}：</span>' if p.where else "") + str(escape(p.message))
        items.append(f'<li><a href="#{escape(p.anchor)}">{text}</a></li>' if p.anchor else f"<li>{text}</li>")
    return (f'<div class="problems" role="alert" id="problems"><p>{escape(t(lang, "error.problems", count=len(placed)))}</p>'
            f'<ul>{"".join(items)}</ul>' + (f"<p>{escape(t(lang, 'form.kept'))}</p>" if kept else "") + str(download) + "</div>")


def _same_origin_path(request: Request) -> tuple[str, str] | None:
    referer = request.headers.get("referer", "")
    if not referer:
        return None
    target, base = urlsplit(referer), urlsplit(str(request.base_url))
    if (target.scheme, target.netloc) != (base.scheme, base.netloc) or not target.path.startswith("/"):
        return None
    if target.path.startswith("/api/"):
        return None
    return target.path, target.query


async def page_html(request: Request, path: str, query: str = "") -> str | None:
    """The HTML page at ``path`` as this request's user sees it (rendered through the router
    with a GET, the same session); None when it is not a 200 HTML page."""
    scope: dict[str, Any] = {k: v for k, v in request.scope.items() if k not in ("endpoint", "path_params", "route")}
    scope.update(method="GET", path=path, raw_path=path.encode(), query_string=query.encode(),
                 headers=[(k, v) for k, v in request.scope["headers"] if k not in (b"content-type", b"content-length")])
    started: dict[str, Any] = {}
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            started.update(message)
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await request.app.router(scope, receive, send)
    kind = dict(started.get("headers", [])).get(b"content-type", b"")
    if started.get("status") != 200 or not kind.startswith(b"text/html"):
        return None
    return b"".join(chunks).decode("utf-8")


async def page_again(request: Request, problems: list[Problem], status: int) -> Response | None:
    """The page the form was sent from, again, marked with ``problems`` (None: no such page,
    e.g. no ``Referer``; the caller then shows the error page)."""
    if request.method != "POST":
        return None
    origin = _same_origin_path(request)
    if origin is None:
        return None
    body = await page_html(request, *origin)
    if body is None:
        return None
    form: FormData | None = getattr(request, "_form", None)
    lang = language(request)
    from dividends.web.security import csrf_token
    session = request.scope.get("session")
    csrf = csrf_token(session) if session is not None else ""
    page = mark_form(body, request.url.path, problems, sent_values(form), lang, csrf)
    return HTMLResponse(page, status_code=status)
