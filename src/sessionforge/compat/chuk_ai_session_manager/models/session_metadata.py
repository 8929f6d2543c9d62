"""``chuk_ai_session_manager.models.session_metadata``."""

from sessionforge.core.session import SessionMetadata

__all__ = ["SessionMetadata"]
