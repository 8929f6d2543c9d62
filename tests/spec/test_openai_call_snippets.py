"""The two session-manager snippets that call OpenAI, run for real against the local OpenAI server.

The spec writes ``await openai.chat.completions.create(...)``, which needs an async client: the only
change is the import line, ``import openai`` -> ``from sessionforge.providers import openai_async as
openai``. The real ``openai`` SDK then sends the request to the wire-protocol server on 127.0.0.1.
"""

from __future__ import annotations

import pytest

from servers import OpenAIServer, fixtures

wire_servers = fixtures.wire_servers
openai_server = fixtures.openai_server
anthropic_server = fixtures.anthropic_server
provider_env = fixtures.provider_env

pytestmark = pytest.mark.usefixtures("provider_env")


async def test_basic_integration_with_your_llm(openai_server: OpenAIServer) -> None:
    from sessionforge import track_llm_call
    from sessionforge.providers import openai_async as openai

    async def my_openai_call(prompt):
        response = await openai.chat.completions.create(
            model="gpt-3.5-turbo",
            messages=[{"role": "user", "content": prompt}]
        )
        return response.choices[0].message.content

    # Track your LLM call automatically
    response, session_id = await track_llm_call(
        user_input="Explain machine learning",
        llm_function=my_openai_call,
        model="gpt-3.5-turbo",
        provider="openai"
    )

    print(f"AI Response: {response}")
    print(f"Tracked in session: {session_id}")

    sent = openai_server.requests[-1].body
    assert sent["messages"] == [{"role": "user", "content": "Explain machine learning"}]
    from sessionforge import get_conversation_history
    history = await get_conversation_history(session_id)
    assert [t["content"] for t in history] == ["Explain machine learning", response]


async def test_track_llm_call_section(openai_server: OpenAIServer) -> None:
    from sessionforge import track_llm_call  # setup: the section's import block
    from sessionforge.providers import openai_async as openai

    async def call_openai(prompt):
        # Your OpenAI API call here
        response = await openai.chat.completions.create(
            model="gpt-3.5-turbo",
            messages=[{"role": "user", "content": prompt}]
        )
        return response.choices[0].message.content

    response, session_id = await track_llm_call(
        user_input="Explain machine learning",
        llm_function=call_openai,
        model="gpt-3.5-turbo",
        provider="openai"
    )

    assert isinstance(response, str) and response
    assert len(openai_server.requests) == 1
