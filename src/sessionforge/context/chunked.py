"""Summarize a history too long for one summarizer call: token-bounded chunks, one rolling summary.

A summarizer has a context window of its own (the embedded model's is small), so a long session is
read in chunks of whole messages of at most ``chunk_tokens`` each. Every call gets the summary so far
with the next chunk and returns a summary of both (the same rolling request the compactors and the
infinite-context segments build), so the last summary covers the whole history. ``on_chunk`` reports
progress after each call, which is what a progress bar needs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..core.messages import ChatMessage
from ..core.tokens import TokenCounter
from .summarize import SummarizationStrategy, Summarizer, build_summary_request, chunk_messages, summarize

__all__ = ["ChunkedSummary", "chunk_messages", "summarize_in_chunks"]


@dataclass(frozen=True)
class ChunkedSummary:
    """The final summary, and what producing it took."""

    text: str
    chunks: int
    request_tokens: int
    """Tokens of every request sent to the summarizer, counted with the session's counter."""


async def summarize_in_chunks(
    messages: Sequence[ChatMessage],
    summarizer: Summarizer,
    *,
    counter: TokenCounter,
    strategy: SummarizationStrategy | str = SummarizationStrategy.KEY_POINTS,
    chunk_tokens: int = 1500,
    previous_summary: str | None = None,
    on_chunk: Callable[[int, int], None] | None = None,
) -> ChunkedSummary:
    """One summary of all of ``messages``; ``on_chunk(done, total)`` after each summarizer call."""
    chunks = chunk_messages(messages, counter, chunk_tokens)
    summary = previous_summary
    request_tokens = 0
    for done, chunk in enumerate(chunks, start=1):
        request = build_summary_request(chunk, strategy, summary)
        request_tokens += counter.count_messages(request)
        # A chunk of small talk may leave nothing to keep; the summary so far still holds.
        summary = await summarize(summarizer, request) or summary
        if on_chunk is not None:
            on_chunk(done, len(chunks))
    return ChunkedSummary(text=summary or "", chunks=len(chunks), request_tokens=request_tokens)
