"""forge_llm's async provider port: the async twin of ``ILLMProviderPort``."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any, Protocol, runtime_checkable

from .provider_port import ProviderPortBase

__all__ = ["IAsyncLLMProviderPort"]


@runtime_checkable
class IAsyncLLMProviderPort(ProviderPortBase, Protocol):
    """An async provider adapter: ``await send(...)``, ``async for chunk in stream(...)``."""

    async def send(
        self, messages: list[dict[str, Any]], config: dict[str, Any] | None = None
    ) -> dict[str, Any]: ...

    def stream(
        self, messages: list[dict[str, Any]], config: dict[str, Any] | None = None
    ) -> AsyncGenerator[dict[str, Any], None]: ...
