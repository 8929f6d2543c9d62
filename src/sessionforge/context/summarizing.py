"""Compactors that rewrite instead of only dropping: a rolling summary, and pruned tool outputs.

:class:`SummarizeCompactor` replaces what it drops by one summary message placed right after the
system messages. The summary rolls: a summary left by an earlier compaction is given to the
summarizer as the notes so far (:meth:`~.summarize.SummaryBrief.rolling`), so a long conversation carries
one summary that grows with the facts, never a stack of summaries of summaries.

The compaction is written once, as a generator (:meth:`SummarizeCompactor.flow`) that yields each
summarization request and receives the summary text; ``__call__`` (the
:class:`~sessionforge.context.compactors.Compactor` protocol, used by ``ChatSession``) and
``acompact`` run it with :func:`~.summarize.drive` and :func:`~.summarize.adrive`.

Both compactors keep the invariants listed in :mod:`.compactors`. The only messages they add are
marked in ``metadata["sessionforge"]``: ``{"summary": True}`` on the summary, ``{"pruned_tokens": N}``
on a shortened tool result (which keeps its ``tool_call_id``, so the call and its result still pair).
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any, TypeAlias

from ..core.messages import ChatMessage
from ..core.tokens import TokenCounter
from ..core.units import split_units
from ..errors import ContextOverflowError, UsageError
from ._text import fit_message, text_head, text_tail, with_content
from .compactors import drop_oldest_units, flatten_units, window_units
from .extractive import extractive_summarizer
from .summarize import (
    SUMMARY_PREFIX,
    SummarizationStrategy,
    Summarizer,
    SummaryBrief,
    adrive,
    chunk_messages,
    drive,
    is_summary,
    render_transcript,
    summary_body,
)

__all__ = ["SummarizeCompactor", "SummarizeFlow", "ToolOutputPruningCompactor"]

SummarizeFlow: TypeAlias = Generator[list[ChatMessage], Any, list[ChatMessage]]
"""Yields summarization requests, receives summaries (checked to be text), returns the messages."""


def _after_system(messages: list[ChatMessage]) -> int:
    index = 0
    while index < len(messages) and messages[index].role == "system":
        index += 1
    return index


class SummarizeCompactor:
    """Summarizes what it drops and keeps the most recent messages.

    Args:
        summarizer: sync or async ``(list[ChatMessage]) -> str``; default
            :func:`~.extractive.extractive_summarizer`.
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
        previous = "\n".join(summary_body(m) for m in old_summaries)
        pieces = [render_transcript(chunk) for chunk in self._chunks(dropped, counter)]
        text = yield from SummaryBrief(self.strategy, text_room, counter).rolling(pieces, previous or None)
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
        return drive(flow, self.summarizer, async_name="SummarizeCompactor.acompact(...)")

    async def acompact(
        self, messages: Sequence[ChatMessage], target_tokens: int, counter: TokenCounter
    ) -> list[ChatMessage]:
        """Compact from async code; a sync summarizer is simply called."""
        return await adrive(self.flow(messages, target_tokens, counter), self.summarizer)

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
