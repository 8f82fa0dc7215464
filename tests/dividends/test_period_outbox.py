"""Period statements through the outbox (issue 10, item 5): one notice per (village, period,
household), prepared idempotently, superseded (when never tried) by a newer run of the period,
released and sent at most once; who may do it; the CLI; the notices page."""
from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from dividends import period_statement as ps
from dividends import runs
from dividends.clock import FixedClock
from dividends.imports import import_registry
from dividends.outbox.dispatcher import dispatch
from dividends.refusals import Forbidden
from dividends.store.models import AuditEvent, Notice
from dividends.usecases import notices
from notify.settings import SmsSettings
from schemes.money import format_yuan
from schemes.problems import InputError
from support.fake_sender import FakeSender
from tests.dbsupport import clean_db, database_url, db  # noqa: F401  (fixtures)
from tests.dividends.support import sample_files
from tests.people import cli, person

pytestmark = pytest.mark.db

SMS = SmsSettings(backend="console", public_base_url="https://dividends.example.org", rate_per_second=1000)
KIND = "period_statement"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2025, 1, 6, 2, 0, tzinfo=UTC))


async def three_runs(tmp_path: Path, clock: FixedClock) -> list[runs.Run]:
    reg = sample_files(tmp_path / "reg", households=12, villages=1, seed=3)
    await import_registry(reg.households, period=2024, actor="accountant", posts=reg.posts, members=reg.members,
                          reference_date=date(2025, 1, 1))
    made = []
    for asset, amount in (("光伏电站", "12000"), ("乡村旅游", "3000"), ("茶园", "900")):
        run = await runs.create_run("V0001", 2024, "shareholding", "accountant", amount_yuan=amount, asset=asset)
        await runs.compute_run(run.id, "accountant", clock)
        made.append(run)
    return made


async def stored(kind: str = KIND) -> list[tuple[int, str, str, str]]:
    return sorted(await Notice.filter(kind=kind).values_list("run_id", "household_id", "status", "body"))


async def test_prepared_once_per_household_superseded_by_a_newer_run_and_sent_once(
        clean_db, clock: FixedClock, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pv, tour, tea = await three_runs(tmp_path, clock)
    acc = await person("acc1", "accountant", village="V0001")
    for run in (pv, tour):
        await runs.publicize(run.id, date(2025, 1, 6), date(2025, 1, 12), "accountant", clock)
    with pytest.raises(InputError):  # the tea run's households have not been told: not from there
        await notices.prepare(acc.actor, tea.id, KIND, clock)
    first = await notices.prepare(acc.actor, pv.id, KIND, clock)  # from any told run of the period
    period = await ps.period_of("V0001", 2024)
    households = {line.row.household_id: line for line in period.lines}
    assert first.run_id == tour.id  # anchored on the newest told run
    assert first.created == len(households) and first.existing == 0
    rows = await stored()
    assert {(r[0], r[1]) for r in rows} == {(tour.id, h) for h in households}  # one per (period, household)
    for _, h, status, body in rows:
        if status == "queued" and households[h].row.lang == "zh":
            assert f"合计{format_yuan(households[h].total_fen)}元" in body
    again = await notices.prepare(acc.actor, tour.id, KIND, clock)
    assert again.created == 0 and again.existing == len(households) and await stored() == rows

    # the tea run is publicized: preparing again anchors on it and replaces the unsent ones
    await runs.publicize(tea.id, date(2025, 1, 6), date(2025, 1, 12), "accountant", clock)
    later = await notices.prepare(acc.actor, tour.id, KIND, clock)
    assert later.run_id == tea.id
    newer = {line.row.household_id: line for line in (await ps.period_of("V0001", 2024)).lines}
    now = await stored()
    left_on_tour = [r for r in now if r[0] == tour.id]
    assert any(r[2] == "queued" for r in rows)
    assert left_on_tour == [r for r in rows if r[2] != "queued"]  # never-tried ones superseded, the rest stay
    assert {r[1] for r in now if r[0] == tea.id} == set(newer)
    event = await AuditEvent.filter(action="notice.prepare", object_id=str(tea.id)).first()
    assert event is not None and event.detail["superseded"] == sum(1 for r in rows if r[2] == "queued")

    # released and sent once by the dispatcher; a second dispatch sends nothing
    sender = FakeSender(clock=clock.now)
    assert await notices.release(acc.actor, tea.id, KIND, clock) == sum(1 for r in now if r[0] == tea.id
                                                                         and r[2] == "queued")
    done = await dispatch(sender, SMS, clock, run_id=tea.id, kind=KIND, concurrency=2)
    queued_texts = [r for r in now if r[0] == tea.id and r[2] == "queued"]
    assert done.sent == len(queued_texts) > 0
    assert sorted(m.sms.body for m in sender.messages) == sorted(r[3] for r in queued_texts)
    assert (await dispatch(sender, SMS, clock, run_id=tea.id, kind=KIND)).sent == 0
    assert len(sender.messages) == len(queued_texts)
    # sent ones are never superseded: preparing again adds nothing
    assert (await notices.prepare(acc.actor, tea.id, KIND, clock)).created == 0


async def test_who_may_prepare_period_statements_and_the_cli(clean_db, clock: FixedClock, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pv, tour, _ = await three_runs(tmp_path, clock)
    committee = await person("com1", "committee", village="V0001")
    outsider = await person("acc2", "accountant", village="V0002")
    acc = await person("acc1", "accountant", village="V0001")
    with pytest.raises(InputError) as none_told:
        await notices.prepare_period(acc.actor, "V0001", 2024, clock)
    assert none_told.value.problems[0].msg.key == "outbox.period_none"
    await runs.publicize(pv.id, date(2025, 1, 6), date(2025, 1, 12), "accountant", clock)
    with pytest.raises(Forbidden):
        await notices.prepare_period(committee.actor, "V0001", 2024, clock)
    refused = cli(outsider, "notify", "period-statement", "V0001", "2024", "--prepare", env={"DATABASE_URL": clean_db})
    assert refused.returncode != 0 and await stored() == []
    done = cli(acc, "notify", "period-statement", "V0001", "2024", "--prepare", env={"DATABASE_URL": clean_db})
    assert done.returncode == 0, done.stderr
    rows = await stored()
    assert rows and {r[0] for r in rows} == {pv.id}
    assert str(len(rows)) in done.stdout
    twice = cli(acc, "notify", "period-statement", "V0001", "2024", "--prepare", env={"DATABASE_URL": clean_db})
    assert twice.returncode == 0 and await stored() == rows
