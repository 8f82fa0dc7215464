"""What a county auditor looks for across villages: read-only queries, no judgement stored.

==================  ===========================================================================
anomaly             rule
==================  ===========================================================================
double payment      one ID number on a household line paid (amount > 0) by posted runs
                    (approved, paid or closed; not reversed) of two or more villages for the
                    same period
shared phone        one phone number on :data:`PHONE_THRESHOLD` or more households of the
                    newest registries of a period (SMS notices of all of them reach one person)
late payout         a regular or correcting run of period *P* not paid by the deadline:
                    ``LATE_AFTER`` (month, day) of year *P* + 1, 31 March by default (returns
                    of a year are paid out in the first quarter of the next); a run still
                    unpaid after the deadline counts, with its days late so far
parked money        money a posted run put in a carry-over account (the target of a scheme's
                    ``remainder`` step), per village and in total, unless it arrived as the
                    brought-forward input of a live run of the next period (:mod:`dividends.carryover`)
double booking      one asset return booked by two or more live regular runs (any state but
                    cancelled or reversed): the same households paid twice. The use-cases
                    refuse a second live run now; this finds data recorded before that rule
==================  ===========================================================================

Only villages in the auditor's scope are compared (a county auditor never sees another
county's households). ID and phone numbers are returned masked.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from dividends.files import mask_id_number
from dividends.overview import carry_over_accounts, china_date, scheme_of_text
from dividends.store import carryover as carryover_store
from dividends.store import county
from notify.privacy import mask_phone

PHONE_THRESHOLD = 3
LATE_AFTER = (3, 31)


@dataclass(frozen=True)
class DoublePayment:
    period: int
    id_number: str  # masked
    lines: tuple[tuple[str, str, int, int], ...]  # (village, household, run, fen)


@dataclass(frozen=True)
class SharedPhone:
    period: int
    phone: str  # masked
    households: tuple[tuple[str, str], ...]  # (village, household)


@dataclass(frozen=True)
class LatePayout:
    run_id: int
    village: str
    period: int
    state: str
    deadline: date
    paid_on: date | None
    days_late: int


@dataclass(frozen=True)
class ParkedMoney:
    village: str
    run_id: int
    period: int
    account: str
    amount_fen: int


@dataclass(frozen=True)
class DoubleBooking:
    village: str
    period: int
    asset: str
    return_id: int
    amount_fen: int
    runs: tuple[tuple[int, str], ...]  # (run, state)


@dataclass(frozen=True)
class Anomalies:
    double_payments: tuple[DoublePayment, ...]
    shared_phones: tuple[SharedPhone, ...]
    late_payouts: tuple[LatePayout, ...]
    parked: tuple[ParkedMoney, ...]
    double_bookings: tuple[DoubleBooking, ...] = ()

    @property
    def parked_fen(self) -> int:
        return sum(p.amount_fen for p in self.parked)

    @property
    def count(self) -> int:
        return (len(self.double_payments) + len(self.shared_phones) + len(self.late_payouts) + len(self.parked)
                + len(self.double_bookings))


def deadline(period: int) -> date:
    month, day = LATE_AFTER
    return date(period + 1, month, day)


async def double_payments(county_ids: Sequence[int] | None) -> list[DoublePayment]:
    rows = await county.double_payment_rows(county_ids)
    groups: dict[tuple[int, str], list[tuple[str, str, int, int]]] = {}
    for r in rows:
        groups.setdefault((r["period"], r["id_number"]), []).append((r["code"], r["household_id"], r["run_id"], int(r["amount_fen"])))
    return [DoublePayment(period, mask_id_number(idn), tuple(lines)) for (period, idn), lines in groups.items()
            if len({v for v, *_ in lines}) > 1]


async def shared_phones(county_ids: Sequence[int] | None, threshold: int = PHONE_THRESHOLD) -> list[SharedPhone]:
    rows = await county.shared_phone_rows(county_ids, threshold)
    groups: dict[tuple[int, str], list[tuple[str, str]]] = {}
    for r in rows:
        groups.setdefault((r["period"], r["phone"]), []).append((r["code"], r["household_id"]))
    return [SharedPhone(period, mask_phone(phone), tuple(h)) for (period, phone), h in groups.items() if len(h) >= threshold]


async def late_payouts(county_ids: Sequence[int] | None, today: date) -> list[LatePayout]:
    rows = await county.open_run_rows(county_ids)
    out = []
    for r in rows:
        due = deadline(r["period"])
        paid = china_date(r["paid_at"])
        end = paid or today
        if end > due:
            out.append(LatePayout(r["id"], r["code"], r["period"], r["state"], due, paid, (end - due).days))
    return out


async def parked_money(county_ids: Sequence[int] | None) -> list[ParkedMoney]:
    rows = await county.posted_account_rows(county_ids)
    parked = [r for r in rows if r["recipient_id"] in carry_over_accounts(scheme_of_text(r["text"]))]
    arrived = await carryover_store.arrived_sources({int(r["id"]) for r in parked})  # brought forward: not parked
    return [ParkedMoney(r["code"], r["id"], r["period"], r["recipient_id"], int(r["amount_fen"])) for r in parked
            if int(r["id"]) not in arrived]


async def double_bookings(county_ids: Sequence[int] | None) -> list[DoubleBooking]:
    rows = await county.double_booking_rows(county_ids)
    groups: dict[int, list[dict]] = {}  # type: ignore[type-arg]
    for r in rows:
        groups.setdefault(r["return_id"], []).append(r)
    return [DoubleBooking(g[0]["code"], g[0]["period"], g[0]["asset"], rid, int(g[0]["amount_fen"]),
                          tuple((r["run_id"], r["state"]) for r in g)) for rid, g in groups.items()]


async def find_anomalies(county_ids: Sequence[int] | None, today: date, *,
                         phone_threshold: int = PHONE_THRESHOLD) -> Anomalies:
    return Anomalies(tuple(await double_payments(county_ids)), tuple(await shared_phones(county_ids, phone_threshold)),
                     tuple(await late_payouts(county_ids, today)), tuple(await parked_money(county_ids)),
                     tuple(await double_bookings(county_ids)))
