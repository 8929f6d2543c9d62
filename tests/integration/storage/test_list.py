"""list_sessions: sorted ids of live sessions, filtered by prefix."""

from __future__ import annotations

from sessionforge.storage.base import BaseStore


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
