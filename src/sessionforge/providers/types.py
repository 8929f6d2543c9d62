"""What a model call takes and gives back, independent of any wire format or client."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..core.messages import ChatMessage, ToolCall
from ..core.usage import TokenUsage
from ..tools.registry import ToolSchema

__all__ = ["RAW_ARGUMENTS_KEY", "ChatRequest", "ChatResponse", "FinishReason", "StreamItem"]

FinishReason = Literal["stop", "length", "tool_calls", "content_filter", "error", "unknown"]

RAW_ARGUMENTS_KEY = "__raw_arguments__"
"""Key under which an adapter keeps tool arguments that were not a JSON object, so that the tool loop
can report the problem to the model and the wire mapping can send the text back unchanged."""


class ChatResponse(BaseModel):
    """A model's reply to one chat call.

    ``usage`` holds the tokens the provider reported (exact), priced from the registry; after a turn
    with tool calls it is the sum over every model call of the turn. ``message`` is the assistant
    message as it is stored in the session.
    """

    model_config = ConfigDict(frozen=True)

    content: str
    usage: TokenUsage
    model: str
    provider: str
    tool_calls: list[ToolCall] = Field(default_factory=list)
    finish_reason: FinishReason = "stop"
    message: ChatMessage = Field(default_factory=lambda fields: _reply_message(fields))
    """Built from ``content`` and ``tool_calls`` when not given."""
    raw: Any = Field(default=None, repr=False, exclude=True)

    def __str__(self) -> str:
        return self.content


def _reply_message(fields: dict[str, Any]) -> ChatMessage:
    """The assistant message a reply's ``content`` and ``tool_calls`` make."""
    return ChatMessage.assistant(fields["content"] or None, tool_calls=fields["tool_calls"])


@dataclass(frozen=True)
class ChatRequest:
    """Everything one model call needs, independent of the wire format."""

    model: str
    messages: list[ChatMessage]
    tools: list[ToolSchema] = field(default_factory=list)
    max_tokens: int | None = None
    temperature: float | None = None
    options: dict[str, Any] = field(default_factory=dict)


StreamItem = str | ChatResponse
"""What ``stream``/``astream`` yield: text chunks, and last of all the assembled response."""
