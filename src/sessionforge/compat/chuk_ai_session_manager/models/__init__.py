"""``chuk_ai_session_manager.models``: sessions, events, runs, metadata and statistics."""

from .event_source import EventSource
from .event_type import EventType
from .session import Session
from .session_event import SessionEvent
from .session_metadata import SessionMetadata
from .session_run import RunStatus, SessionRun
from .session_stats import SessionStats

__all__ = [
    "EventSource",
    "EventType",
    "RunStatus",
    "Session",
    "SessionEvent",
    "SessionMetadata",
    "SessionRun",
    "SessionStats",
]
