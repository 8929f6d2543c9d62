"""``chuk_ai_session_manager.models.event_type``."""

from sessionforge.core.events import EventType

__all__ = ["EventType"]
