"""``chuk_ai_session_manager.models.session_stats``: a session's (or a segment chain's) statistics."""

from __future__ import annotations

from ..base_models import DictCompatModel

__all__ = ["SessionStats"]


class SessionStats(DictCompatModel):
    """What ``SessionManager.get_stats`` reports; readable as ``stats.total_tokens`` or ``stats["total_tokens"]``."""

    session_id: str = ""
    session_segments: int = 1
    session_chain: list[str] | None = None
    total_messages: int = 0
    total_events: int = 0
    user_messages: int = 0
    ai_messages: int = 0
    tool_calls: int = 0
    total_tokens: int = 0
    estimated_cost: float = 0.0
    created_at: str = ""
    last_update: str = ""
    infinite_context: bool = False
