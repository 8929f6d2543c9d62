"""``chuk_ai_session_manager.models.session_run``."""

from sessionforge.core.session import RunStatus, SessionRun

__all__ = ["RunStatus", "SessionRun"]
