"""``forge_llm.application.agents``: the chat agents."""

from .async_chat_agent import AsyncChatAgent
from .chat_agent import ChatAgent

__all__ = ["AsyncChatAgent", "ChatAgent"]
