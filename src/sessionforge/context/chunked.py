"""Summarize a history too long for one summarizer call: token-bounded chunks, one rolling summary.

A summarizer has a context window of its own (the embedded model's is small), so a long session is
read in chunks of whole messages of at most ``chunk_tokens`` each, summarized as one rolling summary
(:meth:`.summarize.SummaryBrief.rolling`, the same the compactors and infinite-context segments use): the
last summary covers the whole history and never exceeds ``target_tokens``. ``on_chunk`` reports
progress after each call, which is what a progress bar needs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..core.messages import ChatMessage
from ..core.tokens import TokenCounter
from ..errors import UsageError
from .summarize import (
    SummarizationStrategy,
    Summarizer,
    SummaryBrief,
    adrive,
    chunk_messages,
    render_transcript,
    summarize,
)

__all__ = ["ChunkedSummary", "chunk_messages", "summarize_in_chunks"]


@dataclass(frozen=True)
class ChunkedSummary:
    """The final summary, and what producing it took."""

    text: str
    chunks: int
    request_tokens: int
    """Tokens of every request sent to the summarizer, counted with the session's counter."""
    target_tokens: int
    """The budget the summary was written to (``text`` never costs more)."""


async def summarize_in_chunks(
    messages: Sequence[ChatMessage],
    summarizer: Summarizer,
    *,
    counter: TokenCounter,
    target_tokens: int | None = None,
    strategy: SummarizationStrategy | str = SummarizationStrategy.KEY_POINTS,
    chunk_tokens: int = 1500,
    previous_summary: str | None = None,
    on_chunk: Callable[[int, int], None] | None = None,
) -> ChunkedSummary:
    """One summary of all of ``messages`` in at most ``target_tokens`` (counted by ``counter``).

    ``target_tokens`` defaults to a tenth of the messages' tokens. Each request asks for at most
    that, and an answer over it is cut to it (whole lines first). ``on_chunk(done, total)`` is called
    after each summarizer call.
    """
    if target_tokens is None:
        target_tokens = max(counter.count_messages(messages) // 10, 1)
    if target_tokens < 1:
        raise UsageError("target_tokens must be at least 1")
    chunks = chunk_messages(messages, counter, chunk_tokens)
    pieces = [render_transcript(chunk) for chunk in chunks]
    request_tokens = 0
    done = 0

    async def counted(request: list[ChatMessage]) -> str:
        nonlocal request_tokens, done
        request_tokens += counter.count_messages(request)
        answer = await summarize(summarizer, request)
        done += 1
        if on_chunk is not None:
            on_chunk(done, len(chunks))
        return answer

    flow = SummaryBrief(strategy, target_tokens, counter).rolling(pieces, previous_summary)
    text = await adrive(flow, counted)
    return ChunkedSummary(text, len(chunks), request_tokens, target_tokens)
