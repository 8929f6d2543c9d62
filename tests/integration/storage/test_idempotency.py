"""Record ids make appends idempotent: a retried append never duplicates a record."""

from __future__ import annotations

from sessionforge.storage.base import BaseStore


async def test_a_seen_id_is_skipped(store: BaseStore) -> None:
    assert await store.append("s", [{"id": "a", "v": 1}, {"id": "b"}]) == 2
    assert await store.append("s", [{"id": "a", "v": 2}, {"id": "c"}]) == 3
    loaded = await store.load("s")
    assert [r.record["id"] for r in loaded] == ["a", "b", "c"]
    assert loaded[0].record["v"] == 1


async def test_retrying_the_whole_batch_changes_nothing(store: BaseStore) -> None:
    batch = [{"id": "x"}, {"id": "y"}]
    assert await store.append("s", batch) == 2
    assert await store.append("s", batch) == 2
    assert len(await store.load("s")) == 2


async def test_duplicate_ids_within_one_batch(store: BaseStore) -> None:
    assert await store.append("s", [{"id": "x"}, {"id": "x"}, {"v": 1}, {"v": 1}]) == 3


async def test_ids_are_per_session(store: BaseStore) -> None:
    await store.append("s1", [{"id": "same"}])
    assert await store.append("s2", [{"id": "same"}]) == 1
