"""The conformance suite's fixtures: one ``store`` per backend, real servers started once per run.

``make_store(**options)`` opens another store on the same backend *and the same data* as this test
(same SQLite file, same Redis database, same PostgreSQL database, same memory dict), so tests can
check namespaces, TTL and encryption across stores. Each test gets a fresh database: a new SQLite
file, a new PostgreSQL database, a flushed Redis database, a new memory dict.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from servers import PostgresServer, RedisCluster, RedisServer
from servers.backends import BACKENDS, Backend, sync_redis
from sessionforge.storage.base import BaseStore
from sessionforge.storage.memory import MemoryStore
from sessionforge.storage.postgres import PostgresStore
from sessionforge.storage.redis import RedisStore
from sessionforge.storage.sqlite import SQLiteStore


def pytest_report_header(config: pytest.Config) -> str:
    """Say up front which optional capabilities each backend declares (nothing is skipped quietly)."""
    stores = {
        "memory": MemoryStore(),
        "sqlite": SQLiteStore(":memory:"),
        "redis": RedisStore.from_url("redis://127.0.0.1:1/0"),
        "redis-cluster": RedisStore.from_url("redis+cluster://127.0.0.1:1/0"),
        "postgres": PostgresStore.from_url("postgresql://127.0.0.1:1/db"),
    }
    declared = ", ".join(f"{name}={sorted(s.capabilities)}" for name, s in stores.items())
    return f"storage capabilities (plus 'encryption' with a key): {declared}"


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


@pytest.fixture
async def make_store(backend: Backend) -> AsyncIterator[Callable[..., BaseStore]]:
    yield backend.open
    for store in backend.opened:
        await store.aclose()


@pytest.fixture
def store(make_store: Callable[..., BaseStore]) -> BaseStore:
    return make_store()


@pytest.fixture
def needs() -> Callable[[BaseStore, str], None]:
    """Skip, loudly and by name, when a backend does not declare what a test checks."""

    def check(store: BaseStore, capability: str) -> None:
        if capability not in store.capabilities:
            pytest.skip(f"{type(store).__name__} does not declare the {capability!r} capability")

    return check
