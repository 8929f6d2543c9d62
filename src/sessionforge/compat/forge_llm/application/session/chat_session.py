"""forge_llm's ``ChatSession``, a view of sessionforge's :class:`~sessionforge.faces.chat_session.ChatSession`.

The conversation lives in sessionforge's session (``.native``): exact token counts, compaction that
never deletes (``history`` keeps every message), the same budget rules as every face. This class
takes and returns forge_llm's messages; the very objects added come back from :attr:`messages`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sessionforge.core.messages import ChatMessage as NativeMessage
from sessionforge.core.tokens import TokenCounter
from sessionforge.faces.chat_session import ChatSession as NativeSession
from sessionforge.faces.chat_session import CompactionReport

from ...._alias import Alias
from ...domain.entities import ChatMessage
from ...domain.exceptions import translating
from .async_summarize_compactor import AsyncSummarizeCompactor
from .compactor import SessionCompactor, TruncateCompactor
from .summarize_compactor import SummarizeCompactor

if TYPE_CHECKING:
    from ...domain.value_objects import ChatResponse

__all__ = ["ChatSession"]


class ChatSession:
    """A conversation with a system prompt, an optional token limit and an optional compactor.

    Args:
        session_id: defaults to a new UUID.
        system_prompt: kept first through every compaction.
        max_tokens: the most tokens the conversation may hold (``None``: no limit).
        compactor: makes room when a message would pass ``max_tokens x safety_margin``; without one
            that message raises ``ContextOverflowError`` and the session is unchanged.
        safety_margin: the share of ``max_tokens`` in use (default 0.8, as in forge_llm).
    """

    CHARS_PER_TOKEN = 4
    """forge_llm's estimate, kept for code that reads it; sessionforge counts tokens exactly."""

    def __init__(
        self,
        session_id: str | None = None,
        system_prompt: str | None = None,
        max_tokens: int | None = None,
        compactor: SessionCompactor | AsyncSummarizeCompactor | None = None,
        safety_margin: float = 0.8,
    ) -> None:
        with translating():
            native = NativeSession(
                system_prompt, max_tokens, _native_compactor(compactor), safety_margin, session_id=session_id
            )
        self._bind(native, compactor)

    @classmethod
    def of(cls, native: NativeSession) -> ChatSession:
        """This face over an existing sessionforge ``ChatSession`` (loaded, forked, shared)."""
        session = cls.__new__(cls)
        session._bind(native, native.compactor if isinstance(native.compactor, SessionCompactor) else None)
        return session

    def _bind(
        self, native: NativeSession, compactor: SessionCompactor | AsyncSummarizeCompactor | None
    ) -> None:
        self._native = native
        self._compactor = compactor
        # native message (by id) -> the forge_llm message it was made from or shown as, kept with it
        self._faces: dict[int, tuple[NativeMessage, ChatMessage]] = {}

    # ---- properties ------------------------------------------------------------------------------

    @property
    def native(self) -> NativeSession:
        """The sessionforge session behind this face (save/load, fork, budget, ...)."""
        return self._native

    session_id = Alias[str]("_native.session_id")
    safety_margin = Alias[float]("_native.safety_margin")
    max_tokens = Alias[int | None]("_native.max_tokens")
    effective_max_tokens = Alias[int | None](
        "_native.effective_limit", "``max_tokens x safety_margin``, or ``None`` without a limit."
    )
    effective_limit = effective_max_tokens

    @property
    def messages(self) -> list[ChatMessage]:
        """The messages the model gets (a new list; the message objects are the session's)."""
        return [self._face(m) for m in self._native.messages]

    @property
    def history(self) -> list[ChatMessage]:
        """Every message ever added, compacted away or not (sessionforge never deletes)."""
        return [self._face(m) for m in self._native.history]

    @property
    def last_message(self) -> ChatMessage | None:
        last = self._native.last_message
        return self._face(last) if last is not None else None

    compactions = Alias[list[CompactionReport]](
        "_native.compactions", "What each compaction did (sessionforge's reports)."
    )
    counter = Alias[TokenCounter]("_native.counter")

    # ---- changing ----------------------------------------------------------------------------------

    def add_message(self, message: ChatMessage) -> None:
        """Add ``message``, compacting first if it would pass the limit.

        Raises ``ContextOverflowError`` (session unchanged) without a compactor, or when even
        compaction cannot make room; ``InvalidMessageError`` for a malformed message.
        """
        with translating():
            native = self.native_message(message)
            self._native.add_message(native)

    def add_response(self, response: ChatResponse) -> None:
        self.add_message(response.message)

    def compact(self, target_tokens: int | None = None) -> None:
        """Compact to ``target_tokens`` (default ``max_tokens``, else 1000); nothing happens without a
        compactor, as in forge_llm. Compacted messages stay in :attr:`history`."""
        if self._compactor is None:
            return
        with translating():
            self._native.compact(target_tokens or self._native.max_tokens or 1000)

    def clear(self, preserve_system: bool = True) -> None:
        self._native.clear(preserve_system=preserve_system)

    def estimate_tokens(self) -> int:
        """Tokens the messages cost as a request, counted exactly (forge_llm estimated characters / 4)."""
        return self._native.estimate_tokens()

    def to_dict_list(self) -> list[dict[str, Any]]:
        """The messages as forge_llm's dicts."""
        return [m.to_dict() for m in self.messages]

    # ---- the two message models ----------------------------------------------------------------------

    def native_message(self, message: ChatMessage) -> NativeMessage:
        """The sessionforge message for ``message``, remembered so that it comes back as the same object."""
        native = message.to_native()
        self._faces[id(native)] = (native, message)
        return native

    def _face(self, native: NativeMessage) -> ChatMessage:
        known = self._faces.get(id(native))
        if known is not None and known[0] is native:
            return known[1]
        face = ChatMessage.from_native(native)
        self._faces[id(native)] = (native, face)
        return face

    def __repr__(self) -> str:
        return f"ChatSession(session_id={self.session_id!r}, messages={len(self._native.messages)})"


class _ForgeCompaction:
    """A forge_llm compactor (``compact(messages, target_tokens)``) as a sessionforge compactor."""

    def __init__(self, compactor: SessionCompactor) -> None:
        self.compactor = compactor

    def __call__(
        self, messages: Sequence[NativeMessage], target_tokens: int, counter: TokenCounter
    ) -> list[NativeMessage]:
        faces = [ChatMessage.from_native(m) for m in messages]
        origin = {id(face): native for face, native in zip(faces, messages, strict=True)}
        result = self.compactor.compact(faces, target_tokens)
        return [origin.get(id(m)) or m.to_native() for m in result]

    def __repr__(self) -> str:
        return repr(self.compactor)


def _native_compactor(
    compactor: SessionCompactor | AsyncSummarizeCompactor | None,
) -> Any:
    """What sessionforge's session runs: the mirror's own compactors as they are (they are
    sessionforge compactors), any other ``SessionCompactor`` through its ``compact`` method."""
    if compactor is None or isinstance(compactor, AsyncSummarizeCompactor):
        return compactor
    own = {TruncateCompactor.compact, SummarizeCompactor.compact}
    if isinstance(compactor, TruncateCompactor | SummarizeCompactor) and type(compactor).compact in own:
        return compactor
    return _ForgeCompaction(compactor)
