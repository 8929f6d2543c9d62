"""``Session``: a :class:`~sessionforge.core.session.SessionLog` bound to a store.

Loading folds the stored log (a fork's shared prefix first, see :mod:`.lineage`); saving appends only
what the store has not seen: events whose ``seq`` is still ``None`` and one metadata patch if the
metadata changed. The store assigns sequence numbers, and each record's ``id`` makes a retried save
idempotent, so the cost of a save depends on what was added, not on how long the session is.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from pydantic import PrivateAttr

from ..core.construct import set_field
from ..core.events import SessionEvent
from ..core.records import meta_record
from ..core.session import SessionLog, SessionMetadata, meta_view
from ..errors import RecordFormatError, SessionAlreadyExists, SessionNotFound
from .base import Store, StoredRecord
from .config import resolve_store
from .lineage import inherited_records

__all__ = ["Session"]

log = logging.getLogger("sessionforge.storage")


async def _require_parent(backend: Store, parent_id: str | None) -> None:
    if parent_id is not None and not await backend.load(parent_id, limit=1):
        raise SessionNotFound(parent_id, f"parent session {parent_id!r} was not found")


async def _link_to_parent(
    backend: Store, parent_id: str | None, child_id: str, record_id: str | None = None
) -> None:
    """Record ``child_id`` in its parent's log (a patch; with ``record_id`` it is written once)."""
    if parent_id is None:
        return
    link = meta_record({"op": "patch", "child_ids_added": [child_id]})
    if record_id is not None:
        link["id"] = record_id
    await backend.append(parent_id, [link])


class Session(SessionLog):
    """A conversation stored in a :class:`~sessionforge.storage.base.Store` (the default one unless
    given): its events in order, its metadata, and its place in a session tree."""

    _save_lock: asyncio.Lock = PrivateAttr(default_factory=asyncio.Lock)  # one save in flight

    def _lock(self) -> asyncio.Lock:
        """The save lock (read through the private-state dict, as :attr:`book` is)."""
        private = self.__pydantic_private__
        assert private is not None
        lock: asyncio.Lock = private["_save_lock"]
        return lock

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
        backend = resolve_store(store)
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
        session.book.store = backend
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
        backend = resolve_store(store)
        draft = SessionLog(id=session_id, metadata=SessionMetadata(properties=dict(metadata or {})))
        draft.parent_id = parent_id
        create = meta_record({"op": "create", **meta_view(draft)})
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
        backend = resolve_store(store)
        records = await backend.load(session_id)
        if not records:
            return None
        return await cls.from_records(session_id, records, backend)

    @classmethod
    async def from_records(cls, session_id: str, records: Sequence[StoredRecord], store: Store) -> Session:
        """Fold a session's records, as ``store.load(session_id)`` returned them, into a ``Session``
        bound to ``store``: :meth:`load` for a caller that reads the records for more than the
        session (its branches, say), so it reads them once. A fork's ancestors are read from
        ``store``. No records means no session: :class:`SessionNotFound`."""
        if not records:
            raise SessionNotFound(session_id)
        session = cls(id=session_id)
        session.book.store = store
        session.fold_first(records[0])
        if session.fork_of is not None:
            parts = await inherited_records(store, session_id, records[0].record)
            session.fold_inherited([(p.session_id, p.records) for p in parts])
        session.fold(records)
        return session

    async def refresh(self) -> list[SessionEvent] | None:
        """Fold in what other writers appended since this session was loaded or saved.

        Reads only the records after the last one this session knows (plus that one, to tell "nothing
        new" from "deleted"), so it costs O(new records). Returns the events taken in, or ``None`` if
        the session is no longer in the store (deleted or expired). Metadata changed here and not yet
        saved is overwritten by stored patches that arrive; save before refreshing to keep it.
        """
        if self.book.store is None or not self.is_stored:
            return []
        records = await self.book.store.load(self.id, after_seq=max(self.last_seq - 1, 0))
        if not records:
            return None
        new = [r for r in records if r.seq > self.last_seq]
        return self.fold(new) if new else []

    @property
    def store(self) -> Store | None:
        store: Store | None = self.book.store
        return store

    # ---- saving ---------------------------------------------------------------------------------

    async def add_event_and_save(self, event: SessionEvent) -> None:
        self.append_event(event)
        await self.save()

    async def add_child(self, child_id: str, store: Store | None = None) -> None:
        if child_id not in self.child_ids:
            self.child_ids.append(child_id)
            await self.save(store)

    async def remove_child(self, child_id: str, store: Store | None = None) -> None:
        """Forget ``child_id`` as a child (a patch; the child session itself is not touched)."""
        if child_id in self.child_ids:
            self.child_ids.remove(child_id)
            await self.save(store)

    async def async_init(self, store: Store | None = None) -> None:
        """Register this session with its parent, if it has one the parent does not know yet
        (:meth:`create` does this itself; this is for a session constructed directly)."""
        if self.parent_id is None:
            return
        parent = await Session.load(self.parent_id, store or self.book.store)
        if parent is not None and self.id not in parent.child_ids:
            await parent.add_child(self.id)

    async def ancestors(self, store: Store | None = None) -> list[Session]:
        """The parent, its parent, ... up to the root (nearest first); stops at one that is gone."""
        backend = resolve_store(store or self.book.store)
        found: list[Session] = []
        seen = {self.id}
        current = self.parent_id
        while current is not None and current not in seen:
            seen.add(current)
            parent = await Session.load(current, backend)
            if parent is None:
                break
            found.append(parent)
            current = parent.parent_id
        return found

    async def descendants(self, store: Store | None = None) -> list[Session]:
        """Every session below this one (children, their children, ...), depth first, as stored (a
        child created since this session was loaded is found too)."""
        backend = resolve_store(store or self.book.store)
        stored = await Session.load(self.id, backend)
        found: list[Session] = []
        seen = {self.id}
        stack = list(dict.fromkeys([*self.child_ids, *(stored.child_ids if stored is not None else [])]))
        while stack:
            child_id = stack.pop()
            if child_id in seen:
                continue
            seen.add(child_id)
            child = await Session.load(child_id, backend)
            if child is not None:
                found.append(child)
                stack.extend(child.child_ids)
        return found

    async def save(self, store: Store | None = None) -> list[SessionEvent]:
        """Append what the store has not seen yet: new events and a metadata patch if needed.

        Saving to a store other than the one the session came from copies its whole log there and
        binds the session to that store. Returns the events of other writers that the save found
        appended meanwhile and took in (placed before this session's own new events).
        """
        async with self._lock():
            return await self._save(store)

    def _drop_refused(self, refused: RecordFormatError, pending: list[SessionEvent], count: int) -> None:
        """Remove the unsaved event a store refused, so the session stays writable (a metadata patch
        refused stays: the caller has to correct the metadata it set)."""
        first_event = count - len(pending)
        if refused.index is not None and refused.index >= first_event:
            event = pending[refused.index - first_event]
            self.events.remove(event)
            log.warning("session %s: an event was refused by the store and dropped: %s", self.id, refused)

    async def _save(self, store: Store | None) -> list[SessionEvent]:
        store = resolve_store(store) if store is not None else None
        if store is not None and self.book.store is not None and store is not self.book.store:
            self.book.store = store
            self.forget_store()
        if self.book.store is None:
            self.book.store = resolve_store(store)
        pending, records, current = self.pending_records()
        if not records:
            return []
        previous = self.last_seq
        try:
            last = await self.book.store.append(self.id, records)
        except RecordFormatError as refused:  # nothing was written; the event cannot be: drop it
            self._drop_refused(refused, pending, len(records))
            raise
        except BaseException:
            self.book.uncertain = True
            raise
        if self._settle_in_order(pending, len(records), current, previous, last):
            return []
        return await self._read_back_seqs(pending, records, current, previous, last)

    async def append_and_save(self, events: Sequence[SessionEvent]) -> list[SessionEvent]:
        """Append ``events`` and save them: :meth:`append_event` for each, then :meth:`save`, in
        one step (what a manager's turn does).

        When the session had nothing else unsaved (no other event, no metadata change) only these
        events' records are built and appended, without looking at the rest of the session;
        otherwise, and on any refusal, this is exactly the two calls above. Returns what
        :meth:`save` returns.
        """
        lock = self._lock()
        await lock.acquire()  # as ``async with``, two coroutines fewer on every turn
        try:
            book = self.book
            store = book.store
            fast = (
                store is not None
                and not book.uncertain
                and book.persisted_meta is not None
                and book.checked == len(self.events)
                and book.meta_key == self._meta_key()
            )
            for event in events:
                self.append_event(event)
            if not fast or store is None or not events:
                return await self._save(None)
            try:
                records = [event.encoded_record() for event in events]
            except RecordFormatError:  # refused the usual way: the refused event is dropped
                return await self._save(None)
            previous = book.last_seq
            try:
                last = await store.append(self.id, records)
            except RecordFormatError:  # nothing was written: the usual way names and drops it
                return await self._save(None)
            except BaseException:
                book.uncertain = True
                raise
            meta = book.persisted_meta
            assert meta is not None
            if self._settle_in_order(events, len(records), meta, previous, last):
                return []
            return await self._read_back_seqs(list(events), records, meta, previous, last)
        finally:
            lock.release()

    async def _read_back_seqs(
        self,
        pending: list[SessionEvent],
        records: list[dict[str, Any]],
        current: dict[str, Any],
        previous: int,
        last: int,
    ) -> list[SessionEvent]:
        """After ``records`` (``pending``'s, after any metadata record) were appended and
        :meth:`_settle_in_order` did not apply (duplicates were skipped or another writer appended):
        read the events' seqs back, take in what other writers appended meanwhile, and note what the
        store holds."""
        assert self.book.store is not None
        others: list[SessionEvent] = []
        stored = await self.book.store.load(self.id, previous)
        ours = {str(r.get("id")) for r in records}
        seqs = {str(r.record.get("id")): r.seq for r in stored}
        for event in pending:
            event.seq = seqs.get(event.id)
        self.book.uncertain = False
        foreign = [r for r in stored if str(r.record.get("id")) not in ours]
        self.book.persisted_meta, self.book.meta_key = current, None
        if foreign:  # take in the other writers' records (before ours), as refresh() would
            others = self.fold(foreign)
            current = meta_view(self)
        self.mark_stored(current, last)
        return others

    def _settle_in_order(
        self, pending: Sequence[SessionEvent], count: int, current: dict[str, Any], previous: int, last: int
    ) -> bool:
        """Settle an append in its usual case, without awaiting: when the store put exactly the
        ``count`` records after ``previous``, ``pending`` (the last of them) take the seqs up to
        ``last``. ``False`` (nothing done) otherwise: then :meth:`_read_back_seqs`."""
        if self.book.uncertain or last != previous + count:
            return False
        for offset, event in enumerate(pending, start=last - len(pending) + 1):
            set_field(event, "seq", offset)
        self.mark_stored(current, last)
        return True
