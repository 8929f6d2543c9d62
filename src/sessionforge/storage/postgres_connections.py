"""The few PostgreSQL connections a store owns: lent one call at a time, kept across event loops.

psycopg's async connection waits on whatever loop is running, so an idle connection outlives the
loop that opened it; what cannot is a pool's maintenance tasks. This list has none: it opens a
connection when none is idle (up to ``max_size``; beyond that a call waits for one to come back),
keeps it when it comes back healthy, and closes it otherwise. The blocking faces, whose calls run in
the calling thread's loop or, inside a running loop, in a loop of their own, thus reuse one warm
connection instead of connecting every time.

A connection idle longer than ``check_idle`` seconds answers an empty query before it is lent; one
that does not (the server restarted meanwhile) is closed and the next is tried, so the first call
after a restart connects afresh rather than failing. A connection used more recently is lent as is.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import Any

from .._optional import require

__all__ = ["Connections"]


class Connections:
    """Up to ``max_size`` connections to ``url``, opened with ``options`` (psycopg's ``connect``)."""

    def __init__(self, url: str, options: dict[str, Any], *, max_size: int, wait: float, check_idle: float):
        self.url, self.options = url, options
        self.max_size, self.wait, self.check_idle = max_size, wait, check_idle
        self._idle: list[tuple[Any, float]] = []  # (connection, when it came back)
        self._open = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    async def acquire(self) -> Any:
        """A healthy connection, opened if none is idle; ``TimeoutError`` after ``wait`` seconds."""
        deadline = time.monotonic() + self.wait
        while True:
            while self._idle:
                conn, since = self._idle.pop()
                if conn.closed or conn.broken:
                    self._open -= 1
                    continue
                if time.monotonic() - since > self.check_idle and not await self._answers(conn):
                    continue
                return conn
            if self._open < self.max_size:
                psycopg = require("psycopg", extra="postgres")
                self._open += 1
                try:
                    return await psycopg.AsyncConnection.connect(self.url, **self.options)
                except BaseException:
                    self._open -= 1
                    self._wake()
                    raise
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no connection came free within {self.wait:g}s")
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await asyncio.wait_for(waiter, left)
            except TimeoutError:
                raise TimeoutError(f"no connection came free within {self.wait:g}s") from None
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)

    async def release(self, conn: Any) -> None:
        """Take ``conn`` back: kept if it is idle and sound, closed otherwise."""
        psycopg = require("psycopg", extra="postgres")
        idle = psycopg.pq.TransactionStatus.IDLE
        if not conn.closed and not conn.broken and conn.info.transaction_status == idle:
            self._idle.append((conn, time.monotonic()))
        else:
            self._open -= 1
            await conn.close()
        self._wake()

    async def discard_idle(self) -> None:
        """Close every idle connection (after an outage they are likely dead)."""
        idle, self._idle = self._idle, []
        self._open -= len(idle)
        for conn, _ in idle:
            await conn.close()
        self._wake()

    async def close(self) -> None:
        await self.discard_idle()

    async def _answers(self, conn: Any) -> bool:
        """Whether an idle ``conn`` still answers; one that does not is closed."""
        try:
            await conn.execute("")
            return True
        except BaseException as exc:
            self._open -= 1
            await conn.close()
            if not isinstance(exc, Exception):
                raise
            return False

    def _wake(self) -> None:
        """Let the longest waiter try again (on its own loop; one of an ended loop is skipped)."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if waiter.done():
                continue
            try:
                waiter.set_result(None)
            except RuntimeError:  # its loop has closed
                continue
            return
