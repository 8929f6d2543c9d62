"""A server that goes away mid-conversation: a clear StoreUnavailableError, then the conversation goes on."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest

from servers import PostgresServer, RedisCluster, RedisServer, start_or_fail
from sessionforge.errors import StoreUnavailableError
from sessionforge.storage.base import BaseStore
from sessionforge.storage.postgres import PostgresStore
from sessionforge.storage.redis import RedisStore

T = TypeVar("T")


async def _once_back(call: Callable[[], Awaitable[T]], within: float = 30) -> T:
    """Retry a call that fails with StoreUnavailableError, as a caller is told to, for a bounded time."""
    deadline = time.monotonic() + within
    while True:
        try:
            return await call()
        except StoreUnavailableError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)


async def _conversation_survives(
    store: BaseStore, stop: Callable[[], None], start: Callable[[], None], name: str
) -> None:
    for i in range(3):
        await store.append("chat", [{"id": f"m{i}", "text": f"turn {i}"}])
    stop()
    began = time.monotonic()
    with pytest.raises(StoreUnavailableError, match=f"{name} .* is unavailable") as info:
        await store.append("chat", [{"id": "m3", "text": "turn 3"}])
    assert info.value.__cause__ is not None
    assert info.value.session_id == "chat"
    assert "retry it with the same record ids" in str(info.value)  # an append's outcome is unknown
    assert time.monotonic() - began < 15, "the failure took too long to surface"
    with pytest.raises(StoreUnavailableError) as read:
        await store.load("chat")
    assert "append" not in str(read.value)  # a read has nothing in flight to retry
    start()
    # The same call, retried: the record id makes the retry safe whether or not it had landed.
    assert await _once_back(lambda: store.append("chat", [{"id": "m3", "text": "turn 3"}])) == 4
    assert await store.append("chat", [{"id": "m4", "text": "turn 4"}]) == 5
    assert [r.record["id"] for r in await store.load("chat")] == [f"m{i}" for i in range(5)]


@pytest.mark.redis
async def test_redis_restart() -> None:
    server: RedisServer = start_or_fail(RedisServer, durable=True)
    store = RedisStore.from_url(server.url, client_options={"socket_timeout": 5})
    try:
        await _conversation_survives(store, server.stop, server.start, "Redis")
    finally:
        await store.aclose()
        server.close()


@pytest.mark.redis
async def test_redis_cluster_node_restart() -> None:
    import redis.cluster

    cluster: RedisCluster = start_or_fail(RedisCluster, durable=True)
    store = RedisStore.from_url(cluster.url, client_options={"socket_timeout": 5})
    try:
        with redis.cluster.RedisCluster(host="127.0.0.1", port=cluster.nodes[0].port) as probe:
            owner = probe.get_node_from_key(store.session_keys("chat")[0])
        node = next(n for n in cluster.nodes if n.port == owner.port)
        await _conversation_survives(store, node.stop, node.start, "Redis")
    finally:
        await store.aclose()
        cluster.close()


@pytest.mark.postgres
async def test_postgres_restart(postgres_server: PostgresServer) -> None:
    store = PostgresStore.from_url(postgres_server.create_database(), connect_timeout=2)
    try:
        await _conversation_survives(store, postgres_server.stop, postgres_server.start, "PostgreSQL")
    finally:
        await store.aclose()


@pytest.mark.redis
async def test_redis_unreachable_from_the_start() -> None:
    from servers import free_port

    store = RedisStore.from_url(f"redis://127.0.0.1:{free_port()}/0")
    with pytest.raises(StoreUnavailableError, match=r"Redis at redis://127\.0\.0\.1") as info:
        await store.list_sessions()
    assert "append" not in str(info.value)
    await store.aclose()


@pytest.mark.postgres
async def test_postgres_unreachable_from_the_start() -> None:
    from servers import free_port

    store = PostgresStore.from_url(f"postgresql://u:pw@127.0.0.1:{free_port()}/db", connect_timeout=1)
    with pytest.raises(StoreUnavailableError, match=r"PostgreSQL at postgresql://u:\*\*\*@127") as info:
        await store.append("s", [{"x": 1}])
    assert "pw" not in str(info.value)
    assert "may or may not have landed" in str(info.value)
    with pytest.raises(StoreUnavailableError) as read:
        await store.list_sessions()
    assert "append" not in str(read.value)
    await store.aclose()


def _server_processes(server: PostgresServer) -> list[int]:
    """The postmaster and every process it started (backends, checkpointer, ...)."""
    postmaster = int((server.data / "postmaster.pid").read_text().split()[0])
    children = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == postmaster:
                children.append(int(entry))
    return [postmaster, *children]


@pytest.mark.postgres
async def test_postgres_hung_server_fails_within_the_command_timeout(postgres_server: PostgresServer) -> None:
    store = PostgresStore.from_url(postgres_server.create_database(), connect_timeout=2, command_timeout=2)
    stopped: list[int] = []
    try:
        await store.append("chat", [{"id": "m0"}])
        stopped = _server_processes(postgres_server)
        for pid in stopped:  # the server hangs: its sockets stay open, nothing answers
            os.kill(pid, signal.SIGSTOP)
        began = time.monotonic()
        with pytest.raises(StoreUnavailableError, match="no answer within 2s") as info:
            await store.append("chat", [{"id": "m1"}])
        assert info.value.session_id == "chat"
        assert time.monotonic() - began < 6, "a hung server held the call past its timeout"
        began = time.monotonic()
        with pytest.raises(StoreUnavailableError):
            await store.load("chat")
        assert time.monotonic() - began < 6
    finally:
        for pid in stopped:
            os.kill(pid, signal.SIGCONT)
    # The retried append lands once (it may or may not have landed before: the id says).
    assert await _once_back(lambda: store.append("chat", [{"id": "m1"}]), within=10) == 2
    assert [r.record["id"] for r in await store.load("chat")] == ["m0", "m1"]
    await store.aclose()


@pytest.mark.postgres
async def test_postgres_works_again_within_seconds_of_a_restart(postgres_server: PostgresServer) -> None:
    store = PostgresStore.from_url(postgres_server.create_database(), connect_timeout=2, command_timeout=5)
    try:
        await store.append("chat", [{"id": "m0"}])
        postgres_server.stop()
        for _ in range(3):  # calls during the outage fail (and the pool backs off in between)
            with pytest.raises(StoreUnavailableError):
                await store.append("chat", [{"id": "m1"}])
            await asyncio.sleep(1)
        postgres_server.start()  # returns once the server accepts connections
        began = time.monotonic()
        assert await _once_back(lambda: store.append("chat", [{"id": "m1"}]), within=30) == 2
        assert time.monotonic() - began < 3, "the store took too long to use the restarted server"
    finally:
        if not (postgres_server.data / "postmaster.pid").exists():
            postgres_server.start()  # the server is shared with the tests that follow
        await store.aclose()


@pytest.mark.postgres
async def test_postgres_a_long_statement_is_cancelled_by_the_server(postgres_server: PostgresServer) -> None:
    import psycopg

    url = postgres_server.create_database()
    store = PostgresStore.from_url(url, connect_timeout=2, command_timeout=1)
    await store.append("chat", [{"id": "m0"}])
    async with await psycopg.AsyncConnection.connect(url) as blocker:
        await blocker.execute("BEGIN")
        await blocker.execute("SELECT * FROM sessionforge_sessions FOR UPDATE")  # holds the head row
        with pytest.raises(StoreUnavailableError, match="statement timeout"):
            await store.append("chat", [{"id": "m1"}])
        await blocker.execute("ROLLBACK")
    assert await store.append("chat", [{"id": "m1"}]) == 2
    await store.aclose()
