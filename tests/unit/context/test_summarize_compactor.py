"""SummarizeCompactor and ToolOutputPruningCompactor: rolling summaries, strategies, drivers, pruning."""

from __future__ import annotations

import asyncio
import sys

import pytest

from sessionforge.context.extractive import extractive_summarizer
from sessionforge.context.summarize import (
    SUMMARY_PREFIX,
    SummarizationStrategy,
    build_summary_request,
    call_summarizer,
    is_summary,
)
from sessionforge.context.summarizing import SummarizeCompactor, ToolOutputPruningCompactor
from sessionforge.context.windowed import fit_to_window, local_model_summarizer
from sessionforge.core.messages import ChatMessage, ToolCall
from sessionforge.core.tokens import counter_for_model
from sessionforge.errors import MissingDependencyError, UsageError
from sessionforge.faces.chat_session import ChatSession

COUNTER = counter_for_model("gpt-4o")
FILLER = "That sounds reasonable, tell me a bit more about how that usually works in practice."


def long_chat(turns: int = 20, fact_at: int = 2) -> list[ChatMessage]:
    messages = [ChatMessage.system("You are a helpful assistant.")]
    for i in range(turns):
        if i == fact_at:
            messages.append(ChatMessage.user("My manager is Priya Raman and the budget is 4200 euros."))
        else:
            messages.append(ChatMessage.user(FILLER))
        messages.append(ChatMessage.assistant(FILLER))
    messages.append(ChatMessage.user("What should we do next?"))
    return messages


class Recorder:
    """A summarizer that remembers its requests and answers with a fixed text."""

    def __init__(self, answer: str = "- Priya Raman manages; budget 4200 euros.") -> None:
        self.answer = answer
        self.requests: list[list[ChatMessage]] = []

    def __call__(self, request: list[ChatMessage]) -> str:
        self.requests.append(request)
        return self.answer


def test_strategies_have_their_own_prompts() -> None:
    messages = [ChatMessage.user("Is 42 the answer?"), ChatMessage.assistant("Yes.")]
    prompts = {s: build_summary_request(messages, s)[0].text for s in SummarizationStrategy}
    assert len(set(prompts.values())) == len(SummarizationStrategy)
    assert "question" in prompts[SummarizationStrategy.QUERY_FOCUSED]
    assert "topic" in prompts[SummarizationStrategy.TOPIC_BASED]
    assert "number" in prompts[SummarizationStrategy.KEY_POINTS]
    request = build_summary_request(messages, "basic", previous_summary="- earlier fact 7")
    assert "<previous_summary>\n- earlier fact 7" in request[-1].text
    assert "merge them" in request[0].text
    assert "User: Is 42 the answer?" in request[-1].text


def test_summary_replaces_dropped_turns_and_sits_after_system() -> None:
    messages = long_chat()
    summarizer = Recorder()
    out = SummarizeCompactor(summarizer, keep_recent=4)(messages, 200, COUNTER)
    assert COUNTER.count_messages(out) <= 200
    assert out[0] is messages[0]
    assert is_summary(out[1])
    assert out[1].text.startswith(SUMMARY_PREFIX)
    assert out[-1] is messages[-1]
    assert "Priya Raman" in summarizer.requests[0][-1].text


def test_summary_rolls_instead_of_stacking() -> None:
    summarizer = Recorder()
    compactor = SummarizeCompactor(summarizer, keep_recent=2)
    first = compactor(long_chat(), 200, COUNTER)
    later = [*first, *[ChatMessage.assistant(FILLER) for _ in range(12)], ChatMessage.user("Next?")]
    second = compactor(later, 200, COUNTER)
    assert sum(is_summary(m) for m in second) == 1
    assert "<previous_summary>\n- Priya Raman manages" in summarizer.requests[-1][-1].text
    assert all(not is_summary(m) for m in summarizer.requests[-1])


def test_extractive_summary_keeps_facts_across_rolls() -> None:
    compactor = SummarizeCompactor(keep_recent=2)
    first = compactor(long_chat(), 250, COUNTER)
    later = [*first, *[ChatMessage.assistant(FILLER) for _ in range(8)], ChatMessage.user("Next?")]
    second = compactor(later, 250, COUNTER)
    summary = next(m for m in second if is_summary(m))
    assert "Priya Raman" in summary.text
    assert "4200" in summary.text
    assert FILLER not in summary.text


def test_extractive_query_focused_keeps_questions() -> None:
    messages = [ChatMessage.user("how does caching work here?"), ChatMessage.assistant("it depends")]
    focused = extractive_summarizer(build_summary_request(messages, SummarizationStrategy.QUERY_FOCUSED))
    plain = extractive_summarizer(build_summary_request(messages, SummarizationStrategy.KEY_POINTS))
    assert "how does caching work here?" in focused
    assert plain == ""


def test_oversized_summary_is_cut_to_fit() -> None:
    compactor = SummarizeCompactor(Recorder("fact " * 5000), keep_recent=2, max_summary_tokens=60)
    out = compactor(long_chat(), 300, COUNTER)
    summary = next(m for m in out if is_summary(m))
    assert COUNTER.count_message(summary) <= 60 + COUNTER.count_message(ChatMessage.system(SUMMARY_PREFIX))
    assert summary.text.endswith("[truncated]")
    assert COUNTER.count_messages(out) <= 300


def test_conversation_that_fits_is_returned_unchanged() -> None:
    messages = long_chat(2)
    summarizer = Recorder()
    assert SummarizeCompactor(summarizer)(messages, 10_000, COUNTER) == messages
    assert summarizer.requests == []


async def test_async_driver_with_async_summarizer() -> None:
    async def summarize(request: list[ChatMessage]) -> str:
        await asyncio.sleep(0)
        return "async summary of 4200"

    out = await SummarizeCompactor(summarize, keep_recent=2).acompact(long_chat(), 200, COUNTER)
    assert any(is_summary(m) and "async summary of 4200" in m.text for m in out)


async def test_sync_driver_with_sync_summarizer_works_inside_a_loop() -> None:
    out = SummarizeCompactor(Recorder(), keep_recent=2)(long_chat(), 200, COUNTER)
    assert any(is_summary(m) for m in out)


async def test_sync_driver_runs_async_summarizer_inside_a_loop() -> None:
    """Inside a running loop (a notebook) the blocking driver runs the summarizer on a worker thread."""

    async def summarize(request: list[ChatMessage]) -> str:
        return "from a coroutine"

    out = SummarizeCompactor(summarize, keep_recent=2)(long_chat(), 200, COUNTER)
    assert any(is_summary(m) and "from a coroutine" in m.text for m in out)


def test_sync_driver_runs_async_summarizer_outside_a_loop() -> None:
    async def summarize(request: list[ChatMessage]) -> str:
        return "from async"

    out = SummarizeCompactor(summarize, keep_recent=2)(long_chat(), 200, COUNTER)
    assert any("from async" in m.text for m in out)


def test_summarizer_must_return_text() -> None:
    compactor = SummarizeCompactor(lambda request: 42, keep_recent=2)  # type: ignore[arg-type,return-value]
    with pytest.raises(UsageError, match="str"):
        compactor(long_chat(), 200, COUNTER)


async def test_call_summarizer_tells_sync_from_async() -> None:
    async def later(request: list[ChatMessage]) -> str:
        return "later"

    assert call_summarizer(lambda request: "now", []) == "now"
    assert await call_summarizer(later, []) == "later"


def test_chunked_requests_fold_into_one_summary() -> None:
    summarizer = Recorder()
    SummarizeCompactor(summarizer, keep_recent=2, max_request_tokens=60)(long_chat(), 200, COUNTER)
    assert len(summarizer.requests) > 1
    assert all("<previous_summary>" in r[-1].text for r in summarizer.requests[1:])


def test_chat_session_compacts_with_a_summary() -> None:
    session = ChatSession("You are terse.", max_tokens=300, compactor=SummarizeCompactor(keep_recent=2))
    for message in long_chat()[1:]:
        session.add_message(message)
    assert session.estimate_tokens() <= 300
    assert session.compactions
    assert any(is_summary(m) for m in session.compactions[-1].added)
    assert sum(is_summary(m) for m in session.messages) == 1


def test_local_model_summarizer_without_the_module(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sessionforge.providers.local", None)
    with pytest.raises(MissingDependencyError, match="local"):
        local_model_summarizer()


@pytest.mark.local_model
def test_the_local_model_summarizes_a_request_longer_than_its_window(monkeypatch: pytest.MonkeyPatch) -> None:
    from sessionforge.providers import local as local_module

    # The counter's load() loads the model, at its real window: only the summarizer is told of a
    # smaller one. A 768-token window rolls over in pieces exactly as the real 2,048-token one does,
    # for well under half of the model's reading time.
    local = counter_for_model(local_module.MODEL_NAME).load()
    monkeypatch.setattr(local_module, "CONTEXT_WINDOW", 768)
    request = build_summary_request(long_chat(turns=13), "key_points", max_tokens=48)
    assert local.count_messages(request) > 768  # one call could not even read it
    asked: list[int] = []
    complete_text = local_module.complete_text

    def counted(messages: list[ChatMessage], **options: object) -> str:
        asked.append(local.count_messages(messages))
        return complete_text(messages, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(local_module, "complete_text", counted)
    summary = local_model_summarizer(max_tokens=48)(request)
    assert len(asked) >= 2 and max(asked) <= 768 - 48  # read in pieces, each within the window
    assert isinstance(summary, str) and summary.strip()
    assert local.count_text(summary) <= 48


def test_a_small_window_is_rolled_over_in_pieces_that_fit() -> None:
    sizes: list[int] = []
    seen: list[str] = []

    def ask(request: list[ChatMessage]) -> str:
        sizes.append(COUNTER.count_messages(request))
        seen.append(request[1].text)
        return extractive_summarizer(request)

    messages = [ChatMessage.user(f"Order {1000 + i} ships to warehouse W{i} on day {i}.") for i in range(80)]
    request = build_summary_request(messages, "key_points", "The codename is BLUEBIRD.", max_tokens=150)
    assert COUNTER.count_messages(request) > 600
    summary = fit_to_window(ask, COUNTER, 400, answer_tokens=150)(request)
    assert len(sizes) > 2 and max(sizes) <= 400  # several calls, each within the window
    assert "BLUEBIRD" in seen[0]  # the earlier summary went into the first call
    assert "Order 1000 " in seen[0] and "Order 1079 " in seen[-1]  # every line was read, in order
    assert all("<previous_summary>" in text for text in seen[1:])  # each call rolled the summary on
    assert summary and COUNTER.count_text(summary) <= 150


# ---- tool output pruning ----------------------------------------------------------------------------


def tool_chat(rounds: int = 6) -> list[ChatMessage]:
    messages = [ChatMessage.system("You run tools.")]
    for i in range(rounds):
        messages.append(ChatMessage.user(f"List directory {i}"))
        call = ToolCall(id=f"call_{i}", name="ls", arguments={"dir": i})
        messages.append(ChatMessage.assistant(None, tool_calls=[call]))
        listing = "\n".join(f"file_{i}_{n}.txt 4096 bytes" for n in range(150))
        messages.append(ChatMessage.tool(listing, tool_call_id=call.id, name="ls"))
        messages.append(ChatMessage.assistant(f"Directory {i} has 150 files."))
    return messages


def test_pruning_shortens_old_tool_results_first() -> None:
    messages = tool_chat()
    total = COUNTER.count_messages(messages)
    out = ToolOutputPruningCompactor(max_tool_tokens=40, keep_recent=4)(messages, total // 2, COUNTER)
    assert COUNTER.count_messages(out) <= total // 2
    assert len(out) == len(messages), "pruning alone should have been enough"
    pruned = [m for m in out if m.metadata.get("sessionforge", {}).get("pruned_tokens")]
    assert pruned
    assert all(m.role == "tool" and "[pruned " in m.text for m in pruned)
    assert pruned[0].tool_call_id == "call_0"
    assert out[-2] is messages[-2], "recent tool results are not pruned"
    assert out[3].text.startswith("file_0_0.txt")
    assert out[3].text.rstrip().endswith("bytes")


def test_pruning_falls_back_to_dropping() -> None:
    messages = tool_chat()
    out = ToolOutputPruningCompactor(max_tool_tokens=40, keep_recent=4)(messages, 200, COUNTER)
    assert COUNTER.count_messages(out) <= 200
    assert out[0] is messages[0]


def test_rejects_bad_settings() -> None:
    with pytest.raises(UsageError):
        SummarizeCompactor(keep_recent=-1)
    with pytest.raises(UsageError):
        ToolOutputPruningCompactor(max_tool_tokens=1)
