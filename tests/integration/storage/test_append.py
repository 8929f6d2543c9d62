"""append: the store numbers records 1, 2, 3, ... per session and returns the last number."""

from __future__ import annotations

from sessionforge.storage.base import BaseStore


async def test_seqs_are_contiguous_and_returned(store: BaseStore) -> None:
    assert await store.append("s1", [{"n": 1}]) == 1
    assert await store.append("s1", [{"n": 2}, {"n": 3}]) == 3
    assert await store.append("s1", [{"n": 4}]) == 4
    loaded = await store.load("s1")
    assert [r.seq for r in loaded] == [1, 2, 3, 4]
    assert [r.record["n"] for r in loaded] == [1, 2, 3, 4]


async def test_sessions_are_numbered_independently(store: BaseStore) -> None:
    await store.append("a", [{"n": 1}, {"n": 2}])
    assert await store.append("b", [{"n": 1}]) == 1


async def test_records_round_trip_exactly(store: BaseStore) -> None:
    record = {"id": "e1", "text": 'héllo 🌍 \\u0000 "quoted"', "nested": {"list": [1, 2.5, None, True]}}
    await store.append("s", [record])
    assert (await store.load("s"))[0].record == record


async def test_empty_append_returns_current_seq(store: BaseStore) -> None:
    await store.append("s", [{"n": 1}])
    assert await store.append("s", []) == 1
