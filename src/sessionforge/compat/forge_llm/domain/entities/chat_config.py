"""forge_llm's ``ChatConfig``: per-request options (model, temperature, reply limit, ...)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["ChatConfig"]


@dataclass
class ChatConfig:
    """Options for one request; ``max_tokens`` is the reply's limit, ``None`` leaves a field unset."""

    model: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    top_p: float | None = None
    stop: list[str] | None = None
    stream: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The fields that are set (``stream`` only when true)."""
        result = {
            key: getattr(self, key)
            for key in ("model", "temperature", "max_tokens", "top_p", "stop")
            if getattr(self, key) is not None
        }
        if self.stream:
            result["stream"] = True
        return result

    def merge_with(self, other: dict[str, Any]) -> dict[str, Any]:
        """``other`` with this config's set fields on top."""
        return {**other, **self.to_dict()}
