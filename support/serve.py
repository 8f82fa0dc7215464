"""Run an ASGI app with uvicorn on 127.0.0.1 in a background thread (tests, demos, benchmarks).

>>> async def app(scope, receive, send): ...
>>> with BackgroundServer(app) as server:   # doctest: +SKIP
...     httpx.get(server.url + "/")

The port is picked by the operating system (a socket bound to port 0 and handed to uvicorn,
so no other process can take it in between). The socket is made with ``IPPROTO_TCP``: asyncio
turns Nagle's algorithm off only on sockets whose ``proto`` says TCP, and with Nagle on, the
two writes of each response (head, then body) meet the client's delayed ACK: 40 ms per
request. :meth:`BackgroundServer.stop` asks uvicorn to exit, waits for the thread and leaves
no socket open. The app's lifespan runs in the server's own event loop.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Self

import uvicorn

ASGIApp = Callable[..., Any]


class StartStop:
    """``with thing:`` starts it and stops it (``start()`` returns the started thing)."""

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        return await asyncio.to_thread(self.start)

    async def __aexit__(self, *exc_info: object) -> None:
        await asyncio.to_thread(self.stop)


def listening_socket(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A TCP socket bound and listening on ``host`` (port 0: one the operating system picks).
    Bind it first when the app must know its own URL before it is made (``BackgroundServer(app,
    sock=...)``): no other process can take the port in between, as it could between picking a
    "free" port and binding it later."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    return sock


@contextmanager
def refused_port(host: str = "127.0.0.1") -> Iterator[int]:
    """A port where connections are refused for the whole ``with`` block: a socket bound to it
    but not listening (a port merely found free could be taken by a parallel test's server)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        yield int(sock.getsockname()[1])


class BackgroundServer(StartStop):
    def __init__(self, app: ASGIApp, *, host: str = "127.0.0.1", port: int = 0,
                 sock: socket.socket | None = None) -> None:
        self.app = app
        self.host = host
        self._requested_port = port
        self._port: int | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = sock
        self.loop: asyncio.AbstractEventLoop | None = None
        self._error: BaseException | None = None

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the server was never started")
        return self._port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> Self:
        if self._socket is None:
            self._socket = listening_socket(self.host, self._requested_port)
        self._port = int(self._socket.getsockname()[1])
        config = uvicorn.Config(
            self.app,
            lifespan="on",
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=2,
            server_header=False,
            date_header=False,
            backlog=2048,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name=f"asgi-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if self._error is not None or not self._thread.is_alive():
                self.stop()
                raise RuntimeError(f"the server did not start: {self._error!r}")
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError("the server did not start in time")
            time.sleep(0.005)
        return self

    def _run(self) -> None:
        assert self._server is not None and self._socket is not None
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # reported by start(); SystemExit from a failed lifespan
            self._error = exc

    async def _serve(self) -> None:
        assert self._server is not None and self._socket is not None
        self.loop = asyncio.get_running_loop()
        await self._server.serve(sockets=[self._socket])

    def before_stop(self) -> None:
        """Called in the caller's thread before uvicorn is asked to exit (override)."""

    def stop(self, timeout: float = 10.0) -> None:
        if self._server is not None and self._thread is not None and self._thread.is_alive():
            self.before_stop()
            self._server.should_exit = True
            self._thread.join(timeout)
            if self._thread.is_alive():
                self._server.force_exit = True
                self._thread.join(timeout)
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        self._thread = None
        self._server = None

