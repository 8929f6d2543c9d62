"""The "which client" half of an adapter built on an official SDK, written once.

OpenAI's and Anthropic's Python SDKs share a shape: a sync and an async client with ``post`` that
takes a path, a JSON body and a stream class, with the SDK's own auth, retries and timeouts, and
exceptions of the same names. What differs per provider is the SDK's name, its clients' names, the
environment variables and the wire format (:class:`WireFormat`: pure functions beside each adapter);
subclasses name those, this class does the I/O.

The body is already exact wire JSON, so it is posted as it is: the SDK's typed ``create`` would
re-validate the whole history on every call, a cost that grows with the conversation.

Written once here too: request options split into body fields and the SDK's per-request options
(:mod:`.options`); a reply without reported usage counted with our tokenizer and labelled estimated
(:mod:`.pricing`); and a stream that breaks after it started reported as a broken stream, not as a
server that could not be reached.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, TypedDict, Unpack, cast
from urllib.parse import urlsplit

from ..errors import ConfigurationError, MissingAPIKeyError
from ._errors import map_sdk_errors
from .base import ChatRequest, ChatResponse, StreamItem
from .options import split_sdk_options
from .pricing import PriceSetting, estimated_usage, is_local_url, resolve_price

__all__ = ["LOCAL_PLACEHOLDER_KEY", "ClientSettings", "SDKAdapter", "StreamAssembling", "WireFormat"]

LOCAL_PLACEHOLDER_KEY = "sk-no-key-required"
"""The key sent to a self-hosted server when none is given."""


class StreamAssembling(Protocol):
    """Turns streamed events into text chunks and, at the end, the whole response."""

    def feed(self, event: Mapping[str, Any]) -> str | None: ...

    @property
    def usage_reported(self) -> bool: ...

    def result(self) -> ChatResponse: ...


class ClientSettings(TypedDict, total=False):
    """How to reach a provider, as :func:`~sessionforge.providers.create_provider` and the agents
    take it: the key and base URL (else the environment's), the timeout and retries of each
    request (the SDK's own), and the price of its calls (:mod:`.pricing`)."""

    api_key: str | None
    base_url: str | None
    timeout: float | None
    max_retries: int
    price: PriceSetting | None


class AdapterSettings(ClientSettings, total=False):
    """Everything :class:`SDKAdapter` takes: the client settings, and where a preset finds its key
    and base URL (environment names, defaults), its name, and whether it runs on this machine."""

    name: str | None
    api_key_env: str | None
    base_url_env: str | None
    default_api_key: str | None
    default_base_url: str | None
    local: bool


@dataclass(frozen=True)
class WireFormat:
    """A provider's pure wire functions: ``to_wire(request, *, options, ...)`` for the request body,
    ``from_wire(raw, *, provider, price)`` for a reply, and ``assembler(*, provider, price)`` for one
    streamed reply."""

    to_wire: Callable[..., dict[str, Any]]
    from_wire: Callable[..., ChatResponse]
    assembler: Callable[..., StreamAssembling]


def _check_base_url(url: str, provider: str, source: str) -> None:
    """Refuse a base URL that names no server at once, rather than as a connection failure at the
    first call (``source``: the argument or environment variable it came from)."""
    try:
        parts = urlsplit(url)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        valid = False
    if not valid:
        raise ConfigurationError(
            f"{source} for {provider} must be an http:// or https:// URL with a host, got {url!r}"
        )


class SDKAdapter:
    """Sync and async clients of one SDK, created lazily, closed only by their owner (us)."""

    path: ClassVar[str]
    """The endpoint posted to."""
    sdk: ClassVar[str]
    """The SDK's module name, also the adapter's default name (``openai``, ``anthropic``)."""
    sdk_client: ClassVar[str]
    """The SDK's blocking client class (``OpenAI``); its async twin is ``Async`` + that name."""
    wire: ClassVar[WireFormat]

    def __init__(self, **settings: Unpack[AdapterSettings]) -> None:
        """The key and base URL come from the settings, else the environment variables
        ``api_key_env``/``base_url_env`` (by default the SDK's own), else the defaults given."""
        self.name = name = settings.get("name") or self.sdk
        # The SDKs' own variables: OPENAI_API_KEY, ANTHROPIC_BASE_URL, ...
        api_key_env = settings.get("api_key_env") or f"{self.sdk.upper()}_API_KEY"
        url_env = settings.get("base_url_env") or f"{self.sdk.upper()}_BASE_URL"
        self.base_url = (
            settings.get("base_url") or os.environ.get(url_env) or settings.get("default_base_url")
        )
        if self.base_url:
            _check_base_url(self.base_url, name, "base_url" if settings.get("base_url") else url_env)
        # A server on this machine or a private network seldom checks keys (llama.cpp's and vLLM's
        # do not unless started with one), but the SDKs refuse to run without one.
        self.api_key = (
            settings.get("api_key") or os.environ.get(api_key_env) or settings.get("default_api_key")
        )
        if not self.api_key and is_local_url(self.base_url):
            self.api_key = LOCAL_PLACEHOLDER_KEY
        if not self.api_key:
            raise MissingAPIKeyError(
                f"no API key for {name}: pass api_key= or set the {api_key_env} environment variable",
                provider=name,
                env_var=api_key_env,
            )
        self.price = resolve_price(
            settings.get("price"), base_url=self.base_url, local=settings.get("local", False)
        )
        self.timeout = settings.get("timeout")
        self.max_retries = settings.get("max_retries", 2)
        self._sync: Any = None
        self._async: Any = None

    # ---- the wire format and the SDK's classes, as the subclass names them --------------------

    def _client_class(self, *, asynchronous: bool) -> type[Any]:
        return cast(
            type[Any],
            getattr(
                importlib.import_module(self.sdk),
                f"Async{self.sdk_client}" if asynchronous else self.sdk_client,
            ),
        )

    def _stream_class(self, *, asynchronous: bool) -> type[Any]:
        """The SDK's stream class for raw JSON events."""
        stream = "AsyncStream" if asynchronous else "Stream"
        return cast(type[Any], getattr(importlib.import_module(self.sdk), stream))

    def wire_options(self) -> dict[str, Any]:
        """Keywords of ``to_wire`` beyond those every format takes."""
        return {}

    def body(self, request: ChatRequest, options: Mapping[str, Any]) -> dict[str, Any]:
        """The request as the provider's wire JSON, with ``options`` (extra body fields) applied."""
        return self.wire.to_wire(request, options=options, **self.wire_options())

    def parse(self, raw: Mapping[str, Any]) -> ChatResponse:
        """A wire response as our ChatResponse."""
        return self.wire.from_wire(raw, provider=self.name, price=self.price)

    def assembler(self) -> StreamAssembling:
        """A fresh assembler for one streamed response."""
        return self.wire.assembler(provider=self.name, price=self.price)

    def errors(self, *, midstream: bool = False) -> AbstractContextManager[None]:
        """Translates the SDK's exceptions into ours (``raise ... from exc``); ``midstream`` once a
        streamed reply has started."""
        return map_sdk_errors(self.sdk, self.name, midstream=midstream)

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
