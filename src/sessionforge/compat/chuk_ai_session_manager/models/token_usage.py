"""``chuk_ai_session_manager.models.token_usage``.

``TIKTOKEN_AVAILABLE`` is always true: sessionforge ships OpenAI's encodings, so counts for OpenAI
models are exact offline, where chuk-ai-session-manager fell back to characters / 4.
"""

from sessionforge.core.usage import TokenSummary, TokenUsage

from ..config import DEFAULT_TOKEN_MODEL

__all__ = ["DEFAULT_TOKEN_MODEL", "TIKTOKEN_AVAILABLE", "TokenSummary", "TokenUsage"]

TIKTOKEN_AVAILABLE = True
