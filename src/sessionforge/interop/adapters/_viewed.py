"""What the history adapters share: a stored session and its view, kept current between calls.

A framework's history object (the Agents SDK's session, LangChain's message history) is long-lived and
may be shared with other processes. :class:`ViewedSession` holds the sessionforge session and its
:class:`~sessionforge.core.projection.ConversationView`; each operation first takes in what other
writers appended (O(new records)), then appends its own events in one save (compacting first when the
view passes ``max_tokens``), and a failed save leaves the session as it was.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, ClassVar, Self, TypedDict, Unpack

from ...context.compaction import plan_compaction, plan_undo, record_event
from ...context.compactors import Compactor
from ...core.events import SessionEvent
from ...core.projection import ConversationView, prompt_message
from ...core.session import SYSTEM_PROMPT
from ...core.tokens import counter_for_model
from ...core.views import CompactionRecord
from ...errors import SessionforgeError, UsageError
from ...storage.base import Store
from ...storage.config import resolve_store
from ...storage.forks import fork as fork_stored
from ...storage.session import Session
from ._keys import escape_key

__all__ = ["FACE", "HistoryAdapter", "HistoryOptions", "ViewOptions", "ViewedSession"]

FACE = "face"
"""The property naming which face or adapter created a session (shown by the CLI and inspector)."""


class ViewedSession:
    """One stored session seen through its view, for an adapter whose key is ``key``.

    ``face`` and ``key_property`` are recorded in the properties of a session this creates; a stored
    session whose ``key_property`` names another key is refused (the escaped id is one-to-one, its
    hashed long form is checked this way).
    """

    def __init__(
        self,
        key: str,
        store: Store | None,
        *,
        face: str,
        key_property: str,
        **view: Unpack[ViewOptions],
    ) -> None:
        model, max_tokens = view.get("model"), view.get("max_tokens")
        compact_to = view.get("compact_to", 0.75)
        if max_tokens is not None and max_tokens <= 0:
            raise UsageError(f"max_tokens must be a positive number of tokens, got {max_tokens}")
        if not 0 < compact_to <= 1:
            raise UsageError(f"compact_to must be in (0, 1], got {compact_to}")
        self.key = key
        self.stored_id = escape_key(key)
        self.face = face
        self.key_property = key_property
        self.model = model
        self.max_tokens = max_tokens
        self.compactor = view.get("compactor")
        self.compact_to = compact_to
        self._store = store
        self._counter = counter_for_model(model)
        self._session: Session | None = None
        self._view: ConversationView | None = None
        self._events: dict[str, SessionEvent] = {}
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def opened(self) -> AsyncIterator[tuple[Session, ConversationView]]:
        """The session, with what other writers appended taken in, held for one operation."""
        async with self._lock:
            yield await self._catch_up()

    def options(self) -> ViewOptions:
        """The settings of this view, as a new one over a fork takes them."""
        return ViewOptions(
            model=self.model, max_tokens=self.max_tokens, compactor=self.compactor, compact_to=self.compact_to
        )

    def event(self, event_id: str) -> SessionEvent | None:
        return self._events.get(event_id)

    async def append(
        self, events: Sequence[SessionEvent], *, compact: bool = False, system_prompt: str | None = None
    ) -> None:
        """Append ``events`` (inside :meth:`opened`) and, with ``compact``, a compaction if the view
        then passes ``max_tokens``, in one save; ``system_prompt`` becomes the session's in the same
        save. A failed save leaves the session as it was."""
        assert self._session is not None and self._view is not None
        session, view = self._session, self._view
        kept, state = len(session.events), copy.deepcopy(session.state)
        properties = dict(session.metadata.properties)
        if system_prompt is not None:
            session.metadata.properties[SYSTEM_PROMPT] = system_prompt
            view.set_system(prompt_message(session, system_prompt))
        for event in events:
            session.append_event(event)
        self._take(events)
        if compact and self.max_tokens is not None and view.request_tokens() > self.max_tokens:
            plan = plan_compaction(view, int(self.max_tokens * self.compact_to), self.compactor)
            for event in plan.events:
                session.append_event(event)
            self._take(plan.events)
        try:
            others = await session.save()
        except BaseException:
            session.drop_unsaved(kept)
            session.state = state
            session.metadata.properties = properties
            self._rebuild()
            raise
        if others:  # other writers' events went in before ours: fold the view again
            self._rebuild()

    async def set_view(self, event_ids: list[str], action: str, events: Sequence[SessionEvent] = ()) -> None:
        """Append ``events`` and a record making ``event_ids`` the view (inside :meth:`opened`)."""
        record = CompactionRecord(action="view", view=event_ids, compactor=action)
        await self.append([*events, record_event(record)])

    async def compact(self, target_tokens: int | None, compactor: Compactor | None) -> CompactionRecord:
        """Compact the view to ``target_tokens`` (default ``max_tokens``); nothing leaves the store."""
        target = target_tokens if target_tokens is not None else self.max_tokens
        if target is None:
            raise UsageError("compact() needs target_tokens when the session has no max_tokens")
        async with self.opened() as (_, view):
            plan = plan_compaction(view, target, compactor or self.compactor)
            await self.append(plan.events)
            return plan.record

    async def undo_compaction(self) -> CompactionRecord | None:
        """Restore the view from before the latest compaction in force (keeping everything since)."""
        async with self.opened() as (_, view):
            record = plan_undo(view)
            if record is not None:
                await self.append([record_event(record)])
            return record

    async def fork(self, new_key: str | None) -> tuple[str, Store]:
        """Fork the stored session (one appended record); returns the fork's key and its store."""
        async with self.opened() as (session, _):
            backend = resolve_store(session.store)
            properties: dict[str, Any] | None = None
            if new_key is not None:
                properties = {FACE: self.face, self.key_property: new_key}
            child = await fork_stored(
                session.id,
                store=backend,
                new_session_id=escape_key(new_key) if new_key is not None else None,
                metadata=properties,
            )
        return new_key or child, backend

    # ---- internals ----------------------------------------------------------------------------------

    async def _catch_up(self) -> tuple[Session, ConversationView]:
        if self._session is not None and self._view is not None:
            added = await self._session.refresh()
            if added is not None:
                self._take(added)
                return self._session, self._view
            self._session = None  # deleted or expired elsewhere: start again
        backend = resolve_store(self._store)
        session = await Session.load(self.stored_id, backend)
        if session is None:
            session = await Session.create_once(
                self.stored_id, metadata={FACE: self.face, self.key_property: self.key}, store=backend
            )
        named = session.metadata.properties.get(self.key_property)
        if named is not None and named != self.key:
            raise SessionforgeError(
                f"stored session {self.stored_id!r} belongs to {named!r}, not {self.key!r}"
            )
        self._session = session
        self._rebuild()
        assert self._view is not None
        return session, self._view

    def _rebuild(self) -> None:
        assert self._session is not None
        self._events = {e.id: e for e in self._session.events}
        session = self._session
        self._view = ConversationView(
            self._counter, session.events, system=prompt_message(session, session.system_prompt)
        )

    def _take(self, events: Sequence[SessionEvent]) -> None:
        assert self._view is not None
        for event in events:
            self._events[event.id] = event
        self._view.extend(events)


class ViewOptions(TypedDict, total=False):
    """How a :class:`ViewedSession` counts and compacts its view (see :class:`HistoryAdapter`)."""

    model: str | None
    max_tokens: int | None
    compactor: Compactor | None
    compact_to: float


class HistoryOptions(ViewOptions, total=False):
    """The keywords of :class:`HistoryAdapter` after the session id and the store."""

    provider: str


class HistoryAdapter:
    """What a framework's history object over a :class:`ViewedSession` is built from: its settings,
    its log, and a fork that is the same kind of object with the same settings.

    Args:
        session_id: the framework's session id, any text (stored under an escaped id, see
            :mod:`._keys`; a plain id such as ``user-42`` is the stored session's id too, so other
            faces open it).
        store: where the session lives; the default store otherwise.
        model: the model whose tokenizer counts the view, and whose price recorded usage gets.
        provider: the provider that prices ``model``.
        max_tokens: compact the view when it passes this many tokens (truncation unless a
            ``compactor`` is given); ``None`` never compacts on its own.
        compactor: how to compact (any sessionforge compactor).
        compact_to: after an automatic compaction the view is at most this share of ``max_tokens``.
    """

    face: ClassVar[str]
    """Recorded in the properties of a session the adapter creates."""
    key_property: ClassVar[str]
    """The property naming the framework's session id."""

    def __init__(
        self,
        session_id: str,
        store: Store | None = None,
        *,
        provider: str = "openai",
        **view: Unpack[ViewOptions],
    ) -> None:
        self.session_id = session_id
        self.provider = provider
        self._store = store
        self._log = ViewedSession(session_id, store, face=self.face, key_property=self.key_property, **view)

    @property
    def model(self) -> str | None:
        """The model whose tokenizer counts the view, and whose price recorded usage gets."""
        return self._log.model

    @property
    def stored_id(self) -> str:
        """The id of the stored session (``session_id`` escaped for the store)."""
        return self._log.stored_id

    async def _compact(
        self, target_tokens: int | None = None, compactor: Compactor | None = None
    ) -> CompactionRecord:
        """Compact the view to ``target_tokens`` (default ``max_tokens``); nothing leaves the store."""
        return await self._log.compact(target_tokens, compactor)

    async def _undo_compaction(self) -> CompactionRecord | None:
        """Restore the view from before the latest compaction in force (keeping everything since)."""
        return await self._log.undo_compaction()

    async def _fork(self, new_session_id: str | None) -> Self:
        """The same kind of object, with the same settings, on a fork of this session (sharing
        everything so far, one appended record)."""
        key, backend = await self._log.fork(new_session_id)
        return type(self)(key, backend, provider=self.provider, **self._log.options())
