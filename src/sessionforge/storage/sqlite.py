"""SQLite: the embedded default store.

One file, WAL mode, one row per event keyed by ``(namespace, session_id, seq)``. An append is one
short ``BEGIN IMMEDIATE`` transaction that reads the session's head row, inserts the new rows and
moves the head: O(1) in the length of the session, safe across threads and processes (SQLite's write
lock serialises writers; ``busy_timeout`` makes them wait instead of failing), and durable once it
returns. Blocking calls run in a worker thread so the event loop never stalls.

One exception, for speed: a small append whose write lock is free right now, or a read of the few
records appended since a known position, runs on the event loop itself (tens of microseconds, where
the hop to a thread and back costs about a hundred). It never waits: it runs on a connection of its
own whose ``busy_timeout`` is 0, so a lock held by another process sends it to the worker thread
like any other call. Automatic WAL checkpoints are off, so a commit on the loop never writes the database file;
every :data:`CHECKPOINT_EVERY` appends one goes through the thread and checkpoints there (and SQLite
checkpoints when the last connection to the file closes).
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from ..errors import ConfigurationError, CorruptRecordError, StorageError, StoreUnavailableError
from .base import (
    HeadIndexedStore,
    IdRange,
    SessionHead,
    StoredRecord,
    check_session_id,
    check_window,
)
from .sqlite_schema import migrate

__all__ = ["SQLiteStore"]

# The primary key (namespace, session_id) ranged over; SQLite's TEXT order is byte order, as Python's.
_IDS = IdRange("session_id", "?", lambda prefix: ("substr(session_id, 1, ?) = ?", len(prefix), prefix))

T = TypeVar("T")

INLINE_MAX_RECORDS = 8
"""Appends of at most this many records may run on the event loop (see the module doc)."""
INLINE_MAX_ROWS = 64
"""A load (a short session, a catch-up read, a peek) runs on the event loop when it returns fewer rows than this."""
CHECKPOINT_EVERY = 256
"""Every this many appends of a store, one runs in the worker thread and checkpoints the WAL."""
PURGE_BATCH = 500
"""Expired sessions removed per purge transaction (an append's purge removes at most this many)."""

logger = logging.getLogger("sessionforge.storage.sqlite")


@contextmanager
def _translate(path: str, session_id: str | None = None) -> Iterator[None]:
    """sqlite3 errors become StorageError subclasses, chained."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        if "decode" in str(exc).lower() and session_id is not None:
            raise CorruptRecordError(
                f"session {session_id!r} in SQLite database {path!r} holds text that is not valid "
                f"UTF-8 ({exc}): it is corrupt; restore it from a backup or delete the session",
                session_id=session_id,
            ) from exc
        raise StoreUnavailableError(
            f"SQLite database {path!r} is unavailable ({exc}); check the path, its permissions and "
            f"free disk space",
            session_id=session_id,
        ) from exc
    except sqlite3.DatabaseError as exc:
        hint = (
            ": the file is not an SQLite database, or it is damaged"
            if "not a database" in str(exc) or "malformed" in str(exc)
            else ""
        )
        raise StorageError(f"SQLite database {path!r} failed ({exc}){hint}", session_id=session_id) from exc


def _enable_wal(conn: sqlite3.Connection, within: float = 30.0) -> None:
    """Switch to WAL, waiting out other connections doing the same on a fresh file.

    Changing the journal mode answers "database is locked" at once, without the busy handler,
    while another connection holds a lock; two stores opening a new file together hit that.
    """
    deadline = time.monotonic() + within
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


class SQLiteStore(HeadIndexedStore):
    """A store in one SQLite file (``":memory:"`` for a private in-memory database)."""

    def __init__(self, path: str | Path, **options: Any) -> None:
        super().__init__(**options)
        self.path = str(path)
        if self.path != ":memory:":
            where = Path(self.path).expanduser()
            # A trailing slash names a folder too, even one that does not exist yet: SQLite would
            # otherwise create a file under the folder's name.
            if not self.path.strip() or where.is_dir() or self.path.endswith(("/", os.sep)):
                raise ConfigurationError(
                    f"SQLite path {self.path!r} is a folder: name a file, such as sessions.db"
                )
            try:
                where.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ConfigurationError(
                    f"cannot create the folder of SQLite database {self.path!r}: {exc.strerror or exc}"
                ) from exc
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._loop_conn: sqlite3.Connection | None = None
        self._appends = 0

    # ---- plumbing ------------------------------------------------------------------------------

    def _open(self, busy_ms: int) -> sqlite3.Connection:
        conn = sqlite3.connect(
            str(Path(self.path).expanduser()) if self.path != ":memory:" else self.path,
            timeout=busy_ms / 1000,
            isolation_level=None,
            check_same_thread=False,
            cached_statements=64,
        )
        _enable_wal(conn)
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA wal_autocheckpoint=0")  # checkpoints run in the thread
        conn.execute(f"PRAGMA busy_timeout={busy_ms}")
        return conn

    def _connect(self) -> sqlite3.Connection:
        if self._conn is None:
            with _translate(self.path):
                conn = self._open(30000)
                try:
                    migrate(conn)
                    # The loop's own connection never waits on a lock (busy_timeout 0). A private
                    # in-memory database is one connection: nothing else can hold its lock.
                    self._loop_conn = conn if self.path == ":memory:" else self._open(0)
                except BaseException:
                    conn.close()
                    raise
                self._conn = conn
        return self._conn

    async def _run(self, fn: Callable[[sqlite3.Connection], T], session_id: str | None = None) -> T:
        def call() -> T:
            with self._lock, _translate(self.path, session_id):
                return fn(self._connect())

        return await asyncio.to_thread(call)

    def _run_inline(self, fn: Callable[[sqlite3.Connection], T], session_id: str) -> T | None:
        """``fn`` on the loop's thread if that cannot wait on a lock; ``None`` if it would have to."""
        conn = self._loop_conn
        if conn is None or not self._lock.acquire(blocking=False):
            return None  # not connected yet (connecting may wait) or another thread is in there
        try:
            with _translate(self.path, session_id):
                try:
                    return fn(conn)
                except sqlite3.OperationalError as exc:
                    if "locked" in str(exc) or "busy" in str(exc):
                        return None  # another process is writing: wait for it in the thread
                    raise
        finally:
            self._lock.release()

    def _expiry(self, now: float) -> float | None:
        return None if self.ttl_seconds is None else now + self.ttl_seconds

    # ---- the contract --------------------------------------------------------------------------

    async def append(self, session_id: str, records: Sequence[Mapping[str, Any]]) -> int:
        check_session_id(session_id)
        encoded = self._encode_all(session_id, records)
        ns = self.namespace

        def write(conn: sqlite3.Connection) -> int:
            now = time.time()
            conn.execute("BEGIN IMMEDIATE")
            try:
                head = conn.execute(
                    "SELECT last_seq, expires_at FROM sessions WHERE namespace=? AND session_id=?",
                    (ns, session_id),
                ).fetchone()
                if head is not None and head[1] is not None and head[1] <= now:
                    self._remove(conn, session_id)
                    head = None
                if head is None:
                    conn.execute(
                        "INSERT INTO sessions (namespace, session_id, last_seq, created_at, updated_at, "
                        "expires_at) VALUES (?, ?, 0, ?, ?, ?)",
                        (ns, session_id, now, now, self._expiry(now)),
                    )
                    last = 0
                else:
                    last = int(head[0])
                for record_id, body in encoded:
                    cur = conn.execute(
                        "INSERT INTO events (namespace, session_id, seq, record_id, body) "
                        "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                        (ns, session_id, last + 1, record_id, body),
                    )
                    last += cur.rowcount
                conn.execute(
                    "UPDATE sessions SET last_seq=?, updated_at=?, expires_at=? "
                    "WHERE namespace=? AND session_id=?",
                    (last, now, self._expiry(now), ns, session_id),
                )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            return last

        self._appends += 1
        checkpoint = self._appends % CHECKPOINT_EVERY == 0
        purge = self._purge_due(time.time())
        if checkpoint or purge:

            def write_in_thread(conn: sqlite3.Connection) -> int:
                last = write(conn)
                if purge:
                    try:
                        self._purge_batch(conn)
                    except sqlite3.Error as exc:  # the append has landed: report that, purge later
                        logger.warning(
                            "SQLite database %r: purging expired sessions failed: %s", self.path, exc
                        )
                if checkpoint:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                return last

            return await self._run(write_in_thread, session_id)
        if len(encoded) <= INLINE_MAX_RECORDS and (last := self._run_inline(write, session_id)) is not None:
            return last
        return await self._run(write, session_id)

    async def load(self, session_id: str, after_seq: int = 0, limit: int | None = None) -> list[StoredRecord]:
        check_session_id(session_id)
        check_window(after_seq, limit)
        ns = self.namespace

        def read(conn: sqlite3.Connection, limit: int | None = limit) -> list[tuple[int, bytes]]:
            now = time.time()
            head = conn.execute(
                "SELECT expires_at FROM sessions WHERE namespace=? AND session_id=?", (ns, session_id)
            ).fetchone()
            if head is None or (head[0] is not None and head[0] <= now):
                return []
            if self.touch_on_read and self.ttl_seconds is not None:
                conn.execute(
                    "UPDATE sessions SET expires_at=? WHERE namespace=? AND session_id=?",
                    (self._expiry(now), ns, session_id),
                )
            # Bytes, decoded by the codec: a damaged byte is then a corrupt record of this session,
            # not a driver error that names no record.
            rows = conn.execute(
                "SELECT seq, CAST(body AS BLOB) FROM events WHERE namespace=? AND session_id=? AND seq>? "
                "ORDER BY seq LIMIT ?",
                (ns, session_id, after_seq, -1 if limit is None else limit),
            ).fetchall()
            return [(int(seq), bytes(body)) for seq, body in rows]

        # A short session, a catch-up read (what other writers appended since) or a peek is a few
        # rows: it runs on the loop like a small append, sparing the hop to the thread, which costs
        # more than the read. If a full page comes back there may be more, and the whole read goes
        # to the thread.
        probe = INLINE_MAX_ROWS if limit is None else min(limit, INLINE_MAX_ROWS)
        rows = self._run_inline(lambda conn: read(conn, probe), session_id)
        if rows is not None and len(rows) == probe and probe != limit:
            rows = None
        if rows is None:
            rows = await self._run(read, session_id)
        return self._decode_all(session_id, rows)

    async def _heads(self, prefix: str, limit: int | None, after: str | None) -> list[SessionHead]:
        # A range of the primary key (namespace, session_id): a page reads only its own rows.
        where, params = _IDS.where(self.namespace, prefix, after)
        sql = (
            f"SELECT CAST(session_id AS BLOB), last_seq, updated_at FROM sessions WHERE {where} "
            "AND (expires_at IS NULL OR expires_at > ?) ORDER BY session_id LIMIT ?"
        )

        def read(conn: sqlite3.Connection) -> list[SessionHead]:
            rows = conn.execute(sql, (*params, time.time(), -1 if limit is None else limit)).fetchall()
            heads: list[SessionHead] = []
            for raw, last_seq, updated_at in rows:
                try:
                    session_id = bytes(raw).decode("utf-8")
                except UnicodeDecodeError:
                    # No call could address it anyway; one damaged id must not hide the others.
                    logger.warning(
                        "SQLite database %r: skipping a session whose id is not valid UTF-8: %r",
                        self.path,
                        raw,
                    )
                    continue
                if session_id.startswith(prefix):
                    heads.append(SessionHead(session_id, int(last_seq), float(updated_at)))
            return heads

        return await self._run(read)

    async def delete(self, session_id: str) -> bool:
        check_session_id(session_id)

        def write(conn: sqlite3.Connection) -> bool:
            conn.execute("BEGIN IMMEDIATE")
            try:
                existed = self._remove(conn, session_id)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            return existed

        return await self._run(write, session_id)

    async def purge_expired(self) -> int:
        def purge(conn: sqlite3.Connection) -> int:
            removed = 0
            while count := self._purge_batch(conn):
                removed += count
            return removed

        return await self._run(purge)

    def _purge_batch(self, conn: sqlite3.Connection) -> int:
        """Remove up to PURGE_BATCH expired sessions of any namespace, in one transaction."""
        batch = (
            "SELECT namespace, session_id FROM sessions WHERE expires_at <= ? "
            "ORDER BY expires_at, namespace, session_id LIMIT ?"
        )
        params = (time.time(), PURGE_BATCH)
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(f"DELETE FROM events WHERE (namespace, session_id) IN ({batch})", params)
            removed = conn.execute(
                f"DELETE FROM sessions WHERE (namespace, session_id) IN ({batch})", params
            ).rowcount
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return int(removed)

    def _remove(self, conn: sqlite3.Connection, session_id: str) -> bool:
        conn.execute("DELETE FROM events WHERE namespace=? AND session_id=?", (self.namespace, session_id))
        cur = conn.execute(
            "DELETE FROM sessions WHERE namespace=? AND session_id=?", (self.namespace, session_id)
        )
        return cur.rowcount > 0

    async def aclose(self) -> None:
        def close() -> None:
            with self._lock:
                if self._loop_conn is not None and self._loop_conn is not self._conn:
                    self._loop_conn.close()
                if self._conn is not None:
                    self._conn.close()
                self._conn = self._loop_conn = None

        await asyncio.to_thread(close)
