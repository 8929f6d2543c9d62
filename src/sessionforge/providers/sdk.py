"""The "which client" half of an adapter built on an official SDK, written once.

OpenAI's and Anthropic's Python SDKs share a shape: a sync and an async client with ``post`` that
takes a path, a JSON body and a stream class, with the SDK's own auth, retries and timeouts. What
differs per provider is only the wire format (``body``, ``parse``, a stream assembler) and how the
SDK's exceptions map to ours; subclasses supply those, this class does the I/O.

The body is already exact wire JSON, so it is posted as it is: the SDK's typed ``create`` would
re-validate the whole history on every call, a cost that grows with the conversation.

Written once here too: request options split into body fields and the SDK's per-request options
(:mod:`.options`); a reply without reported usage counted with our tokenizer and labelled estimated
(:mod:`.pricing`); and a stream that breaks after it started reported as a broken stream, not as a
server that could not be reached.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import AbstractContextManager
from typing import Any, ClassVar, Protocol, cast

from ..errors import MissingAPIKeyError
from .base import ChatRequest, ChatResponse, StreamItem
from .options import split_sdk_options
from .pricing import PriceSetting, estimated_usage, is_local_url, resolve_price

__all__ = ["LOCAL_PLACEHOLDER_KEY", "SDKAdapter", "StreamAssembling"]

LOCAL_PLACEHOLDER_KEY = "sk-no-key-required"
"""The key sent to a self-hosted server when none is given."""


class StreamAssembling(Protocol):
    """Turns streamed events into text chunks and, at the end, the whole response."""

    def feed(self, event: Mapping[str, Any]) -> str | None: ...

    @property
    def usage_reported(self) -> bool: ...

    def result(self) -> ChatResponse: ...


class SDKAdapter(ABC):
    """Sync and async clients of one SDK, created lazily, closed only by their owner (us)."""

    path: ClassVar[str]

    def __init__(
        self,
        *,
        name: str,
        api_key: str | None,
        base_url: str | None,
        timeout: float | None,
        max_retries: int,
        api_key_env: str,
        base_url_env: str,
        default_api_key: str | None = None,
        default_base_url: str | None = None,
        price: PriceSetting | None = None,
        local: bool = False,
    ) -> None:
        self.name = name
        self.base_url = base_url or os.environ.get(base_url_env) or default_base_url
        # A server on this machine or a private network seldom checks keys (llama.cpp's and vLLM's
        # do not unless started with one), but the SDKs refuse to run without one.
        self.api_key = api_key or os.environ.get(api_key_env) or default_api_key
        if not self.api_key and is_local_url(self.base_url):
            self.api_key = LOCAL_PLACEHOLDER_KEY
        if not self.api_key:
            raise MissingAPIKeyError(
                f"no API key for {name}: pass api_key= or set the {api_key_env} environment variable",
                provider=name,
                env_var=api_key_env,
            )
        self.price = resolve_price(price, base_url=self.base_url, local=local)
        self.timeout = timeout
        self.max_retries = max_retries
        self._sync: Any = None
        self._async: Any = None

    # ---- what a provider supplies --------------------------------------------------------------

    @abstractmethod
    def _client_class(self, *, asynchronous: bool) -> type[Any]:
        """The SDK's client class (``OpenAI``/``AsyncOpenAI``, ``Anthropic``/``AsyncAnthropic``)."""

    @abstractmethod
    def _stream_class(self, *, asynchronous: bool) -> type[Any]:
        """The SDK's stream class for raw JSON events."""

    @abstractmethod
    def body(self, request: ChatRequest, options: Mapping[str, Any]) -> dict[str, Any]:
        """The request as the provider's wire JSON, with ``options`` (extra body fields) applied."""

    @abstractmethod
    def parse(self, raw: Mapping[str, Any]) -> ChatResponse:
        """A wire response as our ChatResponse."""

    @abstractmethod
    def assembler(self) -> StreamAssembling:
        """A fresh assembler for one streamed response."""

    @abstractmethod
    def errors(self, *, midstream: bool = False) -> AbstractContextManager[None]:
        """Translates the SDK's exceptions into ours (``raise ... from exc``); ``midstream`` once a
        streamed reply has started."""

    def stream_body(self, request: ChatRequest, options: Mapping[str, Any]) -> dict[str, Any]:
        return {**self.body(request, options), "stream": True}

    # ---- clients -------------------------------------------------------------------------------

    def _options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"api_key": self.api_key, "max_retries": self.max_retries}
        if self.base_url:
            options["base_url"] = self.base_url
        if self.timeout is not None:
            options["timeout"] = self.timeout
        return options

    @property
    def client(self) -> Any:
        if self._sync is None:
            self._sync = self._client_class(asynchronous=False)(**self._options())
        return self._sync

    @property
    def async_client(self) -> Any:
        if self._async is None:
            self._async = self._client_class(asynchronous=True)(**self._options())
        return self._async

    # ---- I/O -----------------------------------------------------------------------------------

    def _post(self, request: ChatRequest, *, stream: bool, asynchronous: bool = False) -> dict[str, Any]:
        """The arguments of the SDK's ``post`` for one request."""
        fields, sdk_options = split_sdk_options(request.options)
        body = self.stream_body(request, fields) if stream else self.body(request, fields)
        post: dict[str, Any] = {"cast_to": object, "body": body}
        if sdk_options:
            post["options"] = sdk_options
        if stream:
            post["stream"] = True
            post["stream_cls"] = self._stream_class(asynchronous=asynchronous)[object]
        return post

    def _finish(self, request: ChatRequest, raw: Any) -> ChatResponse:
        response = self.parse(cast(dict[str, Any], raw))
        if isinstance(raw, Mapping) and raw.get("usage"):
            return response
        return estimated_usage(request, response, price=self.price)

    def _finish_stream(self, request: ChatRequest, assembler: StreamAssembling) -> ChatResponse:
        response = assembler.result()
        return response if assembler.usage_reported else estimated_usage(request, response, price=self.price)

    def send(self, request: ChatRequest) -> ChatResponse:
        with self.errors():
            raw = self.client.post(self.path, **self._post(request, stream=False))
        return self._finish(request, raw)

    async def asend(self, request: ChatRequest) -> ChatResponse:
        with self.errors():
            raw = await self.async_client.post(
                self.path, **self._post(request, stream=False, asynchronous=True)
            )
        return self._finish(request, raw)

    def stream(self, request: ChatRequest) -> Iterator[StreamItem]:
        assembler = self.assembler()
        with self.errors():
            events = self.client.post(self.path, **self._post(request, stream=True))
        with events, self.errors(midstream=True):
            for event in events:
                text = assembler.feed(cast(dict[str, Any], event))
                if text:
                    yield text
        yield self._finish_stream(request, assembler)

    async def astream(self, request: ChatRequest) -> AsyncIterator[StreamItem]:
        assembler = self.assembler()
        with self.errors():
            events = await self.async_client.post(
                self.path, **self._post(request, stream=True, asynchronous=True)
            )
        async with events:
            with self.errors(midstream=True):
                async for event in events:
                    text = assembler.feed(cast(dict[str, Any], event))
                    if text:
                        yield text
        yield self._finish_stream(request, assembler)

    def close(self) -> None:
        if self._sync is not None:
            self._sync.close()
            self._sync = None

    async def aclose(self) -> None:
        if self._async is not None:
            await self._async.close()
            self._async = None
