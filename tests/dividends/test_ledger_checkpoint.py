"""Signed checkpoints in process: the exact file written, every way reading refuses a file, and
:func:`anchored` / :func:`verify_against` on grown, rewritten and shortened chains (the CLI round
trip on a database is tests/dividends/test_ledger_guards.py)."""
from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
from datetime import datetime, timezone

import pytest

from dividends.ledger import ChainHead, Entry, head_of
from dividends.ledger.checkpoint import (
    FORMAT,
    Checkpoint,
    CheckpointError,
    anchored,
    read,
    verify_against,
    write,
)
from support.ledger_example import example_ledger

KEY = "county-secret-key-0123"
AT = datetime(2025, 7, 3, 9, 30, tzinfo=timezone.utc)
HEADS = {"V2": ChainHead(3, "b" * 64), "V1": ChainHead(12, "a" * 64)}


def signed(body: dict, key: str = KEY) -> bytes:
    """A file signed the way the module docstring describes (independent of the module)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")
    signature = hmac.new(key.encode("utf-8"), canonical, hashlib.sha256).hexdigest()
    return json.dumps({**body, "signature": signature}).encode("utf-8")


def refusal(data: bytes, key: str = KEY) -> CheckpointError:
    with pytest.raises(CheckpointError) as caught:
        read(data, key, "cp.json")
    return caught.value


# --------------------------------------------------------------------------- write

def test_the_file_is_indented_sorted_json_signed_over_the_compact_body() -> None:
    data = write(HEADS, KEY, AT)
    body = {"created_at": "2025-07-03T09:30:00+00:00", "format": FORMAT,
            "heads": {"V1": {"hash": "a" * 64, "seq": 12}, "V2": {"hash": "b" * 64, "seq": 3}}}
    expected_signature = hmac.new(
        KEY.encode(), json.dumps(body, sort_keys=True, separators=(",", ":")).encode(), hashlib.sha256).hexdigest()
    assert data == json.dumps({**body, "signature": expected_signature}, indent=2, sort_keys=True).encode() + b"\n"
    assert data.endswith(b"}\n") and b'\n  "format": "dividends.ledger-checkpoint/1",\n' in data
    assert FORMAT == "dividends.ledger-checkpoint/1"


def test_villages_are_written_in_sorted_order() -> None:
    doc = json.loads(write(HEADS, KEY, AT))
    assert list(doc["heads"]) == ["V1", "V2"]


def test_a_chinese_village_id_is_written_as_utf8_and_signed_as_ascii_escapes() -> None:
    heads = {"张家村": ChainHead(1, "c" * 64)}
    data = write(heads, KEY, AT)
    assert "张家村".encode("utf-8") in data and b"\\u" not in data
    body = {"format": FORMAT, "created_at": AT.isoformat(), "heads": {"张家村": {"seq": 1, "hash": "c" * 64}}}
    assert json.loads(data)["signature"] == json.loads(signed(body))["signature"]
    assert read(data, KEY, "cp.json").heads == heads


def test_the_key_is_used_as_utf8() -> None:
    key = "县里的钥匙-0123456789"
    data = write(HEADS, key, AT)
    assert read(data, key, "cp.json").heads == HEADS
    assert refusal(data, KEY).msg.key == "ledger.checkpoint.signature"


# --------------------------------------------------------------------------- read

def test_what_was_written_reads_back() -> None:
    assert read(write(HEADS, KEY, AT), KEY, "cp.json") == Checkpoint("2025-07-03T09:30:00+00:00", HEADS)


def test_a_file_signed_independently_reads_and_a_missing_created_at_reads_as_empty() -> None:
    body = {"format": FORMAT, "heads": {"V9": {"seq": 0, "hash": ""}}}
    assert read(signed(body), KEY, "cp.json") == Checkpoint("", {"V9": ChainHead(0, "")})


def test_an_empty_checkpoint_reads_with_no_heads() -> None:
    assert read(write({}, KEY, AT), KEY, "x").heads == {}


def test_bytes_that_are_not_json_are_unreadable_with_the_parser_detail() -> None:
    error = refusal(b"{not json")
    assert error.msg.key == "ledger.checkpoint.unreadable"
    assert error.msg.params["file"] == "cp.json"
    assert error.msg.params["detail"].startswith("Expecting property name enclosed in double quotes")
    assert str(error) == error.text("en") == error.msg.text("en")
    assert str(error).startswith("checkpoint file cp.json cannot be read: Expecting")
    assert error.text("zh") == error.msg.text("zh") != error.text("en")
    assert isinstance(error, ValueError) and error.__cause__ is None and error.__suppress_context__


def test_bytes_that_are_not_utf8_are_unreadable() -> None:
    error = refusal(b"\xff\xfe{}")
    assert error.msg.key == "ledger.checkpoint.unreadable"
    assert "utf-8" in error.msg.params["detail"] and error.msg.params["file"] == "cp.json"


@pytest.mark.parametrize(("doc", "found"), [
    ([1, 2], "list"),
    ("text", "str"),
    ({"heads": {}}, None),
    ({"format": "dividends.ledger-checkpoint/2", "heads": {}}, "dividends.ledger-checkpoint/2"),
])
def test_a_file_of_another_format_is_refused_naming_what_was_found(doc: object, found: object) -> None:
    error = refusal(json.dumps(doc).encode())
    assert error.msg.key == "ledger.checkpoint.format"
    assert error.msg.params == {"file": "cp.json", "found": found, "expected": FORMAT}


def test_a_file_without_a_signature_is_refused() -> None:
    data = json.dumps({"format": FORMAT, "created_at": "x", "heads": {}}).encode()
    error = refusal(data)
    assert (error.msg.key, error.msg.params) == ("ledger.checkpoint.signature", {"file": "cp.json"})


def test_a_signature_that_is_not_a_string_is_refused() -> None:
    data = json.dumps({"format": FORMAT, "heads": {}, "signature": 7}).encode()
    assert refusal(data).msg.key == "ledger.checkpoint.signature"


def test_a_changed_head_or_another_key_breaks_the_signature() -> None:
    doc = json.loads(write(HEADS, KEY, AT))
    doc["heads"]["V1"]["seq"] = 11
    assert refusal(json.dumps(doc).encode()).msg.key == "ledger.checkpoint.signature"
    assert refusal(write(HEADS, KEY, AT), key=KEY + "x").msg.key == "ledger.checkpoint.signature"
    doc = json.loads(write(HEADS, KEY, AT))
    doc["created_at"] = "2026-01-01T00:00:00+00:00"
    assert refusal(json.dumps(doc).encode()).msg.key == "ledger.checkpoint.signature"


@pytest.mark.parametrize("heads", [[], "V1", None])
def test_signed_heads_that_are_not_an_object_are_unreadable(heads: object) -> None:
    body = {"format": FORMAT, "created_at": "x"} | ({} if heads is None else {"heads": heads})
    error = refusal(signed(body))
    assert error.msg.key == "ledger.checkpoint.unreadable"
    assert error.msg.params == {"file": "cp.json", "detail": "'heads' is not an object"}


@pytest.mark.parametrize("head", [
    {"seq": "3", "hash": "a"}, {"hash": "a"}, {"seq": 3}, {"seq": 3, "hash": 5}, [3, "a"], "3:a",
])
def test_a_signed_head_of_the_wrong_shape_is_unreadable_naming_the_village(head: object) -> None:
    body = {"format": FORMAT, "created_at": "x", "heads": {"V1": {"seq": 1, "hash": "h"}, "V2": head}}
    error = refusal(signed(body))
    assert error.msg.key == "ledger.checkpoint.unreadable"
    assert error.msg.params == {"file": "cp.json", "detail": "head of V2"}


# --------------------------------------------------------------------------- anchored

@pytest.fixture(scope="module")
def chain_v1() -> list[Entry]:
    return example_ledger()["V0001"]


def test_a_chain_at_its_checkpoint_or_grown_since_is_anchored(chain_v1: list[Entry]) -> None:
    head = head_of(chain_v1)
    assert head is not None and head.seq == len(chain_v1) > 3
    assert anchored("V0001", chain_v1, head) == []
    assert anchored("V0001", chain_v1, ChainHead(2, chain_v1[1].hash)) == []
    assert anchored("V0001", chain_v1, ChainHead(1, chain_v1[0].hash)) == []


def test_a_chain_shorter_than_its_checkpoint_is_reported_missing(chain_v1: list[Entry]) -> None:
    anchor = head_of(chain_v1)
    assert anchor is not None
    [error] = anchored("V0001", chain_v1[:2], anchor)
    assert (error.village_id, error.seq, error.code) == ("V0001", anchor.seq, "checkpoint")
    assert error.msg.key == "ledger.checkpoint.missing"
    assert error.msg.params == {"village": "V0001", "seq": anchor.seq, "found_seq": 2}


def test_an_empty_chain_is_reported_missing_ending_at_zero() -> None:
    [error] = anchored("V7", [], ChainHead(4, "d" * 64))
    assert (error.village_id, error.seq, error.code) == ("V7", 4, "checkpoint")
    assert error.msg.params == {"village": "V7", "seq": 4, "found_seq": 0}


def test_a_rewritten_entry_at_the_checkpoint_is_reported_with_both_hash_prefixes(chain_v1: list[Entry]) -> None:
    anchor = ChainHead(2, "e" * 64)
    [error] = anchored("V0001", chain_v1, anchor)
    assert (error.village_id, error.seq, error.code) == ("V0001", 2, "checkpoint")
    assert error.msg.key == "ledger.checkpoint.differs"
    assert error.msg.params == {"village": "V0001", "seq": 2, "found": chain_v1[1].hash[:12], "expected": "e" * 12}
    assert len(error.msg.params["found"]) == 12


def test_the_entry_is_found_by_seq_not_by_position(chain_v1: list[Entry]) -> None:
    renumbered = [dataclasses.replace(e, seq=e.seq + 10) for e in chain_v1]
    anchor = ChainHead(12, chain_v1[1].hash)
    assert anchored("V0001", renumbered, anchor) == []
    [error] = anchored("V0001", renumbered, ChainHead(2, chain_v1[1].hash))
    assert error.msg.params["found_seq"] == renumbered[-1].seq


# --------------------------------------------------------------------------- verify_against

def test_verify_against_reports_every_village_in_sorted_order_and_a_vanished_village() -> None:
    ledger = example_ledger()
    heads = {v: h for v, entries in ledger.items() if (h := head_of(entries)) is not None}
    checkpoint = Checkpoint("t", heads)
    assert verify_against(ledger, checkpoint) == []
    # villages not in the checkpoint are not checked
    assert verify_against({**ledger, "V9": []}, checkpoint) == []
    bad = Checkpoint("t", {"Z9": ChainHead(1, "f" * 64), **heads, "A0": ChainHead(5, "0" * 64)})
    errors = verify_against(ledger, bad)
    assert [(e.village_id, e.msg.key) for e in errors] == [
        ("A0", "ledger.checkpoint.missing"), ("Z9", "ledger.checkpoint.missing")]
    assert errors[0].msg.params["found_seq"] == 0
    shortened = {v: entries[:1] for v, entries in ledger.items()}
    assert sorted(e.village_id for e in verify_against(shortened, checkpoint)) == sorted(
        v for v, entries in ledger.items() if len(entries) > 1)
    assert [e.village_id for e in verify_against(shortened, checkpoint)] == sorted(
        v for v, entries in ledger.items() if len(entries) > 1)


def test_the_error_is_english_whatever_the_language_of_the_session(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIVIDENDS_LANG", "zh")
    error = refusal(b"[]")
    assert str(error) == error.msg.text("en") != error.text()
    assert error.text() == error.msg.text("zh")
