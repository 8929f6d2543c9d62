"""``chuk_ai_session_manager.session_aware_tool_processor``: tool calls run and recorded in a session."""

from sessionforge.tools.processor import SessionAwareToolProcessor

from .config import DEFAULT_TOKEN_MODEL

__all__ = ["DEFAULT_TOKEN_MODEL", "SessionAwareToolProcessor"]
