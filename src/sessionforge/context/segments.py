"""Infinite context by segmentation: when a segment is full, continue in a child session.

A long conversation becomes a chain of sessions, each the child of the one before. The new segment
opens with a ``SUMMARY`` event, so a model reading only the current segment still knows what came
before, while every word of the earlier segments stays in the store. Nothing here rewrites or drops
a stored event.

The decision (:class:`SegmentPolicy`) and the summary are separate so either can be replaced. The
summary is written by the summarizers of :mod:`.summarize` (the same request building, strategies
and sync/async handling as the summarizing compactor): the default is extractive and deterministic
(no model call); an LLM-backed summarizer or the spec's ``llm_callback`` can be passed instead. Each
summary rolls: the previous segment's own opening summary is folded into the next one, so the
newest segment's summary alone covers the whole conversation.

A segment's successor has an id derived from the segment's own (:func:`next_segment_id`) and is
created idempotently, so two processes that close the same full segment at once continue in the
same child instead of splitting the conversation into two chains.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from ..core.events import EventSource, EventType, SessionEvent
from ..core.messages import ChatMessage
from ..core.projection import event_messages
from ..core.tokens import DEFAULT_TOKEN_MODEL, counter_for_model
from ..core.usage import TokenUsage
from ..storage.base import Store
from ..storage.session import Session
from .extractive import extractive_summarizer
from .summarize import SummarizationStrategy, Summarizer, segment_summary_request, summarize

__all__ = [
    "SEGMENT_INDEX",
    "SEGMENT_ROOT",
    "SegmentPolicy",
    "next_segment_id",
    "opening_summary",
    "segment_messages",
    "start_next_segment",
    "summary_usage",
]

log = logging.getLogger("sessionforge.context")

SEGMENT_INDEX = "segment_index"
SEGMENT_ROOT = "segment_root"


def next_segment_id(session: Session) -> str:
    """The id the segment after ``session`` gets: the same for every process that closes it.

    Readable (the chain's first id and the new segment's number) and unique per closed segment (a
    digest of its id, so a fork of a segment never collides with the original's successor).
    """
    properties = session.metadata.properties
    root = str(properties.get(SEGMENT_ROOT) or session.id)
    index = int(properties.get(SEGMENT_INDEX, 0)) + 1
    digest = hashlib.sha256(session.id.encode()).hexdigest()[:12]
    return f"{root[:160]}.seg{index}-{digest}"


@dataclass(frozen=True)
class SegmentPolicy:
    """When a segment is full: at ``token_threshold`` tokens or ``max_turns`` user turns."""

    token_threshold: int = 4000
    max_turns: int = 20

    def is_full(self, tokens: int, turns: int) -> bool:
        return tokens >= self.token_threshold or turns >= self.max_turns


def segment_messages(session: Session) -> list[ChatMessage]:
    """The dialogue of one segment as the summarizer reads it; its opening summary is left out
    (it reaches the summarizer as the previous summary, see :func:`opening_summary`)."""
    return [m for event in session.events if event.type != EventType.SUMMARY for m in event_messages(event)]


def opening_summary(session: Session) -> str | None:
    """The text of the summary a segment opens with (the latest one), or ``None`` for a root."""
    for event in reversed(session.events):
        if event.type == EventType.SUMMARY and isinstance(event.message, str) and event.message:
            return event.message
    return None


def summary_usage(request: list[ChatMessage], summary: str, model: str, *, by_model: bool) -> TokenUsage:
    """What a summary cost: the request as prompt tokens, the summary as completion tokens.

    Counted with ``model``'s tokenizer and priced for it when a model wrote the summary. The
    built-in extractive summarizer sends nothing to a model, so its summary records only the tokens
    it adds to the next segment's context, at no cost.
    """
    counter = counter_for_model(model)
    completion = counter.count_text(summary)
    if not by_model:
        return TokenUsage(
            completion_tokens=completion,
            model=model,
            estimated_cost_usd=0.0,
            accuracy=counter.accuracy,
        )
    return TokenUsage.of(counter.count_messages(request), completion, model=model, accuracy=counter.accuracy)


async def start_next_segment(
    session: Session,
    *,
    summarizer: Summarizer | None = None,
    strategy: SummarizationStrategy | str = SummarizationStrategy.BASIC,
    model: str = DEFAULT_TOKEN_MODEL,
    store: Store | None = None,
) -> Session:
    """Close ``session`` and open its successor: a child session that starts with a summary.

    The summary is a ``SUMMARY`` event with its own token usage (see :func:`summary_usage`). The
    child inherits the parent's properties (so the system prompt carries over) and records its
    position in the chain as ``segment_index``.
    """
    chosen = summarizer or extractive_summarizer
    strategy = SummarizationStrategy(strategy)
    previous = opening_summary(session)
    request = segment_summary_request(segment_messages(session), strategy, previous, counter_for_model(model))
    # A segment of small talk may leave the extractive summarizer nothing to keep; the earlier
    # summary still holds, and must not be lost because this segment added nothing to it.
    text = await summarize(chosen, request) or previous or "(no facts to carry over yet)"
    usage = summary_usage(request, text, model, by_model=chosen is not extractive_summarizer)
    properties = dict(session.metadata.properties)
    properties[SEGMENT_INDEX] = int(properties.get(SEGMENT_INDEX, 0)) + 1
    properties[SEGMENT_ROOT] = str(properties.get(SEGMENT_ROOT) or session.id)
    summary = SessionEvent(
        source=EventSource.SYSTEM,
        type=EventType.SUMMARY,
        message=text,
        token_usage=usage,
        metadata={
            "summarized_session": session.id,
            "strategy": strategy.value,
            "summarizer": getattr(chosen, "__name__", type(chosen).__name__),
        },
    )
    child = await Session.create_once(
        next_segment_id(session),
        parent_id=session.id,
        metadata=properties,
        events=[summary],
        store=store or session.store,
    )
    session.note_stored_child(child.id)
    log.info(
        "segment %s is full: the conversation continues in %s, opening with a %d-token summary",
        session.id,
        child.id,
        usage.completion_tokens,
    )
    return child
