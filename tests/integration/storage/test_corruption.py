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
