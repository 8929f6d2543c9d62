"""The turn cost inside each agent framework, with its own history and with sessionforge's adapter.

    .venv/bin/python bench/adapters.py              # 200 turns per row, about a minute on 2 cores
    .venv/bin/python bench/adapters.py --turns 500

A turn is what the framework does for one user message with a model that answers at once (each
framework's own deterministic test model, so no network and no model time): the Agents SDK's
``Runner.run`` with its ``ScriptedModel``; LangChain's ``RunnableWithMessageHistory`` over a prompt and
its ``GenericFakeChatModel``; a LangGraph ``MessagesState`` graph with one reply node; a pydantic-ai
``Agent.run`` on its ``FunctionModel``, given the history and persisting the new messages. Each row is
timed in this process, one after another, on the same conversation, and each ratio compares a row
with the framework's own history measured in this same run (1.00; above 1.00 means slower).

Every function returns rows (dicts), for a caller that prints its own table::

    from adapters import all_rows, openai_agents_rows      # with bench/ on sys.path
    rows = openai_agents_rows(turns=200)                    # or all_rows(turns=200)
    # {"framework", "history", "turns", "first_us", "last_us", "total_s",
    #  "first_x", "last_x", "total_x"}: µs per turn over the first and last 20 turns, the total,
    #  and each as a ratio to the framework's own history (first row of each framework)
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from sessionforge.storage.config import open_store

WINDOW = 20
"""Turns averaged for the first and last figures."""
MODEL = "gpt-4o-mini"
WARMUP = 10
"""Turns each contender runs, unmeasured, before any is measured."""

Turn = Callable[[int], Awaitable[Any]]


async def _time(turn: Turn, turns: int) -> list[float]:
    gc.collect()
    times = []
    for i in range(turns):
        start = time.perf_counter()
        await turn(i)
        times.append(time.perf_counter() - start)
    return times


def _row(framework: str, history: str, times: list[float]) -> dict[str, Any]:
    window = min(WINDOW, len(times))
    return {
        "framework": framework,
        "history": history,
        "turns": len(times),
        "first_us": statistics.fmean(times[:window]) * 1e6,
        "last_us": statistics.fmean(times[-window:]) * 1e6,
        "total_s": sum(times),
    }


def _with_ratios(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    base = rows[0]
    for row in rows:
        for key, ratio in (("first_us", "first_x"), ("last_us", "last_x"), ("total_s", "total_x")):
            row[ratio] = row[key] / base[key] if base[key] else None
    return rows


def _measured(
    rows: Callable[[Path, int], Awaitable[list[dict[str, Any]]]], turns: int
) -> list[dict[str, Any]]:
    """``rows`` once briefly to warm every contender up (so the first row pays no first-use costs for
    the others), then measured, each time in fresh files."""
    with tempfile.TemporaryDirectory() as warm:
        asyncio.run(rows(Path(warm), WARMUP))
    with tempfile.TemporaryDirectory() as folder:
        return _with_ratios(asyncio.run(rows(Path(folder), turns)))


def _question(i: int) -> str:
    return f"question {i}: what should I read next about topic {i % 17}?"


# ---- OpenAI Agents SDK ----------------------------------------------------------------------------------


def openai_agents_rows(turns: int = 200) -> list[dict[str, Any]]:
    """``Runner.run`` per turn with the SDK's ``SQLiteSession`` (a file) against ours on SQLite."""
    from agents import Agent, RunConfig, Runner, SQLiteSession
    from agents.testing import ScriptedModel, assistant_message

    from sessionforge.interop.adapters.openai_agents import OpenAIAgentsSession

    config = RunConfig(tracing_disabled=True)

    async def run(make_session: Callable[[], Any], turns: int) -> list[float]:
        model = ScriptedModel(
            [[assistant_message(f"answer {i}: try the second chapter")] for i in range(turns)]
        )
        agent = Agent(name="bench", instructions="Be brief.", model=model)
        session = make_session()

        async def turn(i: int) -> None:
            await Runner.run(agent, _question(i), session=session, run_config=config)

        return await _time(turn, turns)

    async def rows(folder: Path, turns: int) -> list[dict[str, Any]]:
        store = open_store(f"sqlite:///{folder / 'sf.db'}")
        bounded = open_store(f"sqlite:///{folder / 'sf-bounded.db'}")
        try:
            return [
                _row(
                    "openai-agents",
                    "SQLiteSession (file)",
                    await run(lambda: SQLiteSession("s", folder / "sdk.db"), turns),
                ),
                _row(
                    "openai-agents",
                    "sessionforge OpenAIAgentsSession (SQLite)",
                    await run(lambda: OpenAIAgentsSession("s", store, model=MODEL), turns),
                ),
                _row(
                    "openai-agents",
                    "sessionforge, 4,000-token view (SQLite)",
                    await run(lambda: OpenAIAgentsSession("s", bounded, model=MODEL, max_tokens=4000), turns),
                ),
            ]
        finally:
            await store.aclose()
            await bounded.aclose()

    return _measured(rows, turns)


# ---- LangChain --------------------------------------------------------------------------------------------


def langchain_rows(turns: int = 200) -> list[dict[str, Any]]:
    """``RunnableWithMessageHistory.ainvoke`` per turn: LangChain's in-memory history against ours."""
    from langchain_core.chat_history import InMemoryChatMessageHistory
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage
    from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder
    from langchain_core.runnables.history import RunnableWithMessageHistory

    from sessionforge.interop.adapters.langchain import SessionforgeChatMessageHistory

    prompt = ChatPromptTemplate.from_messages(
        [("system", "Be brief."), MessagesPlaceholder("history"), ("human", "{q}")]
    )

    async def run(history: Any, turns: int) -> list[float]:
        model = GenericFakeChatModel(messages=iter([AIMessage(content=f"answer {i}") for i in range(turns)]))
        chain = RunnableWithMessageHistory(
            prompt | model, lambda _: history, input_messages_key="q", history_messages_key="history"
        )

        async def turn(i: int) -> None:
            await chain.ainvoke({"q": _question(i)}, {"configurable": {"session_id": "s"}})

        return await _time(turn, turns)

    async def rows(folder: Path, turns: int) -> list[dict[str, Any]]:
        memory, sqlite = open_store("memory://"), open_store(f"sqlite:///{folder / 'sf.db'}")
        try:
            return [
                _row(
                    "langchain", "InMemoryChatMessageHistory", await run(InMemoryChatMessageHistory(), turns)
                ),
                _row(
                    "langchain",
                    "sessionforge history (memory://)",
                    await run(SessionforgeChatMessageHistory("m", memory), turns),
                ),
                _row(
                    "langchain",
                    "sessionforge history (SQLite)",
                    await run(SessionforgeChatMessageHistory("s", sqlite), turns),
                ),
            ]
        finally:
            await sqlite.aclose()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # LangChain deprecates these classes in favour of LangGraph
        return _measured(rows, turns)


# ---- LangGraph --------------------------------------------------------------------------------------------


def langgraph_rows(turns: int = 200) -> list[dict[str, Any]]:
    """``ainvoke`` per turn of a one-node chat graph: LangGraph's ``InMemorySaver`` against ours."""
    from langchain_core.messages import AIMessage, HumanMessage
    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.graph import END, START, MessagesState, StateGraph

    from sessionforge.interop.adapters.langgraph import SessionforgeSaver

    def reply(state: MessagesState) -> dict[str, Any]:
        return {"messages": [AIMessage(content=f"answer {len(state['messages'])}")]}

    builder = StateGraph(MessagesState)
    builder.add_node("reply", reply)
    builder.add_edge(START, "reply")
    builder.add_edge("reply", END)

    async def run(saver: Any, turns: int) -> list[float]:
        app = builder.compile(checkpointer=saver)
        config = {"configurable": {"thread_id": "t"}}

        async def turn(i: int) -> None:
            await app.ainvoke({"messages": [HumanMessage(content=_question(i))]}, config)

        return await _time(turn, turns)

    async def rows(folder: Path, turns: int) -> list[dict[str, Any]]:
        memory, sqlite = open_store("memory://"), open_store(f"sqlite:///{folder / 'sf.db'}")
        try:
            return [
                _row("langgraph", "InMemorySaver", await run(InMemorySaver(), turns)),
                _row(
                    "langgraph", "SessionforgeSaver (memory://)", await run(SessionforgeSaver(memory), turns)
                ),
                _row("langgraph", "SessionforgeSaver (SQLite)", await run(SessionforgeSaver(sqlite), turns)),
            ]
        finally:
            await sqlite.aclose()

    return _measured(rows, turns)


# ---- pydantic-ai ------------------------------------------------------------------------------------------


def pydantic_ai_rows(turns: int = 200) -> list[dict[str, Any]]:
    """``Agent.run`` per turn, given the history and persisting what the run added: the history as
    pydantic-ai documents it (a list, its JSON file rewritten each turn) against ours on SQLite, kept
    between turns (``PydanticAIHistory``) and read whole on each call (the load/append functions)."""
    from pydantic_ai import Agent
    from pydantic_ai.messages import ModelMessage, ModelMessagesTypeAdapter, ModelResponse, TextPart
    from pydantic_ai.models.function import AgentInfo, FunctionModel

    from sessionforge.interop.adapters.pydantic_ai import (
        PydanticAIHistory,
        append_pydantic_ai,
        load_pydantic_ai,
    )

    def answer(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        return ModelResponse(parts=[TextPart(f"answer {len(messages)}")], model_name=MODEL)

    agent = Agent(FunctionModel(answer, model_name=MODEL), system_prompt="Be brief.")

    async def own(folder: Path, turns: int) -> list[float]:
        history: list[ModelMessage] = []
        path = folder / "history.json"

        async def turn(i: int) -> None:
            nonlocal history
            result = await agent.run(_question(i), message_history=history)
            history = result.all_messages()
            path.write_bytes(ModelMessagesTypeAdapter.dump_json(history))

        return await _time(turn, turns)

    async def ours(folder: Path, turns: int) -> list[float]:
        store = open_store(f"sqlite:///{folder / 'sf.db'}")

        async def turn(i: int) -> None:
            history = await load_pydantic_ai("s", store) if i else []
            result = await agent.run(_question(i), message_history=history)
            await append_pydantic_ai(result.new_messages(), "s", store)

        try:
            return await _time(turn, turns)
        finally:
            await store.aclose()

    async def kept(folder: Path, turns: int) -> list[float]:
        store = open_store(f"sqlite:///{folder / 'sf-history.db'}")
        history = PydanticAIHistory("s", store, model=MODEL)

        async def turn(i: int) -> None:
            result = await agent.run(_question(i), message_history=await history.messages())
            await history.add(result.new_messages())

        try:
            return await _time(turn, turns)
        finally:
            await store.aclose()

    async def rows(folder: Path, turns: int) -> list[dict[str, Any]]:
        return [
            _row("pydantic-ai", "list + JSON file per turn", await own(folder, turns)),
            _row("pydantic-ai", "sessionforge PydanticAIHistory (SQLite)", await kept(folder, turns)),
            _row("pydantic-ai", "sessionforge load + append functions (SQLite)", await ours(folder, turns)),
        ]

    return _measured(rows, turns)


ALL = (openai_agents_rows, langchain_rows, langgraph_rows, pydantic_ai_rows)


def all_rows(turns: int = 200) -> list[dict[str, Any]]:
    """Every framework's rows, one framework after another."""
    return [row for rows in ALL for row in rows(turns)]


def table(rows: Sequence[dict[str, Any]]) -> str:
    headers = ["framework", "history", "turns", "µs/turn first", "×", "µs/turn last", "×", "total s", "×"]
    lines = [
        [
            r["framework"],
            r["history"],
            f"{r['turns']:,}",
            f"{r['first_us']:,.0f}",
            f"{r['first_x']:.2f}",
            f"{r['last_us']:,.0f}",
            f"{r['last_x']:.2f}",
            f"{r['total_s']:.2f}",
            f"{r['total_x']:.2f}",
        ]
        for r in rows
    ]
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(headers)]

    def fmt(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    return "\n".join([fmt(headers), fmt(["-" * w for w in widths]), *(fmt(line) for line in lines)])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--turns", type=int, default=200)
    args = parser.parse_args(argv)
    print(table(all_rows(args.turns)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
