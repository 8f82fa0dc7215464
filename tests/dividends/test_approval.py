"""Issue 8 items 5 and 6: the villagers' resolution (四议两公开), returns (驳回), the township's
review, publicity evidence and the result notice — each rule tried to be broken, through the
use-cases that the web, the API and the CLI all call (SQLite; TEST_DATABASE=postgres too)."""
from __future__ import annotations

import json
import re
import zipfile
from datetime import UTC, date, datetime
from fractions import Fraction
from pathlib import Path

import pytest

from dividends import access, payouts, runs
from dividends.actors import Actor
from dividends.approval import ApprovalRules, Resolution
from dividends.auditpack import build_pack, verify_pack
from dividends.clock import FixedClock
from dividends.hashing import sha256_bytes
from dividends.imports import import_registry
from dividends.refusals import Forbidden, NotAllowed
from dividends.store.models import AllocationLine, LedgerEntry, PayoutItem, RunResolution
from dividends.usecases import publicity
from dividends.usecases import runs as run_cases
from schemes.problems import InputError
from tests.dbsupport import clean_db, database_url, db  # noqa: F401  (fixtures)
from tests.dividends.support import sample_files
from tests.dividends.test_auditpack import rewrite
from tests.dividends.test_runs import bank_result

pytestmark = pytest.mark.db

GOOD = Resolution(date(2025, 1, 13), entitled=30, present=21, votes_for=15, votes_against=4, abstaining=2)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64 + b"posted on the board"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2025, 1, 6, 2, 0, tzinfo=UTC))


async def people() -> dict[str, Actor]:
    """The village's accountant and two committee members, the county's auditor, a township
    reviewer of V0001's township and one of another township."""
    await access.create_user("acc", "a long password 1", "accountant", actor="t", village="V0001")
    await access.create_user("com", "a long password 1", "committee", actor="t", village="V0001")
    admin = Actor(0, "root", "root", "admin")
    await access.create_township(admin, "T1", "东乡", county="default")
    await access.create_township(admin, "T2", "西乡", county="default")
    await access.set_village_township(admin, "V0001", "T1")
    await access.create_user("town", "a long password 1", "township", actor="t", township="T1")
    await access.create_user("other", "a long password 1", "township", actor="t", township="T2")
    await access.create_user("aud", "a long password 1", "auditor", actor="t", county="default")
    found = {n: await access.actor_named(n) for n in ("acc", "com", "town", "other", "aud")}
    assert all(found.values())
    return found  # type: ignore[return-value]


async def publicized(tmp: Path, clock: FixedClock) -> tuple[int, dict[str, Actor]]:
    files = sample_files(tmp / "reg", households=12, villages=1, seed=3)
    await import_registry(files.households, period=2024, actor="acc", posts=files.posts, members=files.members,
                          reference_date=date(2025, 1, 1))
    who = await people()
    run = await run_cases.create(who["acc"], "V0001", 2024, "shareholding", amount_yuan="50000")
    await run_cases.compute(who["acc"], run.id, clock)
    await run_cases.publicize(who["acc"], run.id, clock=clock)
    clock.advance(days=7)
    return run.id, who


def problems_of(error: pytest.ExceptionInfo[InputError]) -> str:
    return " | ".join(p.msg.text("en") for p in error.value.problems)


# ------------------------------------------------------------------ the rules themselves (pure)


@pytest.mark.parametrize(("present", "votes_for", "fails"), [
    (20, 11, None), (19, 19, "quorum"), (20, 10, "majority"), (30, 16, None), (30, 15, "majority"),
])
def test_quorum_is_at_least_two_thirds_and_the_majority_more_than_half(present, votes_for, fails) -> None:  # type: ignore[no-untyped-def]
    keys = [m.key for m in Resolution(date(2025, 1, 1), entitled=30, present=present, votes_for=votes_for).problems(ApprovalRules())]
    assert keys == ([] if fails is None else [f"approval.{fails}"])


def test_the_rules_are_settings_and_impossible_counts_are_refused() -> None:
    rules = ApprovalRules.from_env({"APPROVAL_QUORUM": "1/2", "APPROVAL_MAJORITY": "2/3", "TOWNSHIP_REVIEW_COUNTIES": "C1, C2"})
    assert (rules.quorum, rules.majority) == (Fraction(1, 2), Fraction(2, 3))
    assert rules.review_required("C2") and not rules.review_required("C3") and not ApprovalRules().review_required("C1")
    assert Resolution(date(2025, 1, 1), entitled=10, present=5, votes_for=3).problems(rules)[0].key == "approval.majority"
    assert Resolution(date(2025, 1, 1), entitled=10, present=5, votes_for=4).problems(rules) == []
    with pytest.raises(ValueError):
        ApprovalRules.from_env({"APPROVAL_QUORUM": "3/2"})
    assert [m.key for m in Resolution(date(2025, 1, 1), entitled=10, present=11, votes_for=6).problems(rules)] == ["approval.counts"]
    assert [m.key for m in Resolution(date(2025, 1, 1), entitled=10, present=6, votes_for=4, votes_against=3)
            .problems(rules)] == ["approval.votes"]


# ------------------------------------------------------------------------------ approval


async def test_approval_needs_a_resolution_that_meets_the_rules_and_binds_it(clean_db, tmp_path, clock) -> None:  # type: ignore[no-untyped-def]
    run_id, who = await publicized(tmp_path, clock)
    with pytest.raises(InputError) as none:
        await run_cases.approve(who["com"], run_id, clock)
    assert "needs the villagers' (representatives') meeting resolution" in problems_of(none)
    with pytest.raises(InputError) as quorum:
        await run_cases.approve(who["com"], run_id, clock, Resolution(date(2025, 1, 13), entitled=30, present=19, votes_for=19))
    assert "no quorum: 19 of 30 entitled members present, at least 20 needed" in problems_of(quorum)
    with pytest.raises(InputError) as majority:
        await run_cases.approve(who["com"], run_id, clock,
                                Resolution(date(2025, 1, 13), entitled=30, present=24, votes_for=12, votes_against=12))
    assert "did not pass: 12 in favour of 24 present" in problems_of(majority)
    with pytest.raises(InputError) as other:
        await run_cases.approve(who["com"], run_id, clock, Resolution(date(2025, 1, 13), entitled=30, present=21,
                                                                      votes_for=15, content_hash="0" * 64))
    assert "not the current content of run" in problems_of(other)
    with pytest.raises(InputError) as future:
        await run_cases.approve(who["com"], run_id, clock, Resolution(date(2025, 2, 1), entitled=30, present=21, votes_for=15))
    assert "after today" in problems_of(future)
    assert (await runs.get_run(run_id)).state == "publicized" and await LedgerEntry.filter(run_id=run_id).count() == 0

    run = await runs.get_run(run_id)
    outcome = await run_cases.approve(who["com"], run_id, clock, Resolution(**{**GOOD.__dict__, "content_hash": run.content_hash}))
    assert outcome.changed and outcome.run.state == "approved"
    stored = await RunResolution.get(run_id=run_id)
    assert (stored.content_hash, stored.present, stored.votes_for, stored.recorded_by) == (run.content_hash, 21, 15, "com")
    assert (stored.quorum, stored.majority) == (">=2/3", ">1/2")


async def test_the_preparer_cannot_approve_even_with_a_good_resolution(clean_db, tmp_path, clock) -> None:  # type: ignore[no-untyped-def]
    run_id, who = await publicized(tmp_path, clock)
    from dividends.store.models import Run
    await Run.filter(id=run_id).update(prepared_by="com")  # a committee member who prepared it (e.g. by script)
    with pytest.raises(InputError, match="cannot approve it; another committee member"):
        await run_cases.approve(who["com"], run_id, clock, GOOD)
    with pytest.raises(Forbidden):
        await run_cases.approve(who["acc"], run_id, clock, GOOD)
    assert await RunResolution.filter(run_id=run_id).count() == 0


async def test_the_audit_pack_carries_the_resolution_and_verify_checks_the_binding(clean_db, tmp_path, clock) -> None:  # type: ignore[no-untyped-def]
    run_id, who = await publicized(tmp_path, clock)
    await run_cases.approve(who["com"], run_id, clock, GOOD)
    pack = tmp_path / "pack.zip"
    pack.write_bytes(await build_pack(run_id))
    with zipfile.ZipFile(pack) as z:
        manifest = json.loads(z.read("manifest.json"))
        resolution = json.loads(z.read("run/resolution.json"))
    assert manifest["format"] == "dividends.auditpack/6"
    assert resolution["content_hash"] == manifest["content_hash"] and resolution["votes_for"] == 15
    assert verify_pack(pack).ok

    def other_hash(data: bytes) -> bytes:
        value = json.loads(data)
        value["content_hash"] = "f" * 64
        return json.dumps(value).encode()

    moved = verify_pack(rewrite(pack, "run/resolution.json", other_hash, fix_manifest=True))
    assert not moved.ok and "bound to the content ffffffffffffffff" in moved.problems[0].msg.text("en")

    def fewer_present(data: bytes) -> bytes:
        value = json.loads(data)
        value["present"] = 15
        return json.dumps(value).encode()

    thin = verify_pack(rewrite(pack, "run/resolution.json", fewer_present, fix_manifest=True))
    assert not thin.ok and "does not meet its recorded rules" in thin.problems[0].msg.text("en")


async def test_older_pack_formats_still_verify(clean_db, tmp_path, clock) -> None:  # type: ignore[no-untyped-def]
    run_id, who = await publicized(tmp_path, clock)
    await run_cases.approve(who["com"], run_id, clock, GOOD)
    pack = tmp_path / "pack.zip"
    pack.write_bytes(await build_pack(run_id))
    for version in (1, 2):
        def older(data: bytes, version: int = version) -> bytes:
            value = json.loads(data)
            value["format"] = f"dividends.auditpack/{version}"
            return json.dumps(value).encode()
        old = rewrite(pack, "manifest.json", older, fix_manifest=False)
        with zipfile.ZipFile(old) as z:  # a first-format pack had no resolution file: drop it
            files = {n: z.read(n) for n in z.namelist() if n != "run/resolution.json"}
        manifest = json.loads(files["manifest.json"])
        manifest["files"].pop("run/resolution.json")
        files["manifest.json"] = json.dumps(manifest).encode()
        with zipfile.ZipFile(old, "w") as z:
            for n, data in files.items():
                z.writestr(n, data)
        assert verify_pack(old).ok, verify_pack(old).problems
    future = rewrite(pack, "manifest.json", lambda d: d.replace(b"auditpack/6", b"auditpack/9"), fix_manifest=False)
    assert not verify_pack(future).ok


def without_resolution(pack: Path, fmt: str) -> Path:
    """The pack with its resolution file taken out and the manifest's list and format fixed to
    match (as a forger would)."""
    with zipfile.ZipFile(pack) as z:
        files = {n: z.read(n) for n in z.namelist() if n != "run/resolution.json"}
    manifest = json.loads(files["manifest.json"])
    manifest["files"].pop("run/resolution.json")
    manifest["format"] = fmt
    files["manifest.json"] = json.dumps(manifest).encode()
    out = pack.with_name(f"bare-{fmt.rsplit('/', 1)[1]}.zip")
    with zipfile.ZipFile(out, "w") as z:
        for n, data in files.items():
            z.writestr(n, data)
    return out


async def test_a_pack_of_format_3_or_later_of_an_approved_run_needs_its_resolution(clean_db, tmp_path, clock) -> None:  # type: ignore[no-untyped-def]
    run_id, who = await publicized(tmp_path, clock)
    await run_cases.approve(who["com"], run_id, clock, GOOD)
    for state in ("approved", "paid", "closed"):
        if state == "paid":
            batch = (await payouts.pay(run_id, "acc", clock=clock)).batch
            ids = await PayoutItem.filter(batch=batch).order_by("household_id").values_list("household_id", flat=True)
            await payouts.import_bank_result(run_id, bank_result(tmp_path / "r.csv", [(h, "成功") for h in ids]),
                                             "acc", clock=clock)
        if state == "closed":
            await payouts.close(run_id, "acc", clock=clock)
        pack = tmp_path / f"{state}.zip"
        pack.write_bytes(await build_pack(run_id))
        assert json.loads(zipfile.ZipFile(pack).read("run/approvals.json"))["state"] == state
        assert verify_pack(pack).ok, verify_pack(pack).problems
        for fmt in ("dividends.auditpack/3", "dividends.auditpack/4", "dividends.auditpack/5", "dividends.auditpack/6"):
            bare = verify_pack(without_resolution(pack, fmt))
            assert not bare.ok, (state, fmt)
            assert [p.msg.key for p in bare.problems] == ["pack.resolution_missing"], (state, fmt)
            assert f"run {run_id} was approved (state: {state})" in bare.problems[0].msg.text("en")
            assert "必须带上决议" in bare.problems[0].msg.text("zh")
        for fmt in ("dividends.auditpack/1", "dividends.auditpack/2"):  # written before resolutions existed
            assert verify_pack(without_resolution(pack, fmt)).ok, (state, fmt)


async def test_a_pack_of_a_run_not_yet_approved_needs_no_resolution(clean_db, tmp_path, clock) -> None:  # type: ignore[no-untyped-def]
    run_id, _ = await publicized(tmp_path, clock)
    pack = tmp_path / "publicized.zip"
    pack.write_bytes(await build_pack(run_id))
    with zipfile.ZipFile(pack) as z:
        assert "run/resolution.json" not in z.namelist()
    assert verify_pack(pack).ok, verify_pack(pack).problems


# ------------------------------------------------------------------------------ return (驳回)


async def test_a_committee_member_returns_a_run_to_be_corrected_and_recomputed(clean_db, tmp_path, clock) -> None:  # type: ignore[no-untyped-def]
    run_id, who = await publicized(tmp_path, clock)
    before = await runs.get_run(run_id)
    with pytest.raises(InputError, match="needs a reason"):
        await run_cases.return_run(who["com"], run_id, "  ", clock)
    with pytest.raises(Forbidden):
        await run_cases.return_run(who["acc"], run_id, "人口数有误", clock)
    with pytest.raises(Forbidden):
        await run_cases.return_run(who["town"], run_id, "人口数有误", clock)
    returned = await run_cases.return_run(who["com"], run_id, "人口数有误，请更正名册", clock)
    assert returned.state == "draft" and returned.content_hash is None and returned.notice_start is None
    assert await AllocationLine.filter(run_id=run_id).count() == 0
    with pytest.raises(InputError, match="cannot return"):
        await run_cases.return_run(who["com"], run_id, "again", clock)  # a draft is not returned twice
    with pytest.raises(InputError, match="cannot approve"):
        await run_cases.approve(who["com"], run_id, clock, GOOD)
    recomputed = await run_cases.compute(who["acc"], run_id, clock)
    assert recomputed.run.state == "computed" and recomputed.run.content_hash == before.content_hash  # same inputs
    decisions = (await run_cases.decisions(who["aud"], run_id))["decisions"]
    assert [(d["kind"], d["text"], d["by"]) for d in decisions] == [("return", "人口数有误，请更正名册", "com")]


async def test_a_returned_run_is_recomputed_on_the_corrected_registry(clean_db, tmp_path, clock) -> None:  # type: ignore[no-untyped-def]
    run_id, who = await publicized(tmp_path, clock)
    first = await runs.get_run(run_id)
    await run_cases.return_run(who["com"], run_id, "一户漏登", clock)
    corrected = sample_files(tmp_path / "reg2", households=13, villages=1, seed=3)
    await import_registry(corrected.households, period=2024, actor="acc", posts=corrected.posts,
                          members=corrected.members, reference_date=date(2025, 1, 1))
    again = (await run_cases.compute(who["acc"], run_id, clock)).run
    assert again.snapshot.version == first.snapshot.version + 1 and again.content_hash != first.content_hash


# ------------------------------------------------------------------------------ township review


async def test_where_the_county_requires_it_the_township_reviews_the_exact_content_first(clean_db, tmp_path, clock) -> None:  # type: ignore[no-untyped-def]
    run_id, who = await publicized(tmp_path, clock)
    rules = ApprovalRules(review_counties=frozenset({"default"}))
    with pytest.raises(InputError) as missing:
        await run_cases.approve(who["com"], run_id, clock, GOOD, rules=rules)
    assert "requires the township's farm economy station to review" in problems_of(missing)
    with pytest.raises(NotAllowed):
        await run_cases.review(who["other"], run_id, filing_number="西备 1", clock=clock)  # not its township
    with pytest.raises(Forbidden):
        await run_cases.review(who["com"], run_id, filing_number="x", clock=clock)  # not the committee's to file
    await run_cases.review(who["town"], run_id, filing_number="东农经备〔2025〕3号", note="符合方案", clock=clock)
    assert (await run_cases.decisions(who["com"], run_id))["reviewed"]
    outcome = await run_cases.approve(who["com"], run_id, clock, GOOD, rules=rules)
    assert outcome.run.state == "approved"


async def test_a_review_is_of_one_content_a_recomputed_run_needs_a_new_one(clean_db, tmp_path, clock) -> None:  # type: ignore[no-untyped-def]
    run_id, who = await publicized(tmp_path, clock)
    rules = ApprovalRules(review_counties=frozenset({"*"}))
    await run_cases.review(who["town"], run_id, filing_number="备1", clock=clock)
    await run_cases.return_run(who["com"], run_id, "一户漏登", clock)
    corrected = sample_files(tmp_path / "reg2", households=13, villages=1, seed=3)
    await import_registry(corrected.households, period=2024, actor="acc", posts=corrected.posts,
                          members=corrected.members, reference_date=date(2025, 1, 1))
    await run_cases.compute(who["acc"], run_id, clock)
    await run_cases.publicize(who["acc"], run_id, clock=clock)
    clock.advance(days=7)
    with pytest.raises(InputError, match="has not been reviewed"):
        await run_cases.approve(who["com"], run_id, clock, GOOD, rules=rules)


async def test_the_township_reviewer_sees_its_villages_and_changes_nothing_else(clean_db, tmp_path, clock) -> None:  # type: ignore[no-untyped-def]
    run_id, who = await publicized(tmp_path, clock)
    town, other = who["town"], who["other"]
    assert (await run_cases.show(town, run_id)).id == run_id
    with pytest.raises(NotAllowed):
        await run_cases.show(other, run_id)
    attempts = [
        lambda: run_cases.approve(town, run_id, clock, GOOD),
        lambda: run_cases.compute(town, run_id, clock),
        lambda: run_cases.cancel(town, run_id, "x", clock),
        lambda: run_cases.return_run(town, run_id, "x", clock),
        lambda: run_cases.create(town, "V0001", 2024, "shareholding"),
        lambda: payouts_pay(town, run_id, clock),
        lambda: publicity.attach_evidence(town, run_id, "p.png", PNG, clock),
        lambda: publicity.record_result_notice(town, run_id, clock=clock),
    ]
    for attempt in attempts:
        with pytest.raises(Forbidden):
            await attempt()
    from dividends.usecases import objections
    with pytest.raises(Forbidden):
        await objections.record(town, run_id, "V0001-00002", "x", clock=clock)
    assert (await runs.get_run(run_id)).state == "publicized"


async def payouts_pay(actor: Actor, run_id: int, clock: FixedClock) -> object:
    from dividends.usecases import payments
    return await payments.pay(actor, run_id, clock=clock)


# ----------------------------------------------------------------------- both disclosures


async def test_the_photo_of_the_posted_notice_is_evidence_and_tampering_shows(clean_db, tmp_path, clock) -> None:  # type: ignore[no-untyped-def]
    run_id, who = await publicized(tmp_path, clock)
    with pytest.raises(InputError, match="must be a JPEG, PNG or PDF"):
        await publicity.attach_evidence(who["acc"], run_id, "notice.png", b"<html>not a photo</html>", clock)
    with pytest.raises(Forbidden):
        await publicity.attach_evidence(who["com"], run_id, "notice.png", PNG, clock)
    digest = await publicity.attach_evidence(who["acc"], run_id, "公示照片.png", PNG, clock)
    assert digest == sha256_bytes(PNG)
    assert await publicity.attach_evidence(who["acc"], run_id, "again.png", PNG, clock) == digest  # stored once
    assert [e["sha256"] for e in await publicity.evidence(who["aud"], run_id)] == [digest]
    await run_cases.approve(who["com"], run_id, clock, GOOD)
    pack = tmp_path / "pack.zip"
    pack.write_bytes(await build_pack(run_id))
    name = f"evidence/notice_photo-{digest}.png"
    with zipfile.ZipFile(pack) as z:
        assert z.read(name) == PNG
    assert verify_pack(pack).ok
    swapped = verify_pack(rewrite(pack, name, lambda d: d + b"edited", fix_manifest=True))
    assert not swapped.ok and "does not match its recorded hash" in swapped.problems[0].msg.text("en")
    plain = verify_pack(rewrite(pack, name, lambda d: d + b"edited", fix_manifest=False))
    assert not plain.ok


async def test_after_payment_the_result_notice_is_produced_masked_and_recorded(clean_db, tmp_path, clock) -> None:  # type: ignore[no-untyped-def]
    run_id, who = await publicized(tmp_path, clock)
    await run_cases.approve(who["com"], run_id, clock, GOOD)
    with pytest.raises(InputError, match="cannot publish the result notice"):
        await publicity.record_result_notice(who["acc"], run_id, clock=clock)  # not paid yet
    batch = await payouts.pay(run_id, "acc", clock=clock)
    assert batch.batch.number == 1
    owed = sorted(await PayoutItem.filter(run_id=run_id).values_list("household_id", flat=True))
    await payouts.import_bank_result(run_id, bank_result(tmp_path / "r.csv", [(h, "成功") for h in owed[1:]] + [(owed[0], "失败")]),
                                     "acc", clock=clock)
    html, digest = await publicity.record_result_notice(who["acc"], run_id, "en", clock)
    assert f"paid: {len(owed) - 1} households" in html and "failed: 1 households" in html
    assert re.search(r"\d{17}[\dX]", html) is None  # no full ID number
    assert html.count("class='f failed'") == 1 and html.count("class='f paid'") == len(owed) - 1
    with pytest.raises(Forbidden):
        await publicity.record_result_notice(who["com"], run_id, clock=clock)
    pack = tmp_path / "pack.zip"
    pack.write_bytes(await build_pack(run_id))
    with zipfile.ZipFile(pack) as z:
        assert z.read(f"evidence/result_notice-{digest}.html").decode() == html
        listed = json.loads(z.read("run/evidence.json"))
    assert [e["kind"] for e in listed] == ["result_notice"]
    assert verify_pack(pack).ok
