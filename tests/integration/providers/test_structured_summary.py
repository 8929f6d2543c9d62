"""Model summaries: the structured request reaches a real client, and its answer becomes the summary.

The official ``openai`` SDK talks to the local OpenAI wire server (``tests/servers``), as a user's own
``llm_callback`` would; the server echoes the last user message, so the summary written is the
transcript the request carried.
"""

from __future__ import annotations

from typing import Any

import openai
import pytest

from servers.protocols import OpenAIServer
from sessionforge import ChatMessage, ChatSession, SessionManager, SummarizeCompactor, open_store
from sessionforge.context.summarize import NOTE_SECTIONS, SUMMARY_PREFIX, is_summary, llm_callback_summarizer

pytestmark = pytest.mark.usefixtures("provider_env")


def _sections(system_text: str) -> list[str]:
    return [name for name in NOTE_SECTIONS if f"{name}:" in system_text]


async def test_the_managers_llm_callback_gets_the_structured_request(openai_server: OpenAIServer) -> None:
    client = openai.AsyncOpenAI()

    async def llm_callback(messages: list[dict[str, Any]]) -> str:
        reply = await client.chat.completions.create(model="gpt-4o-mini", messages=messages)  # type: ignore[arg-type]
        return reply.choices[0].message.content or ""

    manager = SessionManager(
        infinite_context=True,
        max_turns_per_segment=4,  # messages, user and assistant, as chuk counts them
        llm_callback=llm_callback,
        store=open_store("memory://"),
        model="gpt-4o-mini",
    )
    await manager.user_says("keep replies formal, no emoji")
    await manager.ai_responds("Understood.")
    await manager.user_says("the build box is named ironbark-two")
    await manager.ai_responds("Noted.")
    await manager.user_says("what is the build box called?")  # the segment is full: a summary first

    (call,) = [r for r in openai_server.requests if r.path.endswith("/chat/completions")]
    system, user = call.body["messages"]
    assert system["role"] == "system" and user["role"] == "user"
    assert _sections(system["content"]) == list(NOTE_SECTIONS)
    assert "Use at most" in system["content"]  # the segment's budget is part of the request
    assert "User: keep replies formal, no emoji" in user["content"]
    assert "User: the build box is named ironbark-two" in user["content"]

    context = await manager.get_messages_for_llm(include_system=False)
    assert context[0]["role"] == "system" and "ironbark-two" in context[0]["content"]
    assert context[-1] == {"role": "user", "content": "what is the build box called?"}
    await client.close()


def test_a_summarizing_compactor_with_a_sync_client(openai_server: OpenAIServer) -> None:
    client = openai.OpenAI()

    def llm_callback(messages: list[dict[str, Any]]) -> str:
        reply = client.chat.completions.create(model="gpt-4o-mini", messages=messages)  # type: ignore[arg-type]
        return reply.choices[0].message.content or ""

    compactor = SummarizeCompactor(
        llm_callback_summarizer(llm_callback), keep_recent=2, max_summary_tokens=400
    )
    session = ChatSession("Be brief.", max_tokens=220, compactor=compactor, model="gpt-4o-mini")
    session.add_message(ChatMessage.user("my flight out is on the 12th"))
    session.add_message(ChatMessage.assistant("Noted."))
    for number in range(20):
        session.add_message(ChatMessage.user(f"question {number} about packing light for a long trip?"))
        session.add_message(ChatMessage.assistant("Roll your clothes and bring one pair of shoes."))

    bodies = [r.body for r in openai_server.requests if r.path.endswith("/chat/completions")]
    assert bodies, "the compactor never asked the model"
    assert all(_sections(b["messages"][0]["content"]) == list(NOTE_SECTIONS) for b in bodies)
    assert "User: my flight out is on the 12th" in bodies[0]["messages"][1]["content"]
    assert any("<previous_summary>" in b["messages"][1]["content"] for b in bodies[1:])  # it rolls
    summary = next(m for m in session.messages if is_summary(m))
    assert summary.text.startswith(SUMMARY_PREFIX) and "12th" in summary.text
    assert session.estimate_tokens() <= 220
    client.close()
