"""What forge_llm's provider adapters share, over sessionforge's providers.

An adapter takes message dicts (forge_llm's :meth:`ChatMessage.to_dict` shape, or OpenAI's) and a
per-request dict (``model``, ``tools`` in OpenAI's format, ``max_tokens``, ``temperature``), sends
them through sessionforge's provider for its name (the official SDK, with its retries), and returns
forge_llm's response dict; ``stream`` yields chunk dicts, the last with ``finish_reason`` and ``usage``.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator, Mapping
from typing import Any, ClassVar

from sessionforge.core.messages import ChatMessage as NativeMessage
from sessionforge.providers import DEFAULT_MODELS, create_provider
from sessionforge.providers.base import ChatRequest, ChatResponse, Provider
from sessionforge.providers.openai import message_from_wire
from sessionforge.tools.registry import ToolSchema

from ...._alias import Alias
from ...domain.entities import ChatMessage, ProviderConfig
from ...domain.exceptions import InvalidMessageError, ProviderNotConfiguredError, translating

__all__ = ["AsyncProviderAdapter", "ProviderAdapter"]


def _message(data: Mapping[str, Any]) -> NativeMessage:
    try:
        return ChatMessage.from_dict(dict(data)).to_native()
    except InvalidMessageError:  # an OpenAI-shaped message (image_url, input_audio parts)
        return message_from_wire(data)


def _tools(tools: Any) -> list[ToolSchema]:
    schemas = []
    for tool in tools or []:
        function = tool.get("function", tool) if isinstance(tool, Mapping) else {}
        schemas.append(
            ToolSchema(
                str(function.get("name", "")),
                str(function.get("description", "")),
                dict(
                    function.get("parameters")
                    or function.get("input_schema")
                    or {"type": "object", "properties": {}}
                ),
            )
        )
    return schemas


def _result(response: ChatResponse, provider: str) -> dict[str, Any]:
    usage = response.usage
    result: dict[str, Any] = {
        "content": response.content or None,
        "role": "assistant",
        "model": response.model,
        "provider": provider,
        "usage": {
            "prompt_tokens": usage.prompt_tokens,
            "completion_tokens": usage.completion_tokens,
            "total_tokens": usage.total_tokens,
        },
        "finish_reason": response.finish_reason,
    }
    calls = ChatMessage.from_native(response.message).tool_calls
    if calls:
        result["tool_calls"] = calls
    return result


class _Base:
    provider_name: ClassVar[str]
    SUPPORTED_MODELS: ClassVar[list[str]] = []

    def __init__(self, config: ProviderConfig) -> None:
        self._config = config
        self._provider: Provider | None = None

    name = Alias[str]("provider_name")
    config = Alias[ProviderConfig]("_config")

    def validate(self) -> bool:
        """``True``, or ``ProviderNotConfiguredError`` when there is no key."""
        if not self._config.is_configured:
            raise ProviderNotConfiguredError(self.provider_name)
        return True

    def _client(self) -> Provider:
        self.validate()
        if self._provider is None:
            self._provider = create_provider(
                self.provider_name,
                api_key=self._config.api_key,
                base_url=self._config.base_url,
                timeout=self._config.timeout,
                max_retries=self._config.max_retries,
            )
        return self._provider

    def _request(self, messages: list[dict[str, Any]], config: Mapping[str, Any] | None) -> ChatRequest:
        options = dict(config or {})
        model = options.get("model") or self._config.model or DEFAULT_MODELS.get(self.provider_name, "")
        return ChatRequest(
            model=str(model),
            messages=[_message(m) for m in messages],
            tools=_tools(options.get("tools")),
            max_tokens=options.get("max_tokens"),
            temperature=options.get("temperature"),
        )


class ProviderAdapter(_Base):
    """The blocking adapters (``ILLMProviderPort``)."""

    def send(self, messages: list[dict[str, Any]], config: dict[str, Any] | None = None) -> dict[str, Any]:
        with translating(timeout=self._config.timeout):
            return _result(self._client().send(self._request(messages, config)), self.provider_name)

    def stream(
        self, messages: list[dict[str, Any]], config: dict[str, Any] | None = None
    ) -> Generator[dict[str, Any], None, None]:
        with translating(timeout=self._config.timeout):
            for item in self._client().stream(self._request(messages, config)):
                yield (
                    {"content": item}
                    if isinstance(item, str)
                    else {**_result(item, self.provider_name), "content": ""}
                )


class AsyncProviderAdapter(_Base):
    """The async adapters (``IAsyncLLMProviderPort``)."""

    async def send(
        self, messages: list[dict[str, Any]], config: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        with translating(timeout=self._config.timeout):
            return _result(await self._client().asend(self._request(messages, config)), self.provider_name)

    async def stream(
        self, messages: list[dict[str, Any]], config: dict[str, Any] | None = None
    ) -> AsyncGenerator[dict[str, Any], None]:
        with translating(timeout=self._config.timeout):
            async for item in self._client().astream(self._request(messages, config)):
                yield (
                    {"content": item}
                    if isinstance(item, str)
                    else {**_result(item, self.provider_name), "content": ""}
                )
