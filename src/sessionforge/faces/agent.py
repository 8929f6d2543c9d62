"""``ChatAgent`` and ``AsyncChatAgent``: a model, its tools, and the sessions it talks in.

The two classes share every decision through :func:`~sessionforge.providers.base.turn_flow`; each
adds only the loop that performs I/O its way. A turn is all or nothing for the session: on any failure
(a provider error, a tool loop that never ends, a stream abandoned half way) the session is rolled
back to exactly what it was, so the caller can retry the same call.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict
from types import TracebackType
from typing import Any, Self, TypedDict, Unpack

from ..core.messages import ChatMessage
from ..errors import UsageError
from ..providers import DEFAULT_MODELS, PriceSetting, create_provider
from ..providers.base import ChatRequest, ChatResponse, Flow, Provider, adrive, drive, turn_flow
from ..providers.options import merge_options
from ..providers.pricing import price_of
from ..tools.offload import RECALL_SCHEMA, RECALL_TOOL
from ..tools.registry import ToolRegistry, ToolSchema
from ..tools.runner import ToolPolicy, ToolRunner
from .chat_session import ChatSession, SessionCheckpoint

__all__ = ["AsyncChatAgent", "ChatAgent", "TurnOptions"]


class TurnOptions(TypedDict, total=False):
    """The keywords of a turn (``chat`` and ``stream_chat`` of both agents)."""

    request_options: Mapping[str, Any] | None
    """Fields for this turn's requests, winning key by key over the agent's ``request_options``."""
    auto_execute_tools: bool
    """``False``: a reply that calls tools is returned as it is, its calls for the caller to run
    (default ``True``)."""


class _AgentCore:
    """Configuration and the turn set-up both twins share."""

    def __init__(
        self,
        provider: str | Provider = "openai",
        model: str | None = None,
        api_key: str | None = None,
        base_url: str | None = None,
        tools: ToolRegistry | None = None,
        max_tool_iterations: int = 10,
        timeout: float | None = 60.0,
        max_retries: int = 2,
        *,
        max_output_tokens: int | None = None,
        temperature: float | None = None,
        offload_over_tokens: int | None = None,
        tool_policy: ToolPolicy | None = None,
        request_options: Mapping[str, Any] | None = None,
        price: PriceSetting | None = None,
    ) -> None:
        if isinstance(provider, str):
            self.provider: Provider = create_provider(
                provider,
                api_key=api_key,
                base_url=base_url,
                timeout=timeout,
                max_retries=max_retries,
                price=price,
            )
        elif price is not None:
            raise UsageError(
                "price= applies to a provider named by string; give a Provider object its own price"
            )
        else:
            self.provider = provider
        resolved = model or DEFAULT_MODELS.get(self.provider.name)
        if not resolved:
            raise UsageError(f"provider {self.provider.name!r} needs a model name: pass model=")
        if max_tool_iterations < 0:
            raise UsageError(f"max_tool_iterations must be 0 or more, got {max_tool_iterations}")
        if offload_over_tokens is not None and offload_over_tokens <= 0:
            raise UsageError(
                f"offload_over_tokens must be a positive number of tokens, got {offload_over_tokens}"
            )
        if offload_over_tokens is not None and tools is not None and RECALL_TOOL in tools:
            raise UsageError(f"with offload_over_tokens the agent provides {RECALL_TOOL!r}: rename your tool")
        self.model: str = resolved
        self.tools = tools
        self.runner = ToolRunner(tools, tool_policy) if tools is not None else None
        self.max_tool_iterations = max_tool_iterations
        self.max_output_tokens = max_output_tokens
        self.temperature = temperature
        self.offload_over_tokens = offload_over_tokens
        self.request_options = merge_options(request_options)
        self.last_response: ChatResponse | None = None

    def _begin(
        self,
        message: str | ChatMessage | None,
        session: ChatSession,
        request_options: Mapping[str, Any] | None = None,
        *,
        execute_tools: bool = True,
    ) -> Flow:
        """Count with this agent's model, add the user's message (budget applies), start the flow.

        Before every model call of the turn the session makes room for the reply's
        ``max_output_tokens``, so a request never asks for more than the session may hold.
        """
        session.use_model(self.model)
        if message is None:
            session.ensure_within_limit()
        else:
            session.add_message(message if isinstance(message, ChatMessage) else ChatMessage.user(message))
        if not session.messages:
            raise UsageError("nothing to send: pass a message, or a session that has messages")
        before, after = self._budget_hooks(session)
        return turn_flow(
            session,
            model=self.model,
            tools=self.tools,
            max_tool_iterations=self.max_tool_iterations,
            max_tokens=self.max_output_tokens,
            temperature=self.temperature,
            before_call=before,
            after_call=after,
            offload_over_tokens=self.offload_over_tokens,
            count_tokens=session.counter.count_text,
            request_options=merge_options(self.request_options, request_options),
            before_request=lambda: session.make_room(self.max_output_tokens or 0),
            execute_tools=execute_tools,
        )

    @contextmanager
    def _turn(
        self, message: str | ChatMessage | None, session: ChatSession | None, options: TurnOptions
    ) -> Iterator[Flow]:
        """The turn's flow over ``session`` (a fresh one without it); on any failure, including a
        stream abandoned half way, the session is rolled back to what it was."""
        session = session if session is not None else ChatSession()
        mark: SessionCheckpoint = session.checkpoint()
        try:
            flow = self._begin(
                message,
                session,
                options.get("request_options"),
                execute_tools=options.get("auto_execute_tools", True),
            )
            yield self._settled(flow, session)
        except BaseException:
            session.rollback(mark)
            raise

    def _settled(self, flow: Flow, session: ChatSession) -> Flow:
        """``flow``, settling the session and keeping the response once the turn is over."""
        response = yield from flow
        session.settle()
        self.last_response = response
        return response

    def _budget_hooks(
        self, session: ChatSession
    ) -> tuple[Callable[[ChatRequest], None] | None, Callable[[ChatResponse], None] | None]:
        """Check each call of the turn against the session's budget before it is sent, and charge
        its reported usage after. The messages' count is the session's running total (exact for
        OpenAI models), so a check costs the same at any conversation length; tool schemas are
        counted once per turn as their JSON text, close to how providers bill them."""
        budget = session.budget
        if budget is None:
            return None, None
        tool_tokens = sum(session.counter.count_text(json.dumps(asdict(s))) for s in self._schemas())
        own = price_of(self.provider)
        price = own.cost if own is not None else None

        def before(request: ChatRequest) -> None:
            budget.check(
                session.estimate_tokens() + tool_tokens,
                model=self.model,
                provider=self.provider.name,
                max_output_tokens=self.max_output_tokens,
                session_id=session.session_id,
                price=price,
            )

        def after(response: ChatResponse) -> None:
            budget.charge(response.usage)

        return before, after

    def _schemas(self) -> list[ToolSchema]:
        if self.tools is None:
            return []
        return [*self.tools.schemas(), *([RECALL_SCHEMA] if self.offload_over_tokens is not None else [])]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(provider={self.provider.name!r}, model={self.model!r})"


def _final(items: Iterable[str | ChatResponse]) -> ChatResponse:
    """The response a turn ends with (a turn that does not stream yields nothing else)."""
    *_, response = items
    assert isinstance(response, ChatResponse)
    return response


class ChatAgent(_AgentCore):
    """Talks to one model, blocking. Pass ``session=`` to keep a conversation; without one, each call
    is a one-off conversation.

    Args:
        provider: ``"openai"``, ``"anthropic"``, ``"local"`` (the embedded model), ``"ollama"``,
            ``"openrouter"``, ``"vllm"``, or a :class:`~sessionforge.providers.base.Provider`.
        model: the model name (each built-in provider has a default).
        api_key, base_url: override ``*_API_KEY``/``*_BASE_URL`` from the environment.
        tools: the tools the model may call; the agent runs them and calls the model again.
        max_tool_iterations: rounds of tool calls allowed in one turn.
        timeout, max_retries: per request; retries (429, 5xx, timeouts) are the SDK's own.
        max_output_tokens: the reply's limit; also the output bound a session budget checks with.
        offload_over_tokens: a tool result longer than this enters the session as a preview and a
            handle, and the model gets a ``recall_tool_output`` tool to read the rest in slices
            (:mod:`sessionforge.tools.offload`).
        tool_policy: timeout, retries and cache for the tools' calls
            (:class:`~sessionforge.tools.runner.ToolPolicy`; by default none of them, as a plain
            function call would be). Calls of one reply run concurrently.
        request_options: fields for every request (``tool_choice``, ``temperature``, ``top_p``,
            ``seed``, ``extra_body``, ...; see :mod:`sessionforge.providers.options`); ``chat`` and
            ``stream_chat`` take a ``request_options=`` of their own that wins key by key.
        price: what the model's calls cost, for a model the registry should not price by name
            (:mod:`sessionforge.providers.pricing`): self-hosted servers and the embedded model cost
            0 unless it is given.

    A session with a :class:`~sessionforge.core.budget.Budget` has every model call checked before it is
    sent and its reported usage added after; a refused call raises ``BudgetExceededError`` and leaves
    the session as it was (usage of calls already made in the turn stays charged: it was spent).
    """

    def chat(
        self,
        message: str | ChatMessage | None = None,
        session: ChatSession | None = None,
        **options: Unpack[TurnOptions],
    ) -> ChatResponse:
        """Send ``message`` (or the session as it is) and return the reply, tool calls resolved."""
        with self._turn(message, session, options) as flow:
            return _final(drive(flow, self.provider, self.runner, stream=False))

    def stream_chat(
        self,
        message: str | ChatMessage | None = None,
        session: ChatSession | None = None,
        **options: Unpack[TurnOptions],
    ) -> Iterator[str]:
        """Like :meth:`chat`, yielding the reply's text as it arrives; the session ends the same.

        The assembled reply is in :attr:`last_response` once the iterator is exhausted.
        """
        with self._turn(message, session, options) as flow:
            for item in drive(flow, self.provider, self.runner, stream=True):
                if isinstance(item, str):
                    yield item

    def close(self) -> None:
        """Close the HTTP client."""
        self.provider.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncChatAgent(_AgentCore):
    """The async twin of :class:`ChatAgent`: same arguments, same verbs, awaited."""

    async def chat(
        self,
        message: str | ChatMessage | None = None,
        session: ChatSession | None = None,
        **options: Unpack[TurnOptions],
    ) -> ChatResponse:
        """The async twin of :meth:`ChatAgent.chat`."""
        with self._turn(message, session, options) as flow:
            return _final([item async for item in adrive(flow, self.provider, self.runner, stream=False)])

    async def stream_chat(
        self,
        message: str | ChatMessage | None = None,
        session: ChatSession | None = None,
        **options: Unpack[TurnOptions],
    ) -> AsyncIterator[str]:
        """The async twin of :meth:`ChatAgent.stream_chat`."""
        with self._turn(message, session, options) as flow:
            async for item in adrive(flow, self.provider, self.runner, stream=True):
                if isinstance(item, str):
                    yield item

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self.provider.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
