"""Owned clients follow the event loop; clients passed in are used as given and never closed."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from typing import Any

import psycopg_pool
import pytest
import redis.asyncio

from servers.backends import SHARED_BACKENDS, Backend
from sessionforge.storage.postgres import PostgresStore
from sessionforge.storage.redis import RedisStore


@pytest.mark.parametrize("backend", SHARED_BACKENDS, indirect=True)
def test_one_store_across_several_asyncio_runs(backend: Backend) -> None:
    store = backend.open()
    for i in range(3):
        assert asyncio.run(store.append("s", [{"id": str(i)}])) == i + 1
    assert len(asyncio.run(store.load("s"))) == 3

    async def finish() -> None:
        await store.load("s")
        await store.aclose()

    asyncio.run(finish())


@pytest.mark.redis
async def test_redis_client_passed_in_is_not_closed(redis_server: object) -> None:
    client = redis.asyncio.Redis.from_url(redis_server.url)  # type: ignore[attr-defined]
    async with RedisStore(client, namespace="borrowed") as store:
        await store.append("s", [{"id": "a"}])
    assert await client.ping()
    await client.delete(*store.session_keys("s"))
    await client.aclose()


@pytest.mark.postgres
async def test_postgres_pool_passed_in_is_not_closed(postgres_server: object) -> None:
    url = postgres_server.create_database()  # type: ignore[attr-defined]
    async with psycopg_pool.AsyncConnectionPool(url, min_size=1, max_size=2) as pool:
        async with PostgresStore(pool, namespace="borrowed") as store:
            assert await store.append("s", [{"id": "a"}]) == 1
            assert await store.append("s", [{"id": "a"}, {"id": "b"}]) == 2
        assert not pool.closed
        async with pool.connection() as conn:
            cur = await conn.execute("SELECT count(*) FROM sessionforge_events")
            assert (await cur.fetchone()) == (2,)


_UNCLOSED_LOOPS = """
import asyncio, sys
from sessionforge.storage.postgres import PostgresStore

store = PostgresStore.from_url(sys.argv[1])

async def burst(i):
    await store.append("s", [{"id": f"r{i}"}])
    await asyncio.gather(*(store.load("s", limit=1) for _ in range(6)))  # the pool grows meanwhile

for i in range(15):
    asyncio.run(burst(i))  # never closed: each loop ends with the pool open, often mid-connect
print(len(asyncio.run(store.load("s"))))
"""


@pytest.mark.postgres
def test_a_loop_that_ends_with_the_pool_open_still_ends(postgres_server: object) -> None:
    """psycopg_pool's workers swallow cancellation; without the store's guard this hangs forever."""
    url = postgres_server.create_database()  # type: ignore[attr-defined]
    done = subprocess.run(
        [sys.executable, "-c", _UNCLOSED_LOOPS, url], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "15"


async def _backend_pid(store: PostgresStore) -> int:
    async def read(conn: Any) -> int:
        cur = await conn.execute("SELECT pg_backend_pid()")
        row = await cur.fetchone()
        return int(row[0])

    return await store._run(read)


@pytest.mark.postgres
def test_postgres_connections_outlive_an_event_loop(postgres_server: object) -> None:
    """The blocking faces run each call in a loop of its own: they reuse one connection."""
    store = PostgresStore.from_url(postgres_server.create_database())  # type: ignore[attr-defined]
    pids = {asyncio.run(_backend_pid(store)) for _ in range(4)}
    assert len(pids) == 1
    asyncio.run(store.aclose())


@pytest.mark.postgres
async def test_postgres_opens_at_most_max_size_connections(postgres_server: object) -> None:
    store = PostgresStore.from_url(
        postgres_server.create_database(),  # type: ignore[attr-defined]
        pool_options={"max_size": 2},
    )
    await store.append("s", [{"id": "a"}])
    pids = await asyncio.gather(*(_backend_pid(store) for _ in range(8)))
    assert len(set(pids)) <= 2
    assert [len(r) for r in await asyncio.gather(*(store.load("s") for _ in range(8)))] == [1] * 8
    await store.aclose()


@pytest.mark.postgres
async def test_postgres_an_idle_connection_the_server_closed_is_replaced(
    postgres_server: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    import psycopg

    from sessionforge.storage import postgres

    monkeypatch.setattr(postgres, "CHECK_IDLE", 0.0)
    url = postgres_server.create_database()  # type: ignore[attr-defined]
    store = PostgresStore.from_url(url)
    await store.append("s", [{"id": "a"}])
    pid = await _backend_pid(store)
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as admin:
        await admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    await asyncio.sleep(0.05)
    assert [r.record["id"] for r in await store.load("s")] == ["a"]  # no error: checked, replaced
    assert await _backend_pid(store) != pid
    await store.aclose()


@pytest.mark.redis
def test_redis_loads_its_scripts_once_and_reloads_what_the_server_forgot(
    redis_server: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each asyncio.run gets a new client (as a blocking face does); only the first loads the
    scripts. A server that lost them (SCRIPT FLUSH, as a restart does) gets them again on NOSCRIPT."""
    import redis as sync_redis

    admin = sync_redis.Redis.from_url(redis_server.url)  # type: ignore[attr-defined]
    store = RedisStore.from_url(redis_server.url, namespace="scripts-once")  # type: ignore[attr-defined]

    def loads() -> int:
        return int(admin.info("commandstats").get("cmdstat_script|load", {}).get("calls", 0))

    from importlib import metadata

    before = loads()  # the admin client connects first: it reads redis-py's version, as it does
    read_versions: list[str] = []
    real_version = metadata.version
    monkeypatch.setattr(metadata, "version", lambda name: read_versions.append(name) or real_version(name))
    for i in range(3):
        assert asyncio.run(store.append("s", [{"id": str(i)}])) == i + 1
    assert loads() - before == 2  # two scripts, loaded once
    assert "redis" not in read_versions  # the client's name and version are worked out once
    admin.script_flush()
    assert asyncio.run(store.append("s", [{"id": "after-flush"}])) == 4
    assert [r.record["id"] for r in asyncio.run(store.load("s"))] == ["0", "1", "2", "after-flush"]

    asyncio.run(store.aclose())
    admin.close()
