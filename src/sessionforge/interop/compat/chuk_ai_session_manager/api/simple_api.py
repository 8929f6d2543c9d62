"""``chuk_ai_session_manager.api.simple_api``: one call per conversation step."""

from sessionforge.faces.simple_api import (
    get_conversation_history,
    get_session_stats,
    quick_conversation,
    track_conversation,
    track_infinite_conversation,
    track_llm_call,
    track_tool_use,
)

__all__ = [
    "get_conversation_history",
    "get_session_stats",
    "quick_conversation",
    "quick_stats",
    "track_conversation",
    "track_infinite_conversation",
    "track_llm_call",
    "track_llm_interaction",
    "track_tool_use",
]

track_llm_interaction = track_llm_call
"""The name chuk-ai-session-manager kept for ``track_llm_call``."""

quick_stats = quick_conversation
"""The name chuk-ai-session-manager kept for ``quick_conversation``."""
