"""``chuk_ai_session_manager.session_manager``: the high-level async conversation tracker."""

from sessionforge.faces.manager import SessionManager

from .config import DEFAULT_TOKEN_MODEL

__all__ = ["DEFAULT_TOKEN_MODEL", "SessionManager"]
