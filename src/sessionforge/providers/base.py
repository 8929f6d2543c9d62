"""The provider contract and the tool-call turn written once.

A provider adapter does I/O only: it turns a :class:`~.types.ChatRequest` into a :class:`~.types.ChatResponse` with
``send`` (sync), ``asend`` (async), ``stream`` and ``astream`` (text chunks, then the final response).
How a wire format is spelled lives in pure ``to_wire``/``from_wire`` functions next to each adapter.

A turn with tools takes several model calls. Its logic is :func:`turn_flow`, a generator that yields
what it needs done (a :class:`ModelCall` or a :class:`ToolRun`) and receives the outcome, as httpx's
auth flows do. :func:`drive` and :func:`adrive` are the two short loops that perform those steps, one
blocking and one async, so the tool loop exists exactly once.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Generator, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, cast, runtime_checkable

from .._sync import run_sync
from ..core.events import USAGE_KEY
from ..core.messages import ChatMessage, ToolCall
from ..core.usage import TokenUsage
from ..errors import ToolProcessingError
from ..tools.offload import RECALL_SCHEMA, RECALL_TOOL, offload_message, recall
from ..tools.registry import ToolRegistry
from ..tools.runner import PendingCall, ToolCallResult, ToolRunner
from .options import without_forced_choice
from .telemetry import model_span
from .types import RAW_ARGUMENTS_KEY, ChatRequest, ChatResponse, FinishReason, StreamItem

__all__ = [
    "RAW_ARGUMENTS_KEY",
    "USAGE_KEY",
    "ChatRequest",
    "ChatResponse",
    "Conversation",
    "FinishReason",
    "ModelCall",
    "Provider",
    "StreamItem",
    "ToolRun",
    "adrive",
    "drive",
    "turn_flow",
]


T = TypeVar("T")


@runtime_checkable
class Provider(Protocol):
    """One model service, as the agents see it.

    Implementations keep I/O here and the wire mapping in pure functions beside them. The contract:

    * every method takes a :class:`ChatRequest` (neutral messages and tool schemas) and yields or
      returns a :class:`ChatResponse` whose ``usage`` is what the provider reported;
    * every failure is raised as a :class:`~sessionforge.errors.ProviderError` subclass, chained
      to the client's own exception; retries of transient failures happen before that, inside the
      client, so a caller never needs a retry loop of its own;
    * ``stream``/``astream`` yield ``str`` chunks as they arrive and then exactly one
      :class:`ChatResponse`, the same one ``send`` would have returned;
    * a provider holds no conversation state: the session is sent whole on every call.
    """

    name: str
    """The name replies and errors carry: ``openai``, ``anthropic``, ``local``, a preset name."""

    def send(self, request: ChatRequest) -> ChatResponse:
        """Make one call and wait for the whole reply."""
        ...

    async def asend(self, request: ChatRequest) -> ChatResponse:
        """The async twin of :meth:`send`."""
        ...

    def stream(self, request: ChatRequest) -> Iterator[StreamItem]:
        """Make one call, yielding text chunks, then the assembled :class:`ChatResponse`."""
        ...

    def astream(self, request: ChatRequest) -> AsyncIterator[StreamItem]:
        """The async twin of :meth:`stream`."""
        ...

    def close(self) -> None:
        """Release the blocking client's connections."""
        ...

    async def aclose(self) -> None:
        """Release the async client's connections."""
        ...


# ---- the turn, written once ----------------------------------------------------------------------


class Conversation(Protocol):
    """What a turn needs of a session: read the view, append a message (``ChatSession`` fits)."""

    @property
    def messages(self) -> list[ChatMessage]: ...

    def add_message(self, message: ChatMessage, *, enforce: bool = True) -> None: ...


class ToolOutcome(Protocol):
    """What a turn needs of a tool call's result: the text for the model, and whether it failed."""

    @property
    def content(self) -> str: ...

    @property
    def is_error(self) -> bool: ...


@dataclass(frozen=True)
class ModelCall:
    """Step: call the model with this request; send back the :class:`ChatResponse`."""

    request: ChatRequest


@dataclass(frozen=True)
class ToolRun:
    """Step: run these tool calls; send back one :class:`ToolOutcome` per call, in order."""

    calls: list[ToolCall]


Step = ModelCall | ToolRun
Flow = Generator[Step, Any, ChatResponse]


def tool_arguments(call: ToolCall) -> str | dict[str, Any]:
    """The arguments to hand a registry: the raw text when the model sent something not JSON."""
    raw = call.arguments.get(RAW_ARGUMENTS_KEY)
    return raw if isinstance(raw, str) else call.arguments


def turn_flow(
    session: Conversation,
    *,
    model: str,
    tools: ToolRegistry | None,
    max_tool_iterations: int,
    max_tokens: int | None = None,
    temperature: float | None = None,
    before_call: Callable[[ChatRequest], None] | None = None,
    after_call: Callable[[ChatResponse], None] | None = None,
    offload_over_tokens: int | None = None,
    count_tokens: Callable[[str], int] | None = None,
    before_request: Callable[[], None] | None = None,
    execute_tools: bool = True,
    request_options: Mapping[str, Any] | None = None,
) -> Flow:
    """One turn: call the model, run the tools it asks for, call again, until it answers in text.

    Every message of the turn (tool calls, tool results, the reply) is appended to ``session`` with
    ``enforce=False``: it was already paid for. Raises :class:`ToolProcessingError` when the model is
    still calling tools after ``max_tool_iterations`` rounds.

    ``before_call`` sees each request before it is yielded (a budget raises there, so a refused call
    sends nothing); ``after_call`` sees each reply (a budget adds its usage). With
    ``offload_over_tokens``, a tool result longer than that (counted by ``count_tokens``) enters the
    session as a preview and a handle (:mod:`sessionforge.tools.offload`), and the turn answers the
    model's ``recall_tool_output`` calls itself from the session's history.

    ``before_request`` runs before each request is built from the session (an agent makes room for
    the reply there). With ``execute_tools=False`` the tools are offered to the model but not run: a
    reply that calls them ends the turn, its tool calls for the caller to handle.

    ``request_options`` go into every request (:mod:`sessionforge.providers.options`); a
    ``tool_choice`` that forces a tool is sent on the first call only, so the model can answer once
    the tool has run.
    """
    options = dict(request_options or {})
    schemas = tools.schemas() if tools is not None else []
    offloading = tools is not None and offload_over_tokens is not None
    if offloading:
        schemas.append(RECALL_SCHEMA)
    total: TokenUsage | None = None
    rounds = 0
    while True:
        if before_request is not None:
            before_request()
        request = ChatRequest(
            model=model,
            messages=session.messages,
            tools=schemas,
            max_tokens=max_tokens,
            temperature=temperature,
            options=options if rounds == 0 else without_forced_choice(options),
        )
        if before_call is not None:
            before_call(request)
        response: ChatResponse = yield ModelCall(request)
        if after_call is not None:
            after_call(response)
        total = response.usage if total is None else total + response.usage
        reply = response.message
        reply = reply.model_copy(
            update={"metadata": {**reply.metadata, USAGE_KEY: response.usage.model_dump(mode="json")}}
        )
        session.add_message(reply, enforce=False)
        if not response.tool_calls or tools is None or not execute_tools:
            return response.model_copy(update={"usage": total, "message": reply})
        if rounds >= max_tool_iterations:
            raise ToolProcessingError(
                f"the model was still calling tools after {max_tool_iterations} rounds; "
                "raise max_tool_iterations or make the tools' results more conclusive"
            )
        rounds += 1
        calls = response.tool_calls
        recalls = {i for i, c in enumerate(calls) if offloading and c.name == RECALL_TOOL}
        to_run = [c for i, c in enumerate(calls) if i not in recalls]
        ran: list[ToolOutcome] = (yield ToolRun(to_run)) if to_run else []
        answers = iter(ran)
        for index, call in enumerate(calls):
            result = recall(_offload_sources(session), call.arguments) if index in recalls else next(answers)
            metadata = {"is_error": True} if result.is_error else {}
            measure = offloading and index not in recalls and count_tokens is not None
            tokens = count_tokens(result.content) if measure and count_tokens is not None else 0
            if offload_over_tokens is not None and tokens > offload_over_tokens:
                tool_message = offload_message(call, result.content, tokens=tokens, metadata=metadata)
            else:
                tool_message = ChatMessage.tool(result.content, call.id, name=call.name, metadata=metadata)
            session.add_message(tool_message, enforce=False)


def _offload_sources(session: Conversation) -> list[ChatMessage]:
    """Where offloaded outputs can be found: every message ever added (compaction may have dropped
    the tool message from the view, never from the history), or the view for a plain conversation."""
    history = getattr(session, "history", None)
    return history if isinstance(history, list) else session.messages


def pending_calls(step: ToolRun) -> list[PendingCall]:
    """A tool run's calls as the runner takes them (arguments the model sent as text stay text)."""
    return [PendingCall(c.id, c.name, tool_arguments(c)) for c in step.calls]


def drive(flow: Flow, provider: Provider, tools: ToolRunner | None, *, stream: bool) -> Iterator[StreamItem]:
    """Perform a flow's steps with blocking I/O; yields text chunks (when streaming), then the response.

    The loop is :func:`adrive`'s, waiting by blocking: each of its awaits wraps a blocking call
    (the provider's ``send``/``stream``, the tools run by :func:`~sessionforge._sync.run_sync`) and
    finishes at once, so the loop is stepped without an event loop of its own.
    """

    async def send(request: ChatRequest) -> ChatResponse:
        return provider.send(request)

    async def items(request: ChatRequest) -> AsyncIterator[StreamItem]:
        for item in provider.stream(request):
            yield item

    async def run_tools(calls: list[PendingCall]) -> list[ToolCallResult]:
        assert tools is not None  # the flow asks for tool runs only when it has tools
        return run_sync(tools.run_all(calls))

    return _stepped(_perform(flow, provider.name, send, items, run_tools, stream=stream))


def adrive(
    flow: Flow, provider: Provider, tools: ToolRunner | None, *, stream: bool
) -> AsyncIterator[StreamItem]:
    """The async twin of :func:`drive`."""

    async def run_tools(calls: list[PendingCall]) -> list[ToolCallResult]:
        assert tools is not None  # the flow asks for tool runs only when it has tools
        return await tools.run_all(calls)

    return _perform(flow, provider.name, provider.asend, provider.astream, run_tools, stream=stream)


async def _perform(
    flow: Flow,
    name: str,
    send: Callable[[ChatRequest], Awaitable[ChatResponse]],
    items: Callable[[ChatRequest], AsyncIterator[StreamItem]],
    run_tools: Callable[[list[PendingCall]], Awaitable[list[ToolCallResult]]],
    *,
    stream: bool,
) -> AsyncGenerator[StreamItem, None]:
    """The one driver loop: a model call for each :class:`ModelCall` (``send``, or ``items`` when
    streaming, whose text it yields), ``run_tools`` for each :class:`ToolRun`, then the response."""
    outcome: Any = None
    while True:
        try:
            step = flow.send(outcome)
        except StopIteration as done:
            yield done.value
            return
        if isinstance(step, ToolRun):
            outcome = await run_tools(pending_calls(step))
            continue
        with model_span(name, step.request) as observed:
            if stream:
                async for item in items(step.request):
                    if isinstance(item, str):
                        yield item
                    else:
                        outcome = item
            else:
                outcome = await send(step.request)
            observed.record(outcome)


def _stepped(loop: AsyncGenerator[T, None]) -> Iterator[T]:
    """Iterate an async generator whose awaits all finish at once, with no event loop; closed with
    the iterator (a stream abandoned half way closes the provider's stream too)."""
    try:
        while True:
            try:
                item = _at_once(loop.__anext__())
            except StopAsyncIteration:
                return
            yield item
    finally:
        _at_once(loop.aclose())


def _at_once(awaitable: Awaitable[T]) -> T:
    """The result of an awaitable that finishes without suspending."""
    steps = awaitable.__await__()
    try:
        steps.send(None)
    except StopIteration as done:
        return cast(T, done.value)
    steps.close()
    raise RuntimeError("a blocking driver's step waited on an event loop")
