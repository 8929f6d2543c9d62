"""load: records after a seq, oldest first, bounded by limit; unknown sessions load empty."""

from __future__ import annotations

from sessionforge.storage.base import BaseStore


async def test_after_seq_and_limit(store: BaseStore) -> None:
    await store.append("s", [{"n": i} for i in range(1, 11)])
    assert [r.seq for r in await store.load("s", after_seq=7)] == [8, 9, 10]
    assert [r.seq for r in await store.load("s", limit=3)] == [1, 2, 3]
    assert [r.seq for r in await store.load("s", after_seq=4, limit=2)] == [5, 6]
    assert await store.load("s", after_seq=10) == []
    assert await store.load("s", after_seq=9, limit=5) == [(10, {"n": 10})]


async def test_paging_reads_everything_once(store: BaseStore) -> None:
    await store.append("s", [{"n": i} for i in range(25)])
    seen: list[int] = []
    for _ in range(10):
        page = await store.load("s", after_seq=seen[-1] if seen else 0, limit=7)
        if not page:
            break
        seen += [r.seq for r in page]
    assert seen == list(range(1, 26))


async def test_unknown_session_loads_empty(store: BaseStore) -> None:
    assert await store.load("never-written") == []
    assert not await store.exists("never-written")
