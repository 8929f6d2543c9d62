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
from typing import Any, Literal

from ..core.events import EventType
from ..core.records import ForkOrigin, fold_meta, fork_origin, meta_record
from ..core.session import SessionMetadata
from ..errors import (
    CorruptRecordError,
    InvalidSessionOperation,
    SessionAlreadyExists,
    SessionNotFound,
    UsageError,
)
from .base import Store, StoredRecord, check_session_id
from .config import resolve_store
from .lineage import inherited_records
from .session import Session

__all__ = [
    "branches_in",
    "delete_session",
    "detach_fork",
    "fork",
    "fork_origin",
    "list_branches",
    "live_forks",
    "locate",
]


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
    child = check_session_id(str(uuid.uuid4()) if new_session_id is None else new_session_id)
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
    return branches_in(records)


def branches_in(records: list[StoredRecord], known: list[str] | None = None) -> list[str]:
    """The fork ids that a session's records name, oldest first, after those ``known`` already.

    For a reader that keeps up with a log by loading only new records (``load(after_seq=...)``).
    """
    out: list[str] = list(known or [])
    for stored in records:
        body = stored.record.get("message")
        if stored.record.get("type") == EventType.SESSION_META.value and isinstance(body, dict):
            for branch in body.get("branches_added") or []:
                if isinstance(branch, dict) and branch.get("session_id") not in out:
                    out.append(str(branch["session_id"]))
    return out


async def live_forks(session_id: str, store: Store | None = None) -> list[str]:
    """The forks of ``session_id`` that still exist (a deleted fork stays named in the parent's log)."""
    backend = resolve_store(store)
    return [child for child in await list_branches(session_id, backend) if await backend.load(child, limit=1)]


def _is_meta(stored: StoredRecord) -> bool:
    return stored.record.get("type") == EventType.SESSION_META.value and isinstance(
        stored.record.get("message"), dict
    )


async def detach_fork(fork_id: str, store: Store | None = None) -> int:
    """Give a fork its own copy of the history it shares, so it no longer needs its ancestors.

    The fork's log is rewritten as: a create record without ``"fork"`` (holding the properties and
    state it inherited, overridden by its own), the ancestors' shared events as they were stored
    (same ids and timestamps), then the fork's own records. Its forks, whose positions count in its
    log, are re-pointed to the same records. The new log is first written under a scratch id and
    read back; only then is the fork replaced, so a failure leaves either the old fork or, if the
    store fails between the two steps, the full copy under ``<fork_id>.detaching``. Returns the number
    of events copied in; 0 if ``fork_id`` is not a fork.
    """
    backend = resolve_store(store)
    own = await backend.load(fork_id)
    if not own:
        raise SessionNotFound(fork_id)
    if fork_origin(own[0].record) is None:
        return 0
    parts = await inherited_records(backend, fork_id, own[0].record)
    view: dict[str, Any] = {}
    shared: list[dict[str, Any]] = []
    for part in parts:
        for stored in part.records:
            if _is_meta(stored):
                fold_meta(view, {k: stored.record["message"].get(k) for k in ("properties", "state")})
            else:
                shared.append(stored.record)
    create = dict(own[0].record)
    body = dict(create["message"])
    body.pop("fork", None)
    body["properties"] = {**view.get("properties", {}), **(body.get("properties") or {})}
    body["state"] = {**view.get("state", {}), **(body.get("state") or {})}
    create["message"] = body
    records = [create, *shared, *(stored.record for stored in own[1:])]
    await _replace_log(backend, fork_id, records)
    shift = len(shared)
    for child in await live_forks(fork_id, backend):
        await _repoint(backend, child, fork_id, shift)
    return shift


async def _repoint(backend: Store, child: str, parent: str, shift: int) -> None:
    """Move a fork's origin ``shift`` records later in its parent's log (the parent was detached)."""
    records = [stored.record for stored in await backend.load(child)]
    origin = fork_origin(records[0]) if records else None
    if origin is None or origin.session_id != parent:
        return
    create = dict(records[0])
    body = dict(create["message"])
    body["fork"] = {"session_id": parent, "seq": origin.seq + shift}
    create["message"] = body
    await _replace_log(backend, child, [create, *records[1:]])


async def _replace_log(backend: Store, session_id: str, records: list[dict[str, Any]]) -> None:
    """Replace a session's whole log, through a scratch copy that is read back before the switch."""
    scratch = check_session_id(f"{session_id}.detaching"[:200])
    if await backend.load(scratch, limit=1):
        raise InvalidSessionOperation(
            f"{scratch!r} exists: an earlier detach of {session_id!r} stopped midway; "
            f"check it holds the whole session, then delete whichever copy is incomplete"
        )
    await backend.append(scratch, records)
    if [stored.record for stored in await backend.load(scratch)] != records:
        await backend.delete(scratch)
        raise CorruptRecordError(
            f"the detached copy of {session_id!r} did not read back equal; nothing was changed",
            session_id=session_id,
        )
    await backend.delete(session_id)
    await backend.append(session_id, records)
    await backend.delete(scratch)


async def delete_session(
    session_id: str,
    store: Store | None = None,
    *,
    forks: Literal["refuse", "cascade", "detach"] = "refuse",
) -> list[str]:
    """Delete a session without breaking its forks; return the ids deleted, forks first.

    A session with live forks is refused (:class:`InvalidSessionOperation` naming them) unless
    ``forks="cascade"`` (the forks, and theirs, are deleted too) or ``forks="detach"`` (each fork gets
    its own copy of the shared history first, see :func:`detach_fork`).
    """
    backend = resolve_store(store)
    if not await backend.load(session_id, limit=1):
        raise SessionNotFound(session_id)
    children = await live_forks(session_id, backend)
    deleted: list[str] = []
    if children and forks == "refuse":
        raise InvalidSessionOperation(
            f"session {session_id!r} has forks ({', '.join(children)}) that share its history: "
            "delete them too (cascade) or give them their own copy first (detach)"
        )
    for child in children:
        if forks == "cascade":
            deleted += await delete_session(child, backend, forks="cascade")
        else:
            await detach_fork(child, backend)
    await backend.delete(session_id)
    deleted.append(session_id)
    return deleted
