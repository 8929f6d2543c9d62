"""Tool pairing: orphaned results, unanswered calls and reused ids are found, refused or repaired."""

from __future__ import annotations

import pytest

from sessionforge.core.messages import ChatMessage, ToolCall
from sessionforge.core.pairing import (
    NO_RESULT,
    PairingIssue,
    PairingState,
    check_tool_pairing,
    find_pairing_issues,
    repair_tool_pairing,
)
from sessionforge.errors import MessageFormatError, SessionforgeError, ToolPairingError


def call(*ids: str, text: str | None = None) -> ChatMessage:
    return ChatMessage.assistant(
        text, tool_calls=[ToolCall(id=i, name="lookup", arguments={"q": i}) for i in ids]
    )


def result(call_id: str, text: str = "ok") -> ChatMessage:
    return ChatMessage.tool(text, tool_call_id=call_id, name="lookup")


USER = ChatMessage.user("hi")
SYSTEM = ChatMessage.system("be brief")
REPLY = ChatMessage.assistant("done")


def test_a_well_paired_history_has_no_issues_and_is_left_alone() -> None:
    history = [
        SYSTEM,
        USER,
        call("a", "b"),
        result("b"),
        result("a"),
        REPLY,
        USER,
        call("c"),
        result("c"),
        REPLY,
    ]
    assert find_pairing_issues(history) == []
    check_tool_pairing(history, complete=True)
    repaired, warnings = repair_tool_pairing(history)
    assert repaired == history
    assert warnings == []


def test_an_orphaned_result_is_reported_and_dropped_on_repair() -> None:
    history = [USER, result("ghost"), REPLY]
    assert find_pairing_issues(history) == [PairingIssue("orphaned_result", 1, "ghost")]
    repaired, warnings = repair_tool_pairing(history)
    assert repaired == [USER, REPLY]
    assert warnings == ["message 1: tool result 'ghost' answers no open call: dropped"]


def test_a_second_result_for_one_call_is_an_orphan() -> None:
    history = [USER, call("a"), result("a"), result("a", "again")]
    assert find_pairing_issues(history) == [PairingIssue("orphaned_result", 3, "a")]


def test_a_call_unanswered_before_the_next_user_message_is_reported() -> None:
    history = [USER, call("a", "b"), result("a"), USER]
    assert find_pairing_issues(history) == [PairingIssue("unanswered_call", 3, "b")]


def test_a_call_open_at_the_end_is_fine_unless_the_history_is_complete() -> None:
    history = [USER, call("a")]
    assert find_pairing_issues(history) == []
    assert find_pairing_issues(history, complete=True) == [PairingIssue("unanswered_call", 1, "a")]


def test_repair_answers_an_unanswered_call_right_after_its_results() -> None:
    history = [USER, call("a", "b"), result("a"), REPLY, USER, REPLY]
    repaired, warnings = repair_tool_pairing(history)
    assert [m.role for m in repaired] == [
        "user",
        "assistant",
        "tool",
        "tool",
        "assistant",
        "user",
        "assistant",
    ]
    filler = repaired[3]
    assert (filler.tool_call_id, filler.content, filler.name) == ("b", NO_RESULT, "lookup")
    assert warnings == ["tool call 'b' was never answered: added a result saying so"]
    assert find_pairing_issues(repaired, complete=True) == []


def test_repair_of_a_complete_history_answers_calls_open_at_the_end() -> None:
    repaired, warnings = repair_tool_pairing([USER, call("a")])
    assert [m.tool_call_id for m in repaired] == [None, None, "a"]
    assert len(warnings) == 1
    kept, none = repair_tool_pairing([USER, call("a")], complete=False)
    assert (len(kept), none) == (2, [])


def test_a_reused_call_id_is_reported_once_and_renamed_with_its_result() -> None:
    history = [USER, call("x"), result("x", "first"), USER, call("x"), result("x", "second")]
    assert find_pairing_issues(history) == [PairingIssue("duplicate_id", 4, "x")]
    repaired, warnings = repair_tool_pairing(history)
    assert [c.id for c in repaired[4].tool_calls] == ["x~2"]
    assert (repaired[5].tool_call_id, repaired[5].content) == ("x~2", "second")
    assert (repaired[2].tool_call_id, repaired[2].content) == ("x", "first")
    assert warnings == ["message 4: tool-call id 'x' was used before: renamed 'x~2'"]
    assert find_pairing_issues(repaired, complete=True) == []


def test_a_reused_id_within_one_message_pairs_results_in_order() -> None:
    history = [USER, call("x", "x"), result("x", "one"), result("x", "two")]
    repaired, _ = repair_tool_pairing(history)
    assert [c.id for c in repaired[1].tool_calls] == ["x", "x~2"]
    assert [(m.tool_call_id, m.content) for m in repaired[2:]] == [("x", "one"), ("x~2", "two")]
    assert find_pairing_issues(repaired, complete=True) == []


def test_repair_leaves_the_input_and_its_token_caches_alone() -> None:
    original = call("x")
    original.token_cache["k"] = 7
    history = [USER, call("x"), result("x"), USER, original, result("x")]
    repaired, _ = repair_tool_pairing(history)
    assert repaired[4] is not original
    assert repaired[4].token_cache == {}
    assert original.token_cache == {"k": 7}
    assert history[4].tool_calls[0].id == "x"


def test_check_raises_a_pairing_error_listing_every_issue() -> None:
    with pytest.raises(ToolPairingError) as info:
        check_tool_pairing([USER, result("ghost"), call("a"), USER])
    error = info.value
    assert isinstance(error, MessageFormatError) and isinstance(error, SessionforgeError)
    assert [i.kind for i in error.issues] == ["orphaned_result", "unanswered_call"]
    assert "message 1: tool result 'ghost' answers no open tool call" in str(error)
    assert "message 3: tool call 'a' is never answered before the next user message" in str(error)


def test_the_incremental_state_refuses_a_message_and_stays_as_it_was() -> None:
    state = PairingState()
    for message in (USER, call("a")):
        state.check(message)
    with pytest.raises(ToolPairingError, match="never answered"):
        state.check(USER)
    with pytest.raises(ToolPairingError, match="answers no open"):
        state.check(result("b"))
    state.check(result("a"))
    state.check(USER)
    assert state.count == 4
    with pytest.raises(ToolPairingError, match="reuses"):
        state.check(call("a"))


def test_the_incremental_state_agrees_with_the_whole_list_check() -> None:
    history = [USER, call("a", "b"), result("a"), result("zz"), USER, call("a"), result("a"), call("c")]
    state = PairingState()
    incremental = [issue for message in history for issue in state.feed(message)]
    assert incremental == find_pairing_issues(history)
    assert incremental + state.close() == find_pairing_issues(history, complete=True)
