"""Administration (users, villages) and every user's own API tokens."""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from dividends import access, villages
from dividends.access import ROLES, Actor
from dividends.usecases import tokens, users
from dividends.usecases import villages as village_cases
from dividends.web import forms
from dividends.web.auth import page
from dividends.web.render import redirect, render


@page
async def users_page(request: Request, actor: Actor) -> Response:
    found = await users.all_of(actor)
    rows = list(await access.villages_query(actor).order_by("code"))
    return render(request, "admin_users.html", {"users": found, "roles": ROLES, "villages": rows})


@page
async def create_user(request: Request, actor: Actor) -> Response:
    access.require(actor, "users.manage")
    form = await request.form()
    await users.create(actor, forms.text(form, "username", limit=64), str(form.get("password", "")),
                       forms.choice(form.get("role"), "role", ROLES),
                       village=forms.text(form, "village", required=False, limit=64) or None,
                       county=forms.text(form, "county", required=False, limit=32) or None,
                       display_name=forms.text(form, "display_name", required=False, limit=128))
    return redirect("/admin/users")


@page
async def set_active(request: Request, actor: Actor) -> Response:
    user_id = int(request.path_params["user_id"])
    await access.user_for(actor, user_id)  # scope before the body is read
    form = await request.form()
    active = forms.choice(form.get("active"), "active", ["true", "false"]) == "true"
    await users.set_active(actor, user_id, active)
    return redirect("/admin/users")


@page
async def villages_page(request: Request, actor: Actor) -> Response:
    access.require(actor, "users.manage")
    rows = list(await access.villages_query(actor).order_by("code").prefetch_related("county"))
    return render(request, "admin_villages.html", {"villages": rows})


@page
async def create_village(request: Request, actor: Actor) -> Response:
    access.require(actor, "users.manage")
    form = await request.form()
    await village_cases.create(actor, forms.text(form, "code", limit=64), forms.text(form, "name", required=False, limit=128),
                                county=forms.text(form, "county", required=False, limit=32) or (actor.county_code or ""),
                                county_name=forms.text(form, "county_name", required=False, limit=128),
                                contact_name=forms.text(form, "contact_name", required=False, limit=64),
                                contact_phone=forms.text(form, "contact_phone", required=False, limit=32),
                                office_address=forms.text(form, "office_address", required=False, limit=255))
    return redirect("/admin/villages")


@page
async def update_village(request: Request, actor: Actor) -> Response:
    access.require(actor, "users.manage")
    village = await access.village_for(actor, request.path_params["code"])
    form = await request.form()
    await village_cases.update(actor, village.code, **{  # a village keeps a name; each field as long as it is stored
        field: forms.text(form, field, required=field == "name", limit=villages.FIELD_LIMITS[field])
        for field in villages.FIELDS if field in form})
    language = forms.text(form, "language", required=False, limit=8)
    if language and language != village.language:
        await village_cases.set_language(actor, village.code, language)
    return redirect("/admin/villages")


@page
async def tokens_page(request: Request, actor: Actor) -> Response:
    return render(request, "tokens.html", {"tokens": await tokens.mine(actor), "new_token": None})


@page
async def create_token(request: Request, actor: Actor) -> Response:
    form = await request.form()
    token = await tokens.create(actor, forms.text(form, "name", limit=64))
    return render(request, "tokens.html", {"tokens": await tokens.mine(actor), "new_token": token})


@page
async def revoke_token(request: Request, actor: Actor) -> Response:
    await tokens.revoke(actor, int(request.path_params["token_id"]))
    return redirect("/account/tokens")


ROUTES = [
    Route("/admin/users", users_page, methods=["GET"]),
    Route("/admin/users", create_user, methods=["POST"]),
    Route("/admin/users/{user_id:int}/active", set_active, methods=["POST"]),
    Route("/admin/villages", villages_page, methods=["GET"]),
    Route("/admin/villages", create_village, methods=["POST"]),
    Route("/admin/villages/{code}", update_village, methods=["POST"]),
    Route("/account/tokens", tokens_page, methods=["GET"]),
    Route("/account/tokens", create_token, methods=["POST"]),
    Route("/account/tokens/{token_id:int}/revoke", revoke_token, methods=["POST"]),
]
