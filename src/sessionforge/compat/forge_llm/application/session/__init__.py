"""``forge_llm.application.session``: the chat session and its compactors."""

from .async_summarize_compactor import AsyncSummarizeCompactor
from .chat_session import ChatSession
from .compactor import SessionCompactor, TruncateCompactor
from .summarize_compactor import SummarizeCompactor

__all__ = [
    "AsyncSummarizeCompactor",
    "ChatSession",
    "SessionCompactor",
    "SummarizeCompactor",
    "TruncateCompactor",
]
