"""``ChatSession``: a conversation held in memory, kept inside a token budget.

The session keeps two lists: ``history``, every message ever added (append-only, nothing is deleted),
and ``messages``, the view the model gets, which compaction shrinks. The view's token total is kept as
a running sum of per-message counts cached on the messages, so adding a message and asking for the
size cost the same at turn 10 and at turn 10,000.
"""

from __future__ import annotations

import copy
import dataclasses
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from ..context.compactors import Compactor, TruncateCompactor, UnitCompactor
from ..core.messages import ChatMessage
from ..core.tokens import TokenCounter, counter_for_model
from ..core.units import UnitLog, flatten
from ..errors import ContextOverflowError, UsageError

if TYPE_CHECKING:
    from ..core.budget import Budget
    from ..storage.base import Store

__all__ = ["ChatSession", "CompactionReport"]

T = TypeVar("T")


@dataclass(frozen=True)
class CompactionReport:
    """What one compaction did: sizes before and after, and what left the model's view."""

    before_tokens: int
    after_tokens: int
    target_tokens: int
    dropped: list[ChatMessage]
    added: list[ChatMessage] = field(default_factory=list)
    compactor: str = ""
    at: datetime = field(default_factory=lambda: datetime.now(UTC))
    action: str = "compact"
    """``"compact"``, or ``"undo"`` for :meth:`ChatSession.undo_compaction`."""
    position: int = 0
    """``len(history)`` when it happened: where a store records it among the messages."""
    view_before: tuple[ChatMessage, ...] = ()
    view_after: tuple[ChatMessage, ...] = ()


@dataclass(frozen=True)
class SessionCheckpoint:
    """Where a session stood before a turn, so that a failed turn can leave no trace."""

    view: tuple[ChatMessage, ...]
    history_length: int
    compactions_length: int
    model: str | None
    system_prompt: str | None


class ChatSession:
    """A conversation: system prompt, messages, and an optional token budget.

    Args:
        system_prompt: the first message of every request; kept through every compaction.
        max_tokens: the budget for the whole request history. ``None`` means unbounded.
        compactor: called when an added message would pass the effective limit. Without one, the
            message is refused with :class:`ContextOverflowError` and the session is unchanged.
        safety_margin: the share of ``max_tokens`` that may be used (effective limit =
            ``max_tokens * safety_margin``), leaving room for the reply.
        compact_to: after an automatic compaction the view is at most this share of the effective
            limit. Compacting below the limit means a long conversation compacts once every few
            turns rather than on every turn.
        model: the model whose tokenizer counts (exact for OpenAI families). An agent sets it.
        session_id: defaults to a new UUID.
        budget: limits on the tokens and USD the session's model calls may spend, with the totals
            so far (:class:`~sessionforge.core.budget.Budget`). An agent checks it before each call and
            adds each call's usage; :meth:`save` stores the totals, :meth:`load` resumes them.
    """

    def __init__(
        self,
        system_prompt: str | None = None,
        max_tokens: int | None = None,
        compactor: Compactor | None = None,
        safety_margin: float = 1.0,
        *,
        compact_to: float = 0.75,
        model: str | None = None,
        session_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        budget: Budget | None = None,
    ) -> None:
        if max_tokens is not None and max_tokens <= 0:
            raise UsageError(f"max_tokens must be a positive number of tokens, got {max_tokens}")
        if not 0 < safety_margin <= 1:
            raise UsageError(f"safety_margin must be in (0, 1], got {safety_margin}")
        if not 0 < compact_to <= 1:
            raise UsageError(f"compact_to must be in (0, 1], got {compact_to}")
        self.session_id: str = session_id or str(uuid.uuid4())
        self.max_tokens = max_tokens
        self.compactor = compactor
        self.safety_margin = safety_margin
        self.compact_to = compact_to
        self.metadata: dict[str, Any] = dict(metadata or {})
        self.budget: Budget | None = budget
        self.compactions: list[CompactionReport] = []
        self._model = model
        self._counter: TokenCounter = counter_for_model(model)
        self._history: list[ChatMessage] = []
        self._log = UnitLog(self._counter)
        self._system_prompt = system_prompt
        if system_prompt:
            self._append(ChatMessage.system(system_prompt))

    # ---- properties ------------------------------------------------------------------------------

    @property
    def messages(self) -> list[ChatMessage]:
        """The messages the model will see (a copy: changing it does not change the session)."""
        return self._log.messages()

    @property
    def history(self) -> list[ChatMessage]:
        """Every message ever added, compacted or not, in order."""
        return list(self._history)

    @property
    def last_message(self) -> ChatMessage | None:
        return self._log.last_message()

    @property
    def system_prompt(self) -> str | None:
        return self._system_prompt

    @property
    def model(self) -> str | None:
        return self._model

    @property
    def counter(self) -> TokenCounter:
        return self._counter

    @property
    def effective_limit(self) -> int | None:
        """``max_tokens * safety_margin``, or ``None`` when the session is unbounded."""
        if self.max_tokens is None:
            return None
        return int(self.max_tokens * self.safety_margin)

    def estimate_tokens(self) -> int:
        """Tokens the current view costs as a request (exact for OpenAI models). O(1)."""
        return self._log.request_tokens()

    @property
    def token_accuracy(self) -> str:
        return self._counter.accuracy

    def use_model(self, model: str | None) -> None:
        """Count with ``model``'s tokenizer from now on (an agent calls this before each call)."""
        if model == self._model:
            return
        self._model = model
        self._counter = counter_for_model(model)
        self._log = UnitLog(self._counter, self._log.messages())

    # ---- changing ------------------------------------------------------------------------------

    def add_message(self, message: ChatMessage, *, enforce: bool = True) -> None:
        """Append ``message``, compacting first if it would pass the effective limit.

        With ``enforce=False`` the message is appended even past the limit (a reply that was already
        paid for is never thrown away); the next enforced add compacts or refuses.
        Raises :class:`ContextOverflowError` (session unchanged) when there is no compactor, or when
        the compactor cannot make room.
        """
        if not isinstance(message, ChatMessage):
            raise UsageError(
                f"add_message expects a ChatMessage, got {type(message).__name__}; "
                "build one with ChatMessage.user(...) or ChatMessage.from_dict(...)"
            )
        limit = self.effective_limit
        if enforce and limit is not None:
            needed = self._counter.count_message(message)
            if self._log.total + needed + self._counter.reply_priming > limit:
                self._make_room(message, limit)
                return
        self._append(message)

    def add_messages(self, messages: Iterable[ChatMessage]) -> None:
        for message in messages:
            self.add_message(message)

    def checkpoint(self) -> SessionCheckpoint:
        """Remember the current state; :meth:`rollback` returns to it exactly."""
        return SessionCheckpoint(
            view=tuple(self.messages),
            history_length=len(self._history),
            compactions_length=len(self.compactions),
            model=self.model,
            system_prompt=self.system_prompt,
        )

    def rollback(self, checkpoint: SessionCheckpoint) -> None:
        """Undo everything since ``checkpoint``: view, history, compactions, model (a failed call)."""
        self.use_model(checkpoint.model)
        self.restore(checkpoint.view)
        del self._history[checkpoint.history_length :]
        del self.compactions[checkpoint.compactions_length :]
        self._system_prompt = checkpoint.system_prompt

    def ensure_within_limit(self) -> None:
        """Compact (or refuse) if the view is already past the limit, e.g. before a call."""
        limit = self.effective_limit
        if limit is not None and self.estimate_tokens() > limit:
            self._make_room(None, limit)

    def compact(self, target_tokens: int | None = None) -> CompactionReport:
        """Compact the view now to ``target_tokens`` (default: the effective limit).

        Uses the session's compactor, or truncation if it has none. Nothing leaves ``history``.
        """
        target = target_tokens if target_tokens is not None else self.effective_limit
        if target is None:
            raise UsageError("compact() needs target_tokens when the session has no max_tokens")
        return self._apply(self.compactor or TruncateCompactor(), target)

    def clear(self, preserve_system: bool = True) -> None:
        """Empty the conversation; keep the system prompt unless ``preserve_system=False``."""
        keep = [m for m in self._log.messages() if m.role == "system"] if preserve_system else []
        self._log = UnitLog(self._counter, keep)
        if not preserve_system:
            self._system_prompt = None

    def set_system_prompt(self, prompt: str) -> None:
        """Replace the leading system message (or add one)."""
        message = ChatMessage.system(prompt)
        view = self._log.messages()
        if view and view[0].role == "system":
            view[0] = message
        else:
            view.insert(0, message)
        self._history.append(message)
        self._log = UnitLog(self._counter, view)
        self._system_prompt = prompt

    def preview_compaction(
        self, target_tokens: int | None = None, compactor: Compactor | None = None
    ) -> CompactionReport:
        """What :meth:`compact` would do (``report.view_after`` is the resulting view); changes nothing."""
        target = target_tokens if target_tokens is not None else self.effective_limit
        if target is None:
            raise UsageError("preview_compaction() needs target_tokens when the session has no max_tokens")
        return self._plan(compactor or self.compactor or TruncateCompactor(), target)[0]

    def undo_compaction(self) -> CompactionReport | None:
        """Restore the view from before the latest compaction still in force, keeping every message
        added since; ``None`` if there is nothing to undo. Recorded like a compaction (``action="undo"``),
        so a store keeps the audit trail and a reload shows the same view."""
        in_force: list[CompactionReport] = []
        for report in self.compactions:
            if report.action == "undo":
                if in_force:
                    in_force.pop()
            else:
                in_force.append(report)
        if not in_force:
            return None
        top = in_force[-1]
        added = {id(m) for m in top.added}
        restored = [m for m in top.view_before if id(m) not in added]
        restored += [m for m in self._history[top.position :] if id(m) not in added]
        before_view = tuple(self._log.messages())
        before = self._log.request_tokens()
        self._log = UnitLog(self._counter, restored)
        report = CompactionReport(
            before_tokens=before,
            after_tokens=self._log.request_tokens(),
            target_tokens=0,
            dropped=[],
            compactor="undo",
            action="undo",
            position=len(self._history),
            view_before=before_view,
            view_after=tuple(restored),
        )
        self.compactions.append(report)
        return report

    def fork(self, at: int | None = None) -> ChatSession:
        """A new session sharing this one's history up to and including ``history[at]`` (default: all).

        A session saved to a store forks there: one appended record, whatever its length, and the
        fork is saved too (blocking; inside an event loop use ``await fork_chat_session(...)`` from
        :mod:`sessionforge.storage.chuk`). Otherwise the fork is in memory and shares the message
        objects (messages are immutable values).
        """
        from ..storage.chuk import _LINK, fork_chat_session

        if getattr(self, _LINK, None) is not None:
            from .._sync import run_sync

            store = getattr(self, _LINK).twin.store
            return run_sync(
                _releasing(lambda: fork_chat_session(self, at), store),
                async_name="fork_chat_session(session, at)",
            )
        return self._fork_in_memory(at)

    def _fork_in_memory(self, at: int | None, session_id: str | None = None) -> ChatSession:
        end = len(self._history) if at is None else at + 1
        if not 0 < end <= len(self._history):
            raise UsageError(f"fork(at={at}) is outside the history of {len(self._history)} messages")
        prefix = self._history[:end]
        shared = {id(m) for m in prefix}
        view = [m for m in self._log.messages() if id(m) in shared]
        child = ChatSession(
            max_tokens=self.max_tokens,
            compactor=self.compactor,
            safety_margin=self.safety_margin,
            compact_to=self.compact_to,
            model=self._model,
            session_id=session_id,
            metadata=self.metadata,
            budget=self.budget.model_copy() if self.budget is not None else None,
        )
        child._rebuild(prefix, view, [r for r in self.compactions if r.position <= end])
        return child

    def _rebuild(
        self,
        history: Sequence[ChatMessage],
        view: Sequence[ChatMessage],
        compactions: Sequence[CompactionReport],
    ) -> None:
        """Take a history, a view and compaction reports as they are (loading and forking use this)."""
        self._history = list(history)
        self._log = UnitLog(self._counter, view)
        self.compactions = list(compactions)
        first = view[:1] or history[:1]
        self._system_prompt = first[0].text if first and first[0].role == "system" else None

    def restore(self, snapshot: Sequence[ChatMessage]) -> None:
        """Put back a view taken from :attr:`messages` (used to undo a failed call)."""
        self._log = UnitLog(self._counter, snapshot)

    # ---- serialization -----------------------------------------------------------------------------

    def to_dict_list(self) -> list[dict[str, Any]]:
        """The view as a list of :meth:`ChatMessage.to_dict` dicts (for storage or transport)."""
        return [m.to_dict() for m in self._log.messages()]

    @classmethod
    def from_dict_list(cls, data: Iterable[dict[str, Any]], **kwargs: Any) -> ChatSession:
        session = cls(**kwargs)
        for item in data:
            session._append(ChatMessage.from_dict(item))
        first = session._log.messages()[:1]
        if first and first[0].role == "system":
            session._system_prompt = first[0].text
        return session

    def save(self, store: Store | None = None) -> None:
        """Persist to ``store`` (default: the default store), appending only unsaved messages.

        Blocking; inside an event loop use ``await save_chat_session(store, session)``.
        """
        from .._sync import run_sync
        from ..storage.chuk import _backend, save_chat_session

        backend = _backend(store)
        run_sync(
            _releasing(lambda: save_chat_session(backend, self), backend),
            async_name="save_chat_session(store, session)",
        )

    @classmethod
    def load(cls, session_id: str, store: Store | None = None, **kwargs: Any) -> ChatSession:
        """Load a session saved with :meth:`save`; raises ``SessionNotFound`` for an unknown id.

        Blocking; inside an event loop use ``await load_chat_session(store, session_id)``.
        """
        from .._sync import run_sync
        from ..storage.chuk import _backend, load_chat_session

        backend = _backend(store)
        return run_sync(
            _releasing(lambda: load_chat_session(backend, session_id, **kwargs), backend),
            async_name="load_chat_session(store, session_id)",
        )

    # ---- internals ---------------------------------------------------------------------------------

    def _append(self, message: ChatMessage) -> None:
        self._history.append(message)
        self._log.append(message)

    def _make_room(self, incoming: ChatMessage | None, limit: int) -> None:
        """Compact so that the view (with ``incoming`` appended) fits ``limit``, or change nothing."""
        compactor = self.compactor
        if compactor is None:
            needed = self.estimate_tokens() + (
                self._counter.count_message(incoming) if incoming is not None else 0
            )
            raise ContextOverflowError(
                f"session {self.session_id} would need {needed} tokens, over its limit of {limit} "
                f"(max_tokens={self.max_tokens} x safety_margin={self.safety_margin}). Pass a "
                f"compactor=, call compact(), or raise max_tokens.",
                limit=limit,
                needed=needed,
            )
        mark = self._log.checkpoint()
        if incoming is not None:
            self._log.append(incoming)
        try:
            # Compacting below the limit is a preference (fewer compactions); fitting is the rule.
            try:
                report = self._compact_log(compactor, int(limit * self.compact_to))
            except ContextOverflowError:
                report = self._compact_log(compactor, limit)
        except BaseException:
            self._log.rollback(mark)
            raise
        if incoming is not None:
            self._history.append(incoming)
        self.compactions.append(dataclasses.replace(report, position=len(self._history)))

    def _apply(self, compactor: Compactor, target: int) -> CompactionReport:
        report = self._compact_log(compactor, target)
        self.compactions.append(report)
        return report

    def _compact_log(self, compactor: Compactor, target: int) -> CompactionReport:
        """Run ``compactor`` over the view and keep its result. Raises before changing anything."""
        report, log = self._plan(compactor, target)
        self._log = log
        self._history.extend(report.added)
        return report

    def _plan(self, compactor: Compactor, target: int) -> tuple[CompactionReport, UnitLog]:
        """The compaction's report and resulting log; the session itself is left as it is."""
        before = self._log.request_tokens()
        view_before = tuple(self._log.messages())
        added: list[ChatMessage] = []
        if isinstance(compactor, UnitCompactor):
            kept, dropped_units, total = compactor.compact_units(
                self._log.units, target, self._counter, self._log.total
            )
            dropped = flatten(dropped_units)
            log = copy.copy(self._log)
            log.replace(kept, total)
        else:
            result = compactor(list(view_before), target, self._counter)
            kept_ids = {id(m) for m in result}
            old_ids = {id(m) for m in view_before}
            dropped = [m for m in view_before if id(m) not in kept_ids]
            added = [m for m in result if id(m) not in old_ids]
            log = UnitLog(self._counter, result)
        report = CompactionReport(
            before_tokens=before,
            after_tokens=log.request_tokens(),
            target_tokens=target,
            dropped=dropped,
            added=added,
            compactor=repr(compactor),
            position=len(self._history) + len(added),
            view_before=view_before,
            view_after=tuple(log.messages()),
        )
        return report, log

    def __repr__(self) -> str:
        return (
            f"ChatSession(session_id={self.session_id!r}, messages={len(self._log.messages())}, "
            f"tokens={self.estimate_tokens()}, max_tokens={self.max_tokens})"
        )


async def _releasing(call: Callable[[], Awaitable[T]], store: Store) -> T:
    """Await ``call()`` in a blocking call's own loop, then free the store's hold on that loop.

    Taking a callable, not a coroutine, means a refused call (inside a running loop) leaves no
    coroutine that was never awaited.
    """
    from ..storage.base import release_loop

    try:
        return await call()
    finally:
        await release_loop(store)
