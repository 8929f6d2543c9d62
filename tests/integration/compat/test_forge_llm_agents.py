"""forge_llm's agents and sessions through the mirror, against local OpenAI and Anthropic wire servers."""

from __future__ import annotations

import asyncio

import pytest

from servers import AnthropicServer, OpenAIServer, fixtures
from sessionforge.compat.forge_llm import (
    AsyncChatAgent,
    AsyncSummarizeCompactor,
    ChatAgent,
    ChatConfig,
    ChatMessage,
    ChatSession,
    ImageContent,
    SummarizeCompactor,
    ToolCall,
    ToolDefinition,
    ToolRegistry,
    ToolResult,
    TruncateCompactor,
)
from sessionforge.compat.forge_llm.application.session import SessionCompactor
from sessionforge.compat.forge_llm.domain import (
    AuthenticationError,
    ContextOverflowError,
    InvalidMessageError,
    ProviderNotConfiguredError,
    SessionNotFoundError,
    UnsupportedProviderError,
)
from sessionforge.compat.forge_llm.infrastructure.storage import MemorySessionStorage
from sessionforge.faces.chat_session import ChatSession as NativeSession

wire_servers = fixtures.wire_servers
openai_server = fixtures.openai_server
anthropic_server = fixtures.anthropic_server
provider_env = fixtures.provider_env

pytestmark = pytest.mark.usefixtures("provider_env")


def registry() -> ToolRegistry:
    tools = ToolRegistry()

    @tools.tool
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    return tools


def test_chat_with_a_string_a_list_or_a_session(openai_server: OpenAIServer) -> None:
    agent = ChatAgent(provider="openai", model="gpt-4o-mini")
    assert agent.provider_name == "openai"
    response = agent.chat("Hello")
    assert (response.content, response.role, response.provider, response.model) == (
        "Echo: Hello",
        "assistant",
        "openai",
        "gpt-4o-mini",
    )
    assert response.token_usage is not None and response.token_usage.total_tokens > 0
    listed = agent.chat(
        [
            ChatMessage.system("Be brief."),
            ChatMessage.user("My name is Ada."),
            ChatMessage.user("What's my name?"),
        ]
    )
    assert listed.content == "Your name is Ada."
    session = ChatSession(system_prompt="Be brief.")
    agent.chat("My name is Bo.", session=session)
    assert agent.chat("What's my name?", session=session).content == "Your name is Bo."
    assert [m.role for m in session.messages] == ["system", "user", "assistant", "user", "assistant"]


def test_config_sets_the_request(openai_server: OpenAIServer) -> None:
    ChatAgent(provider="openai", model="gpt-4o-mini").chat(
        "Hi", config=ChatConfig(model="gpt-4o", temperature=0.3, max_tokens=64)
    )
    body = openai_server.last_body
    limit = body.get("max_completion_tokens", body.get("max_tokens"))  # the field depends on the server
    assert (body["model"], body["temperature"], limit) == ("gpt-4o", 0.3, 64)


def test_empty_input_is_an_invalid_message(openai_server: OpenAIServer) -> None:
    agent = ChatAgent(provider="openai", model="gpt-4o-mini")
    for bad in ("", "   ", []):
        with pytest.raises(InvalidMessageError):
            agent.chat(bad)
    with pytest.raises(InvalidMessageError, match="No messages to send"):
        agent.chat(session=ChatSession())
    assert openai_server.requests == []


def test_tools_run_or_are_returned(openai_server: OpenAIServer) -> None:
    tools = registry()
    agent = ChatAgent(provider="openai", model="gpt-4o-mini", tools=tools)
    assert [d.name for d in agent.get_tool_definitions()] == ["add"]
    assert agent.chat('Use the add tool with {"a": 2, "b": 40}').content == "The tool returned: 42"
    pending = agent.chat('Use the add tool with {"a": 1, "b": 2}', auto_execute_tools=False)
    assert pending.content is None
    assert pending.tool_calls is not None and pending.tool_calls[0]["function"]["name"] == "add"
    calls = [ToolCall.from_openai(c) for c in pending.tool_calls]
    assert agent.execute_tool_calls(calls) == [ToolResult(calls[0].id, "3")]
    definitions_only = ChatAgent(
        provider="openai", model="gpt-4o-mini", tools=[ToolDefinition("add", "Add.", {})]
    )
    offered = definitions_only.chat('Use the add tool with {"a": 1, "b": 2}')
    assert offered.tool_calls is not None
    assert definitions_only.execute_tool_calls(calls)[0].is_error
    assert ChatAgent(provider="openai").execute_tool_calls(calls)[0].content == "No tools registered"


def test_stream_chat_yields_chunks_and_a_final_one(openai_server: OpenAIServer) -> None:
    session = ChatSession()
    chunks = list(
        ChatAgent(provider="openai", model="gpt-4o-mini").stream_chat("Tell me a story", session=session)
    )
    assert "".join(c.content for c in chunks) == "Echo: Tell me a story"
    assert chunks[-1].is_final and chunks[-1].finish_reason == "stop"
    assert chunks[-1].usage is not None and chunks[-1].usage["total_tokens"] > 0
    assert session.last_message is not None and session.last_message.content == "Echo: Tell me a story"


def test_images_reach_both_providers(openai_server: OpenAIServer, anthropic_server: AnthropicServer) -> None:
    message = ChatMessage.user_with_image("What is this?", ImageContent.from_base64("aGVsbG8=", "image/png"))
    ChatAgent(provider="openai", model="gpt-4o-mini").chat([message])
    assert (
        openai_server.last_body["messages"][0]["content"][1]["image_url"]["url"]
        == "data:image/png;base64,aGVsbG8="
    )
    ChatAgent(provider="anthropic", model="claude-3-haiku-20240307").chat([message])
    assert anthropic_server.last_body["messages"][0]["content"][1]["source"] == {
        "type": "base64",
        "media_type": "image/png",
        "data": "aGVsbG8=",
    }


def test_configuration_errors_come_on_the_first_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    monkeypatch.delenv("ANTHROPIC_BASE_URL")  # a server on this machine needs no key; Anthropic's does
    agent = ChatAgent(provider="anthropic")  # made without a key, as in forge_llm
    with pytest.raises(ProviderNotConfiguredError) as missing:
        agent.chat("Hi")
    assert missing.value.provider == "anthropic"
    with pytest.raises(UnsupportedProviderError):
        ChatAgent(provider="nonesuch").chat("Hi")


def test_a_refused_key_is_an_authentication_error_and_the_session_is_unchanged(
    openai_server: OpenAIServer,
) -> None:
    agent = ChatAgent(provider="openai", model="gpt-4o-mini", api_key="bad-key")
    session = ChatSession(system_prompt="Be brief.")
    with pytest.raises(AuthenticationError):
        agent.chat("Hi", session=session)
    assert [m.role for m in session.messages] == ["system"]


def test_session_limits_and_compaction(openai_server: OpenAIServer) -> None:
    openai_server.padding = 20
    agent = ChatAgent(provider="openai", model="gpt-4o-mini")
    session = ChatSession(system_prompt="Be concise.", max_tokens=300)
    assert session.effective_max_tokens == 240 and session.safety_margin == 0.8

    def fill() -> None:
        for i in range(50):
            agent.chat(f"Message {i}", session=session)

    with pytest.raises(ContextOverflowError) as caught:
        fill()
    assert caught.value.max_tokens in (240, 300)
    assert session.estimate_tokens() <= 300
    compacted = ChatSession(system_prompt="Be concise.", max_tokens=300, compactor=TruncateCompactor())
    for i in range(30):
        agent.chat(f"Message {i}", session=compacted)
        assert compacted.estimate_tokens() <= 240
    assert len(compacted.history) > len(compacted.messages)
    before = len(compacted.messages)
    compacted.compact(target_tokens=100)
    assert compacted.estimate_tokens() <= 100 and len(compacted.messages) < before


def test_a_custom_compactor_is_used_through_its_compact_method(openai_server: OpenAIServer) -> None:
    class KeepSystemAndLast(SessionCompactor):
        calls = 0

        def compact(self, messages: list[ChatMessage], target_tokens: int) -> list[ChatMessage]:
            KeepSystemAndLast.calls += 1
            return [m for m in messages if m.role == "system"] + messages[-1:]

    session = ChatSession(system_prompt="Be concise.", max_tokens=200, compactor=KeepSystemAndLast())
    agent = ChatAgent(provider="openai", model="gpt-4o-mini")
    for i in range(20):
        agent.chat(f"Message {i}", session=session)
    assert KeepSystemAndLast.calls > 0
    assert session.messages[0].content == "Be concise."


def test_summaries_are_written_by_the_agent(openai_server: OpenAIServer) -> None:
    summarizer = ChatAgent(provider="openai", model="gpt-4o-mini")
    compactor = SummarizeCompactor(summarizer, summary_prompt="Sum up: {messages}", keep_recent=2)
    messages = [ChatMessage.system("Be brief.")]
    for i in range(12):
        messages += [
            ChatMessage.user(f"Question {i} about the garden"),
            ChatMessage.assistant(f"Answer {i}."),
        ]
    kept = compactor.compact(messages, 120)
    summary = [m for m in kept if m.role == "system" and "Sum up:" in (m.content or "")]
    assert len(summary) == 1  # the server echoes the request: the template reached the agent
    assert "Question 0 about the garden" in (summary[0].content or "")
    assert kept[-1] is messages[-1]


def test_async_agent_and_async_summaries(openai_server: OpenAIServer) -> None:
    async def run() -> None:
        agent = AsyncChatAgent(provider="openai", model="gpt-4o-mini", tools=registry())
        session = ChatSession()
        response = await agent.chat('Use the add tool with {"a": 20, "b": 22}', session=session)
        assert response.content == "The tool returned: 42"
        chunks = [c async for c in agent.stream_chat("Stream this", session=session)]
        assert chunks[-1].is_final
        compactor = AsyncSummarizeCompactor(
            AsyncChatAgent(provider="openai", model="gpt-4o-mini"), keep_recent=2
        )
        messages = [ChatMessage.user(f"Question {i} about rivers") for i in range(20)]
        kept = await compactor.compact(messages, 100)
        assert any(m.role == "system" for m in kept) and kept[-1] is messages[-1]

    asyncio.run(run())


def test_memory_storage_keeps_session_objects() -> None:
    storage = MemorySessionStorage()
    session = ChatSession(system_prompt="Hi")
    storage.save(session)
    assert storage.exists(session.session_id) and storage.load(session.session_id) is session
    assert storage.list_sessions() == [session.session_id]
    storage.delete(session.session_id)
    with pytest.raises(SessionNotFoundError):
        storage.load(session.session_id)


def test_the_same_conversation_is_a_sessionforge_session(
    openai_server: OpenAIServer, tmp_path: object
) -> None:
    session = ChatSession(system_prompt="Be brief.")
    ChatAgent(provider="openai", model="gpt-4o-mini").chat("My name is Cy.", session=session)
    session.native.save()
    again = ChatSession.of(NativeSession.load(session.session_id))
    assert again.messages == session.messages
    assert (
        ChatAgent(provider="openai", model="gpt-4o-mini").chat("What's my name?", session=again).content
        == "Your name is Cy."
    )


def test_provider_adapters_speak_dicts(
    openai_server: OpenAIServer, anthropic_server: AnthropicServer
) -> None:
    from sessionforge.compat.forge_llm.domain.entities import ProviderConfig
    from sessionforge.compat.forge_llm.infrastructure.providers import (
        AnthropicAdapter,
        AsyncOpenAIAdapter,
        OpenAIAdapter,
        get_provider_registry,
        reset_provider_registry,
    )
    from sessionforge.compat.forge_llm.infrastructure.providers.auth import (
        create_config,
        get_api_key,
        require_api_key,
    )

    config = create_config("openai", model="gpt-4o-mini")
    assert config.api_key == get_api_key("openai") == require_api_key("openai")
    adapter = OpenAIAdapter(config)
    assert (adapter.name, adapter.validate()) == ("openai", True)
    tools = [
        ToolDefinition(
            "add", "Add.", {"type": "object", "properties": {"a": {"type": "integer"}}}
        ).to_openai_format()
    ]
    result = adapter.send([ChatMessage.user('Use the add tool with {"a": 1}').to_dict()], {"tools": tools})
    assert result["tool_calls"][0]["function"]["name"] == "add" and result["provider"] == "openai"
    assert openai_server.last_body["tools"][0]["function"]["name"] == "add"
    plain = adapter.send([{"role": "user", "content": [{"type": "text", "text": "Hi"}]}])
    assert (plain["content"], plain["role"]) == ("Echo: Hi", "assistant")
    assert (
        plain["usage"]["total_tokens"]
        == plain["usage"]["prompt_tokens"] + plain["usage"]["completion_tokens"]
    )
    chunks = list(adapter.stream([{"role": "user", "content": "Stream it"}]))
    assert (
        "".join(c["content"] for c in chunks) == "Echo: Stream it" and chunks[-1]["finish_reason"] == "stop"
    )
    answer = AnthropicAdapter(ProviderConfig("anthropic", model="claude-3-haiku-20240307")).send(
        [{"role": "user", "content": "Hi"}]
    )
    assert answer["content"] == "Echo: Hi" and answer["provider"] == "anthropic"
    assert (
        asyncio.run(AsyncOpenAIAdapter(config).send([{"role": "user", "content": "Async"}]))["content"]
        == "Echo: Async"
    )
    reset_provider_registry()
    registry = get_provider_registry()
    registry.register("openai", OpenAIAdapter)
    assert registry.resolve("openai", config) is registry.resolve("openai", config)
    assert registry.list_providers_with_models() == {"openai": {"name": "openai", "models": []}}
    with pytest.raises(UnsupportedProviderError):
        registry.resolve("acme", config)
    reset_provider_registry()


def test_an_adapter_without_a_key_is_not_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    from sessionforge.compat.forge_llm.domain.entities import ProviderConfig
    from sessionforge.compat.forge_llm.infrastructure.providers import OpenAIAdapter
    from sessionforge.compat.forge_llm.infrastructure.providers.auth import require_api_key

    monkeypatch.delenv("OPENAI_API_KEY")
    with pytest.raises(ProviderNotConfiguredError):
        OpenAIAdapter(ProviderConfig("openai")).send([{"role": "user", "content": "Hi"}])
    with pytest.raises(ProviderNotConfiguredError):
        require_api_key("openai")
