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

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from dividends import runs
from dividends.clock import Clock, today
from dividends.outbox import content
from dividends.outbox.messages import phrase
from notify.phones import national
from dividends.outbox.prepare import day_settled
from dividends.store import audit
from dividends.store.models import (
    AllocationLine,
    BankResultLine,
    Household,
    InboundMessage,
    OptOut,
    PayoutItem,
    Run,
)
from dividends.store.transactions import IntegrityError, transaction
from notify.inbound import TWILIO_START_WORDS, TWILIO_STOP_WORDS, Intent, normalise, parse_inbound
from notify.privacy import mask_phone
from notify.texts import render
from notify.twilio_sender import twiml_reply
from schemes.problems import InputError

SEEN_STATES = ("publicized", "approved", "paid", "closed")
_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class Sender:
    """The household behind a phone, and the runs of its registry snapshot it has heard of
    (publicized or later, newest first)."""

    row: content.HouseholdRow
    runs: tuple[Run, ...]

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
    rows = await Household.filter(phone=mobile).order_by("-snapshot_id", "household_id").values_list(
        "snapshot_id", "household_id", "head_name", "phone", "language", "account_no", "bank")
    if not rows:
        return None
    by_snapshot: dict[int, tuple[str, ...]] = {}
    for snapshot_id, *fields in rows:
        by_snapshot.setdefault(snapshot_id, tuple(fields))  # first household id per snapshot
    seen = await Run.filter(snapshot_id__in=list(by_snapshot), kind__in=["regular", "correction"],
                            state__in=list(SEEN_STATES)).order_by("-id").prefetch_related(
        "village", "scheme", "snapshot", "asset_return")
    snapshot_id = seen[0].snapshot_id if seen else rows[0][0]  # type: ignore[attr-defined]
    mine = tuple(r for r in seen if r.snapshot_id == snapshot_id)  # type: ignore[attr-defined]
    return Sender(content.HouseholdRow(*by_snapshot[snapshot_id]), mine)


def _guess_lang(body: str) -> str:
    return "zh" if _CJK.search(body or "") or not (body or "").strip() else "en"


async def handle_inbound(form: Mapping[str, str], clock: Clock) -> str:
    """Record and answer one inbound SMS (its signature already checked); returns TwiML.

    Raises ``ValueError`` when ``MessageSid`` or ``From`` is missing.
    """
    sid = (form.get("MessageSid") or form.get("SmsSid") or "").strip()
    phone = (form.get("From") or "").strip()
    body = form.get("Body") or ""
    if not sid or not phone:
        raise ValueError("an inbound message needs MessageSid and From")
    earlier = await InboundMessage.get_or_none(sid=sid)
    if earlier is not None:
        return twiml_reply(earlier.reply or None)
    intent = parse_inbound(body)
    sender = await find_sender(phone)
    try:
        async with transaction():
            message = await InboundMessage.create(sid=sid, phone=phone[:16], body=body, intent=intent.kind,
                                                  household_id=sender.row.household_id if sender else None)
            reply = await _act(intent, body, phone, sid, sender, message.id, clock)
            await InboundMessage.filter(id=message.id).update(reply=reply)
    except IntegrityError:  # the same message delivered twice at once: answer as the first
        earlier = await InboundMessage.get_or_none(sid=sid)
        if earlier is None:
            raise
        return twiml_reply(earlier.reply or None)
    return twiml_reply(reply or None)


async def _act(intent: Intent, body: str, phone: str, sid: str, sender: Sender | None, message_id: int,
               clock: Clock) -> str:
    lang = sender.row.lang if sender else _guess_lang(body)
    village = (sender.village if sender else "") or phrase("outbox.sender.generic", lang)
    household = sender.row.household_id if sender else None
    word = normalise(body).replace(" ", "")
    if intent.kind in ("opt_out", "opt_in"):
        stop = intent.kind == "opt_out"
        await OptOut.update_or_create(phone=phone[:16], defaults={"opted_out": stop, "source": f"sms:{sid}"[:64]})
        await audit.record(f"sms {mask_phone(phone)}", "sms.opt_out" if stop else "sms.opt_in", "sms_inbound",
                           message_id, household=household, phone=mask_phone(phone))
        if word in (TWILIO_STOP_WORDS if stop else TWILIO_START_WORDS):
            return ""  # Twilio answers its own keywords
        return phrase("outbox.reply.opted_out" if stop else "outbox.reply.opted_in", lang, village=village)
    if sender is None:
        return render("help", lang, content.help_text(village)).body
    if intent.kind == "statement" and sender.runs:
        return await _statement(sender, sender.runs[0], lang)
    if intent.kind == "objection":
        return await _objection(sender, intent.text, sid, phone, village, lang, clock)
    return render("help", lang, content.help_text(village)).body


async def _statement(sender: Sender, run: Run, lang: str) -> str:
    hid = sender.row.household_id
    line = await AllocationLine.filter(run_id=run.id, recipient_kind="household", recipient_id=hid) \
        .values_list("amount_fen", "breakdown")
    amount, breakdown = line[0] if line else (0, None)
    paid_on: date | None = None
    failed = False
    if run.state in ("paid", "closed"):
        items = await PayoutItem.filter(run_id=run.id, household_id=hid).order_by("id").values_list("id", "status",
                                                                                                    "amount_fen")
        paid = [i for i in items if i[1] == "paid"]
        if paid:
            when = await BankResultLine.filter(item_id=paid[-1][0]).values_list("settlement__on", "result__imported_at")
            paid_on = day_settled(when[0][0] or when[0][1] if when else None, run)
        failed = not paid and bool(items) and items[-1][1] == "failed"
    words = await content.run_words(run)
    record = content.statement(words, sender.row, state=run.state, amount_fen=amount, breakdown=breakdown,
                               paid_on=paid_on, failed=failed)
    return render("statement", lang, record).body


async def _objection(sender: Sender, text: str, sid: str, phone: str, village: str, lang: str, clock: Clock) -> str:
    now = today(clock)
    open_runs = [r for r in sender.runs if r.state == "publicized" and r.notice_start and r.notice_end
                 and r.notice_start <= now <= r.notice_end]
    if open_runs:
        run = open_runs[0]
        try:
            await runs.record_objection(run.id, sender.row.household_id, text, channel="sms",
                                        actor=f"sms {mask_phone(phone)}", clock=clock, message_sid=sid)
        except InputError:
            pass  # the period closed or the household is not in that run after all
        else:
            return render("objection_received", lang, content.objection_received(village)).body
    return phrase("outbox.reply.objection_closed", lang, village=village)
