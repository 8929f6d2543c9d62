"""``chuk_ai_session_manager.session_prompt_builder``: prompts built from a session's events."""

from sessionforge.context.prompts import (
    PromptStrategy,
    build_prompt_from_session,
    truncate_prompt_to_token_limit,
)

from .config import DEFAULT_TOKEN_MODEL

__all__ = [
    "DEFAULT_TOKEN_MODEL",
    "PromptStrategy",
    "build_prompt_from_session",
    "truncate_prompt_to_token_limit",
]
