from __future__ import annotations

from sessionforge import ChatMessage, ToolCall, TruncateCompactor, counter_for_model
from sessionforge.core.units import split_units


def _call(call_id: str) -> ChatMessage:
    return ChatMessage.assistant(None, tool_calls=[ToolCall(id=call_id, name="f", arguments={})])


def test_tool_call_and_results_form_one_unit() -> None:
    counter = counter_for_model("gpt-4o")
    messages = [
        ChatMessage.system("s"),
        ChatMessage.user("u"),
        ChatMessage.assistant(
            None,
            tool_calls=[ToolCall(id="a", name="f", arguments={}), ToolCall(id="b", name="g", arguments={})],
        ),
        ChatMessage.tool("ra", tool_call_id="a"),
        ChatMessage.tool("rb", tool_call_id="b"),
        ChatMessage.assistant("done"),
    ]
    units = split_units(messages, counter)
    assert [len(u.messages) for u in units] == [1, 1, 3, 1]
    assert [u.pinned for u in units] == [True, True, False, False]
    assert sum(u.tokens for u in units) == sum(counter.count_message(m) for m in messages)


def test_truncation_never_splits_a_tool_pair() -> None:
    counter = counter_for_model("gpt-4o")
    messages = [ChatMessage.system("s")]
    for i in range(20):
        messages += [
            ChatMessage.user(f"q{i}"),
            _call(f"c{i}"),
            ChatMessage.tool("r" * 50, tool_call_id=f"c{i}"),
        ]
    messages.append(ChatMessage.user("last"))
    kept = TruncateCompactor()(messages, 200, counter)
    assert counter.count_messages(kept) <= 200
    ids_called = {c.id for m in kept for c in m.tool_calls}
    ids_answered = {m.tool_call_id for m in kept if m.role == "tool"}
    assert ids_called == ids_answered
    assert kept[0].role == "system" and kept[-1].text == "last"
    positions = [messages.index(m) for m in kept]
    assert positions == sorted(positions)
