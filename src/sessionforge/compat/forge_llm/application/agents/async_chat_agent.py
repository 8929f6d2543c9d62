"""forge_llm's ``AsyncChatAgent``, over sessionforge's :class:`~sessionforge.faces.agent.AsyncChatAgent`."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from sessionforge.faces.agent import AsyncChatAgent as NativeAsyncAgent

from ...domain.entities import ChatChunk, ChatConfig
from ...domain.value_objects import ChatResponse
from ..session import ChatSession
from .chat_agent import ForgeAgentCore, Messages, final_chunk

__all__ = ["AsyncChatAgent"]


class AsyncChatAgent(ForgeAgentCore[NativeAsyncAgent]):
    """The async twin of ``ChatAgent``: ``await chat(...)``, ``async for chunk in stream_chat(...)``."""

    _native_class = NativeAsyncAgent

    async def chat(
        self,
        messages: Messages = None,
        config: ChatConfig | None = None,
        session: ChatSession | None = None,
        auto_execute_tools: bool = True,
    ) -> ChatResponse:
        """See ``ChatAgent.chat``."""
        with self._call(messages, config, session, auto_execute_tools) as (agent, target, options):
            response = await agent.chat(None, target, **options)
        return ChatResponse.from_native(response)

    async def stream_chat(
        self,
        messages: Messages = None,
        config: ChatConfig | None = None,
        session: ChatSession | None = None,
        auto_execute_tools: bool = True,
    ) -> AsyncGenerator[ChatChunk, None]:
        """See ``ChatAgent.stream_chat``."""
        with self._call(messages, config, session, auto_execute_tools) as (agent, target, options):
            async for text in agent.stream_chat(None, target, **options):
                yield ChatChunk(content=text)
        if agent.last_response is not None:
            yield final_chunk(agent.last_response)
