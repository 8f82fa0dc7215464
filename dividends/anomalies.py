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
from dividends.store.queries import fetch
from dividends.store import carryover as carryover_store
from dividends.overview import carry_over_accounts, china_date, county_filter, scheme_of_text
from notify.privacy import mask_phone

PHONE_THRESHOLD = 3
LATE_AFTER = (3, 31)
POSTED_SQL = "r.state IN ('approved', 'paid', 'closed') AND r.kind != 'reversal'"


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
    where, args = county_filter(county_ids)
    base = ("FROM allocation_line a JOIN run r ON r.id = a.run_id JOIN village v ON v.id = r.village_id "
            "JOIN household h ON h.snapshot_id = r.snapshot_id AND h.household_id = a.recipient_id "
            f"WHERE a.recipient_kind = 'household' AND a.amount_fen > 0 AND {POSTED_SQL} AND {where}")
    rows = await fetch(f"SELECT r.period, h.id_number, v.code, h.household_id, r.id AS run_id, a.amount_fen {base} "
                       f"AND h.id_number IN (SELECT h.id_number {base} GROUP BY r.period, h.id_number "
                       "HAVING COUNT(DISTINCT r.village_id) > 1) ORDER BY r.period, h.id_number, v.code, h.household_id",
                       *args, *args)
    groups: dict[tuple[int, str], list[tuple[str, str, int, int]]] = {}
    for r in rows:
        groups.setdefault((r["period"], r["id_number"]), []).append((r["code"], r["household_id"], r["run_id"], int(r["amount_fen"])))
    return [DoublePayment(period, mask_id_number(idn), tuple(lines)) for (period, idn), lines in groups.items()
            if len({v for v, *_ in lines}) > 1]


async def shared_phones(county_ids: Sequence[int] | None, threshold: int = PHONE_THRESHOLD) -> list[SharedPhone]:
    where, args = county_filter(county_ids)
    newest = ("s.version = (SELECT MAX(s2.version) FROM registry_snapshot s2 WHERE s2.village_id = s.village_id "
              "AND s2.period = s.period)")
    base = (f"FROM household h JOIN registry_snapshot s ON s.id = h.snapshot_id JOIN village v ON v.id = s.village_id "
            f"WHERE h.phone != '' AND {newest} AND {where}")
    rows = await fetch(f"SELECT s.period, h.phone, v.code, h.household_id {base} AND h.phone IN "
                       f"(SELECT h.phone {base} GROUP BY s.period, h.phone HAVING COUNT(*) >= ?) "
                       "ORDER BY s.period, h.phone, v.code, h.household_id", *args, *args, threshold)
    groups: dict[tuple[int, str], list[tuple[str, str]]] = {}
    for r in rows:
        groups.setdefault((r["period"], r["phone"]), []).append((r["code"], r["household_id"]))
    return [SharedPhone(period, mask_phone(phone), tuple(h)) for (period, phone), h in groups.items() if len(h) >= threshold]


async def late_payouts(county_ids: Sequence[int] | None, today: date) -> list[LatePayout]:
    where, args = county_filter(county_ids)
    rows = await fetch("SELECT r.id, v.code, r.period, r.state, r.paid_at FROM run r JOIN village v ON v.id = r.village_id "
                       f"WHERE r.kind != 'reversal' AND r.state NOT IN ('reversed', 'cancelled') AND {where} ORDER BY r.period, v.code, r.id",
                       *args)
    out = []
    for r in rows:
        due = deadline(r["period"])
        paid = china_date(r["paid_at"])
        end = paid or today
        if end > due:
            out.append(LatePayout(r["id"], r["code"], r["period"], r["state"], due, paid, (end - due).days))
    return out


async def parked_money(county_ids: Sequence[int] | None) -> list[ParkedMoney]:
    where, args = county_filter(county_ids)
    rows = await fetch("SELECT r.id, v.code, r.period, s.text, a.recipient_id, a.amount_fen FROM allocation_line a "
                       "JOIN run r ON r.id = a.run_id JOIN village v ON v.id = r.village_id "
                       "JOIN scheme_version s ON s.id = r.scheme_id "
                       f"WHERE a.recipient_kind = 'account' AND a.amount_fen > 0 AND {POSTED_SQL} AND {where} "
                       "ORDER BY v.code, r.id, a.recipient_id", *args)
    parked = [r for r in rows if r["recipient_id"] in carry_over_accounts(scheme_of_text(r["text"]))]
    arrived = await carryover_store.arrived_sources({int(r["id"]) for r in parked})  # brought forward: not parked
    return [ParkedMoney(r["code"], r["id"], r["period"], r["recipient_id"], int(r["amount_fen"])) for r in parked
            if int(r["id"]) not in arrived]


LIVE_REGULAR_SQL = "r.kind = 'regular' AND r.state NOT IN ('cancelled', 'reversed')"


async def double_bookings(county_ids: Sequence[int] | None) -> list[DoubleBooking]:
    where, args = county_filter(county_ids)
    rows = await fetch("SELECT v.code, a.id AS return_id, a.period, a.asset, a.amount_fen, r.id AS run_id, r.state "
                       "FROM run r JOIN asset_return a ON a.id = r.asset_return_id JOIN village v ON v.id = r.village_id "
                       f"WHERE {LIVE_REGULAR_SQL} AND {where} AND r.asset_return_id IN (SELECT r.asset_return_id FROM run r "
                       f"WHERE {LIVE_REGULAR_SQL} GROUP BY r.asset_return_id HAVING COUNT(*) > 1) "
                       "ORDER BY v.code, a.period, a.id, r.id", *args)
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
