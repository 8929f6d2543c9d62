"""TTL: a session vanishes ttl_seconds after its last write (and read, with touch_on_read)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable

import pytest

from servers.backends import Backend, sync_redis
from sessionforge.storage.base import BaseStore
from sessionforge.storage.redis import RedisStore

Needs = Callable[[BaseStore, str], None]


async def test_session_expires_after_its_last_write(
    make_store: Callable[..., BaseStore], needs: Needs
) -> None:
    store = make_store(ttl_seconds=1)
    needs(store, "ttl")
    await store.append("old", [{"id": "a"}])
    await asyncio.sleep(0.6)
    await store.append("old", [{"id": "b"}])  # a write extends
    await store.append("young", [{"id": "a"}])
    await asyncio.sleep(0.6)
    assert len(await store.load("old")) == 2
    await asyncio.sleep(0.6)
    assert await store.load("old") == []
    assert await store.list_sessions() == []
    assert await store.append("old", [{"id": "a"}]) == 1  # a fresh log, ids forgotten too


async def test_touch_on_read_extends(make_store: Callable[..., BaseStore], needs: Needs) -> None:
    touching, plain = make_store(ttl_seconds=1, touch_on_read=True), make_store(ttl_seconds=1)
    needs(touching, "ttl")
    for store in (touching, plain):  # connect first: the timeline below is about expiry, not setup
        await store.list_sessions()
    await plain.append("read", [{"id": "a"}])
    await plain.append("unread", [{"id": "a"}])
    for _ in range(2):
        await asyncio.sleep(0.6)
        assert len(await touching.load("read")) == 1
    assert await touching.list_sessions() == ["read"]
    assert await plain.load("unread") == []


async def test_without_ttl_nothing_expires(store: BaseStore) -> None:
    await store.append("s", [{"id": "a"}])
    await asyncio.sleep(0.1)
    assert await store.list_sessions() == ["s"]


def _stored_sessions(backend: Backend, store: BaseStore) -> int:
    """Sessions the backend still holds any row of, expired or not (what purging frees).

    Redis expires keys itself: there, the entries of the store's listing index.
    """
    union = "SELECT namespace, session_id FROM {s} UNION SELECT namespace, session_id FROM {e}"
    if backend.name == "memory":
        assert backend.memory is not None
        return sum(len(logs) for logs in backend.memory.values())
    if backend.name == "sqlite":
        with sqlite3.connect(backend.url) as conn:
            row = conn.execute(f"SELECT count(*) FROM ({union.format(s='sessions', e='events')})").fetchone()
        return int(row[0])
    if backend.name.startswith("redis"):
        assert isinstance(store, RedisStore)
        with sync_redis(backend.url) as client:
            return int(client.zcard(store._index))
    import psycopg

    with psycopg.connect(backend.url) as conn:
        sql = f"SELECT count(*) FROM ({union.format(s='sessionforge_sessions', e='sessionforge_events')}) u"
        found = conn.execute(sql).fetchone()
    assert found is not None
    return int(found[0])


async def test_purge_expired_frees_what_expired(
    make_store: Callable[..., BaseStore], backend: Backend, needs: Needs
) -> None:
    short, lasting = make_store(ttl_seconds=0.5), make_store()
    needs(short, "ttl")
    await lasting.append("kept", [{"id": "a"}])  # first, as a store's first append purges
    for i in range(3):
        await short.append(f"gone-{i}", [{"id": "a"}, {"id": "b"}])
    assert _stored_sessions(backend, short) >= 3
    await asyncio.sleep(0.7)
    assert await short.purge_expired() == 3
    assert _stored_sessions(backend, short) == 1  # "kept"
    assert await short.purge_expired() == 0
    assert [r.record["id"] for r in await lasting.load("kept")] == ["a"]


@pytest.mark.parametrize("backend", ["memory", "sqlite", "postgres"], indirect=True)
async def test_appends_purge_expired_sessions_of_any_namespace(
    make_store: Callable[..., BaseStore], backend: Backend
) -> None:
    old = make_store(ttl_seconds=0.5, namespace="old")
    for i in range(3):
        await old.append(f"gone-{i}", [{"id": "a"}])
    await asyncio.sleep(0.7)
    assert _stored_sessions(backend, old) == 3  # expired, invisible, still on disk
    writer = make_store(namespace="busy")  # its first append purges; then once a minute
    await writer.append("s", [{"id": "a"}])
    assert _stored_sessions(backend, old) == 1
    await old.append("fresh", [{"id": "a"}])
    await asyncio.sleep(0.7)
    await writer.append("s", [{"id": "b"}])
    assert _stored_sessions(backend, old) == 2, "a purge runs at most once a minute per store"
    await make_store(namespace="another").append("s", [{"id": "a"}])
    assert _stored_sessions(backend, old) == 2  # "fresh" purged; "s" of "busy" and of "another"
