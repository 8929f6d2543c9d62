"""``chuk_ai_session_manager.models.session_event``."""

from sessionforge.core.events import SessionEvent

from ..config import DEFAULT_TOKEN_MODEL

__all__ = ["DEFAULT_TOKEN_MODEL", "SessionEvent"]
