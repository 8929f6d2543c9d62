"""Summary requests: the structured request, reading it and its answer back, the rolling summary,
segment budgets and chunked summaries within their target."""

from __future__ import annotations

import asyncio

import pytest

from sessionforge.context.chunked import summarize_in_chunks
from sessionforge.context.summarize import (
    NOTE_SECTIONS,
    SummarizationStrategy,
    SummaryBrief,
    build_summary_request,
    fit_lines,
    parse_notes,
    parse_request,
    segment_summary_request,
)
from sessionforge.core.messages import ChatMessage
from sessionforge.core.tokens import counter_for_model
from sessionforge.errors import UsageError

COUNTER = counter_for_model("gpt-4o")


def test_every_strategy_asks_for_the_same_sections() -> None:
    messages = [ChatMessage.user("the build box is named ironbark-two")]
    for strategy in SummarizationStrategy:
        system = build_summary_request(messages, strategy)[0].text
        assert [name for name in NOTE_SECTIONS if f"\n{name}:" in system] == list(NOTE_SECTIONS)


def test_a_request_reads_back() -> None:
    request = build_summary_request(
        [ChatMessage.user("hi"), ChatMessage.assistant("hello")],
        "topic_based",
        "Facts:\n- user: an earlier fact",
        max_tokens=120,
        counter=COUNTER,
    )
    parsed = parse_request(request)
    assert parsed is not None
    assert parsed.strategy == SummarizationStrategy.TOPIC_BASED
    assert parsed.max_tokens == 120
    assert parsed.counter_key == COUNTER.key
    assert parsed.previous_summary == "Facts:\n- user: an earlier fact"
    assert parsed.transcript == "User: hi\nAssistant: hello"
    assert parse_request([ChatMessage.user("not a request")]) is None


def test_an_answer_reads_back_by_section() -> None:
    answer = (
        "Overview: a planning chat.\n## Facts\n- the build box is ironbark-two\n* port 9090\n"
        "Corrections applied:\n- timeout: ninety seconds\nstray line"
    )
    notes = parse_notes(answer)
    assert notes["Overview"] == ["a planning chat."]
    assert notes["Facts"] == ["the build box is ironbark-two", "port 9090"]
    assert notes["Corrections applied"] == ["timeout: ninety seconds", "stray line"]


def test_the_rolling_summary_folds_each_answer_into_the_next_request() -> None:
    flow = SummaryBrief().rolling(["User: one", "User: two", "User: three"], previous_summary="seed")
    request = next(flow)
    seen = []
    try:
        while True:
            seen.append(request[1].text)
            request = flow.send(f"summary after {len(seen)}")
    except StopIteration as done:
        final = done.value
    assert "<previous_summary>\nseed" in seen[0]
    assert "<previous_summary>\nsummary after 1" in seen[1] and "User: two" in seen[1]
    assert final == "summary after 3"


def test_an_empty_answer_keeps_the_summary_so_far_and_a_long_one_is_cut() -> None:
    flow = SummaryBrief(max_tokens=12, counter=COUNTER).rolling(["User: a", "User: b"])
    next(flow)
    flow.send("- line one\n- line two\n" + "- more words here\n" * 20)
    with pytest.raises(StopIteration) as done:
        flow.send("")
    summary = done.value.value
    assert summary.startswith("- line one\n- line two")
    assert COUNTER.count_text(summary) <= 12


def test_a_summarizer_must_answer_with_text() -> None:
    flow = SummaryBrief().rolling(["User: a"])
    next(flow)
    with pytest.raises(UsageError, match="str"):
        flow.send(42)


def test_fit_lines_keeps_whole_lines_or_marks_a_cut() -> None:
    text = "- alpha beta\n- gamma delta\n- epsilon"
    assert fit_lines(text, 100, COUNTER) == text
    assert (
        fit_lines(text, COUNTER.count_text("- alpha beta\n- gamma delta"), COUNTER)
        == "- alpha beta\n- gamma delta"
    )
    cut = fit_lines("word " * 50, 10, COUNTER)
    assert cut.endswith("[truncated]") and COUNTER.count_text(cut) <= 10


def test_a_segment_summary_gets_two_thirds_of_the_segment_and_never_shrinks() -> None:
    messages = [ChatMessage.user("tell me about the weather " * 20) for _ in range(6)]
    held = COUNTER.count_messages(messages)
    request = segment_summary_request(messages, "basic", None, COUNTER)
    assert parse_request(request).max_tokens == held * 2 // 3  # type: ignore[union-attr]
    long_notes = "- a fact worth keeping\n" * 400
    short = [ChatMessage.user("ok")]
    request = segment_summary_request(short, "basic", long_notes, COUNTER)
    assert parse_request(request).max_tokens == COUNTER.count_text(long_notes)  # type: ignore[union-attr]


def test_chunked_summaries_stay_within_their_target() -> None:
    messages = [ChatMessage.user(f"note {i}: the shelf {i} holds jars of plum jam") for i in range(200)]
    calls: list[int] = []

    def verbose(request: list[ChatMessage]) -> str:  # answers far past any budget
        calls.append(COUNTER.count_messages(request))
        return "\n".join(f"- point {i} of a long answer" for i in range(500))

    result = asyncio.run(
        summarize_in_chunks(messages, verbose, counter=COUNTER, target_tokens=80, chunk_tokens=400)
    )
    assert result.chunks == len(calls) > 1
    assert COUNTER.count_text(result.text) <= 80 == result.target_tokens
    default = asyncio.run(summarize_in_chunks(messages, verbose, counter=COUNTER, chunk_tokens=400))
    assert default.target_tokens == COUNTER.count_messages(messages) // 10
    assert COUNTER.count_text(default.text) <= default.target_tokens
    with pytest.raises(UsageError):
        asyncio.run(summarize_in_chunks(messages, verbose, counter=COUNTER, target_tokens=0))
