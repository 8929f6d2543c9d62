from __future__ import annotations

import pytest

from sessionforge import (
    ChatMessage,
    ChatSession,
    ContextOverflowError,
    SlidingWindowCompactor,
    ToolCall,
    TruncateCompactor,
    UsageError,
)


def test_system_prompt_is_first_message() -> None:
    session = ChatSession(system_prompt="Hello")
    assert session.messages[0] == ChatMessage.system("Hello").model_copy(
        update={"created_at": session.messages[0].created_at}
    )
    assert session.system_prompt == "Hello"
    assert session.last_message is session.messages[0]


def test_session_ids_are_unique() -> None:
    assert ChatSession().session_id != ChatSession().session_id


def test_estimate_tokens_is_exact_running_total() -> None:
    session = ChatSession(system_prompt="Be concise.", model="gpt-4o-mini")
    for i in range(30):
        session.add_message(ChatMessage.user(f"message number {i} 東京 🚀"))
    assert session.estimate_tokens() == session.counter.count_messages(session.messages)
    assert session.token_accuracy == "exact"


def test_overflow_without_compactor_leaves_session_unchanged() -> None:
    session = ChatSession(system_prompt="Be concise.", max_tokens=60)
    session.add_message(ChatMessage.user("short"))
    before = session.messages
    with pytest.raises(ContextOverflowError) as info:
        session.add_message(ChatMessage.user("a long message " * 20))
    assert session.messages == before
    assert info.value.limit == 60
    assert info.value.needed is not None and info.value.needed > 60
    assert "60" in str(info.value)


def test_safety_margin_sets_effective_limit() -> None:
    session = ChatSession(max_tokens=2000, safety_margin=0.8)
    assert session.effective_limit == 1600


def test_auto_compaction_keeps_budget_and_history() -> None:
    session = ChatSession(
        system_prompt="Be helpful.", max_tokens=300, compactor=TruncateCompactor(), safety_margin=0.8
    )
    for i in range(100):
        session.add_message(ChatMessage.user(f"Message {i} about things"))
        session.add_message(ChatMessage.assistant(f"Answer {i} about things"), enforce=False)
        assert session.estimate_tokens() <= 240 + 20  # an unenforced reply may sit past the limit
    assert session.messages[0].role == "system"
    assert session.compactions, "the budget must have forced compaction"
    assert len(session.history) == 201
    assert session.messages[-1].text == "Answer 99 about things"


def test_reply_past_limit_is_kept_then_compacted_on_next_add() -> None:
    session = ChatSession(max_tokens=100, compactor=TruncateCompactor())
    session.add_message(ChatMessage.user("q1"))
    session.add_message(ChatMessage.assistant("long answer " * 80), enforce=False)
    assert session.estimate_tokens() > 100
    session.add_message(ChatMessage.user("q2"))
    assert session.estimate_tokens() <= 100
    assert session.messages[-1].text == "q2"


def test_compactor_that_cannot_fit_raises_with_sizes() -> None:
    session = ChatSession(system_prompt="x " * 200, max_tokens=100, compactor=TruncateCompactor())
    with pytest.raises(ContextOverflowError, match="alone need"):
        session.add_message(ChatMessage.user("hi"))


def test_manual_compact_to_target() -> None:
    session = ChatSession(system_prompt="Be helpful.", compactor=TruncateCompactor())
    for i in range(50):
        session.add_message(ChatMessage.user(f"Tell me about topic {i}"))
        session.add_message(ChatMessage.assistant(f"Topic {i} is interesting because " + "x " * 20))
    report = session.compact(target_tokens=300)
    assert session.estimate_tokens() <= 300
    assert report.before_tokens > report.after_tokens == session.estimate_tokens()
    assert len(report.dropped) == 101 - len(session.messages)
    assert session.messages[0].role == "system"


def test_compact_without_budget_needs_target() -> None:
    with pytest.raises(UsageError, match="target_tokens"):
        ChatSession().compact()


def test_clear_preserves_or_drops_system() -> None:
    session = ChatSession(system_prompt="sys")
    session.add_message(ChatMessage.user("hi"))
    session.clear(preserve_system=True)
    assert [m.role for m in session.messages] == ["system"]
    session.clear(preserve_system=False)
    assert session.messages == []
    assert session.estimate_tokens() == 0


def test_serialization_round_trip() -> None:
    session = ChatSession(system_prompt="sys")
    session.add_message(ChatMessage.user("hi"))
    session.add_message(
        ChatMessage.assistant(None, tool_calls=[ToolCall(id="c1", name="f", arguments={"a": 1})])
    )
    session.add_message(ChatMessage.tool("1", tool_call_id="c1"))
    data = session.to_dict_list()
    again = ChatSession.from_dict_list(data)
    assert again.messages == session.messages
    assert again.system_prompt == "sys"


def test_add_message_refuses_non_messages() -> None:
    with pytest.raises(UsageError, match="ChatMessage"):
        ChatSession().add_message({"role": "user", "content": "hi"})  # type: ignore[arg-type]


@pytest.mark.parametrize("kwargs", [{"max_tokens": 0}, {"safety_margin": 0}, {"safety_margin": 1.5}])
def test_bad_arguments_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(UsageError):
        ChatSession(**kwargs)  # type: ignore[arg-type]


def test_switching_model_recounts_with_new_tokenizer() -> None:
    session = ChatSession(system_prompt="東京 " * 30, model="gpt-4o")
    o200k = session.estimate_tokens()
    session.use_model("gpt-3.5-turbo")
    assert session.counter.key == "cl100k_base"
    assert session.estimate_tokens() == session.counter.count_messages(session.messages)
    assert session.estimate_tokens() != o200k


def test_sliding_window_in_session() -> None:
    session = ChatSession(system_prompt="s", compactor=SlidingWindowCompactor(window=4))
    for i in range(10):
        session.add_message(ChatMessage.user(f"u{i}"))
    session.compact(target_tokens=10_000)
    assert [m.text for m in session.messages] == ["s", "u6", "u7", "u8", "u9"]
