"""Split a conversation into the atomic units that compaction may keep or drop.

A unit is one message, except that an assistant message that calls tools and the tool messages that
answer those calls form one unit: they are kept or dropped together, so a trimmed history never holds
a tool call without its result (which providers reject with a 400) nor a result without its call.

Pinned units are never dropped: every system message, and the unit holding the newest user message.

:class:`UnitLog` maintains the units incrementally as messages arrive, so a session that compacts by
dropping old units pays for what it drops, not for the length of what it keeps.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .messages import ChatMessage
from .tokens import TokenCounter

__all__ = ["Unit", "UnitLog", "flatten", "newest_user_index", "split_units"]


@dataclass
class Unit:
    """Consecutive messages that stand or fall together."""

    messages: list[ChatMessage] = field(default_factory=list)
    tokens: int = 0
    pinned: bool = False
    open_calls: frozenset[str] = frozenset()

    @property
    def is_system(self) -> bool:
        return self.messages[0].role == "system"

    @property
    def has_user(self) -> bool:
        return any(m.role == "user" for m in self.messages)


def newest_user_index(messages: Sequence[ChatMessage]) -> int | None:
    for index in range(len(messages) - 1, -1, -1):
        if messages[index].role == "user":
            return index
    return None


def flatten(units: Iterable[Unit]) -> list[ChatMessage]:
    return [m for u in units for m in u.messages]


_NO_CALLS: frozenset[str] = frozenset()


class UnitLog:
    """Units of a growing conversation with their running token total.

    ``append`` is O(1).
    """

    def __init__(self, counter: TokenCounter, messages: Iterable[ChatMessage] = ()) -> None:
        self.counter = counter
        self.units: list[Unit] = []
        self.total = 0
        self._newest_user: Unit | None = None
        self.extend(messages)

    def append(self, message: ChatMessage) -> None:
        tokens = self.counter.count_message(message)
        last = self.units[-1] if self.units else None
        if (
            message.role == "tool"
            and last is not None
            and message.tool_call_id is not None
            and message.tool_call_id in last.open_calls
        ):
            # A new Unit object replaces the last one: units are never changed in place, as a
            # compaction's plan may still hold the old one.
            self.units[-1] = Unit(
                [*last.messages, message],
                last.tokens + tokens,
                last.pinned,
                last.open_calls - {message.tool_call_id},
            )
            if self._newest_user is last:
                self._newest_user = self.units[-1]
        else:
            self._open_unit(message, tokens, frozenset(c.id for c in message.tool_calls))
        self.total += tokens

    def extend(self, messages: Iterable[ChatMessage]) -> None:
        """:meth:`append` each of ``messages``: a message that neither calls tools nor answers a call
        (most of a reloaded history) opens its own unit without the per-call lookups."""
        count = self.counter.count_message
        for message in messages:
            fields = message.__dict__  # one read of the model for its several fields
            if fields["role"] == "tool" or fields["tool_calls"]:
                self.append(message)
            else:
                tokens = count(message)
                self._open_unit(message, tokens, _NO_CALLS)
                self.total += tokens

    def _open_unit(self, message: ChatMessage, tokens: int, open_calls: frozenset[str]) -> None:
        """A unit of ``message`` alone; a user's is pinned in place of the previous newest user's."""
        role = message.role
        unit = Unit([message], tokens, role == "system", open_calls)
        self.units.append(unit)
        if role == "user":
            newest = self._newest_user
            if newest is not None and not newest.is_system:
                newest.pinned = False
            unit.pinned = True
            self._newest_user = unit

    def request_tokens(self) -> int:
        """Tokens of the whole log sent as one request (reply priming included)."""
        return self.total + (self.counter.reply_priming if self.units else 0)

    def messages(self) -> list[ChatMessage]:
        return flatten(self.units)

    def last_message(self) -> ChatMessage | None:
        return self.units[-1].messages[-1] if self.units else None

    def replace(self, units: list[Unit], total: int | None = None) -> None:
        """Keep only ``units`` (a compaction's result, still in order); ``total`` if already known."""
        self.units = units
        self.total = sum(u.tokens for u in units) if total is None else total


def split_units(messages: Sequence[ChatMessage], counter: TokenCounter) -> list[Unit]:
    """Group ``messages`` into units, in order, with system and newest-user units pinned."""
    return UnitLog(counter, messages).units
