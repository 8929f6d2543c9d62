"""``ChatSession``: the synchronous face of a session, kept inside a token budget.

A ``ChatSession`` is a view over the one conversation model: a :class:`~sessionforge.storage.session.
Session` (an append-only log of events) and its :class:`~sessionforge.core.projection.ConversationView`
(the messages the model gets, maintained as events arrive, with a running token total). Adding a
message appends an event; compacting appends the events the compaction engine plans
(:mod:`sessionforge.context.compaction`, the same engine ``SessionManager`` uses); nothing is ever
removed. So a session written by any face loads here, continues, compacts and saves back, and the
other faces read what this one wrote.

Adding a message and asking for the size cost the same at turn 10 and at turn 10,000: per-message
token counts are cached and the view keeps their sum.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from ..context.compaction import (
    CompactionPlan,
    aplan_compaction,
    log_applied,
    plan_compaction,
    plan_undo,
    record_event,
    view_record,
)
from ..context.compactors import Compactor
from ..core.budget import BUDGET_PROPERTY, Budget
from ..core.events import SessionEvent, chat_message_event
from ..core.messages import ChatMessage
from ..core.projection import CompactionEntry, ConversationView, prompt_message
from ..core.session import SYSTEM_PROMPT
from ..core.tokens import TokenCounter, counter_for_model
from ..errors import (
    ContextOverflowError,
    RecordFormatError,
    SessionAlreadyExists,
    SessionNotFound,
    UsageError,
)
from ..storage.base import Store
from ..storage.config import resolve_store, run_blocking
from ..storage.forks import fork as fork_stored
from ..storage.session import Session

__all__ = ["ChatSession", "CompactionReport", "SessionCheckpoint"]

T = TypeVar("T")

FACE = "face"
MAX_TOKENS = "max_tokens"
MODEL = "model"
METADATA = "metadata"


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
    """How many messages the history held when it happened."""
    view_before: tuple[ChatMessage, ...] = ()
    view_after: tuple[ChatMessage, ...] = ()

    @classmethod
    def of(cls, entry: CompactionEntry) -> CompactionReport:
        record = entry.record
        return cls(
            before_tokens=record.before_tokens,
            after_tokens=record.after_tokens,
            target_tokens=record.target_tokens or 0,
            dropped=list(entry.dropped),
            added=list(entry.added),
            compactor=record.compactor,
            at=entry.at,
            action=record.action,
            position=entry.position,
            view_before=entry.view_before,
            view_after=entry.view_after,
        )


@dataclass(frozen=True)
class SessionCheckpoint:
    """Where a session stood before a turn, so that a failed turn can leave no trace."""

    events: int
    model: str | None
    system: ChatMessage | None


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
        self.max_tokens = max_tokens
        self.compactor = compactor
        self.safety_margin = safety_margin
        self.compact_to = compact_to
        self.metadata: dict[str, Any] = dict(metadata or {})
        self.budget: Budget | None = budget
        self._model = model
        self._counter: TokenCounter = counter_for_model(model)
        self._session = Session(id=session_id or str(uuid.uuid4()))
        self._view = ConversationView(self._counter, system=self._system_message(system_prompt))

    @classmethod
    def _over(cls, session: Session, **kwargs: Any) -> ChatSession:
        """A ChatSession over a stored ``session``; its stored settings unless ``kwargs`` say otherwise."""
        props = session.metadata.properties
        kwargs.setdefault("max_tokens", props.get(MAX_TOKENS))
        kwargs.setdefault("model", props.get(MODEL))
        stored_meta = props.get(METADATA)
        kwargs.setdefault("metadata", stored_meta if isinstance(stored_meta, dict) else None)
        stored_budget = props.get(BUDGET_PROPERTY)
        given = kwargs.get("budget")
        kwargs["budget"] = (
            given.resumed(stored_budget) if given is not None else Budget.from_stored(stored_budget)
        )
        chat = cls(session_id=session.id, **kwargs)
        chat._session = session
        chat._view = ConversationView(
            chat._counter, session.events, system=chat._system_message(session.system_prompt)
        )
        return chat

    # ---- properties ------------------------------------------------------------------------------

    @property
    def session_id(self) -> str:
        return self._session.id

    @property
    def session(self) -> Session:
        """The session this face shows (events, metadata, tree); shared, not a copy."""
        return self._session

    @property
    def messages(self) -> list[ChatMessage]:
        """The messages the model will see (a copy: changing it does not change the session)."""
        return self._view.messages()

    @property
    def history(self) -> list[ChatMessage]:
        """Every message ever added, compacted or not, in order, after the system prompt."""
        system = self._view.system_message
        return [system, *self._view.history] if system is not None else list(self._view.history)

    @property
    def compactions(self) -> list[CompactionReport]:
        """The compactions and undos applied, oldest first."""
        return [CompactionReport.of(e) for e in self._view.compactions if e.record.action != "view"]

    @property
    def last_message(self) -> ChatMessage | None:
        return self._view.last_message()

    @property
    def system_prompt(self) -> str | None:
        if self._view.system_prompt is not None:
            return self._view.system_prompt
        units = self._view.log.units  # a session stored with its prompt as a leading message
        return units[0].messages[0].text if units and units[0].is_system else None

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
        return self._view.request_tokens()

    @property
    def token_accuracy(self) -> str:
        return self._counter.accuracy

    def use_model(self, model: str | None) -> None:
        """Count with ``model``'s tokenizer from now on (an agent calls this before each call)."""
        if model == self._model:
            return
        self._model = model
        self._counter = counter_for_model(model)
        self._view.use_counter(self._counter)

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
        self._view.check_pairing(message)
        event = chat_message_event(message)
        limit = self.effective_limit
        if enforce and limit is not None:
            needed = self._counter.count_message(message)
            if self._view.log.total + needed + self._counter.reply_priming > limit:
                self._make_room(event, limit)
                return
        self._append(event)

    def add_messages(self, messages: Iterable[ChatMessage]) -> None:
        for message in messages:
            self.add_message(message)

    def checkpoint(self) -> SessionCheckpoint:
        """Remember the current state; :meth:`rollback` returns to it exactly."""
        return SessionCheckpoint(len(self._session.events), self._model, self._view_system())

    def rollback(self, checkpoint: SessionCheckpoint) -> None:
        """Undo everything since ``checkpoint`` (a failed call): events, view, model, system prompt."""
        self.use_model(checkpoint.model)
        if len(self._session.events) > checkpoint.events:
            self._session.drop_unsaved(checkpoint.events)
            self._refold()
        self._view.set_system(checkpoint.system)

    def ensure_within_limit(self) -> None:
        """Compact (or refuse) if the view is already past the limit, e.g. before a call."""
        limit = self.effective_limit
        if limit is not None and self.estimate_tokens() > limit:
            self._make_room(None, limit)

    def make_room(self, reserve: int = 0) -> None:
        """Before a model call: make the view fit the effective limit with ``reserve`` tokens to spare
        (the reply's ``max_output_tokens``), compacting if there is a compactor.

        Raises :class:`ContextOverflowError` (session unchanged) when it cannot be made to fit.
        """
        limit = self.effective_limit
        if limit is None or self.estimate_tokens() + reserve <= limit:
            return
        room = limit - reserve
        if self.compactor is None or room <= 0:
            needed = self.estimate_tokens() + reserve
            raise ContextOverflowError(
                f"session {self.session_id} would need {needed} tokens with {reserve} kept for the reply, "
                f"over its limit of {limit} (max_tokens={self.max_tokens} x safety_margin="
                f"{self.safety_margin}). Pass a compactor=, lower max_output_tokens, or raise max_tokens.",
                limit=limit,
                needed=needed,
            )
        self._make_room(None, room)

    def settle(self) -> None:
        """After a turn: with a compactor, bring the view back within the effective limit; without
        one, refuse a view over ``max_tokens`` with :class:`ContextOverflowError` (the caller then
        undoes the turn), so a session never holds more than ``max_tokens``."""
        limit = self.effective_limit
        if limit is None or self.max_tokens is None or self.estimate_tokens() <= limit:
            return
        if self.compactor is not None:
            self._make_room(None, limit)
            return
        total = self.estimate_tokens()
        if total > self.max_tokens:
            raise ContextOverflowError(
                f"the reply would bring session {self.session_id} to {total} tokens, over its "
                f"max_tokens={self.max_tokens}; the turn is undone. Pass a compactor=, set the agent's "
                f"max_output_tokens, or raise max_tokens.",
                limit=self.max_tokens,
                needed=total,
            )

    def compact(self, target_tokens: int | None = None) -> CompactionReport:
        """Compact the view now to ``target_tokens`` (default: the effective limit).

        Uses the session's compactor, or truncation if it has none. Nothing leaves ``history``.
        """
        self._apply(plan_compaction(self._view, self._target(target_tokens, "compact"), self.compactor))
        return self.compactions[-1]

    async def acompact(self, target_tokens: int | None = None) -> CompactionReport:
        """:meth:`compact` for async code (an async summarizer is awaited)."""
        plan = await aplan_compaction(self._view, self._target(target_tokens, "acompact"), self.compactor)
        self._apply(plan)
        return self.compactions[-1]

    def preview_compaction(
        self, target_tokens: int | None = None, compactor: Compactor | None = None
    ) -> CompactionReport:
        """What :meth:`compact` would do (``report.view_after`` is the resulting view); changes nothing."""
        target = self._target(target_tokens, "preview_compaction")
        plan = plan_compaction(self._view, target, compactor or self.compactor)
        added = [e.message for e in plan.events[:-1] if isinstance(e.message, ChatMessage)]
        opening = self._view.messages()[:1] if self._view.system_prompt is not None else []
        return CompactionReport(
            before_tokens=plan.record.before_tokens,
            after_tokens=plan.record.after_tokens,
            target_tokens=target,
            dropped=self._view.messages_of(plan.record.dropped),
            added=added,
            compactor=plan.record.compactor,
            position=len(self._view.history) + len(added),
            view_before=tuple(self._view.messages()),
            view_after=(*opening, *plan.messages),
        )

    def undo_compaction(self) -> CompactionReport | None:
        """Restore the view from before the latest compaction still in force, keeping every message
        added since; ``None`` if there is nothing to undo. Recorded like a compaction (``action="undo"``),
        so the store keeps the audit trail and a reload shows the same view."""
        record = plan_undo(self._view)
        if record is None:
            return None
        self._append(record_event(record))
        log_applied(self.session_id, record)
        return self.compactions[-1]

    def clear(self, preserve_system: bool = True) -> None:
        """Empty the view; keep the system prompt unless ``preserve_system=False``.

        The messages stay in the history (and the store): a record of the empty view is appended.
        """
        if self._view.dialogue():
            self._append(record_event(view_record(self._view, [])))
        if not preserve_system:
            self._view.set_system(None)

    def set_system_prompt(self, prompt: str) -> None:
        """Replace the system prompt (the session's property; saved as a metadata patch)."""
        self._view.set_system(self._system_message(prompt))

    def restore(self, snapshot: Sequence[ChatMessage]) -> None:
        """Put back a view taken from :attr:`messages` (recorded as a view record)."""
        self._append(record_event(view_record(self._view, snapshot)))

    def fork(self, at: int | None = None) -> ChatSession:
        """A new session sharing this one's history up to and including ``history[at]`` (default: all).

        A session saved to a store forks there: one appended record, whatever its length, and the
        fork is saved too (blocking; :meth:`afork` is the async twin). Otherwise the fork is in
        memory and shares the message objects (messages are immutable values).
        """
        if self._session.is_stored:
            return self._blocking(lambda: self.afork(at), self._session.store)
        return self._fork_in_memory(at)

    async def afork(self, at: int | None = None) -> ChatSession:
        """Save, fork in the store after ``history[at]`` (default: all), and load the fork."""
        await self.asave()
        store = resolve_store(self._session.store)
        event = self._event_at(at)
        position: str | int | None = None
        if event is not None:
            origin = self._session.position_of(event.id)
            position = origin.seq if origin is not None and origin.session_id == self.session_id else event.id
        elif at is not None:  # the system prompt alone: the fork starts before every event
            position = 1
        child = await fork_stored(self.session_id, at=position, store=store)
        return await self.aload(child, store, **self._inherited())

    def _inherited(self) -> dict[str, Any]:
        """The settings a fork takes from this session, in memory or in a store alike."""
        return {
            "max_tokens": self.max_tokens,
            "compactor": self.compactor,
            "safety_margin": self.safety_margin,
            "compact_to": self.compact_to,
            "model": self._model,
            "metadata": self.metadata,
            "budget": self.budget.model_copy() if self.budget is not None else None,
        }

    def _fork_in_memory(self, at: int | None) -> ChatSession:
        event = self._event_at(at)
        events = self._session.events
        end = len(events) if at is None else (events.index(event) + 1 if event is not None else 0)
        child = ChatSession(**self._inherited())
        child._view.set_system(self._view_system())
        for original in events[:end]:
            copy = original.model_copy()
            copy.seq = None
            child._append(copy)
        return child

    def _event_at(self, at: int | None) -> SessionEvent | None:
        """The event holding ``history[at]`` (``None`` for the system prompt or for ``at=None``)."""
        if at is None:
            return None
        history = self.history
        if not 0 <= at < len(history):
            raise UsageError(f"fork(at={at}) is outside the history of {len(history)} messages")
        owner = self._view.owner(history[at])
        return next((e for e in self._session.events if e.id == owner), None)

    # ---- serialization and storage -----------------------------------------------------------------

    def to_dict_list(self) -> list[dict[str, Any]]:
        """The view as a list of :meth:`ChatMessage.to_dict` dicts (for storage or transport)."""
        return [m.to_dict() for m in self._view.messages()]

    @classmethod
    def from_dict_list(cls, data: Iterable[dict[str, Any]], **kwargs: Any) -> ChatSession:
        """A session holding the messages of :meth:`to_dict_list` (a leading system message becomes
        the system prompt)."""
        session = cls(**kwargs)
        for index, item in enumerate(data):
            message = ChatMessage.from_dict(item)
            if index == 0 and message.role == "system" and session._view.system_prompt is None:
                session._session.metadata.created_at = message.created_at
                session._view.set_system(message)
            else:
                session._append(chat_message_event(message))
        return session

    def save(self, store: Store | None = None) -> None:
        """Persist to ``store`` (default: the store it came from, else the default store), appending
        only what is new. Blocking; :meth:`asave` is the async twin."""
        self._blocking(lambda: self.asave(store), store or self._session.store)

    async def asave(self, store: Store | None = None) -> None:
        """Append the new events and a patch of changed settings to the store."""
        backend = resolve_store(store if store is not None else self._session.store)
        session = self._session
        first_here = not session.is_stored or backend is not session.store
        if first_here and await backend.load(session.id, limit=1):
            raise SessionAlreadyExists(
                f"a session with id {session.id!r} already exists in the store; "
                "open it with ChatSession.load to continue it"
            )
        props = session.metadata.properties
        props[FACE] = props.get(FACE, "chat_session")
        props[MAX_TOKENS] = self.max_tokens
        props[MODEL] = self._model
        props[METADATA] = dict(self.metadata)
        prompt = self._view.system_prompt
        if prompt is not None or SYSTEM_PROMPT in props:
            props[SYSTEM_PROMPT] = prompt
        if self.budget is not None:  # a changed total is a patch of this one key, appended
            props[BUDGET_PROPERTY] = self.budget.totals()
        try:
            others = await session.save(backend)
        except RecordFormatError:  # the session dropped the event it could not store
            self._refold()
            raise
        if others:  # other writers appended meanwhile: their events are in
            self._refold()

    @classmethod
    def load(cls, session_id: str, store: Store | None = None, **kwargs: Any) -> ChatSession:
        """Load a stored session (written by any face); raises ``SessionNotFound`` for an unknown id.

        A stored budget comes back with its totals; a ``budget=`` passed here keeps its limits and
        takes the stored totals. ``history`` is every stored message; ``messages`` is the view the
        compaction records give, so ``undo_compaction`` works after a reload. Blocking;
        :meth:`aload` is the async twin.
        """
        return cls._blocking(lambda: cls.aload(session_id, store, **kwargs), store)

    @classmethod
    async def aload(cls, session_id: str, store: Store | None = None, **kwargs: Any) -> ChatSession:
        session = await Session.load(session_id, resolve_store(store))
        if session is None:
            raise SessionNotFound(session_id)
        return cls._over(session, **kwargs)

    # ---- internals ---------------------------------------------------------------------------------

    def _system_message(self, prompt: str | None) -> ChatMessage | None:
        return prompt_message(self._session, prompt)

    def _view_system(self) -> ChatMessage | None:
        return self._view.system_message

    def _append(self, event: SessionEvent) -> None:
        self._session.append_event(event)
        self._view.add(event)

    def _refold(self) -> None:
        """Fold the view again from the events (after events were removed or taken in)."""
        self._view = ConversationView(self._counter, self._session.events, system=self._view_system())

    def _target(self, target_tokens: int | None, verb: str) -> int:
        target = target_tokens if target_tokens is not None else self.effective_limit
        if target is None:
            raise UsageError(f"{verb}() needs target_tokens when the session has no max_tokens")
        return target

    def _apply(self, plan: CompactionPlan) -> None:
        for event in plan.events:
            self._append(event)
        log_applied(self.session_id, plan.record)

    def _make_room(self, incoming: SessionEvent | None, limit: int) -> None:
        """Compact so that the view (with ``incoming`` appended) fits ``limit``, or change nothing."""
        compactor = self.compactor
        if compactor is None:
            extra = self._counter.count_message(incoming.message) if incoming is not None else 0
            needed = self.estimate_tokens() + extra
            raise ContextOverflowError(
                f"session {self.session_id} would need {needed} tokens, over its limit of {limit} "
                f"(max_tokens={self.max_tokens} x safety_margin={self.safety_margin}). Pass a "
                f"compactor=, call compact(), or raise max_tokens.",
                limit=limit,
                needed=needed,
            )
        kept = len(self._session.events)
        if incoming is not None:
            self._append(incoming)
        try:
            # Compacting below the limit is a preference (fewer compactions); fitting is the rule.
            try:
                plan = plan_compaction(self._view, int(limit * self.compact_to), compactor)
            except ContextOverflowError:
                plan = plan_compaction(self._view, limit, compactor)
        except BaseException:  # change nothing: fold the view again without the message
            self._session.drop_unsaved(kept)
            self._refold()
            raise
        self._apply(plan)

    @staticmethod
    def _blocking(call: Callable[[], Coroutine[Any, Any, T]], store: Store | None) -> T:
        return run_blocking(call(), store, async_name="the async twin (asave/aload/afork)")

    def __repr__(self) -> str:
        return (
            f"ChatSession(session_id={self.session_id!r}, messages={len(self.messages)}, "
            f"tokens={self.estimate_tokens()}, max_tokens={self.max_tokens})"
        )
