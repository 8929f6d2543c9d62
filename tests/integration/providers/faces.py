"""One test body for both faces: the sync ``ChatAgent`` and the async ``AsyncChatAgent``.

The async face runs each call in its own event loop and closes its client afterwards, so a sync test
can drive it like the sync face.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sessionforge import AsyncChatAgent, ChatAgent, ChatResponse, ChatSession
from sessionforge.core.messages import ChatMessage


class Face:
    def __init__(self, kind: str) -> None:
        self.kind = kind

    def __repr__(self) -> str:
        return self.kind

    def agent(self, **kwargs: Any) -> ChatAgent | AsyncChatAgent:
        kwargs.setdefault("max_retries", 0)
        return ChatAgent(**kwargs) if self.kind == "sync" else AsyncChatAgent(**kwargs)

    def chat(
        self,
        agent: ChatAgent | AsyncChatAgent,
        message: str | ChatMessage | None = None,
        session: ChatSession | None = None,
        **options: Any,
    ) -> ChatResponse:
        if isinstance(agent, ChatAgent):
            return agent.chat(message, session=session, **options)

        async def run() -> ChatResponse:
            try:
                return await agent.chat(message, session=session, **options)
            finally:
                await agent.aclose()

        return asyncio.run(run())

    def stream(
        self,
        agent: ChatAgent | AsyncChatAgent,
        message: str | None = None,
        session: ChatSession | None = None,
        **options: Any,
    ) -> list[str]:
        if isinstance(agent, ChatAgent):
            return list(agent.stream_chat(message, session=session, **options))

        async def run() -> list[str]:
            try:
                return [chunk async for chunk in agent.stream_chat(message, session=session, **options)]
            finally:
                await agent.aclose()

        return asyncio.run(run())
