"""Tortoise models: the only place that defines tables. Money columns are BigInt fen.

Uniqueness that protects money is in the database, not only in code: one line per run and
recipient, one accrual per run (ledger ``ref``), one settlement per bank-result line, one
notice per (run, household, kind, attempt), one paid payout item per run and household.
"""
from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model as _TortoiseModel
from tortoise.models import ModelMeta


class _WithoutComments(ModelMeta):
    """Tortoise reads every model class's source looking for ``#:`` field comments (a third of
    a second at each process start for these 37 models); these models have none."""

    def __new__(mcs, name: str, bases: tuple[type, ...], attrs: dict[str, Any]):  # type: ignore[no-untyped-def]
        attrs.setdefault("_no_comments", True)
        return super().__new__(mcs, name, bases, attrs)


class Model(_TortoiseModel, metaclass=_WithoutComments):
    """The base of every model here (abstract: no table)."""

    class Meta:
        abstract = True

RESTRICT = fields.RESTRICT
CASCADE = fields.CASCADE


class County(Model):
    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=128)
    # the county form's column mapping (kind -> header -> column), remembered from the last import
    column_mapping = fields.JSONField(default=dict, null=True)

    class Meta:
        table = "county"


# A township of a county (乡镇): its farm economy station (农经站) reviews and files the plans of
# its villages where the county requires it.
class Township(Model):
    id = fields.IntField(primary_key=True)
    county: fields.ForeignKeyRelation[County] = fields.ForeignKeyField("dividends.County", related_name="townships", on_delete=RESTRICT)
    code = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=128)

    class Meta:
        table = "township"


class Village(Model):
    id = fields.IntField(primary_key=True)
    county: fields.ForeignKeyRelation[County] = fields.ForeignKeyField("dividends.County", related_name="villages", on_delete=RESTRICT)
    township: fields.ForeignKeyNullableRelation[Township] = fields.ForeignKeyField("dividends.Township", null=True, related_name="villages", on_delete=RESTRICT)
    code = fields.CharField(max_length=64, unique=True)  # the registry's village_id
    name = fields.CharField(max_length=128)
    # how to object in person: the committee's published contact (shown in full on the notice)
    contact_name = fields.CharField(max_length=64, default="", db_default="")
    contact_phone = fields.CharField(max_length=32, default="", db_default="")
    office_address = fields.CharField(max_length=255, default="", db_default="")
    # the language of the village's documents (public and result notices; the SMS of a household
    # without a language of its own): zh | en, whatever the operator's locale
    language = fields.CharField(max_length=2, default="zh", db_default="zh")

    class Meta:
        table = "village"


class User(Model):
    id = fields.IntField(primary_key=True)
    username = fields.CharField(max_length=64, unique=True)
    display_name = fields.CharField(max_length=128, default="")
    password_hash = fields.CharField(max_length=255)
    role = fields.CharField(max_length=16)  # accountant | committee | auditor | admin
    village: fields.ForeignKeyNullableRelation[Village] = fields.ForeignKeyField("dividends.Village", null=True, related_name="users", on_delete=RESTRICT)
    county: fields.ForeignKeyNullableRelation[County] = fields.ForeignKeyField("dividends.County", null=True, related_name="users", on_delete=RESTRICT)
    township: fields.ForeignKeyNullableRelation[Township] = fields.ForeignKeyField("dividends.Township", null=True, related_name="users", on_delete=RESTRICT)
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    # Bumped on logout, deactivation and password change: a session remembers the generation it
    # was signed in at and ends when the user's has moved on (no cookie outlives those events).
    session_generation = fields.IntField(default=0, db_default=0)

    class Meta:
        table = "app_user"


class BootstrapMarker(Model):
    """At most one row, written in the same transaction as the first administrator: two
    concurrent ``user add NAME --role admin`` on an empty database cannot both create one (the
    second insert of the primary key fails or waits for the first to commit, then fails)."""

    name = fields.CharField(primary_key=True, max_length=32)
    username = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "bootstrap_marker"


class ApiToken(Model):
    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField("dividends.User", related_name="tokens", on_delete=CASCADE)
    name = fields.CharField(max_length=64)
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_used_at = fields.DatetimeField(null=True)
    revoked = fields.BooleanField(default=False)

    class Meta:
        table = "api_token"


class LoginAttempt(Model):
    id = fields.BigIntField(primary_key=True)
    username = fields.CharField(max_length=64, db_index=True)
    address = fields.CharField(max_length=64)
    at = fields.DatetimeField(auto_now_add=True)
    success = fields.BooleanField()

    class Meta:
        table = "login_attempt"


# Failed-login counters, one row per bucket ("u:<username>|<address>" or "a:<address>"), counted
# by one atomic upsert per attempt (see dividends/store/users.py).
class LoginThrottle(Model):
    bucket = fields.CharField(max_length=160, primary_key=True)
    window_start = fields.BigIntField()  # epoch seconds
    failures = fields.IntField()

    class Meta:
        table = "login_throttle"


# Who did what, when: every write of every user, append-only.
class AuditEvent(Model):

    id = fields.BigIntField(primary_key=True)
    at = fields.DatetimeField(auto_now_add=True)
    actor = fields.CharField(max_length=64)
    action = fields.CharField(max_length=64)
    object_type = fields.CharField(max_length=32)
    object_id = fields.CharField(max_length=64)
    village: fields.ForeignKeyNullableRelation[Village] = fields.ForeignKeyField("dividends.Village", null=True, related_name="events", on_delete=RESTRICT)
    detail = fields.JSONField(default=dict)

    class Meta:
        table = "audit_event"


# Content-addressed bytes (registry snapshots, bank files, bank results, scheme texts).
class StoredFile(Model):

    sha256 = fields.CharField(max_length=64, primary_key=True)
    name = fields.CharField(max_length=255)
    size = fields.BigIntField()
    data = fields.BinaryField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "stored_file"


class SchemeVersion(Model):
    id = fields.IntField(primary_key=True)
    scheme_id = fields.CharField(max_length=64)
    version = fields.IntField()
    title = fields.CharField(max_length=255)
    effective = fields.DateField()
    text = fields.TextField()
    sha256 = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(auto_now_add=True)
    created_by = fields.CharField(max_length=64)

    class Meta:
        table = "scheme_version"
        unique_together = (("scheme_id", "version"),)


# One import of registry files (possibly many villages) for a period.
class RegistryImport(Model):

    id = fields.IntField(primary_key=True)
    period = fields.IntField()
    created_at = fields.DatetimeField(auto_now_add=True)
    created_by = fields.CharField(max_length=64)
    files = fields.JSONField(default=dict)  # kind -> {name, sha256}
    households = fields.IntField()
    excluded = fields.JSONField(default=list)
    columns = fields.JSONField(default=dict, null=True)  # the column mapping the files were read with
    # withdrawn imports are kept (evidence) but no run may use their snapshots
    withdrawn_at = fields.DatetimeField(null=True)
    withdrawn_by = fields.CharField(max_length=64, default="", db_default="")
    withdrawn_reason = fields.CharField(max_length=500, default="", db_default="")

    class Meta:
        table = "registry_import"


# A village's registry for a period, version n; the canonical files are stored.
class RegistrySnapshot(Model):

    id = fields.IntField(primary_key=True)
    registry_import: fields.ForeignKeyRelation[RegistryImport] = fields.ForeignKeyField("dividends.RegistryImport", related_name="snapshots", on_delete=RESTRICT)
    village: fields.ForeignKeyRelation[Village] = fields.ForeignKeyField("dividends.Village", related_name="snapshots", on_delete=RESTRICT)
    period = fields.IntField()
    version = fields.IntField()
    households_file = fields.CharField(max_length=64)  # StoredFile sha256 (canonical CSV)
    members_file = fields.CharField(max_length=64, null=True)
    posts_file = fields.CharField(max_length=64, null=True)
    # household and member events within the period (dividends.period_inputs.read_events), the
    # file as uploaded (StoredFile sha256); None: no events recorded (nothing changed)
    events_file = fields.CharField(max_length=64, null=True)
    households = fields.IntField()
    added = fields.IntField(default=0)
    removed = fields.IntField(default=0)
    changed = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    # RegistryFacts.to_dict(): files read, optional columns absent, unrecognised headers, kept rosters
    facts = fields.JSONField(default=dict, null=True)
    columns = fields.JSONField(default=dict, null=True)  # the column mapping the files were read with
    # dividends.store.snapshot_format: "csv-v1" (CSV files only) or "parquet-v2" (CSV files plus
    # the validated frames as Parquet: kind -> StoredFile sha256, kinds of FRAME_KINDS)
    format = fields.CharField(max_length=16, default="csv-v1", db_default="csv-v1")
    frames = fields.JSONField(default=dict, null=True)

    class Meta:
        table = "registry_snapshot"
        unique_together = (("village", "period", "version"),)


# A household row of a snapshot (for pages, notices, anomalies); the snapshot's files are
# the source of truth for computation.
class Household(Model):

    id = fields.BigIntField(primary_key=True)
    snapshot: fields.ForeignKeyRelation[RegistrySnapshot] = fields.ForeignKeyField("dividends.RegistrySnapshot", related_name="household_rows", on_delete=CASCADE)
    household_id = fields.CharField(max_length=64)
    head_name = fields.CharField(max_length=64)
    id_number = fields.CharField(max_length=18, db_index=True)
    phone = fields.CharField(max_length=16, db_index=True)
    members = fields.IntField()
    able_members = fields.IntField()
    status = fields.CharField(max_length=16)
    shares = fields.BigIntField()
    capital_fen = fields.BigIntField()
    account_no = fields.CharField(max_length=40)
    bank = fields.CharField(max_length=64)
    language = fields.CharField(max_length=4)

    class Meta:
        table = "household"
        unique_together = (("snapshot", "household_id"),)


class RegistryChange(Model):
    id = fields.BigIntField(primary_key=True)
    snapshot: fields.ForeignKeyRelation[RegistrySnapshot] = fields.ForeignKeyField("dividends.RegistrySnapshot", related_name="changes", on_delete=CASCADE)
    household_id = fields.CharField(max_length=64)
    change = fields.CharField(max_length=8)  # added | removed | changed
    fields_changed = fields.JSONField(default=dict)  # field -> [old, new]

    class Meta:
        table = "registry_change"


class AssetReturn(Model):
    id = fields.IntField(primary_key=True)
    village: fields.ForeignKeyRelation[Village] = fields.ForeignKeyField("dividends.Village", related_name="returns", on_delete=RESTRICT)
    period = fields.IntField()
    asset = fields.CharField(max_length=128)
    amount_fen = fields.BigIntField()
    note = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    created_by = fields.CharField(max_length=64)

    class Meta:
        table = "asset_return"
        unique_together = (("village", "period", "asset"),)


class Run(Model):
    id = fields.IntField(primary_key=True)
    village: fields.ForeignKeyRelation[Village] = fields.ForeignKeyField("dividends.Village", related_name="runs", on_delete=RESTRICT)
    period = fields.IntField()
    kind = fields.CharField(max_length=16, default="regular")  # regular | reversal | correction
    state = fields.CharField(max_length=16, default="draft")
    scheme: fields.ForeignKeyRelation[SchemeVersion] = fields.ForeignKeyField("dividends.SchemeVersion", related_name="runs", on_delete=RESTRICT)
    snapshot: fields.ForeignKeyRelation[RegistrySnapshot] = fields.ForeignKeyField("dividends.RegistrySnapshot", related_name="runs", on_delete=RESTRICT)
    asset_return: fields.ForeignKeyRelation[AssetReturn] = fields.ForeignKeyField("dividends.AssetReturn", related_name="runs", on_delete=RESTRICT)
    pool_fen = fields.BigIntField()
    prepared_by = fields.CharField(max_length=64)
    approved_by = fields.CharField(max_length=64, null=True)
    reverses: fields.ForeignKeyNullableRelation[Run] = fields.OneToOneField("dividends.Run", null=True, related_name="reversed_by", on_delete=RESTRICT)
    replaces: fields.ForeignKeyNullableRelation[Run] = fields.OneToOneField("dividends.Run", null=True, related_name="replaced_by", on_delete=RESTRICT)
    content_hash = fields.CharField(max_length=64, null=True)
    manifest = fields.JSONField(null=True)
    lines = fields.IntField(default=0)
    # last period's carry-over joining this run's pool, fixed when the run is created:
    # {"run": source run id, "period": its period, "accounts": {account: fen}} (None: nothing arrives)
    brought_forward = fields.JSONField(null=True)
    # why this run must be corrected (e.g. "brought_forward_reversed": the run its carry-over came
    # from was reversed); "" while nothing is known against it
    correction_needed = fields.CharField(max_length=64, default="", db_default="")
    # the deductions file given at create (stored file digest; None: no deductions): a recorded input
    deductions_file = fields.CharField(max_length=64, null=True)
    # for schemes with a cap over the period: what the village's earlier posted runs of the period
    # (other assets) paid each household, fixed at create: {"runs": [ids], "lines": [[household, fen], ...]}
    earlier_paid = fields.JSONField(null=True)
    # the village's outstanding debts taken automatically as deductions, fixed at create:
    # [[debt id, household, fen, reason, creditor], ...] (None: none); see dividends.recoveries
    recoveries = fields.JSONField(null=True)
    notice_start = fields.DateField(null=True)
    notice_end = fields.DateField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    computed_at = fields.DatetimeField(null=True)
    publicized_at = fields.DatetimeField(null=True)
    approved_at = fields.DatetimeField(null=True)
    paid_at = fields.DatetimeField(null=True)
    closed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "run"


class AllocationLine(Model):
    id = fields.BigIntField(primary_key=True)
    run: fields.ForeignKeyRelation[Run] = fields.ForeignKeyField("dividends.Run", related_name="allocation_lines", on_delete=RESTRICT)
    recipient_kind = fields.CharField(max_length=10)
    recipient_id = fields.CharField(max_length=64)
    amount_fen = fields.BigIntField()
    breakdown = fields.JSONField()  # step id -> fen

    class Meta:
        table = "allocation_line"
        unique_together = (("run", "recipient_kind", "recipient_id"),)


class Objection(Model):
    id = fields.IntField(primary_key=True)
    run: fields.ForeignKeyRelation[Run] = fields.ForeignKeyField("dividends.Run", related_name="objections", on_delete=RESTRICT)
    household_id = fields.CharField(max_length=64)
    text = fields.TextField()
    channel = fields.CharField(max_length=8)  # sms | web | cli
    received_at = fields.DatetimeField(auto_now_add=True)
    recorded_by = fields.CharField(max_length=64)
    status = fields.CharField(max_length=10, default="open")  # open | resolved
    resolution = fields.TextField(default="")
    resolved_by = fields.CharField(max_length=64, null=True)
    resolved_at = fields.DatetimeField(null=True)
    message_sid = fields.CharField(max_length=64, null=True, unique=True)  # an SMS objection is recorded once

    class Meta:
        table = "objection"


# Append-only; ``hash`` covers the entry, its postings and ``prev_hash`` (per village).
class LedgerEntry(Model):

    id = fields.BigIntField(primary_key=True)
    village: fields.ForeignKeyRelation[Village] = fields.ForeignKeyField("dividends.Village", related_name="ledger_entries", on_delete=RESTRICT)
    seq = fields.IntField()
    on = fields.DateField()
    kind = fields.CharField(max_length=16)
    run: fields.ForeignKeyNullableRelation[Run] = fields.ForeignKeyField("dividends.Run", null=True, related_name="ledger_entries", on_delete=RESTRICT)
    ref = fields.CharField(max_length=128, unique=True)  # idempotency: one accrual per run, etc.
    narration = fields.TextField()
    prev_hash = fields.CharField(max_length=64)
    hash = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "ledger_entry"
        unique_together = (("village", "seq"),)


class LedgerPosting(Model):
    id = fields.BigIntField(primary_key=True)
    entry: fields.ForeignKeyRelation[LedgerEntry] = fields.ForeignKeyField("dividends.LedgerEntry", related_name="postings", on_delete=RESTRICT)
    account = fields.CharField(max_length=255)
    amount_fen = fields.BigIntField()

    class Meta:
        table = "ledger_posting"


class PayoutBatch(Model):
    id = fields.IntField(primary_key=True)
    run: fields.ForeignKeyRelation[Run] = fields.ForeignKeyField("dividends.Run", related_name="batches", on_delete=RESTRICT)
    number = fields.IntField()
    bank_format = fields.CharField(max_length=32)
    csv_file = fields.CharField(max_length=64)  # StoredFile sha256
    xlsx_file = fields.CharField(max_length=64)
    items = fields.IntField()
    total_fen = fields.BigIntField()
    created_at = fields.DatetimeField(auto_now_add=True)
    created_by = fields.CharField(max_length=64)

    class Meta:
        table = "payout_batch"
        unique_together = (("run", "number"),)


class PayoutItem(Model):
    id = fields.BigIntField(primary_key=True)
    # None: a household with no bank account paid in cash (status "cash" until its cash payment is approved)
    batch: fields.ForeignKeyNullableRelation[PayoutBatch] = fields.ForeignKeyField("dividends.PayoutBatch", null=True, related_name="payout_items", on_delete=RESTRICT)
    run: fields.ForeignKeyRelation[Run] = fields.ForeignKeyField("dividends.Run", related_name="payout_items", on_delete=RESTRICT)
    household_id = fields.CharField(max_length=64)
    amount_fen = fields.BigIntField()
    status = fields.CharField(max_length=8, default="pending")  # pending | paid | failed | cash
    paid_key = fields.CharField(max_length=80, null=True, unique=True)  # f"{run}:{household}" once paid

    class Meta:
        table = "payout_item"
        unique_together = (("batch", "household_id"),)


class BankResultImport(Model):
    id = fields.IntField(primary_key=True)
    batch: fields.ForeignKeyRelation[PayoutBatch] = fields.ForeignKeyField("dividends.PayoutBatch", related_name="results", on_delete=RESTRICT)
    file = fields.CharField(max_length=64)  # StoredFile sha256
    imported_at = fields.DatetimeField(auto_now_add=True)
    imported_by = fields.CharField(max_length=64)
    paid = fields.IntField()
    failed = fields.IntField()

    class Meta:
        table = "bank_result_import"
        unique_together = (("batch", "file"),)


class BankResultLine(Model):
    id = fields.BigIntField(primary_key=True)
    result: fields.ForeignKeyRelation[BankResultImport] = fields.ForeignKeyField("dividends.BankResultImport", related_name="result_lines", on_delete=RESTRICT)
    item: fields.OneToOneRelation[PayoutItem] = fields.OneToOneField("dividends.PayoutItem", related_name="result_line", on_delete=RESTRICT)
    status = fields.CharField(max_length=8)  # paid | failed
    bank_ref = fields.CharField(max_length=64, default="")
    reason = fields.TextField(default="")
    settlement: fields.ForeignKeyNullableRelation[LedgerEntry] = fields.ForeignKeyField("dividends.LedgerEntry", null=True, related_name="settled_lines", on_delete=RESTRICT)

    class Meta:
        table = "bank_result_line"


# An SMS notice to a household about a run; its fate is recorded, never lost.
class Notice(Model):

    id = fields.BigIntField(primary_key=True)
    run: fields.ForeignKeyRelation[Run] = fields.ForeignKeyField("dividends.Run", related_name="notices", on_delete=RESTRICT)
    household_id = fields.CharField(max_length=64)
    kind = fields.CharField(max_length=24)
    attempt = fields.IntField(default=0)  # 0 = first notice; n = the n-th explicit resend
    phone = fields.CharField(max_length=16)
    lang = fields.CharField(max_length=4)
    body = fields.TextField()
    encoding = fields.CharField(max_length=8)
    segments = fields.IntField()
    status = fields.CharField(max_length=16, default="queued", db_index=True)
    sid = fields.CharField(max_length=64, null=True, unique=True)
    tries = fields.IntField(default=0)
    error_code = fields.IntField(null=True)
    error_message = fields.TextField(default="")
    next_try_at = fields.DatetimeField(null=True)
    send_started_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    sent_at = fields.DatetimeField(null=True)
    final_at = fields.DatetimeField(null=True)
    # the provider the text was written for, its logical template and parameter values (JSON),
    # and the provider's own code of a failure (Aliyun "MK:0001", Tencent "MI:0045"...)
    provider = fields.CharField(max_length=16, default="", db_default="")
    template = fields.CharField(max_length=64, default="", db_default="")
    params = fields.TextField(default="", db_default="")
    provider_code = fields.CharField(max_length=64, default="", db_default="")

    class Meta:
        table = "notice"
        unique_together = (("run", "household_id", "kind", "attempt"),)


class OptOut(Model):
    phone = fields.CharField(max_length=16, primary_key=True)
    opted_out = fields.BooleanField()
    changed_at = fields.DatetimeField(auto_now=True)
    source = fields.CharField(max_length=64)

    class Meta:
        table = "sms_opt_out"


class InboundMessage(Model):
    id = fields.BigIntField(primary_key=True)
    sid = fields.CharField(max_length=64, unique=True)
    phone = fields.CharField(max_length=16)
    body = fields.TextField()
    intent = fields.CharField(max_length=16)
    received_at = fields.DatetimeField(auto_now_add=True)
    household_id = fields.CharField(max_length=64, null=True)
    reply = fields.TextField(default="")

    class Meta:
        table = "sms_inbound"


# The head of each village's ledger chain, moved forward in the transaction that appends entries:
# deleting the newest entries (which leaves a shorter, still well-linked chain) shows as a
# chain that stops before its recorded head.
class LedgerHead(Model):
    village: fields.OneToOneRelation[Village] = fields.OneToOneField("dividends.Village", primary_key=True, related_name="ledger_head", on_delete=RESTRICT)
    seq = fields.IntField()
    hash = fields.CharField(max_length=64)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "ledger_head"


# The villagers' (representatives') meeting that resolved a run (四议两公开), bound to the content
# hash of the computation it approved; recorded in the approval's transaction, never edited.
class RunResolution(Model):
    id = fields.IntField(primary_key=True)
    run: fields.OneToOneRelation[Run] = fields.OneToOneField("dividends.Run", related_name="resolution", on_delete=RESTRICT)
    content_hash = fields.CharField(max_length=64)
    meeting_date = fields.DateField()
    body = fields.CharField(max_length=16)  # representatives | members
    entitled = fields.IntField()
    present = fields.IntField()
    votes_for = fields.IntField()
    votes_against = fields.IntField()
    abstaining = fields.IntField()
    quorum = fields.CharField(max_length=16)  # the rules in force, e.g. "2/3" and ">1/2"
    majority = fields.CharField(max_length=16)
    recorded_by = fields.CharField(max_length=64)
    recorded_at = fields.DatetimeField()

    class Meta:
        table = "run_resolution"


# A decision about a run before approval: a township's review and filing (``review``) or a
# committee member returning it for correction (``return``, 驳回), each bound to the content hash
# it was made on.
class RunDecision(Model):
    id = fields.IntField(primary_key=True)
    run: fields.ForeignKeyRelation[Run] = fields.ForeignKeyField("dividends.Run", related_name="decisions", on_delete=RESTRICT)
    kind = fields.CharField(max_length=8)  # review | return
    content_hash = fields.CharField(max_length=64)
    township: fields.ForeignKeyNullableRelation[Township] = fields.ForeignKeyField("dividends.Township", null=True, related_name="decisions", on_delete=RESTRICT)
    filing_number = fields.CharField(max_length=64, default="")
    text = fields.TextField(default="")
    decided_by = fields.CharField(max_length=64)
    decided_at = fields.DatetimeField()

    class Meta:
        table = "run_decision"


# Evidence of publicity: a photo or scan of the posted sheet (``notice_photo``) and the printed
# result notice after payment (``result_notice``), stored by hash.
class RunEvidence(Model):
    id = fields.IntField(primary_key=True)
    run: fields.ForeignKeyRelation[Run] = fields.ForeignKeyField("dividends.Run", related_name="evidence", on_delete=RESTRICT)
    kind = fields.CharField(max_length=16)
    sha256 = fields.CharField(max_length=64)
    name = fields.CharField(max_length=255)
    media_type = fields.CharField(max_length=64)
    recorded_by = fields.CharField(max_length=64)
    recorded_at = fields.DatetimeField()

    class Meta:
        table = "run_evidence"
        unique_together = (("run", "kind", "sha256"),)


class PayeeCorrection(Model):
    """A household's payment account corrected on a paid run between batches (issue 12, item 4):
    prepared by the accountant, approved by a committee member who did not prepare it; the
    follow-up batch pays to it."""

    id = fields.IntField(primary_key=True)
    run: fields.ForeignKeyRelation[Run] = fields.ForeignKeyField("dividends.Run", related_name="payee_corrections", on_delete=RESTRICT)
    household_id = fields.CharField(max_length=64)
    account_no = fields.CharField(max_length=64)
    bank = fields.CharField(max_length=128, default="")
    reason = fields.TextField(default="")
    state = fields.CharField(max_length=16, default="prepared")  # prepared | approved
    prepared_by = fields.CharField(max_length=64)
    approved_by = fields.CharField(max_length=64, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    approved_at = fields.DatetimeField(null=True)

    class Meta:
        table = "payee_correction"


class Debt(Model):
    """A household's debt taken from its payouts (issue 10, item 3): an overpayment a correction
    run found (``kind`` "overpayment", recorded at its approval) or a row of a run's deductions
    file ("deduction", recorded at its compute). It counts only while ``run`` is posted."""

    id = fields.IntField(primary_key=True)
    village: fields.ForeignKeyRelation[Village] = fields.ForeignKeyField("dividends.Village", related_name="debts", on_delete=RESTRICT)
    run: fields.ForeignKeyRelation[Run] = fields.ForeignKeyField("dividends.Run", related_name="debts", on_delete=RESTRICT)
    household_id = fields.CharField(max_length=64)
    kind = fields.CharField(max_length=16)  # overpayment | deduction
    creditor = fields.CharField(max_length=64)
    reason = fields.TextField()
    amount_fen = fields.BigIntField()
    recorded_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "debt"


class DebtRecovery(Model):
    """What one run's deductions step took of a debt (written at compute; counts only while the
    run is posted)."""

    id = fields.IntField(primary_key=True)
    debt: fields.ForeignKeyRelation[Debt] = fields.ForeignKeyField("dividends.Debt", related_name="recoveries", on_delete=RESTRICT)
    run: fields.ForeignKeyRelation[Run] = fields.ForeignKeyField("dividends.Run", related_name="debt_recoveries", on_delete=RESTRICT)
    recovered_fen = fields.BigIntField()

    class Meta:
        table = "debt_recovery"
        unique_together = (("debt", "run"),)


class CashPayment(Model):
    """Households of a paid run paid in cash against the signed receipt list (签字领取表), issue 12
    item 4: recorded by the accountant with the scanned signed list (``evidence``, a StoredFile
    sha256), approved by a committee member who did not record it. At approval its lines become
    paid and one settlement entry (ref ``cash:<id>``) is posted."""

    id = fields.IntField(primary_key=True)
    run: fields.ForeignKeyRelation[Run] = fields.ForeignKeyField("dividends.Run", related_name="cash_payments", on_delete=RESTRICT)
    evidence = fields.CharField(max_length=64)  # StoredFile sha256 of the signed list's scan
    evidence_type = fields.CharField(max_length=32)
    note = fields.TextField(default="")
    total_fen = fields.BigIntField()
    state = fields.CharField(max_length=16, default="prepared")  # prepared | approved | rejected
    prepared_by = fields.CharField(max_length=64)
    approved_by = fields.CharField(max_length=64, null=True)  # who approved or rejected it
    reason = fields.TextField(default="")  # why it was rejected
    created_at = fields.DatetimeField(auto_now_add=True)
    approved_at = fields.DatetimeField(null=True)
    settlement: fields.ForeignKeyNullableRelation[LedgerEntry] = fields.ForeignKeyField(
        "dividends.LedgerEntry", null=True, related_name="cash_payments", on_delete=RESTRICT)

    class Meta:
        table = "cash_payment"


class CashPaymentLine(Model):
    """One household of a cash payment: the failed payout item it pays (marked paid, with its
    ``paid_key``, at approval) and the amount."""

    id = fields.BigIntField(primary_key=True)
    payment: fields.ForeignKeyRelation[CashPayment] = fields.ForeignKeyField("dividends.CashPayment", related_name="lines", on_delete=RESTRICT)
    item: fields.ForeignKeyRelation[PayoutItem] = fields.ForeignKeyField("dividends.PayoutItem", related_name="cash_lines", on_delete=RESTRICT)
    household_id = fields.CharField(max_length=64)
    amount_fen = fields.BigIntField()

    class Meta:
        table = "cash_payment_line"
        unique_together = (("payment", "household_id"),)
