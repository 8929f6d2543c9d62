"""Token counts stored with each event: a reload takes them, and they equal counting afresh."""

from __future__ import annotations

from pathlib import Path

import pytest

from sessionforge import ChatMessage, ChatSession, SessionManager
from sessionforge.core.events import TOKENS_KEY, SessionEvent, chat_message_event
from sessionforge.core.projection import event_messages
from sessionforge.core.tokens import counter_for_model, persisted_counts, seed_counts
from sessionforge.errors import CorruptRecordError
from sessionforge.storage.config import open_store
from sessionforge.storage.memory import MemoryStore
from sessionforge.storage.session import Session

MODEL = "gpt-4o-mini"
TEXTS = [
    "Hello there, how are you?",
    "Fine, thanks. 日本語のテキストと emoji 🎉 mixed in.",
    "<|endoftext|> is ordinary text here",
    "",
]


def _fresh_count(message: ChatMessage, model: str = MODEL) -> int:
    """The count of an equal message that has never been counted."""
    copy = ChatMessage.from_dict(message.to_dict())
    assert not copy.token_cache
    return counter_for_model(model).count_message(copy)


def test_only_exact_encodings_text_counts_are_kept() -> None:
    cache = {"o200k_base": 12, "o200k_base:text": 5, "claude-est:text": 7, "cl100k_base:text": 4}
    assert persisted_counts(cache) == {"o200k_base": 5, "cl100k_base": 4}
    target: dict[str, int] = {"cl100k_base:text": 9}
    seed_counts(target, {"o200k_base": 5, "cl100k_base": 4, "unknown_encoding": 3})
    assert target == {"cl100k_base:text": 9, "o200k_base:text": 5}


def test_a_counted_message_writes_its_counts_and_an_uncounted_one_none() -> None:
    message = ChatMessage.user("count me once")
    event = chat_message_event(message)
    assert TOKENS_KEY not in event.to_record()
    counter_for_model(MODEL).count_message(event_messages(event)[0])
    record = event.to_record()
    assert record[TOKENS_KEY] == [{"o200k_base": counter_for_model(MODEL).count_text("count me once")}]
    loaded = SessionEvent.from_record(record, seq=1)
    (read,) = event_messages(loaded)
    assert read.token_cache == {"o200k_base:text": record[TOKENS_KEY][0]["o200k_base"]}
    assert counter_for_model(MODEL).count_message(read) == _fresh_count(message)


def test_chat_session_reload_takes_stored_counts_and_they_are_exact(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'chat.db'}")
    chat = ChatSession(system_prompt="Be brief.", model=MODEL)
    for index, text in enumerate(TEXTS * 3):
        role = "user" if index % 2 == 0 else "assistant"
        chat.add_message(ChatMessage(role=role, content=text or "…"), enforce=False)
    chat.save(store)
    loaded = ChatSession.load(chat.session_id, store)
    assert loaded.history == chat.history
    for message in loaded.history:
        assert "o200k_base:text" in message.token_cache  # taken from the record, not tokenized
    fresh = sum(_fresh_count(m) for m in loaded.messages) + counter_for_model(MODEL).reply_priming
    assert loaded.estimate_tokens() == chat.estimate_tokens() == fresh


async def test_manager_reload_view_counts_equal_counting_afresh() -> None:
    store = MemoryStore()
    manager = SessionManager(store=store, model=MODEL, system_prompt="You help.")
    for index, text in enumerate(TEXTS):
        await manager.user_says(text or "?")
        await manager.ai_responds(f"reply {index}: {text}", model=MODEL)
    before = await manager.get_messages_for_llm()
    records = await store.load(manager.session_id)
    assert sum(TOKENS_KEY in r.record for r in records) == 2 * len(TEXTS)
    reopened = SessionManager(session_id=manager.session_id, store=store, model=MODEL)
    assert await reopened.get_messages_for_llm() == before
    messages = await reopened.get_messages()
    counter = counter_for_model(MODEL)
    assert sum(counter.count_message(m) for m in messages) == sum(_fresh_count(m) for m in messages)


@pytest.mark.parametrize("bad", [[{"o200k_base": -1}], {"o200k_base": 3}, [{"o200k_base": "3"}], "x"])
async def test_malformed_stored_counts_are_a_corrupt_record(bad: object) -> None:
    store = MemoryStore()
    session = await Session.create(store=store)
    record = chat_message_event(ChatMessage.user("hi")).to_record()
    record[TOKENS_KEY] = bad
    last = await store.append(session.id, [record])
    with pytest.raises(CorruptRecordError) as info:
        await Session.load(session.id, store)
    assert info.value.session_id == session.id
    assert info.value.seq == last


def test_the_fast_private_initializers_set_every_private_attribute() -> None:
    event = SessionEvent.from_record(chat_message_event(ChatMessage.user("hi")).to_record(), seq=1)
    assert set(event.__pydantic_private__ or {}) == set(SessionEvent.__private_attributes__)
    assert set(event.message.__pydantic_private__ or {}) == set(ChatMessage.__private_attributes__)
    other = ChatMessage.user("hi")
    assert other.token_cache == {} and other.token_cache is not event.message.token_cache
    assert event.model_copy().projection_cache is None


async def test_an_import_counts_afresh_whatever_counts_the_file_carries() -> None:
    from sessionforge.interop.portable import export_session, import_session

    source = MemoryStore()
    manager = SessionManager(store=source, model=MODEL)
    await manager.user_says("count me after the import")
    exported = await export_session(manager.session_id, source)
    assert TOKENS_KEY in exported  # the writer vouched for its counts
    edited = exported.replace(f'"{TOKENS_KEY}": [{{"o200k_base": ', f'"{TOKENS_KEY}": [{{"o200k_base": 9')
    assert edited != exported
    target = MemoryStore()
    session_id = await import_session(edited, target)
    assert all(TOKENS_KEY not in r.record for r in await target.load(session_id))
    (message,) = await SessionManager(session_id=session_id, store=target, model=MODEL).get_messages()
    assert counter_for_model(MODEL).count_message(message) == _fresh_count(message)
