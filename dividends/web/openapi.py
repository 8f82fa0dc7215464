"""The OpenAPI 3.1 description of the JSON API, generated from the operations' declared types
(:mod:`dividends.web.payloads`, JSON Schema by pydantic) and served at ``/openapi.json``.

Each :class:`Operation` is both a route of the app and a path of the description, so a route
cannot go undescribed; the tests check the real responses against the description
(tests/web/test_api_schemathesis.py).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, Field, TypeAdapter
from pydantic.json_schema import models_json_schema
from starlette.routing import Route

from dividends import __version__
from dividends.web.payloads import Error

#: Every path parameter of the API and its type.
PATH_PARAMETERS: dict[str, Any] = {
    "code": Annotated[str, Field(min_length=1, max_length=64)],
    "run_id": Annotated[int, Field(ge=1, le=2**31 - 1)],
}
ERRORS = {400: "bad input: every problem, located", 401: "no or an unknown token",
          403: "the role may not do this", 404: "not found, or outside the caller's village or county"}
CONFLICT = "the run's state does not allow this now"
_PARAMETER = re.compile(r"{([a-z_]+)(?::[a-z]+)?}")
_REF = "#/components/schemas/{model}"


@dataclass(frozen=True)
class Operation:
    """One route of the API with what it takes and what it answers."""
    method: str
    path: str  # a Starlette path: ``/api/v1/runs/{run_id:int}``
    endpoint: Callable[..., Any]
    summary: str
    answer: type[BaseModel]
    status: int = 200
    body: type[BaseModel] | None = None  # a JSON object
    form: type[BaseModel] | None = None  # multipart/form-data
    query: type[BaseModel] | None = None
    conflict: bool = False  # 409 when the run's state does not allow it

    @property
    def route(self) -> Route:
        return Route(self.path, self.endpoint, methods=[self.method])

    @property
    def described_path(self) -> str:
        return _PARAMETER.sub(r"{\1}", self.path)


def describe(operations: Sequence[Operation]) -> dict[str, Any]:
    """The OpenAPI document of ``operations``."""
    models = {Error, *(m for op in operations for m in (op.answer, op.body, op.form) if m is not None)}
    keys = [(m, "serialization" if m in {op.answer for op in operations} | {Error} else "validation")
            for m in sorted(models, key=lambda m: m.__name__)]
    refs, schemas = models_json_schema(keys, ref_template=_REF)
    ref = {model: refs[(model, mode)] for model, mode in keys}
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        paths.setdefault(op.described_path, {})[op.method.lower()] = _operation(op, ref)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Asset-return dividend engine", "version": __version__,
                 "description": "Payout runs of village collectives. Money is integer fen. Authenticate with "
                                "`Authorization: Bearer <token>` (made on the API tokens page)."},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
                       "schemas": schemas.get("$defs", {})},
    }


def _operation(op: Operation, ref: dict[type[BaseModel], Any]) -> dict[str, Any]:
    def answer(schema: Any, description: str) -> dict[str, Any]:
        return {"description": description, "content": {"application/json": {"schema": schema}}}

    parameters = [{"name": name, "in": "path", "required": True,
                   "schema": TypeAdapter(PATH_PARAMETERS[name]).json_schema()}
                  for name in _PARAMETER.findall(op.path)]
    if op.query is not None:
        schema = op.query.model_json_schema()
        parameters += [{"name": name, "in": "query", "required": name in schema.get("required", ()),
                        "schema": _without_titles(_non_null(prop))} for name, prop in schema["properties"].items()]
    responses = {str(op.status): answer(ref[op.answer], (op.answer.__doc__ or op.answer.__name__).strip())}
    responses |= {str(code): answer(ref[Error], text) for code, text in ERRORS.items()}
    if op.conflict:
        responses["409"] = answer(ref[Error], CONFLICT)
    described: dict[str, Any] = {"summary": op.summary, "operationId": op.endpoint.__name__,
                                 "parameters": parameters, "responses": responses}
    if op.body is not None:
        described["requestBody"] = {"required": True, "content": {"application/json": {"schema": ref[op.body]}}}
    if op.form is not None:
        described["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": ref[op.form]}}}
    return described


def _non_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter is absent rather than null: ``int | None`` is described as ``int``."""
    options = [s for s in schema.get("anyOf", ()) if s != {"type": "null"}]
    if len(options) == 1:
        return {**{k: v for k, v in schema.items() if k != "anyOf" and (k, v) != ("default", None)}, **options[0]}
    return schema


def _without_titles(schema: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in schema.items() if k != "title"}
