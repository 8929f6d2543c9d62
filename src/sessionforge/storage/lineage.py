"""Where a fork's shared history comes from: the one place a fork's prefix is resolved.

A fork's log starts, like every session's, with a ``SESSION_META`` create record; that record names
its origin under ``"fork"``: ``{"session_id": parent, "seq": position}``. The fork's own log holds only
what happened after the fork. Reading it means reading the parent's records ``1..position`` first
(and, for a fork of a fork, the grandparent's before those), so the history is shared, never copied,
and creating a fork costs one appended record however long the parent is.

:func:`inherited_records` is called by :meth:`Session.load`, so every face that loads through it
(``ChukSessionsStore.get``, ``SessionManager(session_id=...)``, ``ChatSession.load``) sees a fork as
its parent's prefix followed by its own events.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from ..core.records import ForkOrigin, StoredRecord, fork_origin
from ..errors import CorruptRecordError

if TYPE_CHECKING:
    from .base import Store

__all__ = ["ForkOrigin", "InheritedPart", "fork_origin", "inherited_records"]

MAX_FORK_DEPTH = 1000
"""A guard against a hand-edited log that forks in a circle: real lineages are far shallower."""


class InheritedPart(NamedTuple):
    """Records one ancestor contributes to a fork's view, with the ancestor's id (oldest first)."""

    session_id: str
    records: list[StoredRecord]


async def inherited_records(store: Store, session_id: str, first: dict[str, Any]) -> list[InheritedPart]:
    """The ancestors' records a session shares, oldest ancestor first; ``[]`` for a non-fork.

    Each ancestor is read only up to the position its child forked at (one bounded ``load`` per
    level). A missing ancestor raises :class:`CorruptRecordError`: a fork is never returned with the
    start of its history silently gone (delete or let expire a parent only after exporting its forks
    with ``export_session(..., inline_forks=True)``).
    """
    parts: list[InheritedPart] = []
    origin = fork_origin(first)
    child = session_id
    while origin is not None:
        if len(parts) >= MAX_FORK_DEPTH:
            raise CorruptRecordError(
                f"session {session_id!r} forks more than {MAX_FORK_DEPTH} levels deep", session_id=session_id
            )
        records = await store.load(origin.session_id, limit=origin.seq)
        if len(records) < origin.seq:
            raise CorruptRecordError(
                f"session {child!r} is a fork of {origin.session_id!r} at record {origin.seq}, but that "
                f"session holds {len(records)} records (deleted or expired?)",
                session_id=child,
            )
        parts.append(InheritedPart(origin.session_id, records))
        child = origin.session_id
        origin = fork_origin(records[0].record)
    parts.reverse()
    return parts
