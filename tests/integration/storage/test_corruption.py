"""A record that cannot be decoded raises CorruptRecordError naming its session; others still load."""

from __future__ import annotations

import pytest

from servers.backends import Backend
from sessionforge.errors import CorruptRecordError
from sessionforge.storage.base import BaseStore


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("{not json", "not valid JSON"),
        ('{"some": "other app"}', "not a sessionforge record"),
        ('{"f": 99, "r": {}}', "record format 99"),
        ('{"f": 1, "r": [1, 2]}', "no record body"),
    ],
    ids=["garbage", "foreign", "future-format", "no-body"],
)
async def test_corrupt_record_is_named(store: BaseStore, backend: Backend, raw: str, reason: str) -> None:
    await store.append("broken", [{"id": "a"}, {"id": "b"}, {"id": "c"}])
    await store.append("healthy", [{"id": "a"}])
    backend.corrupt(store, "broken", 2, raw)

    with pytest.raises(CorruptRecordError, match=reason) as info:
        await store.load("broken")
    assert info.value.session_id == "broken"
    assert "record 2 of session 'broken'" in str(info.value)

    assert [r.seq for r in await store.load("broken", limit=1)] == [1]
    assert [r.seq for r in await store.load("broken", after_seq=2)] == [3]
    assert [r.record["id"] for r in await store.load("healthy")] == ["a"]
    assert await store.list_sessions() == ["broken", "healthy"]
    assert await store.append("broken", [{"id": "d"}]) == 4


async def test_a_flipped_byte_is_detected(store: BaseStore, backend: Backend) -> None:
    await store.append("s", [{"id": "a", "text": "the answer is 42"}, {"id": "b"}])
    raw = backend.raw(store, "s")[0]
    assert '"f":2,"c":"' in raw
    backend.corrupt(store, "s", 1, raw.replace("42", "43"))
    with pytest.raises(CorruptRecordError, match="fails its checksum") as info:
        await store.load("s")
    assert (info.value.session_id, info.value.seq) == ("s", 1)
    assert "record 1 of session 's'" in str(info.value)
    assert [r.record["id"] for r in await store.load("s", after_seq=1)] == ["b"]


@pytest.mark.parametrize(
    "raw",
    [
        '{"f":2,"c":"zzzzzzzz","r":{"id":"a"}}',
        '{"f":2,"c":"00000000","r":{"id":"a"}}',
        '{"f":2,"r":{"id":"a"}}',
        '{"f":2,"c":"1234","r":{"id":"a"}}',
    ],
    ids=["bad-hex", "wrong-sum", "no-sum", "short-sum"],
)
async def test_a_format_2_record_without_a_valid_checksum_is_refused(
    store: BaseStore, backend: Backend, raw: str
) -> None:
    await store.append("s", [{"id": "a"}])
    backend.corrupt(store, "s", 1, raw)
    with pytest.raises(CorruptRecordError, match=r"checksum|malformed format-2 envelope") as info:
        await store.load("s")
    assert info.value.seq == 1


async def test_records_of_the_older_format_still_read(store: BaseStore, backend: Backend) -> None:
    await store.append("old", [{"id": "a"}, {"id": "b"}])
    backend.corrupt(store, "old", 1, '{"f":1,"r":{"id":"a","text":"written by an earlier version"}}')
    assert [r.record for r in await store.load("old")] == [
        {"id": "a", "text": "written by an earlier version"},
        {"id": "b"},
    ]
    assert await store.append("old", [{"id": "c"}]) == 3


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_sqlite_invalid_utf8_is_a_corrupt_record_of_its_session(
    store: BaseStore, backend: Backend
) -> None:
    import sqlite3

    await store.append("s", [{"id": "a"}, {"id": "b"}])
    await store.append("other", [{"id": "a"}])
    with sqlite3.connect(backend.url) as conn:  # a foreign writer stores bytes that are not UTF-8
        conn.execute(
            "UPDATE events SET body=CAST(? AS TEXT) WHERE namespace=? AND session_id=? AND seq=2",
            (b'{"f":1,"r":{"id":"b\xff"}}', store.namespace, "s"),
        )
    with pytest.raises(CorruptRecordError, match="record 2 of session 's'") as info:
        await store.load("s")
    assert "check the path" not in str(info.value)
    assert (info.value.session_id, info.value.seq) == ("s", 2)
    assert [r.record["id"] for r in await store.load("s", limit=1)] == ["a"]
    assert [r.record["id"] for r in await store.load("other")] == ["a"]
    assert await store.list_sessions() == ["other", "s"]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_sqlite_a_damaged_session_id_does_not_hide_the_others(
    store: BaseStore, backend: Backend
) -> None:
    import sqlite3

    await store.append("good", [{"id": "a"}])
    with sqlite3.connect(backend.url) as conn:
        conn.execute(
            "INSERT INTO sessions (namespace, session_id, last_seq, created_at, updated_at) "
            "VALUES (?, CAST(? AS TEXT), 0, 0, 0)",
            (store.namespace, b"bad\xff"),
        )
    assert await store.list_sessions() == ["good"]
