"""Every route, every role: who may see what, who may do what, and ids changed in URLs.

Out of a user's scope is 404 (existence is not leaked); in scope but not the role's to do is
403; everything else must not be refused (it may still be a 400/409 for the run's state).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from starlette.routing import Mount, Route

from dividends.access import PERMISSIONS
from tests.web.support import ROLES_OF, browser
from tests.web.world import World, build_world

pytestmark = pytest.mark.db

USERS = list(ROLES_OF)
SCOPE = {"acc1": {"V0001"}, "com1": {"V0001"}, "com1b": {"V0001"}, "acc2": {"V0002"},
         "aud1": {"V0001", "V0002"}, "adm1": {"V0001", "V0002"}, "aud2": {"V9001"},
         "root": {"V0001", "V0002", "V9001"}}
VILLAGES = ("V0001", "V0002", "V9001")


@dataclass(frozen=True)
class Spec:
    method: str
    path: str  # {v} village, {run}, {sid} snapshot, {oid} objection
    permission: str | None = None
    village: bool = True  # scoped to a village (else county/account pages)
    data: tuple[tuple[str, str], ...] = ()
    role_first: bool = False  # a role that never reads counties gets 403 whatever the id
    always: str | None = None  # the same answer for everyone
    missing_in: tuple[str, ...] = ()  # villages where the object does not exist (404 for all)


PAGES = [
    Spec("GET", "/villages/{v}"),
    Spec("GET", "/villages/{v}/registry", "registry.import"),
    Spec("POST", "/villages/{v}/registry", "registry.import", data=(("period", "2024"),)),
    Spec("GET", "/villages/{v}/registry/{sid}"),
    Spec("GET", "/villages/{v}/registry/template"),
    Spec("POST", "/villages/{v}/registry/{sid}/withdraw", "registry.withdraw", data=(("reason", "wrong file"),)),
    Spec("GET", "/villages/{v}/returns"),
    Spec("POST", "/villages/{v}/returns", "return.record", data=(("period", "2023"), ("amount", "100"))),
    Spec("POST", "/villages/{v}/returns/correct", "return.correct",
         data=(("period", "2023"), ("asset", "asset"), ("amount", "100"), ("reason", "x"))),
    Spec("POST", "/villages/{v}/language", "village.language", data=(("language", "zh"),)),
    Spec("GET", "/villages/{v}/runs/new", "run.create"),
    Spec("POST", "/villages/{v}/runs", "run.create", data=(("period", "2023"), ("scheme", "shareholding"))),
    Spec("GET", "/runs/{run}"),
    Spec("GET", "/runs/{run}/lines"),
    Spec("POST", "/runs/{run}/compute", "run.compute"),
    Spec("POST", "/runs/{run}/publicize", "run.publicize", data=(("start", "2025-01-06"), ("end", "2025-01-12"))),
    Spec("GET", "/runs/{run}/notice"),
    Spec("POST", "/runs/{run}/objections", "objection.record", data=(("household_id", "X"), ("text", "t"))),
    Spec("POST", "/runs/{run}/objections/{oid}/resolve", "objection.resolve", data=(("resolution", "ok"),)),
    Spec("POST", "/runs/{run}/approve", "run.approve"),
    Spec("POST", "/runs/{run}/return", "run.return"),  # no reason: refused (400) without changing the world
    Spec("POST", "/runs/{run}/review", "run.review"),
    Spec("POST", "/runs/{run}/evidence", "publicity.evidence"),  # no photo: 400 for the accountant
    Spec("GET", "/runs/{run}/evidence/" + "0" * 64, always="404"),  # nobody's evidence
    Spec("POST", "/runs/{run}/result-notice", "publicity.result"),
    Spec("POST", "/runs/{run}/pay", "run.pay", data=(("bank_format", "generic"),)),
    Spec("GET", "/runs/{run}/batches/1.csv", missing_in=("V0002",)),  # V0002's run is not paid
    Spec("POST", "/runs/{run}/bank-result", "run.bank_result"),
    Spec("POST", "/runs/{run}/close", "run.close"),
    Spec("GET", "/runs/{run}/cash-list", "run.close"),  # the printable cash receipt list (签字领取表)
    Spec("GET", "/runs/{run}/cash-list.pdf", "run.close"),
    Spec("POST", "/runs/{run}/payees", "payee.correct",
         data=(("household_id", "V0001-00001"), ("account_no", "6222000011112222"), ("reason", "x"))),
    Spec("POST", "/runs/{run}/payees/999/approve", always="404"),  # nobody's correction
    Spec("POST", "/runs/{run}/cash", "cash.prepare"),  # no scan: 400 for the accountant
    Spec("POST", "/runs/{run}/cash/999/approve", always="404"),  # nobody's cash payment
    Spec("POST", "/runs/{run}/cash/999/reject", always="404"),
    Spec("GET", "/runs/{run}/cash/999/scan", always="404"),
    Spec("POST", "/runs/{run}/cancel", "run.cancel", data=(("reason", "test"),)),
    Spec("POST", "/runs/{run}/reverse", "run.reverse", data=(("reason", "test"),)),
    Spec("POST", "/runs/{run}/approve-reversal", "reversal.approve"),
    Spec("POST", "/runs/{run}/correct", "run.create", data=(("scheme", "shareholding"),)),
    Spec("GET", "/runs/{run}/notices"),
    Spec("POST", "/runs/{run}/notices/send", "notices.send", data=(("kind", "publicity"),)),
    Spec("POST", "/runs/{run}/notices/resend", "notices.send", data=(("kind", "payment_confirmation"),)),
    Spec("GET", "/runs/{run}/verify"),
    Spec("GET", "/runs/{run}/audit-pack", "run.pack"),  # the village accountant, the county auditors and admins
    Spec("GET", "/county", "county.read", village=False),
    Spec("GET", "/county/runs", "county.read", village=False),
    Spec("GET", "/county/villages/{v}", "county.read", role_first=True),
    Spec("GET", "/county/villages/{v}/verify", "county.read", role_first=True),
    Spec("POST", "/county/verify-pack", "county.read", village=False),
    Spec("GET", "/county/anomalies", "county.read", village=False),
    Spec("GET", "/county/schemes", "county.read", village=False),
    Spec("GET", "/county/schemes/shareholding/diff", "county.read", village=False),
    Spec("GET", "/admin/users", "users.manage", village=False),
    Spec("POST", "/admin/users", "users.manage", village=False, data=(("username", "x"),)),
    Spec("POST", "/admin/users/1/active", "users.manage", village=False, data=(("active", "true"),)),
    Spec("GET", "/admin/villages", "users.manage", village=False),
    Spec("POST", "/admin/villages", "users.manage", village=False, data=(("code", "V7"),)),
    Spec("POST", "/admin/villages/{v}", "users.manage", role_first=True, data=(("contact_phone", "0539-2"),)),
    Spec("GET", "/account/tokens", village=False),
    Spec("POST", "/account/tokens", village=False, data=(("name", "t"),)),
    # spreadsheets of what a page shows: the page's own rules decide (tests/web/test_scaffolding.py)
    Spec("GET", "/export.xlsx", village=False),
    Spec("POST", "/problems.xlsx", village=False, data=(("problems", "[]"),)),
    Spec("POST", "/account/tokens/999/revoke", village=False, always="404"),  # nobody's token
]

API = [
    Spec("GET", "/api/v1/me", village=False),
    Spec("GET", "/api/v1/villages", village=False),
    Spec("GET", "/api/v1/villages/{v}"),
    Spec("POST", "/api/v1/villages/{v}/registry", "registry.import"),
    Spec("POST", "/api/v1/villages/{v}/returns", "return.record", data=(("period", "2023"), ("amount_yuan", "5"))),
    Spec("POST", "/api/v1/villages/{v}/returns/correct", "return.correct",
         data=(("period", "2023"), ("asset", "asset"), ("amount_yuan", "5"), ("reason", "x"))),
    Spec("POST", "/api/v1/villages/{v}/runs", "run.create", data=(("period", "2023"), ("scheme", "shareholding"))),
    Spec("GET", "/api/v1/villages/{v}/verify", "county.read", role_first=True),
    Spec("GET", "/api/v1/runs/{run}"),
    Spec("GET", "/api/v1/runs/{run}/lines"),
    Spec("POST", "/api/v1/runs/{run}/compute", "run.compute"),
    Spec("POST", "/api/v1/runs/{run}/publicize", "run.publicize", data=(("start", "2025-01-06"), ("end", "2025-01-12"))),
    Spec("POST", "/api/v1/runs/{run}/objections", "objection.record", data=(("household_id", "X"), ("text", "t"))),
    Spec("POST", "/api/v1/runs/{run}/approve", "run.approve"),
    Spec("POST", "/api/v1/runs/{run}/return", "run.return"),  # no reason: 400, nothing changes
    Spec("POST", "/api/v1/runs/{run}/review", "run.review"),
    Spec("POST", "/api/v1/runs/{run}/pay", "run.pay"),
    Spec("POST", "/api/v1/runs/{run}/bank-result", "run.bank_result"),
    Spec("POST", "/api/v1/runs/{run}/close", "run.close"),
    Spec("GET", "/api/v1/county/overview", "county.read", village=False),
    Spec("GET", "/api/v1/county/anomalies", "county.read", village=False),
]

UNGUARDED = {"/healthz", "/favicon.ico", "/login", "/logout", "/openapi.json", "/static", "/",
             "/webhooks/twilio/status", "/webhooks/twilio/inbound",  # signed by Twilio: tests/dividends
             "/webhooks/{provider}/{token}/{what}"}  # token in the URL: tests/dividends/test_provider_webhooks.py


def expected(user: str, spec: Spec, village: str | None) -> str:
    role = ROLES_OF[user][0]
    if spec.always:
        return spec.always
    if village in spec.missing_in:
        return "404"
    if spec.role_first and spec.permission and role not in PERMISSIONS[spec.permission]:
        return "403"
    if spec.permission == "users.manage" and role == "admin" and "/admin/users/1/" in spec.path:
        return "allowed"
    if village is not None and village not in SCOPE[user]:
        return "404"
    if spec.permission and role not in PERMISSIONS[spec.permission]:
        return "403"
    return "allowed"


def fill(path: str, world: World, village: str | None) -> str:
    if village is None:
        return path
    return path.format(v=village, run=world.runs[village], sid=world.snapshots[village], oid=world.objections[village])


def verdict(status: int) -> str:
    if status in (403, 404):
        return str(status)
    assert status < 500 or status == 501, status  # 501: a module not installed yet
    return "allowed"


@pytest.fixture
async def world(app, clock, tmp_path) -> World:  # type: ignore[no-untyped-def]
    return await build_world(tmp_path, clock)


def test_every_route_is_in_the_role_table() -> None:
    from tests.web.support import new_app
    app = new_app("sqlite://:memory:", __import__("tests.web.support", fromlist=["make_clock"]).make_clock())
    covered = {s.path for s in PAGES + API} | UNGUARDED
    paths = {r.path.replace("{run_id:int}", "{run}").replace("{code}", "{v}").replace("{snapshot_id:int}", "{sid}")
             .replace("{objection_id:int}", "{oid}").replace("{number:int}.{kind}", "1.csv")
             .replace("{user_id:int}", "1").replace("{token_id:int}", "999").replace("{correction_id:int}", "999").replace("{payment_id:int}", "999").replace("{scheme_id}", "shareholding").replace("{sha}", "0" * 64)
             for r in app.routes if isinstance(r, (Route, Mount))}
    assert paths - covered == set()


async def test_pages_for_every_role(app, world) -> None:  # type: ignore[no-untyped-def]
    wrong: list[str] = []
    for user in USERS:
        await _pages(app, world, user, wrong)
    assert wrong == [], "\n".join(wrong)


async def _pages(app, world, user, wrong) -> None:  # type: ignore[no-untyped-def]
    async with browser(app, user) as b:
        for spec in PAGES:
            for village in (VILLAGES if spec.village else (None,)):
                url = fill(spec.path, world, village)
                if spec.method == "GET":
                    response = await b.get(url)
                else:
                    response = await b.post(url, dict(spec.data))
                got, want = verdict(response.status_code), expected(user, spec, village)
                if got != want:
                    wrong.append(f"{user}: {spec.method} {url}: {response.status_code}, expected {want}")


async def test_api_for_every_role(app, world) -> None:  # type: ignore[no-untyped-def]
    wrong: list[str] = []
    for user in USERS:
        await _api(app, world, user, wrong)
    assert wrong == [], "\n".join(wrong)


async def _api(app, world, user, wrong) -> None:  # type: ignore[no-untyped-def]
    async with browser(app) as b:
        headers = {"authorization": f"Bearer {world.tokens[user]}"}
        for spec in API:
            for village in (VILLAGES if spec.village else (None,)):
                url = fill(spec.path, world, village)
                if spec.method == "GET":
                    response = await b.client.get(url, headers=headers)
                else:
                    body = {k: (int(v) if v.isdigit() else v) for k, v in spec.data}
                    response = await b.client.post(url, json=body, headers=headers)
                got, want = verdict(response.status_code), expected(user, spec, village)
                if got != want:
                    wrong.append(f"{user}: {spec.method} {url}: {response.status_code} {response.text[:200]}, expected {want}")
                try:  # the answer (success or error) is one the OpenAPI description declares
                    _described(spec).validate_response(response)
                except Exception as failure:  # schemathesis raises a FailureGroup naming each check
                    wrong.append(f"{user}: {spec.method} {url}: {response.status_code} not as described: {str(failure)[:300]}")


def _described(spec: Spec) -> Any:
    import schemathesis

    from dividends.web.api import OPENAPI
    path = spec.path.replace("{v}", "{code}").replace("{run}", "{run_id}")
    return schemathesis.openapi.from_dict(OPENAPI)[path][spec.method]


async def test_the_api_needs_a_valid_token(app, world) -> None:  # type: ignore[no-untyped-def]
    async with browser(app) as b:
        assert (await b.client.get("/api/v1/me")).status_code == 401
        assert (await b.client.get("/api/v1/me", headers={"authorization": "Bearer nope"})).status_code == 401
        me = await b.client.get("/api/v1/me", headers={"authorization": f"Bearer {world.tokens['aud1']}"})
        assert me.json() == {"username": "aud1", "role": "auditor", "village": None, "county": "C1"}


async def test_a_revoked_token_stops_working(app, world) -> None:  # type: ignore[no-untyped-def]
    from dividends.store.models import ApiToken
    await ApiToken.all().update(revoked=True)
    async with browser(app) as b:
        response = await b.client.get("/api/v1/me", headers={"authorization": f"Bearer {world.tokens['acc1']}"})
    assert response.status_code == 401


async def test_a_bearer_request_ignores_the_session_cookie(app, world) -> None:  # type: ignore[no-untyped-def]
    """A forged bearer header cannot ride on a signed-in browser's cookie past CSRF."""
    async with browser(app, "acc1") as b:
        response = await b.client.post("/api/v1/villages/V0001/returns", json={"period": 2022, "amount_yuan": "1"},
                                       headers={"authorization": "Bearer forged"})
    assert response.status_code == 401


async def test_api_errors_are_located_problems(app, world) -> None:  # type: ignore[no-untyped-def]
    async with browser(app) as b:
        headers = {"authorization": f"Bearer {world.tokens['acc1']}"}
        bad = await b.client.post("/api/v1/villages/V0001/returns", json={"period": 2022, "amount_yuan": "1.234"},
                                  headers=headers)
        assert bad.status_code == 400 and bad.json()["problems"][0]["message"]
        conflict = await b.client.post(f"/api/v1/runs/{world.runs['V0001']}/compute", headers=headers)
        assert conflict.status_code == 200 and conflict.json()["changed"] is False
        early = await b.client.post(f"/api/v1/runs/{world.runs['V0002']}/close",
                                    headers={"authorization": f"Bearer {world.tokens['acc2']}"})
        assert early.status_code == 409


async def test_a_script_imports_a_registry_and_a_bank_result_through_the_api(app, world, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.web.flows import bank_result_csv, registry_files
    from dividends.store.files import get_file
    from dividends.store.models import PayoutBatch

    reg = registry_files(tmp_path / "api", households=12, villages=1, seed=3)
    async with browser(app) as b:
        headers = {"authorization": f"Bearer {world.tokens['acc1']}"}
        imported = await b.client.post("/api/v1/villages/V0001/registry", headers=headers, data={"period": "2025"},
                                       files={"households": ("h.csv", reg.households.read_bytes(), "text/csv")})
        assert imported.status_code == 201, imported.text
        assert imported.json()["version"] == 1
        # the world's bank refused one household of batch 1: the follow-up batch pays it
        from dividends import payouts
        await payouts.pay(world.runs["V0001"], "acc1")
        batch = await PayoutBatch.get(run_id=world.runs["V0001"], number=2)
        result = bank_result_csv(await get_file(batch.csv_file))
        done = await b.client.post(f"/api/v1/runs/{world.runs['V0001']}/bank-result", headers=headers,
                                   files={"result": ("r.csv", result, "text/csv")})
        assert done.status_code == 201 and done.json()["paid"] == batch.items
