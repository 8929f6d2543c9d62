"""``forge_llm.application.session``: compactors (``ChatSession`` joins them with the conversation model)."""

from .async_summarize_compactor import AsyncSummarizeCompactor
from .compactor import SessionCompactor, TruncateCompactor
from .summarize_compactor import SummarizeCompactor

__all__ = ["AsyncSummarizeCompactor", "SessionCompactor", "SummarizeCompactor", "TruncateCompactor"]
