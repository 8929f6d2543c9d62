"""Summary requests: what a summarizer is asked, how its answer is read, and the rolling summary.

A summarizer is any callable ``(list[ChatMessage]) -> str`` that may also be ``async``: a model
behind any provider, the spec's ``llm_callback``, the embedded model, user code, or the built-in
extractive summarizer (:mod:`.extractive`). They all receive the same request, built here: a system
message with the strategy's instructions and the sections the notes should have (instructions,
facts, decisions, open questions, corrections applied), then a user message with the summary so far
(if any) and the transcript. :func:`parse_request` and :func:`parse_notes` read a request and an
answer back, so summarizers that are not language models work from the same request.

Every way of summarizing more than one request's worth (the compactors, a model with a small window,
a whole session summarized chunk by chunk, infinite-context segments) is the same rolling summary:
:meth:`SummaryBrief.rolling` is a generator that yields one request per piece of transcript and receives
the answer, which becomes the summary so far of the next request. It does no I/O; :func:`drive` and
:func:`adrive` run it, and :func:`call_summarizer` is the one place where sync and async summarizers
are told apart.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable, Generator, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeAlias, TypeVar

from .._sync import run_sync
from ..core.messages import ChatMessage
from ..core.tokens import TokenCounter
from ..errors import UsageError
from ..providers.openai import message_to_wire
from ._text import longest_prefix, truncated

__all__ = [
    "ALSO_SECTION",
    "NOTE_SECTIONS",
    "SUMMARY_PREFIX",
    "LLMCallback",
    "SummarizationStrategy",
    "Summarizer",
    "SummaryBrief",
    "SummaryFlow",
    "SummaryRequest",
    "adrive",
    "as_text",
    "build_summary_request",
    "call_summarizer",
    "chunk_messages",
    "drive",
    "fit_lines",
    "is_summary",
    "llm_callback_summarizer",
    "parse_notes",
    "parse_request",
    "render_transcript",
    "segment_summary_request",
    "summarize",
    "summary_body",
    "summary_request_parts",
]

Summarizer: TypeAlias = Callable[[list[ChatMessage]], "str | Awaitable[str]"]
"""Turns a summarization request (from :func:`build_summary_request`) into summary text."""

LLMCallback: TypeAlias = Callable[[list[dict[str, Any]]], "str | Awaitable[str]"]
"""The session-manager spec's summarization callback: provider-style message dicts in, text out."""

SummaryFlow: TypeAlias = Generator[list[ChatMessage], Any, str]
"""Yields summarization requests, receives the answers, returns the final summary text."""

SUMMARY_PREFIX = "Summary of the earlier conversation:\n"
"""Opens the text of every summary message, so that the model reads it as context, not as a turn."""

NOTE_SECTIONS = ("Instructions", "Facts", "Decisions", "Open questions", "Corrections applied")
"""The sections of the notes every request asks for, in this order."""

ALSO_SECTION = "Also mentioned"
"""Where the extractive summarizer files lines kept only because there was room."""

_HEADINGS = frozenset({*NOTE_SECTIONS, ALSO_SECTION, "Overview", "Questions"})


class SummarizationStrategy(StrEnum):
    """What a summary keeps (the session-manager spec's four strategies)."""

    BASIC = "basic"
    """A short general overview of what was discussed."""
    KEY_POINTS = "key_points"
    """Facts that later turns may need: names, numbers, decisions, commitments."""
    TOPIC_BASED = "topic_based"
    """The conversation organised by topic, each with its conclusions."""
    QUERY_FOCUSED = "query_focused"
    """What the user asked, and the answer each question received."""


_NOTES = (
    "Write the notes that let this conversation continue without its transcript, as a careful "
    "note-taker would. Use these sections, each a list of short lines starting with '- ', and leave "
    "out a section with nothing in it:\n"
    "Instructions: what the user asked you to do or how, their preferences and constraints.\n"
    "Facts: what was stated about the user, the people, the work and its setup, and what tools "
    "found; keep names, identifiers, paths, emails, flags, numbers and dates exactly as written, "
    "whatever their case.\n"
    "Decisions: what was decided or agreed, and by whom.\n"
    "Open questions: what is still unanswered or pending.\n"
    "Corrections applied: each value that was changed later, with its latest value only; drop the "
    "superseded value from every other section.\n"
    "Leave out greetings, thanks, small talk and anecdotes that nothing depends on."
)

_INSTRUCTIONS: dict[SummarizationStrategy, str] = {
    SummarizationStrategy.BASIC: (
        "Begin with 'Overview:' and two or three plain sentences on what the conversation was about "
        "and where it ended up."
    ),
    SummarizationStrategy.KEY_POINTS: (
        "Favour the key points later turns depend on: every name, number, date, identifier, decision "
        "and commitment, exactly as written."
    ),
    SummarizationStrategy.TOPIC_BASED: (
        "Within each section, group the lines by topic, each line opening with its topic and a colon."
    ),
    SummarizationStrategy.QUERY_FOCUSED: (
        "Add a section 'Questions:' before the others: each question the user asked, briefly, with "
        "the answer or outcome it received."
    ),
}

_ROLE_LABELS = {"system": "System", "user": "User", "assistant": "Assistant", "tool": "Tool"}


# ---- building requests -----------------------------------------------------------------------------


def is_summary(message: ChatMessage) -> bool:
    """Whether ``message`` is a summary written by a summarizing compactor."""
    marks = message.metadata.get("sessionforge")
    return isinstance(marks, dict) and bool(marks.get("summary"))


def summary_body(message: ChatMessage) -> str:
    """The text of a summary message without :data:`SUMMARY_PREFIX`."""
    text = message.text
    return text[len(SUMMARY_PREFIX) :] if text.startswith(SUMMARY_PREFIX) else text


def _one_line(text: str) -> str:
    # One line per message (the extractive summarizer reads the transcript line by line); a line
    # break that ends no sentence becomes "; ", so a log keeps its lines apart.
    lines = [" ".join(line.split()) for line in text.splitlines()]
    out = ""
    for line in filter(None, lines):
        out += line if not out else (" " if out.endswith((".", "!", "?", ";", ":")) else "; ") + line
    return out


def _render(message: ChatMessage) -> str:
    label = _ROLE_LABELS[message.role]
    parts: list[str] = []
    if message.text:
        parts.append(_one_line(message.text))
    for call in message.tool_calls:
        parts.append(f"[calls {call.name}({call.arguments_json})]")
    if message.role == "tool" and message.name:
        label = f"Tool {message.name}"
    return f"{label}: {' '.join(parts)}"


def render_transcript(messages: Sequence[ChatMessage]) -> str:
    """The messages as plain text, one line each, as a summarizer reads them."""
    return "\n".join(_render(m) for m in messages)


def build_summary_request(
    messages: Sequence[ChatMessage],
    strategy: SummarizationStrategy | str = SummarizationStrategy.KEY_POINTS,
    previous_summary: str | None = None,
    *,
    max_tokens: int | None = None,
    counter: TokenCounter | None = None,
) -> list[ChatMessage]:
    """The messages to send a summarizer: the instructions, then the summary so far and the transcript.

    ``previous_summary`` (from an earlier compaction or segment) is given to fold in, so the new
    summary replaces it rather than being stacked beside it. ``max_tokens`` is the summary's budget,
    counted by ``counter``; both are also recorded in the system message's ``metadata["sessionforge"]``
    for summarizers that are not language models (see :func:`parse_request`).
    """
    return SummaryBrief(strategy, max_tokens, counter).request(render_transcript(messages), previous_summary)


@dataclass(frozen=True)
class SummaryBrief:
    """How summaries are asked for: the ``strategy``, and the budget of an answer (``max_tokens``,
    counted by ``counter``). One brief serves a single request and a rolling summary alike."""

    strategy: SummarizationStrategy | str = SummarizationStrategy.KEY_POINTS
    max_tokens: int | None = None
    counter: TokenCounter | None = None

    def request(self, transcript: str, previous_summary: str | None = None) -> list[ChatMessage]:
        """:func:`build_summary_request` for a transcript already rendered as text."""
        strategy = SummarizationStrategy(self.strategy)
        max_tokens, counter = self.max_tokens, self.counter
        instructions = f"{_NOTES}\n{_INSTRUCTIONS[strategy]}"
        if previous_summary:
            instructions += (
                "\nThe notes so far are given first: merge them into yours, keeping every fact they hold "
                "unless the conversation changed it, so that your notes alone cover the whole conversation."
            )
        if max_tokens is not None:
            instructions += f"\nUse at most {max_tokens} tokens."
        sections = []
        if previous_summary:
            sections.append(f"<previous_summary>\n{previous_summary}\n</previous_summary>")
        sections.append(f"<conversation>\n{transcript}\n</conversation>")
        marks: dict[str, Any] = {
            "summary_strategy": strategy.value,
            "max_tokens": max_tokens,
            "counter": counter.key if counter is not None else None,
        }
        return [
            ChatMessage.system(instructions, metadata={"sessionforge": marks}),
            ChatMessage.user("\n\n".join(sections)),
        ]

    def rolling(self, pieces: Iterable[str], previous_summary: str | None = None) -> SummaryFlow:
        """Summarize transcript ``pieces`` one request each, each answer the summary so far of the next.

        Yields the requests and receives the answers (checked to be text); returns the last summary. A
        piece that leaves nothing to keep (an empty answer) keeps the summary so far. With ``counter``
        and ``max_tokens``, an answer longer than the budget is cut to it (whole lines first), so the
        summary carried on, and the one returned, never exceed it.
        """
        summary = previous_summary or ""
        for piece in pieces:
            answer = as_text((yield self.request(piece, summary or None)))
            summary = answer or summary
            summary = self.fit(summary)
        return self.fit(summary)  # the notes given, when nothing was added

    def fit(self, summary: str) -> str:
        """``summary`` cut to the budget (whole lines first), when the brief has one."""
        if summary and self.counter is not None and self.max_tokens is not None:
            return fit_lines(summary, self.max_tokens, self.counter)
        return summary


_SMALL_SEGMENT = 64


def segment_summary_request(
    messages: Sequence[ChatMessage],
    strategy: SummarizationStrategy | str,
    previous_summary: str | None,
    counter: TokenCounter,
) -> list[ChatMessage]:
    """The request that closes an infinite-context segment, with the summary's budget.

    The budget is two thirds of what the segment holds (its opening summary and its messages), so the
    next segment keeps a third of its room for new turns, and never less than the opening summary
    itself, so nothing the notes already hold has to make way (a segment closed after a few short
    turns would otherwise shrink them). A small segment may be kept whole, up to
    :data:`_SMALL_SEGMENT` tokens.
    """
    previous = counter.count_text(previous_summary) if previous_summary else 0
    held = counter.count_messages(messages) + previous
    budget = max(held * 2 // 3, previous, min(held, _SMALL_SEGMENT))
    return build_summary_request(messages, strategy, previous_summary, max_tokens=budget, counter=counter)


# ---- reading requests and answers ------------------------------------------------------------------


@dataclass(frozen=True)
class SummaryRequest:
    """A request built by :meth:`SummaryBrief.request`, read back."""

    strategy: SummarizationStrategy
    max_tokens: int | None
    previous_summary: str | None
    transcript: str
    counter_key: str | None = None
    """The ``key`` of the counter the budget is counted with, when the request names one."""


_SECTION = re.compile(r"<(previous_summary|conversation)>\n(.*?)\n</\1>", re.S)


def parse_request(request: Sequence[ChatMessage]) -> SummaryRequest | None:
    """The parts of a request built here, or ``None`` for any other list of messages."""
    if len(request) != 2 or request[0].role != "system" or request[1].role != "user":
        return None
    marks = request[0].metadata.get("sessionforge")
    if not isinstance(marks, dict) or marks.get("summary_strategy") is None:
        return None
    sections = dict(_SECTION.findall(request[1].text))
    if "conversation" not in sections:
        # An empty transcript renders as "<conversation>\n\n</conversation>".
        if "<conversation>\n\n</conversation>" not in request[1].text:
            return None
        sections["conversation"] = ""
    max_tokens = marks.get("max_tokens")
    key = marks.get("counter")
    return SummaryRequest(
        SummarizationStrategy(marks["summary_strategy"]),
        max_tokens if isinstance(max_tokens, int) else None,
        sections.get("previous_summary"),
        sections["conversation"],
        key if isinstance(key, str) else None,
    )


def summary_request_parts(
    request: Sequence[ChatMessage],
) -> tuple[SummarizationStrategy, int | None, str | None, str] | None:
    """``(strategy, max_tokens, previous summary, transcript)`` of a request built here, else ``None``."""
    parsed = parse_request(request)
    if parsed is None:
        return None
    return parsed.strategy, parsed.max_tokens, parsed.previous_summary, parsed.transcript


_HEADING = re.compile(r"^\**([A-Z][A-Za-z ]{1,40}?)\**\s*:\s*(.*)$")


def parse_notes(text: str) -> dict[str, list[str]]:
    """An answer's lines by section heading (``"Facts:"``, ``"## Decisions"`` ...), in order.

    Lines before any heading fall under ``""``; a known heading followed by text on its line (such
    as ``"Overview: ..."``) keeps that text as its first line. Bullets are stripped.
    """
    notes: dict[str, list[str]] = {}
    current = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            current = line.lstrip("#").strip().rstrip(":").strip()
            notes.setdefault(current, [])
            continue
        heading = None if line.startswith(("-", "*", "•")) else _HEADING.match(line)
        if heading is not None and (heading.group(1).strip() in _HEADINGS or not heading.group(2)):
            current = heading.group(1).strip()
            notes.setdefault(current, [])
            if heading.group(2).strip():
                notes[current].append(heading.group(2).strip())
            continue
        notes.setdefault(current, []).append(line.lstrip("-*• ").strip())
    return notes


# ---- calling summarizers -----------------------------------------------------------------------------


def call_summarizer(summarizer: Summarizer, request: list[ChatMessage]) -> Any:
    """Call ``summarizer``: its result if it is sync, a coroutine giving the result if it is async.

    The one place where sync and async summarizers are told apart; each driver only decides how to
    wait for a coroutine, and the flows check that what they receive is text.
    """
    result = summarizer(request)
    if inspect.iscoroutine(result):
        return result
    if inspect.isawaitable(result):
        return _awaited(result)
    return result


async def _awaited(result: Awaitable[Any]) -> Any:
    return await result


def as_text(value: Any) -> str:
    """A summarizer's answer as stripped text; anything but ``str`` is a :class:`UsageError`."""
    if not isinstance(value, str):
        raise UsageError(f"a summarizer must return the summary as str, got {type(value).__name__}")
    return value.strip()


async def summarize(summarizer: Summarizer, request: list[ChatMessage]) -> str:
    """Run one summarization request from async code and check that the answer is text."""
    result = call_summarizer(summarizer, request)
    if inspect.iscoroutine(result):
        result = await result
    return as_text(result)


Result = TypeVar("Result")


def drive(
    flow: Generator[list[ChatMessage], Any, Result], summarizer: Summarizer, *, async_name: str
) -> Result:
    """Run ``flow`` from sync code; an async summarizer is run to completion (``async_name`` is the
    async method to suggest when that is impossible because a loop is already running)."""
    try:
        request = next(flow)
        while True:
            text = call_summarizer(summarizer, request)
            if inspect.iscoroutine(text):
                text = run_sync(text, async_name=async_name)
            request = flow.send(text)
    except StopIteration as done:
        result: Result = done.value
        return result


async def adrive(flow: Generator[list[ChatMessage], Any, Result], summarizer: Summarizer) -> Result:
    """Run ``flow`` from async code; a sync summarizer is simply called."""
    try:
        request = next(flow)
        while True:
            text = call_summarizer(summarizer, request)
            if inspect.iscoroutine(text):
                text = await text
            request = flow.send(text)
    except StopIteration as done:
        result: Result = done.value
        return result


def llm_callback_summarizer(callback: LLMCallback) -> Summarizer:
    """A summarizer that sends the request to ``callback`` as OpenAI-style message dicts.

    This is how the session-manager spec's ``llm_callback`` (any model client the caller already has)
    summarizes: the structured instructions arrive as the system message, the notes so far and the
    transcript as the user message. The callback may be sync or async.
    """

    def summarize_with_callback(request: list[ChatMessage]) -> str | Awaitable[str]:
        return callback([message_to_wire(m) for m in request])

    summarize_with_callback.__name__ = getattr(callback, "__name__", "llm_callback")
    return summarize_with_callback


def fit_lines(text: str, max_tokens: int, counter: TokenCounter) -> str:
    """``text`` cut to ``max_tokens``: its first lines while they fit (a summary's lines are its facts,
    so a cut loses whole facts, not the layout), or, if not even the first line fits, the head of
    that line marked as cut."""
    if counter.count_text(text) <= max_tokens:
        return text
    kept: list[str] = []
    for line in text.split("\n"):
        if counter.count_text("\n".join([*kept, line])) > max_tokens:
            break
        kept.append(line)
    if kept:
        return "\n".join(kept)
    first = text.split("\n", 1)[0]
    keep = longest_prefix(len(first), lambda n: counter.count_text(truncated(first, n)) <= max_tokens)
    return "" if keep is None else truncated(first, keep)


def chunk_messages(
    messages: Sequence[ChatMessage], counter: TokenCounter, chunk_tokens: int
) -> list[list[ChatMessage]]:
    """Consecutive runs of whole messages of at most ``chunk_tokens`` tokens each.

    A single message over the limit makes a chunk of its own: messages are never split, so a
    summarizer always reads a tool result beside the call that asked for it when both fit.
    """
    if chunk_tokens < 1:
        raise UsageError("chunk_tokens must be at least 1")
    chunks: list[list[ChatMessage]] = []
    current: list[ChatMessage] = []
    used = 0
    for message in messages:
        tokens = counter.count_message(message)
        if current and used + tokens > chunk_tokens:
            chunks.append(current)
            current, used = [], 0
        current.append(message)
        used += tokens
    if current:
        chunks.append(current)
    return chunks
