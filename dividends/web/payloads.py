"""The JSON API's request and response types (pydantic): the handlers build their answers from
these, and :mod:`dividends.web.openapi` generates the description from them. Money is integer
fen; days are ISO dates."""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, field_validator
from pydantic_core import PydanticCustomError

from dividends.actors import ROLES
from dividends.approval import BODIES
from dividends.policy import RUN_STATES
from schemes.i18n import Msg, load_catalog
from schemes.problems import InputError, Problem

load_catalog(Path(__file__).parents[1] / "locale", "dividends")  # web.form.too_long, web.form.invalid

Fen = Annotated[int, Field(description="integer fen (1/100 yuan)")]
Period = Annotated[int, Field(ge=2000, le=2100)]
Role = Literal[ROLES]  # type: ignore[valid-type]
RunState = Literal[RUN_STATES]  # type: ignore[valid-type]
FILE = {"type": "string", "format": "binary"}
Upload = Annotated[bytes, WithJsonSchema(FILE)]
OptionalUpload = Annotated[bytes | None, WithJsonSchema(FILE)]


class Payload(BaseModel):
    """An answer: exactly these fields (the description says ``additionalProperties: false``)."""
    model_config = ConfigDict(frozen=True, extra="forbid")


class Request(BaseModel):
    """What a request carries; fields it does not declare are ignored; texts are stripped and
    refused when they hold a NUL character (no database column stores one)."""
    model_config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if isinstance(value, str) and "\x00" in value:
            raise PydanticCustomError("string_nul", "a NUL character cannot be stored")
        return value


R = TypeVar("R", bound=Request)


# --- requests ---------------------------------------------------------------------------------

class ReturnIn(Request):
    period: Period
    amount_yuan: Annotated[str, Field(min_length=1, max_length=40, description="yuan with at most two decimals")]
    asset: Annotated[str, Field(max_length=128)] = "asset"
    note: Annotated[str, Field(max_length=2000)] = ""


class ReturnCorrectionIn(Request):
    period: Period
    asset: Annotated[str, Field(min_length=1, max_length=128)]
    amount_yuan: Annotated[str, Field(min_length=1, max_length=40, description="the corrected amount, yuan with at most two decimals")]
    reason: Annotated[str, Field(max_length=2000)] = ""


class RunIn(Request):
    period: Period
    scheme: str


class PublicizeIn(Request):
    start: date
    end: date


class ObjectionIn(Request):
    household_id: Annotated[str, Field(min_length=1, max_length=64)]
    text: Annotated[str, Field(min_length=1, max_length=2000)]


class ResolutionIn(Request):
    """The villagers' (representatives') meeting resolution the approval rests on."""
    meeting_date: date
    body: Literal[BODIES] = "representatives"  # type: ignore[valid-type]
    entitled: Annotated[int, Field(ge=0, le=10**6)]
    present: Annotated[int, Field(ge=0, le=10**6)]
    votes_for: Annotated[int, Field(ge=0, le=10**6)]
    votes_against: Annotated[int, Field(ge=0, le=10**6)] = 0
    abstaining: Annotated[int, Field(ge=0, le=10**6)] = 0
    content_hash: Annotated[str, Field(max_length=64, description="the hash of the content voted on")] = ""


class ReturnRunIn(Request):
    reason: Annotated[str, Field(min_length=1, max_length=2000)]


class ReviewIn(Request):
    filing_number: Annotated[str, Field(max_length=64)] = ""
    note: Annotated[str, Field(max_length=2000)] = ""


class PayIn(Request):
    bank_format: str = "generic"


class RegistryForm(Request):
    period: Period
    households: Upload
    members: OptionalUpload = None
    posts: OptionalUpload = None
    events: OptionalUpload = None  # household and member events within the period


class BankResultForm(Request):
    result: Upload
    batch: Annotated[int | None, WithJsonSchema({"type": "integer", "minimum": 1})] = None


class LinesQuery(Request):
    q: Annotated[str, Field(max_length=64)] = ""
    limit: Annotated[int, Field(ge=1, le=1000)] = 100
    offset: Annotated[int, Field(ge=0, le=10**9)] = 0


class OverviewQuery(Request):
    period: Period | None = None


# --- responses --------------------------------------------------------------------------------

class Where(Payload):
    where: str
    message: str
    file: str = ""  # the uploaded file's own name, when the problem is in a file
    row: str = ""  # the row as the spreadsheet shows it (or the line)
    column: str = ""


class Error(Payload):
    error: str
    problems: list[Where] = []


class Me(Payload):
    username: str
    role: Role
    village: str | None
    county: str | None


class VillageRef(Payload):
    code: str
    name: str


class Villages(Payload):
    villages: list[VillageRef]


class RegistryVersion(Payload):
    """A registry version of a period: its households and what changed from the one before."""
    period: int
    version: int
    households: int
    added: int
    removed: int
    changed: int


class SnapshotRow(RegistryVersion):
    id: int


class ReturnRow(Payload):
    period: int
    asset: str
    amount_fen: Fen


class RunRow(Payload):
    id: int
    period: int
    state: RunState
    kind: str
    pool_fen: Fen


class Village(Payload):
    code: str
    name: str
    county: str
    snapshots: list[SnapshotRow]
    returns: list[ReturnRow]
    runs: list[RunRow]


class RegistryImported(RegistryVersion):
    """The new (or unchanged) version; warnings: headers nothing recognised, landlines; notes: the
    sheet read, rows skipped, rosters kept from the previous version."""
    unchanged: bool
    import_id: int | None
    warnings: list[str]
    notes: list[str]
    events: int = 0  # the version's household and member events
    events_added: int = 0  # against the previous version of the period
    events_removed: int = 0


class Run(Payload):
    id: int
    village: str
    period: int
    kind: str
    state: RunState
    scheme: str
    scheme_version: int
    pool_fen: Fen
    lines: int
    content_hash: str | None
    prepared_by: str
    approved_by: str | None
    notice_start: date | None
    notice_end: date | None


class RunChanged(Run):
    changed: bool


class Line(Payload):
    recipient_kind: Literal["household", "account"]
    recipient_id: str
    status: str
    members: int
    amount_fen: Fen
    breakdown: dict[str, int]


class Lines(Payload):
    total: int
    lines: list[Line]


class Objection(Payload):
    id: int
    household_id: str
    status: str


class Batch(Payload):
    batch: int
    items: int
    total_fen: Fen
    csv: str
    xlsx: str


class BankResult(Payload):
    batch: int
    paid: int
    failed: int
    changed: bool


class VillageTotals(Payload):
    code: str
    name: str
    runs: int
    households: int
    posted_fen: Fen
    issued_fen: Fen
    last_run: int | None
    last_state: RunState | None


class SchemeTotals(Payload):
    scheme: str
    version: int
    runs: int
    villages: int
    posted_fen: Fen


class Bin(Payload):
    low_fen: Fen
    high_fen: Fen
    count: int


class Overview(Payload):
    period: int | None
    periods: list[int]
    posted_fen: Fen
    issued_fen: Fen
    households: int
    states: dict[str, int]
    villages: list[VillageTotals]
    schemes: list[SchemeTotals]
    histogram: list[Bin]


class PaidLine(Payload):
    village: str
    household: str
    run: int
    amount_fen: Fen


class DoublePayment(Payload):
    period: int
    id_number: str
    lines: list[PaidLine]


class HouseholdRef(Payload):
    village: str
    household: str


class SharedPhone(Payload):
    period: int
    phone: str
    households: list[HouseholdRef]


class LatePayout(Payload):
    run: int
    village: str
    period: int
    state: RunState
    deadline: date
    paid_on: date | None
    days_late: int


class Parked(Payload):
    village: str
    run: int
    period: int
    account: str
    amount_fen: Fen


class RunStateRef(Payload):
    run: int
    state: RunState


class DoubleBooking(Payload):
    """One recorded return drawn on by more than one live run."""
    village: str
    period: int
    asset: str
    return_: Annotated[int, Field(alias="return")]
    amount_fen: Fen
    runs: list[RunStateRef]


class Anomalies(Payload):
    double_payments: list[DoublePayment]
    shared_phones: list[SharedPhone]
    late_payouts: list[LatePayout]
    parked: list[Parked]
    parked_fen: Fen
    double_bookings: list[DoubleBooking]


class RunVerification(Payload):
    run: int
    state: RunState
    ok: bool
    detail: str


class Verification(Payload):
    village: str
    ok: bool
    ledger_entries: int
    ledger_errors: list[str]
    runs: list[RunVerification]


# --- parsing requests -------------------------------------------------------------------------

_INT_ERRORS = {"int_type", "int_parsing", "int_from_float", "greater_than_equal", "less_than_equal", "greater_than",
               "less_than"}
_DATE_ERRORS = {"date_type", "date_parsing", "date_from_datetime_parsing", "date_from_datetime_inexact"}


def parse_json(model: type[R], raw: bytes) -> R:
    """A JSON request body as its declared type (strict: a whole number is a JSON number, a day an
    ISO date), or :class:`InputError` naming each field that is wrong, in zh and en."""
    from pydantic import ValidationError
    try:
        return model.model_validate_json(raw or b"{}", strict=True)
    except ValidationError as error:
        raise InputError([_problem(e) for e in error.errors(include_url=False)]) from None


def _problem(error: Any) -> Problem:
    """One pydantic error as the project's message, located at its field (``key``)."""
    kind, loc = error["type"], error.get("loc", ())
    field = ".".join(str(part) for part in loc)
    found = error.get("input")
    shown = "" if isinstance(found, (dict, list)) or found is None else str(found)[:40]
    ctx = error.get("ctx") or {}
    if kind in ("json_invalid", "json_type"):
        return Problem(Msg("web.form.required", field="JSON body"))
    if kind == "model_type" or not loc:
        return Problem(Msg("web.form.required", field="JSON object"))
    if kind in ("missing", "string_type", "string_too_short"):
        msg = Msg("web.form.required", field=field)
    elif kind in _INT_ERRORS:
        msg = Msg("web.form.int", field=field, found=shown)
    elif kind in _DATE_ERRORS:
        msg = Msg("web.form.date", field=field, found=shown)
    elif kind == "literal_error":
        expected = [part.strip().strip("'") for part in str(ctx.get("expected", "")).replace(" or ", ",").split(",")]
        msg = Msg("web.form.choice", field=field, expected=[e for e in expected if e], found=shown)
    elif kind == "string_too_long":
        msg = Msg("web.form.too_long", field=field, max=ctx.get("max_length"))
    elif kind == "string_nul":
        msg = Msg("web.form.nul", field=field)
    else:  # a type the mapping does not know yet: still located, in both languages
        msg = Msg("web.form.invalid", field=field, found=shown)
    return Problem(msg, key=field)
