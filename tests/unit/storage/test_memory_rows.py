"""The memory store keeps a turn's record as its writer's bytes: read back equal, checked as any row."""

from __future__ import annotations

import asyncio

import pytest

from sessionforge.core.events import EncodedRecord, EventSource, EventType, SessionEvent
from sessionforge.errors import CorruptRecordError
from sessionforge.storage.codec import RecordCodec
from sessionforge.storage.memory import MemoryStore


def _turn(text: str) -> SessionEvent:
    return SessionEvent.of_parts(EventSource.USER, EventType.MESSAGE, text, {"k": "v"})


def test_a_turns_record_is_kept_as_bytes_and_reads_back_equal() -> None:
    data: dict = {}
    store = MemoryStore(data=data)
    event, other = _turn("héllo ✓"), _turn("plain")
    record = event.encoded_record()
    assert isinstance(record, EncodedRecord)
    plain = other.to_record()

    async def run() -> list:
        await store.append("s", [record, plain])
        return await store.load("s")

    loaded = asyncio.run(run())
    rows = data["default"]["s"].rows
    assert type(rows[0]) is bytes and type(rows[1]) is str
    assert rows[0].decode() == RecordCodec().encode(record, namespace="default", session_id="s")
    assert [r.record for r in loaded] == [event.to_record(), plain]


def test_a_changed_byte_of_a_kept_record_is_refused() -> None:
    data: dict = {}
    store = MemoryStore(data=data)
    asyncio.run(store.append("s", [_turn("héllo").encoded_record()]))
    row = data["default"]["s"].rows[0]
    data["default"]["s"].rows[0] = row.replace(b"h\xc3\xa9llo", b"hallo")
    with pytest.raises(CorruptRecordError, match="checksum"):
        asyncio.run(store.load("s"))


def test_an_encrypting_memory_store_seals_every_record() -> None:
    from cryptography.fernet import Fernet

    data: dict = {}
    store = MemoryStore(data=data, encryption_key=Fernet.generate_key())
    event = _turn("secret")
    asyncio.run(store.append("s", [event.encoded_record()]))
    row = data["default"]["s"].rows[0]
    assert isinstance(row, str) and "secret" not in row
    assert [r.record for r in asyncio.run(store.load("s"))] == [event.to_record()]
