"""Who pays for a call, how a reply without usage is counted, and what request options may carry."""

from __future__ import annotations

import pytest

from sessionforge import ChatAgent, ChatSession, ToolRegistry
from sessionforge.core.budget import Budget
from sessionforge.core.messages import ChatMessage, ToolCall
from sessionforge.core.tokens import counter_for_model
from sessionforge.core.usage import TokenUsage
from sessionforge.errors import BudgetExceededError, ConfigurationError, UsageError
from sessionforge.providers import create_provider
from sessionforge.providers.base import ChatRequest, ChatResponse, ModelCall, ToolRun, turn_flow
from sessionforge.providers.openai import StreamAssembler, from_wire
from sessionforge.providers.options import merge_options, split_sdk_options, without_forced_choice
from sessionforge.providers.pricing import (
    FREE,
    PRICE_ENV,
    Price,
    estimated_usage,
    is_local_url,
    price_of,
    resolve_price,
)
from sessionforge.tools.registry import ToolResult

REPLY = {
    "model": "gpt-4o-mini",
    "choices": [{"message": {"role": "assistant", "content": "Hello there"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 1000, "completion_tokens": 500},
}


# ---- 3. self-hosted models cost 0 unless a price is given ----------------------------------------


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("http://localhost:11434/v1", True),
        ("http://127.0.0.1:8080/v1", True),
        ("http://[::1]:8000/v1", True),
        ("http://0.0.0.0:8000/v1", True),
        ("http://192.168.1.20:8000/v1", True),
        ("http://10.0.0.7/v1", True),
        ("http://gpu.local:1234/v1", True),
        ("https://api.openai.com/v1", False),
        ("https://openrouter.ai/api/v1", False),
        ("https://8.8.8.8/v1", False),
        (None, False),
    ],
)
def test_which_base_urls_are_self_hosted(url: str | None, local: bool) -> None:
    assert is_local_url(url) is local
    assert (resolve_price(None, base_url=url) == FREE) is local


@pytest.mark.parametrize(
    ("provider", "base_url", "free"),
    [
        ("ollama", None, True),
        ("llamacpp", None, True),
        ("lmstudio", None, True),
        ("vllm", None, True),
        ("vllm", "https://vllm.example.com/v1", True),  # the preset names a self-hosted server
        ("openai", "http://localhost:8000/v1", True),
        ("openrouter", None, False),
        ("openai", None, False),
        ("anthropic", None, False),
        ("anthropic", "http://127.0.0.1:9999", True),
    ],
)
def test_self_hosted_servers_are_free_and_clouds_use_the_registry(
    provider: str, base_url: str | None, free: bool
) -> None:
    made = create_provider(provider, api_key="k", base_url=base_url)
    assert (price_of(made) == FREE) is free
    assert price_of(made) is FREE or price_of(made) is None


def test_a_cloud_name_on_a_local_server_is_not_priced_from_the_registry() -> None:
    registry = from_wire(REPLY, provider="openai")
    assert registry.usage.estimated_cost_usd is not None and registry.usage.estimated_cost_usd > 0
    local = from_wire(REPLY, provider="ollama", price=FREE)
    assert local.usage.estimated_cost_usd == 0.0
    assert (local.usage.prompt_tokens, local.usage.completion_tokens) == (1000, 500)
    summed = local.usage + local.usage
    assert summed.estimated_cost_usd == 0.0  # adding usage does not re-price it by name


@pytest.mark.parametrize("setting", [Price(0.5, 1.5), (0.5, 1.5), "0.5/1.5"], ids=["Price", "tuple", "text"])
def test_a_given_price_is_charged(setting: object) -> None:
    provider = create_provider("ollama", price=setting)  # type: ignore[arg-type]
    assert price_of(provider) == Price(0.5, 1.5)
    response = from_wire(REPLY, provider="ollama", price=price_of(provider))
    assert response.usage.estimated_cost_usd == pytest.approx((1000 * 0.5 + 500 * 1.5) / 1e6)


def test_the_environment_can_ask_for_registry_prices_or_a_price(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PRICE_ENV, "registry")
    assert price_of(create_provider("openai", api_key="k", base_url="http://localhost:4000/v1")) is None
    assert price_of(create_provider("local")) == FREE  # the embedded model is never priced by name
    monkeypatch.setenv(PRICE_ENV, "1/2")
    assert price_of(create_provider("ollama")) == Price(1.0, 2.0)
    assert price_of(create_provider("ollama", price="free")) == FREE  # the argument wins
    monkeypatch.setenv(PRICE_ENV, "cheap")
    with pytest.raises(ConfigurationError, match=PRICE_ENV):
        create_provider("ollama")


@pytest.mark.parametrize(
    "bad", ["not a url", "localhost:8080/v1", "ftp://host/v1", "http://", "http://h:port/v1"]
)
def test_a_base_url_that_names_no_server_is_refused_at_once(
    bad: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ConfigurationError, match="base_url for openai must be an http"):
        ChatAgent(provider="openai", model="gpt-4o-mini", api_key="k", base_url=bad)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", bad)  # from the environment, named as such
    with pytest.raises(ConfigurationError, match="ANTHROPIC_BASE_URL for anthropic"):
        create_provider("anthropic", api_key="k")


@pytest.mark.parametrize(
    "good", ["http://127.0.0.1:8080/v1", "https://api.openai.com/v1", "http://[::1]:11434/v1"]
)
def test_base_urls_of_servers_are_taken(good: str) -> None:
    assert (
        ChatAgent(provider="openai", model="gpt-4o-mini", api_key="k", base_url=good).provider.base_url
        == good
    )


@pytest.mark.parametrize("bad", ["-1/2", (1.0,), "1/2/3"])
def test_a_malformed_price_is_refused(bad: object) -> None:
    with pytest.raises(ConfigurationError):
        resolve_price(bad, base_url=None)  # type: ignore[arg-type]


def test_a_usd_budget_checks_a_free_model_with_its_own_price() -> None:
    budget = Budget(max_usd=0.001)
    # Priced by the registry, this call could cost more than the whole budget...
    with pytest.raises(BudgetExceededError):
        budget.check(100_000, model="gpt-4o", provider="openai", max_output_tokens=1000)
    # ...on a self-hosted server it costs nothing, although the registry has a price for this name.
    estimate = budget.check(100_000, model="deepseek-r1:7b", max_output_tokens=1000, price=FREE.cost)
    assert estimate.usd == 0.0
    # A name the registry does not know, with no price of its own, cannot be metered: refused.
    with pytest.warns(UserWarning, match="no price known"), pytest.raises(UsageError, match="no known price"):
        budget.check(10, model="my-finetune-v3", max_output_tokens=10)


# ---- 2. a reply without usage is counted with our tokenizer ---------------------------------------


def test_a_stream_without_usage_is_counted_and_labelled_estimated() -> None:
    assembler = StreamAssembler(provider="llamacpp", price=FREE)
    for chunk in (
        {"model": "smollm2", "choices": [{"delta": {"role": "assistant"}}]},
        {"choices": [{"delta": {"content": "Blue is "}}]},
        {"choices": [{"delta": {"content": "a colour."}}]},
        {"choices": [{"delta": {}, "finish_reason": "stop"}]},
    ):
        assembler.feed(chunk)
    assert not assembler.usage_reported
    request = ChatRequest(
        model="smollm2", messages=[ChatMessage.system("Be brief."), ChatMessage.user("A colour?")]
    )
    response = estimated_usage(request, assembler.result(), price=FREE)
    counter = counter_for_model("smollm2")
    assert response.usage.accuracy == "estimated"
    assert response.usage.prompt_tokens == counter.count_messages(request.messages)
    assert response.usage.completion_tokens == counter.count_text("Blue is a colour.")
    assert response.usage.estimated_cost_usd == 0.0
    assert response.content == "Blue is a colour."


def test_an_estimated_reply_counts_its_tool_calls_too() -> None:
    reply = ChatResponse(
        content="",
        tool_calls=[ToolCall(id="c1", name="add", arguments={"a": 2, "b": 40})],
        usage=TokenUsage(),
        model="smollm2",
        provider="llamacpp",
        finish_reason="tool_calls",
    )
    request = ChatRequest(model="smollm2", messages=[ChatMessage.user("2+40?")])
    assert estimated_usage(request, reply, price=FREE).usage.completion_tokens > 0


# ---- 4. request options ----------------------------------------------------------------------------


def test_request_options_merge_key_by_key_and_refuse_what_the_agent_owns() -> None:
    merged = merge_options({"temperature": 0.2, "tool_choice": "auto"}, None, {"temperature": 0.0})
    assert merged == {"temperature": 0.0, "tool_choice": "auto"}
    for key, hint in [
        ("model", "model="),
        ("messages", "session"),
        ("tools", "tools="),
        ("stream", "stream_chat"),
        ("max_tokens", "max_output_tokens="),
    ]:
        with pytest.raises(UsageError, match=hint):
            merge_options({key: 1})
    with pytest.raises(UsageError, match="must be a dict"):
        merge_options(["tool_choice"])  # type: ignore[list-item]
    with pytest.raises(UsageError, match="extra_body"):
        merge_options({"extra_body": "x"})


def test_sdk_options_are_split_from_body_fields() -> None:
    body, sdk = split_sdk_options(
        {
            "seed": 1,
            "extra_body": {"top_k": 20, "seed": 2},
            "extra_headers": {"x-trace": "1"},
            "extra_query": {"api-version": "2024"},
            "timeout": 5.0,
        }
    )
    assert body == {"seed": 2, "top_k": 20}
    assert sdk == {"headers": {"x-trace": "1"}, "params": {"api-version": "2024"}, "timeout": 5.0}


@pytest.mark.parametrize(
    ("choice", "kept"),
    [
        ("auto", True),
        ("none", True),
        ({"type": "auto"}, True),
        ("required", False),
        ("add", False),
        ({"type": "function", "function": {"name": "add"}}, False),
        ({"type": "tool", "name": "add"}, False),
    ],
)
def test_only_a_forcing_tool_choice_is_dropped_after_a_tool_round(choice: object, kept: bool) -> None:
    options = {"tool_choice": choice, "seed": 3}
    assert ("tool_choice" in without_forced_choice(options)) is kept
    assert without_forced_choice(options)["seed"] == 3


def test_the_turn_sends_a_forced_choice_on_its_first_call_only() -> None:
    registry = ToolRegistry()

    @registry.tool
    def add(a: int, b: int) -> int:
        """Add."""
        return a + b

    session = ChatSession()
    session.add_message(ChatMessage.user("2 + 40?"))
    options = {"tool_choice": "add", "temperature": 0.0}
    flow = turn_flow(session, model="m", tools=registry, max_tool_iterations=2, request_options=options)
    first = next(flow)
    assert isinstance(first, ModelCall) and first.request.options == options
    call = ToolCall(id="c1", name="add", arguments={"a": 2, "b": 40})
    tool_reply = ChatResponse(
        content="", tool_calls=[call], usage=TokenUsage(), model="m", provider="p", finish_reason="tool_calls"
    )
    assert isinstance(flow.send(tool_reply), ToolRun)
    second = flow.send([ToolResult("42")])
    assert isinstance(second, ModelCall)
    assert second.request.options == {"temperature": 0.0}
    assert options == {"tool_choice": "add", "temperature": 0.0}  # the caller's dict is untouched


def test_a_price_for_a_provider_object_belongs_on_the_object() -> None:
    with pytest.raises(UsageError, match="Provider object its own price"):
        ChatAgent(provider=create_provider("ollama"), model="llama3.2", price=(1.0, 2.0))
    agent = ChatAgent(provider=create_provider("ollama", price=(1.0, 2.0)), model="llama3.2")
    assert price_of(agent.provider) == Price(1.0, 2.0)
