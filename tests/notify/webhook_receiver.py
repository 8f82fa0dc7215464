"""A stand-in for our webhook routes: records every request it gets."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from support.serve import BackgroundServer


@dataclass
class Received:
    url: str
    headers: dict[str, str]
    form: dict[str, str]
    body: bytes = b""


@dataclass
class CallbackReceiver:
    """A tiny ASGI app that records every POST (a stand-in for our webhook route)."""

    received: list[Received] = field(default_factory=list)
    status: int = 204
    server: BackgroundServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return self.server.url

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                event = await receive()
                await send({"type": event["type"] + ".complete"})
                if event["type"] == "lifespan.shutdown":
                    return
        body = b""
        while True:
            event = await receive()
            body += event.get("body", b"")
            if not event.get("more_body"):
                break
        query = scope["query_string"].decode()
        self.received.append(
            Received(
                url=f"{self.url}{scope['path']}" + (f"?{query}" if query else ""),
                headers={k.decode().lower(): v.decode() for k, v in scope["headers"]},
                form=dict(parse_qsl(body.decode(), keep_blank_values=True)),
                body=body,
            )
        )
        await send({"type": "http.response.start", "status": self.status, "headers": []})
        await send({"type": "http.response.body", "body": b""})
