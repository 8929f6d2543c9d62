"""The story of a session, told with the embedded model: no key, no network (``make demo``).

A scripted chat with tokens and cost per turn; the session reopened and continued by a second
process; a fork that takes another path from turn 2; a compaction under a tight budget, previewed,
applied and undone; the totals of a budget; the command that opens the inspector. Each step ends
with one line of what it proves, and every proof is read back from the store: a 135M model is not
clever, so nothing here depends on what it says.

    python examples/demo.py [--store URL] [--report FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from typing import Any

from sessionforge import Budget, ChatAgent, ChatMessage, ChatSession, SummarizeCompactor, open_store
from sessionforge.providers.base import USAGE_KEY
from sessionforge.storage.config import default_store_url
from sessionforge.storage.forks import list_branches

SYSTEM = "You are a concise travel assistant."
SCRIPT = [
    "Hi! I am Ada, and I plan a trip to Lisbon on 12 May.",
    "My budget is 900 euros for four days.",
    "Which three places should I see first?",
]
CONTINUED = "Remind me: when does my trip start?"
FORK_PATH = "Change of plan: I go to Porto instead."
REPLY_TOKENS = 24
BUDGET = Budget(max_tokens=20_000)


def say(text: str = "") -> None:
    print(text, flush=True)


def proves(text: str) -> None:
    say(f"  ✓ {text}")


def short(text: str | None, width: int = 64) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def usage_of(message: ChatMessage) -> dict[str, Any] | None:
    usage = message.metadata.get(USAGE_KEY) if message.role == "assistant" else None
    return usage if isinstance(usage, dict) else None


def replies(session: ChatSession) -> list[dict[str, Any]]:
    """The usage each stored reply carries: what the store says was spent, turn by turn."""
    return [u for m in session.history if (u := usage_of(m)) is not None]


def turn(agent: ChatAgent, session: ChatSession, text: str | ChatMessage, number: int) -> None:
    line = text.text if isinstance(text, ChatMessage) else text
    response = agent.chat(text, session=session)
    usage = response.usage
    cost = "n/a" if usage.estimated_cost_usd is None else f"${usage.estimated_cost_usd:.6f}"
    say(f"    you> {short(line)}")
    say(f"    smollm2> {short(response.content)}")
    say(
        f"    turn {number}: {usage.prompt_tokens} prompt + {usage.completion_tokens} completion "
        f"= {usage.total_tokens} tokens ({usage.accuracy}), {cost}"
    )


def continue_in_second_process(session_id: str, url: str) -> None:
    """Step 2, run as its own process: open the stored session, add one turn, save."""
    store = open_store(url)
    session = ChatSession.load(session_id, store)
    say(f"    (process {os.getpid()}) reopened {session_id[:8]}: {len(session.history)} stored messages")
    agent = ChatAgent("local", max_output_tokens=REPLY_TOKENS)
    turn(agent, session, ChatMessage.user(CONTINUED, metadata={"process": os.getpid()}), len(SCRIPT) + 1)
    session.save(store)


def story(url: str) -> dict[str, Any]:
    started = time.monotonic()
    store = open_store(url)
    agent = ChatAgent("local", max_output_tokens=REPLY_TOKENS)
    say(f"sessionforge demo: the embedded model (SmolLM2-135M), no key, no network; store {url}")

    say("\n1. A scripted chat; each reply is stored with its tokens and cost")
    session = ChatSession(system_prompt=SYSTEM, budget=BUDGET.model_copy())
    for number, line in enumerate(SCRIPT, start=1):
        turn(agent, session, line, number)
        session.save(store)
    stored = ChatSession.load(session.session_id, store)
    proves(
        f"read back: {len(replies(stored))} replies, each with its own usage "
        f"({sum(u['total_tokens'] for u in replies(stored))} tokens, counted by the model's tokenizer)"
    )

    say("\n2. A second process reopens the session and continues it")
    child = subprocess.run(
        [sys.executable, __file__, "--store", url, "--continue-session", session.session_id], check=True
    )
    reopened = ChatSession.load(session.session_id, store)
    pid = next(m.metadata.get("process") for m in reopened.history if m.text == CONTINUED)
    proves(
        f"process {pid} (this one is {os.getpid()}) added turn {len(SCRIPT) + 1}: the store now holds "
        f"{len(reopened.history)} messages (exit {child.returncode})"
    )

    say("\n3. A fork takes another path from turn 2")
    branch = reopened.fork(at=4)  # history: system, user 1, reply 1, user 2, reply 2 <- here
    turn(agent, branch, FORK_PATH, 3)
    branch.save(store)
    parent_branch = ChatSession.load(branch.session_id, store)
    shared = sum(1 for a, b in zip(reopened.history, parent_branch.history, strict=False) if a.text == b.text)
    for label, item in (("", reopened), ("└ fork ", parent_branch)):
        users = [m for m in item.history if m.role == "user"]
        say(
            f"    {label}{item.session_id[:8]}  {len(users)} turns  "
            f"{sum(u['total_tokens'] for u in replies(item))} tokens  last: {short(users[-1].text, 40)}"
        )
    branches = _branches(session.session_id, url)
    proves(
        f"fork {branch.session_id[:8]} is listed under its parent ({len(branches)} fork) and shares its first "
        f"{shared} messages without a copy, then asks about Porto"
    )

    say("\n4. A compaction under a tight budget: previewed, applied, undone")
    live = ChatSession.load(session.session_id, store)
    before = live.estimate_tokens()
    tight = max(80, before // 3)
    compactor = SummarizeCompactor(keep_recent=2, max_summary_tokens=60)
    preview = live.preview_compaction(tight, compactor)
    written = len(ChatSession.load(session.session_id, store).compactions)
    summary = "\n".join(m.text for m in preview.added)
    say(
        f"    preview: {preview.before_tokens} -> {preview.after_tokens} tokens (budget {tight}), "
        f"{len(preview.dropped)} messages would leave the view"
    )
    kept = [line for line in summary.splitlines() if line.lstrip().startswith("- ")]
    for text in (kept or summary.splitlines())[:3]:  # the kept lines, not the summary's headings
        say(f"    summary keeps: {short(text.strip(), 70)}")
    live.compactor = compactor
    applied = live.compact(tight)
    live.save(store)
    live.undo_compaction()
    live.save(store)
    audited = ChatSession.load(session.session_id, store)
    proves(
        f"the preview wrote {written} records; applied {applied.before_tokens} -> {applied.after_tokens} "
        f"tokens, then undone ({audited.estimate_tokens()} in view again); the store keeps all "
        f"{len(audited.history)} messages and both records ({', '.join(r.action for r in audited.compactions)})"
    )

    say("\n5. The budget's totals travel with the session")
    budget = ChatSession.load(session.session_id, store).budget
    assert budget is not None
    spent = sum(u["total_tokens"] for u in replies(audited))
    say(
        f"    spent {budget.spent_tokens:,} of {budget.max_tokens:,} tokens, ${budget.spent_usd:.6f} "
        "(the embedded model costs nothing)"
    )
    proves(
        f"reloaded totals = the sum of the {len(replies(audited))} stored replies ({spent} tokens), "
        "across both processes"
    )

    say("\n6. See it all in the browser")
    flag = "" if url == default_store_url() else f" --store {url}"
    say(f"    .venv/bin/sessionforge inspect{flag}")
    say(f"\ndone in {time.monotonic() - started:.0f} s")
    return {
        "store": url,
        "session": session.session_id,
        "fork": branch.session_id,
        "demo_pid": os.getpid(),
        "second_pid": pid,
        "summary": summary,
        "preview_dropped": len(preview.dropped),
        "budget_tokens": budget.spent_tokens,
        "tight": tight,
    }


def _branches(session_id: str, url: str) -> list[str]:
    import asyncio

    async def read() -> list[str]:
        store = open_store(url)
        try:
            return await list_branches(session_id, store)
        finally:
            await store.aclose()

    return asyncio.run(read())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default=default_store_url(), help="store URL (default: the default store)")
    parser.add_argument("--report", help="write the ids and figures of the run to this JSON file")
    parser.add_argument("--continue-session", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.continue_session:
        continue_in_second_process(args.continue_session, args.store)
        return
    report = story(args.store)
    if args.report:
        with open(args.report, "w", encoding="utf-8") as out:
            json.dump(report, out)


if __name__ == "__main__":
    main()
