"""A user's module: under ``mypy --strict`` every name resolves to its real type."""

from __future__ import annotations

from typing import assert_type

from sessionforge import (
    AsyncChatAgent,
    ChatAgent,
    ChatMessage,
    ChatResponse,
    ChatSession,
    Session,
    SessionManager,
    TokenUsage,
    TruncateCompactor,
)


def chat(agent: ChatAgent, session: ChatSession) -> str:
    response = agent.chat("hello", session=session)
    assert_type(response, ChatResponse)
    assert_type(response.usage, TokenUsage)
    return response.content


async def track(manager: SessionManager) -> list[str]:
    session_id = await manager.user_says("hi")
    messages = await manager.get_messages_for_llm()
    return [session_id, *(str(m["role"]) for m in messages)]


async def load(session_id: str) -> int:
    session = await Session.load(session_id)
    return 0 if session is None else len(session.events)


def build() -> tuple[ChatSession, type[AsyncChatAgent]]:
    session = ChatSession(system_prompt="s", max_tokens=100, compactor=TruncateCompactor())
    session.add_message(ChatMessage.user("hi"))
    assert_type(session.estimate_tokens(), int)
    return session, AsyncChatAgent
