"""Sessions and tokens that end when they should, login throttling under concurrency, CSRF on
every page route whatever the headers, and request bodies bounded while they stream in."""
from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from dividends import access
from dividends.access import Actor
from tests.web.support import PASSWORD, browser

pytestmark = pytest.mark.db

NEW_PASSWORD = "another long password"


def _client(app: Any, address: str = "10.0.0.1", cookies: httpx.Cookies | None = None) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(address, 1234)),
                             base_url="http://testserver", follow_redirects=False, cookies=cookies)


async def _actor(username: str) -> Actor:
    from dividends.store.users import login_candidate
    found = await login_candidate(username)
    assert found is not None
    actor = await access.actor_for(found[0])
    assert actor is not None
    return actor


async def _signed_in(client: httpx.AsyncClient) -> bool:
    response = await client.get("/villages/V0001")
    assert response.status_code in (200, 303)
    return response.status_code == 200


# --------------------------------------------------------------------------- sessions and tokens


async def test_after_logout_the_old_session_cookie_no_longer_works(app) -> None:  # type: ignore[no-untyped-def]
    async with browser(app, "acc1") as b:
        stolen = httpx.Cookies(b.client.cookies)
        async with _client(app, cookies=stolen) as copy:
            assert await _signed_in(copy)
            assert (await b.post("/logout")).status_code == 303
            assert not await _signed_in(copy)
        assert not await _signed_in(b.client)
        assert (await b.login("acc1")).status_code == 303 and await _signed_in(b.client)


async def test_reactivating_a_user_does_not_revive_old_sessions_or_tokens(app) -> None:  # type: ignore[no-untyped-def]
    actor = await _actor("acc1")
    token = await access.create_token(actor, "script")
    bearer = {"authorization": f"Bearer {token}"}
    async with browser(app, "acc1") as b:
        assert (await b.get("/api/v1/me", headers=bearer)).status_code == 200
        await access.set_active(actor.user_id, False, actor="adm1")
        assert not await _signed_in(b.client)
        await access.set_active(actor.user_id, True, actor="adm1")
        assert not await _signed_in(b.client)
        assert (await b.get("/api/v1/me", headers=bearer)).status_code == 401
        assert (await b.login("acc1")).status_code == 303 and await _signed_in(b.client)


async def test_a_password_reset_ends_sessions_and_revokes_api_tokens(app) -> None:  # type: ignore[no-untyped-def]
    actor = await _actor("acc1")
    token = await access.create_token(actor, "script")
    bearer = {"authorization": f"Bearer {token}"}
    other = await access.create_token(await _actor("acc2"), "script")
    async with browser(app, "acc1") as b:
        assert await _signed_in(b.client)
        await access.set_password("acc1", NEW_PASSWORD, actor="adm1")
        assert not await _signed_in(b.client)
        assert (await b.get("/api/v1/me", headers=bearer)).status_code == 401
        assert (await b.get("/api/v1/me", headers={"authorization": f"Bearer {other}"})).status_code == 200
        assert (await b.login("acc1", PASSWORD)).status_code == 401
        assert (await b.login("acc1", NEW_PASSWORD)).status_code == 303 and await _signed_in(b.client)


async def test_a_session_without_its_generation_is_not_signed_in(app) -> None:  # type: ignore[no-untyped-def]
    """A cookie signed before this change (user id and fingerprint only) no longer works."""
    import base64
    import json

    import itsdangerous

    from tests.web.support import SECRET
    actor = await _actor("acc1")
    payload = base64.b64encode(json.dumps({"uid": actor.user_id, "fp": "x"}).encode())
    cookie = itsdangerous.TimestampSigner(SECRET).sign(payload).decode()
    async with _client(app, cookies=httpx.Cookies({"dividends_session": cookie})) as client:
        assert not await _signed_in(client)


# --------------------------------------------------------------------------- throttling


async def _login_page(client: httpx.AsyncClient) -> str:
    from tests.web.support import csrf_of
    return csrf_of((await client.get("/login")).text)


async def test_forty_concurrent_wrong_passwords_get_429_beyond_the_limit(app) -> None:  # type: ignore[no-untyped-def]
    async with _client(app, "10.9.9.9") as client:
        csrf = await _login_page(client)

        async def attempt() -> int:
            response = await client.post("/login", data={"username": "acc1", "password": "wrong password!",
                                                          "csrf_token": csrf})
            return response.status_code

        codes = await asyncio.gather(*(attempt() for _ in range(40)))
        assert codes.count(401) == access.MAX_FAILURES and codes.count(429) == 40 - access.MAX_FAILURES
        right = await client.post("/login", data={"username": "acc1", "password": PASSWORD, "csrf_token": csrf})
        assert right.status_code == 429 and int(right.headers["retry-after"]) > 0
    async with _client(app, "10.9.9.8") as elsewhere:  # another address is not refused
        csrf = await _login_page(elsewhere)
        ok = await elsewhere.post("/login", data={"username": "acc1", "password": PASSWORD, "csrf_token": csrf})
        assert ok.status_code == 303


async def test_an_address_guessing_many_usernames_at_once_is_throttled(app) -> None:  # type: ignore[no-untyped-def]
    async with _client(app, "10.9.9.7") as client:
        csrf = await _login_page(client)
        names = [f"user{i}" for i in range(40)]
        codes = await asyncio.gather(*(client.post("/login", data={"username": n, "password": "wrong password!",
                                                                   "csrf_token": csrf}) for n in names))
        statuses = [c.status_code for c in codes]
        assert statuses.count(401) == access.MAX_FAILURES_PER_ADDRESS and statuses.count(429) == 20


async def test_a_successful_login_does_not_count_as_a_failure(app, clock) -> None:  # type: ignore[no-untyped-def]
    async with browser(app) as b:
        for _ in range(access.MAX_FAILURES - 1):
            assert (await b.login("acc1", "wrong password!")).status_code == 401
        for _ in range(3):
            assert (await b.login("acc1")).status_code == 303
            assert (await b.post("/logout")).status_code == 303
        assert (await b.login("acc1", "wrong password!")).status_code == 401
        assert (await b.login("acc1", "wrong password!")).status_code == 429


class _RecordingHasher:
    """The tests' argon2 hasher, slowed a little, recording where and how many at once it runs."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.lock = threading.Lock()
        self.running = 0
        self.most = 0
        self.threads: set[int] = set()

    def verify(self, hashed: str, password: str) -> bool:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
            self.threads.add(threading.get_ident())
        try:
            time.sleep(0.02)
            return bool(self.inner.verify(hashed, password))
        finally:
            with self.lock:
                self.running -= 1

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


async def test_hashing_runs_off_the_event_loop_with_bounded_concurrency_and_healthz_answers(
        app, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PASSWORD_HASH_CONCURRENCY", "3")
    hasher = _RecordingHasher(access._HASHER)
    monkeypatch.setattr(access, "_HASHER", hasher)
    clients = [_client(app, f"10.8.0.{i}") for i in range(8)]
    try:
        tokens = [await _login_page(c) for c in clients]
        finished = 0

        async def attempt(client: httpx.AsyncClient, csrf: str) -> int:
            nonlocal finished
            response = await client.post("/login", data={"username": "acc1", "password": "wrong password!",
                                                          "csrf_token": csrf})
            finished += 1
            return response.status_code

        storm = [asyncio.ensure_future(attempt(c, t)) for c, t in zip(clients, tokens) for _ in range(5)]
        while hasher.running == 0:
            await asyncio.sleep(0.001)
        async with _client(app, "10.7.0.1") as probe:
            health = await probe.get("/healthz")
        answered_while_pending = len(storm) - finished
        codes = await asyncio.gather(*storm)
    finally:
        for c in clients:
            await c.aclose()
    assert health.status_code == 200 and answered_while_pending > 0
    assert codes == [401] * 40
    assert threading.get_ident() not in hasher.threads
    assert 2 <= hasher.most <= 3


# --------------------------------------------------------------------------- CSRF


async def test_a_bearer_header_does_not_skip_csrf_on_a_page_route(app) -> None:  # type: ignore[no-untyped-def]
    token = await access.create_token(await _actor("acc1"), "script")
    async with browser(app, "acc1") as b:
        form = {"period": "2024", "amount": "100"}
        for header in (f"Bearer {token}", "Bearer forged", "bearer x"):
            refused = await b.client.post("/villages/V0001/returns", data=form, headers={"authorization": header})
            assert refused.status_code == 403, header
        refused = await b.client.post("/logout", headers={"authorization": f"Bearer {token}"})
        assert refused.status_code == 403 and await _signed_in(b.client)
        ok = await b.post("/villages/V0001/returns", form, headers={"authorization": "Bearer forged"})
        assert ok.status_code == 303
    async with _client(app) as script:  # the JSON API with a bearer token needs no CSRF token
        created = await script.post("/api/v1/villages/V0001/returns", json={"period": 2023, "amount_yuan": "1"},
                                    headers={"authorization": f"Bearer {token}"})
        assert created.status_code == 201, created.text


# --------------------------------------------------------------------------- body limits


@pytest.fixture
async def world(app, clock, tmp_path):  # type: ignore[no-untyped-def]
    from tests.web.world import build_world
    return await build_world(tmp_path, clock)


def _registry_bytes(size: int) -> bytes:
    line = "H1,V0001,王伟,110101199003071234,3,2,一般户\n".encode()
    return "户编号,村编码,户主姓名,身份证号,人口数,有劳动能力人数,类别\n".encode() + line * (size // len(line) + 1)


async def _chunks(data: bytes, consumed: list[int]) -> AsyncIterator[bytes]:
    for start in range(0, len(data), 64 * 1024):
        consumed[0] += min(64 * 1024, len(data) - start)
        yield data[start:start + 64 * 1024]


def _multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    request = httpx.Request("POST", "http://testserver/", data=fields,
                            files={k: (n, c, "text/csv") for k, (n, c) in files.items()})
    return request.read(), request.headers["content-type"]


def _assert_too_large(response: httpx.Response, words: str) -> None:
    assert response.status_code == 413, response.text[:300]
    assert len(response.content) < 16 * 1024 and words in response.text and "/tmp" not in response.text


async def test_an_upload_over_its_kinds_limit_is_refused_on_every_path(app, world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MAX_REGISTRY_FILE_MB", "1")
    monkeypatch.setenv("MAX_BANK_RESULT_FILE_MB", "1")
    monkeypatch.setenv("MAX_AUDIT_PACK_FILE_MB", "1")
    big = _registry_bytes(5 << 20)
    bearer = {"authorization": f"Bearer {world.tokens['acc1']}", "accept": "application/json"}
    run = world.runs["V0001"]
    async with browser(app, "acc1") as b:
        # a page form with the token in a field, then in the header
        field = await b.post("/villages/V0001/registry", {"period": "2025"}, files={"households": ("h.csv", big)})
        _assert_too_large(field, "名册文件最大 1 MB")
        header = await b.client.post("/villages/V0001/registry", data={"period": "2025"},
                                     files={"households": ("h.csv", big)}, headers={"x-csrf-token": b.csrf})
        _assert_too_large(header, "名册文件最大 1 MB")
        result = await b.post(f"/runs/{run}/bank-result", {}, files={"result": ("r.csv", big)})
        _assert_too_large(result, "银行回盘文件最大 1 MB")
        # the API with a bearer token
        api = await b.client.post("/api/v1/villages/V0001/registry", data={"period": "2025"},
                                  files={"households": ("h.csv", big)}, headers=bearer)
        assert api.status_code == 413 and "1 MB" in api.json()["problems"][0]["message"]
        api = await b.client.post(f"/api/v1/runs/{run}/bank-result", files={"result": ("r.csv", big)}, headers=bearer)
        assert api.status_code == 413
        # a form body that is not an upload
        form = await b.post("/villages/V0001/returns", {"period": "2024", "amount": "1" * (2 << 20)})
        _assert_too_large(form, "1 MB")
    async with browser(app, "aud1") as auditor:
        pack = await auditor.post("/county/verify-pack", {}, files={"pack": ("pack.zip", big)})
        _assert_too_large(pack, "审计包最大 1 MB")


async def test_an_undeclared_body_is_stopped_while_it_streams_in(app, world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Without Content-Length the body is counted as it comes and reading stops at the limit."""
    monkeypatch.setenv("MAX_REGISTRY_FILE_MB", "1")
    limit = 3 * (1 << 20) + (1 << 20)
    async with browser(app, "acc1") as b:
        for headers, fields in (({}, {"csrf_token": b.csrf}), ({"x-csrf-token": b.csrf}, {}),
                                ({"authorization": f"Bearer {world.tokens['acc1']}"}, {})):
            body, content_type = _multipart({"period": "2025", **fields}, {"households": ("h.csv", _registry_bytes(20 << 20))})
            consumed = [0]
            path = "/api/v1/villages/V0001/registry" if "authorization" in headers else "/villages/V0001/registry"
            response = await b.client.post(path, content=_chunks(body, consumed),
                                           headers={"content-type": content_type, **headers})
            assert response.status_code == 413, (headers, response.text[:300])
            assert limit < consumed[0] <= limit + 2 * 64 * 1024, consumed


async def test_a_declared_length_over_the_limit_is_refused_before_reading(app) -> None:  # type: ignore[no-untyped-def]
    async with browser(app, "acc1") as b:
        consumed = [0]
        response = await b.client.post("/villages/V0001/returns", content=_chunks(b"x" * (3 << 20), consumed),
                                       headers={"content-length": str(3 << 20), "x-csrf-token": b.csrf,
                                                "content-type": "application/x-www-form-urlencoded"})
        assert response.status_code == 413 and consumed[0] <= 64 * 1024


async def test_a_webhook_body_is_capped_at_a_few_kb_before_it_is_parsed(app) -> None:  # type: ignore[no-untyped-def]
    async with _client(app) as provider:
        consumed = [0]
        response = await provider.post("/webhooks/twilio/status", content=_chunks(b"a=" + b"x" * (1 << 20), consumed),
                                       headers={"content-type": "application/x-www-form-urlencoded",
                                                "x-twilio-signature": "forged"})
        assert response.status_code in (403, 413) and consumed[0] <= 64 * 1024 + 64 * 1024


async def test_a_300_byte_file_name_gives_a_clear_400_naming_the_file(app) -> None:  # type: ignore[no-untyped-def]
    name = "上河村农户名册" * 14 + ".csv"
    assert len(name.encode()) > 290
    async with browser(app, "acc1") as b:
        response = await b.post("/villages/V0001/registry", {"period": "2025"},
                                files={"households": (name, "户编号,别的\nH1,x\n".encode())})
    assert response.status_code == 400, response.text[:300]
    assert "上河村农户名册上河村农户名册" in response.text and "/tmp" not in response.text
    assert len(response.content) < 64 * 1024


async def test_a_malformed_audit_pack_is_a_clear_400(app) -> None:  # type: ignore[no-untyped-def]
    import io
    import zipfile
    pack = io.BytesIO()
    with zipfile.ZipFile(pack, "w") as archive:
        archive.writestr("manifest.json", b"{not json")
    async with browser(app, "aud1") as auditor:
        for name, content in (("审计包.zip", pack.getvalue()), ("x" * 300 + ".zip", b"not a zip")):
            response = await auditor.post("/county/verify-pack", {}, files={"pack": (name, content)})
            assert response.status_code == 400, response.text[:300]
            assert name[:40] in response.text and "/tmp" not in response.text
