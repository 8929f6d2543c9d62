"""PostgreSQL: the store for a fleet that wants SQL, backups and transactions it already trusts.

Tables mirror the SQLite backend: a head row per session (last seq, expiry) and one row per event,
unique by ``(namespace, session_id, seq)`` and by ``(namespace, session_id, record_id)``. An append
is one call of the ``sessionforge_append`` function (one statement, so one transaction and one round
trip): it upserts and so row-locks the head, inserts the new events after its ``last_seq`` and moves
it. Concurrent writers queue on that lock and get contiguous seqs; a record id seen before is
skipped by the unique index. Expiry uses the server's clock, so a fleet with drifting clocks still
agrees on what is live.

A pool this store owns (from :meth:`PostgresStore.from_url`) is opened lazily and, like the Redis
client, rebuilt when the running event loop changes. psycopg_pool's maintenance tasks survive a
cancellation, so a loop ending with the pool still open (``asyncio.run(store.load(...))`` with no
``aclose``) would wait for them forever; a guard task closes the pool when its loop shuts down. The
schema is created and upgraded on first use (:mod:`.postgres_schema`). All SQL is parameterized.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from typing import Any, Self
from urllib.parse import urlsplit, urlunsplit

from .._optional import require
from ..errors import ConcurrencyConflictError, ConfigurationError, StorageError, StoreUnavailableError
from .base import BaseStore, StoredRecord, check_session_id
from .postgres_schema import migrate

__all__ = ["PostgresStore"]

_TTL = "now() + %(ttl)s::float8 * interval '1 second'"

_LIVE = "(expires_at IS NULL OR expires_at > now())"
_LOAD = """
WITH head AS ({head})
SELECT e.seq, e.body FROM sessionforge_events e JOIN head h USING (namespace, session_id)
WHERE e.seq > %(after)s ORDER BY e.seq LIMIT %(limit)s
"""
_HEAD_READ = f"""SELECT namespace, session_id FROM sessionforge_sessions
WHERE namespace = %(ns)s AND session_id = %(sid)s AND {_LIVE}"""
_HEAD_TOUCH = f"""UPDATE sessionforge_sessions SET expires_at = {_TTL}
WHERE namespace = %(ns)s AND session_id = %(sid)s AND {_LIVE} RETURNING namespace, session_id"""


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


@contextmanager
def _translate(where: str, session_id: str | None = None) -> Iterator[None]:
    """psycopg exceptions become StorageError subclasses, chained; the only place that knows them."""
    psycopg = require("psycopg", extra="postgres")
    try:
        yield
    except psycopg.errors.TransactionRollback as exc:
        raise ConcurrencyConflictError(
            f"PostgreSQL at {where} rolled back a write that raced another ({exc}); retry it",
            session_id=session_id,
        ) from exc
    except (psycopg.OperationalError, OSError) as exc:
        raise StoreUnavailableError(
            f"PostgreSQL at {where} is unavailable ({type(exc).__name__}: {exc}). An append in "
            f"flight may or may not have landed: retry it with the same record ids once the server "
            f"is back",
            session_id=session_id,
        ) from exc
    except psycopg.Error as exc:
        raise StorageError(f"PostgreSQL at {where} failed: {exc}", session_id=session_id) from exc


class PostgresStore(BaseStore):
    """A store in PostgreSQL. Build it from a ``psycopg_pool.AsyncConnectionPool`` or a URL."""

    def __init__(
        self,
        pool: Any = None,
        *,
        url: str | None = None,
        connect_timeout: float = 10.0,
        pool_options: Mapping[str, Any] | None = None,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        if pool is None and url is None:
            raise ConfigurationError("PostgresStore needs a pool or a url (postgresql://user@host/db)")
        self.url = url
        self.connect_timeout = connect_timeout
        self._pool_options = dict(pool_options or {})
        self._owned = pool is None
        self._pool: Any = pool
        self._loop: asyncio.AbstractEventLoop | None = None
        self._migrated = False
        self._guard: asyncio.Task[None] | None = None
        self._where = _redact(url) if url else repr(pool)

    @classmethod
    def from_url(cls, url: str, **options: Any) -> Self:
        """A store owning a pool for a ``postgresql://`` or ``postgres://`` URL."""
        return cls(url=url, **options)

    # ---- plumbing ------------------------------------------------------------------------------

    async def _get_pool(self) -> Any:
        loop = asyncio.get_running_loop()
        if self._owned and (self._pool is None or self._loop is not loop):
            # A pool of a finished loop cannot be closed from this one; its connections die with it.
            pool_module = require("psycopg_pool", extra="postgres")
            options: dict[str, Any] = {"min_size": 1, "max_size": 10, **self._pool_options}
            self._pool = pool_module.AsyncConnectionPool(
                self.url,
                open=False,
                timeout=self.connect_timeout,
                kwargs={"autocommit": True, "connect_timeout": max(1, int(self.connect_timeout))},
                check=pool_module.AsyncConnectionPool.check_connection,
                **options,
            )
            self._loop = loop
            await self._pool.open(wait=False)
            self._guard = asyncio.create_task(
                self._close_with_loop(self._pool), name="sessionforge-postgres-pool-guard"
            )
        return self._pool

    async def _close_with_loop(self, pool: Any) -> None:
        """Wait until cancelled (the loop is shutting down, or ``aclose``), then close ``pool``."""
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            if self._pool is pool:
                self._pool, self._loop = None, None
            if not pool.closed:
                with contextlib.suppress(Exception):
                    await pool.close(timeout=2.0)
            raise

    @asynccontextmanager
    async def _connection(self, session_id: str | None = None) -> AsyncIterator[Any]:
        """A pooled connection in autocommit mode, with the schema in place and errors translated."""
        with _translate(self._where, session_id):
            pool = await self._get_pool()
            async with pool.connection() as conn:
                if not conn.autocommit:
                    await conn.set_autocommit(True)
                if not self._migrated:
                    await migrate(conn)
                    self._migrated = True
                yield conn

    def _params(self, session_id: str, **extra: Any) -> dict[str, Any]:
        return {"ns": self.namespace, "sid": session_id, "ttl": self.ttl_seconds, **extra}

    # ---- the contract --------------------------------------------------------------------------

    async def append(self, session_id: str, records: Sequence[Mapping[str, Any]]) -> int:
        check_session_id(session_id)
        encoded = self._encode_all(records)
        async with self._connection(session_id) as conn:
            cur = await conn.execute(
                "SELECT sessionforge_append(%s, %s, %s::float8, %s::text[], %s::text[])",
                (
                    self.namespace,
                    session_id,
                    self.ttl_seconds,
                    [record_id for record_id, _ in encoded],
                    [body for _, body in encoded],
                ),
            )
            row = await cur.fetchone()
        return int(row[0])

    async def load(self, session_id: str, after_seq: int = 0, limit: int | None = None) -> list[StoredRecord]:
        check_session_id(session_id)
        touch = self.touch_on_read and self.ttl_seconds is not None
        sql = _LOAD.replace("{head}", _HEAD_TOUCH if touch else _HEAD_READ)
        params = self._params(session_id, after=after_seq, limit=limit)
        async with self._connection(session_id) as conn:
            cur = await conn.execute(sql, params)
            rows = await cur.fetchall()
        return [
            StoredRecord(int(seq), self.codec.decode(body, session_id=session_id, seq=int(seq)))
            for seq, body in rows
        ]

    async def list_sessions(self, prefix: str = "") -> list[str]:
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        async with self._connection() as conn:
            await conn.execute(
                "DELETE FROM sessionforge_sessions WHERE namespace = %s AND expires_at <= now()",
                (self.namespace,),
            )
            cur = await conn.execute(
                f"SELECT session_id FROM sessionforge_sessions WHERE namespace = %s "
                f"AND session_id LIKE %s ESCAPE '\\' AND {_LIVE}",
                (self.namespace, escaped + "%"),
            )
            rows = await cur.fetchall()
        return sorted(str(r[0]) for r in rows if str(r[0]).startswith(prefix))

    async def delete(self, session_id: str) -> bool:
        check_session_id(session_id)
        async with self._connection(session_id) as conn:
            cur = await conn.execute(
                "DELETE FROM sessionforge_sessions WHERE namespace = %s AND session_id = %s",
                (self.namespace, session_id),
            )
            return bool(cur.rowcount > 0)

    async def release_loop(self) -> None:
        """A blocking call's loop is ending: close what this store owns; it reopens on next use."""
        await self.aclose()

    async def aclose(self) -> None:
        """Close the pool if this store created it, and only if its loop is the running one."""
        if not self._owned or self._pool is None:
            return
        pool, loop, guard = self._pool, self._loop, self._guard
        self._pool, self._loop, self._guard = None, None, None
        if loop is asyncio.get_running_loop():
            with _translate(self._where):
                await pool.close()
            if guard is not None:
                guard.cancel()
