"""``storage.forks.delete_session`` on every backend: refused while forks share the history, cascade
deletes them, detach gives them their own copy (a fork of the fork is re-pointed), and every
session left reads back as it did."""

from __future__ import annotations

from pathlib import Path

import pytest

from servers import PostgresServer, RedisCluster, RedisServer
from servers.backends import BACKENDS, Backend, sync_redis
from sessionforge.core.events import EventSource, SessionEvent
from sessionforge.errors import InvalidSessionOperation, SessionNotFound
from sessionforge.storage.base import BaseStore
from sessionforge.storage.forks import delete_session, detach_fork, fork, list_branches
from sessionforge.storage.session import Session


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    name: str = request.param
    if name == "memory":
        return Backend(name, "memory://", memory={})
    if name == "sqlite":
        return Backend(name, str(tmp_path / "store.db"))
    if name.startswith("redis"):
        server: RedisServer | RedisCluster = request.getfixturevalue(
            "redis_cluster" if name == "redis-cluster" else "redis_server"
        )
        with sync_redis(server.url) as client:
            if name == "redis-cluster":
                client.flushall(target_nodes=client.PRIMARIES)
            else:
                client.flushdb()
        return Backend(name, server.url)
    pg: PostgresServer = request.getfixturevalue("postgres_server")
    return Backend(name, pg.create_database())


async def _texts(store: BaseStore, session_id: str) -> list[tuple[str, str]]:
    session = await Session.load(session_id, store)
    assert session is not None
    return [(e.id, str(e.message)) for e in session.events]


async def _tree(store: BaseStore) -> None:
    """parent: four turns; child forks it after turn 2 and adds one; grandchild forks the child."""
    parent = await Session.create(session_id="parent", store=store, metadata={"topic": "trips"})
    for i in range(4):
        await parent.add_event(SessionEvent(message=f"p{i}", source=EventSource.USER))
    await parent.save()
    await fork("parent", at=3, store=store, new_session_id="child", metadata={"branch": "b"})
    child = await Session.load("child", store)
    assert child is not None
    await child.add_event(SessionEvent(message="c0", source=EventSource.USER))
    await child.save()
    await fork("child", store=store, new_session_id="grandchild")
    grandchild = await Session.load("grandchild", store)
    assert grandchild is not None
    await grandchild.add_event(SessionEvent(message="g0", source=EventSource.USER))
    await grandchild.save()


async def test_refuse_cascade_and_detach(backend: Backend) -> None:
    store = backend.open()
    await _tree(store)
    with pytest.raises(InvalidSessionOperation, match="child"):
        await delete_session("parent", store)
    assert await store.load("parent", limit=1)  # refused: nothing changed

    child_before = await _texts(store, "child")
    grandchild_before = await _texts(store, "grandchild")
    assert [t for _, t in child_before] == ["p0", "p1", "c0"]
    assert await delete_session("parent", store, forks="detach") == ["parent"]
    assert not await store.load("parent", limit=1)
    assert await _texts(store, "child") == child_before  # same events, same ids, now its own
    assert await _texts(store, "grandchild") == grandchild_before
    child = await Session.load("child", store)
    assert child is not None and child.fork_of is None
    assert child.metadata.properties == {"topic": "trips", "branch": "b"}
    assert await list_branches("child", store) == ["grandchild"]
    assert await detach_fork("child", store) == 0  # not a fork any more: nothing to do
    assert await store.list_sessions("child.") == []  # no scratch copy left behind

    assert await delete_session("child", store, forks="cascade") == ["grandchild", "child"]
    assert await store.list_sessions() == []
    with pytest.raises(SessionNotFound):
        await delete_session("child", store)
