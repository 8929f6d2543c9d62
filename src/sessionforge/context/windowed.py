"""Summarize with a model whose context window is smaller than the request: roll over pieces.

A summarization request (:func:`.summarize.build_summary_request`) carries the instructions, maybe
the notes so far, and a transcript. When it does not fit the summarizing model's window, the
transcript is cut into pieces (whole lines where they fit; a line too long for any piece is cut
itself) and summarized as a rolling summary (:meth:`.summarize.SummaryBrief.rolling`), exactly as the
compactors roll theirs. The last answer covers everything; nothing is dropped unread.

:func:`local_model_summarizer` puts the embedded model behind this.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._optional import require
from ..core.messages import ChatMessage
from ..core.tokens import TokenCounter, counter_for_model
from ..errors import MissingDependencyError
from ._text import text_head
from .summarize import (
    Summarizer,
    SummaryBrief,
    as_text,
    drive,
    fit_lines,
    parse_request,
)

__all__ = ["MIN_PIECE_TOKENS", "fit_to_window", "local_model_summarizer"]

MIN_PIECE_TOKENS = 64
"""The smallest piece of transcript worth a call."""


def fit_to_window(
    ask: Callable[[list[ChatMessage]], str], counter: TokenCounter, window: int, *, answer_tokens: int
) -> Summarizer:
    """A summarizer that sends ``ask`` requests of at most ``window`` tokens, counted by ``counter``.

    ``answer_tokens`` bounds what one answer may cost (the notes so far are cut to it), so that the
    notes carried into each request are known to leave room for a piece of transcript.
    """

    def summarize(request: list[ChatMessage]) -> str:
        if counter.count_messages(request) <= window:
            return ask(request)
        parsed = parse_request(request)
        if parsed is None:  # not a request of ours: let the model report what it cannot read
            return ask(request)
        previous = parsed.previous_summary
        if previous:
            previous = fit_lines(previous, answer_tokens, counter)
        # The most a request costs besides its piece: the instructions and notes of answer_tokens.
        brief = SummaryBrief(parsed.strategy, parsed.max_tokens)
        frame = brief.request("", "-")
        room = max(window - counter.count_messages(frame) - answer_tokens, MIN_PIECE_TOKENS)
        pieces = _pieces(parsed.transcript.split("\n"), room, counter)
        flow = brief.rolling(pieces, previous)
        return drive(flow, ask, async_name="an async summarizer")

    return summarize


def _pieces(lines: list[str], room: int, counter: TokenCounter) -> list[str]:
    """The lines grouped into pieces of at most ``room`` tokens (a line too long is cut)."""
    pieces: list[str] = []
    taken: list[str] = []
    used = 0
    pending = list(reversed(lines))
    while pending:
        line = pending.pop()
        cost = counter.count_text(line) + 1  # the newline between lines
        if used + cost <= room:
            taken.append(line)
            used += cost
            continue
        if taken:
            pieces.append("\n".join(taken))
            taken, used = [], 0
            pending.append(line)
            continue
        head = text_head(line, room - 1, counter) or line[:1]
        pieces.append(head)
        if line[len(head) :]:
            pending.append(line[len(head) :])
    if taken:
        pieces.append("\n".join(taken))
    return pieces


def local_model_summarizer(*, max_tokens: int = 400, **options: Any) -> Summarizer:
    """A summarizer backed by the embedded local model (the ``local`` extra).

    Uses three names of :mod:`sessionforge.providers.local`: ``complete_text(messages, *,
    max_tokens, **options) -> str``, ``CONTEXT_WINDOW`` and ``MODEL_NAME`` (whose exact token
    counter it registers). The model's window is small (2,048 tokens), so a request that does not fit
    is summarized in pieces that do (:func:`fit_to_window`). On the fidelity bench the model keeps
    far fewer facts than the extractive default; it is offered for trying an abstractive summary with
    no key and no network, not as a better one. Raises :class:`MissingDependencyError` when the module
    or its dependencies are missing.
    """
    module = require("sessionforge.providers.local", extra="local")
    complete = getattr(module, "complete_text", None)
    if not callable(complete):
        raise MissingDependencyError(
            "sessionforge.providers.local has no complete_text(messages, *, max_tokens) function; "
            "upgrade sessionforge or pass summarizer= explicitly"
        )

    def ask(request: list[ChatMessage]) -> str:
        return as_text(complete(request, max_tokens=max_tokens, **options))

    window = int(module.CONTEXT_WINDOW) - max_tokens - 16  # room for the answer, and a margin
    return fit_to_window(ask, counter_for_model(str(module.MODEL_NAME)), window, answer_tokens=max_tokens)
