"""forge_llm's ``ResponseMetadata``: which model and provider answered, and why it stopped."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["ResponseMetadata"]


@dataclass(frozen=True)
class ResponseMetadata:
    model: str
    provider: str
    finish_reason: str | None = None
    raw_response: Any = None
