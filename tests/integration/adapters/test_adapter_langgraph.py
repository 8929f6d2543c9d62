"""The LangGraph checkpoint saver: LangGraph's own conformance suite, and real graphs, on every backend.

``langgraph-checkpoint-conformance`` is the suite LangGraph publishes for checkpoint savers; it runs
in-process against one store per backend. The graph tests run real compiled graphs (sync and async,
an interrupt and its resumption, time travel) and read the stored threads back through sessionforge.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage
from langgraph.checkpoint.base import empty_checkpoint
from langgraph.checkpoint.conformance import checkpointer_test, validate
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.types import Command, interrupt

from sessionforge.cli._digest import digest
from sessionforge.interop.adapters.langgraph import SessionforgeSaver
from sessionforge.storage.base import Store, check_session_id
from sessionforge.storage.config import open_store
from sessionforge.storage.session import Session


async def test_langgraph_conformance_suite(store_url: str) -> None:
    @checkpointer_test(name="SessionforgeSaver")
    async def saver() -> AsyncIterator[SessionforgeSaver]:
        store = open_store(store_url)
        yield SessionforgeSaver(store)
        await store.aclose()

    report = await validate(saver)
    failures = {name: result.failures for name, result in report.results.items() if result.failures}
    assert report.passed_all_base(), failures
    assert report.results["copy_thread"].passed, failures
    # Not offered (they would rewrite an append-only log): reported by the suite as not implemented.
    assert report.results["prune"].detected is False
    assert report.results["delete_for_runs"].detected is False


def _chatbot() -> StateGraph[MessagesState]:
    def reply(state: MessagesState) -> dict[str, Any]:
        said = [m.content for m in state["messages"] if isinstance(m, HumanMessage)]
        usage = {"input_tokens": 10 * len(said), "output_tokens": 5, "total_tokens": 10 * len(said) + 5}
        answer = f"you said {len(said)} things, last: {said[-1]}"
        return {
            "messages": [
                AIMessage(
                    content=answer, usage_metadata=usage, response_metadata={"model_name": "gpt-4o-mini"}
                )
            ]
        }

    graph = StateGraph(MessagesState)
    graph.add_node("reply", reply)
    graph.add_edge(START, "reply")
    graph.add_edge("reply", END)
    return graph


async def test_a_graph_resumes_its_threads_from_the_store(store: Store) -> None:
    app = _chatbot().compile(checkpointer=SessionforgeSaver(store))
    config = {"configurable": {"thread_id": "user/7"}}
    await app.ainvoke({"messages": [HumanMessage(content="hello")]}, config)
    await app.ainvoke({"messages": [HumanMessage(content="again")]}, config)

    # A new saver (as after a restart) continues the thread.
    resumed = _chatbot().compile(checkpointer=SessionforgeSaver(store))
    out = await resumed.ainvoke({"messages": [HumanMessage(content="third")]}, config)
    assert out["messages"][-1].content == "you said 3 things, last: third"
    assert len(out["messages"]) == 6

    # Time travel: continue from the checkpoint after the first turn, on the same thread.
    history = [s async for s in resumed.aget_state_history(config)]
    first_turn = next(s for s in history if len(s.values.get("messages", [])) == 2 and not s.next)
    branch = await resumed.ainvoke({"messages": [HumanMessage(content="instead")]}, first_turn.config)
    assert branch["messages"][-1].content == "you said 2 things, last: instead"

    # The thread is an ordinary, append-only session that the inspector reads.
    saver = SessionforgeSaver(store)
    session = await Session.load(saver.session_id("user/7"), store)
    assert session is not None and session.metadata.properties["langgraph_thread_id"] == "user/7"
    page = await digest(session.id, store)
    assert page["face"] == "langgraph"
    # Each message that entered the state is in the session once, as a message, with its usage.
    texts = [e["text"] for e in page["entries"]]
    assert texts[:6] == [
        "hello",
        "you said 1 things, last: hello",
        "again",
        "you said 2 things, last: again",
        "third",
        "you said 3 things, last: third",
    ]
    assert texts[6:] == ["instead", "you said 2 things, last: instead"]  # the time-travel branch
    assert session.token_summary.total_prompt_tokens == 10 + 20 + 30 + 20
    assert page["cost_usd"] > 0
    records = await store.load(session.id)
    assert len(records) == 1 + len(session.events)  # the create record, then one record per put
    assert all(r.seq == i for i, r in enumerate(records, start=1))


def test_the_sync_graph_with_an_interrupt(store_url: str) -> None:
    def ask(state: MessagesState) -> dict[str, Any]:
        answer = interrupt("approve?")
        return {"messages": [AIMessage(content=f"approved: {answer}")]}

    graph = StateGraph(MessagesState)
    graph.add_node("ask", ask)
    graph.add_edge(START, "ask")
    graph.add_edge("ask", END)
    store = open_store(store_url)  # the blocking calls run their own loops: the store follows
    app = graph.compile(checkpointer=SessionforgeSaver(store))
    config = {"configurable": {"thread_id": "approvals"}}
    paused = app.invoke({"messages": [HumanMessage(content="deploy")]}, config)
    assert paused["__interrupt__"][0].value == "approve?"
    # Another saver on the same store sees the pending interrupt and resumes it.
    again = graph.compile(checkpointer=SessionforgeSaver(store))
    assert again.get_state(config).next == ("ask",)
    done = again.invoke(Command(resume="yes"), config)
    assert done["messages"][-1].content == "approved: yes"


@pytest.mark.parametrize(
    ("thread_id", "namespace"), [("a/b", ""), ("a.b", "child:1"), ("ü" * 300, "x" * 300)]
)
async def test_any_thread_id_and_namespace(store: Store, thread_id: str, namespace: str) -> None:
    saver = SessionforgeSaver(store)
    app = _chatbot().compile(checkpointer=saver)
    await app.ainvoke(
        {"messages": [HumanMessage(content=thread_id)]}, {"configurable": {"thread_id": thread_id}}
    )
    assert check_session_id(saver.session_id(thread_id, namespace))
    assert saver.session_id(thread_id, namespace) != saver.session_id(thread_id + "!", namespace)
    listed = [t async for t in saver.alist({"configurable": {"thread_id": thread_id}})]
    assert listed and all(t.config["configurable"]["thread_id"] == thread_id for t in listed)
    assert [t async for t in saver.alist({"configurable": {"thread_id": thread_id + "!"}})] == []

    checkpoint = empty_checkpoint()
    where = {"configurable": {"thread_id": thread_id, "checkpoint_ns": namespace}}
    await saver.aput(where, checkpoint, {"source": "update", "step": 9}, {})
    found = await SessionforgeSaver(store).aget_tuple(where)
    assert found is not None and found.checkpoint["id"] == checkpoint["id"]
    assert found.config["configurable"] == {**where["configurable"], "checkpoint_id": checkpoint["id"]}
    namespaces = {
        t.config["configurable"]["checkpoint_ns"]
        async for t in saver.alist({"configurable": {"thread_id": thread_id}})
    }
    assert namespaces == {"", namespace}
