"""list_sessions: sorted ids of live sessions, filtered by prefix."""

from __future__ import annotations

from typing import Any

import pytest

from sessionforge.errors import UsageError
from sessionforge.storage.base import BaseStore, list_page


async def test_sorted_and_filtered_by_prefix(store: BaseStore) -> None:
    for sid in ["user:b", "user:a", "bot:1", "user_c", "user.d"]:
        await store.append(sid, [{"x": 1}])
    assert await store.list_sessions() == sorted(["user:b", "user:a", "bot:1", "user_c", "user.d"])
    assert await store.list_sessions("user:") == ["user:a", "user:b"]
    assert await store.list_sessions("user_") == ["user_c"]
    assert await store.list_sessions("user%") == []
    assert await store.list_sessions("user.") == ["user.d"]
    assert await store.list_sessions("nobody") == []


async def test_empty_store_lists_nothing(store: BaseStore) -> None:
    assert await store.list_sessions() == []


async def test_pages_follow_one_another(store: BaseStore) -> None:
    ids = [f"s{n:03d}" for n in range(25)] + ["t1", "S0", "s"]
    for sid in ids:
        await store.append(sid, [{"x": 1}])
    assert await store.list_sessions(limit=3) == sorted(ids)[:3]
    pages: list[str] = []
    after: str | None = None
    while page := await store.list_sessions("s", limit=10, after=after):
        assert len(page) <= 10
        pages += page
        after = page[-1]
    assert pages == sorted(s for s in ids if s.startswith("s"))
    assert await store.list_sessions("s0", after="s010") == [f"s{n:03d}" for n in range(11, 25)]
    assert await store.list_sessions("s", after="a", limit=2) == ["s", "s000"]
    assert await store.list_sessions(after="t1") == []
    assert await store.list_sessions(limit=0) == []
    assert await store.list_sessions("s02", limit=None) == [f"s{n:03d}" for n in range(20, 25)]


async def test_a_page_skips_deleted_sessions(store: BaseStore) -> None:
    for sid in ["a", "b", "c", "d"]:
        await store.append(sid, [{"x": 1}])
    await store.delete("b")
    assert await store.list_sessions(limit=2) == ["a", "c"]
    assert await store.list_sessions(limit=2, after="a") == ["c", "d"]


async def test_list_page_reads_any_store(store: BaseStore) -> None:
    for sid in ["a", "b", "c"]:
        await store.append(sid, [{"x": 1}])

    class ListsEverything:
        """A third-party store from before paging: list_sessions(prefix) only."""

        async def list_sessions(self, prefix: str = "") -> list[str]:
            return await store.list_sessions(prefix)

    assert await list_page(store, limit=2) == ["a", "b"]
    assert await list_page(store, limit=2, after="b") == ["c"]
    legacy: Any = ListsEverything()
    assert await list_page(legacy, limit=2, after="a") == ["b", "c"]


async def test_a_bad_page_is_refused(store: BaseStore) -> None:
    with pytest.raises(UsageError):
        await store.list_sessions(limit=-1)
    with pytest.raises(UsageError):
        await store.list_sessions(after=3)  # type: ignore[arg-type]
