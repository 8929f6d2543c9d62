"""``SessionAwareToolProcessor``: run the tool calls of a model reply and record them in a session.

The processor sits between a model reply and a :class:`~sessionforge.tools.registry.ToolRegistry`:

* it reads the tool calls out of whatever the caller has: an OpenAI message (``{"tool_calls": [...]}``,
  a full completion with ``choices``, or the SDK's objects), Anthropic ``tool_use`` content blocks, or
  a list of our :class:`~sessionforge.core.messages.ToolCall`;
* it runs the calls **concurrently**, each under its own ``timeout``; ``async def`` tools run in the
  event loop and plain functions in a daemon thread each, so a blocking tool neither stalls the loop
  nor, if it never returns, keeps the interpreter from exiting (a thread cannot be killed: a timed-out
  sync tool is abandoned, not stopped);
* a failed attempt (an exception or a timeout) is retried up to ``max_retries`` times, waiting
  ``retry_delay`` seconds, doubled after each retry; ``retry_on`` narrows which exceptions are worth
  another attempt (a ``ValueError`` from bad arguments will fail the same way three times);
* with ``enable_caching`` a call whose tool name and canonical JSON arguments match an earlier
  successful call of this processor is answered from the cache; identical calls in flight at the same
  time run the tool once. The cache keeps the ``cache_size`` most recently used results, so a
  long-lived processor does not grow without bound;
* with ``offload_over_chars`` a result longer than that reaches the model as a preview and a handle
  (:mod:`.offload`), while its ``TOOL_CALL`` event keeps it whole; the model reads it back with
  ``recall_tool_output`` (:data:`~sessionforge.tools.offload.RECALL_SCHEMA`, to list among the
  tools sent to the model), which the processor answers itself from the session's events;
* every call becomes one ``TOOL_CALL`` event with the same message shape
  :meth:`SessionManager.tool_used <sessionforge.faces.manager.SessionManager.tool_used>` writes
  (``tool``, ``arguments``, ``result``, ``error``, ``call_id``) and the story of the call in the event's
  metadata: ``attempts``, ``retries``, ``retry_errors``, ``cached``, ``timed_out``, ``duration_ms``.
  One event per call (not per attempt) keeps ``get_stats()["tool_calls"]`` equal to the number of calls
  the model made; the events of one reply are appended in call order in a single store write.

A tool's failure never escapes as an exception: an unknown tool, arguments that are not JSON or do
not fit the tool's schema, a tool that raises and a tool that hangs each come back as a result with
``error`` set, and are recorded as such, so the caller can hand the error to the model.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from typing import Any, TypedDict, Unpack

from pydantic import BaseModel

from ..core.events import EventType, render_tool_result, tool_call_event
from ..core.messages import ChatMessage, ToolCall
from ..errors import SessionAlreadyExists, ToolProcessingError, UsageError
from ..storage.base import Store
from ..storage.session import Session
from .offload import DEFAULT_PREVIEW_CHARS, RECALL_TOOL, new_handle, recall_from
from .registry import ToolRegistry, decode_arguments
from .runner import PendingCall, ToolCallResult, ToolPolicy, ToolRunner

__all__ = [
    "LLMCallback",
    "ProcessorOptions",
    "SessionAwareToolProcessor",
    "ToolCallResult",
    "parse_tool_calls",
]

LLMCallback = Callable[[list[dict[str, Any]]], Any]
"""Called with the results as OpenAI-style ``tool`` messages; may be sync or async."""


# ---- reading tool calls ---------------------------------------------------------------------------


def _new_call_id() -> str:
    return f"call_{uuid.uuid4().hex[:12]}"


def _plain(value: Any) -> Any:
    """An SDK object (pydantic) as plain dicts and lists; anything else unchanged."""
    if isinstance(value, BaseModel) and not isinstance(value, (ToolCall, ChatMessage)):
        return value.model_dump()
    return value


def _one_call(item: Any) -> PendingCall | None:
    """One tool call in any supported shape, or ``None`` for a block that is not a tool call."""
    if isinstance(item, ToolCall):
        return PendingCall(item.id, item.name, dict(item.arguments))
    item = _plain(item)
    if not isinstance(item, Mapping):
        raise ToolProcessingError(f"cannot read a tool call from {type(item).__name__!r}")
    kind = item.get("type")
    if kind == "tool_use":  # Anthropic content block
        return PendingCall(
            str(item.get("id") or _new_call_id()), str(item.get("name") or ""), item.get("input")
        )
    if kind is not None and kind not in ("function", "function_call"):
        return None  # text, thinking and other non-call blocks
    function = item.get("function")
    if isinstance(function, Mapping):  # OpenAI chat completions
        call_id = item.get("id")
        return PendingCall(
            str(call_id or _new_call_id()), str(function.get("name") or ""), function.get("arguments")
        )
    if "name" in item:  # OpenAI Responses ``function_call`` item, or a bare {"name", "arguments"}
        call_id = item.get("call_id") or item.get("id")
        return PendingCall(
            str(call_id or _new_call_id()), str(item["name"]), item.get("arguments", item.get("input"))
        )
    raise ToolProcessingError(f"cannot read a tool call from {dict(item)!r}")


def parse_tool_calls(llm_response: Any) -> list[tuple[str, str, Any]]:
    """The ``(call_id, name, arguments)`` of each tool call in a model reply, in order.

    Accepts an OpenAI message or completion (dicts or the SDK's objects), an Anthropic message or its
    content blocks, a :class:`ChatMessage`, a list of :class:`ToolCall`, or a single call. A reply
    without tool calls gives an empty list; something that is not a reply raises
    :class:`ToolProcessingError`.
    """
    return [(c.call_id, c.name, c.arguments) for c in _read_calls(llm_response)]


def _read_calls(reply: Any) -> list[PendingCall]:
    if reply is None:
        return []
    if isinstance(reply, ChatMessage):
        return [PendingCall(c.id, c.name, dict(c.arguments)) for c in reply.tool_calls]
    if isinstance(reply, ToolCall):
        return [PendingCall(reply.id, reply.name, dict(reply.arguments))]
    reply = _plain(reply)
    if isinstance(reply, Sequence) and not isinstance(reply, (str, bytes)):
        return [call for item in reply if (call := _one_call(item)) is not None]
    if not isinstance(reply, Mapping):
        raise ToolProcessingError(
            f"cannot read tool calls from {type(reply).__name__!r}: pass a model reply "
            "(OpenAI or Anthropic, dict or SDK object) or a list of ToolCall"
        )
    choices = reply.get("choices")
    if isinstance(choices, Sequence) and choices:  # a whole completion: its first choice
        first = _plain(choices[0])
        return _read_calls(first.get("message") if isinstance(first, Mapping) else first)
    if reply.get("tool_calls"):
        return _read_calls(reply["tool_calls"])
    content = reply.get("content")
    if isinstance(content, Sequence) and not isinstance(content, str):
        return _read_calls(content)
    if reply.get("type") in ("tool_use", "function", "function_call") or "function" in reply:
        call = _one_call(reply)
        return [call] if call is not None else []
    return []


class ProcessorOptions(TypedDict, total=False):
    """The keywords of :class:`SessionAwareToolProcessor` that chuk-ai-session-manager's
    ``create`` does not have (see the constructor for what each does)."""

    retry_on: tuple[type[BaseException], ...]
    cache_size: int
    offload_over_chars: int | None
    preview_chars: int


class SessionAwareToolProcessor:
    """Run a model's tool calls with timeouts, retries and a cache, and log each call to a session.

    Build one with :meth:`create`. The cache lives as long as the processor and holds successful
    results only (the ``cache_size`` most recently used), so a failure is always retried on the next
    identical call.
    """

    def __init__(
        self,
        session: Session,
        registry: ToolRegistry | None = None,
        *,
        enable_caching: bool = True,
        max_retries: int = 2,
        retry_delay: float = 1.0,
        timeout: float | None = 30.0,
        retry_on: tuple[type[BaseException], ...] = (Exception,),
        cache_size: int = 1024,
        offload_over_chars: int | None = None,
        preview_chars: int = DEFAULT_PREVIEW_CHARS,
    ) -> None:
        if offload_over_chars is not None and offload_over_chars < 1:
            raise UsageError("offload_over_chars must be 1 or more, or None to send results whole")
        if cache_size < 1:
            raise UsageError("cache_size must be 1 or more (use enable_caching=False for no cache)")
        policy = ToolPolicy(
            timeout=timeout,
            max_retries=max_retries,
            retry_delay=retry_delay,
            retry_on=retry_on,
            cache_size=cache_size if enable_caching else None,
        )
        if registry is None:
            from .sample_tools import default_registry

            registry = default_registry()
        self.session = session
        self.runner = ToolRunner(registry, policy)
        self.offload_over_chars = offload_over_chars
        self.preview_chars = preview_chars
        self._record_lock = asyncio.Lock()

    @property
    def registry(self) -> ToolRegistry:
        return self.runner.registry

    @property
    def policy(self) -> ToolPolicy:
        """Timeout, retries and cache of every call (see :class:`~sessionforge.tools.runner.ToolPolicy`)."""
        return self.runner.policy

    @property
    def _sleep(self) -> Callable[[float], Awaitable[None]]:
        return self.runner.sleep

    @_sleep.setter
    def _sleep(self, sleep: Callable[[float], Awaitable[None]]) -> None:
        self.runner.sleep = sleep

    @classmethod
    async def create(
        cls,
        session_id: str,
        registry: ToolRegistry | None = None,
        enable_caching: bool = True,
        max_retries: int = 2,
        retry_delay: float = 1.0,
        timeout: float | None = 30.0,  # noqa: ASYNC109 - each tool call's limit, not this call's
        store: Store | None = None,
        **options: Unpack[ProcessorOptions],
    ) -> SessionAwareToolProcessor:
        """A processor that logs to session ``session_id``, creating that session if it does not exist.

        Creating a missing session (rather than raising :class:`SessionNotFound`) lets a processor be
        the first thing to touch a conversation, as the spec's example does with ``"session-123"``.
        Without a ``registry`` the demo tools of :mod:`sessionforge.sample_tools` are used. The
        arguments are chuk-ai-session-manager's, in its order; ``options`` are the constructor's others.
        """
        session = await Session.load(session_id, store)
        if session is None:
            try:
                session = await Session.create(session_id=session_id, store=store)
            except SessionAlreadyExists:  # another writer created it first
                session = await Session.load(session_id, store)
                if session is None:
                    raise
        return cls(
            session,
            registry,
            enable_caching=enable_caching,
            max_retries=max_retries,
            retry_delay=retry_delay,
            timeout=timeout,
            **options,
        )

    @property
    def session_id(self) -> str:
        return self.session.id

    def clear_cache(self) -> None:
        self.runner.clear_cache()

    async def process_llm_message(
        self, llm_response: Any, llm_callback: LLMCallback | None = None
    ) -> list[ToolCallResult]:
        """Run every tool call of ``llm_response`` and return the results in call order.

        The calls run concurrently; their events are appended to the session once all have finished.
        ``llm_callback``, if given, is then called (and awaited if it returns an awaitable) with the
        results as ``tool`` messages, ready to send back to the model; its return value is not used.
        """
        calls = _read_calls(llm_response)
        if not calls:
            return []
        results = [self._maybe_offload(r) for r in await asyncio.gather(*map(self._run, calls))]
        await self._record(results)
        if llm_callback is not None:
            reply = llm_callback([r.to_message() for r in results])
            if inspect.isawaitable(reply):
                await reply
        return results

    async def run_tool(self, name: str, arguments: Mapping[str, Any] | str | None = None) -> ToolCallResult:
        """Run and record a single call, as if the model had asked for it."""
        return (await self.process_llm_message([{"name": name, "arguments": arguments}]))[0]

    # ---- one call ---------------------------------------------------------------------------------

    async def _run(self, call: PendingCall) -> ToolCallResult:
        if call.name == RECALL_TOOL and self.offload_over_chars is not None:
            return self._recall(call)
        return await self.runner.run(call)

    def _recall(self, call: PendingCall) -> ToolCallResult:
        """Answer ``recall_tool_output`` from the session's events (the tool exists only while
        offloading is on, so it is not in the registry)."""
        try:
            arguments = decode_arguments(call.name, call.arguments)
        except ToolProcessingError as exc:
            return ToolCallResult(call.name, call.arguments, error=str(exc), call_id=call.call_id)
        answer = recall_from(self._offloaded(), arguments)
        if answer.is_error:
            error = answer.content.removeprefix("Error: ")
            return ToolCallResult(call.name, arguments, error=error, call_id=call.call_id)
        return ToolCallResult(call.name, arguments, result=answer.content, call_id=call.call_id, attempts=1)

    # ---- offloading --------------------------------------------------------------------------------

    def _maybe_offload(self, result: ToolCallResult) -> ToolCallResult:
        limit = self.offload_over_chars
        if limit is None or not result.ok or result.tool == RECALL_TOOL:
            return result
        if len(result.full_content) <= limit:
            return result
        return dataclasses.replace(result, offload_handle=new_handle(), preview_chars=self.preview_chars)

    def _offloaded(self) -> Iterator[tuple[str, str]]:
        """``(handle, whole text)`` of every offloaded result in the session, newest first."""
        for event in reversed(self.session.events):
            handle = event.metadata.get("offload_handle") if event.type == EventType.TOOL_CALL else None
            if isinstance(handle, str) and isinstance(event.message, dict):
                yield handle, render_tool_result(event.message.get("result"))

    # ---- recording --------------------------------------------------------------------------------

    async def _record(self, results: list[ToolCallResult]) -> None:
        async with self._record_lock:  # one reply's events stay together, in call order
            for r in results:
                self.session.append_event(
                    tool_call_event(
                        r.tool,
                        r.arguments,
                        r.result,
                        error=r.error,
                        call_id=r.call_id,
                        content=r.content if r.offload_handle else None,
                        metadata={
                            "processor": type(self).__name__,
                            "attempts": r.attempts,
                            "retries": max(r.attempts - 1, 0),
                            "retry_errors": list(r.retry_errors),
                            "cached": r.cached,
                            "timed_out": r.timed_out,
                            "duration_ms": r.duration_ms,
                            **({"offload_handle": r.offload_handle} if r.offload_handle else {}),
                        },
                    )
                )
            await self.session.save()
