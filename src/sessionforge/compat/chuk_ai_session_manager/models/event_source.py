"""``chuk_ai_session_manager.models.event_source``."""

from sessionforge.core.events import EventSource

__all__ = ["EventSource"]
