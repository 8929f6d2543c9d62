"""A LangChain ``BaseChatMessageHistory`` over any sessionforge store.

``RunnableWithMessageHistory(chain, lambda sid: SessionforgeChatMessageHistory(sid, store=store))``
keeps each conversation as an ordinary sessionforge session, with token counts, costs (from an
``AIMessage``'s ``usage_metadata``), compaction and forks, readable by every face, the command line
and the inspector.

One mapping: LangChain messages are read by the importer's reader
(:func:`~sessionforge.interop.importers.from_langchain` over ``messages_to_dict``), and each event keeps
the message's own dict (``LANGCHAIN_KEY`` in its metadata), so LangChain gets back exactly what it
stored (ids, ``additional_kwargs``, ``response_metadata``). Messages written by other faces become
LangChain messages through :func:`to_langchain`.

``messages`` is the session's current view: after a compaction the chain is given the compacted
conversation. ``clear()`` appends a record of an empty view; nothing leaves the store.
"""

from __future__ import annotations

from collections.abc import Coroutine, Sequence
from typing import Any, TypeVar, Unpack

from ..._optional import require

require("langchain_core")

from langchain_core.chat_history import BaseChatMessageHistory  # noqa: E402
from langchain_core.messages import (  # noqa: E402
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
    messages_from_dict,
    messages_to_dict,
)

from ...core.events import SessionEvent, chat_message_event  # noqa: E402
from ...core.messages import ChatMessage, ImagePart, TextPart  # noqa: E402
from ...core.projection import ConversationView  # noqa: E402
from ...core.usage import TokenUsage  # noqa: E402
from ...storage.base import Store  # noqa: E402
from ...storage.config import run_blocking  # noqa: E402
from ..importers import from_langchain  # noqa: E402
from ._viewed import HistoryAdapter, HistoryOptions  # noqa: E402

__all__ = ["LANGCHAIN_KEY", "SessionforgeChatMessageHistory", "from_langchain_messages", "to_langchain"]

LANGCHAIN_KEY = "langchain_message"
"""Key of an event's metadata holding the LangChain message (``messages_to_dict`` form) it came from."""
SESSION_KEY = "langchain_session_id"

T = TypeVar("T")


def to_langchain(message: ChatMessage) -> BaseMessage:
    """A message as LangChain's: the writer paired with the importer's reader."""
    content: str | list[str | dict[str, Any]]
    if isinstance(message.content, list):
        content = [
            {"type": "text", "text": p.text}
            if isinstance(p, TextPart)
            else {"type": "image_url", "image_url": {"url": p.url, "detail": p.detail}}
            for p in message.content
            if isinstance(p, (TextPart, ImagePart))
        ]
    else:
        content = message.text
    if message.role == "system":
        return SystemMessage(content=content)
    if message.role == "user":
        return HumanMessage(content=content)
    if message.role == "tool":
        return ToolMessage(content=content, tool_call_id=message.tool_call_id or "", name=message.name)
    calls = [
        {"id": c.id, "name": c.name, "args": c.arguments, "type": "tool_call"} for c in message.tool_calls
    ]
    return AIMessage(content=content, tool_calls=calls)


def _usage(message: BaseMessage, model: str | None, provider: str) -> TokenUsage | None:
    """The usage LangChain reports with a reply (``usage_metadata``), priced for its model."""
    if not isinstance(message, AIMessage) or not message.usage_metadata:
        return None
    meta = message.response_metadata or {}
    name = str(meta.get("model_name") or meta.get("model") or model or "")
    reported = message.usage_metadata
    return TokenUsage.of(reported["input_tokens"], reported["output_tokens"], model=name, provider=provider)


def from_langchain_messages(
    messages: Sequence[BaseMessage], *, model: str | None = None, provider: str = "openai"
) -> list[SessionEvent]:
    """The events that store ``messages``: each keeps its LangChain dict and the usage it reports."""
    dicts = messages_to_dict(messages)
    events: list[SessionEvent] = []
    for original, raw, message in zip(messages, dicts, from_langchain(dicts), strict=True):
        event = chat_message_event(message, metadata={LANGCHAIN_KEY: raw})
        event.token_usage = _usage(original, model, provider)
        events.append(event)
    return events


class SessionforgeChatMessageHistory(HistoryAdapter, BaseChatMessageHistory):
    """LangChain chat history stored as a sessionforge session (arguments: :class:`HistoryAdapter`;
    ``model`` also prices replies whose metadata names no model)."""

    face = "langchain"
    key_property = SESSION_KEY

    def __init__(
        self, session_id: str, store: Store | None = None, **options: Unpack[HistoryOptions]
    ) -> None:
        super().__init__(session_id, store, **options)
        self._built: dict[str, tuple[BaseMessage, ...]] = {}

    # ---- LangChain's interface ----------------------------------------------------------------------

    @property
    def messages(self) -> list[BaseMessage]:  # type: ignore[override]
        """The conversation as the model gets it now (compaction records applied)."""
        return self._blocking(self.aget_messages())

    async def aget_messages(self) -> list[BaseMessage]:
        """The view as LangChain messages: each event's built once, then handed out as copies."""
        async with self._log.opened() as (_, view):
            out: list[BaseMessage] = []
            system = view.messages()[:1] if view.system_prompt is not None else []
            out.extend(to_langchain(m) for m in system)
            built = self._built
            for event_id in view.view_event_ids():
                messages = built.get(event_id)
                if messages is None:
                    messages = built[event_id] = self._build(view, event_id)
                # Shallow copies: a caller that sets a field of a message it was given changes
                # its copy, not what the next call returns (which matches the store).
                out.extend(message.model_copy() for message in messages)
            return out

    def _build(self, view: ConversationView, event_id: str) -> tuple[BaseMessage, ...]:
        """The LangChain messages of one stored event: the dict it was stored from, if it has one.

        An event never changes once stored, so this runs once per event: building a LangChain
        message (pydantic validation, tool-call checks) costs several times a copy of it.
        """
        event = self._log.event(event_id)
        raw = event.metadata.get(LANGCHAIN_KEY) if event is not None else None
        if isinstance(raw, dict):
            return tuple(messages_from_dict([raw]))
        return tuple(to_langchain(m) for m in view.messages_of([event_id]))

    def add_messages(self, messages: Sequence[BaseMessage]) -> None:
        self._blocking(self.aadd_messages(messages))

    async def aadd_messages(self, messages: Sequence[BaseMessage]) -> None:
        """Append one event per message (compacting first when the view passes ``max_tokens``)."""
        events = from_langchain_messages(messages, model=self.model, provider=self.provider)
        if events:
            async with self._log.opened():
                await self._log.append(events, compact=True)

    def clear(self) -> None:
        self._blocking(self.aclear())

    async def aclear(self) -> None:
        """Empty the view; the messages stay in the store (a record of the empty view is appended)."""
        async with self._log.opened() as (_, view):
            if view.view_event_ids():
                await self._log.set_view([], "clear")

    # ---- beyond LangChain's interface ---------------------------------------------------------------

    acompact = HistoryAdapter._compact
    aundo_compaction = HistoryAdapter._undo_compaction

    async def afork(self, new_session_id: str | None = None) -> SessionforgeChatMessageHistory:
        """A history on a fork of this one (sharing everything so far, one appended record)."""
        return await self._fork(new_session_id)

    def _blocking(self, call: Coroutine[Any, Any, T]) -> T:
        return run_blocking(call, self._store, async_name="the a-prefixed twin")

    def __repr__(self) -> str:
        return f"SessionforgeChatMessageHistory(session_id={self.session_id!r})"
