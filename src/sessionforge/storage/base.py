"""The storage contract: a small async, append-only ``Store``.

A session is an ordered log of JSON records. Every backend (memory, SQLite, Redis, PostgreSQL)
implements the same five operations, and one conformance suite tests them all:

``append(session_id, records) -> last_seq``
    Add records at the end of the session's log. The store assigns each a sequence number
    (1, 2, 3, ... per session, contiguous, never reused) atomically, so concurrent writers never
    overwrite each other and never leave a gap. A record whose ``"id"`` is already in the session is
    skipped: retrying an append that may or may not have landed never duplicates it. The cost of an
    append does not depend on the length of the session: nothing already stored is rewritten.
``load(session_id, after_seq=0, limit=None) -> [StoredRecord]``
    Records with ``seq > after_seq`` in order. An unknown or expired session loads as ``[]``.
``list_sessions(prefix="", limit=None, after=None) -> [session_id]``
    Ids of live sessions in this store's namespace that start with ``prefix``, sorted (by code
    point), at most ``limit`` of them, each greater than ``after``: pass the last id of a page as
    ``after`` to read the next one (keyset paging). Every backend serves a page from an index, so
    the first page of a store of 100,000 sessions costs what it costs in a store of 100.
    :func:`list_page` reads a page from any store, including one that only lists everything.
``heads(prefix="") -> [SessionHead]`` (optional; our backends have it)
    Each live session's id, last sequence number and time of its last append, read in one query
    from the store's own head rows: what a listing sorted by activity needs without loading any
    session. :func:`session_heads` asks any store, falling back to loading each session.
``delete(session_id) -> bool``
    Remove the session and all its records; ``True`` if it existed.
``aclose()``
    Release what the store owns (a client created from a URL); never a client passed in.

Namespaces: a store is bound to one ``namespace`` (the spec's ``sandbox_id``); sessions of one
namespace are invisible to a store bound to another, on every backend. Ids and namespaces are 1-200
characters of letters, digits and ``._:@-`` (nothing else, not even a trailing newline), and every
backend keeps the two apart (separate columns, or escaped keys in Redis), so no choice of one can
reach a session of another namespace.

TTL: a store created with ``ttl_seconds`` forgets a session that long after its last write (and last
read, with ``touch_on_read=True``). An expired session vanishes from ``load`` and ``list_sessions``;
its rows are removed from disk by appends now and then, and by ``purge_expired()`` (our backends).

Records: JSON objects that read back equal (see :mod:`.codec`). An append that holds one record
that would not raises :class:`~sessionforge.errors.RecordFormatError` naming the field, and writes
none of them.

Errors: driver exceptions never escape. A server that cannot be reached raises
:class:`~sessionforge.errors.StoreUnavailableError`; a record that cannot be decoded raises
:class:`~sessionforge.errors.CorruptRecordError` naming the session and the sequence number.
"""

from __future__ import annotations

import inspect
import math
import re
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, NamedTuple, Protocol, Self, TypeVar, runtime_checkable

from ..core.records import StoredRecord
from ..errors import ConfigurationError, RecordFormatError, UsageError
from .codec import RecordCodec

__all__ = [
    "UNKNOWN_OUTCOME",
    "BaseStore",
    "HeadIndexedStore",
    "IdRange",
    "SessionHead",
    "Store",
    "StoredRecord",
    "check_page",
    "check_prefix",
    "check_session_id",
    "check_window",
    "list_page",
    "prefix_successor",
    "record_time",
    "session_heads",
]

UNKNOWN_OUTCOME = (
    ". The append may or may not have landed: retry it with the same record ids once the server is back"
)
"""Said after "unavailable" when a connection was lost during an append: its outcome is unknown, and
retrying with the same record ids is safe (see the module doc)."""

_SESSION_ID = re.compile(r"[A-Za-z0-9._:@\-]{1,200}")

T = TypeVar("T")


class SessionHead(NamedTuple):
    """A live session as its store's head row knows it, without loading its records."""

    session_id: str
    last_seq: int
    """The sequence number of its last record."""
    updated_at: float
    """When it was last appended to, in seconds since the epoch (the store's clock); 0.0 if the
    store cannot tell (a session written before it kept the time)."""


@runtime_checkable
class Store(Protocol):
    """What sessionforge needs from storage. Implement this to plug in your own backend."""

    namespace: str
    capabilities: frozenset[str]

    async def append(self, session_id: str, records: Sequence[Mapping[str, Any]]) -> int:
        """Append ``records``; return the session's last sequence number afterwards."""
        ...

    async def load(self, session_id: str, after_seq: int = 0, limit: int | None = None) -> list[StoredRecord]:
        """Records with ``seq > after_seq``, oldest first, at most ``limit``."""
        ...

    async def list_sessions(
        self, prefix: str = "", limit: int | None = None, after: str | None = None
    ) -> list[str]:
        """Sorted ids of the live sessions in this namespace that start with ``prefix``: at most
        ``limit`` of them (``None``: all), each greater than ``after`` (``None``: from the first)."""
        ...

    async def delete(self, session_id: str) -> bool:
        """Delete a session and its records; ``True`` if it existed."""
        ...

    async def aclose(self) -> None:
        """Close what the store owns."""
        ...


async def release_loop(store: Store) -> None:
    """Call ``store.release_loop()`` where the store has one (stores outside ours may not)."""
    release = getattr(store, "release_loop", None)
    if release is not None:
        await release()


def check_window(after_seq: int, limit: int | None) -> None:
    """``load``'s position and page size: whole numbers, not negative."""
    if isinstance(after_seq, bool) or not isinstance(after_seq, int) or after_seq < 0:
        raise UsageError(f"after_seq must be a whole number >= 0, got {after_seq!r}")
    _check_limit(limit)


def check_page(limit: int | None, after: str | None) -> None:
    """``list_sessions``'s page: a size that is a whole number, a position that is text."""
    _check_limit(limit)
    if after is not None and not isinstance(after, str):
        raise UsageError(f"after must be None or a session id, got {type(after).__name__}")


def _check_limit(limit: int | None) -> None:
    """A page size of ``load`` or ``list_sessions``: ``None`` (everything) or a whole number >= 0."""
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise UsageError(f"limit must be None or a whole number >= 0, got {limit!r}")


def prefix_successor(prefix: str) -> str | None:
    """The least string greater than every string that starts with ``prefix`` (code point order),
    so ``prefix <= s < successor`` is an index range for "starts with"; ``None`` if there is none
    (an empty prefix, or one ending where no encodable character follows)."""
    while prefix:
        code = ord(prefix[-1]) + 1
        if code == 0xD800:
            code = 0xE000  # surrogates cannot be encoded; the next character is U+E000
        if code <= 0x10FFFF:
            return prefix[:-1] + chr(code)
        prefix = prefix[:-1]
    return None


async def list_page(store: Store, prefix: str = "", limit: int = 50, after: str | None = None) -> list[str]:
    """One page of ``store``'s session ids (see ``Store.list_sessions``).

    Our stores read only the page; a third-party store whose ``list_sessions`` takes no ``limit``
    lists everything and the page is cut from that.
    """
    check_page(limit, after)
    if _pages(store):
        return await store.list_sessions(prefix, limit=limit, after=after)
    ids = await store.list_sessions(prefix)
    if after is not None:
        ids = [s for s in ids if s > after]
    return ids[:limit]


async def session_heads(store: Store, prefix: str = "") -> list[SessionHead]:
    """The heads of ``store``'s live sessions starting with ``prefix``, sorted by id.

    One query on our stores (their ``heads``); a store without it is listed and each session
    loaded, its time taken from its last record's ``timestamp``.
    """
    check_prefix(prefix)
    heads: Callable[[str], Awaitable[list[SessionHead]]] | None = getattr(store, "heads", None)
    if heads is not None:
        return await heads(prefix)
    found: list[SessionHead] = []
    for session_id in await store.list_sessions(prefix):
        records = await store.load(session_id)
        if records:
            last = records[-1]
            found.append(SessionHead(session_id, last.seq, record_time(last.record)))
    return found


def record_time(record: Mapping[str, Any]) -> float:
    """A record's ``timestamp`` in seconds since the epoch; 0.0 if it has none that reads as a time."""
    value = record.get("timestamp")
    if not isinstance(value, str):
        return 0.0
    try:
        return datetime.fromisoformat(value).timestamp()
    except ValueError:
        return 0.0


@dataclass(frozen=True)
class IdRange:
    """How an SQL store ranges over its session ids: the ``column`` ordered as Python sorts ids, the
    driver's ``placeholder``, and ``starts_with`` (a prefix's exact test: a condition and its
    parameters)."""

    column: str
    placeholder: str
    starts_with: Callable[[str], tuple[Any, ...]]

    def where(self, namespace: str, prefix: str, after: str | None) -> tuple[str, list[Any]]:
        """The ``WHERE`` condition of a page of ids and its parameters.

        The page is a range of the (namespace, id) index: ids ``> after`` (or ``>= prefix``) and
        below the first id past the prefix, so a page reads only its own rows whatever the store's
        size; ``starts_with`` keeps the exact prefix test.
        """
        mark = self.placeholder
        where = [f"namespace = {mark}"]
        params: list[Any] = [namespace]
        if after is not None and after >= prefix:
            where.append(f"{self.column} > {mark}")
            params.append(after)
        elif prefix:
            where.append(f"{self.column} >= {mark}")
            params.append(prefix)
        upper = prefix_successor(prefix) if prefix else None
        if upper is not None:
            where.append(f"{self.column} < {mark}")
            params.append(upper)
        if prefix:
            condition, *values = self.starts_with(prefix)
            where.append(condition)
            params.extend(values)
        return " AND ".join(where), params


def _pages(store: Store) -> bool:
    try:
        parameters = inspect.signature(store.list_sessions).parameters
    except (TypeError, ValueError):
        return False
    return "limit" in parameters and "after" in parameters


def check_prefix(prefix: str) -> str:
    """``list_sessions``'s prefix: text."""
    if not isinstance(prefix, str):
        raise UsageError(f"prefix must be text, got {type(prefix).__name__}")
    return prefix


def check_session_id(session_id: str) -> str:
    """Session ids are printable, bounded, and safe as keys in every backend."""
    if not isinstance(session_id, str) or not _SESSION_ID.fullmatch(session_id):
        raise UsageError(
            f"invalid session id {session_id!r}: use 1-200 characters from letters, digits and ._:@-"
        )
    return session_id


class BaseStore(ABC):
    """Shared plumbing for our backends: namespace, TTL settings, codec, context management."""

    capabilities: frozenset[str] = frozenset({"ttl"})
    PURGE_EVERY: float = 60.0
    """Seconds between the purges of expired sessions that appends run on their own."""

    def __init__(
        self,
        *,
        namespace: str = "default",
        ttl_seconds: float | None = None,
        touch_on_read: bool = False,
        encryption_key: str | bytes | None = None,
    ) -> None:
        if not isinstance(namespace, str) or not _SESSION_ID.fullmatch(namespace):
            raise ConfigurationError(
                f"invalid namespace (sandbox_id) {namespace!r}: use 1-200 characters from letters, "
                f"digits and ._:@-"
            )
        if ttl_seconds is not None and (
            isinstance(ttl_seconds, bool)
            or not isinstance(ttl_seconds, int | float)
            or not math.isfinite(ttl_seconds)
            or ttl_seconds <= 0
        ):
            raise ConfigurationError(f"ttl_seconds must be a positive number of seconds, got {ttl_seconds!r}")
        self.namespace = namespace
        self.ttl_seconds = ttl_seconds
        self.touch_on_read = touch_on_read
        self.codec = RecordCodec(encryption_key)
        self._next_purge = 0.0
        if encryption_key is not None:
            self.capabilities = self.capabilities | {"encryption"}

    @abstractmethod
    async def append(self, session_id: str, records: Sequence[Mapping[str, Any]]) -> int: ...

    @abstractmethod
    async def load(
        self, session_id: str, after_seq: int = 0, limit: int | None = None
    ) -> list[StoredRecord]: ...

    async def list_sessions(
        self, prefix: str = "", limit: int | None = None, after: str | None = None
    ) -> list[str]:
        """See :class:`Store`: the arguments are checked once here, the page read by the backend."""
        check_prefix(prefix)
        check_page(limit, after)
        if limit == 0:
            return []
        return await self._list_page(prefix, limit, after)

    @abstractmethod
    async def _list_page(self, prefix: str, limit: int | None, after: str | None) -> list[str]:
        """Live ids starting with ``prefix``, sorted, each ``> after``, at most ``limit`` (checked)."""

    @abstractmethod
    async def delete(self, session_id: str) -> bool: ...

    async def aclose(self) -> None:
        return None

    async def release_loop(self) -> None:
        """Let go of what is bound to the running event loop: a blocking call has ended in it.

        Blocking faces (``ChatSession.save``/``load``/``fork``, the LangChain and LangGraph
        adapters) call this after each call (:func:`~sessionforge.storage.config.run_blocking`):
        the next call may run in another thread's loop, and a client used from another loop than
        its own fails; a loop of its own (a call made inside a running loop) ends with the call,
        and a pool left open there would hang its shutdown. Backends holding such resources close
        them here and reopen them lazily on the next call.
        """
        return None

    async def exists(self, session_id: str) -> bool:
        return bool(await self.load(session_id, limit=1))

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def _encode_all(
        self, session_id: str, records: Sequence[Mapping[str, Any]]
    ) -> list[tuple[str | None, str]]:
        """(record id, encoded text) for each record; ids make appends idempotent.

        Every record is encoded before any is written, so a record the codec refuses leaves the
        session exactly as it was.
        """
        return self._encode_with(session_id, records, self.codec.known_text)

    def _encode_with(
        self,
        session_id: str,
        records: Sequence[Mapping[str, Any]],
        known: Callable[[Mapping[str, Any]], T | None],
    ) -> list[tuple[str | None, str | T]]:
        """:meth:`_encode_all`, taking a record's stored form from ``known`` when it gives one (the
        text its writer checked, as the store keeps it: ``str``, or ``bytes`` for the memory store)."""
        if type(records) is not list and (
            isinstance(records, Mapping | str | bytes) or not isinstance(records, Sequence)
        ):
            raise RecordFormatError(
                f"append takes a list of records (dicts), got a {type(records).__name__}",
                session_id=session_id,
            )
        out: list[tuple[str | None, str | T]] = []
        encode = self.codec.encode
        for index, record in enumerate(records):
            text: str | T | None = known(record)
            if text is None:
                text = encode(record, namespace=self.namespace, session_id=session_id, index=index)
            record_id = record.get("id")
            out.append((str(record_id) if record_id is not None else None, text))
        return out

    def _decode_all(self, session_id: str, rows: Iterable[tuple[int, str | bytes]]) -> list[StoredRecord]:
        """Stored rows as records; the first that cannot be trusted raises CorruptRecordError."""
        return self.codec.decode_rows(rows, session_id=session_id, namespace=self.namespace)

    def _purge_due(self, now: float) -> bool:
        """Whether an append should purge expired sessions: its first, then one per PURGE_EVERY s."""
        if now < self._next_purge:
            return False
        self._next_purge = now + self.PURGE_EVERY
        return True

    async def purge_expired(self) -> int:
        """Remove expired sessions from the backend now; returns how many were removed.

        Expired sessions are already invisible; this frees their space. Appends purge now and then
        on their own; call this from a scheduled job (or ``sessionforge sessions purge``) to purge
        on a clock instead.
        """
        return 0

    def __repr__(self) -> str:
        return f"{type(self).__name__}(namespace={self.namespace!r})"


class HeadIndexedStore(BaseStore):
    """A store whose one query lists sessions with their heads (the SQL backends' sessions table):
    the listing and :meth:`heads` read the same query, written once as :meth:`_heads`."""

    @abstractmethod
    async def _heads(self, prefix: str, limit: int | None, after: str | None) -> list[SessionHead]:
        """Heads of live sessions starting with ``prefix``, sorted by id, each ``> after``, at most
        ``limit`` (all checked)."""

    async def _list_page(self, prefix: str, limit: int | None, after: str | None) -> list[str]:
        return [head.session_id for head in await self._heads(prefix, limit, after)]

    async def heads(self, prefix: str = "") -> list[SessionHead]:
        """See :func:`session_heads`."""
        return await self._heads(check_prefix(prefix), None, None)
