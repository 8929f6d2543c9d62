"""Where a storage test's data lives: each backend by name, and how to reach under its stores.

``Backend.open(**options)`` opens another store on the same data as the test (same SQLite file, same
Redis database, same PostgreSQL database, same memory dict); ``raw`` and ``corrupt`` read and
overwrite stored text the way a foreign writer would.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from sessionforge.storage.base import BaseStore
from sessionforge.storage.memory import MemoryStore
from sessionforge.storage.postgres import PostgresStore
from sessionforge.storage.redis import RedisStore
from sessionforge.storage.sqlite import SQLiteStore

__all__ = ["BACKENDS", "SERVED_BACKENDS", "SHARED_BACKENDS", "Backend", "backend_url", "sync_redis"]

BACKENDS = [
    pytest.param("memory", id="memory"),
    pytest.param("sqlite", id="sqlite"),
    pytest.param("redis", id="redis", marks=pytest.mark.redis),
    pytest.param("redis-cluster", id="redis-cluster", marks=pytest.mark.redis),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]
# Backends other processes can reach: the multi-process and crash tests run on these.
SHARED_BACKENDS = [p for p in BACKENDS if p.values[0] != "memory"]
# One of each kind of server, for tests of what is built over stores (faces, adapters).
SERVED_BACKENDS = [p for p in BACKENDS if p.values[0] != "redis-cluster"]


def backend_url(name: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a fresh store of backend ``name``: a new SQLite file, a flushed Redis database, a
    new PostgreSQL database, or ``memory://``."""
    if name == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    if name == "redis":
        server = request.getfixturevalue("redis_server")
        with sync_redis(server.url) as client:
            client.flushdb()
        return str(server.url)
    if name == "postgres":
        return str(request.getfixturevalue("postgres_server").create_database())
    return "memory://"


def sync_redis(url: str, **options: Any) -> Any:
    """A blocking client for reaching under a store: plain or cluster, as the URL says."""
    import redis
    import redis.cluster

    if url.startswith("redis+cluster://"):
        return redis.cluster.RedisCluster.from_url("redis://" + url.split("://", 1)[1], **options)
    return redis.Redis.from_url(url, **options)


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
            return [r.decode() if isinstance(r, bytes) else r for r in self.memory[ns][session_id].rows]
        if self.name == "sqlite":
            with sqlite3.connect(self.url) as conn:
                rows = conn.execute(
                    "SELECT body FROM events WHERE namespace=? AND session_id=? ORDER BY seq",
                    (ns, session_id),
                ).fetchall()
            return [r[0] for r in rows]
        if self.name.startswith("redis"):
            assert isinstance(store, RedisStore)
            with sync_redis(self.url, decode_responses=True) as client:
                return list(client.lrange(store.session_keys(session_id)[1], 0, -1))
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
            assert isinstance(store, RedisStore)
            with sync_redis(self.url) as client:
                client.lset(store.session_keys(session_id)[1], seq - 1, raw)
        else:
            import psycopg

            with psycopg.connect(self.url, autocommit=True) as conn:
                conn.execute(
                    "UPDATE sessionforge_events SET body=%s WHERE namespace=%s AND session_id=%s AND seq=%s",
                    (raw, ns, session_id, seq),
                )
