"""forge_llm's ``AsyncChatAgent``, over sessionforge's :class:`~sessionforge.faces.agent.AsyncChatAgent`."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from sessionforge.faces.agent import AsyncChatAgent as NativeAsyncAgent

from ...domain.entities import ChatChunk
from ...domain.value_objects import ChatResponse
from .chat_agent import ChatCall, ForgeAgentCore, chat_call, final_chunk

__all__ = ["AsyncChatAgent"]


class AsyncChatAgent(ForgeAgentCore[NativeAsyncAgent]):
    """The async twin of ``ChatAgent``: ``await chat(...)``, ``async for chunk in stream_chat(...)``."""

    _native_class = NativeAsyncAgent

    @chat_call
    async def chat(self, call: ChatCall) -> ChatResponse:
        """See ``ChatAgent.chat``."""
        with self._call(call) as (agent, target, options):
            response = await agent.chat(None, target, **options)
        return ChatResponse.from_native(response)

    @chat_call
    async def stream_chat(self, call: ChatCall) -> AsyncGenerator[ChatChunk, None]:
        """See ``ChatAgent.stream_chat``."""
        with self._call(call) as (agent, target, options):
            async for text in agent.stream_chat(None, target, **options):
                yield ChatChunk(content=text)
        if agent.last_response is not None:
            yield final_chunk(agent.last_response)
