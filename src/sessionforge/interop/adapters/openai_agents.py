"""An OpenAI Agents SDK ``Session`` over any sessionforge store.

``Runner.run(agent, input, session=OpenAIAgentsSession("user-42", store=open_store(url)))`` keeps the
agent's history in SQLite, Redis or PostgreSQL as an ordinary sessionforge session: every face, the
command line and the inspector read it, and it gets sessionforge's token counts, costs, compaction and
forks.

The SDK speaks in Responses API input items. One mapping turns them into events:
:func:`~sessionforge.interop.importers.group_openai_agents_items` (the reader the importer uses) makes
the messages, and each message's event keeps the items it was made from (``ITEMS_KEY`` in the event's
metadata), so the SDK gets back exactly what it stored: ids, reasoning items and all. Messages written
by other faces (or a compactor's summary) become items through :func:`message_items`.

Nothing is ever removed from the store. ``get_items`` returns the session's current view (compaction
records applied); ``pop_item`` and ``clear_session`` append a record of the new view, as a compaction
does, so the history stays whole for export, audit and ``undo_compaction``. Items that make no message
yet (a reasoning item at the end of a batch) wait in the session's state until their message arrives.

Each call first takes in what other processes appended (O(new records)), so two processes can
continue one session. When the Runner passes its run context (``wrapper``), the tokens the run used
since the previous ``add_items`` are recorded with the newest reply, priced for ``model``.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from pydantic_core import to_jsonable_python

from ..._optional import require

require("agents")

from agents.memory.session_settings import SessionSettings, resolve_session_limit  # noqa: E402

from ...context.compaction import plan_compaction, plan_undo, record_event  # noqa: E402
from ...context.compactors import Compactor  # noqa: E402
from ...core.events import SessionEvent, chat_message_event  # noqa: E402
from ...core.messages import ChatMessage, ImagePart, TextPart  # noqa: E402
from ...core.projection import ConversationView  # noqa: E402
from ...core.tokens import counter_for_model  # noqa: E402
from ...core.usage import TokenSummary, TokenUsage  # noqa: E402
from ...core.views import CompactionRecord  # noqa: E402
from ...errors import SessionforgeError, UsageError  # noqa: E402
from ...storage.base import Store  # noqa: E402
from ...storage.config import resolve_store  # noqa: E402
from ...storage.forks import fork as fork_stored  # noqa: E402
from ...storage.session import Session  # noqa: E402
from ..importers import group_openai_agents_items  # noqa: E402
from ._keys import escape_key  # noqa: E402

__all__ = ["ITEMS_KEY", "PENDING_KEY", "OpenAIAgentsSession", "message_items"]

ITEMS_KEY = "openai_agents_items"
"""Key of an event's metadata holding the Agents SDK items its message was made from."""
PENDING_KEY = "openai_agents_pending"
"""Key of the session's state holding items that make no message yet."""
SESSION_KEY = "openai_agents_session_id"
"""Property naming the SDK's session id (the store's id is its escaped form)."""
FACE = "face"

Item = dict[str, Any]


def message_items(message: ChatMessage) -> list[Item]:
    """A message as Responses API input items: the writer paired with the importer's reader."""
    if message.role == "tool":
        return [{"type": "function_call_output", "call_id": message.tool_call_id, "output": message.text}]
    items: list[Item] = []
    if isinstance(message.content, list) and any(isinstance(p, ImagePart) for p in message.content):
        parts: list[Item] = []
        for part in message.content:
            if isinstance(part, TextPart):
                parts.append({"type": "input_text", "text": part.text})
            else:
                parts.append({"type": "input_image", "image_url": part.url, "detail": part.detail})
        items.append({"role": message.role, "content": parts})
    elif message.content is not None and (message.text or not message.tool_calls):
        items.append({"role": message.role, "content": message.text})
    for call in message.tool_calls:
        items.append(
            {"type": "function_call", "call_id": call.id, "name": call.name, "arguments": call.arguments_json}
        )
    return items


class OpenAIAgentsSession:
    """The Agents SDK's session protocol (``get_items``, ``add_items``, ``pop_item``,
    ``clear_session``) over a sessionforge session.

    Args:
        session_id: the SDK's session id, any text (stored under an escaped id, see :mod:`._keys`;
            a plain id such as ``user-42`` is the stored session's id too, so other faces open it).
        store: where the session lives; the default store otherwise.
        model: the model whose tokenizer counts the view, and whose price the recorded usage gets.
        max_tokens: compact the view when it passes this many tokens (needs no ``compactor``:
            truncation by default); ``None`` never compacts on its own.
        compactor: how to compact (any sessionforge compactor).
        compact_to: after an automatic compaction the view is at most this share of ``max_tokens``.
        session_settings: the SDK's settings (a default ``limit`` for ``get_items``).
    """

    def __init__(
        self,
        session_id: str,
        store: Store | None = None,
        *,
        model: str | None = None,
        provider: str = "openai",
        max_tokens: int | None = None,
        compactor: Compactor | None = None,
        compact_to: float = 0.75,
        session_settings: SessionSettings | None = None,
    ) -> None:
        if max_tokens is not None and max_tokens <= 0:
            raise UsageError(f"max_tokens must be a positive number of tokens, got {max_tokens}")
        if not 0 < compact_to <= 1:
            raise UsageError(f"compact_to must be in (0, 1], got {compact_to}")
        self.session_id = session_id
        self.session_settings = session_settings
        self.model = model
        self.provider = provider
        self.max_tokens = max_tokens
        self.compactor = compactor
        self.compact_to = compact_to
        self._key = escape_key(session_id)
        self._store = store
        self._counter = counter_for_model(model)
        self._session: Session | None = None
        self._view: ConversationView | None = None
        self._events: dict[str, SessionEvent] = {}
        self._lock = asyncio.Lock()
        self._usage_seen: tuple[int, int, int] = (0, 0, 0)  # (id of the run context, input, output)

    # ---- the SDK's protocol ------------------------------------------------------------------------

    async def get_items(self, limit: int | None = None, *, wrapper: Any = None) -> list[Item]:
        """The current view as items, oldest first; with ``limit``, the newest ``limit`` of them."""
        async with self._opened() as (session, view):
            items = self._items(session, view)
        limit = resolve_session_limit(limit, self.session_settings)
        if limit is not None:
            items = items[-limit:] if limit > 0 else []
        return items

    async def add_items(self, items: list[Any], *, wrapper: Any = None) -> None:
        """Append ``items``: one event per message they make, each keeping its items."""
        if not items:
            return
        plain = [self._plain(item) for item in items]
        async with self._opened() as (session, view):
            pending: list[Item] = list(session.state.get(PENDING_KEY) or [])
            events: list[SessionEvent] = []
            for message, raw in group_openai_agents_items(plain):
                group = [*pending, *(dict(i) for i in raw)]
                pending = []
                if message is None:
                    pending = group
                else:
                    events.append(chat_message_event(message, metadata={ITEMS_KEY: group}))
            usage = self._run_usage(wrapper)
            if usage is not None:
                replies = [e for e in events if isinstance(e.message, ChatMessage) and e.message.role == "assistant"]
                if replies:
                    replies[-1].token_usage = usage
            self._set_pending(session, pending)
            await self._append(session, view, events, compact=True)

    async def pop_item(self, *, wrapper: Any = None) -> Item | None:
        """Take the newest item out of the view (a record of the new view is appended)."""
        async with self._opened() as (session, view):
            pending: list[Item] = list(session.state.get(PENDING_KEY) or [])
            if pending:
                item = pending.pop()
                self._set_pending(session, pending)
                await self._append(session, view, [])
                return item
            ids = view.view_event_ids()
            if not ids:
                return None
            items = self._event_items(view, ids[-1])
            if not items:
                return None
            item, rest = items[-1], items[:-1]
            events: list[SessionEvent] = []
            for message, raw in group_openai_agents_items(rest):
                if message is None:
                    self._set_pending(session, [dict(i) for i in raw])
                else:
                    events.append(chat_message_event(message, metadata={ITEMS_KEY: [dict(i) for i in raw]}))
            record = CompactionRecord(
                action="view", view=[*ids[:-1], *(e.id for e in events)], compactor="pop_item"
            )
            await self._append(session, view, [*events, record_event(record)])
            return item

    async def clear_session(self, *, wrapper: Any = None) -> None:
        """Empty the view (the history stays in the store; a record of the empty view is appended)."""
        async with self._opened() as (session, view):
            events = []
            if view.view_event_ids():
                events.append(record_event(CompactionRecord(action="view", compactor="clear_session")))
            self._set_pending(session, [])
            await self._append(session, view, events)

    # ---- beyond the protocol ----------------------------------------------------------------------

    async def compact(self, target_tokens: int | None = None, compactor: Compactor | None = None) -> CompactionRecord:
        """Compact the view to ``target_tokens`` (default ``max_tokens``); nothing leaves the store."""
        target = target_tokens if target_tokens is not None else self.max_tokens
        if target is None:
            raise UsageError("compact() needs target_tokens when the session has no max_tokens")
        async with self._opened() as (session, view):
            plan = plan_compaction(view, target, compactor or self.compactor)
            await self._append(session, view, plan.events)
            return plan.record

    async def undo_compaction(self) -> CompactionRecord | None:
        """Restore the view from before the latest compaction in force (keeping everything since)."""
        async with self._opened() as (session, view):
            record = plan_undo(view)
            if record is not None:
                await self._append(session, view, [record_event(record)])
            return record

    async def fork(self, new_session_id: str | None = None) -> OpenAIAgentsSession:
        """A new session sharing this one's history so far (one appended record, whatever its length)."""
        async with self._opened() as (session, _):
            backend = resolve_store(session.store)
            child = await fork_stored(
                session.id,
                store=backend,
                new_session_id=escape_key(new_session_id) if new_session_id else None,
                metadata={FACE: "openai_agents", SESSION_KEY: new_session_id} if new_session_id else None,
            )
        return OpenAIAgentsSession(
            new_session_id or child,
            backend,
            model=self.model,
            provider=self.provider,
            max_tokens=self.max_tokens,
            compactor=self.compactor,
            compact_to=self.compact_to,
            session_settings=self.session_settings,
        )

    async def token_summary(self) -> TokenSummary:
        """Tokens and cost the session's recorded model calls used."""
        async with self._opened() as (session, _):
            return session.token_summary

    async def view_tokens(self) -> int:
        """Tokens of the current view sent as one request (exact for OpenAI models)."""
        async with self._opened() as (_, view):
            return view.request_tokens()

    @property
    def stored_id(self) -> str:
        """The id of the stored session (``session_id`` escaped for the store)."""
        return self._key

    # ---- internals ----------------------------------------------------------------------------------

    @asynccontextmanager
    async def _opened(self) -> AsyncIterator[tuple[Session, ConversationView]]:
        """The session, with what other writers appended taken in, held for one operation."""
        async with self._lock:
            yield await self._catch_up()

    async def _catch_up(self) -> tuple[Session, ConversationView]:
        if self._session is not None and self._view is not None:
            added = await self._session.refresh()
            if added is not None:
                self._take(added)
                return self._session, self._view
            self._session = None  # deleted or expired elsewhere: start again
        backend = resolve_store(self._store)
        session = await Session.load(self._key, backend)
        if session is None:
            session = await Session.create_once(
                self._key, metadata={FACE: "openai_agents", SESSION_KEY: self.session_id}, store=backend
            )
        named = session.metadata.properties.get(SESSION_KEY)
        if named is not None and named != self.session_id:
            raise SessionforgeError(
                f"stored session {self._key!r} belongs to Agents session {named!r}, not {self.session_id!r}"
            )
        self._session = session
        self._rebuild()
        assert self._view is not None
        return session, self._view

    def _rebuild(self) -> None:
        assert self._session is not None
        self._events = {e.id: e for e in self._session.events}
        self._view = ConversationView(self._counter, self._session.events, system=self._session.system_prompt)

    def _take(self, events: Sequence[SessionEvent]) -> None:
        assert self._view is not None
        for event in events:
            self._events[event.id] = event
        self._view.extend(events)

    async def _append(
        self, session: Session, view: ConversationView, events: list[SessionEvent], *, compact: bool = False
    ) -> None:
        """Append ``events`` (and a compaction if the view then passes ``max_tokens``) in one save;
        a failed save leaves the session as it was."""
        kept = len(session.events)
        state = copy.deepcopy(session.state)
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
            self._rebuild()
            raise
        if others:  # other writers' events went in before ours: fold the view again
            self._rebuild()

    def _items(self, session: Session, view: ConversationView) -> list[Item]:
        items: list[Item] = []
        if view.system_prompt is not None:
            items.append({"role": "system", "content": view.system_prompt})
        for event_id in view.view_event_ids():
            items.extend(self._event_items(view, event_id))
        items.extend(copy.deepcopy(list(session.state.get(PENDING_KEY) or [])))
        return items

    def _event_items(self, view: ConversationView, event_id: str) -> list[Item]:
        event = self._events.get(event_id)
        raw = event.metadata.get(ITEMS_KEY) if event is not None else None
        if isinstance(raw, list):
            return copy.deepcopy(raw)
        return [item for message in view.messages_of([event_id]) for item in message_items(message)]

    @staticmethod
    def _set_pending(session: Session, pending: list[Item]) -> None:
        if pending:
            session.state[PENDING_KEY] = pending
        else:
            session.state.pop(PENDING_KEY, None)

    @staticmethod
    def _plain(item: Any) -> Item:
        """An item as plain JSON (the SDK may hand over models); anything else is refused."""
        value = to_jsonable_python(item, fallback=lambda v: _refuse(v))
        if not isinstance(value, dict):
            raise UsageError(f"an Agents SDK item must be a mapping, got {json.dumps(value)[:80]}")
        return value

    def _run_usage(self, wrapper: Any) -> TokenUsage | None:
        """The tokens the run behind ``wrapper`` used since the previous ``add_items`` of that run."""
        usage = getattr(wrapper, "usage", None)
        if usage is None:
            return None
        prompt, completion = int(getattr(usage, "input_tokens", 0)), int(getattr(usage, "output_tokens", 0))
        run, seen_prompt, seen_completion = self._usage_seen
        if run != id(wrapper):
            seen_prompt = seen_completion = 0
        self._usage_seen = (id(wrapper), prompt, completion)
        prompt, completion = prompt - seen_prompt, completion - seen_completion
        if prompt <= 0 and completion <= 0:
            return None
        return TokenUsage.of(prompt, completion, model=self.model or "", provider=self.provider)

    def __repr__(self) -> str:
        return f"OpenAIAgentsSession(session_id={self.session_id!r}, stored_id={self._key!r})"


def _refuse(value: object) -> Any:
    raise UsageError(f"an Agents SDK item holds a {type(value).__name__}, which JSON cannot store")

