"""``chuk_ai_session_manager.infinite_conversation``: conversations segmented with summaries."""

from sessionforge.context.summarize import SummarizationStrategy
from sessionforge.faces.infinite import InfiniteConversationManager

from .config import DEFAULT_TOKEN_MODEL

__all__ = ["DEFAULT_TOKEN_MODEL", "InfiniteConversationManager", "SummarizationStrategy"]
