"""Twilio's webhooks: ``POST /webhooks/twilio/status`` and ``POST /webhooks/twilio/inbound``.

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

The app mounts :func:`webhook_routes`; CSRF checks must exempt ``/webhooks/`` (Twilio signs).
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import cast

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from dividends.clock import Clock, SystemClock
from dividends.outbox.callbacks import apply_status
from dividends.outbox.inbound import handle_inbound
from dividends.outbox.messages import phrase
from notify.settings import INBOUND_PATH, STATUS_CALLBACK_PATH
from notify.twilio_sender import SIGNATURE_HEADER, TWIML_MEDIA_TYPE, validate_signature

log = logging.getLogger(__name__)


def _public_url(request: Request, path: str) -> str:
    query = request.url.query
    return request.app.state.settings.public_base_url.rstrip("/") + path + (f"?{query}" if query else "")


async def _signed_form(request: Request, path: str) -> Mapping[str, str] | None:
    """The form fields when the signature is right, else ``None`` (refuse with 403)."""
    settings = request.app.state.settings
    signature = request.headers.get(SIGNATURE_HEADER)
    if not signature or settings.sms.auth_token is None:
        return None
    form: FormData = await request.form()
    if any(not isinstance(value, str) for _, value in form.multi_items()):
        return None  # Twilio posts plain form fields, never files
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


async def status_callback(request: Request) -> Response:
    form = await _signed_form(request, STATUS_CALLBACK_PATH)
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
    form = await _signed_form(request, INBOUND_PATH)
    if form is None:
        return _forbidden(request)
    try:
        twiml = await handle_inbound(form, _clock(request))
    except ValueError as exc:
        return PlainTextResponse(phrase("webhook.bad_request", _lang(request), detail=str(exc)), status_code=400)
    return Response(twiml, media_type=TWIML_MEDIA_TYPE)


def webhook_routes() -> list[Route]:
    return [
        Route(STATUS_CALLBACK_PATH, status_callback, methods=["POST"], name="twilio_status"),
        Route(INBOUND_PATH, inbound_message, methods=["POST"], name="twilio_inbound"),
    ]
