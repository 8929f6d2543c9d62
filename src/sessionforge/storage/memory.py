"""An in-process store: for tests, scripts and caches. Same contract as every other backend."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .base import BaseStore, SessionHead, StoredRecord, check_prefix, check_session_id, check_window

__all__ = ["MemoryStore"]


@dataclass
class _Log:
    # A record's stored text, kept as its writer's UTF-8 bytes when the codec had them (a turn's
    # records: no decoding to ``str`` on the way in, and the codec's fast path on the way out).
    rows: list[str | bytes] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    expires_at: float | None = None
    updated_at: float = 0.0


class MemoryStore(BaseStore):
    """Keeps records in a dict. Stores built on one shared ``data`` dict see each other's sessions.

    No method awaits between reading and changing the dict, so each runs as one step of the event
    loop: no lock is needed (and one per store would not cover stores sharing ``data`` anyway).
    """

    def __init__(self, *, data: dict[str, dict[str, _Log]] | None = None, **options: Any) -> None:
        super().__init__(**options)
        self._data = data if data is not None else {}

    def _logs(self) -> dict[str, _Log]:
        logs = self._data.get(self.namespace)
        return logs if logs is not None else self._data.setdefault(self.namespace, {})

    def _live(self, session_id: str) -> _Log | None:
        log = self._logs().get(session_id)
        if log is not None and log.expires_at is not None and log.expires_at <= time.time():
            del self._logs()[session_id]
            return None
        return log

    def _touch(self, log: _Log) -> None:
        if self.ttl_seconds is not None:
            log.expires_at = time.time() + self.ttl_seconds

    async def append(self, session_id: str, records: Sequence[Mapping[str, Any]]) -> int:
        check_session_id(session_id)
        encoded = self._encode_with(session_id, records, self.codec.known_bytes)
        log = self._live(session_id)
        if log is None:
            log = self._logs().setdefault(session_id, _Log())
        now = time.time()
        rows, ids = log.rows, log.ids
        for record_id, text in encoded:
            if record_id is not None:
                if record_id in ids:
                    continue
                ids.add(record_id)
            rows.append(text)
        log.updated_at = now
        if self.ttl_seconds is not None:
            log.expires_at = now + self.ttl_seconds
        if self._purge_due(now):
            self._purge(now)
        return len(rows)

    async def load(self, session_id: str, after_seq: int = 0, limit: int | None = None) -> list[StoredRecord]:
        check_session_id(session_id)
        check_window(after_seq, limit)
        log = self._live(session_id)
        if log is None:
            return []
        if self.touch_on_read:
            self._touch(log)
        end = len(log.rows) if limit is None else min(len(log.rows), after_seq + limit)
        rows = log.rows[after_seq:end]
        return self._decode_all(session_id, enumerate(rows, start=after_seq + 1))

    async def _list_page(self, prefix: str, limit: int | None, after: str | None) -> list[str]:
        ids = sorted(
            s
            for s in list(self._logs())
            if s.startswith(prefix) and (after is None or s > after) and self._live(s)
        )
        return ids if limit is None else ids[:limit]

    async def heads(self, prefix: str = "") -> list[SessionHead]:
        """See :func:`~sessionforge.storage.base.session_heads`."""
        check_prefix(prefix)
        return [
            SessionHead(s, len(log.rows), log.updated_at)
            for s in sorted(self._logs())
            if s.startswith(prefix) and (log := self._live(s)) is not None
        ]

    async def delete(self, session_id: str) -> bool:
        check_session_id(session_id)
        return self._logs().pop(session_id, None) is not None

    async def purge_expired(self) -> int:
        return self._purge(time.time())

    def _purge(self, now: float) -> int:
        """Drop expired logs of every namespace sharing this data."""
        removed = 0
        for logs in self._data.values():
            for session_id, log in list(logs.items()):
                if log.expires_at is not None and log.expires_at <= now:
                    del logs[session_id]
                    removed += 1
        return removed
