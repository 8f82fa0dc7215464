"""API tokens: every user creates, lists and revokes the tokens of its own account (a token acts
exactly as its user, with the same rules; it ends when the user is deactivated)."""
from __future__ import annotations

from typing import Any

from dividends import access
from dividends.actors import Actor
from dividends.policy import allow


async def create(actor: Actor, name: str) -> str:
    """A new token; its secret is returned once and stored only hashed."""
    allow(actor, "tokens.own")
    return await access.create_token(actor, name)


async def mine(actor: Actor) -> list[Any]:
    allow(actor, "tokens.own")
    return await access.tokens_of(actor)


async def revoke(actor: Actor, token_id: int) -> None:
    """Revoke one of the actor's own tokens (another user's token is not found)."""
    allow(actor, "tokens.own")
    await access.revoke_token(actor, token_id)
