"""``chuk_ai_session_manager.config``: the model tokens are counted for when none is named."""

from __future__ import annotations

import os

__all__ = ["DEFAULT_TOKEN_MODEL"]

DEFAULT_TOKEN_MODEL = os.getenv("CHUK_DEFAULT_MODEL", "gpt-4o-mini")
"""``$CHUK_DEFAULT_MODEL``, else ``gpt-4o-mini`` (read when first imported; no ``.env`` file is read)."""
