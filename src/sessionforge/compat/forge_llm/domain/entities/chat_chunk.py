"""forge_llm's ``ChatChunk``: one piece of a streamed reply."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["ChatChunk"]


@dataclass
class ChatChunk:
    """Text of a streamed reply; the last chunk has ``is_final`` set, a ``finish_reason`` and ``usage``."""

    content: str
    role: str = "assistant"
    finish_reason: str | None = None
    is_final: bool = False
    usage: dict[str, int] | None = None
    tool_calls: list[dict[str, Any]] | None = None

    @classmethod
    def from_openai(cls, chunk: Any) -> ChatChunk:
        """From an OpenAI SDK stream chunk."""
        choice = chunk.choices[0] if chunk.choices else None
        delta = choice.delta if choice is not None else None
        finish_reason = choice.finish_reason if choice is not None else None
        return cls(
            content=(delta.content or "") if delta is not None else "",
            role=(getattr(delta, "role", None) or "assistant") if delta is not None else "assistant",
            finish_reason=finish_reason,
            is_final=finish_reason is not None,
        )

    @classmethod
    def from_anthropic(cls, event: Any) -> ChatChunk:
        """From an Anthropic SDK stream event (text deltas and the closing ``message_stop``)."""
        if event.type == "content_block_delta":
            return cls(content=getattr(event.delta, "text", "") or "")
        if event.type == "message_stop":
            return cls(content="", finish_reason="stop", is_final=True)
        return cls(content="")
