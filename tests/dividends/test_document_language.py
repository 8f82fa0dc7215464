"""Documents follow the village's language setting and each household's own language column,
never the operator's locale (issue 12 item 9)."""
from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from dividends.cli.notifying import nothing_reason
from dividends.clock import FixedClock
from dividends.outbox.prepare import estimate
from dividends.refusals import Forbidden, NotAllowed
from dividends.store.models import AuditEvent, Household
from dividends.usecases import reading, villages
from schemes.problems import InputError
from tests.dbsupport import clean_db, database_url, db  # noqa: F401  (fixtures)
from tests.dividends.test_outbox_support import publicized_run, set_household
from tests.people import cli, person

pytestmark = pytest.mark.db


@pytest.fixture
def c_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    """An operator's machine with no Chinese locale at all (the demo's C.UTF-8 case)."""
    for name in ("LC_ALL", "LC_MESSAGES", "DIVIDENDS_LANG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")


async def test_the_notice_is_in_the_villages_language_whatever_the_locale(clean_db: str, tmp_path: Path, c_locale: None) -> None:  # noqa: F811
    run = await publicized_run(tmp_path, FixedClock(datetime.now(UTC)))
    accountant = await person("acc", "accountant", village="V0001")
    chinese = await reading.notice_html(accountant.actor, run.id)
    assert 'lang="zh-CN"' in chinese
    await villages.set_language(accountant.actor, "V0001", "en")
    english = await reading.notice_html(accountant.actor, run.id)
    assert 'lang="en"' in english
    assert await reading.notice_html(accountant.actor, run.id, "zh") == chinese  # asked for explicitly
    event = await AuditEvent.filter(action="village.update").order_by("-id").first()
    assert event is not None and event.actor == "acc"


async def test_only_the_accountant_or_an_administrator_sets_it_and_only_to_a_known_language(clean_db: str) -> None:  # noqa: F811
    accountant = await person("acc", "accountant", village="V0001")
    committee = await person("com", "committee", village="V0001")
    admin = await person("adm", "admin", county="C-V0001")
    with pytest.raises((NotAllowed, Forbidden)):
        await villages.set_language(committee.actor, "V0001", "en")
    with pytest.raises(InputError) as error:
        await villages.set_language(accountant.actor, "V0001", "fr")
    assert "fr" in error.value.problems[0].msg.text("en")
    assert (await villages.set_language(admin.actor, "V0001", "EN")).language == "en"


async def test_texts_use_the_households_language_else_the_villages(clean_db: str, tmp_path: Path, c_locale: None) -> None:  # noqa: F811
    clock = FixedClock(datetime.now(UTC))
    run = await publicized_run(tmp_path, clock)
    accountant = await person("acc", "accountant", village="V0001")
    await Household.filter(snapshot_id=run.snapshot.id).update(language="")
    first = await Household.filter(snapshot_id=run.snapshot.id).order_by("household_id").first()
    assert first is not None
    await set_household(run, first.household_id, language="en")
    chinese_village = await estimate(run.id, "publicity", clock=clock)
    assert {s.lang for s in chinese_village.samples} == {"zh", "en"}
    await villages.set_language(accountant.actor, "V0001", "en")
    english_village = await estimate(run.id, "publicity", clock=clock)
    assert {s.lang for s in english_village.samples} == {"en"}


async def test_an_estimate_with_nothing_to_send_says_why(clean_db: str, tmp_path: Path) -> None:  # noqa: F811
    clock = FixedClock(datetime.now(UTC))
    run = await publicized_run(tmp_path, clock)
    found = await estimate(run.id, "payment_confirmation", clock=clock)
    assert found.to_send == 0 and found.closed is not None  # a run on notice pays nobody yet
    key, params = nothing_reason(found)
    assert key == "notify.estimate.nothing.closed"
    auditor = await person("aud", "auditor", county="default")
    shown = cli(auditor, "notify", "estimate", str(run.id), "--kind", "payment_confirmation",
                env={"DATABASE_URL": clean_db, "SMS_BACKEND": "console"}, lang="en")
    assert shown.returncode == 0, shown.stderr
    assert "nothing to send: " + found.closed.text("en") in " ".join(shown.stdout.split())


async def test_the_run_list_names_states_and_kinds_in_the_readers_words(clean_db: str, tmp_path: Path) -> None:  # noqa: F811
    run = await publicized_run(tmp_path, FixedClock(datetime.now(UTC)))
    accountant = await person("acc", "accountant", village="V0001")
    zh = cli(accountant, "run", "list", env={"DATABASE_URL": clean_db}, lang="zh")
    assert zh.returncode == 0, zh.stderr
    assert f"{run.id}" in zh.stdout and "公示中" in zh.stdout and "常规" in zh.stdout
    assert "publicized" not in zh.stdout and "regular" not in zh.stdout
    en = cli(accountant, "run", "list", env={"DATABASE_URL": clean_db}, lang="en")
    assert "regular" in en.stdout
