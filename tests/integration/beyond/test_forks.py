"""Forks share their parent's history by reference, on every face, at any depth, at constant cost."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from sessionforge import ChatMessage, ChatSession, SessionManager
from sessionforge.errors import SessionAlreadyExists, SessionNotFound, UsageError
from sessionforge.storage.base import Store
from sessionforge.storage.chuk import ChukSessionsStore
from sessionforge.storage.forks import fork, list_branches
from sessionforge.storage.session import Session


async def _conversation(store: Store, turns: int = 3) -> SessionManager:
    manager = SessionManager(store=store, system_prompt="Be brief.")
    for i in range(turns):
        await manager.user_says(f"question {i}")
        await manager.ai_responds(f"answer {i}")
    return manager


async def test_fork_shares_the_prefix_without_copying(store: Store) -> None:
    parent = await _conversation(store)
    assert parent.session is not None
    at = parent.session.events[1]  # "answer 0"
    child = await fork(parent.session_id, at=at.id, store=store)

    own = await store.load(child)
    assert len(own) == 1  # only the create record: no history was copied
    loaded = await Session.load(child, store)
    assert loaded is not None
    assert [e.message for e in loaded.events] == ["question 0", "answer 0"]
    assert [e.id for e in loaded.events] == [e.id for e in parent.session.events[:2]]
    assert loaded.fork_of is not None and loaded.fork_of.session_id == parent.session_id
    assert loaded.metadata.properties["system_prompt"] == "Be brief."
    assert await list_branches(parent.session_id, store) == [child]


async def test_every_face_reads_a_fork_as_prefix_plus_its_own_events(store: Store) -> None:
    parent = await _conversation(store)
    child = await fork(parent.session_id, at=2, store=store)  # seq 2 = "question 0" (seq 1: create)
    manager = SessionManager(session_id=child, store=store)
    await manager.user_says("only in the fork")
    messages = await manager.get_messages_for_llm()
    assert [m["content"] for m in messages] == ["Be brief.", "question 0", "only in the fork"]

    via_chuk = await ChukSessionsStore(store).get(child)
    assert via_chuk is not None
    assert [e.message for e in via_chuk.events] == ["question 0", "only in the fork"]
    # The parent is untouched by what the fork appends.
    reread = SessionManager(session_id=parent.session_id, store=store)
    assert len(await reread.get_messages_for_llm()) == 7


async def test_fork_of_a_fork_resolves_recursively(store: Store) -> None:
    parent = await _conversation(store)
    first = await parent.fork()
    await first.user_says("first fork says")
    await first.ai_responds("first fork hears")
    second = await first.fork(at=first.session.events[-2].id if first.session else None)
    await second.user_says("second fork says")
    texts = [m["content"] for m in await second.get_messages_for_llm()]
    assert texts == [
        "Be brief.",
        "question 0",
        "answer 0",
        "question 1",
        "answer 1",
        "question 2",
        "answer 2",
        "first fork says",
        "second fork says",
    ]
    assert await list_branches(first.session_id, store) == [second.session_id]
    # A fork at an event the fork itself shares points past it, at the ancestor that owns it.
    assert second.session is not None
    third = await fork(second.session_id, at=second.session.events[0].id, store=store)
    loaded = await Session.load(third, store)
    assert loaded is not None and [e.message for e in loaded.events] == ["question 0"]
    assert loaded.fork_of is not None and loaded.fork_of.session_id == parent.session_id


async def test_fork_refuses_bad_positions_and_taken_ids(store: Store) -> None:
    parent = await _conversation(store, turns=1)
    with pytest.raises(UsageError):
        await fork(parent.session_id, at=99, store=store)
    with pytest.raises(UsageError):
        await fork(parent.session_id, at="no-such-event", store=store)
    with pytest.raises(SessionNotFound):
        await fork("missing", store=store)
    with pytest.raises(SessionAlreadyExists):
        await fork(parent.session_id, store=store, new_session_id=parent.session_id)
    with pytest.raises(UsageError, match="invalid session id ''"):  # not a request for a new id
        await fork(parent.session_id, store=store, new_session_id="")
    assert await list_branches(parent.session_id, store) == []


def test_chat_session_fork_in_a_store(make_store: Callable[[], Store]) -> None:
    store = make_store()
    chat = ChatSession(system_prompt="sys")
    for i in range(4):
        chat.add_message(ChatMessage.user(f"u{i}"))
        chat.add_message(ChatMessage.assistant(f"a{i}"))
    chat.save(store)
    branch = chat.fork(at=2)  # sys, u0, a0
    branch.add_message(ChatMessage.user("branch"))
    branch.save(store)
    again = ChatSession.load(branch.session_id, store)
    assert [m.text for m in again.history] == ["sys", "u0", "a0", "branch"]
    assert [m.text for m in ChatSession.load(chat.session_id, store).history][-1] == "a3"


def test_chat_session_fork_in_memory_shares_messages() -> None:
    chat = ChatSession(system_prompt="sys")
    chat.add_message(ChatMessage.user("hello"))
    branch = chat.fork()
    assert branch.history[1] is chat.history[1]
    branch.add_message(ChatMessage.user("only here"))
    assert len(chat.history) == 2 and len(branch.history) == 3


@pytest.mark.parametrize("stored", [False, True])
def test_a_fork_keeps_the_settings_of_its_parent(make_store: Callable[[], Store], stored: bool) -> None:
    chat = ChatSession(max_tokens=900, safety_margin=0.8, compact_to=0.5, model="gpt-4o", metadata={"k": 1})
    chat.add_message(ChatMessage.user("hello"))
    if stored:
        chat.save(make_store())
    branch = chat.fork()
    settings = ("max_tokens", "safety_margin", "compact_to", "model", "metadata", "compactor")
    assert [getattr(branch, name) for name in settings] == [getattr(chat, name) for name in settings]
