"""Forks: a new session that shares its parent's history up to a position, without copying it.

``fork(session_id, at=...)`` appends two records, whatever the length of the parent: the fork's create
record, which names its origin (``{"fork": {"session_id": parent, "seq": position}}``), and a patch in
the parent's log (``{"op": "patch", "branches_added": [...]}``) so :func:`list_branches` can answer
from the parent. Loading the fork reads the parent's first ``position`` records and then the fork's
own (see :mod:`sessionforge.storage.lineage`), so every face shows a fork as the parent's prefix
followed by what was added to the fork; a fork of a fork resolves level by level.

Positions are sequence numbers of the parent's own log. ``at`` may be such a seq, an event id, or
``None`` (everything the parent holds now). A seq or ``None`` costs O(1) reads; an event id costs one
scan of the parent's view to find the event (an in-memory face passes the position it already knows).
"""

from __future__ import annotations

import uuid
from typing import Any

from ..core.events import EventType
from ..core.records import ForkOrigin, fork_origin, meta_record
from ..core.session import SessionMetadata
from ..errors import SessionAlreadyExists, SessionNotFound, UsageError
from .base import Store, check_session_id
from .config import resolve_store
from .session import Session

__all__ = ["fork", "fork_origin", "list_branches", "locate"]


async def locate(session_id: str, at: str | int | None, store: Store | None = None) -> ForkOrigin | None:
    """Resolve ``at`` to the stored log and seq that hold it; ``None`` for "the parent's end".

    Raises :class:`SessionNotFound` for an unknown session and :class:`UsageError` for a position the
    session does not have.
    """
    backend = resolve_store(store)
    if at is None:
        if not await backend.load(session_id, limit=1):
            raise SessionNotFound(session_id)
        return None
    if isinstance(at, bool) or not isinstance(at, (int, str)):
        raise UsageError(f"fork(at=...) takes an event id or a sequence number, got {at!r}")
    if isinstance(at, int):
        if at < 1:
            raise UsageError(f"sequence numbers start at 1, got at={at}")
        if not await backend.load(session_id, after_seq=at - 1, limit=1):
            if not await backend.load(session_id, limit=1):
                raise SessionNotFound(session_id)
            raise UsageError(f"session {session_id!r} has no record {at}")
        return ForkOrigin(session_id, at)
    session = await Session.load(session_id, backend)
    if session is None:
        raise SessionNotFound(session_id)
    position = session.position_of(at)
    if position is None:
        raise UsageError(f"session {session_id!r} has no stored event {at!r}")
    return position


async def fork(
    session_id: str,
    at: str | int | None = None,
    store: Store | None = None,
    new_session_id: str | None = None,
    *,
    metadata: dict[str, Any] | None = None,
) -> str:
    """Create a fork of ``session_id`` sharing its history up to and including ``at``; return its id.

    ``metadata`` adds properties to the fork (it inherits the parent's as of the fork point).
    """
    backend = resolve_store(store)
    child = check_session_id(new_session_id or str(uuid.uuid4()))
    if await backend.load(child, limit=1):
        raise SessionAlreadyExists(f"a session with id {child!r} already exists")
    origin = await locate(session_id, at, backend)
    branch: dict[str, Any] = {"session_id": child}
    if origin is not None:
        branch["at"] = {"session_id": origin.session_id, "seq": origin.seq}
    # Registering the branch first also tells us the parent's end: the patch's own seq. Sharing up to
    # and including the patch is harmless, as a patch carries no dialogue.
    last = await backend.append(session_id, [meta_record({"op": "patch", "branches_added": [branch]})])
    if origin is None:
        origin = ForkOrigin(session_id, last)
    meta = SessionMetadata(properties=dict(metadata or {}))
    body: dict[str, Any] = {
        "op": "create",
        "parent_id": None,
        "created_at": meta.created_at.isoformat(),
        "updated_at": meta.updated_at.isoformat(),
        "properties": meta.properties,
        "child_ids": [],
        "runs": {},
        "state": {},
        "fork": {"session_id": origin.session_id, "seq": origin.seq},
    }
    await backend.append(child, [meta_record(body)])
    return child


async def list_branches(session_id: str, store: Store | None = None) -> list[str]:
    """Ids of the forks made from ``session_id``, oldest first (read from its branch patches)."""
    backend = resolve_store(store)
    records = await backend.load(session_id)
    if not records:
        raise SessionNotFound(session_id)
    out: list[str] = []
    for stored in records:
        body = stored.record.get("message")
        if stored.record.get("type") == EventType.SESSION_META.value and isinstance(body, dict):
            for branch in body.get("branches_added") or []:
                if isinstance(branch, dict) and branch.get("session_id") not in out:
                    out.append(str(branch["session_id"]))
    return out
