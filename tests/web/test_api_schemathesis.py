"""The JSON API against its own OpenAPI description (schemathesis): every operation, valid and
invalid inputs, as a signed-in accountant, committee member and auditor: never a server error,
and every answer has a status, content type and body the description declares.

The app runs under uvicorn in a thread with its own database connections (the same database
as the test session's), so requests go over real HTTP as a script's would.
"""
from __future__ import annotations

import asyncio

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

from support.serve import BackgroundServer
from tests.web.support import settings_for
from tests.web.world import build_world
from dividends.web.app import create_app

pytestmark = [pytest.mark.db, pytest.mark.slow]

EXAMPLES = 25
CONFORMANCE = [status_code_conformance, content_type_conformance, response_schema_conformance]


def _fuzz(url: str, tokens: dict[str, str]) -> list[str]:
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    errors: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(generation_mode=mode)

            @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                      suppress_health_check=list(HealthCheck))
            @given(case=strategy)
            def check(case: schemathesis.Case) -> None:
                for user in ("acc1", "com1", "aud1"):
                    response = case.call(base_url=url, headers={"Authorization": f"Bearer {tokens[user]}"})
                    where = f"{user} {case.method} {case.formatted_path} {case.query} {case.body!r}"
                    if response.status_code >= 500:
                        errors.append(f"{where}: {response.status_code} {response.text[:200]}")
                        continue
                    try:
                        case.validate_response(response, checks=CONFORMANCE)
                    except Exception as failure:  # schemathesis raises a FailureGroup naming each check
                        errors.append(f"{where}: {response.status_code} not as described: {str(failure)[:400]}")

            check()
    return errors


async def test_no_request_to_the_api_causes_a_server_error(app, clock, tmp_path, clean_db) -> None:  # type: ignore[no-untyped-def]
    world = await build_world(tmp_path, clock)
    server_app = create_app(settings_for(clean_db), clock)
    with BackgroundServer(server_app) as server:
        async with httpx.AsyncClient() as client:
            described = (await client.get(f"{server.url}/openapi.json")).json()
        assert described["openapi"].startswith("3.")
        errors = await asyncio.to_thread(_fuzz, server.url, world.tokens)
    assert errors == [], "\n".join(errors[:20])
