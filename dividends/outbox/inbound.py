"""Replies from households: opt out, opt in, ask for the statement, object, or get help.

:func:`handle_inbound` records every inbound SMS once (by ``MessageSid``: Twilio may deliver a
webhook twice, and the second delivery gets the first one's answer and changes nothing), finds
the household by its phone (``From`` is E.164, the registry holds 11-digit national mobiles),
acts on what :func:`notify.inbound.parse_inbound` reads in it and answers with TwiML:

==========  ======================================================================================
intent      what happens and the answer
==========  ======================================================================================
opt_out     the phone is opted out (``sms_opt_out``); Twilio's own STOP words get an empty
            ``<Response/>`` (Twilio confirms by itself), 退订/TD a short confirmation
opt_in      the opt-out is lifted; START words: empty answer, 订阅: a confirmation
statement   the household's latest run (publicized or later): amount, breakdown and status
objection   the household's latest run in its notice period gets an objection
            (:func:`dividends.runs.record_objection`, channel ``sms``, once per message) and the
            answer confirms it; outside any notice period the answer says so and nothing is recorded
help        a short help text (also for any phone the registry does not know: nothing is then
            recorded against a household)
==========  ======================================================================================
"""
from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from dividends import runs
from dividends.clock import Clock, today
from dividends.outbox import content
from dividends.outbox.messages import phrase
from notify.phones import national
from dividends.outbox.prepare import day_settled
from dividends.store import audit
from dividends.store import notices as store
from dividends.store.transactions import IntegrityError, transaction
from notify.inbound import TWILIO_START_WORDS, TWILIO_STOP_WORDS, Intent, normalise, parse_inbound
from notify.catalog import Channel
from notify.privacy import mask_phone, scrub
from notify.senders import OutgoingSms, Reply, SendError
from notify.senders import Sender as NotifySender
from notify.texts import DEFAULT_CHANNEL, RenderedText, render, render_reply
from notify.twilio_sender import twiml_reply
from schemes.problems import InputError

log = logging.getLogger(__name__)
SEEN_STATES = ("publicized", "approved", "paid", "closed")
_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class Sender:
    """The household behind a phone, and the runs of its registry snapshot it has heard of
    (publicized or later, newest first)."""

    row: content.HouseholdRow
    runs: tuple[Any, ...]
    #: every household of that registry with this phone (one phone may be on several, e.g. an
    #: old couple's household registered with their son's mobile), ``row``'s first
    households: tuple[str, ...] = ()

    @property
    def village(self) -> str:
        run = self.runs[0] if self.runs else None
        return (run.village.name or run.village.code) if run is not None else ""


async def find_sender(phone: str) -> Sender | None:
    """The household with this phone in the newest run that told it anything (or in any
    registry when no such run exists); ``None`` for a phone no registry knows."""
    mobile = national(phone)
    if mobile is None:
        return None
    rows = await store.households_with_phone(mobile)
    if not rows:
        return None
    by_snapshot: dict[int, tuple[str, ...]] = {}
    for snapshot_id, *fields in rows:
        by_snapshot.setdefault(snapshot_id, tuple(fields))  # first household id per snapshot
    seen = await store.runs_told(list(by_snapshot), SEEN_STATES)
    snapshot_id = seen[0].snapshot_id if seen else rows[0][0]  # type: ignore[attr-defined]
    mine = tuple(r for r in seen if r.snapshot_id == snapshot_id)  # type: ignore[attr-defined]
    row = content.HouseholdRow(*by_snapshot[snapshot_id])
    households = tuple(dict.fromkeys(str(r[1]) for r in rows if r[0] == snapshot_id))  # (snapshot, household_id, ...)
    return Sender(row, mine, households)


def _guess_lang(body: str) -> str:
    return "zh" if _CJK.search(body or "") or not (body or "").strip() else "en"


async def handle_inbound(form: Mapping[str, str], clock: Clock) -> str:
    """Record and answer one inbound SMS from Twilio (its signature already checked); returns TwiML.

    Raises ``ValueError`` when ``MessageSid`` or ``From`` is missing.
    """
    sid = (form.get("MessageSid") or form.get("SmsSid") or "").strip()
    phone = (form.get("From") or "").strip()
    if not sid or not phone:
        raise ValueError("an inbound message needs MessageSid and From")
    answer = await answer_inbound(sid, phone, form.get("Body") or "", clock)
    return twiml_reply(answer.text or None)


@dataclass(frozen=True)
class Answer:
    """What to answer a reply with: ``text`` (empty: nothing), the rendered template for a
    template provider, and whether this delivery of the reply is the first (only the first is
    answered by SMS; a provider may push a reply twice)."""

    text: str
    rendered: RenderedText | None
    first: bool
    message_id: int | None = None


async def answer_inbound(sid: str, phone: str, body: str, clock: Clock,
                         channel: Channel = DEFAULT_CHANNEL) -> Answer:
    """Record one inbound SMS once (by its provider id), act on it, and say what to answer."""
    earlier = await store.inbound_reply(sid)
    if earlier is not None:
        return Answer(earlier[1], None, False, earlier[0])
    intent = parse_inbound(body)
    sender = await find_sender(phone)
    try:
        async with transaction():
            message_id = await store.record_inbound(sid, phone, body, intent.kind,
                                                    sender.row.household_id if sender else None)
            rendered = await _act(intent, body, phone, sid, sender, message_id, clock, channel)
            reply = rendered.body if rendered is not None else ""
            await store.set_inbound_reply(message_id, reply)
    except IntegrityError:  # the same message delivered twice at once: answer as the first
        earlier = await store.inbound_reply(sid)
        if earlier is None:
            raise
        return Answer(earlier[1], None, False, earlier[0])
    return Answer(reply, rendered, True, message_id)


async def answer_reply(reply: Reply, clock: Clock, channel: Channel, sender: NotifySender | None) -> Answer:
    """A reply pushed or pulled from a template provider: record and act on it, then (the first
    time only) send the answer through ``sender`` as a template message. A failed answer is
    logged, not retried (the household may write again)."""
    answer = await answer_inbound(reply.sid[:64], reply.phone, reply.body, clock, channel)
    if answer.first and answer.rendered is not None and sender is not None:
        text = answer.rendered
        try:
            await sender.send(OutgoingSms(to=reply.phone, body=text.body, reference=f"reply-{answer.message_id}",
                                          template=text.template, lang=text.lang, params=text.params,
                                          key=f"reply-{answer.message_id}"))
        except SendError as exc:
            log.warning("the answer to inbound message %s was not sent: %s", answer.message_id, scrub(str(exc)))
    return answer


async def _act(intent: Intent, body: str, phone: str, sid: str, sender: Sender | None, message_id: int,
               clock: Clock, channel: Channel = DEFAULT_CHANNEL) -> RenderedText | None:
    lang = sender.row.lang if sender else _guess_lang(body)
    village = (sender.village if sender else "") or phrase("outbox.sender.generic", lang)
    household = sender.row.household_id if sender else None
    word = normalise(body).replace(" ", "")
    if intent.kind in ("opt_out", "opt_in"):
        stop = intent.kind == "opt_out"
        await store.set_opt_out(phone, stop, f"sms:{sid}")
        await audit.record(f"sms {mask_phone(phone)}", "sms.opt_out" if stop else "sms.opt_in", "sms_inbound",
                           message_id, household=household, phone=mask_phone(phone))
        if not channel.profile.templated and word in (TWILIO_STOP_WORDS if stop else TWILIO_START_WORDS):
            return None  # Twilio answers its own keywords
        return render_reply("opt_out_confirmation" if stop else "opt_in_confirmation", lang, village, channel)
    if sender is None:
        return render("help", lang, content.help_text(village), channel=channel)
    if intent.kind == "statement" and sender.runs:
        return await _statement(sender, sender.runs[0], lang, channel)
    if intent.kind == "objection":
        return await _objection(sender, intent.text, sid, phone, village, lang, clock, channel)
    return render("help", lang, content.help_text(village), channel=channel)


async def _statement(sender: Sender, run: Any, lang: str, channel: Channel) -> RenderedText:
    hid = sender.row.household_id
    amount, breakdown = await store.household_line(run.id, hid)
    paid_on: date | None = None
    failed = False
    if run.state in ("paid", "closed"):
        items, when = await store.household_payout(run.id, hid)
        paid = [i for i in items if i[1] == "paid"]
        if paid:
            paid_on = day_settled(when, run)
        failed = not paid and bool(items) and items[-1][1] == "failed"
    words = await content.run_words(run)
    record = content.statement(words, sender.row, state=run.state, amount_fen=amount, breakdown=breakdown,
                               paid_on=paid_on, failed=failed)
    return render("statement", lang, record, channel=channel)


def objecting_household(households: tuple[str, ...], text: str, lang: str) -> tuple[str, str]:
    """Which of the households on one phone an SMS objection is about, and its text as recorded:
    the one whose number the text names, else the first, with a note that the phone is on
    several households (the committee calls back to ask which) instead of a silent guess.

    >>> objecting_household(("V1-01",), "人口数不对", "zh")
    ('V1-01', '人口数不对')
    >>> objecting_household(("V1-01", "V1-02"), "v1-02 人口数不对", "zh")
    ('V1-02', 'v1-02 人口数不对')
    >>> objecting_household(("V1-01", "V1-02"), "人口数不对", "zh")
    ('V1-01', '（此号码登记在多户：V1-01、V1-02，未写明户编号）人口数不对')
    """
    if len(households) <= 1:
        return households[0], text
    upper = text.upper()
    named = [h for h in households if h.upper() in upper]
    if len(named) == 1:
        return named[0], text
    return households[0], phrase("outbox.objection.shared_phone", lang, households="、".join(households)) + text


async def _objection(sender: Sender, text: str, sid: str, phone: str, village: str, lang: str, clock: Clock,
                     channel: Channel) -> RenderedText:
    now = today(clock)
    open_runs = [r for r in sender.runs if r.state == "publicized" and r.notice_start and r.notice_end
                 and r.notice_start <= now <= r.notice_end]
    if open_runs:
        run = open_runs[0]
        household, text = objecting_household(sender.households or (sender.row.household_id,), text, lang)
        try:
            await runs.record_objection(run.id, household, text, channel="sms",
                                        actor=f"sms {mask_phone(phone)}", clock=clock, message_sid=sid)
        except InputError:
            pass  # the period closed or the household is not in that run after all
        else:
            return render("objection_received", lang, content.objection_received(village), channel=channel)
    return render_reply("objection_closed", lang, village, channel)
