"""forge_llm's compactor interface, ``compact(messages, target_tokens)``, over sessionforge's compactors.

Each mirror compactor is also a sessionforge compactor (``(messages, target, counter) -> messages``),
so a session uses it natively; :meth:`SessionCompactor.compact` is forge_llm's call on forge_llm
messages. Tokens are counted exactly (``o200k_base``) where forge_llm estimated characters / 4, and
kept messages are returned as the very objects passed in.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence

from sessionforge.context.compactors import TruncateCompactor as NativeTruncate
from sessionforge.core.messages import ChatMessage as NativeMessage
from sessionforge.core.tokens import TokenCounter, counter_for_model

from ...domain.entities import ChatMessage
from ...domain.exceptions import translating

__all__ = ["SessionCompactor", "TruncateCompactor", "compact_with", "from_native", "to_native"]

NativeCompaction = Callable[[Sequence[NativeMessage], int, TokenCounter], list[NativeMessage]]


class SessionCompactor(ABC):
    """A strategy that shrinks a conversation to ``target_tokens``."""

    @abstractmethod
    def compact(self, messages: list[ChatMessage], target_tokens: int) -> list[ChatMessage]: ...


def to_native(messages: list[ChatMessage]) -> tuple[list[NativeMessage], dict[int, ChatMessage]]:
    """forge_llm messages as sessionforge's, and the forge_llm message each came from (by ``id``)."""
    native = [message.to_native() for message in messages]
    return native, {id(n): m for n, m in zip(native, messages, strict=True)}


def from_native(result: list[NativeMessage], origin: dict[int, ChatMessage]) -> list[ChatMessage]:
    """A compaction's result as forge_llm messages: each kept message is the very object passed in."""
    return [origin.get(id(message)) or ChatMessage.from_native(message) for message in result]


def compact_with(
    compaction: NativeCompaction, messages: list[ChatMessage], target_tokens: int
) -> list[ChatMessage]:
    """Run a sessionforge compaction on forge_llm messages; kept messages come back as the same objects."""
    with translating():
        native, origin = to_native(messages)
        result = compaction(native, target_tokens, counter_for_model(None))
    return from_native(result, origin)


class TruncateCompactor(SessionCompactor, NativeTruncate):
    """Drops the oldest messages (whole tool-call exchanges) until the rest fits; system messages stay.

    When even the system messages and the newest user message cannot fit, ``ContextOverflowError``
    says so (forge_llm kept the last message and returned a list over the target).
    """

    def compact(self, messages: list[ChatMessage], target_tokens: int) -> list[ChatMessage]:
        return compact_with(self, messages, target_tokens)
