"""SQLite: the embedded default store.

One file, WAL mode, one row per event keyed by ``(namespace, session_id, seq)``. An append is one
short ``BEGIN IMMEDIATE`` transaction that reads the session's head row, inserts the new rows and
moves the head: O(1) in the length of the session, safe across threads and processes (SQLite's write
lock serialises writers; ``busy_timeout`` makes them wait instead of failing), and durable once it
returns. Blocking calls run in a worker thread so the event loop never stalls.

One exception, for speed: a small append whose write lock is free right now, or a read of the few
records appended since a known position, runs on the event loop itself (tens of microseconds, where
the hop to a thread and back costs about a hundred). It never waits: with ``busy_timeout`` at 0 for
that attempt, a lock held by another thread or process sends it to the worker thread like any other
call. Automatic WAL checkpoints are off, so a commit on the loop never writes the database file;
every :data:`CHECKPOINT_EVERY` appends one goes through the thread and checkpoints there (and SQLite
checkpoints when the last connection to the file closes).
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from ..errors import StorageError, StoreUnavailableError
from .base import BaseStore, StoredRecord, check_session_id
from .sqlite_schema import migrate

__all__ = ["SQLiteStore"]

T = TypeVar("T")

INLINE_MAX_RECORDS = 8
"""Appends of at most this many records may run on the event loop (see the module doc)."""
INLINE_MAX_ROWS = 64
"""A catch-up read or peek runs on the event loop when it returns fewer rows than this."""
CHECKPOINT_EVERY = 256
"""Every this many appends of a store, one runs in the worker thread and checkpoints the WAL."""


@contextmanager
def _translate(path: str, session_id: str | None = None) -> Iterator[None]:
    """sqlite3 errors become StorageError subclasses, chained."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        raise StoreUnavailableError(
            f"SQLite database {path!r} is unavailable ({exc}); check the path, its permissions and "
            f"free disk space",
            session_id=session_id,
        ) from exc
    except sqlite3.DatabaseError as exc:
        raise StorageError(f"SQLite database {path!r} failed: {exc}", session_id=session_id) from exc


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


class SQLiteStore(BaseStore):
    """A store in one SQLite file (``":memory:"`` for a private in-memory database)."""

    def __init__(self, path: str | Path, **options: Any) -> None:
        super().__init__(**options)
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).expanduser().parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._appends = 0

    # ---- plumbing ------------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        if self._conn is None:
            with _translate(self.path):
                conn = sqlite3.connect(
                    str(Path(self.path).expanduser()) if self.path != ":memory:" else self.path,
                    timeout=30.0,
                    isolation_level=None,
                    check_same_thread=False,
                )
                _enable_wal(conn)
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.execute("PRAGMA wal_autocheckpoint=0")  # checkpoints run in the thread
                conn.execute("PRAGMA busy_timeout=30000")
                migrate(conn)
                self._conn = conn
        return self._conn

    async def _run(self, fn: Callable[[sqlite3.Connection], T], session_id: str | None = None) -> T:
        def call() -> T:
            with self._lock, _translate(self.path, session_id):
                return fn(self._connect())

        return await asyncio.to_thread(call)

    def _run_inline(self, fn: Callable[[sqlite3.Connection], T], session_id: str) -> T | None:
        """``fn`` on the loop's thread if that cannot wait on a lock; ``None`` if it would have to."""
        if self._conn is None or not self._lock.acquire(blocking=False):
            return None  # not connected yet (connecting may wait) or another thread is in there
        try:
            conn = self._conn
            with _translate(self.path, session_id):
                conn.execute("PRAGMA busy_timeout=0")
                try:
                    return fn(conn)
                except sqlite3.OperationalError as exc:
                    if "locked" in str(exc) or "busy" in str(exc):
                        return None  # another process is writing: wait for it in the thread
                    raise
                finally:
                    conn.execute("PRAGMA busy_timeout=30000")
        finally:
            self._lock.release()

    def _expiry(self, now: float) -> float | None:
        return None if self.ttl_seconds is None else now + self.ttl_seconds

    # ---- the contract --------------------------------------------------------------------------

    async def append(self, session_id: str, records: Sequence[Mapping[str, Any]]) -> int:
        check_session_id(session_id)
        encoded = self._encode_all(records)
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
                    self._purge(conn, session_id)
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
        if self._appends % CHECKPOINT_EVERY == 0:

            def write_and_checkpoint(conn: sqlite3.Connection) -> int:
                last = write(conn)
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                return last

            return await self._run(write_and_checkpoint, session_id)
        if len(encoded) <= INLINE_MAX_RECORDS and (last := self._run_inline(write, session_id)) is not None:
            return last
        return await self._run(write, session_id)

    async def load(self, session_id: str, after_seq: int = 0, limit: int | None = None) -> list[StoredRecord]:
        check_session_id(session_id)
        ns = self.namespace

        def read(conn: sqlite3.Connection, limit: int | None = limit) -> list[tuple[int, str]]:
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
            rows = conn.execute(
                "SELECT seq, body FROM events WHERE namespace=? AND session_id=? AND seq>? "
                "ORDER BY seq LIMIT ?",
                (ns, session_id, after_seq, -1 if limit is None else limit),
            ).fetchall()
            return [(int(seq), str(body)) for seq, body in rows]

        rows: list[tuple[int, str]] | None = None
        if after_seq > 0 or (limit is not None and limit <= INLINE_MAX_ROWS):
            # A catch-up read (what other writers appended since) or a peek: usually a few rows, so
            # it runs on the loop like a small append. If a full page comes back there may be more,
            # and the whole read goes to the thread.
            probe = INLINE_MAX_ROWS if limit is None else min(limit, INLINE_MAX_ROWS)
            rows = self._run_inline(lambda conn: read(conn, probe), session_id)
            if rows is not None and len(rows) == probe and probe != limit:
                rows = None
        if rows is None:
            rows = await self._run(read, session_id)
        return [
            StoredRecord(seq, self.codec.decode(body, session_id=session_id, seq=seq)) for seq, body in rows
        ]

    async def list_sessions(self, prefix: str = "") -> list[str]:
        ns = self.namespace
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")

        def read(conn: sqlite3.Connection) -> list[str]:
            rows = conn.execute(
                "SELECT session_id FROM sessions WHERE namespace=? AND session_id LIKE ? ESCAPE '\\' "
                "AND (expires_at IS NULL OR expires_at > ?) ORDER BY session_id",
                (ns, escaped + "%", time.time()),
            ).fetchall()
            return [str(r[0]) for r in rows if str(r[0]).startswith(prefix)]

        return await self._run(read)

    async def delete(self, session_id: str) -> bool:
        check_session_id(session_id)

        def write(conn: sqlite3.Connection) -> bool:
            conn.execute("BEGIN IMMEDIATE")
            try:
                existed = self._purge(conn, session_id)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            return existed

        return await self._run(write, session_id)

    def _purge(self, conn: sqlite3.Connection, session_id: str) -> bool:
        conn.execute("DELETE FROM events WHERE namespace=? AND session_id=?", (self.namespace, session_id))
        cur = conn.execute(
            "DELETE FROM sessions WHERE namespace=? AND session_id=?", (self.namespace, session_id)
        )
        return cur.rowcount > 0

    async def aclose(self) -> None:
        def close() -> None:
            with self._lock:
                if self._conn is not None:
                    self._conn.close()
                    self._conn = None

        await asyncio.to_thread(close)
