"""The OpenAPI description is generated from the operations' declared types: every API route is
in it with its methods, and every answer type is a schema of it (answers are checked against it
in test_roles.py and test_api_schemathesis.py)."""
from __future__ import annotations

import re

from starlette.routing import Route

from dividends.web.api import OPENAPI, OPERATIONS
from tests.web.support import make_clock, new_app


def test_every_api_route_is_described_with_its_methods() -> None:
    app = new_app("sqlite://:memory:", make_clock())
    routes = {(re.sub(r"{([a-z_]+):[a-z]+}", r"{\1}", r.path), method.lower())
              for r in app.routes if isinstance(r, Route) and r.path.startswith("/api/")
              for method in (r.methods or ()) - {"HEAD"}}
    described = {(path, method) for path, item in OPENAPI["paths"].items() for method in item}
    assert routes and routes == described


def test_every_declared_type_is_a_component_and_every_reference_resolves() -> None:
    schemas = OPENAPI["components"]["schemas"]
    for op in OPERATIONS:
        assert op.answer.__name__ in schemas
        for model in (op.body, op.form):
            assert model is None or model.__name__ in schemas
    refs = set(re.findall(r'"\$ref": "#/components/schemas/([A-Za-z]+)"', __import__("json").dumps(OPENAPI)))
    assert refs and refs <= set(schemas)


def test_money_is_integer_fen_and_run_states_come_from_the_policy() -> None:
    from dividends.policy import RUN_STATES

    run = OPENAPI["components"]["schemas"]["Run"]
    assert run["properties"]["pool_fen"]["type"] == "integer"
    assert tuple(run["properties"]["state"]["enum"]) == RUN_STATES
    assert run["additionalProperties"] is False
