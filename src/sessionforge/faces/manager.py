"""``SessionManager``: the async face that records a conversation turn by turn.

Each call (``user_says``, ``ai_responds``, ``tool_used``) appends one event to the session's log and
updates running totals, so a turn costs the same at turn 10 and at turn 10,000: nothing is reloaded,
re-tokenized or rewritten. A manager created with the id of a stored session resumes it, in this
process or after a restart.

With ``infinite_context=True`` a full segment (``token_threshold`` tokens or
``max_turns_per_segment`` messages, user and assistant, counted as chuk-ai-session-manager counts
them) is closed before the next user message and the conversation continues in a child session
that opens with a summary; :mod:`sessionforge.context.segments` holds that logic and takes the
summarizer (or the spec's ``llm_callback``) and the :class:`SummarizationStrategy` as parameters.
:class:`~sessionforge.faces.infinite.InfiniteConversationManager` and ``track_infinite_conversation`` run
on this class, so all three segment a conversation the same way.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from ..context.compaction import CompactionPlan, aplan_compaction, log_applied, plan_undo, record_event
from ..context.compactors import Compactor
from ..context.segments import SegmentPolicy, next_segment_id, start_next_segment
from ..context.summarize import (
    LLMCallback,
    SummarizationStrategy,
    Summarizer,
    llm_callback_summarizer,
)
from ..core.budget import BUDGET_PROPERTY, Budget
from ..core.construct import set_field
from ..core.events import EventSource, EventType, SessionEvent, event_usage, tool_call_event
from ..core.messages import ChatMessage
from ..core.projection import ConversationView, event_messages, prompt_message
from ..core.session import SYSTEM_PROMPT
from ..core.tokens import DEFAULT_TOKEN_MODEL, Accuracy, counter_for_model
from ..core.usage import TokenUsage
from ..core.views import CompactionRecord
from ..errors import RecordFormatError, SessionNotFound
from ..providers.openai import message_to_wire
from ..storage.base import Store
from ..storage.config import resolve_store
from ..storage.forks import fork as fork_stored
from ..storage.session import Session

__all__ = ["SessionManager"]

# The members a turn compares and builds with, read once: ``EventType.MESSAGE`` passes through the
# enum class's attribute hook (EnumType defines ``__getattr__``), several times a plain name's cost.
_USER, _LLM = EventSource.USER, EventSource.LLM
_MESSAGE, _TOOL_CALL, _SUMMARY, _COMPACTION = (
    EventType.MESSAGE,
    EventType.TOOL_CALL,
    EventType.SUMMARY,
    EventType.COMPACTION,
)


@dataclass
class _Tally:
    """Running counts of one or more segments.

    ``tokens`` and ``cost`` are everything the conversation used, summaries included; ``size`` is
    what a segment holds for the model to read, which is what fills it: a summary adds only its own
    text, not the transcript it was written from.
    """

    user: int = 0
    ai: int = 0
    tools: int = 0
    tokens: int = 0
    cost: float = 0.0
    size: int = 0
    events: int = 0

    def add(self, event: SessionEvent, measure: Callable[[SessionEvent], int] | None = None) -> None:
        """Count ``event``; ``measure`` sizes a tool call, which carries no usage of its own.

        A tool's call and result are read by the model on every later turn of the segment, so they
        fill it as much as a message does, though no model call was charged for them.
        """
        fields = event.__dict__  # one read of the model for its several fields
        kind = fields["type"]
        if kind != _COMPACTION:  # a compaction is this library's record, not an event
            self.events += 1
        if kind == _MESSAGE:
            source = fields["source"]
            if source == _USER:
                self.user += 1
            elif source == _LLM:
                self.ai += 1
        elif kind == _TOOL_CALL:
            self.tools += 1
        usage = event_usage(event)
        if usage is not None:
            counts = usage.__dict__
            total: int = counts["total_tokens"]
            self.tokens += total
            self.cost += counts["estimated_cost_usd"] or 0.0
            self.size += counts["completion_tokens"] if kind == _SUMMARY else total
        elif kind == _TOOL_CALL and measure is not None:
            self.size += measure(event)

    def __add__(self, other: _Tally) -> _Tally:
        return _Tally(
            self.user + other.user,
            self.ai + other.ai,
            self.tools + other.tools,
            self.tokens + other.tokens,
            self.cost + other.cost,
            self.size + other.size,
            self.events + other.events,
        )

    @classmethod
    def of(cls, session: Session, measure: Callable[[SessionEvent], int] | None = None) -> _Tally:
        tally = cls()
        for event in session.events:
            tally.add(event, measure)
        return tally


class SessionManager:
    """Record a conversation in a session and read it back for the next model call.

    Args:
        session_id: resume this stored session (:class:`SessionNotFound` if the store has none,
            unless ``create_missing``). Without it a new session is created, with a fresh id, on
            first use.
        system_prompt: stored with the session; replaces the stored one when resuming.
        parent_id: make the new session a child of this one.
        metadata: initial properties of a new session.
        store: where the session lives; the default store otherwise.
        infinite_context: continue in a child segment once a segment is full.
        token_threshold / max_turns_per_segment: when a segment is full: at that many tokens, or
            that many user and assistant messages.
        summarization_strategy: what each segment's opening summary keeps.
        llm_callback: writes the summaries: the spec's callback, OpenAI-style message dicts in, text
            out (sync or async). Takes precedence over ``summarizer``.
        summarizer: writes the summaries from a :func:`~sessionforge.context.summarize.build_summary_request`
            request (sync or async); the extractive summarizer (no model call) by default.
        model: the model whose tokenizer counts user messages until ``ai_responds`` names one, and
            which prices summaries.
        budget: token and USD limits (:class:`~sessionforge.core.budget.Budget`). Every recorded event's
            usage is added, and the totals are stored with that event (one metadata patch in the
            same append), so a resumed session keeps its totals; ``check_budget`` refuses a call
            before it is made.
        create_missing: with a ``session_id`` the store does not have, create the session under
            that id instead of raising (what chuk-ai-session-manager does).
    """

    def __init__(
        self,
        session_id: str | None = None,
        system_prompt: str | None = None,
        parent_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        store: Store | None = None,
        infinite_context: bool = False,
        token_threshold: int = 4000,
        max_turns_per_segment: int = 20,
        *,
        summarization_strategy: SummarizationStrategy | str = SummarizationStrategy.BASIC,
        llm_callback: LLMCallback | None = None,
        summarizer: Summarizer | None = None,
        model: str = DEFAULT_TOKEN_MODEL,
        budget: Budget | None = None,
        create_missing: bool = False,
    ) -> None:
        self._is_new = session_id is None
        self._create_missing = create_missing
        self._session_id = session_id or str(uuid.uuid4())
        self._system_prompt = system_prompt
        self._parent_id = parent_id
        self._metadata = dict(metadata or {})
        self._store = store
        # Read-only settings: kept managers are found again by them (see the simple API).
        self.is_infinite: Final = infinite_context
        self.token_threshold: Final = token_threshold
        self.max_turns_per_segment: Final = max_turns_per_segment
        self._strategy = SummarizationStrategy(summarization_strategy)
        self._summarizer = llm_callback_summarizer(llm_callback) if llm_callback else summarizer
        self.model = model
        """The model that counts the next user message and prices summaries."""
        self._session: Session | None = None
        self._view: ConversationView | None = None  # the current segment, as the model gets it
        self._opening: asyncio.Lock | None = None  # concurrent first calls create the session once
        self._segment = _Tally()  # the current segment
        self._chain: list[str] | None = None  # root first; None until first asked
        # Counts of the closed segments, by id. Their events are not kept: a manager holds one segment
        # in memory however long the conversation, and reads earlier ones from the store on demand.
        self._closed: dict[str, _Tally] = {}
        self._started_at: datetime | None = None  # the first segment's creation time, once read
        self._budget = budget
        # The view's messages in wire form, by id (message kept, so the id stays its own): a request
        # converts only the messages added since the last one.
        self._wire: dict[int, tuple[ChatMessage, dict[str, Any]]] = {}

    # ---- properties ------------------------------------------------------------------------------

    @property
    def session_id(self) -> str:
        """The id of the current segment (the only one without infinite context)."""
        return self._session.id if self._session is not None else self._session_id

    @property
    def system_prompt(self) -> str | None:
        return self._system_prompt

    @property
    def session(self) -> Session | None:
        """The current segment's ``Session`` once the manager has been used."""
        return self._session

    @property
    def summarization_strategy(self) -> SummarizationStrategy:
        return self._strategy

    @summarization_strategy.setter
    def summarization_strategy(self, strategy: SummarizationStrategy | str) -> None:
        self._strategy = SummarizationStrategy(strategy)

    @property
    def budget(self) -> Budget | None:
        """The budget with its totals (resumed from the store once the manager has been used)."""
        return self._budget

    async def check_budget(self, prompt_tokens: int, max_output_tokens: int | None = None) -> None:
        """Raise :class:`~sessionforge.errors.BudgetExceededError` if a call with ``prompt_tokens``
        and up to ``max_output_tokens`` of reply would pass the budget; call it before the call."""
        await self._ensure()
        if self._budget is not None:
            self._budget.check(
                prompt_tokens,
                model=self.model,
                max_output_tokens=max_output_tokens,
                session_id=self.session_id,
            )

    # ---- recording ----------------------------------------------------------------------------------

    async def user_says(self, message: str, **metadata: Any) -> str:
        """Record the user's message; returns the id of the session it went into."""
        if self.is_infinite:  # without infinite context there is no segment to close
            await self.segment_if_full()
        session = self._session if self._session is not None else await self._ensure()
        event = SessionEvent.of_parts(_USER, _MESSAGE, message, metadata)
        # A user message costs nothing by itself: it is billed as part of the prompt of the call that
        # reads it. It carries its tokens, counted for the model in use, and no model or price.
        tokens, accuracy = self._text_tokens(event)
        set_field(event, "token_usage", TokenUsage.of(tokens, 0, accuracy=accuracy))
        await self._record_all([event], session)
        return session.id

    async def ai_responds(
        self,
        response: str,
        model: str | None = None,
        provider: str = "openai",
        **metadata: Any,
    ) -> str:
        """Record the model's reply, counted with ``model``'s tokenizer and priced."""
        session = self._session if self._session is not None else await self._ensure()
        if model:
            self.model = model
        event = SessionEvent.of_parts(
            _LLM, _MESSAGE, response, {"model": self.model, "provider": provider, **metadata}
        )
        tokens, accuracy = self._text_tokens(event)
        usage = TokenUsage.of(0, tokens, model=self.model, provider=provider, accuracy=accuracy)
        set_field(event, "token_usage", usage)
        await self._record_all([event], session)
        return session.id

    async def tool_used(
        self,
        tool_name: str,
        arguments: dict[str, Any],
        result: Any,
        error: str | None = None,
        **metadata: Any,
    ) -> str:
        """Record a tool call and its result (or error) as one ``TOOL_CALL`` event."""
        session = await self._ensure()
        call_id = metadata.pop("call_id", None)
        await self._record(
            tool_call_event(
                tool_name,
                arguments,
                result,
                error=error,
                call_id=str(call_id) if call_id else None,
                metadata=metadata,
            )
        )
        return session.id

    async def record_event(self, event: SessionEvent) -> str:
        """Append any event to the current segment (counted in the totals); returns its session id.

        For events the three methods above do not cover, such as a system note; segmentation is
        checked only before user messages, so that a question and its answer share a segment.
        """
        await self._record(event)
        return self.session_id

    async def segment_if_full(self, *, llm_callback: LLMCallback | None = None) -> str:
        """With infinite context, continue in a new segment if the current one is full.

        ``user_says`` calls this first; a caller with a per-call ``llm_callback`` (the spec's
        ``InfiniteConversationManager.process_message``) calls it itself, so that that callback
        writes the summary. Returns the id of the current segment.
        """
        session = await self._ensure()
        if not self.is_infinite:
            return session.id
        # Other writers (another process, another manager on the same conversation) may have added
        # to this segment or closed it since this manager last looked: take in what they appended
        # (O(new records)) and move to the segment they continued in, so that the decision below,
        # and the message after it, land where the conversation now is.
        await self.refresh()
        session = await self._follow_continuations(session)
        policy = SegmentPolicy(self.token_threshold, self.max_turns_per_segment)
        if policy.is_full(self._segment.size, self._segment.user + self._segment.ai):
            summarizer = llm_callback_summarizer(llm_callback) if llm_callback else self._summarizer
            session = await self._next_segment(session, summarizer)
        return session.id

    def set_summary_callback(self, callback: LLMCallback) -> None:
        """Write the summaries of closed segments with ``callback`` from now on (the spec's
        ``llm_callback``: OpenAI-style message dicts in, text out, sync or async)."""
        self._summarizer = llm_callback_summarizer(callback)

    async def load_session_chain(self) -> list[str]:
        """Read the conversation's segments from the store (after a restart, or another writer's
        segments); returns their ids, root first."""
        await self.refresh()
        self._chain = None
        return await self.get_session_chain()

    async def update_system_prompt(self, prompt: str) -> None:
        """Replace the system prompt; the change is appended to the session's log."""
        self._system_prompt = prompt
        session = await self._ensure()
        if session.metadata.properties.get(SYSTEM_PROMPT) != prompt:
            await session.metadata.set_property(SYSTEM_PROMPT, prompt)
            await session.save()
        (await self._current_view()).set_system(prompt_message(session, prompt))

    async def refresh(self) -> None:
        """Take in what other writers appended to the current segment since this manager last read
        or wrote it (O(new records)). Raises :class:`SessionNotFound` if it was deleted or expired."""
        if self._session is None:
            await self._ensure()  # opening reads everything anyway
            return
        added = await self._session.refresh()
        if added is None:
            raise SessionNotFound(self._session.id)
        self._took_in(added)

    # ---- forks and compaction (appended records; nothing is rewritten) -------------------------------

    async def fork(self, at: str | int | None = None, new_session_id: str | None = None) -> SessionManager:
        """A manager on a new fork of the current segment, sharing its history up to ``at`` (an event
        id or seq; default: everything so far) without copying it. See :mod:`sessionforge.storage.forks`."""
        session = await self._ensure()
        position: str | int | None = at
        if isinstance(at, str):
            origin = session.position_of(at)
            if origin is not None:  # known in memory: no scan of the log
                position = origin.seq if origin.session_id == session.id else at
        child = await fork_stored(session.id, at=position, store=session.store, new_session_id=new_session_id)
        return SessionManager(
            session_id=child, store=session.store, model=self.model, summarizer=self._summarizer
        )

    async def preview_compaction(
        self, target_tokens: int, compactor: Compactor | None = None
    ) -> CompactionPlan:
        """What :meth:`compact` would record and the messages the model would then see; writes nothing."""
        return await aplan_compaction(await self._current_view(), target_tokens, compactor)

    async def compact(self, target_tokens: int, compactor: Compactor | None = None) -> CompactionRecord:
        """Shrink the view to ``target_tokens`` by appending a ``COMPACTION`` record (truncation by
        default); the compacted events stay in the store and :meth:`undo_compaction` brings them back."""
        plan = await self.preview_compaction(target_tokens, compactor)
        await self._record_all(plan.events)
        log_applied(self.session_id, plan.record)
        return plan.record

    async def undo_compaction(self) -> CompactionRecord | None:
        """Append a record restoring the view from before the latest compaction in force."""
        record = plan_undo(await self._current_view())
        if record is not None:
            await self._record_all([record_event(record)])
            log_applied(self.session_id, record)
        return record

    # ---- reading ------------------------------------------------------------------------------------

    async def get_messages(self, include_system: bool = True) -> list[ChatMessage]:
        """The current segment as the model gets it, as messages (what :meth:`get_messages_for_llm`
        puts on the wire): system prompt first, compaction records applied."""
        view = await self._current_view()
        return view.messages() if include_system else view.dialogue()

    async def get_messages_for_llm(self, include_system: bool = True) -> list[dict[str, Any]]:
        """The current segment as provider-ready dicts (OpenAI chat shape), system prompt first.

        A recorded tool use becomes the assistant's tool call followed by the tool's result, so the
        list can be sent as is; a segment's opening summary is a system message; compaction records
        are applied (the store keeps everything).
        """
        messages = await self.get_messages(include_system)
        previous, kept = self._wire, {}
        out: list[dict[str, Any]] = []
        for message in messages:
            known = previous.get(id(message))
            if known is None or known[0] is not message:
                known = (message, message_to_wire(message))
            # Only flat dicts (text content, no tool calls) are kept: a copy of the top level is then
            # a copy of all of it, so a caller changing what it got changes nothing here.
            if isinstance(known[1].get("content"), str) and "tool_calls" not in known[1]:
                kept[id(message)] = known
            out.append(dict(known[1]))
        self._wire = kept  # what left the view (compacted, another segment) is let go
        return out

    async def get_conversation(self, include_all_segments: bool = False) -> list[dict[str, Any]]:
        """User and assistant messages as ``{"role", "content", "timestamp"}``, oldest first."""
        session = await self._ensure()
        sessions = [session]
        if include_all_segments:
            sessions = [*(await self._earlier_segments()), session]
        turns: list[dict[str, Any]] = []
        for segment in sessions:
            for event in segment.events:
                if event.type != EventType.MESSAGE or event.source == EventSource.SYSTEM:
                    continue
                messages = event_messages(event)
                turns.append(
                    {
                        "role": "user" if event.source == EventSource.USER else "assistant",
                        "content": messages[0].text if messages else "",
                        "timestamp": event.timestamp.isoformat(),
                    }
                )
        return turns

    async def get_session_chain(self) -> list[str]:
        """Ids of the sessions this conversation spans, root first, current segment last."""
        session = await self._ensure()
        if self._chain is None:
            chain = [session.id]
            parent = session.parent_id
            while parent is not None and parent not in chain:
                chain.insert(0, parent)
                parent = await self._parent_of(parent)
            self._chain = chain
        return list(self._chain)

    async def current_segment(self) -> Session:
        """The session the conversation is in now (the newest segment with infinite context)."""
        return await self._ensure()

    async def get_segments(self) -> list[Session]:
        """The sessions of this conversation, root first, current segment last (expired ones left out)."""
        session = await self._ensure()
        return [*(await self._earlier_segments()), session]

    async def get_stats(self, include_all_segments: bool = False) -> dict[str, Any]:
        """Counts, tokens and cost of the current segment, or of the whole chain."""
        session = await self._ensure()
        chain = await self.get_session_chain()
        tally, created = self._segment, session.metadata.created_at
        if include_all_segments and len(chain) > 1:
            # Closed segments are counted once (when closed here, or on first read after a restart).
            if self._started_at is None or any(sid not in self._closed for sid in chain[:-1]):
                earlier = await self._earlier_segments()
                if earlier:
                    self._started_at = earlier[0].metadata.created_at
            for session_id in chain[:-1]:
                if session_id in self._closed:
                    tally = tally + self._closed[session_id]
            created = self._started_at or created
        return {
            "session_id": session.id,
            "session_segments": len(chain) if include_all_segments or self.is_infinite else 1,
            "session_chain": chain,
            "total_messages": tally.user + tally.ai,
            "user_messages": tally.user,
            "ai_messages": tally.ai,
            "tool_calls": tally.tools,
            "total_events": tally.events,
            "total_tokens": tally.tokens,
            "estimated_cost": tally.cost,
            "created_at": created.isoformat(),
            "last_update": session.metadata.updated_at.isoformat(),
            "infinite_context": self.is_infinite,
        }

    # ---- internals ------------------------------------------------------------------------------------

    async def _ensure(self) -> Session:
        if self._session is not None:
            return self._session
        if self._opening is None:
            self._opening = asyncio.Lock()
        async with self._opening:
            if self._session is None:
                self._session = await self._open()
            return self._session

    async def _open(self) -> Session:
        if self._create_missing and not self._is_new:
            self._is_new = not await resolve_store(self._store).load(self._session_id, limit=1)
        if self._is_new:
            properties = dict(self._metadata)
            if self._system_prompt is not None:
                properties[SYSTEM_PROMPT] = self._system_prompt
            session = await Session.create(
                parent_id=self._parent_id,
                metadata=properties,
                session_id=self._session_id,
                store=self._store,
            )
        else:
            loaded = await Session.load(self._session_id, self._store)
            if loaded is None:
                raise SessionNotFound(self._session_id)
            session = loaded
            stored_prompt = session.metadata.properties.get(SYSTEM_PROMPT)
            if self._system_prompt is None:
                self._system_prompt = stored_prompt
            elif self._system_prompt != stored_prompt:
                await session.metadata.set_property(SYSTEM_PROMPT, self._system_prompt)
                await session.save()
            self._segment = _Tally.of(session, self._tool_tokens)
        if self._budget is not None:
            self._budget = self._budget.resumed(session.metadata.properties.get(BUDGET_PROPERTY))
        elif (stored := Budget.from_stored(session.metadata.properties.get(BUDGET_PROPERTY))) is not None:
            self._budget = stored
        return session

    def _text_tokens(self, event: SessionEvent) -> tuple[int, Accuracy]:
        """Tokens of a turn's text, counted on the message the view will hold (tokenized once)."""
        counter = counter_for_model(self.model)
        tokens = 0
        for message in event_messages(event):
            tokens += counter.count_message_text(message)
        return tokens, counter.accuracy

    def _tool_tokens(self, event: SessionEvent) -> int:
        return self._text_tokens(event)[0]

    async def _record(self, event: SessionEvent) -> None:
        await self._record_all([event])

    async def _record_all(self, events: list[SessionEvent], session: Session | None = None) -> None:
        """Append ``events`` to the current segment (``session``, when the caller has it) in one save,
        charging their usage to the budget."""
        if session is None:
            session = self._session if self._session is not None else await self._ensure()
        view = self._view_of(session)
        budget = self._budget
        if budget is not None:  # charged on a copy, kept only once the events are stored
            budget = budget.model_copy(deep=True)
            before = session.metadata.properties.get(BUDGET_PROPERTY)
            for event in events:
                usage = event_usage(event)
                if usage is not None:
                    budget.charge(usage)
                    session.metadata.properties[BUDGET_PROPERTY] = budget.totals()
        try:
            others = await session.append_and_save(events)
        except RecordFormatError:  # refused before anything was written: the session drops the event
            if budget is not None:
                session.metadata.properties[BUDGET_PROPERTY] = before
            raise
        self._budget = budget
        if others:  # other writers' events went in before ours: fold the segment again
            self._view = None
            self._took_in(others)
        else:
            view.extend(events)
        segment, measure = self._segment, self._tool_tokens
        for event in events:
            segment.add(event, measure)

    def _took_in(self, events: list[SessionEvent]) -> None:
        """Count events other writers appended, and show them in the view."""
        for event in events:
            self._segment.add(event, self._tool_tokens)
        if self._view is not None:
            self._view.extend(events)

    async def _current_view(self) -> ConversationView:
        """The current segment's view, folded once and then kept up to date as events arrive."""
        return self._view_of(self._session if self._session is not None else await self._ensure())

    def _view_of(self, session: Session) -> ConversationView:
        """:meth:`_current_view` of the open ``session``, without awaiting anything."""
        counter = counter_for_model(self.model)
        view = self._view
        if view is None:
            system = prompt_message(session, self._system_prompt)
            view = self._view = ConversationView(counter, session.events, system=system)
        else:
            view.use_counter(counter)
        return view

    async def _next_segment(self, session: Session, summarizer: Summarizer | None) -> Session:
        """Close the full segment and continue in its child (see :mod:`.context.segments`)."""
        child = await start_next_segment(
            session, summarizer=summarizer, strategy=self._strategy, model=self.model
        )
        await self._move_to(child, closing=session)
        return child

    async def _move_to(self, child: Session, *, closing: Session) -> None:
        """Make ``child`` the current segment; ``closing`` is kept only as counts."""
        chain = await self.get_session_chain()
        if len(chain) == 1:
            self._started_at = closing.metadata.created_at
        self._closed[closing.id] = self._segment
        self._segment = _Tally.of(child, self._tool_tokens)
        self._session = child
        self._view = None
        self._wire.clear()
        self._chain = [*chain, child.id]

    async def _follow_continuations(self, session: Session) -> Session:
        """Move to the newest segment if this one was closed elsewhere (or before a restart).

        A segment's successor has an id derived from it (:func:`next_segment_id`), so it is told
        apart from other children of the session (the spec's parent/child hierarchy).
        """
        while (successor := next_segment_id(session)) in session.child_ids:
            child = await Session.load(successor, self._current_store())
            if child is None:  # expired or deleted: stay where we are
                break
            await self._move_to(child, closing=session)
            session = child
        return session

    async def _earlier_segments(self) -> list[Session]:
        chain = await self.get_session_chain()
        out: list[Session] = []
        for session_id in chain[:-1]:
            segment = await Session.load(session_id, self._current_store())
            if segment is None:
                continue  # an expired or deleted ancestor: the chain reports what remains
            self._closed.setdefault(session_id, _Tally.of(segment, self._tool_tokens))
            out.append(segment)
        return out

    async def _parent_of(self, session_id: str) -> str | None:
        """A session's parent, read from its first record alone (no full load)."""
        records = await self._current_store().load(session_id, limit=1)
        if not records:
            return None
        body = records[0].record.get("message")
        if records[0].record.get("type") == EventType.SESSION_META.value and isinstance(body, dict):
            parent = body.get("parent_id")
            return str(parent) if parent else None
        return None

    def _current_store(self) -> Store:
        return resolve_store(self._session.store if self._session is not None else self._store)

    def __repr__(self) -> str:
        return f"SessionManager(session_id={self.session_id!r}, infinite_context={self.is_infinite})"
