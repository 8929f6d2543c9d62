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

import copy
from typing import Any, Unpack

from pydantic_core import to_jsonable_python

from ..._optional import require

require("agents")

from agents.memory.session_settings import SessionSettings, resolve_session_limit  # noqa: E402

from ...core.events import SessionEvent, chat_message_event  # noqa: E402
from ...core.messages import ChatMessage, ImagePart, TextPart  # noqa: E402
from ...core.projection import ConversationView  # noqa: E402
from ...core.usage import TokenSummary, TokenUsage  # noqa: E402
from ...errors import UsageError  # noqa: E402
from ...storage.base import Store  # noqa: E402
from ...storage.session import Session  # noqa: E402
from ..importers import group_openai_agents_items  # noqa: E402
from ._viewed import HistoryAdapter, HistoryOptions  # noqa: E402

__all__ = ["ITEMS_KEY", "PENDING_KEY", "OpenAIAgentsSession", "message_items"]

ITEMS_KEY = "openai_agents_items"
"""Key of an event's metadata holding the Agents SDK items its message was made from."""
PENDING_KEY = "openai_agents_pending"
"""Key of the session's state holding items that make no message yet."""
SESSION_KEY = "openai_agents_session_id"
"""Property naming the SDK's session id (the store's id is its escaped form)."""

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
            elif isinstance(part, ImagePart):
                parts.append({"type": "input_image", "image_url": part.url, "detail": part.detail})
            else:  # the Responses API takes audio as a file input
                parts.append(
                    {"type": "input_file", "file_data": part.data, "filename": f"audio.{part.format}"}
                )
        items.append({"role": message.role, "content": parts})
    elif message.content is not None and (message.text or not message.tool_calls):
        items.append({"role": message.role, "content": message.text})
    for call in message.tool_calls:
        items.append(
            {"type": "function_call", "call_id": call.id, "name": call.name, "arguments": call.arguments_json}
        )
    return items


def _events_of(items: list[Item]) -> tuple[list[SessionEvent], list[Item]]:
    """The events ``items`` make (each keeping its items), and the items that make no message yet."""
    events: list[SessionEvent] = []
    pending: list[Item] = []
    for message, raw in group_openai_agents_items(items):
        group = [dict(i) for i in raw]
        if message is None:
            pending = group
        else:
            events.append(chat_message_event(message, metadata={ITEMS_KEY: group}))
    return events, pending


class OpenAIAgentsSession(HistoryAdapter):
    """The Agents SDK's session protocol (``get_items``, ``add_items``, ``pop_item``,
    ``clear_session``) over a sessionforge session.

    Args: those of :class:`HistoryAdapter`, and ``session_settings``, the SDK's settings (a default
    ``limit`` for ``get_items``).
    """

    face = "openai_agents"
    key_property = SESSION_KEY

    def __init__(
        self,
        session_id: str,
        store: Store | None = None,
        *,
        session_settings: SessionSettings | None = None,
        **options: Unpack[HistoryOptions],
    ) -> None:
        super().__init__(session_id, store, **options)
        self.session_settings = session_settings
        self._usage_seen: tuple[int, int, int] = (0, 0, 0)  # (id of the run context, input, output)

    # ---- the SDK's protocol ------------------------------------------------------------------------

    async def get_items(self, limit: int | None = None, *, wrapper: Any = None) -> list[Item]:
        """The current view as items, oldest first; with ``limit``, the newest ``limit`` of them."""
        async with self._log.opened() as (session, view):
            items = self._items(session, view)
        limit = resolve_session_limit(limit, self.session_settings)
        if limit is not None:
            items = items[-limit:] if limit > 0 else []
        return items

    async def add_items(self, items: list[Any], *, wrapper: Any = None) -> None:
        """Append ``items``: one event per message they make, each keeping its items."""
        if not items:
            return
        plain = [_plain(item) for item in items]
        async with self._log.opened() as (session, _):
            events, pending = _events_of([*_pending(session), *plain])
            usage = self._run_usage(wrapper)
            replies = [
                e for e in events if isinstance(e.message, ChatMessage) and e.message.role == "assistant"
            ]
            if usage is not None and replies:
                replies[-1].token_usage = usage
            _set_pending(session, pending)
            await self._log.append(events, compact=True)

    async def pop_item(self, *, wrapper: Any = None) -> Item | None:
        """Take the newest item out of the view (a record of the new view is appended)."""
        async with self._log.opened() as (session, view):
            pending = _pending(session)
            if pending:
                item = pending.pop()
                _set_pending(session, pending)
                await self._log.append([])
                return item
            ids = view.view_event_ids()
            items = self._event_items(view, ids[-1]) if ids else []
            if not items:
                return None
            events, rest = _events_of(items[:-1])
            _set_pending(session, rest)
            await self._log.set_view([*ids[:-1], *(e.id for e in events)], "pop_item", events)
            return items[-1]

    async def clear_session(self, *, wrapper: Any = None) -> None:
        """Empty the view (the history stays in the store; a record of the empty view is appended)."""
        async with self._log.opened() as (session, view):
            had_pending = bool(_pending(session))
            _set_pending(session, [])
            if view.view_event_ids():
                await self._log.set_view([], "clear_session")
            elif had_pending:
                await self._log.append([])

    # ---- beyond the protocol ----------------------------------------------------------------------

    compact = HistoryAdapter._compact
    undo_compaction = HistoryAdapter._undo_compaction

    async def fork(self, new_session_id: str | None = None) -> OpenAIAgentsSession:
        """A new session sharing this one's history so far (one appended record, whatever its length)."""
        child = await self._fork(new_session_id)
        child.session_settings = self.session_settings
        return child

    async def token_summary(self) -> TokenSummary:
        """Tokens and cost of the model calls recorded in the session."""
        async with self._log.opened() as (session, _):
            return session.token_summary

    async def view_tokens(self) -> int:
        """Tokens of the current view sent as one request (exact for OpenAI models)."""
        async with self._log.opened() as (_, view):
            return view.request_tokens()

    # ---- internals ----------------------------------------------------------------------------------

    def _items(self, session: Session, view: ConversationView) -> list[Item]:
        items: list[Item] = []
        if view.system_prompt is not None:
            items.append({"role": "system", "content": view.system_prompt})
        for event_id in view.view_event_ids():
            items.extend(self._event_items(view, event_id))
        items.extend(_pending(session))
        return items

    def _event_items(self, view: ConversationView, event_id: str) -> list[Item]:
        event = self._log.event(event_id)
        raw = event.metadata.get(ITEMS_KEY) if event is not None else None
        if isinstance(raw, list):
            return copy.deepcopy(raw)
        return [item for message in view.messages_of([event_id]) for item in message_items(message)]

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
        return f"OpenAIAgentsSession(session_id={self.session_id!r}, stored_id={self.stored_id!r})"


def _pending(session: Session) -> list[Item]:
    return copy.deepcopy(list(session.state.get(PENDING_KEY) or []))


def _set_pending(session: Session, pending: list[Item]) -> None:
    if pending:
        session.state[PENDING_KEY] = pending
    else:
        session.state.pop(PENDING_KEY, None)


def _refuse(value: object) -> Any:
    raise UsageError(f"an Agents SDK item holds a {type(value).__name__}, which JSON cannot store")


def _plain(item: Any) -> Item:
    """An item as plain JSON (the SDK may hand over models); anything else is refused."""
    value = to_jsonable_python(item, fallback=_refuse)
    if not isinstance(value, dict):
        raise UsageError(f"an Agents SDK item must be a mapping, got {type(item).__name__}")
    return value
