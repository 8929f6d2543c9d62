"""Session events: what happened in a session, in order, with who said it and what it cost.

An event carries identity (``id``, and ``seq`` once the store has assigned it); the payload in
``message`` is a :class:`~sessionforge.core.messages.ChatMessage`, plain text (the session-manager
API's user and AI turns), or a JSON object (tool calls, summaries, compactions). :func:`as_chat_message`
is the one place that turns any event into the message a model sees.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .messages import ChatMessage, ToolCall
from .usage import TokenUsage

__all__ = [
    "EventSource",
    "EventType",
    "SessionEvent",
    "as_chat_message",
    "chat_message_event",
]


class EventSource(StrEnum):
    """Who produced an event."""

    USER = "user"
    LLM = "llm"
    SYSTEM = "system"


class EventType(StrEnum):
    """What kind of event it is."""

    MESSAGE = "message"
    TOOL_CALL = "tool_call"
    SUMMARY = "summary"
    REFERENCE = "reference"
    CONTEXT_BRIDGE = "context_bridge"
    COMPACTION = "compaction"
    SESSION_META = "session_meta"


def _now() -> datetime:
    return datetime.now(UTC)


def _new_id() -> str:
    return str(uuid.uuid4())


class SessionEvent(BaseModel):
    """One event of a session.

    ``seq`` is assigned by the store on append (``None`` until then): it orders events and makes a
    save idempotent, as an event already stored is never written twice.
    """

    model_config = ConfigDict(arbitrary_types_allowed=False, validate_assignment=False)

    id: str = Field(default_factory=_new_id)
    timestamp: datetime = Field(default_factory=_now)
    source: EventSource = EventSource.SYSTEM
    type: EventType = EventType.MESSAGE
    message: Any = None
    token_usage: TokenUsage | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    task_id: str | None = None
    seq: int | None = None

    @classmethod
    async def create_with_tokens(
        cls,
        message: Any,
        prompt: str,
        completion: str | None = None,
        model: str = "gpt-3.5-turbo",
        source: EventSource = EventSource.SYSTEM,
        type: EventType = EventType.MESSAGE,
        **extra: Any,
    ) -> SessionEvent:
        """An event whose ``token_usage`` is counted from ``prompt`` and ``completion``."""
        usage = await TokenUsage.from_text(prompt, completion, model)
        return cls(message=message, source=source, type=type, token_usage=usage, **extra)

    async def set_metadata(self, key: str, value: Any) -> None:
        self.metadata[key] = value

    async def get_metadata(self, key: str, default: Any = None) -> Any:
        return self.metadata.get(key, default)

    async def has_metadata(self, key: str) -> bool:
        return key in self.metadata

    async def remove_metadata(self, key: str) -> None:
        self.metadata.pop(key, None)

    # ---- persistence -------------------------------------------------------------------------------

    def to_record(self) -> dict[str, Any]:
        """The JSON-ready record a store persists (``seq`` is the store's, so it is left out)."""
        data = self.model_dump(mode="json", exclude={"seq", "message"})
        if isinstance(self.message, ChatMessage):
            data["chat"] = self.message.to_dict()
        else:
            data["message"] = self.message
        return data

    @classmethod
    def from_record(cls, record: dict[str, Any], seq: int | None = None) -> SessionEvent:
        """Inverse of :meth:`to_record`; raises ``pydantic.ValidationError`` or ``MessageFormatError``."""
        data = dict(record)
        chat = data.pop("chat", None)
        if chat is not None:
            data["message"] = ChatMessage.from_dict(chat)
        data["seq"] = seq
        return cls.model_validate(data)


def chat_message_event(message: ChatMessage, **extra: Any) -> SessionEvent:
    """The event that stores a ChatMessage (the ChatSession face persists through this)."""
    source = {
        "user": EventSource.USER,
        "assistant": EventSource.LLM,
        "system": EventSource.SYSTEM,
        "tool": EventSource.SYSTEM,
    }[message.role]
    kind = EventType.TOOL_CALL if message.role == "tool" else EventType.MESSAGE
    return SessionEvent(message=message, source=source, type=kind, **extra)


def as_chat_message(event: SessionEvent) -> ChatMessage | None:
    """The message a model sees for ``event``, or ``None`` if the event is not part of the dialogue.

    Tool events recorded by the session-manager API (a dict with ``tool``, ``arguments``, ``result``)
    become an assistant tool call; they are returned as the call only, and callers that need the
    result as well use :func:`tool_event_messages`.
    """
    payload = event.message
    if isinstance(payload, ChatMessage):
        return payload
    if event.type == EventType.SUMMARY:
        text = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
        return ChatMessage.system(f"Summary of the earlier conversation: {text}")
    if event.type != EventType.MESSAGE:
        return None
    text = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    if event.source == EventSource.USER:
        return ChatMessage.user(text)
    if event.source == EventSource.LLM:
        return ChatMessage.assistant(text)
    return ChatMessage.system(text)


def tool_event_messages(event: SessionEvent) -> list[ChatMessage]:
    """A recorded tool use as the provider-ready pair: the assistant's call and the tool's result."""
    payload = event.message
    if isinstance(payload, ChatMessage):
        return [payload]
    if event.type != EventType.TOOL_CALL or not isinstance(payload, dict):
        return []
    call_id = str(payload.get("call_id") or f"call_{event.id[:8]}")
    name = str(payload.get("tool") or payload.get("name") or "tool")
    arguments = payload.get("arguments")
    if not isinstance(arguments, dict):
        arguments = {"value": arguments}
    error = payload.get("error")
    result = payload.get("result")
    body = f"error: {error}" if error else json.dumps(result, ensure_ascii=False, default=str)
    return [
        ChatMessage.assistant(None, tool_calls=[ToolCall(id=call_id, name=name, arguments=arguments)]),
        ChatMessage.tool(body, tool_call_id=call_id, name=name),
    ]
