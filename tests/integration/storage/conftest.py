"""The conformance suite's fixtures: one ``store`` per backend, real servers started once per run.

``make_store(**options)`` opens another store on the same backend *and the same data* as this test
(same SQLite file, same Redis database, same PostgreSQL database, same memory dict), so tests can
check namespaces, TTL and encryption across stores. Each test gets a fresh database: a new SQLite
file, a new PostgreSQL database, a flushed Redis database, a new memory dict.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from servers import PostgresServer, RedisCluster, RedisServer, ServerMissing
from sessionforge.storage.base import BaseStore
from sessionforge.storage.memory import MemoryStore
from sessionforge.storage.postgres import PostgresStore
from sessionforge.storage.redis import RedisStore
from sessionforge.storage.sqlite import SQLiteStore

BACKENDS = [
    pytest.param("memory", id="memory"),
    pytest.param("sqlite", id="sqlite"),
    pytest.param("redis", id="redis", marks=pytest.mark.redis),
    pytest.param("redis-cluster", id="redis-cluster", marks=pytest.mark.redis),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]
# Backends other processes can reach: the multi-process and crash tests run on these.
SHARED_BACKENDS = [p for p in BACKENDS if p.values[0] != "memory"]


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


def _start(server_cls: type[Any], **kwargs: Any) -> Any:
    try:
        return server_cls(**kwargs).start()
    except ServerMissing as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = _start(RedisServer)
    yield server
    server.close()


@pytest.fixture(scope="session")
def redis_cluster() -> Iterator[RedisCluster]:
    cluster = _start(RedisCluster)
    yield cluster
    cluster.close()


def _sync_redis(url: str, **options: Any) -> Any:
    """A blocking client for reaching under a store: plain or cluster, as the URL says."""
    import redis
    import redis.cluster

    if url.startswith("redis+cluster://"):
        return redis.cluster.RedisCluster.from_url("redis://" + url.split("://", 1)[1], **options)
    return redis.Redis.from_url(url, **options)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = _start(PostgresServer)
    yield server
    server.close()


class Backend:
    """Where one test's data lives, and how to open stores on it (and to reach under them)."""

    def __init__(self, name: str, url: str, memory: dict[str, Any] | None = None) -> None:
        self.name, self.url, self.memory = name, url, memory
        self.opened: list[BaseStore] = []

    @property
    def store_url(self) -> str:
        """The URL another process passes to ``open_store`` to reach the same data."""
        return f"sqlite:///{self.url}" if self.name == "sqlite" else self.url

    def open(self, **options: Any) -> BaseStore:
        options.setdefault("namespace", "conformance")
        store: BaseStore
        if self.name == "memory":
            store = MemoryStore(data=self.memory, **options)
        elif self.name == "sqlite":
            store = SQLiteStore(self.url, **options)
        elif self.name.startswith("redis"):
            store = RedisStore.from_url(self.url, **options)
        else:
            store = PostgresStore.from_url(self.url, connect_timeout=3, **options)
        self.opened.append(store)
        return store

    def raw(self, store: BaseStore, session_id: str) -> list[str]:
        """The stored text of a session's records, read under the store."""
        ns = store.namespace
        if self.name == "memory":
            assert self.memory is not None
            return list(self.memory[ns][session_id].rows)
        if self.name == "sqlite":
            with sqlite3.connect(self.url) as conn:
                rows = conn.execute(
                    "SELECT body FROM events WHERE namespace=? AND session_id=? ORDER BY seq",
                    (ns, session_id),
                ).fetchall()
            return [r[0] for r in rows]
        if self.name.startswith("redis"):
            with _sync_redis(self.url, decode_responses=True) as client:
                return list(client.lrange(f"sf:{{{ns}:{session_id}}}:log", 0, -1))
        import psycopg

        with psycopg.connect(self.url) as conn:
            rows = conn.execute(
                "SELECT body FROM sessionforge_events WHERE namespace=%s AND session_id=%s ORDER BY seq",
                (ns, session_id),
            ).fetchall()
        return [r[0] for r in rows]

    def corrupt(self, store: BaseStore, session_id: str, seq: int, raw: str) -> None:
        """Overwrite the stored text of one record, under the store, as a foreign writer would."""
        ns = store.namespace
        if self.name == "memory":
            assert self.memory is not None
            self.memory[ns][session_id].rows[seq - 1] = raw
        elif self.name == "sqlite":
            with sqlite3.connect(self.url) as conn:
                conn.execute(
                    "UPDATE events SET body=? WHERE namespace=? AND session_id=? AND seq=?",
                    (raw, ns, session_id, seq),
                )
        elif self.name.startswith("redis"):
            with _sync_redis(self.url) as client:
                client.lset(f"sf:{{{ns}:{session_id}}}:log", seq - 1, raw)
        else:
            import psycopg

            with psycopg.connect(self.url, autocommit=True) as conn:
                conn.execute(
                    "UPDATE sessionforge_events SET body=%s WHERE namespace=%s AND session_id=%s AND seq=%s",
                    (raw, ns, session_id, seq),
                )


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
        with _sync_redis(server.url) as client:
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
