from __future__ import annotations

from collections.abc import Iterator

import pytest
from webhook_receiver import CallbackReceiver

from support.fake_aliyun import FakeAliyunServer
from support.fake_provider import FakeProviderServer
from support.fake_tencent import FakeTencentServer
from support.fake_twilio import FakeTwilioServer
from support.serve import BackgroundServer


@pytest.fixture(scope="session")
def twilio_server() -> Iterator[FakeTwilioServer]:
    """One fake Twilio for the session (starting uvicorn costs ~0.3 s)."""
    with FakeTwilioServer(deterministic_sids=True) as server:
        yield server


@pytest.fixture
def fake_twilio(twilio_server: FakeTwilioServer) -> Iterator[FakeTwilioServer]:
    """The session's fake Twilio, reset before and after each test."""
    twilio_server.state.reset()
    twilio_server.state.control(
        {"callbacks": {"enabled": True, "out_of_order": False, "final_only": False}}
    )
    yield twilio_server
    twilio_server.state.release_hangs()
    twilio_server.state.reset()


@pytest.fixture(scope="session")
def _receiver_server() -> Iterator[CallbackReceiver]:
    receiver = CallbackReceiver()
    with BackgroundServer(receiver) as server:
        receiver.server = server
        yield receiver


@pytest.fixture
def receiver(_receiver_server: CallbackReceiver) -> Iterator[CallbackReceiver]:
    _receiver_server.received.clear()
    _receiver_server.status = 204
    yield _receiver_server
    _receiver_server.received.clear()


@pytest.fixture(scope="session")
def _aliyun_server() -> Iterator[FakeProviderServer]:
    with FakeAliyunServer() as server:
        yield server


@pytest.fixture(scope="session")
def _tencent_server() -> Iterator[FakeProviderServer]:
    with FakeTencentServer() as server:
        yield server


@pytest.fixture
def fake_aliyun(_aliyun_server: FakeProviderServer) -> Iterator[FakeProviderServer]:
    """The session's fake Aliyun SMS, reset before and after each test."""
    _aliyun_server.state.reset()
    yield _aliyun_server
    _aliyun_server.state.reset()


@pytest.fixture
def fake_tencent(_tencent_server: FakeProviderServer) -> Iterator[FakeProviderServer]:
    """The session's fake Tencent Cloud SMS, reset before and after each test."""
    _tencent_server.state.reset()
    yield _tencent_server
    _tencent_server.state.reset()
