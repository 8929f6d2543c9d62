"""TTL: a session vanishes ttl_seconds after its last write (and read, with touch_on_read)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from sessionforge.storage.base import BaseStore

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
