"""Budgets: checked before anything is sent, charged with reported usage, kept across processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from servers import OpenAIServer
from servers.fixtures import anthropic_server, openai_server, provider_env, wire_servers
from sessionforge import (
    AsyncChatAgent,
    Budget,
    ChatAgent,
    ChatMessage,
    ChatSession,
    SessionManager,
    ToolRegistry,
)
from sessionforge.core.budget import DEFAULT_ESTIMATED_OUTPUT_TOKENS
from sessionforge.core.events import EventType
from sessionforge.errors import BudgetExceededError
from sessionforge.storage.base import Store
from sessionforge.storage.sqlite import SQLiteStore

__all__ = ["anthropic_server", "openai_server", "provider_env", "wire_servers"]

pytestmark = pytest.mark.usefixtures("provider_env")

MODEL = "gpt-4o-mini"
SRC = Path(__file__).resolve().parents[3] / "src"


def _records(store: Store, session_id: str) -> list[dict[str, object]]:
    from sessionforge._sync import run_sync

    stored = run_sync(store.load(session_id), async_name="store.load")
    return [dict(r.record) for r in stored]


def _budget_patches(records: list[dict[str, object]]) -> list[dict[str, object]]:
    out = []
    for record in records:
        body = record.get("message")
        if record.get("type") == EventType.SESSION_META.value and isinstance(body, dict):
            props = body.get("properties")
            if isinstance(props, dict) and "budget" in props:
                out.append(props["budget"])
    return out


def test_every_call_is_charged_with_its_reported_usage(openai_server: OpenAIServer) -> None:
    session = ChatSession(budget=Budget(max_tokens=10_000, max_usd=1.0))
    with ChatAgent("openai", model=MODEL) as agent:
        first = agent.chat("hello there", session=session)
        second = agent.chat("and again", session=session)
    budget = session.budget
    assert budget is not None
    assert budget.calls == 2
    assert budget.spent_tokens == first.usage.total_tokens + second.usage.total_tokens
    cost = (first.usage.estimated_cost_usd or 0) + (second.usage.estimated_cost_usd or 0)
    assert cost > 0 and budget.spent_usd == pytest.approx(cost)


def test_a_tool_loop_charges_each_model_call(openai_server: OpenAIServer) -> None:
    tools = ToolRegistry()

    @tools.tool
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    session = ChatSession(budget=Budget(max_tokens=10_000))
    with ChatAgent("openai", model=MODEL, tools=tools) as agent:
        reply = agent.chat('use the add tool with {"a": 2, "b": 3}', session=session)
    assert session.budget is not None and session.budget.calls == 2
    assert session.budget.spent_tokens == reply.usage.total_tokens  # the turn's usage is the sum


@pytest.mark.parametrize("kind", ["tokens", "usd"])
def test_a_refused_call_sends_nothing_and_changes_nothing(openai_server: OpenAIServer, kind: str) -> None:
    session = ChatSession(system_prompt="be brief", budget=Budget(max_tokens=100_000, max_usd=1.0))
    agent = ChatAgent("openai", model=MODEL, max_output_tokens=50)
    agent.chat("first question", session=session)
    budget = session.budget
    assert budget is not None
    if kind == "tokens":
        budget.max_tokens = budget.spent_tokens + 10
    else:
        budget.max_usd = budget.spent_usd + 1e-9
    sent = len(openai_server.requests)
    history, view, totals = session.history, session.messages, budget.model_dump()

    with pytest.raises(BudgetExceededError) as caught:
        agent.chat("a question too many", session=session)

    error = caught.value
    assert error.kind == kind
    assert len(openai_server.requests) == sent  # nothing reached the wire
    assert session.history == history and session.messages == view
    assert budget.model_dump() == totals
    if kind == "tokens":
        assert error.spent == budget.spent_tokens and error.limit == budget.max_tokens
        prompt = session.estimate_tokens() + session.counter.count_message(
            ChatMessage.user("a question too many")
        )
        assert error.estimated == prompt + 50  # exact prompt + the call's max output tokens
        assert str(budget.spent_tokens) in str(error) and str(error.estimated) in str(error)
    else:
        assert error.spent == pytest.approx(budget.spent_usd) and error.limit == budget.max_usd
        assert error.estimated > 0
    agent.close()


def test_the_default_output_bound_is_used_without_max_output_tokens(openai_server: OpenAIServer) -> None:
    session = ChatSession(budget=Budget(max_tokens=DEFAULT_ESTIMATED_OUTPUT_TOKENS))
    with ChatAgent("openai", model=MODEL) as agent, pytest.raises(BudgetExceededError) as caught:
        agent.chat("hi", session=session)
    assert caught.value.estimated > DEFAULT_ESTIMATED_OUTPUT_TOKENS
    assert openai_server.requests == [] and session.messages == []


async def test_the_async_agent_checks_and_charges_the_same(openai_server: OpenAIServer) -> None:
    session = ChatSession(budget=Budget(max_tokens=5_000))
    async with AsyncChatAgent("openai", model=MODEL, max_output_tokens=20) as agent:
        reply = await agent.chat("hello", session=session)
        assert session.budget is not None and session.budget.spent_tokens == reply.usage.total_tokens
        session.budget.max_tokens = session.budget.spent_tokens + 1
        with pytest.raises(BudgetExceededError):
            await agent.chat("again", session=session)
    assert len(openai_server.requests) == 1


def test_totals_are_appended_with_each_save_and_resume_on_load(
    openai_server: OpenAIServer, make_store: Callable[[], Store]
) -> None:
    store = make_store()
    session = ChatSession(budget=Budget(max_tokens=50_000))
    with ChatAgent("openai", model=MODEL) as agent:
        agent.chat("one", session=session)
        session.save(store)
        before = _records(store, session.session_id)
        agent.chat("two", session=session)
        session.save(store)
    after = _records(store, session.session_id)
    assert after[: len(before)] == before  # append-only: nothing earlier was rewritten
    patches = _budget_patches(after)
    assert [p["calls"] for p in patches] == [1, 2]

    loaded = ChatSession.load(session.session_id, store=store)
    assert loaded.budget == session.budget
    raised = ChatSession.load(session.session_id, store=store, budget=Budget(max_tokens=90_000))
    assert raised.budget is not None and raised.budget.max_tokens == 90_000
    assert raised.budget.spent_tokens == session.budget.spent_tokens  # type: ignore[union-attr]


def test_a_session_reopened_in_another_process_keeps_its_totals(
    openai_server: OpenAIServer, tmp_path: Path
) -> None:
    path = str(tmp_path / "budget.db")
    session = ChatSession(budget=Budget(max_tokens=50_000, max_usd=1.0))
    with ChatAgent("openai", model=MODEL) as agent:
        agent.chat("spent here", session=session)
    session.save(SQLiteStore(path))
    assert session.budget is not None
    first = session.budget.model_dump()

    script = textwrap.dedent(
        """
        import json, sys
        from sessionforge import ChatAgent, ChatSession
        from sessionforge.storage.sqlite import SQLiteStore

        store = SQLiteStore(sys.argv[1])
        session = ChatSession.load(sys.argv[2], store=store)
        before = session.budget.model_dump()
        with ChatAgent("openai", model="gpt-4o-mini") as agent:
            agent.chat("spent there", session=session)
        session.save(store)
        print(json.dumps({"before": before, "after": session.budget.model_dump()}))
        """
    )
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    done = subprocess.run(
        [sys.executable, "-c", script, path, session.session_id],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["before"] == first
    assert report["after"]["calls"] == 2 and report["after"]["spent_tokens"] > first["spent_tokens"]

    reopened = ChatSession.load(session.session_id, store=SQLiteStore(path))
    assert reopened.budget is not None and reopened.budget.model_dump() == report["after"]
    reopened.budget.max_tokens = reopened.budget.spent_tokens + 5
    sent = len(openai_server.requests)
    with ChatAgent("openai", model=MODEL) as agent, pytest.raises(BudgetExceededError):
        agent.chat("over the limit now", session=reopened)
    assert len(openai_server.requests) == sent


async def test_the_manager_stores_totals_with_each_event_and_resumes_them(store: Store) -> None:
    manager = SessionManager(store=store, budget=Budget(max_tokens=1_000), model=MODEL)
    await manager.user_says("how long is a piece of string?")
    await manager.ai_responds("twice half its length", model=MODEL)
    assert manager.budget is not None and manager.budget.calls == 2
    stats = await manager.get_stats()
    assert manager.budget.spent_tokens == stats["total_tokens"]

    records = [r.record for r in await store.load(manager.session_id)]
    assert [p["calls"] for p in _budget_patches(records)] == [1, 2]  # one patch per event, appended

    resumed = SessionManager(session_id=manager.session_id, store=store)
    await resumed.get_messages_for_llm()
    assert resumed.budget == manager.budget
    with pytest.raises(BudgetExceededError) as caught:
        await resumed.check_budget(990, max_output_tokens=10)
    assert caught.value.spent == manager.budget.spent_tokens
    await resumed.check_budget(10, max_output_tokens=10)
