"""forge_llm's ``ChatAgent``, over sessionforge's :class:`~sessionforge.faces.agent.ChatAgent`.

Requests, replies, the tool loop, retries and errors are sessionforge's; this class takes forge_llm's
arguments (a message, a list of messages, a :class:`ChatConfig`, ``auto_execute_tools``) and returns
its types. The underlying agent is made on the first call, so a missing key raises
``ProviderNotConfiguredError`` there, as in forge_llm; the key may also come from ``<PROVIDER>_API_KEY``.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from typing import Any, Generic, TypeVar

from sessionforge.compat._arguments import taking
from sessionforge.faces.agent import AsyncChatAgent as NativeAsyncAgent
from sessionforge.faces.agent import ChatAgent as NativeAgent
from sessionforge.faces.agent import TurnOptions
from sessionforge.faces.chat_session import ChatSession as NativeSession
from sessionforge.providers import DEFAULT_MODELS
from sessionforge.providers.base import ChatResponse as NativeResponse
from sessionforge.tools.registry import ToolRegistry as NativeRegistry

from ...domain.entities import (
    ChatChunk,
    ChatConfig,
    ChatMessage,
    ProviderConfig,
    ToolCall,
    ToolDefinition,
    ToolResult,
)
from ...domain.exceptions import InvalidMessageError, translating
from ...domain.value_objects import ChatResponse
from ..session import ChatSession
from ..tools import ToolRegistry

__all__ = ["ChatAgent", "ForgeAgentCore"]

Messages = str | list[ChatMessage] | None


@dataclass(frozen=True, slots=True)
class ChatCall:
    """The parameters of ``chat`` and ``stream_chat`` on both agents: forge_llm's signature, written once."""

    messages: Messages = None
    config: ChatConfig | None = None
    session: ChatSession | None = None
    auto_execute_tools: bool = True


chat_call = taking(ChatCall)
"""Decorates a method ``(self, call: ChatCall)`` into one called with ``ChatCall``'s parameters."""


A = TypeVar("A", NativeAgent, NativeAsyncAgent)


class ForgeAgentCore(Generic[A]):
    """What the sync and async agents share: configuration, tools, and setting up a call."""

    _native_class: type[A]

    def __init__(
        self,
        provider: str,
        api_key: str | None = None,
        model: str | None = None,
        tools: ToolRegistry | list[ToolDefinition] | None = None,
        **kwargs: Any,
    ) -> None:
        self._provider_name = provider
        self._model = model
        self._config = ProviderConfig(provider=provider, model=model, api_key=api_key, **kwargs)
        self._tools = tools
        self._native: A | None = None
        self._declared: tuple[list[ToolDefinition], NativeRegistry] | None = None

    @property
    def provider_name(self) -> str:
        return self._provider_name

    def get_tool_definitions(self) -> list[ToolDefinition]:
        if self._tools is None:
            return []
        if isinstance(self._tools, list):
            return list(self._tools)
        return self._tools.get_definitions()

    def execute_tool_calls(self, tool_calls: list[ToolCall]) -> list[ToolResult]:
        """Run tool calls with the agent's registry; each failure is an error result."""
        if self._tools is None:
            return [ToolResult(c.id, "No tools registered", is_error=True) for c in tool_calls]
        if isinstance(self._tools, list):
            return [
                ToolResult(c.id, "Cannot execute: tools is a list of definitions only", is_error=True)
                for c in tool_calls
            ]
        return [self._tools.execute(call) for call in tool_calls]

    # ---- a call --------------------------------------------------------------------------------------

    def _agent(self) -> A:
        """sessionforge's agent, made on first use (a missing key is reported here) and made again
        when the tools have changed since."""
        tools = self._native_tools()
        if self._native is None or self._native.tools is not tools:
            settings = {f.name: getattr(self._config, f.name) for f in fields(self._config)}
            self._native = self._native_class(
                provider=self._provider_name,
                model=self._model or DEFAULT_MODELS.get(self._provider_name),
                api_key=settings["api_key"],
                base_url=settings["base_url"],
                tools=tools,
                timeout=settings["timeout"],
                max_retries=settings["max_retries"],
            )
        return self._native

    def _native_tools(self) -> NativeRegistry | None:
        if self._tools is None:
            return None
        if isinstance(self._tools, list):
            if self._declared is None or self._declared[0] != self._tools:
                registry = NativeRegistry()
                for definition in self._tools:
                    registry.declare(definition.name, definition.description, definition.parameters)
                self._declared = (list(self._tools), registry)
            return self._declared[1]
        return self._tools.to_native()

    def _prepare(
        self, messages: Messages, config: ChatConfig | None, session: ChatSession | None
    ) -> tuple[A, NativeSession]:
        """The agent set for this call, and the session it talks in with ``messages`` added."""
        _validate(messages)
        agent = self._agent()
        config = config or ChatConfig()
        agent.model = config.model or self._model or DEFAULT_MODELS.get(self._provider_name) or agent.model
        agent.max_output_tokens = config.max_tokens
        agent.temperature = config.temperature
        target = session if session is not None else ChatSession()
        for message in [ChatMessage.user(messages)] if isinstance(messages, str) else list(messages or []):
            target.add_message(message)
        if not target.native.messages:
            raise InvalidMessageError("No messages to send")
        return agent, target.native

    @contextmanager
    def _call(self, call: ChatCall) -> Iterator[tuple[A, NativeSession, TurnOptions]]:
        """The agent, the session and the turn's options for one call, with sessionforge's errors
        raised as forge_llm's; a failed call leaves ``call.session`` as it was."""
        session = call.session
        with translating(timeout=self._config.timeout):
            mark = session.native.checkpoint() if session is not None else None
            try:
                agent, target = self._prepare(call.messages, call.config, session)
                executes = call.auto_execute_tools and isinstance(self._tools, ToolRegistry)
                yield agent, target, TurnOptions(auto_execute_tools=executes)
            except BaseException:
                if session is not None and mark is not None:
                    session.native.rollback(mark)
                raise

    def __repr__(self) -> str:
        return f"{type(self).__name__}(provider={self._provider_name!r}, model={self._model!r})"


def _validate(messages: Messages) -> None:
    if isinstance(messages, str) and not messages.strip():
        raise InvalidMessageError("Message cannot be empty")
    if isinstance(messages, list) and not messages:
        raise InvalidMessageError("Message list cannot be empty")


def final_chunk(response: NativeResponse) -> ChatChunk:
    """The closing chunk of a stream: why it stopped, its usage, and tool calls left to run."""
    mirror = ChatResponse.from_native(response)
    usage = response.usage
    return ChatChunk(
        content="",
        finish_reason=response.finish_reason,
        is_final=True,
        usage={
            "prompt_tokens": usage.prompt_tokens,
            "completion_tokens": usage.completion_tokens,
            "total_tokens": usage.total_tokens,
        },
        tool_calls=mirror.tool_calls,
    )


class ChatAgent(ForgeAgentCore[NativeAgent]):
    """Chats with one provider, blocking: ``chat`` and ``stream_chat``.

    Args:
        provider: ``"openai"``, ``"anthropic"``, ``"ollama"``, ``"openrouter"``, and sessionforge's
            ``"local"`` and ``"vllm"``.
        api_key: else ``<PROVIDER>_API_KEY`` from the environment.
        model: else the provider's default (``gpt-4o-mini`` for OpenAI).
        tools: a :class:`ToolRegistry` (run automatically) or tool definitions (offered only).
        **kwargs: ``base_url``, ``timeout``, ``max_retries``.
    """

    _native_class = NativeAgent

    @chat_call
    def chat(self, call: ChatCall) -> ChatResponse:
        """Send a message, a list of messages, or the session as it is, and return the reply.

        Tool calls are run and answered until the model replies in text, unless
        ``auto_execute_tools=False`` (or the tools are definitions only): then the reply with its
        ``tool_calls`` is returned. A failed call leaves ``session`` as it was.
        """
        with self._call(call) as (agent, target, options):
            response = agent.chat(None, target, **options)
        return ChatResponse.from_native(response)

    @chat_call
    def stream_chat(self, call: ChatCall) -> Generator[ChatChunk, None, None]:
        """Like :meth:`chat`, yielding the reply as :class:`ChatChunk` pieces; the last is final."""
        with self._call(call) as (agent, target, options):
            for text in agent.stream_chat(None, target, **options):
                yield ChatChunk(content=text)
        if agent.last_response is not None:
            yield final_chunk(agent.last_response)
