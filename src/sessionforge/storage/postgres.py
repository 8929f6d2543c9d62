"""PostgreSQL: the store for a fleet that wants SQL, backups and transactions it already trusts.

Tables mirror the SQLite backend: a head row per session (last seq, expiry) and one row per event,
unique by ``(namespace, session_id, seq)`` and by ``(namespace, session_id, record_id)``. An append
is one call of the ``sessionforge_append`` function (one statement, so one transaction and one round
trip): it upserts and so row-locks the head, inserts the new events after its ``last_seq`` and moves
it. Concurrent writers queue on that lock and get contiguous seqs; a record id seen before is
skipped by the unique index. Expiry uses the server's clock, so a fleet with drifting clocks still
agrees on what is live.

A store built from a URL (:meth:`PostgresStore.from_url`) owns a few connections
(:mod:`.postgres_connections`): lent one call at a time and, having no background tasks, kept
across event loops, so the blocking faces (each thread's loop, or a loop per call) reuse a warm connection. A
``psycopg_pool`` pool passed in is used as given and never closed. The schema is created and
upgraded on first use (:mod:`.postgres_schema`). All SQL is parameterized.

No call waits forever: each has ``command_timeout`` seconds, enforced by the server
(``statement_timeout``) and by the client (a server that hangs without answering), and a pool
waits ``connect_timeout`` seconds for a connection; either way the caller gets a
:class:`~sessionforge.errors.StoreUnavailableError`. After such an outage the idle connections are
closed, so the first call once the server is back connects at once. Expired sessions are deleted by an append
about once a minute and by :meth:`PostgresStore.purge_expired`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Self, TypeVar
from urllib.parse import urlsplit, urlunsplit

from .._optional import require
from ..errors import ConcurrencyConflictError, ConfigurationError, StorageError, StoreUnavailableError
from .base import (
    UNKNOWN_OUTCOME,
    HeadIndexedStore,
    IdRange,
    SessionHead,
    StoredRecord,
    check_session_id,
    check_window,
)
from .postgres_connections import Connections
from .postgres_schema import migrate

__all__ = ["PostgresStore"]

# Byte order (COLLATE "C"), as Python sorts ids, whatever the database's collation.
_IDS = IdRange('session_id COLLATE "C"', "%s", lambda prefix: ("starts_with(session_id, %s)", prefix))

logger = logging.getLogger("sessionforge.storage.postgres")

T = TypeVar("T")

CHECK_IDLE = 1.0
"""A connection idle longer than this (seconds) answers an empty query before it is lent; one used
more recently answered then, and a call on it that fails is reported like any outage."""

PURGE_BATCH = 500
"""Expired sessions deleted per statement (an append's purge deletes at most this many)."""

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
# The outer test runs again on a row a concurrent append has just renewed, which is then kept.
_PURGE = """DELETE FROM sessionforge_sessions WHERE (namespace, session_id) IN (
    SELECT namespace, session_id FROM sessionforge_sessions WHERE expires_at <= now() LIMIT %s
) AND expires_at <= now()"""


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def _check_url(url: str) -> str:
    """The URL as libpq reads it (scheme in lower case), or a ConfigurationError saying what is
    wrong with it."""
    psycopg = require("psycopg", extra="postgres")
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in {"postgresql", "postgres"}:
        raise ConfigurationError(f"not a PostgreSQL URL: {_redact(url)!r}: use postgresql://user@host/db")
    url = f"{scheme.lower()}://{rest}"
    try:
        urlsplit(url).port  # noqa: B018  (raises on a port that is not a number in range)
        psycopg.conninfo.conninfo_to_dict(url)
    except (ValueError, psycopg.Error) as exc:
        raise ConfigurationError(f"invalid PostgreSQL URL {_redact(url)!r}: {exc}") from exc
    return url


def _outage(exc: BaseException) -> bool:
    """Whether ``exc`` means the server cannot be used now (as opposed to a refused statement)."""
    psycopg = require("psycopg", extra="postgres")
    if isinstance(exc, psycopg.errors.TransactionRollback):
        return False
    return isinstance(exc, psycopg.OperationalError | OSError | TimeoutError)


@contextmanager
def _translate(where: str, session_id: str | None = None, *, writing: bool = False) -> Iterator[None]:
    """psycopg exceptions become StorageError subclasses, chained; the only place that knows them.
    ``writing``: the call appends, and a lost connection leaves its outcome unknown (said so)."""
    psycopg = require("psycopg", extra="postgres")
    try:
        yield
    except psycopg.errors.TransactionRollback as exc:
        raise ConcurrencyConflictError(
            f"PostgreSQL at {where} rolled back a write that raced another ({exc}); retry it",
            session_id=session_id,
        ) from exc
    except (psycopg.OperationalError, OSError, TimeoutError) as exc:
        reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        raise StoreUnavailableError(
            f"PostgreSQL at {where} is unavailable ({reason}){UNKNOWN_OUTCOME if writing else ''}",
            session_id=session_id,
        ) from exc
    except psycopg.Error as exc:
        raise StorageError(f"PostgreSQL at {where} failed: {exc}", session_id=session_id) from exc


class PostgresStore(HeadIndexedStore):
    """A store in PostgreSQL. Build it from a ``psycopg_pool.AsyncConnectionPool`` or a URL.

    ``connect_timeout`` bounds the wait for a connection, ``command_timeout`` each call (seconds).
    ``pool_options={"max_size": n}`` caps the connections a store built from a URL opens (10).
    """

    def __init__(
        self,
        pool: Any = None,
        *,
        url: str | None = None,
        connect_timeout: float = 10.0,
        command_timeout: float = 15.0,
        pool_options: Mapping[str, Any] | None = None,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        if pool is None and url is None:
            raise ConfigurationError("PostgresStore needs a pool or a url (postgresql://user@host/db)")
        if url is not None:
            url = _check_url(url)
        for name, value in (("connect_timeout", connect_timeout), ("command_timeout", command_timeout)):
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 86400:
                raise ConfigurationError(f"{name} must be a positive number of seconds, got {value!r}")
        self.url = url
        self.connect_timeout = connect_timeout
        self.command_timeout = command_timeout
        self._pool_options = dict(pool_options or {})
        max_size = self._pool_options.get("max_size", 10)
        if isinstance(max_size, bool) or not isinstance(max_size, int) or max_size < 1:
            raise ConfigurationError(f"pool_options max_size must be a whole number >= 1, got {max_size!r}")
        self._pool: Any = pool
        self._owned_connections: Connections | None = None
        self._migrated = False
        self._abandoned: set[asyncio.Task[Any]] = set()
        self._where = _redact(url) if url else repr(pool)

    @classmethod
    def from_url(cls, url: str, **options: Any) -> Self:
        """A store owning its connections for a ``postgresql://`` or ``postgres://`` URL."""
        return cls(url=url, **options)

    # ---- plumbing ------------------------------------------------------------------------------

    def _connections(self) -> Connections:
        if self._owned_connections is None:
            assert self.url is not None
            self._owned_connections = Connections(
                self.url,
                {
                    "autocommit": True,
                    "connect_timeout": max(1, int(self.connect_timeout)),
                    "options": f"-c statement_timeout={int(self.command_timeout * 1000)}",
                },
                max_size=self._pool_options.get("max_size", 10),
                wait=self.connect_timeout,
                check_idle=CHECK_IDLE,
            )
        return self._owned_connections

    async def _run(
        self, work: Callable[[Any], Awaitable[T]], session_id: str | None = None, *, writing: bool = False
    ) -> T:
        """``work(conn)`` on a connection of this store (or of the pool passed in) in autocommit
        mode, with the schema in place, within ``command_timeout`` and with errors translated."""

        async def on(conn: Any) -> T:
            if not conn.autocommit:
                await conn.set_autocommit(True)
            if not self._migrated:
                await migrate(conn)
                self._migrated = True
            return await work(conn)

        async def on_connection() -> T:
            if self._pool is not None:
                async with self._pool.connection() as conn:
                    return await on(conn)
            connections = self._connections()
            conn = await connections.acquire()
            try:
                return await on(conn)
            finally:
                await connections.release(conn)

        with _translate(self._where, session_id, writing=writing):
            task = asyncio.ensure_future(on_connection())
            try:
                # Shielded: on a timeout psycopg cancels the query, or drops a connection that does
                # not answer, which may take seconds more; the caller does not wait for that.
                return await asyncio.wait_for(asyncio.shield(task), self.command_timeout + 1.0)
            except BaseException as exc:
                if not task.done():
                    task.cancel()
                    self._abandoned.add(task)
                    task.add_done_callback(self._forget)
                if isinstance(exc, TimeoutError) or _outage(exc):
                    if self._owned_connections is not None:
                        await self._owned_connections.discard_idle()
                    if isinstance(exc, TimeoutError):
                        raise TimeoutError(f"no answer within {self.command_timeout:g}s") from None
                raise

    def _forget(self, task: asyncio.Task[Any]) -> None:
        self._abandoned.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved: it failed after its caller had been answered

    def _params(self, session_id: str, **extra: Any) -> dict[str, Any]:
        return {"ns": self.namespace, "sid": session_id, "ttl": self.ttl_seconds, **extra}

    # ---- the contract --------------------------------------------------------------------------

    async def append(self, session_id: str, records: Sequence[Mapping[str, Any]]) -> int:
        check_session_id(session_id)
        encoded = self._encode_all(session_id, records)
        purge = self._purge_due(time.time())
        psycopg = require("psycopg", extra="postgres")

        async def write(conn: Any) -> int:
            # The arrays go in binary (%b): as text, psycopg escapes every quote of every JSON body
            # with a regular expression, which cost more than the rest of the client's work.
            cur = await conn.execute(
                "SELECT sessionforge_append(%s, %s, %s::float8, %b::text[], %b::text[])",
                (
                    self.namespace,
                    session_id,
                    self.ttl_seconds,
                    [record_id for record_id, _ in encoded],
                    [body for _, body in encoded],
                ),
            )
            row = await cur.fetchone()
            if purge:
                try:
                    await conn.execute(_PURGE, (PURGE_BATCH,))
                except psycopg.Error as exc:  # the append has landed: report that, purge later
                    logger.warning("PostgreSQL at %s: purging expired sessions failed: %s", self._where, exc)
            return int(row[0])

        return await self._run(write, session_id, writing=True)

    async def load(self, session_id: str, after_seq: int = 0, limit: int | None = None) -> list[StoredRecord]:
        check_session_id(session_id)
        check_window(after_seq, limit)
        touch = self.touch_on_read and self.ttl_seconds is not None
        sql = _LOAD.replace("{head}", _HEAD_TOUCH if touch else _HEAD_READ)
        params = self._params(session_id, after=after_seq, limit=limit)

        async def read(conn: Any) -> list[tuple[int, str]]:
            cur = await conn.execute(sql, params)
            return [(int(seq), body) for seq, body in await cur.fetchall()]

        return self._decode_all(session_id, await self._run(read, session_id))

    async def _heads(self, prefix: str, limit: int | None, after: str | None) -> list[SessionHead]:
        # A range of the sessionforge_sessions_listing index, so a page reads only its own rows.
        where, params = _IDS.where(self.namespace, prefix, after)
        sql = (
            "SELECT session_id, last_seq, extract(epoch FROM updated_at)::float8 "
            f"FROM sessionforge_sessions WHERE {where} AND {_LIVE} "
            f'ORDER BY session_id COLLATE "C" LIMIT %s'
        )

        async def read(conn: Any) -> list[SessionHead]:
            await conn.execute(
                "DELETE FROM sessionforge_sessions WHERE namespace = %s AND expires_at <= now()",
                (self.namespace,),
            )
            cur = await conn.execute(sql, (*params, limit))
            return [SessionHead(str(r[0]), int(r[1]), float(r[2])) for r in await cur.fetchall()]

        return [h for h in await self._run(read) if h.session_id.startswith(prefix)]

    async def delete(self, session_id: str) -> bool:
        check_session_id(session_id)

        async def remove(conn: Any) -> bool:
            cur = await conn.execute(
                "DELETE FROM sessionforge_sessions WHERE namespace = %s AND session_id = %s",
                (self.namespace, session_id),
            )
            return bool(cur.rowcount > 0)

        return await self._run(remove, session_id)

    async def purge_expired(self) -> int:
        async def purge(conn: Any) -> int:
            removed = 0
            while True:
                cur = await conn.execute(_PURGE, (PURGE_BATCH,))
                count = int(cur.rowcount)
                removed += count
                if count < PURGE_BATCH:
                    return removed

        return await self._run(purge)

    async def aclose(self) -> None:
        """Close the connections this store opened; a pool passed in is left open."""
        connections, self._owned_connections = self._owned_connections, None
        if connections is not None:
            with _translate(self._where):
                await connections.close()
