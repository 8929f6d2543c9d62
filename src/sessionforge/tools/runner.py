"""Running tool calls under a policy: timeout, retries, cache. The one tool core both the agents'
tool loop and :class:`~sessionforge.tools.processor.SessionAwareToolProcessor` run on.

A :class:`ToolRunner` takes calls as the model sent them (name and arguments, JSON text or an object)
and returns one :class:`ToolCallResult` each; it never raises for a tool's failure. The registry binds
and validates the arguments and renders results (:mod:`.registry`); the runner adds:

* a per-attempt ``timeout``; ``async def`` tools run in the event loop and plain functions in a daemon
  thread each, so a blocking tool neither stalls the loop nor, if it never returns, keeps the
  interpreter from exiting (a thread cannot be killed: a timed-out sync tool is abandoned);
* retries of failed attempts (``max_retries``, waiting ``retry_delay`` seconds doubled after each
  retry, through ``tenacity``); ``retry_on`` narrows which exceptions are worth another attempt, while
  a timeout always is;
* with a cache, a call whose tool and canonical JSON arguments match an earlier success is answered
  from it, and identical calls in flight run the tool once. The cache keeps the ``cache_size`` most
  recently used results and only successes, so a failure is always retried on the next call.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import inspect
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic_core import to_jsonable_python
from tenacity import AsyncRetrying, RetryError, retry_if_exception, stop_after_attempt, wait_exponential

from ..core.events import render_tool_result
from ..errors import ToolProcessingError, UsageError
from .offload import DEFAULT_PREVIEW_CHARS, offload_notice
from .registry import Tool, ToolRegistry, decode_arguments
from .telemetry import tool_span

__all__ = ["PendingCall", "ToolCallResult", "ToolPolicy", "ToolRunner"]

log = logging.getLogger("sessionforge.tools")


@dataclass(frozen=True)
class PendingCall:
    """A tool call read from a reply: arguments as sent (JSON text, an object, or missing)."""

    call_id: str
    name: str
    arguments: Any


@dataclass(frozen=True)
class ToolCallResult:
    """The final outcome of one tool call, in the order the model asked for it.

    ``result`` is what the tool returned (``None`` on failure); ``error`` says why it failed.
    ``attempts`` counts the times the tool actually ran: 0 when it was served from the cache or
    rejected before running (unknown tool, bad arguments).
    """

    tool: str
    arguments: Any
    result: Any = None
    error: str | None = None
    call_id: str = ""
    cached: bool = False
    attempts: int = 0
    duration_ms: float = 0.0
    timed_out: bool = False
    retry_errors: tuple[str, ...] = ()
    offload_handle: str | None = None
    preview_chars: int = DEFAULT_PREVIEW_CHARS

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def is_error(self) -> bool:
        return self.error is not None

    @property
    def full_content(self) -> str:
        """The whole text of the result (or the error), offloaded or not."""
        if self.error is not None:
            return f"Error: {self.error}"
        return render_tool_result(self.result)

    @property
    def content(self) -> str:
        """The text a model reads for this call: a preview and a handle if it was offloaded."""
        if self.offload_handle is None:
            return self.full_content
        return offload_notice(
            self.tool, self.full_content, self.offload_handle, preview_chars=self.preview_chars
        )

    def to_message(self) -> dict[str, Any]:
        """This result as an OpenAI-style ``tool`` message answering the call."""
        return {"role": "tool", "tool_call_id": self.call_id, "name": self.tool, "content": self.content}


@dataclass(frozen=True)
class ToolPolicy:
    """How calls run: per-attempt ``timeout`` (seconds, ``None`` for none), ``max_retries`` after a
    failed attempt, ``retry_delay`` before the first retry (doubled after each), the exceptions
    ``retry_on``, and ``cache_size`` successful results kept (``None``: no cache)."""

    timeout: float | None = None
    max_retries: int = 0
    retry_delay: float = 1.0
    retry_on: tuple[type[BaseException], ...] = (Exception,)
    cache_size: int | None = None

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise UsageError("max_retries must be 0 or more")
        if self.retry_delay < 0:
            raise UsageError("retry_delay must be 0 or more")
        if self.timeout is not None and self.timeout <= 0:
            raise UsageError("timeout must be a positive number of seconds, or None for no limit")
        if self.cache_size is not None and self.cache_size < 1:
            raise UsageError("cache_size must be 1 or more (or None for no cache)")


@dataclass
class _Outcome:
    result: Any = None
    error: str | None = None
    attempts: int = 0
    timed_out: bool = False
    retry_errors: list[str] = field(default_factory=list)


def _in_daemon_thread(function: Callable[..., Any], kwargs: dict[str, Any], name: str) -> asyncio.Future[Any]:
    """Run a blocking tool in its own daemon thread; the future resolves in the calling loop.

    Not the loop's default executor: a tool that never returns would otherwise hold up
    ``asyncio.run``'s executor shutdown and the interpreter's exit.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()
    context = contextvars.copy_context()

    def settle(ok: bool, value: Any) -> None:
        if future.done():
            return
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)

    def target() -> None:
        try:
            outcome: tuple[bool, Any] = (True, context.run(function, **kwargs))
        except BaseException as exc:
            outcome = (False, exc)
        with contextlib.suppress(RuntimeError):  # the loop closed while the tool ran: nobody waits
            loop.call_soon_threadsafe(settle, *outcome)

    threading.Thread(target=target, name=f"sessionforge-tool-{name}", daemon=True).start()
    return future


async def _invoke(tool: Tool, kwargs: dict[str, Any]) -> Any:
    if tool.is_async:
        result = await tool.function(**kwargs)
    else:
        result = await _in_daemon_thread(tool.function, kwargs, tool.name)
    if inspect.isawaitable(result):
        result = await result
    return result


def _cache_key(name: str, arguments: Mapping[str, Any]) -> str:
    canonical = json.dumps(
        to_jsonable_python(arguments, fallback=str), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return f"{name}\x00{canonical}"


class _Failed(Exception):
    """One failed attempt, described as the model will read it."""

    def __init__(self, message: str, *, timed_out: bool, retry: bool) -> None:
        super().__init__(message)
        self.timed_out = timed_out
        self.retry = retry


class ToolRunner:
    """Runs tool calls of one registry under one :class:`ToolPolicy`."""

    def __init__(self, registry: ToolRegistry, policy: ToolPolicy | None = None) -> None:
        self.registry = registry
        self.policy = policy or ToolPolicy()
        self._cache: OrderedDict[str, Any] = OrderedDict()
        self._key_locks: dict[str, tuple[asyncio.Lock, int]] = {}
        self.sleep: Callable[[float], Awaitable[None]] = asyncio.sleep  # the wait between retries

    def clear_cache(self) -> None:
        self._cache.clear()

    async def run_all(self, calls: Sequence[PendingCall]) -> list[ToolCallResult]:
        """Run ``calls`` concurrently; results in call order."""
        return list(await asyncio.gather(*map(self.run, calls)))

    async def run(self, call: PendingCall) -> ToolCallResult:
        """Run one call: bind its arguments, then attempt it under the policy (or read the cache).

        Observed as an ``execute_tool`` span and a log record (:mod:`.telemetry`).
        """
        with tool_span(call) as observed:
            return observed.record(await self._run(call))

    async def _run(self, call: PendingCall) -> ToolCallResult:
        started = time.perf_counter()

        def finish(arguments: Any, outcome: _Outcome, cached: bool = False) -> ToolCallResult:
            return ToolCallResult(
                tool=call.name,
                arguments=arguments,
                result=outcome.result,
                error=outcome.error,
                call_id=call.call_id,
                cached=cached,
                attempts=outcome.attempts,
                duration_ms=round((time.perf_counter() - started) * 1000, 3),
                timed_out=outcome.timed_out,
                retry_errors=tuple(outcome.retry_errors),
            )

        try:
            arguments: Any = decode_arguments(call.name, call.arguments)
            tool, kwargs = self.registry.bind(call.name, arguments)
        except ToolProcessingError as exc:
            return finish(call.arguments if call.arguments is not None else {}, _Outcome(error=str(exc)))
        if self.policy.cache_size is None:
            return finish(arguments, await self._attempt(tool, kwargs))
        key = _cache_key(call.name, arguments)
        lock, users = self._key_locks.get(key, (asyncio.Lock(), 0))
        self._key_locks[key] = (lock, users + 1)
        try:
            async with lock:  # identical calls in flight wait for the first, then read the cache
                if key in self._cache:
                    self._cache.move_to_end(key)
                    return finish(arguments, _Outcome(result=self._cache[key]), cached=True)
                outcome = await self._attempt(tool, kwargs)
                if outcome.error is None:
                    self._cache[key] = outcome.result
                    while len(self._cache) > self.policy.cache_size:
                        self._cache.popitem(last=False)
        finally:  # a key's lock lives only while calls with that key are in flight
            lock, users = self._key_locks[key]
            if users == 1:
                del self._key_locks[key]
            else:
                self._key_locks[key] = (lock, users - 1)
        return finish(arguments, outcome)

    async def _attempt(self, tool: Tool, kwargs: dict[str, Any]) -> _Outcome:
        policy = self.policy
        outcome = _Outcome()

        async def once() -> Any:
            outcome.attempts += 1
            try:
                return await asyncio.wait_for(_invoke(tool, kwargs), policy.timeout)
            except TimeoutError as exc:
                raise _Failed(
                    f"tool {tool.name!r} timed out after {policy.timeout:g}s", timed_out=True, retry=True
                ) from exc
            except Exception as exc:
                raise _Failed(
                    f"tool {tool.name!r} failed: {type(exc).__name__}: {exc}",
                    timed_out=False,
                    retry=isinstance(exc, policy.retry_on),
                ) from exc

        async def before_sleep(state: Any) -> None:
            failure = state.outcome.exception()
            outcome.retry_errors.append(str(failure))
            log.info("retrying tool %r after: %s", tool.name, failure)

        retrying = AsyncRetrying(
            stop=stop_after_attempt(policy.max_retries + 1),
            wait=wait_exponential(multiplier=policy.retry_delay, min=0, max=float("inf")),
            retry=retry_if_exception(lambda exc: isinstance(exc, _Failed) and exc.retry),
            before_sleep=before_sleep,
            sleep=lambda seconds: self.sleep(seconds),
            reraise=True,
        )
        try:
            outcome.result = await retrying(once)
        except _Failed as failure:
            outcome.timed_out = failure.timed_out
            outcome.error = str(failure)
            if outcome.attempts > 1:
                outcome.error = f"{outcome.error} (gave up after {outcome.attempts} attempts)"
        except RetryError as exc:  # pragma: no cover - reraise=True re-raises the last failure
            outcome.error = str(exc)
        return outcome
