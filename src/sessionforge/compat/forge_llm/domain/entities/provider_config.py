"""forge_llm's ``ProviderConfig``: which provider, model, key and endpoint an agent uses."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import ClassVar

from sessionforge.providers import OPENAI_COMPATIBLE

__all__ = ["ProviderConfig"]


@dataclass(frozen=True)
class ProviderConfig:
    """A provider's settings. Unlike forge_llm, a key in ``<PROVIDER>_API_KEY`` counts as configured."""

    provider: str
    model: str | None = None
    api_key: str | None = None
    base_url: str | None = None
    timeout: float = 60.0
    max_retries: int = 3

    LOCAL_PROVIDERS: ClassVar[frozenset[str]] = frozenset(
        {"local", *(name for name, preset in OPENAI_COMPATIBLE.items() if preset.default_api_key)}
    )

    @property
    def env_key(self) -> str:
        """The environment variable the key is read from, e.g. ``OPENAI_API_KEY``."""
        return f"{self.provider.upper()}_API_KEY"

    @property
    def is_configured(self) -> bool:
        """A local provider always is; others need ``api_key`` or their environment variable."""
        if self.provider in self.LOCAL_PROVIDERS:
            return True
        return bool(self.api_key or os.environ.get(self.env_key))
