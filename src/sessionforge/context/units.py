"""Split a conversation into the atomic units that compaction may keep or drop.

A unit is one message, except that an assistant message that calls tools and the tool messages that
answer those calls form one unit: they are kept or dropped together, so a trimmed history never holds
a tool call without its result (which providers reject with a 400) nor a result without its call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..core.messages import ChatMessage
from ..core.tokens import TokenCounter

__all__ = ["Unit", "newest_user_index", "split_units"]


@dataclass
class Unit:
    """Consecutive messages that stand or fall together."""

    messages: list[ChatMessage] = field(default_factory=list)
    tokens: int = 0
    pinned: bool = False

    @property
    def is_system(self) -> bool:
        return self.messages[0].role == "system"


def newest_user_index(messages: Sequence[ChatMessage]) -> int | None:
    for index in range(len(messages) - 1, -1, -1):
        if messages[index].role == "user":
            return index
    return None


def split_units(messages: Sequence[ChatMessage], counter: TokenCounter) -> list[Unit]:
    """Group ``messages`` into units, in order, and pin what compaction must keep.

    Pinned: every system message and the unit holding the newest user message.
    """
    units: list[Unit] = []
    open_calls: set[str] = set()
    newest_user = newest_user_index(messages)
    for index, message in enumerate(messages):
        tokens = counter.count_message(message)
        answers_open_call = message.role == "tool" and message.tool_call_id in open_calls
        if answers_open_call and units:
            unit = units[-1]
            open_calls.discard(message.tool_call_id or "")
        else:
            unit = Unit()
            units.append(unit)
            open_calls = {call.id for call in message.tool_calls}
        unit.messages.append(message)
        unit.tokens += tokens
        if message.role == "system" or index == newest_user:
            unit.pinned = True
    return units
