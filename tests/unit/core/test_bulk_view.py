"""A view folded from a whole reloaded log at once equals one folded event by event.

A reload builds the :class:`ConversationView` in one pass over the batch; appends fold one event at
a time. Both must give the same view, history, units, token totals, compaction entries, replay state
and tool-call pairing, on a log with every kind of event: turns, tool uses (recorded and as
messages), multimodal parts, a note, a summarizing compaction, an undo, a truncation, a fork and a
system prompt.
"""

from __future__ import annotations

from typing import Any

from sessionforge.context.compactors import TruncateCompactor
from sessionforge.context.summarizing import SummarizeCompactor
from sessionforge.core.events import EventSource, EventType, SessionEvent, chat_message_event
from sessionforge.core.messages import ChatMessage, ImagePart, TextPart, ToolCall
from sessionforge.core.projection import MARKS, ConversationView, event_messages
from sessionforge.core.tokens import counter_for_model
from sessionforge.core.units import UnitLog
from sessionforge.faces.manager import SessionManager
from sessionforge.storage.memory import MemoryStore
from sessionforge.storage.session import Session

MODEL = "gpt-4o"


async def _varied_log(store: MemoryStore) -> SessionManager:
    """A manager on a fork of a session that holds every kind of event."""
    manager = SessionManager(system_prompt="You answer in one line.", store=store, model=MODEL)
    for turn in range(4):
        await manager.user_says(f"question {turn}: what is {turn} squared?")
        await manager.ai_responds(f"{turn * turn}, as always.", model=MODEL, provider="openai")
    await manager.tool_used("square", {"x": 3}, 9, call_id="call_sq")
    await manager.tool_used("divide", {"x": 1, "y": 0}, None, error="division by zero")
    call = ToolCall(id="call_w", name="weather", arguments={"city": "Oslo"})
    await manager.record_event(chat_message_event(ChatMessage.assistant(None, tool_calls=[call])))
    await manager.record_event(chat_message_event(ChatMessage.tool("rain", tool_call_id="call_w")))
    picture = ImagePart(url="https://example.org/cat.png", detail="low")
    await manager.record_event(
        chat_message_event(ChatMessage.user([TextPart(text="What is this?"), picture]))
    )
    await manager.ai_responds("A cat.", model=MODEL, provider="openai")
    note = SessionEvent(
        source=EventSource.SYSTEM,
        type=EventType.SUMMARY,
        message="kept for people, never sent",
        metadata={MARKS: {"note": True}},
    )
    await manager.record_event(note)
    await manager.compact(200, SummarizeCompactor(keep_recent=2))
    await manager.user_says("and after the summary?")
    await manager.undo_compaction()
    await manager.ai_responds("Everything is back.", model=MODEL, provider="openai")
    # a call left open when the user speaks again: the pairing state must record it the same way
    open_call = ToolCall(id="call_open", name="slow", arguments={})
    await manager.record_event(chat_message_event(ChatMessage.assistant(None, tool_calls=[open_call])))
    await manager.user_says("never mind that call")
    await manager.compact(80, TruncateCompactor())
    fork = await manager.fork()
    await fork.user_says("a question on the fork")
    await fork.ai_responds("an answer on the fork", model=MODEL, provider="openai")
    await fork.tool_used("square", {"x": 4}, 16)
    return fork


def _plain(value: Any) -> Any:
    """``value`` with each message as its fields and token counts. A message projected from a text
    event is dated when it is built, so each load dates it anew: that stamp is left out."""
    if isinstance(value, ChatMessage):
        return (value.model_dump(exclude={"created_at"}), dict(value.token_cache))
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _units(log: UnitLog) -> list[Any]:
    return _plain([(u.messages, u.tokens, u.pinned, u.open_calls) for u in log.units])


def _state(view: ConversationView) -> dict[str, Any]:
    replay = view.replay
    return {
        "messages": _plain(view.messages()),
        "history": _plain(view.history),
        "request_tokens": view.request_tokens(),
        "total": view.log.total,
        "units": _units(view.log),
        "owners": [view.owner(m) for m in view.history],
        "view_ids": view.view_event_ids(),
        "order": list(replay.order),
        "in_force": [(f.record_id, f.before, f.mark, f.record) for f in replay.in_force],
        "undo": replay.undo_view(),
        "compactions": [
            (e.event_id, e.record, e.position, *_plain([e.view_before, e.view_after, e.dropped, e.added]))
            for e in view.compactions
        ],
        "pairing": vars(view._pairing),
    }


async def test_a_bulk_folded_view_equals_one_folded_event_by_event() -> None:
    store = MemoryStore()
    fork = await _varied_log(store)
    fork_id = fork.session_id
    counter = counter_for_model(MODEL)
    # Two loads: each view gets its own events, messages and token caches.
    first, second = await Session.load(fork_id, store), await Session.load(fork_id, store)
    assert first is not None and second is not None
    kinds = {e.type for e in first.events}
    assert {EventType.MESSAGE, EventType.TOOL_CALL, EventType.SUMMARY, EventType.COMPACTION} <= kinds
    assert any(e.type == EventType.SUMMARY and event_messages(e) for e in first.events)  # not only the note
    assert first.fork_of is not None
    prompt = first.system_prompt

    bulk = ConversationView(counter, first.events, system=prompt)
    incremental = ConversationView(counter, system=prompt)
    for event in second.events:
        incremental.add(event)

    assert len(bulk.compactions) == 3
    assert _state(bulk) == _state(incremental)
    # and the manager that wrote the fork's own events, one append at a time, shows the same
    assert _plain(await fork.get_messages()) == _plain(bulk.messages())


def test_a_bulk_extended_unit_log_equals_one_appended_message_by_message() -> None:
    counter = counter_for_model(MODEL)
    calls = [ToolCall(id="a", name="f"), ToolCall(id="b", name="g")]
    messages = [
        ChatMessage.system("rules"),
        ChatMessage.user("one"),
        ChatMessage.assistant(None, tool_calls=calls),
        ChatMessage.tool("A", tool_call_id="a"),
        ChatMessage.user("two"),  # pins this unit and unpins the first user's
        ChatMessage.tool("B", tool_call_id="b"),  # its call's unit is no longer the last one
        ChatMessage.assistant("done"),
        ChatMessage.user("three"),
    ]
    one_by_one = UnitLog(counter)
    for message in messages:
        one_by_one.append(message)
    for split in range(len(messages) + 1):
        bulk = UnitLog(counter, messages[:split])
        bulk.extend(messages[split:])
        assert _units(bulk) == _units(one_by_one)
        assert bulk.total == one_by_one.total
