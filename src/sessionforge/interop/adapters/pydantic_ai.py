"""pydantic-ai message histories in and out, like the importers.

pydantic-ai passes a conversation as a list of ``ModelMessage`` (``ModelRequest`` and
``ModelResponse``, each holding parts), serialized by ``ModelMessagesTypeAdapter``.
:func:`from_pydantic_ai` reads such a list (objects, JSON, or the adapter's Python form) into
ChatMessages; :func:`to_pydantic_ai` writes ChatMessages back. A response's usage travels with its
assistant message (``USAGE_KEY``, priced for its model), so a stored history keeps its tokens and cost.

* request parts: system prompt → system message, user prompt (text, image URLs, images as data URLs)
  → user message, tool return → tool message, retry prompt → tool message (or a user message when it
  answers no tool call);
* response parts: text → the assistant message's content, tool calls → its tool calls; thinking and
  other parts are skipped, as they are not part of the dialogue another model is given.

:func:`import_pydantic_ai` stores a history as a session every face loads; :func:`load_pydantic_ai`
gives a stored session's view (compaction applied) as ``message_history`` for ``Agent.run``, and
:func:`append_pydantic_ai` adds a run's ``new_messages()`` to it.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

from ..._optional import require

require("pydantic_ai")

from pydantic_ai.messages import (  # noqa: E402
    BinaryContent,
    ImageUrl,
    ModelMessage,
    ModelMessagesTypeAdapter,
    ModelRequest,
    ModelRequestPart,
    ModelResponse,
    ModelResponsePart,
    RetryPromptPart,
    SystemPromptPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)
from pydantic_ai.messages import TextPart as AITextPart  # noqa: E402
from pydantic_ai.usage import RequestUsage  # noqa: E402

from ...core.events import USAGE_KEY, chat_message_event  # noqa: E402
from ...core.messages import ChatMessage, ContentPart, ImagePart, TextPart, ToolCall  # noqa: E402
from ...core.usage import TokenUsage  # noqa: E402
from ...errors import MessageFormatError, SessionNotFound  # noqa: E402
from ...faces.chat_session import ChatSession  # noqa: E402
from ...storage.base import Store  # noqa: E402
from ..importers import import_messages  # noqa: E402
from ._viewed import HistoryAdapter  # noqa: E402

__all__ = [
    "CONVERSATION_KEY",
    "PydanticAIHistory",
    "append_pydantic_ai",
    "from_pydantic_ai",
    "import_pydantic_ai",
    "load_pydantic_ai",
    "to_pydantic_ai",
]

History = Sequence[ModelMessage] | bytes | str | Sequence[dict[str, Any]]


def _messages(history: History) -> list[ModelMessage]:
    if isinstance(history, (bytes, str)):
        return ModelMessagesTypeAdapter.validate_json(history)
    items = list(history)
    if items and all(isinstance(m, (ModelRequest, ModelResponse)) for m in items):
        return items  # type: ignore[return-value]
    return ModelMessagesTypeAdapter.validate_python(items)


def _user_content(content: Any) -> str | list[ContentPart]:
    if isinstance(content, str):
        return content
    parts: list[ContentPart] = []
    for piece in content:
        if isinstance(piece, str):
            parts.append(TextPart(text=piece))
        elif isinstance(piece, ImageUrl):
            parts.append(ImagePart(url=piece.url, media_type=piece.media_type))
        elif isinstance(piece, BinaryContent) and piece.is_image:
            data = base64.b64encode(piece.data).decode("ascii")
            parts.append(ImagePart(url=f"data:{piece.media_type};base64,{data}", media_type=piece.media_type))
        else:
            raise MessageFormatError(f"cannot import user content of kind {type(piece).__name__}", field=None)
    return parts


def _request(part: ModelRequestPart) -> ChatMessage:
    if isinstance(part, SystemPromptPart):
        return ChatMessage.system(part.content, created_at=part.timestamp)
    if isinstance(part, UserPromptPart):
        return ChatMessage.user(_user_content(part.content), created_at=part.timestamp)
    if isinstance(part, ToolReturnPart):
        return ChatMessage.tool(
            part.model_response_str(),
            tool_call_id=part.tool_call_id,
            name=part.tool_name,
            created_at=part.timestamp,
        )
    if isinstance(part, RetryPromptPart):
        if part.tool_name is None:
            return ChatMessage.user(part.model_response(), created_at=part.timestamp)
        return ChatMessage.tool(
            part.model_response(),
            tool_call_id=part.tool_call_id,
            name=part.tool_name,
            created_at=part.timestamp,
        )
    raise MessageFormatError(
        f"cannot import a pydantic-ai request part of kind {part.part_kind!r}", field=None
    )


def _response(message: ModelResponse) -> ChatMessage:
    texts = [p.content for p in message.parts if isinstance(p, AITextPart)]
    calls = [
        ToolCall(id=p.tool_call_id, name=p.tool_name, arguments=p.args_as_dict())
        for p in message.parts
        if isinstance(p, ToolCallPart)
    ]
    metadata: dict[str, Any] = {}
    usage = message.usage
    if usage.input_tokens or usage.output_tokens:
        metadata[USAGE_KEY] = TokenUsage.of(
            usage.input_tokens,
            usage.output_tokens,
            model=message.model_name or "",
            provider=message.provider_name,
        ).model_dump(mode="json")
    return ChatMessage.assistant(
        "".join(texts) if texts else None, tool_calls=calls, metadata=metadata, created_at=message.timestamp
    )


def from_pydantic_ai(history: History) -> list[ChatMessage]:
    """A pydantic-ai history (``ModelMessage`` objects, ``ModelMessagesTypeAdapter`` JSON or its
    Python form) as ChatMessages. Raises :class:`MessageFormatError` for what it cannot read."""
    try:
        messages = _messages(history)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise MessageFormatError(f"not a pydantic-ai message history: {exc}", field=None) from exc
    out: list[ChatMessage] = []
    for message in messages:
        if isinstance(message, ModelRequest):
            out.extend(_request(part) for part in message.parts)
        else:
            out.append(_response(message))
    return out


def _user_parts(message: ChatMessage) -> str | list[Any]:
    if not isinstance(message.content, list):
        return message.text
    return [_user_part(p) for p in message.content]


def _user_part(part: ContentPart) -> Any:
    if isinstance(part, TextPart):
        return part.text
    if isinstance(part, ImagePart):
        return ImageUrl(url=part.url)
    return BinaryContent(data=base64.b64decode(part.data), media_type=f"audio/{part.format}")


def _response_of(message: ChatMessage) -> ModelResponse:
    parts: list[ModelResponsePart] = [AITextPart(content=message.text)] if message.text else []
    parts.extend(
        ToolCallPart(tool_name=c.name, args=dict(c.arguments), tool_call_id=c.id) for c in message.tool_calls
    )
    stored = message.metadata.get(USAGE_KEY)
    usage = TokenUsage.model_validate(stored) if isinstance(stored, dict) else None
    return ModelResponse(
        parts=parts,
        usage=RequestUsage(
            input_tokens=usage.prompt_tokens if usage else 0,
            output_tokens=usage.completion_tokens if usage else 0,
        ),
        model_name=usage.model or None if usage else None,
        provider_name=usage.provider if usage else None,
        timestamp=message.created_at,
    )


def to_pydantic_ai(messages: Sequence[ChatMessage]) -> list[ModelMessage]:
    """ChatMessages as a pydantic-ai history: consecutive system, user and tool messages make one
    ``ModelRequest``, each assistant message one ``ModelResponse``."""
    out: list[ModelMessage] = []
    parts: list[ModelRequestPart] = []
    for message in messages:
        if message.role == "assistant":
            if parts:
                out.append(ModelRequest(parts=parts))
                parts = []
            out.append(_response_of(message))
        elif message.role == "system":
            parts.append(SystemPromptPart(content=message.text, timestamp=message.created_at))
        elif message.role == "user":
            parts.append(UserPromptPart(content=_user_parts(message), timestamp=message.created_at))
        else:
            parts.append(
                ToolReturnPart(
                    tool_name=message.name or "tool",
                    content=message.text,
                    tool_call_id=message.tool_call_id or "",
                    timestamp=message.created_at,
                )
            )
    if parts:
        out.append(ModelRequest(parts=parts))
    return out


async def import_pydantic_ai(
    history: History, store: Store | None = None, session_id: str | None = None
) -> str:
    """Store a pydantic-ai history as a session (a leading system prompt becomes the session's);
    returns its id."""
    return await import_messages(
        from_pydantic_ai(history), store, session_id, metadata={"imported_from": "pydantic-ai"}
    )


async def load_pydantic_ai(session_id: str, store: Store | None = None) -> list[ModelMessage]:
    """A stored session (written by any face) as the model gets it now, as a pydantic-ai history."""
    chat = await ChatSession.aload(session_id, store)
    return to_pydantic_ai(chat.messages)


async def append_pydantic_ai(history: History, session_id: str, store: Store | None = None) -> None:
    """Add the messages of ``history`` (a run's ``new_messages()``) to a stored session, creating it
    if it does not exist yet."""
    messages = from_pydantic_ai(history)
    try:
        chat = await ChatSession.aload(session_id, store)
    except SessionNotFound:
        await import_messages(messages, store, session_id, metadata={"imported_from": "pydantic-ai"})
        return
    for message in messages:
        chat.add_message(message, enforce=False)
    await chat.asave()


CONVERSATION_KEY = "pydantic_ai_conversation"
"""The property naming the conversation a :class:`PydanticAIHistory` keeps."""


class PydanticAIHistory(HistoryAdapter):
    """A pydantic-ai conversation kept in a sessionforge session, for a loop of ``Agent.run`` calls:
    :meth:`messages` is the current view as ``message_history``, :meth:`add` appends a run's
    ``new_messages()``.

    It keeps the session between calls and takes in only what was appended since (another process
    may write to it too), so a turn costs about the same at the thousandth as at the first;
    :func:`load_pydantic_ai` and :func:`append_pydantic_ai` read the whole session on every call.
    A leading system prompt, added to an empty session, becomes the session's prompt, as
    :func:`import_pydantic_ai` makes it.

    Args: those of :class:`~sessionforge.interop.adapters._viewed.HistoryAdapter`: with
    ``max_tokens`` (and any ``compactor``) pydantic-ai is given the compacted view; nothing leaves
    the store.
    """

    face = "pydantic_ai"
    key_property = CONVERSATION_KEY

    async def messages(self) -> list[ModelMessage]:
        """The conversation as the model gets it now (system prompt first), for ``message_history``."""
        async with self._log.opened() as (_, view):
            return to_pydantic_ai(view.messages())

    async def add(self, history: History) -> None:
        """Append the messages of ``history`` (a run's ``new_messages()``, or any pydantic-ai
        history), one event each, in one save; with ``max_tokens`` the view is compacted after."""
        messages = from_pydantic_ai(history)
        if not messages:
            return
        async with self._log.opened() as (session, _):
            prompt = None
            if messages[0].role == "system" and session.system_prompt is None and not session.events:
                prompt = messages.pop(0).text
            events = [chat_message_event(message) for message in messages]
            await self._log.append(events, compact=True, system_prompt=prompt)

    compact = HistoryAdapter._compact
    undo_compaction = HistoryAdapter._undo_compaction

    async def fork(self, new_session_id: str | None = None) -> PydanticAIHistory:
        """A new conversation sharing this one's history so far (one appended record)."""
        return await self._fork(new_session_id)

    def __repr__(self) -> str:
        return f"PydanticAIHistory(session_id={self.session_id!r})"
