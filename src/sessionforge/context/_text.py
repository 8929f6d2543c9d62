"""Cutting text to a token count, measured by the counter that will bill it.

Compaction promises that its result fits the budget as counted, so a shortened text is never sized
by characters: the cut point is searched with the real counter and the result is counted again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..core.messages import ChatMessage
from ..core.tokens import TokenCounter

__all__ = [
    "TRUNCATION_MARK",
    "fit_message",
    "longest_prefix",
    "text_head",
    "text_tail",
    "truncated",
    "with_content",
]

TRUNCATION_MARK = "[truncated]"
"""Ends a text that was cut to fit; alone, it is the shortest a cut text can be."""


def truncated(text: str, keep: int) -> str:
    """The first ``keep`` characters of ``text``, marked as cut."""
    return f"{text[:keep]} {TRUNCATION_MARK}" if keep else TRUNCATION_MARK


def longest_prefix(length: int, fits: Callable[[int], bool]) -> int | None:
    """The largest ``k`` in ``[0, length]`` with ``fits(k)``, or ``None`` if not even ``0`` fits.

    Token counts of prefixes grow with the prefix almost always, but BPE merges can make a longer
    prefix cheaper, so ``fits`` is not strictly monotonic. The search only ever moves to a candidate
    that ``fits`` accepted, so its answer always fits (at worst a few characters short of the best).
    """
    if not fits(0):
        return None
    low, high = 0, length
    while low < high:
        mid = (low + high + 1) // 2
        if fits(mid):
            low = mid
        else:
            high = mid - 1
    return low


def text_head(text: str, max_tokens: int, counter: TokenCounter) -> str:
    """The longest start of ``text`` that costs at most ``max_tokens``."""
    k = longest_prefix(len(text), lambda n: counter.count_text(text[:n]) <= max_tokens)
    return text[: k or 0]


def text_tail(text: str, max_tokens: int, counter: TokenCounter) -> str:
    """The longest end of ``text`` that costs at most ``max_tokens``."""
    k = longest_prefix(len(text), lambda n: counter.count_text(text[len(text) - n :]) <= max_tokens)
    return text[len(text) - (k or 0) :]


def with_content(message: ChatMessage, content: str, **marks: Any) -> ChatMessage:
    """A copy of ``message`` with new text, its role and tool fields kept, ``marks`` noted in metadata.

    Built field by field rather than with ``model_copy``: a shallow copy would share the token cache
    of the original and report its count for the shorter text.
    """
    metadata = dict(message.metadata)
    if marks:
        metadata["sessionforge"] = {**metadata.get("sessionforge", {}), **marks}
    return ChatMessage(
        role=message.role,
        content=content,
        tool_calls=list(message.tool_calls),
        tool_call_id=message.tool_call_id,
        name=message.name,
        metadata=metadata,
        created_at=message.created_at,
    )


def fit_message(message: ChatMessage, room: int, counter: TokenCounter) -> ChatMessage | None:
    """``message`` with its text cut (and marked) so that it costs at most ``room`` tokens.

    Returns ``message`` itself when it already fits and ``None`` when even an empty text would not.
    Images in a multi-part message are lost in the cut: this is the last resort, used only when the
    message alone is larger than the whole budget.
    """
    if counter.count_message(message) <= room:
        return message
    text = message.text
    original = counter.count_text(text)

    def build(n: int) -> ChatMessage:
        return with_content(message, truncated(text, n), truncated_from_tokens=original)

    k = longest_prefix(len(text), lambda n: counter.count_message(build(n)) <= room)
    return None if k is None else build(k)
