"""``chuk_ai_session_manager.models.session``."""

from sessionforge.storage.session import Session

from ..config import DEFAULT_TOKEN_MODEL

__all__ = ["DEFAULT_TOKEN_MODEL", "Session"]
