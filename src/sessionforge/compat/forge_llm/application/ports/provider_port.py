"""forge_llm's provider port: message dicts in, a response dict (or chunk dicts) out."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any, Protocol, runtime_checkable

from ...domain.entities import ProviderConfig

__all__ = ["ILLMProviderPort", "ProviderPortBase"]


class ProviderPortBase(Protocol):
    """What the sync and async ports share: a name, a configuration, and ``validate()``."""

    @property
    def name(self) -> str: ...

    @property
    def config(self) -> ProviderConfig: ...

    def validate(self) -> bool: ...


@runtime_checkable
class ILLMProviderPort(ProviderPortBase, Protocol):
    """A provider adapter: ``send`` returns a response dict, ``stream`` yields chunk dicts."""

    def send(
        self, messages: list[dict[str, Any]], config: dict[str, Any] | None = None
    ) -> dict[str, Any]: ...

    def stream(
        self, messages: list[dict[str, Any]], config: dict[str, Any] | None = None
    ) -> Generator[dict[str, Any], None, None]: ...
