"""Compactors that rewrite instead of only dropping: a rolling summary, and pruned tool outputs.

:class:`SummarizeCompactor` replaces what it drops by one summary message placed right after the
system messages. The summary rolls: a summary left by an earlier compaction is folded into the next
one (given to the summarizer as the previous summary), so a long conversation carries one summary that
grows with the facts, never a stack of summaries of summaries.

The compaction logic is written once, as a generator (:meth:`SummarizeCompactor.flow`) that yields
each summarization request and receives the summary text. Two small drivers run it: ``__call__`` (the
:class:`~sessionforge.context.compactors.Compactor` protocol, used by ``ChatSession``) and
``acompact`` for async code. A summarizer is any callable ``(list[ChatMessage]) -> str`` that may
also be ``async``; :func:`call_summarizer` is the one place that tells the two apart.

Both compactors keep the invariants listed in :mod:`.compactors`. The only messages they add are
marked in ``metadata["sessionforge"]``: ``{"summary": True}`` on the summary, ``{"pruned_tokens": N}``
on a shortened tool result (which keeps its ``tool_call_id``, so the call and its result still pair).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable, Generator, Sequence
from enum import StrEnum
from typing import Any, TypeAlias

from .._optional import require
from .._sync import run_sync
from ..core.messages import ChatMessage
from ..core.tokens import TokenCounter
from ..core.units import split_units
from ..errors import ContextOverflowError, MissingDependencyError, UsageError
from ..providers.openai import message_to_wire
from ._text import fit_message, text_head, text_tail, with_content
from .compactors import drop_oldest_units, flatten_units, window_units

__all__ = [
    "SUMMARY_PREFIX",
    "LLMCallback",
    "SummarizationStrategy",
    "SummarizeCompactor",
    "SummarizeFlow",
    "Summarizer",
    "ToolOutputPruningCompactor",
    "build_summary_request",
    "call_summarizer",
    "chunk_messages",
    "extractive_summarizer",
    "is_summary",
    "llm_callback_summarizer",
    "local_model_summarizer",
    "render_transcript",
    "summarize",
    "summary_request_for",
    "summary_request_parts",
]

Summarizer: TypeAlias = Callable[[list[ChatMessage]], "str | Awaitable[str]"]
"""Turns a summarization request (from :func:`build_summary_request`) into summary text."""

LLMCallback: TypeAlias = Callable[[list[dict[str, Any]]], "str | Awaitable[str]"]
"""The session-manager spec's summarization callback: provider-style message dicts in, text out."""

SummarizeFlow: TypeAlias = Generator[list[ChatMessage], Any, list[ChatMessage]]
"""Yields summarization requests, receives summaries (checked to be text), returns the messages."""

SUMMARY_PREFIX = "Summary of the earlier conversation:\n"
"""Opens the text of every summary message, so that the model reads it as context, not as a turn."""


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


_INSTRUCTIONS: dict[SummarizationStrategy, str] = {
    SummarizationStrategy.BASIC: (
        "Write a brief overview of the conversation below: what it was about and where it ended up. "
        "A few plain sentences; no lists."
    ),
    SummarizationStrategy.KEY_POINTS: (
        "List the key points of the conversation below as short bullet points. Keep every name, "
        "number, date, identifier, decision and commitment exactly as written; later turns depend on "
        "them. Leave out greetings and small talk."
    ),
    SummarizationStrategy.TOPIC_BASED: (
        "Summarize the conversation below organised by topic: one heading per topic, then what was "
        "said and concluded about it. Keep names, numbers and decisions exactly as written."
    ),
    SummarizationStrategy.QUERY_FOCUSED: (
        "Summarize the conversation below around the user's questions: for each question the user "
        "asked, state it briefly and the answer or outcome it received, and note questions still open."
    ),
}

_ROLE_LABELS = {"system": "System", "user": "User", "assistant": "Assistant", "tool": "Tool"}


# ---- requests --------------------------------------------------------------------------------------


def is_summary(message: ChatMessage) -> bool:
    """Whether ``message`` is a summary written by :class:`SummarizeCompactor`."""
    marks = message.metadata.get("sessionforge")
    return isinstance(marks, dict) and bool(marks.get("summary"))


def _summary_body(message: ChatMessage) -> str:
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
) -> list[ChatMessage]:
    """The messages to send a summarizer: the strategy's instructions, then the transcript.

    ``previous_summary`` (from an earlier compaction) is given as context to fold in, so the new
    summary replaces it rather than being stacked beside it. The system message records the strategy
    and ``max_tokens`` in ``metadata["sessionforge"]`` for summarizers that are not language models.
    """
    return summary_request_for(render_transcript(messages), strategy, previous_summary, max_tokens=max_tokens)


def summary_request_for(
    transcript: str,
    strategy: SummarizationStrategy | str = SummarizationStrategy.KEY_POINTS,
    previous_summary: str | None = None,
    *,
    max_tokens: int | None = None,
) -> list[ChatMessage]:
    """:func:`build_summary_request` for a transcript already rendered as text."""
    strategy = SummarizationStrategy(strategy)
    instructions = _INSTRUCTIONS[strategy]
    if previous_summary:
        instructions += (
            " A summary of the conversation before this part is given first: merge it into yours, "
            "keeping its facts, so that your summary alone covers the whole conversation."
        )
    if max_tokens is not None:
        instructions += f" Use at most {max_tokens} tokens."
    sections = []
    if previous_summary:
        sections.append(f"<previous_summary>\n{previous_summary}\n</previous_summary>")
    sections.append(f"<conversation>\n{transcript}\n</conversation>")
    marks: dict[str, Any] = {"summary_strategy": strategy.value, "max_tokens": max_tokens}
    return [
        ChatMessage.system(instructions, metadata={"sessionforge": marks}),
        ChatMessage.user("\n\n".join(sections)),
    ]


_SECTION = re.compile(r"<(previous_summary|conversation)>\n(.*?)\n</\1>", re.S)


def summary_request_parts(
    request: Sequence[ChatMessage],
) -> tuple[SummarizationStrategy, int | None, str | None, str] | None:
    """``(strategy, max_tokens, previous summary, transcript)`` of a request built here, else ``None``."""
    if len(request) != 2 or request[0].role != "system" or request[1].role != "user":
        return None
    marks = request[0].metadata.get("sessionforge")
    strategy = marks.get("summary_strategy") if isinstance(marks, dict) else None
    sections = dict(_SECTION.findall(request[1].text))
    if strategy is None or "conversation" not in sections:
        return None
    max_tokens = marks.get("max_tokens") if isinstance(marks, dict) else None
    return (
        SummarizationStrategy(strategy),
        max_tokens if isinstance(max_tokens, int) else None,
        sections.get("previous_summary"),
        sections["conversation"],
    )


def call_summarizer(summarizer: Summarizer, request: list[ChatMessage]) -> Any:
    """Call ``summarizer``: its result if it is sync, a coroutine giving the result if it is async.

    The one place where sync and async summarizers are told apart; each driver only decides how to
    wait for a coroutine, and the flow checks that what it receives is text.
    """
    result = summarizer(request)
    if inspect.iscoroutine(result):
        return result
    if inspect.isawaitable(result):
        return _awaited(result)
    return result


async def _awaited(result: Awaitable[Any]) -> Any:
    return await result


async def summarize(summarizer: Summarizer, request: list[ChatMessage]) -> str:
    """Run one summarization request from async code and check that the answer is text.

    The async driver for callers that summarize once rather than through a compaction flow (the
    segments of an infinite conversation).
    """
    result = call_summarizer(summarizer, request)
    if inspect.iscoroutine(result):
        result = await result
    return _as_text(result)


def _as_text(value: Any) -> str:
    if not isinstance(value, str):
        raise UsageError(f"a summarizer must return the summary as str, got {type(value).__name__}")
    return value.strip()


# ---- summarizers -----------------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|(?<=[。！？])")
_NUMBER = re.compile(r"\d+")
_ABBREVIATION = re.compile(r"\b(?:Dr|Mr|Mrs|Ms|Prof|St|Inc|Ltd|vs|e\.g|i\.e|etc)\.$")
_DIGIT = re.compile(r"\d")
_NAME = re.compile(r"\b[A-Z][A-Za-z]+|\b[A-Z]{2,}\b")
_DECISION = re.compile(
    r"\b(decid\w*|agree\w*|chose|choose|chosen|approv\w*|confirm\w*|commit\w*|deadline|budget|must|"
    r"we will|we'll|let's|going with|settled|final|remember|call me|my name|prefer\w*)\b",
    re.IGNORECASE,
)
_CALL_MARK = re.compile(r"\[calls [^\]]*\]")
_SECTION = re.compile(r"<(previous_summary|conversation)>\n(.*?)\n</\1>", re.DOTALL)


def _sentences(text: str) -> list[str]:
    out: list[str] = []
    for piece in _SENTENCE_END.split(text):
        if out and _ABBREVIATION.search(out[-1]):
            out[-1] += " " + piece
        else:
            out.append(piece)
    return out


def _score(sentence: str) -> int:
    score = 0
    if _DIGIT.search(sentence):
        score += 2
    # A capitalized word after the first is most likely a name; the first word is capitalized anyway.
    if any(m.start() > 0 for m in _NAME.finditer(sentence)):
        score += 2
    if _DECISION.search(sentence):
        score += 2
    return score


def extractive_summarizer(request: list[ChatMessage]) -> str:
    """A deterministic summarizer without a model: keeps the sentences that carry facts.

    A sentence is kept when it holds a number, a name (a capitalized word after its first) or a
    decision word ("decided", "agreed", "deadline"...); with ``QUERY_FOCUSED`` the user's questions are
    kept as well. Sentences that differ only in their numbers, three or more times, are a pattern (log
    lines, status output) rather than facts, and are left out. Lines of the previous summary are kept
    in preference, so facts survive rolling compactions. Over the request's ``max_tokens`` the
    highest-scoring sentences win (in their original order). It is the default summarizer, costs
    nothing, and is the baseline a model must beat.
    """
    marks = request[0].metadata.get("sessionforge", {}) if request else {}
    strategy = marks.get("summary_strategy", SummarizationStrategy.KEY_POINTS.value)
    max_tokens = marks.get("max_tokens")
    body = request[-1].text if request else ""
    candidates: dict[str, int] = {}  # line -> score; dict order is first appearance
    for section, text in _SECTION.findall(body):
        for line in text.splitlines():
            line = line.strip().removeprefix("- ")
            if not line or line in candidates:
                continue
            if section == "previous_summary":
                candidates[line] = _score(line) + 1
                continue
            speaker, _, said = line.partition(": ")
            # Tool-call markers carry arguments, not statements; the tool's result line has the facts.
            said = _CALL_MARK.sub("", said)
            for sentence in _sentences(said):
                sentence = sentence.strip().rstrip(";")
                score = _score(sentence)
                if strategy == SummarizationStrategy.QUERY_FOCUSED.value and speaker == "User":
                    score += 2 if sentence.endswith(("?", "？")) else 0
                if sentence:
                    candidates.setdefault(f"{speaker}: {sentence}", score)
    shapes: dict[str, int] = {}
    for line in candidates:
        shape = _NUMBER.sub("#", line)
        shapes[shape] = shapes.get(shape, 0) + 1
    kept = [
        (score, index, line)
        for index, (line, score) in enumerate(candidates.items())
        if score >= 2 and shapes[_NUMBER.sub("#", line)] < 3
    ]
    if isinstance(max_tokens, int):
        # About 3.5 characters a token on English text; the compactor counts the result exactly.
        budget = int(max_tokens * 3.5)
        chosen: list[tuple[int, int, str]] = []
        for item in sorted(kept, key=lambda k: (-k[0], -k[1])):
            if len(item[2]) + 3 <= budget:
                budget -= len(item[2]) + 3
                chosen.append(item)
        kept = sorted(chosen, key=lambda k: k[1])
    return "\n".join(f"- {line}" for _, _, line in kept)


def llm_callback_summarizer(callback: LLMCallback) -> Summarizer:
    """A summarizer that sends the request to ``callback`` as OpenAI-style message dicts.

    This is how the session-manager spec's ``llm_callback`` (any model client the caller already has)
    summarizes: the strategy's instructions arrive as the system message and the transcript as the
    user message. The callback may be sync or async; :func:`call_summarizer` tells them apart.
    """

    def summarize_with_callback(request: list[ChatMessage]) -> str | Awaitable[str]:
        return callback([message_to_wire(m) for m in request])

    summarize_with_callback.__name__ = getattr(callback, "__name__", "llm_callback")
    return summarize_with_callback


def local_model_summarizer(*, max_tokens: int = 400, **options: Any) -> Summarizer:
    """A summarizer backed by the embedded local model (the ``local`` extra).

    Uses three names of :mod:`sessionforge.providers.local`: ``complete_text(messages, *,
    max_tokens, **options) -> str``, ``CONTEXT_WINDOW`` and ``MODEL_NAME`` (whose exact token
    counter it registers). The model's window is small (2,048 tokens), so a request that does not fit
    is summarized in pieces that do (:func:`.windowed.fit_to_window`), whatever chunk size the caller
    chose. Raises :class:`MissingDependencyError` when the module or its dependencies are missing.
    """
    from ..core.tokens import counter_for_model
    from .windowed import fit_to_window

    module = require("sessionforge.providers.local", extra="local")
    complete = getattr(module, "complete_text", None)
    if not callable(complete):
        raise MissingDependencyError(
            "sessionforge.providers.local has no complete_text(messages, *, max_tokens) function; "
            "upgrade sessionforge or pass summarizer= explicitly"
        )

    def ask(request: list[ChatMessage]) -> str:
        return _as_text(complete(request, max_tokens=max_tokens, **options))

    window = int(module.CONTEXT_WINDOW) - max_tokens - 16  # room for the answer, and a margin
    return fit_to_window(ask, counter_for_model(str(module.MODEL_NAME)), window, answer_tokens=max_tokens)


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


# ---- compactors ------------------------------------------------------------------------------------


def _after_system(messages: list[ChatMessage]) -> int:
    index = 0
    while index < len(messages) and messages[index].role == "system":
        index += 1
    return index


class SummarizeCompactor:
    """Summarizes what it drops and keeps the most recent messages.

    Args:
        summarizer: sync or async ``(list[ChatMessage]) -> str``; default :func:`extractive_summarizer`.
        keep_recent: the number of newest messages kept verbatim when they fit (tool calls and their
            results count as a whole, never split).
        strategy: the :class:`SummarizationStrategy` whose instructions the summarizer receives.
        max_summary_tokens: the most tokens the summary text may take; room for it is reserved before
            recent turns are kept, up to half of the target, so that recent turns keep room too.
        max_request_tokens: when set, the dropped messages are summarized in chunks of about this many
            tokens, each folded into the summary of the previous ones: for summarizers with a small
            context window, such as a local model.
    """

    def __init__(
        self,
        summarizer: Summarizer | None = None,
        keep_recent: int = 6,
        strategy: SummarizationStrategy | str = SummarizationStrategy.KEY_POINTS,
        max_summary_tokens: int = 1000,
        *,
        max_request_tokens: int | None = None,
    ) -> None:
        if keep_recent < 0:
            raise UsageError("keep_recent must be 0 or more")
        if max_summary_tokens < 1:
            raise UsageError("max_summary_tokens must be at least 1")
        if max_request_tokens is not None and max_request_tokens < 1:
            raise UsageError("max_request_tokens must be at least 1")
        self.summarizer: Summarizer = summarizer or extractive_summarizer
        self.keep_recent = keep_recent
        self.strategy = SummarizationStrategy(strategy)
        self.max_summary_tokens = max_summary_tokens
        self.max_request_tokens = max_request_tokens

    # ---- the logic, once -------------------------------------------------------------------------

    def flow(
        self, messages: Sequence[ChatMessage], target_tokens: int, counter: TokenCounter
    ) -> SummarizeFlow:
        """The compaction as a generator: yields summary requests, receives texts, returns messages."""
        messages = list(messages)
        if counter.count_messages(messages) <= target_tokens:
            return messages
        old_summaries = [m for m in messages if is_summary(m)]
        units = split_units([m for m in messages if not is_summary(m)], counter)
        summary_room = self._summary_room(target_tokens, counter)
        recent = window_units(units, self.keep_recent)
        try:
            kept, _, _ = drop_oldest_units(recent, target_tokens - summary_room, counter)
        except ContextOverflowError:
            # Too tight to keep recent turns beside a summary: keep only what must stay. This raises
            # the usual overflow error when even that cannot fit.
            kept, _, _ = drop_oldest_units([u for u in recent if u.pinned], target_tokens, counter)
        kept_ids = {id(u) for u in kept}
        dropped = flatten_units([u for u in units if id(u) not in kept_ids])
        kept_messages = flatten_units(kept)

        room = target_tokens - counter.count_messages(kept_messages)
        room = min(room, self._summary_room(None, counter))
        text_room = max(room - counter.count_message(ChatMessage.system(SUMMARY_PREFIX)), 0)
        text = "\n".join(_summary_body(m) for m in old_summaries)
        for chunk in self._chunks(dropped, counter):
            request = build_summary_request(chunk, self.strategy, text or None, max_tokens=text_room)
            text = _as_text((yield request))
        if not text:
            return kept_messages
        if not dropped and len(old_summaries) == 1:
            candidate = old_summaries[0]
        else:
            marks = {"summary": True, "strategy": self.strategy.value, "summarized": len(dropped)}
            candidate = ChatMessage.system(SUMMARY_PREFIX + text, metadata={"sessionforge": marks})
        summary = fit_message(candidate, room, counter)
        if summary is None:
            return kept_messages
        at = _after_system(kept_messages)
        return [*kept_messages[:at], summary, *kept_messages[at:]]

    def _summary_room(self, target_tokens: int | None, counter: TokenCounter) -> int:
        # What the summary message may cost: its text up to max_summary_tokens (and at most half of
        # the target) plus the fixed cost of the message and its prefix.
        overhead = counter.count_message(ChatMessage.system(SUMMARY_PREFIX))
        text_room = self.max_summary_tokens
        if target_tokens is not None:
            text_room = min(text_room, max(target_tokens // 2 - overhead, 0))
        return text_room + overhead

    def _chunks(self, dropped: list[ChatMessage], counter: TokenCounter) -> list[list[ChatMessage]]:
        limit = self.max_request_tokens
        if not dropped or limit is None:
            return [dropped] if dropped else []
        # A message longer than a whole request is shortened to fit one (its head and tail kept).
        fitted = [
            m if counter.count_message(m) <= limit else (fit_message(m, limit, counter) or m) for m in dropped
        ]
        return chunk_messages(fitted, counter, limit)

    # ---- the two drivers ---------------------------------------------------------------------------

    def __call__(
        self, messages: Sequence[ChatMessage], target_tokens: int, counter: TokenCounter
    ) -> list[ChatMessage]:
        """Compact synchronously (the ``Compactor`` protocol); an async summarizer is run to completion."""
        flow = self.flow(messages, target_tokens, counter)
        try:
            request = next(flow)
            while True:
                text = call_summarizer(self.summarizer, request)
                if inspect.iscoroutine(text):
                    text = run_sync(text, async_name="SummarizeCompactor.acompact(...)")
                request = flow.send(text)
        except StopIteration as done:
            result: list[ChatMessage] = done.value
            return result

    async def acompact(
        self, messages: Sequence[ChatMessage], target_tokens: int, counter: TokenCounter
    ) -> list[ChatMessage]:
        """Compact from async code; a sync summarizer is simply called."""
        flow = self.flow(messages, target_tokens, counter)
        try:
            request = next(flow)
            while True:
                text = call_summarizer(self.summarizer, request)
                if inspect.iscoroutine(text):
                    text = await text
                request = flow.send(text)
        except StopIteration as done:
            result: list[ChatMessage] = done.value
            return result

    def __repr__(self) -> str:
        name = getattr(self.summarizer, "__name__", type(self.summarizer).__name__)
        return (
            f"SummarizeCompactor(summarizer={name}, keep_recent={self.keep_recent}, "
            f"strategy={self.strategy.value}, max_summary_tokens={self.max_summary_tokens})"
        )


class ToolOutputPruningCompactor:
    """Shortens old, long tool results first; drops whole turns only if that is not enough.

    Tool output (file listings, search results, JSON) is usually the bulk of an agent's context and
    the least needed once the model has acted on it. Each old result over ``max_tool_tokens`` becomes
    its head and tail with a ``[pruned N tokens]`` note, oldest first, until the conversation fits;
    the ``keep_recent`` newest messages are never pruned. The result keeps its ``tool_call_id``, so
    the call and its result still pair. If pruning is not enough, the oldest units are dropped as
    :class:`~sessionforge.context.compactors.TruncateCompactor` does.
    """

    def __init__(self, max_tool_tokens: int = 200, keep_recent: int = 6) -> None:
        if max_tool_tokens < 2:
            raise UsageError("max_tool_tokens must be at least 2")
        if keep_recent < 0:
            raise UsageError("keep_recent must be 0 or more")
        self.max_tool_tokens = max_tool_tokens
        self.keep_recent = keep_recent

    def __call__(
        self, messages: Sequence[ChatMessage], target_tokens: int, counter: TokenCounter
    ) -> list[ChatMessage]:
        out = list(messages)
        total = counter.count_messages(out)
        if total <= target_tokens:
            return out
        units = split_units(out, counter)
        recent = {id(m) for u in window_units(units, self.keep_recent) for m in u.messages}
        for index, message in enumerate(out):
            if total <= target_tokens:
                break
            if message.role != "tool" or id(message) in recent or not isinstance(message.content, str):
                continue
            pruned = self._prune(message, counter)
            if pruned is not None:
                total += counter.count_message(pruned) - counter.count_message(message)
                out[index] = pruned
        if total <= target_tokens:
            return out
        kept, _, _ = drop_oldest_units(split_units(out, counter), target_tokens, counter)
        return flatten_units(kept)

    def _prune(self, message: ChatMessage, counter: TokenCounter) -> ChatMessage | None:
        text = message.text
        tokens = counter.count_text(text)
        if tokens <= self.max_tool_tokens:
            return None
        head = text_head(text, self.max_tool_tokens // 2, counter)
        tail = text_tail(text[len(head) :], self.max_tool_tokens - counter.count_text(head), counter)
        removed = tokens - counter.count_text(head) - counter.count_text(tail)
        pruned = with_content(message, f"{head}\n[pruned {removed} tokens]\n{tail}", pruned_tokens=removed)
        return pruned if counter.count_message(pruned) < counter.count_message(message) else None

    def __repr__(self) -> str:
        return (
            f"ToolOutputPruningCompactor(max_tool_tokens={self.max_tool_tokens}, "
            f"keep_recent={self.keep_recent})"
        )
