"""pydantic-ai message histories in and out of sessionforge, with real pydantic-ai agents.

``FunctionModel`` is pydantic-ai's own model that hands the request to a function: the function sees
exactly the history the agent sends, so a reply shows whether the stored history came back.
"""

from __future__ import annotations

import pytest
from pydantic_ai import Agent
from pydantic_ai.messages import (
    ImageUrl,
    ModelMessage,
    ModelMessagesTypeAdapter,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    UserPromptPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.usage import RequestUsage

from sessionforge import ChatSession, TruncateCompactor
from sessionforge.errors import MessageFormatError
from sessionforge.interop.adapters.pydantic_ai import (
    CONVERSATION_KEY,
    PydanticAIHistory,
    append_pydantic_ai,
    from_pydantic_ai,
    import_pydantic_ai,
    load_pydantic_ai,
    to_pydantic_ai,
)
from sessionforge.storage.base import Store

MODEL = "gpt-4o-mini"


def _model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    """Calls ``add`` once when asked to, then says how many user prompts it was given."""
    last = messages[-1]
    prompts = [
        p.content
        for m in messages
        if isinstance(m, ModelRequest)
        for p in m.parts
        if isinstance(p, UserPromptPart)
    ]
    if isinstance(last, ModelRequest) and any(
        isinstance(p, UserPromptPart) and "add" in str(p.content) for p in last.parts
    ):
        return ModelResponse(
            parts=[ToolCallPart("add", {"a": 2, "b": 40}, tool_call_id="call_add")], model_name=MODEL
        )
    return ModelResponse(
        parts=[TextPart(f"{len(prompts)} prompts, last: {prompts[-1]}")],
        usage=RequestUsage(input_tokens=30, output_tokens=6),
        model_name=MODEL,
    )


def _agent() -> Agent[None, str]:
    agent = Agent(FunctionModel(_model, model_name=MODEL), system_prompt="Be brief.")

    @agent.tool_plain
    def add(a: int, b: int) -> int:
        return a + b

    return agent


async def test_a_history_round_trips_in_every_form() -> None:
    result = await _agent().run("please add")
    history = result.all_messages()
    messages = from_pydantic_ai(history)
    assert [m.role for m in messages] == ["system", "user", "assistant", "tool", "assistant"]
    assert messages[2].tool_calls[0].arguments == {"a": 2, "b": 40} and messages[3].text == "42"
    assert messages[4].metadata["usage"]["prompt_tokens"] == 30
    written = to_pydantic_ai(messages)
    as_json = ModelMessagesTypeAdapter.dump_json(written)
    assert from_pydantic_ai(as_json) == messages
    assert from_pydantic_ai(as_json.decode()) == messages
    assert from_pydantic_ai(ModelMessagesTypeAdapter.dump_python(written, mode="json")) == messages
    assert from_pydantic_ai(written) == messages


def test_usage_is_priced_for_the_model_that_replied() -> None:
    reply = ModelResponse(
        parts=[TextPart("hi")], usage=RequestUsage(input_tokens=30, output_tokens=6), model_name=MODEL
    )
    [message] = from_pydantic_ai([reply])
    usage = message.metadata["usage"]
    assert (usage["prompt_tokens"], usage["completion_tokens"], usage["model"]) == (30, 6, MODEL)
    assert usage["estimated_cost_usd"] > 0
    assert to_pydantic_ai([message])[0].usage.output_tokens == 6


def test_images_and_bad_input() -> None:
    image = ModelRequest(parts=[UserPromptPart(["look:", ImageUrl(url="https://example.com/cat.png")])])
    [message] = from_pydantic_ai([image])
    assert message.text == "look:" and to_pydantic_ai([message])[0].parts[0].content[1].url.endswith(
        "cat.png"
    )
    with pytest.raises(MessageFormatError):
        from_pydantic_ai(b'[{"kind": "nonsense"}]')


async def test_a_stored_history_continues_in_pydantic_ai(store: Store) -> None:
    agent = _agent()
    first = await agent.run("hello")
    await append_pydantic_ai(first.new_messages(), "pyd-1", store)
    second = await agent.run("again", message_history=await load_pydantic_ai("pyd-1", store))
    assert second.output == "2 prompts, last: again"
    await append_pydantic_ai(second.new_messages(), "pyd-1", store)

    chat = await ChatSession.aload("pyd-1", store)
    assert chat.system_prompt == "Be brief."
    assert [m.text for m in chat.messages] == [
        "Be brief.",
        "hello",
        "1 prompts, last: hello",
        "again",
        "2 prompts, last: again",
    ]
    assert chat.session.token_summary.total_prompt_tokens == 60

    # The view pydantic-ai is given is the compacted one; the store keeps everything.
    chat.compactor = TruncateCompactor()
    await chat.acompact(chat.counter.count_messages(chat.messages[:1] + chat.messages[-2:]) + 3)
    await chat.asave()
    third = await agent.run("third", message_history=await load_pydantic_ai("pyd-1", store))
    assert third.output == "2 prompts, last: third"


async def test_import(store: Store) -> None:
    result = await _agent().run("please add")
    session_id = await import_pydantic_ai(
        ModelMessagesTypeAdapter.dump_json(result.all_messages()), store, "imported"
    )
    chat = await ChatSession.aload(session_id, store)
    assert [m.role for m in chat.history] == ["system", "user", "assistant", "tool", "assistant"]


async def test_a_history_object_runs_a_conversation_as_the_functions_do(store: Store) -> None:
    agent = _agent()
    history = PydanticAIHistory("pyd-loop", store, model=MODEL)
    assert await history.messages() == []
    reported = 0  # input tokens the runs' responses report (pydantic-ai estimates the tool call's)
    for question in ("hello", "again", "please add", "last"):
        result = await agent.run(question, message_history=await history.messages())
        await history.add(result.new_messages())
        reported += sum(m.usage.input_tokens for m in result.new_messages() if isinstance(m, ModelResponse))
    assert result.output == "4 prompts, last: last"

    chat = await ChatSession.aload("pyd-loop", store)
    assert chat.system_prompt == "Be brief."  # the first run's prompt is the session's
    assert chat.session.metadata.properties[CONVERSATION_KEY] == "pyd-loop"
    assert [m.role for m in chat.messages] == [
        "system", "user", "assistant", "user", "assistant", "user", "assistant", "tool", "assistant",
        "user", "assistant",
    ]  # fmt: skip
    assert chat.session.token_summary.total_prompt_tokens == reported > 4 * 30
    # The same conversation, read by the functions and by the object, gives pydantic-ai one history.
    assert ModelMessagesTypeAdapter.dump_json(await load_pydantic_ai("pyd-loop", store)) == (
        ModelMessagesTypeAdapter.dump_json(await history.messages())
    )


async def test_two_history_objects_take_in_what_the_other_appended(store: Store) -> None:
    agent = _agent()
    first, second = PydanticAIHistory("pyd-two", store), PydanticAIHistory("pyd-two", store)
    await first.add((await agent.run("from first")).new_messages())
    result = await agent.run("from second", message_history=await second.messages())
    assert result.output == "2 prompts, last: from second"
    await second.add(result.new_messages())
    texts = [m.parts[-1].content for m in await first.messages()]  # type: ignore[union-attr]
    assert texts[-2:] == ["from second", "2 prompts, last: from second"]


async def test_a_failed_save_leaves_the_conversation_as_it_was(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sessionforge.storage.session import Session

    agent = _agent()
    history = PydanticAIHistory("pyd-fail", store)
    first = (await agent.run("hello")).new_messages()
    real_save = Session.save

    async def refused(self: Session) -> object:
        raise OSError("disk full")

    monkeypatch.setattr(Session, "save", refused)
    with pytest.raises(OSError, match="disk full"):
        await history.add(first)
    assert await history.messages() == []  # not even the system prompt
    monkeypatch.setattr(Session, "save", real_save)
    await history.add(first)
    assert [m.text for m in (await ChatSession.aload("pyd-fail", store)).messages] == [
        "Be brief.",
        "hello",
        "1 prompts, last: hello",
    ]


async def test_a_history_with_a_budget_gives_pydantic_ai_the_compacted_view(store: Store) -> None:
    agent = _agent()
    history = PydanticAIHistory("pyd-budget", store, model=MODEL, max_tokens=120)
    for i in range(12):
        result = await agent.run(f"question number {i}", message_history=await history.messages())
        await history.add(result.new_messages())
    given = await history.messages()
    prompts = [
        p for m in given if isinstance(m, ModelRequest) for p in m.parts if isinstance(p, UserPromptPart)
    ]
    assert 0 < len(prompts) < 12 and prompts[-1].content == "question number 11"
    assert len((await ChatSession.aload("pyd-budget", store)).history) == 1 + 2 * 12  # all kept
