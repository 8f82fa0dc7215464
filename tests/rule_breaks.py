"""Break one run rule at a time in the product code, run tests/dividends/test_runs_usecases.py,
restore it: which breaks the fast run-rule tests catch (NOTES-runfake.md). Not part of CI (a
minute or two); it rewrites product files while it runs, so do not interrupt it. Usage:

    python -m tests.rule_breaks [part of a name ...]

``tests/test_rule_breaks.py`` checks in CI that every break still finds the code it breaks."""
from __future__ import annotations

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
BREAKS = [
 ("policy: maker-checker off", "dividends/policy.py", "if rule.checker and prepared_by is not None", "if False and rule.checker and prepared_by is not None"),
 ("policy: role check off", "dividends/policy.py", "    if actor.role not in rule.roles:\n", "    if False:\n"),
 ("policy: state check off", "dividends/policy.py", "if state is not None and rule.states is not None and state not in rule.states + rule.done:", "if False:"),
 ("policy: approve also from computed", "dividends/policy.py", '"run.approve": _r(COMMITTEE, states=("publicized",)', '"run.approve": _r(COMMITTEE, states=("computed", "publicized",)'),
 ("policy: accountant may approve", "dividends/policy.py", '"run.approve": _r(COMMITTEE,', '"run.approve": _r(COMMITTEE, ACCOUNTANT,'),
 ("policy: township may return", "dividends/policy.py", '"run.return": _r(COMMITTEE,', '"run.return": _r(COMMITTEE, TOWNSHIP,'),
 ("policy: reverse also from publicized", "dividends/policy.py", '"run.reverse": _r(ACCOUNTANT, COMMITTEE, states=POSTED,', '"run.reverse": _r(ACCOUNTANT, COMMITTEE, states=POSTED + ("publicized",),'),
 ("scope: village sees all", "dividends/actors.py", "return place.village_id == actor.village_id", "return True"),
 ("scope: township sees all", "dividends/actors.py", "return actor.township_id is not None and place.township_id == actor.township_id", "return True"),
 ("scope: county sees all", "dividends/actors.py", "return actor.county_id is None or place.county_id == actor.county_id", "return True"),
 ("check_approval: preparer", "dividends/runs.py", "    if actor == run.prepared_by:\n", "    if False:\n"),
 ("check_approval: open objections", "dividends/runs.py", "    if open_:\n", "    if False:\n"),
 ("check_approval: notice <= -> <", "dividends/runs.py", "    if now <= run.notice_end:\n", "    if now < run.notice_end:\n"),
 ("check_approval: no account", "dividends/runs.py", "    if missing and not cash_without_account:", "    if False:"),
 ("check_approval: brought forward reversed", "dividends/runs.py", "    if run.correction_needed == REVERSED:", "    if False:"),
 ("check_approval: recovery reversed", "dividends/runs.py", "    if run.correction_needed == RECOVERY_REVERSED:", "    if False:"),
 ("check_approval: earlier paid reversed", "dividends/runs.py", "    if run.correction_needed == EARLIER_REVERSED:", "    if False:"),
 ("publicize: start < today -> < today-1", "dividends/runs.py", "    if start < today(clock):\n        raise refuse(\"refusal.notice_past\"", "    if start < today(clock) - timedelta(days=1):\n        raise refuse(\"refusal.notice_past\""),
 ("publicize: min days - 1 -> - 2", "dividends/runs.py", "if end < start + timedelta(days=min_days - 1):", "if end < start + timedelta(days=min_days - 2):"),
 ("publicize: MIN_NOTICE_DAYS 6", "dividends/runs.py", "MIN_NOTICE_DAYS = 7", "MIN_NOTICE_DAYS = 6"),
 ("publicize: audit dates off", "dividends/runs.py", "start=start.isoformat(),\n                           end=end.isoformat())", "start=start.isoformat())"),
 ("objection: period start", "dividends/runs.py", "run.notice_start <= now <= run.notice_end", "run.notice_start < now <= run.notice_end"),
 ("objection: period end", "dividends/runs.py", "run.notice_start <= now <= run.notice_end", "run.notice_start <= now"),
 ("objection: household check", "dividends/runs.py", "    if not await household_in_run(run, household_id):", "    if False:"),
 ("objection: sms once", "dividends/runs.py", "        if existing is not None:\n            return existing", "        if False:\n            return existing"),
 ("objection: resolve once", "dividends/runs.py", "    if objection.status == \"resolved\":\n        return objection", "    if False:\n        return objection"),
 ("objection: resolve role", "dividends/policy.py", '"objection.resolve": _r(COMMITTEE)', '"objection.resolve": _r(COMMITTEE, ACCOUNTANT)'),
 ("objection: resolve through another run", "dividends/usecases/scope.py", "if found is None or (run_id is not None and found.run_id != run_id):", "if found is None:"),
 ("approve: resolution required", "dividends/usecases/runs.py", "    if resolution is None:\n        raise refuse(\"approval.resolution_required\")", "    if resolution is None:\n        resolution = Resolution(today(clock), 1, 1, 1)"),
 ("approve: problems ignored", "dividends/usecases/runs.py", "    if problems:\n        raise InputError", "    if False:\n        raise InputError"),
 ("approve: future > -> >=", "dividends/usecases/runs.py", "if resolution.meeting_date > today(clock):", "if resolution.meeting_date > date.fromordinal(today(clock).toordinal() + 1):"),
 ("approve: content hash", "dividends/usecases/runs.py", "if resolution.content_hash and resolution.content_hash != bound.content_hash:", "if False:"),
 ("approve: review skipped", "dividends/usecases/runs.py", "        if not await approvals.reviewed(found.id, bound.content_hash):", "        if False:"),
 ("approve: no township", "dividends/usecases/runs.py", "        if bound.township_id is None:", "        if False:"),
 ("approve: reversal as a run", "dividends/usecases/runs.py", "    if found.kind == \"reversal\":\n        raise refuse(\"approval.not_regular\", run=run_id)\n    rules", "    if False:\n        raise refuse(\"approval.not_regular\", run=run_id)\n    rules"),
 ("approve: resolution not stored", "dividends/runs.py", "        if resolution is not None:\n            from dividends.store import approvals", "        if False:\n            from dividends.store import approvals"),
 ("approve: concurrent update ignored", "dividends/runs.py", "    if updated != 1:\n        raise refuse(\"run.illegal\", run=run.id, state=state_name(\"changed_concurrently\")", "    if False:\n        raise refuse(\"run.illegal\", run=run.id, state=state_name(\"changed_concurrently\")"),
 ("approve: audit cash list", "dividends/runs.py", "**({\"cash_without_account\": in_cash} if in_cash else {}))", ")"),
 ("approve: approved_by not set", "dividends/runs.py", "await _advance(run, \"publicized\", \"approved\", approved_by=actor, approved_at=clock.now())", "await _advance(run, \"publicized\", \"approved\", approved_at=clock.now())"),
 ("return: reason", "dividends/usecases/runs.py", "    if not reason.strip():\n        raise refuse(\"approval.reason_required\")", "    if False:\n        raise refuse(\"approval.reason_required\")"),
 ("return: reversal", "dividends/usecases/runs.py", "    allow(actor, \"run.return\", found.place, state=found.state, what=run_id)\n    if found.kind == \"reversal\":", "    allow(actor, \"run.return\", found.place, state=found.state, what=run_id)\n    if False:"),
 ("compute: returned run not refreshed", "dividends/usecases/runs.py", "if found.state == \"draft\" and await approvals.was_returned(found.id):", "if False:"),
 ("cancel: posted runs too", "dividends/runs.py", "    if run.state not in (\"draft\", \"computed\", \"publicized\"):\n        raise refuse(\"run.illegal\", run=run.id, state=state_name(run.state), action=\"cancel\"", "    if run.state not in (\"draft\", \"computed\", \"publicized\", \"approved\"):\n        raise refuse(\"run.illegal\", run=run.id, state=state_name(run.state), action=\"cancel\""),
 ("cancel: audit was", "dividends/runs.py", "reason=reason, was=source, **links)", "reason=reason, **links)"),
 ("cancel: link kept", "dividends/runs.py", "**{f\"{name}_id\": None for name in links}", "**{}"),
 ("reverse: reason", "dividends/usecases/runs.py", "        raise refuse(\"web.form.required\", field=\"reason\")", "        pass"),
 ("reverse: unposted too", "dividends/runs.py", "    if run.state not in POSTED or run.kind == \"reversal\":", "    if run.kind == \"reversal\":"),
 ("reverse: twice makes two", "dividends/runs.py", "    if existing is not None:\n        return existing", "    if False:\n        return existing"),
 ("approve_reversal: preparer (rule)", "dividends/runs.py", "    if actor == mirror.prepared_by:", "    if False:"),
 ("approve_reversal: preparer (use case)", "dividends/usecases/runs.py", "prepared_by=found.prepared_by if found.state != \"closed\" else None,", "prepared_by=None,"),
 ("approve_reversal: not a reversal", "dividends/usecases/runs.py", "    if found.kind != \"reversal\":\n        raise refuse(\"refusal.not_a_reversal\", run=reversal_id)", "    if False:\n        raise refuse(\"refusal.not_a_reversal\", run=reversal_id)"),
 ("approve_reversal: no flags", "dividends/runs.py", "            await carryover_store.flag([r.id], why)", "            pass"),
 ("approve_reversal: no debt flags", "dividends/runs.py", "    flagged += [(r, RECOVERY_REVERSED) for r in await recoveries_store.runs_taking_debts_of(run)]", "    pass"),
 ("blockers: approval checks skipped", "dividends/usecases/runs.py", "                await runs.check_approval(await runs.get_run(found.id), actor.username, clock, cash_without_account=True)", "                pass"),
 ("blockers: review skipped", "dividends/usecases/runs.py", "                await _check_review(found, await approvals.approval_facts(found.id), rules or ApprovalRules.from_env())", "                pass"),
 ("create: one live run per return", "dividends/runs.py", "        if live:\n            raise refuse(\"refusal.live_run\"", "        if False:\n            raise refuse(\"refusal.live_run\""),
 ("create: replaces another village", "dividends/usecases/runs.py", "if replaced is None or replaced.place.village_id != place.village_id:", "if replaced is None:"),
 ("create: replaces a live run", "dividends/runs.py", "        if replaced.state != \"reversed\":", "        if False:"),
 ("create: another amount", "dividends/runs.py", "        if not created and row.amount_fen != amount:", "        if False:"),
 ("correct: a second correction", "dividends/usecases/runs.py", "        if correction is not None:\n            raise refuse(\"run.correction_exists\"", "        if False:\n            raise refuse(\"run.correction_exists\""),
]


def main(only: list[str]) -> int:
    missed = []
    for name, path, old, new in BREAKS:
        if only and not any(o in name for o in only):
            continue
        f = ROOT / path
        text = f.read_text()
        assert text.count(old) == 1, (name, text.count(old))
        f.write_text(text.replace(old, new))
        try:
            r = subprocess.run(["nice", "-n", "10", sys.executable, "-m", "pytest", "tests/dividends/test_runs_usecases.py",
                                "-x", "-q", "-p", "no:randomly", "-p", "no:cacheprovider"], cwd=ROOT, capture_output=True, text=True)
        finally:
            f.write_text(text)
        failed = [l for l in r.stdout.splitlines() if l.startswith("FAILED")]
        print(("CAUGHT  " if r.returncode else "MISSED  ") + name + ("  <- " + failed[0].split("::")[1][:90] if failed else ""), flush=True)
        if not r.returncode:
            missed.append(name)
    print(f"{len(missed)} break(s) missed" + (": " + "; ".join(missed) if missed else ""))
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
