"""Owned clients follow the event loop; clients passed in are used as given and never closed."""

from __future__ import annotations

import asyncio
import subprocess
import sys

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
