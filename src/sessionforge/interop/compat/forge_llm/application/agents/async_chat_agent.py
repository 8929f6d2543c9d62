"""forge_llm's ``AsyncChatAgent``, over sessionforge's :class:`~sessionforge.faces.agent.AsyncChatAgent`."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from sessionforge.faces.agent import AsyncChatAgent as NativeAsyncAgent

from ...domain.entities import ChatChunk, ChatConfig
from ...domain.exceptions import translating
from ...domain.value_objects import ChatResponse
from ..session import ChatSession
from .chat_agent import ForgeAgentCore, Messages, final_chunk

__all__ = ["AsyncChatAgent"]


class AsyncChatAgent(ForgeAgentCore):
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
        with translating(timeout=self._config.timeout):
            mark = session.native.checkpoint() if session is not None else None
            try:
                agent, target = self._prepare(messages, config, session)
                assert isinstance(agent, NativeAsyncAgent)
                response = await agent.chat(
                    None, session=target, auto_execute_tools=self._executes(auto_execute_tools)
                )
            except BaseException:
                if session is not None and mark is not None:
                    session.native.rollback(mark)
                raise
        return ChatResponse.from_native(response)

    async def stream_chat(
        self,
        messages: Messages = None,
        config: ChatConfig | None = None,
        session: ChatSession | None = None,
        auto_execute_tools: bool = True,
    ) -> AsyncGenerator[ChatChunk, None]:
        """See ``ChatAgent.stream_chat``."""
        with translating(timeout=self._config.timeout):
            mark = session.native.checkpoint() if session is not None else None
            try:
                agent, target = self._prepare(messages, config, session)
                assert isinstance(agent, NativeAsyncAgent)
                async for text in agent.stream_chat(
                    None, session=target, auto_execute_tools=self._executes(auto_execute_tools)
                ):
                    yield ChatChunk(content=text)
            except BaseException:
                if session is not None and mark is not None:
                    session.native.rollback(mark)
                raise
        if agent.last_response is not None:
            yield final_chunk(agent.last_response)
