"""Session heads: each live session's id, last seq and time of its last append, without loading it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest

from servers.backends import Backend, sync_redis
from sessionforge.storage.base import BaseStore, SessionHead, session_heads
from sessionforge.storage.redis import RedisStore


async def test_heads_agree_with_list_sessions_and_load(store: BaseStore) -> None:
    before = time.time()
    for sid, count in [("user:b", 3), ("user:a", 1), ("bot:1", 2), ("user_c", 4)]:
        await store.append(sid, [{"id": f"{sid}-{n}", "n": n} for n in range(count)])
    await store.append("user:a", [{"id": "user:a-0"}])  # a duplicate: no new record
    after = time.time()
    heads = await session_heads(store)
    assert [h.session_id for h in heads] == await store.list_sessions()
    for head in heads:
        assert head.last_seq == len(await store.load(head.session_id))
        assert before - 1 <= head.updated_at <= after + 1  # the store's clock (the server's for SQL)
    assert [h.session_id for h in await session_heads(store, "user:")] == ["user:a", "user:b"]
    assert await session_heads(store, "nobody") == []


async def test_updated_at_follows_the_last_append(store: BaseStore) -> None:
    for sid in ["first", "second", "third"]:
        await store.append(sid, [{"x": sid}])
        await asyncio.sleep(0.02)
    await store.append("first", [{"x": "again"}])
    heads = await session_heads(store)
    by_time = [h.session_id for h in sorted(heads, key=lambda h: h.updated_at)]
    assert by_time == ["second", "third", "first"]
    assert {h.session_id: h.last_seq for h in heads} == {"first": 2, "second": 1, "third": 1}


async def test_deleted_and_expired_sessions_have_no_head(make_store: Callable[..., BaseStore]) -> None:
    short, plain = make_store(ttl_seconds=1), make_store()
    await plain.append("kept", [{"x": 1}])
    await plain.append("deleted", [{"x": 1}])
    await short.append("expiring", [{"x": 1}])
    await plain.delete("deleted")
    assert [h.session_id for h in await session_heads(plain)] == ["expiring", "kept"]
    await asyncio.sleep(1.3)
    assert [h.session_id for h in await session_heads(plain)] == ["kept"]
    assert [h.session_id for h in await session_heads(short)] == ["kept"]


async def test_heads_stay_within_the_namespace(make_store: Callable[..., BaseStore]) -> None:
    mine, theirs = make_store(namespace="mine"), make_store(namespace="theirs")
    await mine.append("s", [{"x": 1}])
    await theirs.append("s", [{"x": 1}, {"x": 2}])
    assert [(h.session_id, h.last_seq) for h in await session_heads(mine)] == [("s", 1)]
    assert [(h.session_id, h.last_seq) for h in await session_heads(theirs)] == [("s", 2)]


async def test_a_store_without_heads_is_loaded_instead(store: BaseStore) -> None:
    await store.append("a", [{"x": 1, "timestamp": "2026-01-02T03:04:05+00:00"}, {"x": 2}])
    await store.append("b", [{"x": 1, "timestamp": "2026-01-02T03:04:05+00:00"}])

    class NoHeads:
        """A third-party store: the five operations only."""

        async def list_sessions(self, prefix: str = "") -> list[str]:
            return await store.list_sessions(prefix)

        async def load(self, session_id: str, after_seq: int = 0, limit: int | None = None) -> Any:
            return await store.load(session_id, after_seq, limit)

    legacy: Any = NoHeads()
    stamp = 1767323045.0  # 2026-01-02T03:04:05Z
    assert await session_heads(legacy) == [SessionHead("a", 2, 0.0), SessionHead("b", 1, stamp)]


# Only Redis keeps the time of a session's last append in a key of its own.
@pytest.mark.parametrize("backend", ["redis", "redis-cluster"], indirect=True)
async def test_a_redis_session_written_before_its_time_was_kept(store: BaseStore, backend: Backend) -> None:
    assert isinstance(store, RedisStore)
    await store.append("old", [{"x": 1, "timestamp": "2026-01-02T03:04:05+00:00"}])
    await store.append("new", [{"x": 1}])
    with sync_redis(backend.url) as client:
        client.delete(store.session_keys("old")[3])  # as an earlier version left it
    heads = {h.session_id: h for h in await session_heads(store)}
    assert heads["old"] == SessionHead("old", 1, 1767323045.0)
    assert heads["new"].updated_at > heads["old"].updated_at
