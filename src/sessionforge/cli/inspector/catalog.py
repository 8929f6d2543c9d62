"""What the inspector knows about a store: a digest per session, kept fresh, and a search index.

Each session is loaded once and then kept up to date with :meth:`Session.refresh`, which reads only
the records appended since, so polling a running chat costs one small read per session. Digests come
from :mod:`sessionforge.cli._digest`, the module ``sessions show`` uses, so the browser and the
terminal never disagree. A session that cannot be read is listed with the reason, not dropped.

Search: an SQLite FTS5 index (in memory, owned by the inspector; the store is never written) holds
the text of every entry and is updated when a session's digest changes. Where the ``sqlite3`` module
lacks FTS5, a case-insensitive scan of the cached entries answers instead.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ...errors import SessionNotFound, StorageError, UsageError
from ...storage.base import Store
from ...storage.forks import branches_in
from ...storage.session import Session
from .._digest import broken_row, digest, row_of

__all__ = ["Catalog", "Filters", "SearchIndex"]

MAX_HITS = 50
MARK_OPEN, MARK_CLOSE = "\x02", "\x03"  # around matched words in snippets; the page renders them


@dataclass
class _Cached:
    session: Session
    digest: dict[str, Any]
    last_seq: int  # of the session's own log: a poll reads only what comes after
    branches: list[str]
    positions: dict[str, int] = field(default_factory=dict)  # entry id -> index


@dataclass(frozen=True)
class Filters:
    """What ``/api/sessions`` narrows the list to (all optional)."""

    model: str | None = None
    namespace: str | None = None
    since: str | None = None  # ISO date, inclusive, on the last update
    until: str | None = None
    min_cost: float | None = None
    max_cost: float | None = None

    def keep(self, row: dict[str, Any]) -> bool:
        if self.namespace and row["namespace"] != self.namespace:
            return False
        if self.model and self.model not in row["models"]:
            return False
        day = (row["updated_at"] or "")[:10]
        if self.since and (not day or day < self.since):
            return False
        if self.until and (not day or day > self.until):
            return False
        cost = row["cost_usd"] or 0.0
        if self.min_cost is not None and cost < self.min_cost:
            return False
        return not (self.max_cost is not None and cost > self.max_cost)


def _fts_query(text: str) -> str:
    """User words as FTS5 phrases (no operator syntax reaches FTS5); the last one as a prefix."""
    words = re.findall(r"\w+", text, flags=re.UNICODE)
    if not words:
        return ""
    quoted = ['"' + w.replace('"', '""') + '"' for w in words]
    quoted[-1] += "*"
    return " ".join(quoted)


def _fts5_available() -> bool:
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute("CREATE VIRTUAL TABLE probe USING fts5(x)")
    except sqlite3.OperationalError:
        return False
    finally:
        conn.close()
    return True


class SearchIndex:
    """Full-text search over entries: FTS5 when available (``use_fts``), else a scan."""

    def __init__(self, use_fts: bool | None = None) -> None:
        self.use_fts = _fts5_available() if use_fts is None else use_fts
        self._texts: dict[tuple[str, str], list[tuple[str, str, str, str]]] = {}
        self._conn: sqlite3.Connection | None = None
        if self.use_fts:
            self._conn = sqlite3.connect(":memory:", check_same_thread=False)
            self._conn.execute(
                "CREATE VIRTUAL TABLE entries USING fts5("
                "ns UNINDEXED, sid UNINDEXED, eid UNINDEXED, role UNINDEXED, ts UNINDEXED, text, "
                "tokenize='unicode61 remove_diacritics 2')"
            )

    @property
    def method(self) -> str:
        return "fts5" if self.use_fts else "scan"

    def put(self, namespace: str, session_id: str, entries: Iterable[dict[str, Any]]) -> None:
        rows = [(e["id"], e["role"], e["timestamp"], e.get("text") or "") for e in entries if e.get("text")]
        self.drop(namespace, session_id)
        if self._conn is not None:
            self._conn.executemany(
                "INSERT INTO entries (ns, sid, eid, role, ts, text) VALUES (?, ?, ?, ?, ?, ?)",
                [(namespace, session_id, *row) for row in rows],
            )
        else:
            self._texts[(namespace, session_id)] = rows

    def drop(self, namespace: str, session_id: str) -> None:
        if self._conn is not None:
            self._conn.execute("DELETE FROM entries WHERE ns=? AND sid=?", (namespace, session_id))
        self._texts.pop((namespace, session_id), None)

    def search(self, text: str, namespace: str | None = None) -> list[dict[str, Any]]:
        if self._conn is not None:
            query = _fts_query(text)
            if not query:
                return []
            sql = (
                "SELECT ns, sid, eid, role, ts, snippet(entries, 5, ?, ?, '…', 16) FROM entries "
                "WHERE entries MATCH ?" + (" AND ns = ?" if namespace else "") + " ORDER BY rank LIMIT ?"
            )
            params: list[Any] = [MARK_OPEN, MARK_CLOSE, query]
            if namespace:
                params.append(namespace)
            rows = self._conn.execute(sql, [*params, MAX_HITS]).fetchall()
            return [_hit(*row) for row in rows]
        return self._scan(text, namespace)

    def _scan(self, text: str, namespace: str | None) -> list[dict[str, Any]]:
        needle = text.casefold().strip()
        if not needle:
            return []
        hits: list[dict[str, Any]] = []
        for (ns, sid), rows in self._texts.items():
            if namespace and ns != namespace:
                continue
            for eid, role, ts, body in rows:
                at = body.casefold().find(needle)
                if at >= 0:
                    start = max(0, at - 60)
                    snippet = (
                        ("…" if start else "")
                        + body[start:at]
                        + MARK_OPEN
                        + body[at : at + len(needle)]
                        + MARK_CLOSE
                        + body[at + len(needle) : at + len(needle) + 60]
                    )
                    hits.append(_hit(ns, sid, eid, role, ts, snippet))
                    if len(hits) >= MAX_HITS:
                        return hits
        return hits


def _hit(ns: str, sid: str, eid: str, role: str, ts: str, snippet: str) -> dict[str, Any]:
    return {
        "namespace": ns,
        "session_id": sid,
        "entry_id": eid,
        "role": role,
        "timestamp": ts,
        "snippet": snippet,
    }


class Catalog:
    """The sessions of one store across its namespaces, digested and indexed, refreshed on demand.

    ``open_store(namespace)`` opens the store bound to a namespace; ``namespaces`` lists the ones to
    show. One lock serializes refreshes: several browser tabs polling do not load a session twice.
    """

    def __init__(
        self,
        open_store: Callable[[str], Store],
        namespaces: Callable[[], Any],
        default_namespace: str,
        index: SearchIndex | None = None,
    ) -> None:
        self._open = open_store
        self._namespaces = namespaces
        self.default_namespace = default_namespace
        self.index = index or SearchIndex()
        self._stores: dict[str, Store] = {}
        self._cache: dict[tuple[str, str], _Cached] = {}
        self._broken: dict[tuple[str, str], dict[str, Any]] = {}
        self._lock = asyncio.Lock()

    def store(self, namespace: str) -> Store:
        if namespace not in self._stores:
            self._stores[namespace] = self._open(namespace)
        return self._stores[namespace]

    async def aclose(self) -> None:
        for store in self._stores.values():
            await store.aclose()
        self._stores.clear()

    async def namespaces(self) -> list[str]:
        return list(await self._namespaces())

    async def rows(self, filters: Filters | None = None) -> list[dict[str, Any]]:
        """Every session's summary row (fresh), newest first, unreadable ones last."""
        async with self._lock:
            rows: list[dict[str, Any]] = []
            for namespace in await self.namespaces():
                store = self.store(namespace)
                ids = await store.list_sessions()
                self._forget(namespace, set(ids))
                for session_id in ids:
                    rows.append(await self._row(namespace, session_id))
        rows = [r for r in rows if r is not None]
        if filters is not None:
            rows = [r for r in rows if filters.keep(r)]
        rows.sort(key=lambda r: (r["error"] is None, r["updated_at"] or ""), reverse=True)
        return rows

    def _forget(self, namespace: str, live: set[str]) -> None:
        for key in [k for k in self._cache if k[0] == namespace and k[1] not in live]:
            self._drop(key)
        for key in [k for k in self._broken if k[0] == namespace and k[1] not in live]:
            del self._broken[key]

    async def _row(self, namespace: str, session_id: str) -> dict[str, Any]:
        try:
            cached = await self._fresh(namespace, session_id)
        except SessionNotFound:
            return {**broken_row(session_id, SessionNotFound(session_id)), "namespace": namespace}
        except (StorageError, UsageError) as exc:
            row = {**broken_row(session_id, exc), "namespace": namespace}
            self._broken[(namespace, session_id)] = row
            return row
        self._broken.pop((namespace, session_id), None)
        return {**row_of(cached.digest), "namespace": namespace}

    async def get(self, namespace: str, session_id: str) -> _Cached:
        async with self._lock:
            return await self._fresh(namespace, session_id)

    async def _fresh(self, namespace: str, session_id: str) -> _Cached:
        """The session's digest, rebuilt only if records were appended since it was built (a poll of
        an unchanged session is one read of no rows)."""
        key = (namespace, session_id)
        store = self.store(namespace)
        cached = self._cache.get(key)
        if cached is not None:
            new = await store.load(session_id, after_seq=cached.last_seq)
            if not new:
                return cached
            if await cached.session.refresh() is None:
                self._drop(key)
                raise SessionNotFound(session_id)
            session, last_seq = cached.session, new[-1].seq
            branches = branches_in(new, cached.branches)
        else:
            records = await store.load(session_id)  # read once: the session and its branches
            session = await Session.from_records(session_id, records, store)  # none: SessionNotFound
            last_seq, branches = records[-1].seq, branches_in(records)
        data = await digest(session_id, store, session, branches)
        fresh = _Cached(
            session, data, last_seq, branches, {e["id"]: i for i, e in enumerate(data["entries"])}
        )
        self._cache[key] = fresh
        self.index.put(namespace, session_id, data["entries"])
        return fresh

    def _drop(self, key: tuple[str, str]) -> None:
        self._cache.pop(key, None)
        self.index.drop(*key)

    async def search(self, text: str, namespace: str | None = None) -> list[dict[str, Any]]:
        await self.rows()  # every session digested and indexed as it is now
        return self.index.search(text, namespace)
