"""forge_llm's ``ChatResponse``: the reply message with its metadata and token usage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sessionforge.providers import anthropic, openai
from sessionforge.providers.base import ChatResponse as NativeResponse

from ...._alias import Alias
from ..entities.chat_message import ChatMessage
from .response_metadata import ResponseMetadata
from .token_usage import TokenUsage

__all__ = ["ChatResponse"]


@dataclass
class ChatResponse:
    """A model's reply: ``message``, ``metadata`` (model, provider, finish reason) and ``token_usage``."""

    message: ChatMessage
    metadata: ResponseMetadata
    token_usage: TokenUsage | None = None

    @property
    def content(self) -> str | None:
        content = self.message.content
        return content if content is None or isinstance(content, str) else self.message.text_content

    role = Alias[str]("message.role")
    tool_calls = Alias[list[dict[str, Any]] | None]("message.tool_calls")
    model = Alias[str]("metadata.model")
    provider = Alias[str]("metadata.provider")

    @classmethod
    def from_native(cls, response: NativeResponse) -> ChatResponse:
        """The reply sessionforge's agent returned, in forge_llm's shape (``raw_response`` is the wire body)."""
        return cls(
            message=ChatMessage.from_native(response.message),
            metadata=ResponseMetadata(
                model=response.model,
                provider=response.provider,
                finish_reason=response.finish_reason,
                raw_response=response.raw,
            ),
            token_usage=TokenUsage.from_native(response.usage),
        )

    @classmethod
    def from_openai(cls, response: Any, provider: str = "openai") -> ChatResponse:
        """From an OpenAI SDK ``ChatCompletion``, read by sessionforge's Chat Completions mapping."""
        mirror = cls.from_native(openai.from_wire(response.model_dump(), provider=provider))
        mirror.metadata = ResponseMetadata(mirror.model, provider, _finish(response), response)
        return mirror

    @classmethod
    def from_anthropic(cls, response: Any, provider: str = "anthropic") -> ChatResponse:
        """From an Anthropic SDK ``Message``, read by sessionforge's Messages API mapping."""
        mirror = cls.from_native(anthropic.from_wire(response.model_dump(), provider=provider))
        mirror.metadata = ResponseMetadata(
            mirror.model, provider, getattr(response, "stop_reason", None), response
        )
        return mirror


def _finish(response: Any) -> str | None:
    choices = getattr(response, "choices", None) or []
    return getattr(choices[0], "finish_reason", None) if choices else None
