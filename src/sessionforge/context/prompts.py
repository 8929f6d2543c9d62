"""Prompt building from a session's events, and fitting any prompt into a token limit.

:func:`build_prompt_from_session` turns a session-manager ``Session`` (anything with ``.events``,
``.parent_id`` and ``.id``) into provider-ready OpenAI-style message dicts, picking what to include by
:class:`PromptStrategy`. :func:`truncate_prompt_to_token_limit` makes a list of message dicts fit a
limit. Both count with :func:`~sessionforge.core.tokens.counter_for_model` (exact for OpenAI models)
and both keep a tool call together with its results: they use the same units and the same
drop-oldest rule as the compactors in :mod:`.compactors`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from enum import StrEnum
from typing import Any

from ..core.events import EventType, SessionEvent
from ..core.messages import ChatMessage
from ..core.projection import event_messages
from ..core.tokens import DEFAULT_TOKEN_MODEL, TokenCounter, counter_for_model
from ..core.units import Unit, split_units
from ..errors import ContextOverflowError
from ..providers.openai import message_from_wire, message_to_wire
from ..storage.session import Session
from ._text import TRUNCATION_MARK, fit_message, with_content
from .compactors import drop_oldest_units, flatten_units

__all__ = [
    "ParentLoader",
    "PromptStrategy",
    "build_prompt_from_session",
    "truncate_prompt_to_token_limit",
]

ParentLoader = Callable[[str], Awaitable[Any | None]]
"""Loads a session by id (``None`` if it does not exist); used for the parent's context."""


class PromptStrategy(StrEnum):
    """What a prompt built from a session includes (the session-manager spec's five strategies)."""

    MINIMAL = "minimal"
    """The task (first user message) and the latest assistant turn with its tool results."""
    TASK_FOCUSED = "task_focused"
    """The task, the latest user message, and the session's summaries."""
    TOOL_FOCUSED = "tool_focused"
    """The task, the latest user message, and the recent tool calls, each with its results."""
    CONVERSATION = "conversation"
    """The summaries and the last ``max_history`` turns."""
    HIERARCHICAL = "hierarchical"
    """``CONVERSATION`` plus the parent session's summary or, without one, its task and outcome."""

    @classmethod
    def _missing_(cls, value: object) -> PromptStrategy | None:
        # chuk-ai-session-manager spells two of the values "task" and "tool".
        return {"task": cls.TASK_FOCUSED, "tool": cls.TOOL_FOCUSED}.get(str(value).lower())


# ---- events -> messages ----------------------------------------------------------------------------


def _dialogue(events: Sequence[SessionEvent]) -> tuple[list[ChatMessage], list[ChatMessage]]:
    """``(summaries, messages)``: summary events apart, every other event as the model sees it."""
    summaries: list[ChatMessage] = []
    messages: list[ChatMessage] = []
    for event in events:
        target = summaries if event.type == EventType.SUMMARY else messages
        target.extend(event_messages(event))
    return summaries, messages


def _first_user(messages: Sequence[ChatMessage]) -> ChatMessage | None:
    return next((m for m in messages if m.role == "user"), None)


def _last_user(messages: Sequence[ChatMessage]) -> ChatMessage | None:
    return next((m for m in reversed(messages) if m.role == "user"), None)


def _is_tool_unit(unit: Unit) -> bool:
    return any(m.tool_calls for m in unit.messages) or unit.messages[0].role == "tool"


def _select(
    strategy: PromptStrategy,
    summaries: list[ChatMessage],
    messages: list[ChatMessage],
    counter: TokenCounter,
    max_history: int,
) -> list[ChatMessage]:
    system = [m for m in messages if m.role == "system"]
    dialogue = [m for m in messages if m.role != "system"]
    units = split_units(dialogue, counter)
    task = _first_user(dialogue)
    latest = _last_user(dialogue)
    chosen: list[ChatMessage]
    if strategy == PromptStrategy.MINIMAL:
        last_reply = next((u for u in reversed(units) if u.messages[0].role == "assistant"), None)
        chosen = [m for m in (task,) if m is not None]
        if last_reply is not None and last_reply.messages[0] is not task:
            chosen += last_reply.messages
        return system + chosen
    if strategy == PromptStrategy.TASK_FOCUSED:
        chosen = [m for m in (task, latest) if m is not None]
        return system + summaries + _dedupe(chosen)
    if strategy == PromptStrategy.TOOL_FOCUSED:
        tools = [u for u in units if _is_tool_unit(u)][-max_history:] if max_history > 0 else []
        picked = {id(m) for u in tools for m in u.messages}
        picked.update(id(m) for m in (task, latest) if m is not None)
        return system + [m for m in dialogue if id(m) in picked]
    recent = units[-max_history:] if max_history > 0 else []
    return system + summaries + flatten_units(recent)


def _dedupe(messages: list[ChatMessage]) -> list[ChatMessage]:
    seen: set[int] = set()
    out = []
    for message in messages:
        if id(message) not in seen:
            seen.add(id(message))
            out.append(message)
    return out


async def _default_parent_loader(session_id: str) -> Any | None:
    return await Session.load(session_id)


async def _parent_context(session: Any, loader: ParentLoader | None) -> list[ChatMessage]:
    parent_id = getattr(session, "parent_id", None)
    if not parent_id:
        return []
    parent = await (loader or _default_parent_loader)(parent_id)
    if parent is None:
        return []
    summaries, messages = _dialogue(list(getattr(parent, "events", [])))
    if summaries:
        body = "\n".join(m.text for m in summaries)
    else:
        task = _first_user(messages)
        reply = next((m for m in reversed(messages) if m.role == "assistant" and m.text), None)
        lines = [f"Task: {task.text}" if task else "", f"Outcome: {reply.text}" if reply else ""]
        body = "\n".join(line for line in lines if line)
    if not body:
        return []
    return [ChatMessage.system(f"Context from the parent session {parent_id}:\n{body}")]


async def build_prompt_from_session(
    session: Any,
    strategy: PromptStrategy | str = PromptStrategy.CONVERSATION,
    max_tokens: int | None = None,
    model: str = DEFAULT_TOKEN_MODEL,
    include_parent_context: bool = False,
    max_history: int = 5,
    *,
    parent_loader: ParentLoader | None = None,
) -> list[dict[str, Any]]:
    """The messages to send a model for ``session``, as OpenAI-style dicts.

    Args:
        session: a session-manager ``Session``: only ``.events`` and ``.parent_id`` are read.
        strategy: what to include, see :class:`PromptStrategy`.
        max_tokens: when set, the prompt is fitted with :func:`truncate_prompt_to_token_limit`'s
            rule, counted with ``model``'s tokenizer; the result never exceeds it.
        include_parent_context: add the parent session's summary (implied by ``HIERARCHICAL``).
        max_history: how many recent turns (``CONVERSATION``) or tool uses (``TOOL_FOCUSED``) to
            include; a tool call and its results count as one.
        parent_loader: loads the parent session; default: the configured ``ChukSessionsStore``, and
            no parent context when storage is unavailable.

    Tool calls come out as an assistant message with ``tool_calls`` followed by the ``tool`` messages
    that answer them, as providers require.
    """
    strategy = PromptStrategy(strategy)
    counter = counter_for_model(model)
    summaries, messages = _dialogue(list(getattr(session, "events", [])))
    prompt = _select(strategy, summaries, messages, counter, max_history)
    if include_parent_context or strategy == PromptStrategy.HIERARCHICAL:
        parent = await _parent_context(session, parent_loader)
        at = next((i for i, m in enumerate(prompt) if m.role != "system"), len(prompt))
        prompt = [*prompt[:at], *parent, *prompt[at:]]
    if max_tokens is not None:
        prompt = fit_messages(prompt, max_tokens, counter)
    return [message_to_wire(m) for m in prompt]


# ---- fitting ---------------------------------------------------------------------------------------


def fit_messages(
    messages: Sequence[ChatMessage], max_tokens: int, counter: TokenCounter
) -> list[ChatMessage]:
    """Fit ``messages`` into ``max_tokens``: drop oldest units, then cut the largest pinned text.

    The system messages, the newest user message and the newest message are pinned. When they alone
    are too large, the largest of them is shortened (and marked ``[truncated]``), then the next, until
    the prompt fits; :class:`ContextOverflowError` only when even their fixed costs cannot fit.
    """
    units = split_units(messages, counter)
    if units:
        units[-1].pinned = True
    try:
        kept, _, _ = drop_oldest_units(units, max_tokens, counter)
        return flatten_units(kept)
    except ContextOverflowError:
        pinned = flatten_units([u for u in units if u.pinned])
    total = counter.count_messages(pinned)
    for index in sorted(range(len(pinned)), key=lambda i: -counter.count_message(pinned[i])):
        if total <= max_tokens:
            break
        message = pinned[index]
        room = max_tokens - (total - counter.count_message(message))
        if not message.text:
            continue
        # Too little room even for an empty text: cut it to the mark and let the next one give more.
        fitted = fit_message(message, room, counter) or with_content(
            message, TRUNCATION_MARK, truncated_from_tokens=counter.count_text(message.text)
        )
        if counter.count_message(fitted) >= counter.count_message(message):
            continue
        total += counter.count_message(fitted) - counter.count_message(message)
        pinned[index] = fitted
    if total > max_tokens:
        raise ContextOverflowError(
            f"cannot fit the prompt into {max_tokens} tokens: the system message and the newest "
            f"message need {total} tokens even with their text cut. Raise max_tokens.",
            limit=max_tokens,
            needed=total,
        )
    return pinned


async def truncate_prompt_to_token_limit(
    prompt: Sequence[dict[str, Any]] | str, max_tokens: int, model: str = DEFAULT_TOKEN_MODEL
) -> list[dict[str, Any]]:
    """``prompt`` fitted into ``max_tokens`` tokens as counted for ``model``.

    Keeps the system message(s), the newest user message and the newest message; drops the oldest
    other messages first, a tool call always together with its results; as a last resort shortens the
    text of the largest kept message. Messages kept unchanged are returned as the very dicts given. A
    string prompt is treated as one user message. Raises :class:`ContextOverflowError` only when the
    fixed per-message costs alone pass the limit.
    """
    dicts: list[dict[str, Any]] = (
        [{"role": "user", "content": prompt}] if isinstance(prompt, str) else list(prompt)
    )
    messages = [message_from_wire(d) for d in dicts]
    origin = {id(m): d for m, d in zip(messages, dicts, strict=True)}
    fitted = fit_messages(messages, max_tokens, counter_for_model(model))
    return [origin.get(id(m)) or message_to_wire(m) for m in fitted]
