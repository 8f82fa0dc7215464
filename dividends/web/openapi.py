"""The OpenAPI 3.1 description of the JSON API, written by hand (served at ``/openapi.json``)."""
from __future__ import annotations

from typing import Any

from dividends import __version__


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERRORS = {
    "400": _json(_ref("Error"), "bad input: every problem, located"),
    "401": _json(_ref("Error"), "no or an unknown token"),
    "403": _json(_ref("Error"), "the role may not do this"),
    "404": _json(_ref("Error"), "not found, or outside the caller's village or county"),
}
CONFLICT = {"409": _json(_ref("Error"), "the run's state does not allow this now")}

CODE = {"name": "code", "in": "path", "required": True, "schema": {"type": "string", "minLength": 1, "maxLength": 64}}
RUN_ID = {"name": "run_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1,
                                                                         "maximum": 2147483647}}
PERIOD = {"type": "integer", "minimum": 2000, "maximum": 2100}
FEN = {"type": "integer", "description": "integer fen (1/100 yuan)"}


def _op(summary: str, ok: dict[str, Any], *, params: list[dict[str, Any]] | None = None,
        body: dict[str, Any] | None = None, conflict: bool = False, status: str = "200") -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "parameters": params or [], "responses": {status: ok, **ERRORS}}
    if conflict:
        op["responses"].update(CONFLICT)
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return op


def _multipart(required: list[str], **props: Any) -> dict[str, Any]:
    return {"required": True, "content": {"multipart/form-data": {"schema": _obj(required, **props)}}}


FILE = {"type": "string", "format": "binary"}


def _obj(required: list[str], **props: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": props}


RUN_CHANGED = {"allOf": [_ref("Run"), _obj([], changed={"type": "boolean"})]}

OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Asset-return dividend engine", "version": __version__,
             "description": "Payout runs of village collectives. Money is integer fen. Authenticate with "
                            "`Authorization: Bearer <token>` (made on the API tokens page)."},
    "servers": [{"url": "/"}],
    "security": [{"bearer": []}],
    "paths": {
        "/api/v1/me": {"get": _op("the caller", _json(_ref("Me"), "the caller"))},
        "/api/v1/villages": {"get": _op("villages the caller may see", _json(_obj(
            ["villages"], villages={"type": "array", "items": _obj(["code", "name"], code={"type": "string"},
                                                                   name={"type": "string"})}), "villages"))},
        "/api/v1/villages/{code}": {"get": _op("a village: registries, returns, runs", _json(_ref("Village"), "the village"),
                                               params=[CODE])},
        "/api/v1/villages/{code}/registry": {"post": {
            **_op("import the village's registry for a period (accountant); a file with other villages is refused",
                  _json(_obj(["period", "version", "households", "added", "removed", "changed", "unchanged"],
                             period=PERIOD, version={"type": "integer"}, households={"type": "integer"},
                             added={"type": "integer"}, removed={"type": "integer"}, changed={"type": "integer"},
                             unchanged={"type": "boolean"}), "the new (or unchanged) version"),
                  params=[CODE], status="201"),
            "requestBody": _multipart(["period", "households"], period=PERIOD, households=FILE, members=FILE, posts=FILE)}},
        "/api/v1/villages/{code}/returns": {"post": _op(
            "record the village's asset return for a period (accountant)",
            _json(_obj(["period", "asset", "amount_fen"], period=PERIOD, asset={"type": "string"}, amount_fen=FEN),
                  "recorded"), params=[CODE], status="201",
            body=_obj(["period", "amount_yuan"], period=PERIOD,
                      amount_yuan={"type": "string", "description": "yuan with at most two decimals", "maxLength": 40},
                      asset={"type": "string", "maxLength": 128}, note={"type": "string", "maxLength": 2000}))},
        "/api/v1/villages/{code}/runs": {"post": _op(
            "create a run with a preset scheme (accountant)", _json(_ref("Run"), "the new run"), params=[CODE],
            status="201", body=_obj(["period", "scheme"], period=PERIOD, scheme={"type": "string"}))},
        "/api/v1/villages/{code}/verify": {"get": _op(
            "verify a village's ledger chain and recompute its runs (auditor, admin)",
            _json(_ref("Verification"), "the verification"), params=[CODE])},
        "/api/v1/runs/{run_id}": {"get": _op("a run", _json(_ref("Run"), "the run"), params=[RUN_ID])},
        "/api/v1/runs/{run_id}/lines": {"get": _op(
            "a run's allocation lines", _json(_obj(["total", "lines"], total={"type": "integer"},
                                                   lines={"type": "array", "items": _ref("Line")}), "lines"),
            params=[RUN_ID, {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 64}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}},
                    {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": 1000000000}}])},
        "/api/v1/runs/{run_id}/compute": {"post": _op("compute (accountant)", _json(RUN_CHANGED, "the run"),
                                                      params=[RUN_ID], conflict=True)},
        "/api/v1/runs/{run_id}/publicize": {"post": _op(
            "start the notice period (accountant)", _json(RUN_CHANGED, "the run"), params=[RUN_ID], conflict=True,
            body=_obj(["start", "end"], start={"type": "string", "format": "date"}, end={"type": "string", "format": "date"}))},
        "/api/v1/runs/{run_id}/objections": {"post": _op(
            "record an objection during the notice period (accountant, committee)",
            _json(_obj(["id", "household_id", "status"], id={"type": "integer"}, household_id={"type": "string"},
                       status={"type": "string"}), "recorded"), params=[RUN_ID], conflict=True, status="201",
            body=_obj(["household_id", "text"], household_id={"type": "string", "maxLength": 64},
                      text={"type": "string", "minLength": 1, "maxLength": 2000}))},
        "/api/v1/runs/{run_id}/approve": {"post": _op(
            "approve on the villagers' (representatives') meeting resolution (committee; never the preparer; after "
            "the notice period; no open objection; quorum and majority met; bound to the content hash; the "
            "township's review first where the county requires it)",
            _json(RUN_CHANGED, "the run"), params=[RUN_ID], conflict=True,
            body=_obj(["meeting_date", "entitled", "present", "votes_for"],
                      meeting_date={"type": "string", "format": "date"},
                      body={"type": "string", "enum": ["representatives", "members"]},
                      entitled={"type": "integer", "minimum": 0}, present={"type": "integer", "minimum": 0},
                      votes_for={"type": "integer", "minimum": 0}, votes_against={"type": "integer", "minimum": 0},
                      abstaining={"type": "integer", "minimum": 0}, content_hash={"type": "string", "maxLength": 64}))},
        "/api/v1/runs/{run_id}/return": {"post": _op(
            "return a computed or publicized run to be corrected and recomputed (驳回; committee)",
            _json(RUN_CHANGED, "the run"), params=[RUN_ID], conflict=True,
            body=_obj(["reason"], reason={"type": "string", "minLength": 1, "maxLength": 2000}))},
        "/api/v1/runs/{run_id}/review": {"post": _op(
            "record the township's review and filing of the plan (township)",
            _json(RUN_CHANGED, "the run"), params=[RUN_ID], conflict=True,
            body=_obj([], filing_number={"type": "string", "maxLength": 64}, note={"type": "string", "maxLength": 2000}))},
        "/api/v1/runs/{run_id}/pay": {"post": _op(
            "issue a payout batch and its bank files (accountant)",
            _json(_obj(["batch", "items", "total_fen", "csv", "xlsx"], batch={"type": "integer"}, items={"type": "integer"},
                       total_fen=FEN, csv={"type": "string"}, xlsx={"type": "string"}), "the batch"),
            params=[RUN_ID], conflict=True, status="201", body=_obj([], bank_format={"type": "string"}))},
        "/api/v1/runs/{run_id}/bank-result": {"post": {
            **_op("import the bank's result file for the run's newest (or a given) batch (accountant)",
                  _json(_obj(["batch", "paid", "failed", "changed"], batch={"type": "integer"}, paid={"type": "integer"},
                             failed={"type": "integer"}, changed={"type": "boolean"}), "recorded"),
                  params=[RUN_ID], conflict=True, status="201"),
            "requestBody": _multipart(["result"], result=FILE, batch={"type": "integer", "minimum": 1})}},
        "/api/v1/runs/{run_id}/close": {"post": _op("close a paid run (accountant)", _json(RUN_CHANGED, "the run"),
                                                    params=[RUN_ID], conflict=True)},
        "/api/v1/county/overview": {"get": _op(
            "totals per village and scheme, run states, household amounts (auditor, admin)",
            _json({"type": "object"}, "the overview"),
            params=[{"name": "period", "in": "query", "schema": PERIOD}])},
        "/api/v1/county/anomalies": {"get": _op("anomalies across the county's villages (auditor, admin)",
                                                _json({"type": "object"}, "the anomalies"))},
    },
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Error": _obj(["error"], error={"type": "string"}, problems={"type": "array", "items": _obj(
                ["where", "message"], where={"type": "string"}, message={"type": "string"})}),
            "Me": _obj(["username", "role"], username={"type": "string"},
                       role={"enum": ["accountant", "committee", "auditor", "admin"]},
                       village={"type": ["string", "null"]}, county={"type": ["string", "null"]}),
            "Village": _obj(["code", "name", "county", "snapshots", "returns", "runs"], code={"type": "string"},
                            name={"type": "string"}, county={"type": "string"},
                            snapshots={"type": "array", "items": {"type": "object"}},
                            returns={"type": "array", "items": {"type": "object"}},
                            runs={"type": "array", "items": {"type": "object"}}),
            "Run": _obj(["id", "village", "period", "state", "pool_fen"], id={"type": "integer"},
                        village={"type": "string"}, period=PERIOD, kind={"type": "string"},
                        state={"enum": ["draft", "computed", "publicized", "approved", "paid", "closed", "reversed"]},
                        scheme={"type": "string"}, scheme_version={"type": "integer"}, pool_fen=FEN,
                        lines={"type": "integer"}, content_hash={"type": ["string", "null"]},
                        prepared_by={"type": "string"}, approved_by={"type": ["string", "null"]},
                        notice_start={"type": ["string", "null"]}, notice_end={"type": ["string", "null"]}),
            "Line": _obj(["recipient_kind", "recipient_id", "amount_fen", "breakdown"],
                         recipient_kind={"enum": ["household", "account"]}, recipient_id={"type": "string"},
                         status={"type": "string"}, members={"type": "integer"}, amount_fen=FEN,
                         breakdown={"type": "object", "additionalProperties": {"type": "integer"}}),
            "Verification": _obj(["village", "ok", "ledger_entries", "ledger_errors", "runs"], village={"type": "string"},
                                 ok={"type": "boolean"}, ledger_entries={"type": "integer"},
                                 ledger_errors={"type": "array", "items": {"type": "string"}},
                                 runs={"type": "array", "items": {"type": "object"}}),
        },
    },
}
