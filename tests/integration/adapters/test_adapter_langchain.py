"""LangChain's ``RunnableWithMessageHistory`` keeping its history in sessionforge, on every backend.

The chain is real langchain-core (a prompt with a history placeholder and the library's own fake chat
model), sync and async; the fake model replays scripted replies with their usage metadata, and the
prompt it receives shows whether the history came back from the store.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.outputs import ChatResult
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder
from langchain_core.runnables.history import RunnableWithMessageHistory
from pydantic import Field

from sessionforge import ChatMessage, ChatSession, ToolCall
from sessionforge.interop.adapters.langchain import SessionforgeChatMessageHistory, to_langchain
from sessionforge.storage.base import Store
from sessionforge.storage.config import open_store

MODEL = "gpt-4o-mini"


class RecordingModel(GenericFakeChatModel):
    """The library's fake chat model, keeping the prompts it was given."""

    prompts: list[list[BaseMessage]] = Field(default_factory=list)

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> ChatResult:
        self.prompts.append(list(messages))
        return super()._generate(messages, *args, **kwargs)


def _replies(count: int) -> Iterator[AIMessage]:
    for i in range(count):
        yield AIMessage(
            content=f"reply {i}",
            usage_metadata={"input_tokens": 20 + i, "output_tokens": 4, "total_tokens": 24 + i},
            response_metadata={"model_name": MODEL},
        )


def _chain(model: RecordingModel, store: Store, **options: Any) -> RunnableWithMessageHistory:
    prompt = ChatPromptTemplate.from_messages(
        [("system", "Be brief."), MessagesPlaceholder("history"), ("human", "{question}")]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # LangChain deprecates this runnable in favour of LangGraph
        return RunnableWithMessageHistory(
            prompt | model,
            lambda sid: SessionforgeChatMessageHistory(sid, store=store, model=MODEL, **options),
            input_messages_key="question",
            history_messages_key="history",
        )


async def test_a_chain_continues_from_the_store(store: Store) -> None:
    model = RecordingModel(messages=_replies(3))
    chain = _chain(model, store)
    config = {"configurable": {"session_id": "chat/1"}}
    await chain.ainvoke({"question": "first?"}, config)
    await chain.ainvoke({"question": "second?"}, config)
    await chain.ainvoke({"question": "third?"}, config)
    assert [m.content for m in model.prompts[-1]] == [
        "Be brief.",
        "first?",
        "reply 0",
        "second?",
        "reply 1",
        "third?",
    ]

    history = SessionforgeChatMessageHistory("chat/1", store=store)
    stored = await history.aget_messages()
    assert [type(m).__name__ for m in stored] == ["HumanMessage", "AIMessage"] * 3
    assert stored[-1].usage_metadata == {"input_tokens": 22, "output_tokens": 4, "total_tokens": 26}
    assert stored[-1].id is not None  # LangChain's own message comes back, id and metadata included

    chat = await ChatSession.aload(history.stored_id, store)
    assert [m.text for m in chat.messages] == ["first?", "reply 0", "second?", "reply 1", "third?", "reply 2"]
    assert chat.session.token_summary.total_prompt_tokens == 20 + 21 + 22
    assert chat.session.total_cost > 0


def test_the_sync_chain_and_clear(store_url: str) -> None:
    store = open_store(store_url)  # the blocking calls run their own loops: the store follows
    model = RecordingModel(messages=_replies(3))
    chain = _chain(model, store)
    config = {"configurable": {"session_id": "sync"}}
    chain.invoke({"question": "one"}, config)
    chain.invoke({"question": "two"}, config)
    assert [m.content for m in model.prompts[-1]] == ["Be brief.", "one", "reply 0", "two"]

    history = SessionforgeChatMessageHistory("sync", store=store)
    history.clear()
    assert history.messages == []
    chain.invoke({"question": "three"}, config)
    assert [m.content for m in model.prompts[-1]] == ["Be brief.", "three"]
    whole = ChatSession.load("sync", store=store)
    assert [m.text for m in whole.history] == ["one", "reply 0", "two", "reply 1", "three", "reply 2"]


async def test_the_history_is_compacted_and_nothing_is_lost(store: Store) -> None:
    model = RecordingModel(messages=_replies(12))
    chain = _chain(model, store, max_tokens=60)
    config = {"configurable": {"session_id": "long"}}
    for i in range(12):
        await chain.ainvoke({"question": f"question number {i} about the weather"}, config)
    assert len(model.prompts[-1]) < 2 + 2 * 11  # the model got a compacted history
    assert model.prompts[-1][-1].content == "question number 11 about the weather"
    chat = await ChatSession.aload("long", store)
    assert len(chat.history) == 24 and chat.compactions
    history = SessionforgeChatMessageHistory("long", store=store)
    await history.aundo_compaction()
    assert len(await history.aget_messages()) > len(model.prompts[-1]) - 1


async def test_messages_written_by_other_faces_read_as_langchain_messages(store: Store) -> None:
    chat = ChatSession(system_prompt="Be brief.", session_id="mixed")
    call = ToolCall(id="call_1", name="add", arguments={"a": 1})
    chat.add_messages(
        [
            ChatMessage.user("add one"),
            ChatMessage.assistant(None, tool_calls=[call]),
            ChatMessage.tool("2", tool_call_id="call_1", name="add"),
            ChatMessage.assistant("It is 2."),
        ]
    )
    await chat.asave(store)
    messages = await SessionforgeChatMessageHistory("mixed", store=store).aget_messages()
    assert messages[0] == SystemMessage(content="Be brief.")
    assert messages[1] == HumanMessage(content="add one")
    assert isinstance(messages[2], AIMessage) and messages[2].tool_calls[0]["args"] == {"a": 1}
    assert messages[3] == ToolMessage(content="2", tool_call_id="call_1", name="add")
    assert to_langchain(ChatMessage.assistant("It is 2.")) == messages[4]


async def test_each_read_gets_its_own_messages(store: Store) -> None:
    # Messages are built once per stored event and handed out as copies: a caller that changes a
    # message it was given does not change what the next read returns.
    history = SessionforgeChatMessageHistory("copies", store=store, model=MODEL)
    await history.aadd_messages([HumanMessage(content="hi", id="h1"), AIMessage(content="hello", id="a1")])
    first = await history.aget_messages()
    first[0].content = "changed"
    first[1].id = "other"
    again = await history.aget_messages()
    assert again == [HumanMessage(content="hi", id="h1"), AIMessage(content="hello", id="a1")]
    assert all(a is not b for a, b in zip(first, again, strict=True))

    await history.aadd_messages([HumanMessage(content="more")])
    assert [m.content for m in await history.aget_messages()] == ["hi", "hello", "more"]
    other = SessionforgeChatMessageHistory("copies", store=store, model=MODEL)  # another process, say
    await other.aadd_messages([AIMessage(content="from elsewhere")])
    assert [m.content for m in await history.aget_messages()] == ["hi", "hello", "more", "from elsewhere"]
    await history.acompact(target_tokens=12)
    compacted = await history.aget_messages()
    assert 0 < len(compacted) < 4
    fresh = SessionforgeChatMessageHistory("copies", store=store, model=MODEL)  # nothing built yet
    assert await other.aget_messages() == compacted == await fresh.aget_messages()


@pytest.mark.parametrize("session_id", ["a/b", "a.b", "ü" * 300])
async def test_any_session_id(store: Store, session_id: str) -> None:
    history = SessionforgeChatMessageHistory(session_id, store=store)
    await history.aadd_messages([HumanMessage(content=session_id)])
    other = SessionforgeChatMessageHistory(session_id + "!", store=store)
    assert await other.aget_messages() == []
    assert [
        m.content for m in await SessionforgeChatMessageHistory(session_id, store=store).aget_messages()
    ] == [session_id]
