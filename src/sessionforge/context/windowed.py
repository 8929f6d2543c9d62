"""Summarize with a model whose context window is smaller than the request: roll over pieces.

A summarization request built by :func:`.summarize.build_summary_request` carries the strategy's
instructions, maybe a previous summary, and a transcript. When it does not fit the summarizing
model's window, the transcript is cut into pieces (whole lines where they fit, a line too long for
any piece is cut itself) and each piece is summarized together with the summary so far, exactly as
the compactors roll their summaries. The last answer covers everything; nothing is dropped unread.
"""

from __future__ import annotations

from collections.abc import Callable

from ..core.messages import ChatMessage
from ..core.tokens import TokenCounter
from ._text import text_head
from .summarize import Summarizer, summary_request_for, summary_request_parts

__all__ = ["fit_to_window"]

MIN_PIECE_TOKENS = 64
"""The smallest piece of transcript worth a call; a previous summary is cut to leave at least this."""


def fit_to_window(
    ask: Callable[[list[ChatMessage]], str], counter: TokenCounter, window: int, *, answer_tokens: int
) -> Summarizer:
    """A summarizer that sends ``ask`` requests of at most ``window`` tokens, counted by ``counter``.

    ``answer_tokens`` bounds what one answer may cost, so that the summary carried into the next
    request is known to leave room for a piece of transcript.
    """

    def summarize(request: list[ChatMessage]) -> str:
        if counter.count_messages(request) <= window:
            return ask(request)
        parts = summary_request_parts(request)
        if parts is None:  # not a request of ours: let the model report what it cannot read
            return ask(request)
        strategy, max_tokens, summary, transcript = parts
        pending = transcript.split("\n")
        while pending:
            overhead = counter.count_messages(
                summary_request_for("", strategy, summary, max_tokens=max_tokens)
            )
            if window - overhead < MIN_PIECE_TOKENS and summary:
                keep = max(window - MIN_PIECE_TOKENS - (overhead - counter.count_text(summary)), 1)
                summary = text_head(summary, keep, counter)
                continue
            room = max(window - overhead, MIN_PIECE_TOKENS)
            piece, pending = _take(pending, room, counter)
            answer = ask(summary_request_for("\n".join(piece), strategy, summary, max_tokens=max_tokens))
            summary = answer or summary
            if summary and counter.count_text(summary) > answer_tokens:
                summary = text_head(summary, answer_tokens, counter)
        return summary or ""

    return summarize


def _take(lines: list[str], room: int, counter: TokenCounter) -> tuple[list[str], list[str]]:
    """The first lines that fit in ``room`` tokens (cutting the first if it alone is too long)."""
    taken: list[str] = []
    used = 0
    for index, line in enumerate(lines):
        cost = counter.count_text(line) + 1  # the newline between lines
        if used + cost <= room:
            taken.append(line)
            used += cost
            continue
        if taken:
            return taken, lines[index:]
        head = text_head(line, room - 1, counter) or line[:1]
        rest = line[len(head) :]
        return [head], [rest, *lines[index + 1 :]] if rest else lines[index + 1 :]
    return taken, []
