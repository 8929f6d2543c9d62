"""Infinite context by segmentation: when a segment is full, continue in a child session.

A long conversation becomes a chain of sessions, each the child of the one before. The new segment
opens with a ``SUMMARY`` event, so a model reading only the current segment still knows what came
before, while every word of the earlier segments stays in the store. Nothing here rewrites or drops
a stored event.

The decision (:class:`SegmentPolicy`) and the summary (a *summarizer* callable, sync or async, from
messages to text) are separate so either can be replaced: the default summarizer is extractive and
deterministic (no model call), and an LLM-backed summarizer can be passed instead.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from ..core.events import EventSource, EventType, SessionEvent, as_chat_message
from ..core.messages import ChatMessage
from ..core.session import Session
from ..storage.base import Store

__all__ = [
    "SegmentPolicy",
    "Summarizer",
    "extractive_summary",
    "run_summarizer",
    "segment_messages",
    "start_next_segment",
]

Summarizer = Callable[[list[ChatMessage]], str | Awaitable[str]]
"""Turns the messages of a finished segment into the summary that opens the next one."""

SEGMENT_INDEX = "segment_index"


@dataclass(frozen=True)
class SegmentPolicy:
    """When a segment is full: at ``token_threshold`` tokens or ``max_turns`` user turns."""

    token_threshold: int = 4000
    max_turns: int = 20

    def is_full(self, tokens: int, turns: int) -> bool:
        return tokens >= self.token_threshold or turns >= self.max_turns


def extractive_summary(messages: Sequence[ChatMessage], *, max_chars: int = 1200) -> str:
    """A deterministic summary without a model: the user's questions and the last answer, clipped.

    Questions say what the conversation was about; the last answer says where it stood.
    """
    questions = [m.text.strip() for m in messages if m.role == "user" and m.text.strip()]
    answers = [m.text.strip() for m in messages if m.role == "assistant" and m.text.strip()]
    parts: list[str] = []
    if questions:
        parts.append("The user asked: " + " | ".join(_clip(q, 160) for q in questions))
    if answers:
        parts.append("Last answer: " + _clip(answers[-1], 400))
    return _clip(" ".join(parts) or "(no messages)", max_chars)


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def run_summarizer(summarizer: Summarizer, messages: list[ChatMessage]) -> str:
    """Call a sync or async summarizer (the one place that tells them apart)."""
    result = summarizer(messages)
    if inspect.isawaitable(result):
        result = await result
    return str(result)


def segment_messages(session: Session) -> list[ChatMessage]:
    """The dialogue of one segment (its opening summary included), as the summarizer reads it."""
    out: list[ChatMessage] = []
    for event in session.events:
        message = as_chat_message(event)
        if message is not None:
            out.append(message)
    return out


async def start_next_segment(
    session: Session,
    *,
    summarizer: Summarizer = extractive_summary,
    store: Store | None = None,
) -> Session:
    """Close ``session`` and open its successor: a child session that starts with a summary.

    The child inherits the parent's properties (so the system prompt carries over) and records its
    position in the chain as ``segment_index``.
    """
    summary = await run_summarizer(summarizer, segment_messages(session))
    properties = dict(session.metadata.properties)
    properties[SEGMENT_INDEX] = int(properties.get(SEGMENT_INDEX, 0)) + 1
    child = await Session.create(parent_id=session.id, metadata=properties, store=store or session.store)
    session.note_stored_child(child.id)
    await child.add_event_and_save(
        SessionEvent(
            source=EventSource.SYSTEM,
            type=EventType.SUMMARY,
            message=summary,
            metadata={"summarized_session": session.id},
        )
    )
    return child
