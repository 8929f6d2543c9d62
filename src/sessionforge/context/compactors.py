"""Compactors: pure functions that make a conversation fit a token budget.

A compactor is any callable ``(messages, target_tokens, counter) -> messages``. Every compactor here
keeps these invariants, which the property tests check on random conversations:

* the result fits ``target_tokens`` (counted as a whole request, reply priming included);
* every system message is kept;
* the newest user message is kept;
* a tool call is never separated from its results (see :mod:`.units`);
* nothing is reordered; kept messages are the very same objects.

Compactors that rewrite (:mod:`.summarize`) add one summary message right after the system messages
(replacing the summary an earlier compaction left, which is folded into the new one), or replace an
old tool result by a shorter one with the same ``tool_call_id``; both are marked in
``metadata["sessionforge"]`` so that a reader of the view can tell them from what was said.

When the pinned messages alone cannot fit, :class:`~sessionforge.errors.ContextOverflowError` says
the sizes involved, rather than sending a request the provider would refuse.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from ..core.messages import ChatMessage
from ..core.tokens import TokenCounter
from ..core.units import Unit, split_units
from ..core.units import flatten as flatten_units
from ..errors import ContextOverflowError

__all__ = [
    "Compactor",
    "SlidingWindowCompactor",
    "TruncateCompactor",
    "UnitCompactor",
    "drop_oldest_units",
    "flatten_units",
    "window_units",
]


@runtime_checkable
class Compactor(Protocol):
    """Anything that can shrink a conversation to a token target."""

    def __call__(
        self, messages: Sequence[ChatMessage], target_tokens: int, counter: TokenCounter
    ) -> list[ChatMessage]: ...


@runtime_checkable
class UnitCompactor(Compactor, Protocol):
    """A compactor that can also work on the units a session maintains, without re-splitting.

    ``compact_units(units, target, counter, total) -> (kept, dropped, kept_tokens)``; sessions use it
    when present, so compaction costs what it drops rather than what it keeps.
    """

    def compact_units(
        self, units: list[Unit], target_tokens: int, counter: TokenCounter, total: int
    ) -> tuple[list[Unit], list[Unit], int]: ...


def _overflow(units: Sequence[Unit], target_tokens: int, counter: TokenCounter) -> ContextOverflowError:
    pinned = sum(u.tokens for u in units if u.pinned) + counter.reply_priming
    return ContextOverflowError(
        f"cannot fit the conversation into {target_tokens} tokens: the system prompt and the newest "
        f"user message alone need {pinned} tokens. Raise max_tokens, shorten the system prompt, or "
        f"send a shorter message.",
        limit=target_tokens,
        needed=pinned,
    )


def drop_oldest_units(
    units: list[Unit], target_tokens: int, counter: TokenCounter, total: int | None = None
) -> tuple[list[Unit], list[Unit], int]:
    """Drop unpinned units oldest-first until the rest fits.

    Returns ``(kept, dropped, kept_tokens)``. With ``total`` (the sum of the units' tokens) given, the
    work is proportional to the units dropped, not to the units kept.
    """
    kept_tokens = sum(u.tokens for u in units) if total is None else total
    request = kept_tokens + counter.reply_priming
    front: list[Unit] = []
    dropped: list[Unit] = []
    index = 0
    while request > target_tokens and index < len(units):
        unit = units[index]
        if unit.pinned:
            front.append(unit)
        else:
            dropped.append(unit)
            kept_tokens -= unit.tokens
            request -= unit.tokens
        index += 1
    if request > target_tokens:
        raise _overflow(units, target_tokens, counter)
    if not dropped:
        return units, [], kept_tokens
    return [*front, *units[index:]], dropped, kept_tokens


def window_units(units: Sequence[Unit], window: int) -> list[Unit]:
    """The units a window of the last ``window`` messages keeps, in order.

    System and pinned units are always kept; other units are taken newest-first while their messages
    still fit the window, and a unit that does not fit closes it (so the kept tail is contiguous).
    """
    kept: list[Unit] = []
    seen = 0
    full = False
    for unit in reversed(units):
        fits = not full and seen + len(unit.messages) <= window
        full = full or not fits
        if unit.pinned or unit.is_system or fits:
            kept.append(unit)
            if not unit.is_system:
                seen += len(unit.messages)
    kept.reverse()
    return kept


class TruncateCompactor:
    """Drops the oldest non-system messages until the conversation fits.

    The cheapest compactor and the baseline the others are measured against: no summarizer call,
    nothing rewritten, only whole units removed from the front.
    """

    def __call__(
        self, messages: Sequence[ChatMessage], target_tokens: int, counter: TokenCounter
    ) -> list[ChatMessage]:
        kept, _, _ = drop_oldest_units(split_units(messages, counter), target_tokens, counter)
        return flatten_units(kept)

    def compact_units(
        self, units: list[Unit], target_tokens: int, counter: TokenCounter, total: int
    ) -> tuple[list[Unit], list[Unit], int]:
        """The same truncation on units a session already maintains: O(units dropped)."""
        return drop_oldest_units(units, target_tokens, counter, total)

    def __repr__(self) -> str:
        return "TruncateCompactor()"


class SlidingWindowCompactor:
    """Keeps at most the last ``window`` messages (whole units), then truncates to the target.

    Useful when the newest turns matter and a fixed, predictable history length is wanted.
    """

    def __init__(self, window: int = 20) -> None:
        if window < 1:
            raise ValueError("window must be at least 1")
        self.window = window

    def __call__(
        self, messages: Sequence[ChatMessage], target_tokens: int, counter: TokenCounter
    ) -> list[ChatMessage]:
        kept = window_units(split_units(messages, counter), self.window)
        kept, _, _ = drop_oldest_units(kept, target_tokens, counter)
        return flatten_units(kept)

    def __repr__(self) -> str:
        return f"SlidingWindowCompactor(window={self.window})"
