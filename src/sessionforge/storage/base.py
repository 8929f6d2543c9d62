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
``list_sessions(prefix="") -> [session_id]``
    Ids of live sessions in this store's namespace, sorted.
``delete(session_id) -> bool``
    Remove the session and all its records; ``True`` if it existed.
``aclose()``
    Release what the store owns (a client created from a URL); never a client passed in.

Namespaces: a store is bound to one ``namespace`` (the spec's ``sandbox_id``); sessions of one
namespace are invisible to a store bound to another, on every backend.

TTL: a store created with ``ttl_seconds`` forgets a session that long after its last write (and last
read, with ``touch_on_read=True``). An expired session vanishes from ``load`` and ``list_sessions``.

Errors: driver exceptions never escape. A server that cannot be reached raises
:class:`~sessionforge.errors.StoreUnavailableError`; a record that cannot be decoded raises
:class:`~sessionforge.errors.CorruptRecordError` naming the session and the sequence number.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, Protocol, Self, runtime_checkable

from ..core.records import StoredRecord
from ..errors import ConfigurationError, UsageError
from .codec import RecordCodec

__all__ = ["BaseStore", "Store", "StoredRecord", "check_session_id"]

_SESSION_ID = re.compile(r"^[A-Za-z0-9._:@\-]{1,200}$")


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

    async def list_sessions(self, prefix: str = "") -> list[str]:
        """Sorted ids of the live sessions in this namespace that start with ``prefix``."""
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


def check_session_id(session_id: str) -> str:
    """Session ids are printable, bounded, and safe as keys in every backend."""
    if not isinstance(session_id, str) or not _SESSION_ID.match(session_id):
        raise UsageError(
            f"invalid session id {session_id!r}: use 1-200 characters from letters, digits and ._:@-"
        )
    return session_id


class BaseStore(ABC):
    """Shared plumbing for our backends: namespace, TTL settings, codec, context management."""

    capabilities: frozenset[str] = frozenset({"ttl"})

    def __init__(
        self,
        *,
        namespace: str = "default",
        ttl_seconds: float | None = None,
        touch_on_read: bool = False,
        encryption_key: str | bytes | None = None,
    ) -> None:
        if not namespace or not _SESSION_ID.match(namespace):
            raise ConfigurationError(f"invalid namespace (sandbox_id) {namespace!r}")
        if ttl_seconds is not None and ttl_seconds <= 0:
            raise ConfigurationError(f"ttl_seconds must be positive, got {ttl_seconds}")
        self.namespace = namespace
        self.ttl_seconds = ttl_seconds
        self.touch_on_read = touch_on_read
        self.codec = RecordCodec(encryption_key)
        if encryption_key is not None:
            self.capabilities = self.capabilities | {"encryption"}

    @abstractmethod
    async def append(self, session_id: str, records: Sequence[Mapping[str, Any]]) -> int: ...

    @abstractmethod
    async def load(
        self, session_id: str, after_seq: int = 0, limit: int | None = None
    ) -> list[StoredRecord]: ...

    @abstractmethod
    async def list_sessions(self, prefix: str = "") -> list[str]: ...

    @abstractmethod
    async def delete(self, session_id: str) -> bool: ...

    async def aclose(self) -> None:
        return None

    async def release_loop(self) -> None:
        """Let go of what is bound to the running event loop, which is about to end.

        Blocking faces (``ChatSession.save``/``load``/``fork``) run each call in its own short
        loop; a pool or client left open there would hang that loop's shutdown. Backends holding
        such resources close them here and reopen them lazily on the next call.
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

    def _encode_all(self, records: Sequence[Mapping[str, Any]]) -> list[tuple[str | None, str]]:
        """(record id, encoded text) for each record; ids make appends idempotent."""
        out: list[tuple[str | None, str]] = []
        for record in records:
            record_id = record.get("id")
            out.append((str(record_id) if record_id is not None else None, self.codec.encode(record)))
        return out

    def __repr__(self) -> str:
        return f"{type(self).__name__}(namespace={self.namespace!r})"
