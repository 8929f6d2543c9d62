"""Both agents against llama-cpp-python's own OpenAI-compatible server, serving the real SmolLM2 model.

The server (``python -m llama_cpp.server``) is started once for the run by the ``llamacpp_server``
fixture; the kill test starts one of its own. The model is 135M parameters: the tests assert on the
wire and on the accounting (caps honoured, tool calls assembled and answered, usage and cost), never
on what the model knows.
"""

from __future__ import annotations

import asyncio

import pytest
from faces import Face

from servers import LlamaCppServer, start_or_fail
from servers.llamacpp import MODEL_ALIAS
from sessionforge import AsyncChatAgent, Budget, ChatAgent, ChatSession, ToolRegistry
from sessionforge.core.tokens import counter_for_model
from sessionforge.errors import ProviderConnectionError

pytestmark = pytest.mark.llamacpp_server

NO_END = {"logit_bias": {"2": -100}}
"""Forbids SmolLM2's end-of-turn token (id 2), so a reply runs to its cap."""


def agent(face: Face, server: LlamaCppServer, **kwargs: object) -> ChatAgent | AsyncChatAgent:
    """An agent on the server, as a user would write it: no key (a server on 127.0.0.1 needs none)."""
    kwargs.setdefault("provider", "openai")
    kwargs.setdefault("model", MODEL_ALIAS)
    return face.agent(base_url=server.base_url, **kwargs)


def adder() -> ToolRegistry:
    registry = ToolRegistry()

    @registry.tool
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    return registry


@pytest.mark.parametrize("provider", ["openai", "llamacpp"])
def test_chat_honours_the_output_cap_and_a_self_hosted_model_is_free(
    face: Face, llamacpp_server: LlamaCppServer, provider: str
) -> None:
    # The server answers under whatever model name it is asked for: a cloud model's name on a
    # self-hosted server must not be priced from the registry.
    bot = agent(face, llamacpp_server, provider=provider, model="gpt-4o-mini", max_output_tokens=8)
    session = ChatSession(system_prompt="You are a storyteller.")
    first = face.chat(bot, "Tell me a long story about a dragon.", session, request_options=NO_END)
    assert first.usage.completion_tokens == 8
    assert first.finish_reason == "length"
    assert first.usage.accuracy == "exact"
    assert first.usage.estimated_cost_usd == 0.0
    assert first.model == "gpt-4o-mini"
    second = face.chat(bot, "Go on.", session, request_options=NO_END)
    assert second.usage.prompt_tokens > first.usage.prompt_tokens + first.usage.completion_tokens
    assert [m.role for m in session.messages] == ["system", "user", "assistant", "user", "assistant"]


def test_a_given_price_is_charged_and_a_usd_budget_works_on_a_local_model(
    face: Face, llamacpp_server: LlamaCppServer
) -> None:
    priced = agent(face, llamacpp_server, max_output_tokens=6, price=(1.0, 2.0))
    response = face.chat(priced, "Say hi.", request_options=NO_END)
    usage = response.usage
    assert usage.estimated_cost_usd == pytest.approx(
        (usage.prompt_tokens + 2 * usage.completion_tokens) / 1e6
    )
    # A USD budget on a free model: checked with its price of 0, not refused as unpriced.
    session = ChatSession(budget=Budget(max_usd=0.01))
    face.chat(agent(face, llamacpp_server, max_output_tokens=6), "Say hi.", session, request_options=NO_END)
    assert session.budget is not None
    assert session.budget.calls == 1
    assert session.budget.spent_usd == 0.0


def test_a_stream_without_usage_is_counted_estimated_and_charged(
    face: Face, llamacpp_server: LlamaCppServer
) -> None:
    bot = agent(face, llamacpp_server, max_output_tokens=12)
    session = ChatSession(system_prompt="Be brief.", budget=Budget(max_tokens=100_000))
    chunks = face.stream(bot, "Name a colour.", session, request_options=NO_END)
    reply = bot.last_response
    assert reply is not None
    text = "".join(chunks)
    assert text and session.messages[-1].content == text
    counter = counter_for_model(MODEL_ALIAS)
    assert reply.usage.accuracy == "estimated"
    assert reply.usage.prompt_tokens == counter.count_messages(session.messages[:-1])
    assert reply.usage.completion_tokens == counter.count_text(text) > 0
    assert session.budget is not None
    assert session.budget.spent_tokens == reply.usage.total_tokens


@pytest.mark.parametrize("stream", [False, True], ids=["chat", "stream"])
def test_tool_call_round_trip(face: Face, llamacpp_server: LlamaCppServer, stream: bool) -> None:
    # The server calls a tool only when tool_choice names it; the agent sends that choice on the
    # first call of the turn only, so the second call (carrying the tool-call message and its
    # result, which the server refuses with a null content) gets a text answer.
    bot = agent(face, llamacpp_server, tools=adder(), max_output_tokens=48)
    session = ChatSession(system_prompt="You add numbers with the add tool.")
    options = {"request_options": {"tool_choice": "add", "temperature": 0.0}}
    if stream:
        chunks = face.stream(bot, "What is 2 + 40?", session, **options)
        response = bot.last_response
        assert response is not None
        assert "".join(chunks) == response.content
    else:
        response = face.chat(bot, "What is 2 + 40?", session, **options)
    assert [m.role for m in session.messages] == ["system", "user", "assistant", "tool", "assistant"]
    call = session.messages[2].tool_calls[0]
    assert call.name == "add"  # not "addaddadd": the server repeats the name in every chunk
    assert set(call.arguments) == {"a", "b"}
    assert session.messages[3].content == str(call.arguments["a"] + call.arguments["b"])
    assert session.messages[3].tool_call_id == call.id
    assert response.tool_calls == [] and response.finish_reason in ("stop", "length")
    assert response.usage.estimated_cost_usd == 0.0
    calls = [m.metadata["usage"] for m in session.messages if m.role == "assistant"]
    assert response.usage.total_tokens == sum(u["total_tokens"] for u in calls)
    assert [u["accuracy"] for u in calls] == (["estimated"] * 2 if stream else ["exact"] * 2)


def test_a_server_killed_mid_stream_is_a_broken_stream(face: Face) -> None:
    server: LlamaCppServer = start_or_fail(LlamaCppServer)
    try:
        bot = agent(face, server, max_output_tokens=400)
        session = ChatSession(system_prompt="You are a storyteller.")
        before = list(session.messages)
        received: list[str] = []

        def consume() -> None:
            if isinstance(bot, ChatAgent):
                for chunk in bot.stream_chat("Tell a long story.", session=session, request_options=NO_END):
                    received.append(chunk)
                    if len(received) == 1:
                        server.kill()
                return

            async def run(stream_bot: AsyncChatAgent) -> None:
                try:
                    stream = stream_bot.stream_chat(
                        "Tell a long story.", session=session, request_options=NO_END
                    )
                    async for chunk in stream:
                        received.append(chunk)
                        if len(received) == 1:
                            server.kill()
                finally:
                    await stream_bot.aclose()

            asyncio.run(run(bot))

        with pytest.raises(
            ProviderConnectionError, match="stream from openai broke off in the middle"
        ) as caught:
            consume()
        assert "could not reach" not in str(caught.value)
        assert received  # the reply had started
        assert session.messages == before
    finally:
        server.close()
