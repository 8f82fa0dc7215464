"""The app's frame: health, sign-in and out, sessions, CSRF, throttling, headers, language."""
from __future__ import annotations

import pytest

from dividends.store.models import LoginAttempt
from tests.web.support import PASSWORD, browser

pytestmark = pytest.mark.db


async def test_healthz_answers_ok(app) -> None:  # type: ignore[no-untyped-def]
    async with browser(app) as b:
        response = await b.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


async def test_pages_need_a_signed_in_user(app) -> None:  # type: ignore[no-untyped-def]
    async with browser(app) as b:
        response = await b.get("/villages/V0001")
    assert response.status_code == 303 and response.headers["location"] == "/login?next=%2Fvillages%2FV0001"


async def test_login_sets_a_secure_session_cookie_and_lands_on_the_users_home(app) -> None:  # type: ignore[no-untyped-def]
    async with browser(app) as b:
        page = await b.get("/login")
        assert page.status_code == 200 and "登录" in page.text
        response = await b.login("acc1")
        assert response.status_code == 303
        cookie = next(v for k, v in response.headers.multi_items() if k == "set-cookie")
        assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
        home = await b.get("/")
        assert home.headers["location"] == "/villages/V0001"
        village = await b.get("/villages/V0001")
        assert village.status_code == 200 and "东村" in village.text


async def test_a_wrong_password_is_refused_and_recorded(app) -> None:  # type: ignore[no-untyped-def]
    async with browser(app) as b:
        response = await b.login("acc1", "wrong password!")
    assert response.status_code == 401 and "用户名或密码不正确" in response.text
    assert await LoginAttempt.filter(username="acc1", success=False).count() == 1


async def test_five_failures_throttle_the_username_even_with_the_right_password(app, clock) -> None:  # type: ignore[no-untyped-def]
    async with browser(app) as b:
        for _ in range(5):
            assert (await b.login("acc1", "wrong password!")).status_code == 401
        refused = await b.login("acc1", PASSWORD)
        assert refused.status_code == 429 and "retry-after" in refused.headers
        clock.advance(minutes=16)
        assert (await b.login("acc1", PASSWORD)).status_code == 303


async def test_logout_ends_the_session(app) -> None:  # type: ignore[no-untyped-def]
    async with browser(app, "acc1") as b:
        assert (await b.post("/logout")).status_code == 303
        assert (await b.get("/villages/V0001")).status_code == 303


async def test_a_form_without_the_csrf_token_is_refused(app) -> None:  # type: ignore[no-untyped-def]
    async with browser(app, "acc1") as b:
        response = await b.client.post("/villages/V0001/returns", data={"period": "2024", "amount": "100"})
        assert response.status_code == 403
        wrong = await b.client.post("/villages/V0001/returns", data={"period": "2024", "amount": "100", "csrf_token": "x"})
        assert wrong.status_code == 403
        other_site = await b.client.post("/villages/V0001/returns", headers={"origin": "https://evil.example"},
                                         data={"period": "2024", "amount": "100", "csrf_token": b.csrf})
        assert other_site.status_code == 403
        ok = await b.post("/villages/V0001/returns", {"period": "2024", "amount": "100"})
        assert ok.status_code == 303


async def test_login_itself_needs_the_csrf_token(app) -> None:  # type: ignore[no-untyped-def]
    async with browser(app) as b:
        response = await b.client.post("/login", data={"username": "acc1", "password": PASSWORD})
    assert response.status_code == 403


async def test_every_page_carries_the_security_headers(app) -> None:  # type: ignore[no-untyped-def]
    async with browser(app, "acc1") as b:
        response = await b.get("/villages/V0001")
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "<script" not in response.text


async def test_english_is_one_switch_away_and_stays(app) -> None:  # type: ignore[no-untyped-def]
    async with browser(app, "acc1") as b:
        english = await b.get("/villages/V0001?lang=en")
        assert "Payout runs" in english.text and 'lang="en"' in english.text
        again = await b.get("/villages/V0001")
        assert "Payout runs" in again.text
        chinese = await b.get("/villages/V0001?lang=zh")
        assert "分配批次" in chinese.text


async def test_a_deactivated_user_is_signed_out_at_once(app) -> None:  # type: ignore[no-untyped-def]
    async with browser(app, "acc1") as b, browser(app, "adm1") as admin:
        users = await admin.get("/admin/users")
        assert users.status_code == 200
        from dividends.store.models import User
        acc1 = await User.get(username="acc1")
        assert (await admin.post(f"/admin/users/{acc1.id}/active", {"active": "false"})).status_code == 303
        assert (await b.get("/villages/V0001")).status_code == 303


async def test_behind_https_the_session_cookie_is_secure(clean_db, clock) -> None:  # type: ignore[no-untyped-def]
    from dividends.web.app import create_app
    from tests.web.support import running, seed_people, settings_for

    await seed_people()
    app = create_app(settings_for(clean_db, PUBLIC_BASE_URL="https://dividends.example.org"), clock, manage_database=False)
    async with running(app), browser(app) as b:
        page = await b.get("/login")
        cookie = page.headers["set-cookie"].lower()
        assert "secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie
        assert page.headers["strict-transport-security"].startswith("max-age=")


def test_the_app_refuses_to_start_without_a_secret_key() -> None:
    from dividends.settings import Settings, SettingsError
    from dividends.web.app import create_app

    with pytest.raises(SettingsError, match="SECRET_KEY"):
        create_app(Settings.from_env({}))
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        create_app(Settings.from_env({"SECRET_KEY": "short"}))


async def test_unknown_pages_are_404_in_the_users_language(app) -> None:  # type: ignore[no-untyped-def]
    async with browser(app, "acc1") as b:
        page = await b.get("/no/such/page?lang=en")
        api = await b.get("/api/v1/nothing")
    assert page.status_code == 404 and "does not exist" in page.text
    assert api.status_code == 404 and api.json()["error"]
