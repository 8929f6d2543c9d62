"""``Session``: one conversation as an append-only log of records, folded into a model.

A session is never rewritten in storage. Its log starts with a ``SESSION_META`` record (``op:
"create"``) holding the creation time, the parent and the metadata; later changes to the metadata,
runs, state or children are appended as ``SESSION_META`` patches (``op: "patch"``) that carry only
what changed; every other record is an event's :meth:`SessionEvent.to_record`. Loading folds the
log in order, so the newest patch wins.

Saving appends only what the store has not seen: events whose ``seq`` is still ``None`` and one patch
if the metadata changed since the last save. The store assigns sequence numbers; each record's
``id`` makes a retried save idempotent. The cost of a save therefore depends on what was added, not
on how long the session is, and totals (tokens, cost) are kept as running sums for the same reason.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field, PrivateAttr, ValidationError

from ..errors import (
    CorruptRecordError,
    MessageFormatError,
    SessionAlreadyExists,
    SessionNotFound,
    UsageError,
)
from ..storage.lineage import ForkOrigin, InheritedPart, fork_origin, inherited_records
from .events import EventSource, EventType, SessionEvent
from .usage import TokenSummary

if TYPE_CHECKING:
    from ..storage.base import Store, StoredRecord

__all__ = ["RunStatus", "Session", "SessionMetadata", "SessionRun", "fold_meta"]


def _now() -> datetime:
    return datetime.now(UTC)


class RunStatus(StrEnum):
    """Where a run (one task executed inside a session) stands."""

    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class SessionRun(BaseModel):
    """One run inside a session: a unit of work with a status and timestamps."""

    id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    status: RunStatus = RunStatus.PENDING
    started_at: datetime = Field(default_factory=_now)
    ended_at: datetime | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)

    async def mark_running(self) -> None:
        self.status = RunStatus.RUNNING

    async def mark_completed(self) -> None:
        self.status = RunStatus.COMPLETED
        self.ended_at = _now()

    async def mark_failed(self, reason: str | None = None) -> None:
        self.status = RunStatus.FAILED
        self.ended_at = _now()
        if reason is not None:
            self.metadata["failure_reason"] = reason

    async def mark_cancelled(self) -> None:
        self.status = RunStatus.CANCELLED
        self.ended_at = _now()


class SessionMetadata(BaseModel):
    """When a session was created and last changed, and free-form ``properties``."""

    created_at: datetime = Field(default_factory=_now)
    updated_at: datetime = Field(default_factory=_now)
    properties: dict[str, Any] = Field(default_factory=dict)

    async def set_property(self, key: str, value: Any) -> None:
        self.properties[key] = value
        self.updated_at = _now()

    async def get_property(self, key: str, default: Any = None) -> Any:
        return self.properties.get(key, default)


def _meta_view(session: Session) -> dict[str, Any]:
    """The persisted part of a session besides its events, as JSON (what patches are diffed on)."""
    return {
        "parent_id": session.parent_id,
        "created_at": session.metadata.created_at.isoformat(),
        "updated_at": session.metadata.updated_at.isoformat(),
        "properties": session.metadata.model_dump(mode="json")["properties"],
        "child_ids": list(session.child_ids),
        "runs": {run.id: run.model_dump(mode="json") for run in session.runs},
        "state": session.model_dump(mode="json", include={"state"})["state"],
    }


def _diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The patch that turns ``old`` into ``new``: changed scalars, and per-key changes of the maps."""
    patch: dict[str, Any] = {}
    for key in ("parent_id", "created_at"):
        if old.get(key) != new[key]:
            patch[key] = new[key]
    for key in ("properties", "state", "runs"):
        before, after = old.get(key, {}), new[key]
        changed = {k: v for k, v in after.items() if before.get(k, object()) != v}
        removed = [k for k in before if k not in after]
        if changed:
            patch[key] = changed
        if removed:
            patch[f"{key}_removed"] = removed
    added = [c for c in new["child_ids"] if c not in old.get("child_ids", [])]
    if added:
        patch["child_ids_added"] = added
    if patch:  # an event alone moves updated_at without a patch: loading takes the newest event's time
        patch["updated_at"] = new["updated_at"]
    return patch


def fold_meta(view: dict[str, Any], body: dict[str, Any]) -> None:
    """Apply one ``SESSION_META`` record body (create or patch) to a meta view, in place."""
    for key in ("parent_id", "created_at", "updated_at"):
        if key in body:
            view[key] = body[key]
    for key in ("properties", "state", "runs"):
        target = view.setdefault(key, {})
        target.update(body.get(key) or {})
        for removed in body.get(f"{key}_removed") or []:
            target.pop(removed, None)
    children = view.setdefault("child_ids", [])
    for child in list(body.get("child_ids") or []) + list(body.get("child_ids_added") or []):
        if child not in children:
            children.append(child)


def _meta_record(body: dict[str, Any]) -> dict[str, Any]:
    return SessionEvent(source=EventSource.SYSTEM, type=EventType.SESSION_META, message=body).to_record()


async def _require_parent(backend: Store, parent_id: str | None) -> None:
    if parent_id is not None and not await backend.load(parent_id, limit=1):
        raise SessionNotFound(parent_id, f"parent session {parent_id!r} was not found")


async def _link_to_parent(
    backend: Store, parent_id: str | None, child_id: str, record_id: str | None = None
) -> None:
    """Record ``child_id`` in its parent's log (a patch; with ``record_id`` it is written once)."""
    if parent_id is None:
        return
    link = _meta_record({"op": "patch", "child_ids_added": [child_id]})
    if record_id is not None:
        link["id"] = record_id
    await backend.append(parent_id, [link])


def _resolve_store(store: Store | None) -> Store:
    if store is not None:
        return store
    from ..storage.config import get_default_store

    return get_default_store()


class Session(BaseModel):
    """A conversation: its events in order, its metadata, and its place in a session tree."""

    id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    metadata: SessionMetadata = Field(default_factory=SessionMetadata)
    parent_id: str | None = None
    child_ids: list[str] = Field(default_factory=list)
    events: list[SessionEvent] = Field(default_factory=list)
    runs: list[SessionRun] = Field(default_factory=list)
    state: dict[str, Any] = Field(default_factory=dict)

    _store: Store | None = PrivateAttr(default=None)
    _persisted_meta: dict[str, Any] | None = PrivateAttr(default=None)  # None: no create record yet
    _last_seq: int = PrivateAttr(default=0)
    _checked: int = PrivateAttr(default=0)  # events[:_checked] are known to be stored
    _uncertain: bool = PrivateAttr(default=False)  # a save failed midway: seqs must be read back
    _summary: TokenSummary = PrivateAttr(default_factory=TokenSummary)
    _summed: int = PrivateAttr(default=0)  # events[:_summed] are folded into _summary
    _save_lock: asyncio.Lock = PrivateAttr(default_factory=asyncio.Lock)  # one save in flight
    _fork_of: ForkOrigin | None = PrivateAttr(default=None)
    _owners: list[tuple[str, int]] = PrivateAttr(default_factory=list)  # (ancestor, events) shared, in order

    # ---- creating and loading -------------------------------------------------------------------

    @classmethod
    async def create(
        cls,
        parent_id: str | None = None,
        metadata: dict[str, Any] | SessionMetadata | None = None,
        session_id: str | None = None,
        store: Store | None = None,
    ) -> Session:
        """Create and persist a session; a ``parent_id`` records the new session as its child.

        Raises :class:`SessionAlreadyExists` if ``session_id`` is taken, :class:`SessionNotFound` if
        the parent does not exist.
        """
        backend = _resolve_store(store)
        meta = (
            metadata
            if isinstance(metadata, SessionMetadata)
            else SessionMetadata(properties=dict(metadata or {}))
        )
        session = cls(metadata=meta, parent_id=parent_id)
        if session_id is not None:
            session.id = session_id
            if await backend.load(session_id, limit=1):
                raise SessionAlreadyExists(f"a session with id {session_id!r} already exists")
        await _require_parent(backend, parent_id)
        session._store = backend
        await session.save()
        await _link_to_parent(backend, parent_id, session.id)
        return session

    @classmethod
    async def create_once(
        cls,
        session_id: str,
        *,
        parent_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        events: Sequence[SessionEvent] = (),
        store: Store | None = None,
    ) -> Session:
        """Create ``session_id`` with its first ``events``, or return it if someone already did.

        Every record written here has an id derived from ``session_id``, and stores skip a record
        id they have seen, so writers racing to create the same session (two processes closing the
        same full segment) all land on the one stored session, whose first writer's events win.
        The parent's link to the child is just as idempotent. Returns the session as stored.
        """
        backend = _resolve_store(store)
        draft = cls(id=session_id, metadata=SessionMetadata(properties=dict(metadata or {})))
        draft.parent_id = parent_id
        create = _meta_record({"op": "create", **_meta_view(draft)})
        create["id"] = f"{session_id}#create"
        records = [create]
        for index, event in enumerate(events):
            record = event.to_record()
            record["id"] = f"{session_id}#{index}"
            records.append(record)
        await _require_parent(backend, parent_id)
        await backend.append(session_id, records)
        await _link_to_parent(backend, parent_id, session_id, record_id=f"{session_id}#child-of")
        stored = await cls.load(session_id, backend)
        if stored is None:  # expired or deleted in between: a clear error, not a None to trip on
            raise SessionNotFound(session_id, f"session {session_id!r} vanished right after creation")
        return stored

    @classmethod
    async def load(cls, session_id: str, store: Store | None = None) -> Session | None:
        """Fold a session's log back into a ``Session``; ``None`` if the store has no such session.

        A record that cannot be read raises :class:`CorruptRecordError`: a session is never returned
        with a piece silently missing.
        """
        backend = _resolve_store(store)
        records = await backend.load(session_id)
        if not records:
            return None
        session = cls(id=session_id)
        session._store = backend
        session._fork_of = fork_origin(records[0].record)
        if session._fork_of is not None:
            session._fold_inherited(await inherited_records(backend, session_id, records[0].record))
        session._fold(records)
        session._persisted_meta = _meta_view(session)
        return session

    async def refresh(self) -> bool:
        """Fold in what other writers appended since this session was loaded or saved.

        Reads only the records after the last one this session knows (plus that one, to tell "nothing
        new" from "deleted"), so it costs O(new records). Returns ``False`` if the session is no longer
        in the store (deleted or expired). Metadata changed here and not yet saved is overwritten by
        stored patches that arrive; save before refreshing to keep it.
        """
        if self._store is None or self._persisted_meta is None:
            return True
        records = await self._store.load(self.id, after_seq=max(self._last_seq - 1, 0))
        if not records:
            return False
        new = [r for r in records if r.seq > self._last_seq]
        if new:
            self._fold(new)
        return True

    def _fold_inherited(self, parts: list[InheritedPart]) -> None:
        """Take in a fork's shared prefix: the ancestors' events, and their properties and state as of
        the fork point (the fork's own records, folded next, override them)."""
        view: dict[str, Any] = {}
        for part in parts:
            count = 0
            for stored in part.records:
                event = _decode(part.session_id, stored)
                if event.type == EventType.SESSION_META and isinstance(event.message, dict):
                    fold_meta(view, {k: event.message.get(k) for k in ("properties", "state")})
                else:
                    self.events.append(event)
                    count += 1
            self._owners.append((part.session_id, count))
        self._checked = len(self.events)
        self._persisted_meta = {"properties": view.get("properties", {}), "state": view.get("state", {})}

    @property
    def fork_of(self) -> ForkOrigin | None:
        """The session and position this session was forked from, or ``None``."""
        return self._fork_of

    def position_of(self, event_id: str) -> ForkOrigin | None:
        """Which stored log holds ``event_id`` and at which seq: this session's own log, or the
        ancestor it shares the event from. ``None`` if the event is unknown or not saved yet."""
        index = 0
        for owner, count in self._owners:
            for event in self.events[index : index + count]:
                if event.id == event_id and event.seq is not None:
                    return ForkOrigin(owner, event.seq)
            index += count
        for event in self.events[index:]:
            if event.id == event_id and event.seq is not None:
                return ForkOrigin(self.id, event.seq)
        return None

    def _fold(self, records: list[StoredRecord]) -> None:
        """Apply stored records in order: meta records to the metadata, events to the event list."""
        view: dict[str, Any] = dict(self._persisted_meta or {})
        folded_meta = False
        events: list[SessionEvent] = []
        for stored in records:
            event = _decode(self.id, stored)
            if event.type == EventType.SESSION_META and isinstance(event.message, dict):
                fold_meta(view, event.message)
                folded_meta = True
            else:
                events.append(event)
        at = self._checked  # other writers' events go before any of ours not saved yet
        self.events[at:at] = events
        self._checked += len(events)
        if self._summed > at:
            self._summary, self._summed = TokenSummary(), 0
        try:
            if folded_meta:
                self.parent_id = view.get("parent_id")
                self.child_ids = list(view.get("child_ids", []))
                self.state = dict(view.get("state", {}))
                self.runs = [SessionRun.model_validate(r) for r in view.get("runs", {}).values()]
                self.metadata = SessionMetadata.model_validate(
                    {k: view[k] for k in ("created_at", "updated_at", "properties") if k in view}
                )
                self._persisted_meta = _meta_view(self)
            elif self._persisted_meta is None and self.events:
                first = self.events[0].timestamp
                self.metadata = SessionMetadata(created_at=first, updated_at=first)
        except ValidationError as exc:
            raise CorruptRecordError(
                f"the metadata records of session {self.id!r} cannot be read: {exc}",
                session_id=self.id,
            ) from exc
        if events and events[-1].timestamp > self.metadata.updated_at:
            self.metadata.updated_at = events[-1].timestamp
        self._last_seq = max(self._last_seq, records[-1].seq)

    # ---- derived values (running sums: O(new events) per read) -----------------------------------

    @property
    def token_summary(self) -> TokenSummary:
        if self._summed > len(self.events):  # events were removed: start over
            self._summary, self._summed = TokenSummary(), 0
        for event in self.events[self._summed :]:
            if event.token_usage is not None:
                self._summary.add(event.token_usage)
        self._summed = len(self.events)
        return self._summary

    @property
    def total_tokens(self) -> int:
        return self.token_summary.total_tokens

    @property
    def total_cost(self) -> float:
        return self.token_summary.total_estimated_cost_usd

    @property
    def last_seq(self) -> int:
        """The highest sequence number this session knows the store to hold."""
        return self._last_seq

    @property
    def store(self) -> Store | None:
        return self._store

    # ---- changing -------------------------------------------------------------------------------

    async def add_event(self, event: SessionEvent) -> None:
        """Add an event in memory; :meth:`save` persists it."""
        self.events.append(event)
        self.metadata.updated_at = event.timestamp

    async def add_event_and_save(self, event: SessionEvent) -> None:
        await self.add_event(event)
        await self.save()

    async def add_child(self, child_id: str) -> None:
        if child_id not in self.child_ids:
            self.child_ids.append(child_id)
            await self.save()

    def note_stored_child(self, child_id: str) -> None:
        """Record a child that :meth:`create` already registered in this session's log."""
        if child_id not in self.child_ids:
            self.child_ids.append(child_id)
        if self._persisted_meta is not None and child_id not in self._persisted_meta["child_ids"]:
            self._persisted_meta["child_ids"].append(child_id)

    async def save(self, store: Store | None = None) -> None:
        """Append what the store has not seen yet: new events and a metadata patch if needed.

        Saving to a store other than the one the session came from copies its whole log there and
        binds the session to that store.
        """
        async with self._save_lock:
            await self._save(store)

    async def _save(self, store: Store | None) -> None:
        if store is not None and self._store is not None and store is not self._store:
            self._rebind(store)
        if self._store is None:
            self._store = _resolve_store(store)
        pending = [e for e in self.events[self._checked :] if e.seq is None]
        records: list[dict[str, Any]] = []
        current = _meta_view(self)
        if self._persisted_meta is None:
            records.append(_meta_record({"op": "create", **current}))
        else:
            patch = _diff(self._persisted_meta, current)
            if patch:
                records.append(_meta_record({"op": "patch", **patch}))
        records.extend(e.to_record() for e in pending)
        if not records:
            return
        previous = self._last_seq
        try:
            last = await self._store.append(self.id, records)
        except BaseException:
            self._uncertain = True
            raise
        if not self._uncertain and last == previous + len(records):
            for offset, event in enumerate(pending, start=last - len(pending) + 1):
                event.seq = offset
            self._persisted_meta = current
        else:  # duplicates were skipped or another writer appended: read the seqs back
            stored = await self._store.load(self.id, previous)
            ours = {str(r.get("id")) for r in records}
            seqs = {str(r.record.get("id")): r.seq for r in stored}
            for event in pending:
                event.seq = seqs.get(event.id)
            self._uncertain = False
            self._persisted_meta = current
            others = [r for r in stored if str(r.record.get("id")) not in ours]
            if others:  # take in the other writers' records, as refresh() would
                self._fold(others)
                self._persisted_meta = _meta_view(self)
        self._last_seq = max(self._last_seq, last)
        self._checked = len(self.events)

    def _rebind(self, store: Store) -> None:
        self._store = store
        self._persisted_meta = None
        self._last_seq = 0
        self._checked = 0
        for event in self.events:
            event.seq = None


def _decode(session_id: str, stored: StoredRecord) -> SessionEvent:
    try:
        return SessionEvent.from_record(stored.record, seq=stored.seq)
    except (ValidationError, MessageFormatError, UsageError, TypeError, ValueError) as exc:
        raise CorruptRecordError(
            f"record {stored.seq} of session {session_id!r} is not a valid event: {exc}",
            session_id=session_id,
        ) from exc
