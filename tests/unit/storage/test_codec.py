"""The record codec: what it writes reads back equal; what would not is refused naming the field."""

from __future__ import annotations

import json
import re
import zlib
from typing import Any

import pytest
from cryptography.fernet import Fernet

from sessionforge.core.jsonvalue import MAX_DEPTH, find_problem
from sessionforge.errors import CorruptRecordError, RecordFormatError
from sessionforge.storage.codec import RECORD_FORMAT, RecordCodec

WHERE = {"namespace": "ns", "session_id": "s"}


def test_plain_records_carry_their_checksum() -> None:
    text = RecordCodec().encode({"id": "a", "text": "héllo"}, **WHERE)
    envelope = json.loads(text)
    assert envelope["f"] == RECORD_FORMAT == 2
    body = json.dumps(envelope["r"], ensure_ascii=False, separators=(",", ":")).encode()
    assert int(envelope["c"], 16) == zlib.crc32(body)
    assert RecordCodec().decode(text, session_id="s", seq=1) == {"id": "a", "text": "héllo"}
    assert RecordCodec().decode(text.encode(), session_id="s", seq=1) == {"id": "a", "text": "héllo"}


@pytest.mark.parametrize("position", [15, 20, 25, 30, -3])
def test_any_changed_byte_is_detected(position: int) -> None:
    text = RecordCodec().encode({"id": "a", "text": "the quick brown fox"}, **WHERE)
    data = bytearray(text.encode())
    data[position] ^= 0x01
    with pytest.raises(CorruptRecordError) as info:
        RecordCodec().decode(bytes(data), session_id="s", seq=7)
    assert (info.value.session_id, info.value.seq) == ("s", 7)


def test_sealed_records_name_their_session_inside_the_seal() -> None:
    key = Fernet.generate_key()
    codec = RecordCodec(key)
    text = codec.encode({"id": "a"}, **WHERE)
    assert "ns" not in text.split('"d"')[0]
    inner = json.loads(Fernet(key).decrypt(json.loads(text)["d"].encode()))
    assert inner == {"n": "ns", "s": "s", "r": {"id": "a"}}
    assert codec.decode(text, session_id="s", seq=1, namespace="ns") == {"id": "a"}
    with pytest.raises(CorruptRecordError, match="sealed for session 's'"):
        codec.decode(text, session_id="t", seq=1, namespace="ns")
    with pytest.raises(CorruptRecordError, match="of namespace 'ns'"):
        codec.decode(text, session_id="s", seq=1, namespace="other")


def test_an_encrypting_codec_refuses_plain_records_of_both_formats() -> None:
    codec = RecordCodec(Fernet.generate_key())
    for text in (RecordCodec().encode({"id": "a"}, **WHERE), '{"f":1,"r":{"id":"a"}}'):
        with pytest.raises(CorruptRecordError, match="is not encrypted"):
            codec.decode(text, session_id="s", seq=3)


@pytest.mark.parametrize(
    ("value", "path", "reason"),
    [
        ({"a": [1, {"b": {1, 2}}]}, "a.1.b", "set is not a JSON value"),
        ({"a": "x\udc80y"}, "a", "lone surrogate '\\udc80' at position 1"),
        ({"a": {"b": (1,)}}, "a.b", "tuple"),
        ({"a": {None: 1}}, "a.None", "JSON keys are text"),
        ({"a": -float("inf")}, "a", "not a JSON number"),
        ({"a": object()}, "a", "object is not a JSON value"),
    ],
)
def test_the_refusal_names_the_field(value: dict[str, Any], path: str, reason: str) -> None:
    with pytest.raises(RecordFormatError, match=re.escape(reason)) as info:
        RecordCodec().encode(value, **WHERE, index=4)
    assert (info.value.field, info.value.index, info.value.session_id) == (path, 4, "s")


def test_a_record_containing_itself_is_refused_not_a_recursion_error() -> None:
    loop: dict[str, Any] = {}
    loop["self"] = loop
    with pytest.raises(RecordFormatError, match="nested deeper"):
        RecordCodec().encode(loop, **WHERE)


def test_depth_is_counted_from_the_record() -> None:
    value: Any = {}
    for _ in range(MAX_DEPTH - 1):
        value = {"k": value}
    assert find_problem(value) is None
    assert RecordCodec().decode(RecordCodec().encode(value, **WHERE), session_id="s", seq=1) == value
    assert find_problem({"k": value}) is not None


def test_many_brackets_without_depth_pass_the_full_check() -> None:
    wide = {"rows": [[i] for i in range(MAX_DEPTH * 3)]}
    assert RecordCodec().decode(RecordCodec().encode(wide, **WHERE), session_id="s", seq=1) == wide


def test_subclasses_of_json_types_read_back_equal() -> None:
    from enum import IntEnum, StrEnum

    class Colour(StrEnum):
        RED = "red"

    class Size(IntEnum):
        BIG = 3

    record = {"colour": Colour.RED, "size": Size.BIG, "flag": True}
    assert RecordCodec().decode(RecordCodec().encode(record, **WHERE), session_id="s", seq=1) == record


def test_known_text_is_what_encode_writes_or_none() -> None:
    from sessionforge.core.events import EncodedRecord, EventSource, EventType, SessionEvent

    event = SessionEvent.of_parts(EventSource.USER, EventType.MESSAGE, "héllo", {"k": 1})
    record = event.encoded_record()
    assert isinstance(record, EncodedRecord)
    text = RecordCodec().known_text(record)
    assert text is not None and text == RecordCodec().encode(record, **WHERE)
    assert RecordCodec().decode(text, session_id="s", seq=1) == event.to_record()
    assert RecordCodec().known_text(dict(record)) is None  # no text of its writer: encode checks it
    assert RecordCodec(Fernet.generate_key()).known_text(record) is None  # sealed by encode
    record["k"] = 2  # a changed record drops its text
    assert RecordCodec().known_text(record) is None
    assert RecordCodec().known_text(EncodedRecord(dict(record), b"{}", depth=None)) is None
