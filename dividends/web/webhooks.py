"""The providers' webhooks: receipts and replies.

Twilio: ``POST /webhooks/twilio/status`` and ``POST /webhooks/twilio/inbound`` (signed).
Aliyun and Tencent Cloud push unsigned JSON, so their URLs carry a secret
(``SMS_WEBHOOK_TOKEN``): ``POST /webhooks/{aliyun|tencent}/{token}/report`` (receipts) and
``.../reply`` (households' replies); an optional ``SMS_WEBHOOK_ALLOW`` list of addresses or
networks applies. Every request is refused before its body is parsed when the token is wrong
(404: the URL does not exist for anyone else), the address is not allowed (403), or the body is
over :data:`MAX_BODY` bytes (413).

Every request must carry a valid ``X-Twilio-Signature``: Twilio's HMAC of the URL it called and
every form field, with the account's auth token. The URL is rebuilt from configuration
(``PUBLIC_BASE_URL`` + the fixed path + the query string, if any), never from what this server
saw behind a proxy. A request that is unsigned, wrongly signed, or arrives while no auth token
is configured gets 403 and changes nothing (the database is not touched).

- status → :func:`dividends.outbox.callbacks.apply_status`, answered 204 (400 without a
  ``MessageSid``/``MessageStatus``);
- inbound → :func:`dividends.outbox.inbound.handle_inbound`, answered with TwiML
  (``application/xml``).

What the endpoints read from ``request.app.state``:

- ``settings``: :class:`dividends.settings.Settings` (``public_base_url``, ``sms.auth_token``);
- ``clock`` (optional): a :class:`dividends.clock.Clock`, the system clock when absent.

The app mounts :func:`webhook_routes`; CSRF checks must exempt ``/webhooks/`` (Twilio signs;
the others carry their token).
"""
from __future__ import annotations

import hmac
import ipaddress
import logging
from collections.abc import Callable, Mapping
from typing import cast
from urllib.parse import parse_qsl

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from dividends.clock import Clock, SystemClock
from dividends.outbox.callbacks import apply_status
from dividends.outbox.inbound import answer_reply, handle_inbound
from dividends.outbox.messages import phrase
from dividends.outbox.receipts import apply_receipt
from notify import aliyun_receipts, tencent_receipts
from notify.senders import Receipt, Reply
from notify.settings import INBOUND_PATH, STATUS_CALLBACK_PATH, channel_of
from notify.twilio_sender import SIGNATURE_HEADER, TWIML_MEDIA_TYPE, validate_signature

log = logging.getLogger(__name__)

#: The largest webhook body read (a provider's push of a few dozen receipts is well under it).
MAX_BODY = 16 * 1024


class _TooLarge(Exception):
    pass


async def _capped_body(request: Request) -> bytes:
    """The body, read no further than :data:`MAX_BODY` bytes (a declared larger length is refused
    before reading)."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > MAX_BODY:
        raise _TooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _public_url(request: Request, path: str) -> str:
    query = request.url.query
    return request.app.state.settings.public_base_url.rstrip("/") + path + (f"?{query}" if query else "")


async def _signed_form(request: Request, path: str) -> Mapping[str, str] | None:
    """The form fields when the signature is right, else ``None`` (refuse with 403)."""
    settings = request.app.state.settings
    signature = request.headers.get(SIGNATURE_HEADER)
    if not signature or settings.sms.auth_token is None:
        return None
    if "multipart" in request.headers.get("content-type", ""):
        return None  # Twilio posts plain form fields, never files
    form = FormData(parse_qsl((await _capped_body(request)).decode("utf-8", "replace"), keep_blank_values=True))
    if not validate_signature(settings.sms.auth_token, _public_url(request, path), cast(Mapping[str, str], form),
                              signature):
        log.warning("refused a webhook with a wrong signature on %s", path)
        return None
    return {key: str(value) for key, value in form.multi_items()}


def _lang(request: Request) -> str:
    return str(getattr(request.app.state.settings, "lang", "zh"))


def _forbidden(request: Request) -> Response:
    return PlainTextResponse(phrase("webhook.forbidden", _lang(request)), status_code=403)


def _clock(request: Request) -> Clock:
    return getattr(request.app.state, "clock", None) or SystemClock()


def _too_large(request: Request) -> Response:
    return PlainTextResponse(phrase("webhook.too_large", _lang(request), limit=MAX_BODY), status_code=413)


async def status_callback(request: Request) -> Response:
    try:
        form = await _signed_form(request, STATUS_CALLBACK_PATH)
    except _TooLarge:
        return _too_large(request)
    if form is None:
        return _forbidden(request)
    try:
        outcome = await apply_status(form, _clock(request))
    except ValueError as exc:
        return PlainTextResponse(phrase("webhook.bad_request", _lang(request), detail=str(exc)), status_code=400)
    if outcome.result == "unknown_sid":
        log.info("status callback for a message no notice holds; ignored")
    return Response(status_code=204)


async def inbound_message(request: Request) -> Response:
    try:
        form = await _signed_form(request, INBOUND_PATH)
    except _TooLarge:
        return _too_large(request)
    if form is None:
        return _forbidden(request)
    try:
        twiml = await handle_inbound(form, _clock(request))
    except ValueError as exc:
        return PlainTextResponse(phrase("webhook.bad_request", _lang(request), detail=str(exc)), status_code=400)
    return Response(twiml, media_type=TWIML_MEDIA_TYPE)


# ----------------------------------------------------------------------------- template providers

#: provider -> (receipt parser, reply parser, the answer the provider expects)
PUSHES: dict[str, tuple[Callable[[bytes], list[Receipt]], Callable[[bytes], list[Reply]], dict[str, object]]] = {
    "aliyun": (aliyun_receipts.parse_report, aliyun_receipts.parse_replies, aliyun_receipts.PUSH_ANSWER),
    "tencent": (tencent_receipts.parse_report, tencent_receipts.parse_replies, tencent_receipts.PUSH_ANSWER),
}


def _allowed(request: Request) -> bool:
    allow = request.app.state.settings.sms.webhook_allow
    if not allow:
        return True
    host = request.client.host if request.client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net) for net in allow)


async def provider_push(request: Request) -> Response:
    """``POST /webhooks/{provider}/{token}/{report|reply}``: checked, then parsed and applied."""
    settings = request.app.state.settings.sms
    provider, what = request.path_params["provider"], request.path_params["what"]
    token = settings.webhook_token.get_secret_value() if settings.webhook_token is not None else ""
    if provider not in PUSHES or what not in ("report", "reply") or not token or not hmac.compare_digest(
            request.path_params["token"].encode(), token.encode()):
        return PlainTextResponse("", status_code=404)
    if not _allowed(request):
        log.warning("refused a %s push from an address outside SMS_WEBHOOK_ALLOW", provider)
        return _forbidden(request)
    try:
        body = await _capped_body(request)
    except _TooLarge:
        return _too_large(request)
    parse_report, parse_replies, answer = PUSHES[provider]
    try:
        items = parse_report(body) if what == "report" else parse_replies(body)
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        return PlainTextResponse(phrase("webhook.bad_request", _lang(request), detail=str(exc)[:200]),
                                 status_code=400)
    clock = _clock(request)
    for item in items:
        if isinstance(item, Receipt):
            await apply_receipt(item, clock)
        else:
            await answer_reply(item, clock, channel_of(settings), getattr(request.app.state, "sender", None))
    return JSONResponse(answer)


def webhook_routes() -> list[Route]:
    return [
        Route(STATUS_CALLBACK_PATH, status_callback, methods=["POST"], name="twilio_status"),
        Route(INBOUND_PATH, inbound_message, methods=["POST"], name="twilio_inbound"),
        Route("/webhooks/{provider}/{token}/{what}", provider_push, methods=["POST"], name="provider_push"),
    ]
