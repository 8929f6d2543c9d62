"""What a model call costs: the registry's price, a price the caller gives, or nothing at all.

A model served from the price registry's cloud (OpenAI, Anthropic, OpenRouter) is priced by its
name, as the registry lists it. A model that runs on the user's own machine or servers is not: a
name such as ``deepseek-r1:7b`` or ``gpt-4o-mini`` on a llama.cpp server says nothing of what it
costs, so local and self-hosted models (the embedded model, the ``ollama``/``llamacpp``/``vllm``/
``lmstudio`` presets, any base URL on this machine or a private network) cost 0 unless a price is
given. A gateway on localhost that forwards to a cloud API is the exception the caller names with
``price="registry"``.

The setting is, in order: the ``price=`` argument, then the ``SESSIONFORGE_PRICE`` environment
variable (``registry``, ``free``, or ``INPUT/OUTPUT`` in USD per million tokens), then the rule above.

When a server reports no usage (a stream of llama.cpp's server, for one), the call is counted with
our tokenizer, prompt and reply, and labelled ``estimated``: a budget is charged that estimate
rather than nothing.
"""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple
from urllib.parse import urlsplit

from ..core.messages import ToolCall
from ..core.tokens import counter_for_model
from ..core.usage import TokenUsage
from ..errors import ConfigurationError
from .base import ChatRequest, ChatResponse, FinishReason

__all__ = [
    "FREE",
    "PRICE_ENV",
    "Price",
    "PriceSetting",
    "WireReply",
    "estimated_usage",
    "is_local_url",
    "price_of",
    "priced_reply",
    "resolve_price",
    "usage_of",
]

PRICE_ENV = "SESSIONFORGE_PRICE"


@dataclass(frozen=True)
class Price:
    """USD per million tokens, prompt and completion, for a model the registry should not price."""

    input_per_mtok: float
    output_per_mtok: float

    def __post_init__(self) -> None:
        if self.input_per_mtok < 0 or self.output_per_mtok < 0:
            raise ConfigurationError(f"a price cannot be negative: {self}")

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (prompt_tokens * self.input_per_mtok + completion_tokens * self.output_per_mtok) / 1_000_000


FREE = Price(0.0, 0.0)
"""The price of a model running on the user's own hardware."""

PriceSetting = Price | tuple[float, float] | Literal["registry", "free"]
"""What ``price=`` accepts: a :class:`Price`, ``(input, output)`` USD per million tokens, ``"free"``,
or ``"registry"`` (price by model name from the registry, for a local gateway to a cloud API)."""


def _parse(setting: PriceSetting | str, source: str) -> Price | None:
    if isinstance(setting, Price):
        return setting
    if isinstance(setting, tuple):
        if len(setting) != 2:
            raise ConfigurationError(f"{source} must be (input, output) USD per million tokens")
        return Price(float(setting[0]), float(setting[1]))
    text = setting.strip().lower()
    if text == "registry":
        return None
    if text in ("free", "0"):
        return FREE
    parts = text.split("/")
    try:
        if len(parts) == 2:
            return Price(float(parts[0]), float(parts[1]))
    except ValueError:
        pass
    raise ConfigurationError(
        f"{source} is {setting!r}; use 'registry', 'free', or INPUT/OUTPUT in USD per million tokens "
        "(for example 0.15/0.60)"
    )


def is_local_url(base_url: str | None) -> bool:
    """Whether a base URL points at this machine or a private network (a self-hosted server)."""
    if not base_url:
        return False
    host = (urlsplit(base_url if "//" in base_url else f"//{base_url}").hostname or "").lower()
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_link_local or address.is_unspecified


def resolve_price(setting: PriceSetting | None, *, base_url: str | None, local: bool = False) -> Price | None:
    """The price an adapter charges with; ``None`` means "the registry, by model name".

    ``local`` is true for presets of self-hosted servers and the embedded model.
    """
    if setting is not None:
        return _parse(setting, "price=")
    from_env = os.environ.get(PRICE_ENV)
    if from_env:
        return _parse(from_env, PRICE_ENV)
    return FREE if local or is_local_url(base_url) else None


def price_of(provider: object) -> Price | None:
    """A provider's own price, if it has one (the agents' budget checks use it before a call)."""
    price = getattr(provider, "price", None)
    return price if isinstance(price, Price) else None


def usage_of(
    prompt: int,
    completion: int,
    *,
    model: str,
    provider: str,
    price: Price | None = None,
    accuracy: Literal["exact", "estimated"] = "exact",
) -> TokenUsage:
    """Tokens of one call, priced with ``price`` or, when it is ``None``, from the registry."""
    if price is None:
        return TokenUsage.of(prompt, completion, model=model, provider=provider, accuracy=accuracy)
    return TokenUsage(
        prompt_tokens=prompt,
        completion_tokens=completion,
        model=model,
        provider=provider,
        estimated_cost_usd=price.cost(prompt, completion),
        accuracy=accuracy,
    )


class WireReply(NamedTuple):
    """What a response body says, as a wire format's ``from_wire`` reads it."""

    content: str
    tool_calls: list[ToolCall]
    tokens: tuple[int, int]
    """Prompt and completion tokens, as reported."""
    finish_reason: FinishReason


def priced_reply(
    raw: Mapping[str, Any], reply: WireReply, *, provider: str, price: Price | None
) -> ChatResponse:
    """The response for a body ``raw`` that says ``reply``: the model it names, its tokens priced as
    :func:`usage_of` does, the body kept as ``raw``."""
    model = str(raw.get("model") or "")
    return ChatResponse(
        content=reply.content,
        tool_calls=reply.tool_calls,
        usage=usage_of(*reply.tokens, model=model, provider=provider, price=price),
        model=model,
        provider=provider,
        finish_reason=reply.finish_reason,
        raw=dict(raw),
    )


def estimated_usage(request: ChatRequest, response: ChatResponse, *, price: Price | None) -> ChatResponse:
    """``response`` with its usage counted by our tokenizer: the request's messages as the prompt,
    the reply's text and tool calls as the completion, labelled ``estimated``."""
    counter = counter_for_model(request.model)
    reply: list[Any] = [response.content]
    reply += [json.dumps({"name": c.name, "arguments": c.arguments}) for c in response.tool_calls]
    usage = usage_of(
        counter.count_messages(request.messages),
        counter.count_text("".join(reply)) if any(reply) else 0,
        model=response.model or request.model,
        provider=response.provider,
        price=price,
        accuracy="estimated",
    )
    return response.model_copy(update={"usage": usage})
