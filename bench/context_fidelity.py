"""How much of what matters survives compaction to 10% of a conversation, per conversation family.

Each family of :mod:`fidelity_families` (lower-case preferences and constraints, corrections,
identifiers, noisy chatter full of names and numbers, tool logs, Spanish) is one long conversation
with about twenty facts and four corrections. It is compacted to ``--ratio`` (10%) of its tokens
three ways, each through the public API only:

- one-shot: the compactor called once on the whole conversation;
- rolling: turn by turn in a ``ChatSession(max_tokens=target, compactor=...)``;
- infinite context: turn by turn through ``SessionManager(infinite_context=True)``, whose
  ``token_threshold`` leaves room under the target for the system prompt, one more turn and the
  framing of each message; the context is what ``get_messages_for_llm()`` returns.

Truncation is the baseline on every path (on the infinite path: segments whose summarizer writes
nothing). For each row: facts kept, corrections applied (the new value present, the superseded one
gone), the final context's tokens, the largest context seen along the way, and the summary's tokens,
all counted exactly with the gpt-4o tokenizer.

    PYTHONPATH=src python bench/context_fidelity.py [--ratio 0.1] [--seed 7] [--family NAME]
                                                    [--with-local-model]

Exit status 1 when the default summarizer misses the bar on some family and path: at least 80% of
the facts, at least 3 of 4 corrections, never over the target.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fidelity_families import FAMILIES, Family, Turn, build, check_keys, key_pattern

from sessionforge import (
    ChatMessage,
    ChatSession,
    Compactor,
    SessionManager,
    SummarizeCompactor,
    ToolCall,
    TruncateCompactor,
    counter_for_model,
    open_store,
)

MODEL = "gpt-4o"
COUNTER = counter_for_model(MODEL)


def as_messages(family: Family, turns: list[Turn]) -> list[ChatMessage]:
    """The conversation as the chat face holds it."""
    messages = [ChatMessage.system(family.system)]
    for number, turn in enumerate(turns):
        messages.append(ChatMessage.user(turn.user))
        if turn.tool is not None:
            name, arguments, output = turn.tool
            call = ToolCall(id=f"call_{number}", name=name, arguments=arguments)
            messages.append(ChatMessage.assistant(None, tool_calls=[call]))
            messages.append(ChatMessage.tool(output, tool_call_id=call.id, name=name))
        if turn.reply:
            messages.append(ChatMessage.assistant(turn.reply))
    return messages


def from_wire(item: dict[str, Any]) -> ChatMessage:
    """A provider dict from ``get_messages_for_llm`` back as a message, to count it the same way."""
    calls = [
        ToolCall(id=c["id"], name=c["function"]["name"], arguments=json.loads(c["function"]["arguments"]))
        for c in item.get("tool_calls") or []
    ]
    return ChatMessage(
        role=item["role"],
        content=item.get("content"),
        tool_calls=calls,
        tool_call_id=item.get("tool_call_id"),
        name=item.get("name") if item["role"] == "tool" else None,
    )


@dataclass
class Row:
    path: str
    method: str
    facts: int
    corrections: int
    tokens: int
    peak: int
    summary: int
    seconds: float


def score(family: Family, context: list[ChatMessage]) -> tuple[int, int, int]:
    """(facts kept, corrections applied, tokens of the summary) in ``context``."""
    text = "\n".join(m.text for m in context)
    facts = sum(1 for f in family.facts if key_pattern(f.key).search(text))
    applied = sum(
        1
        for c in family.corrections
        if key_pattern(c.after.key).search(text) and not key_pattern(c.before.key).search(text)
    )
    summary = sum(
        COUNTER.count_text(m.text) for m in context if m.role == "system" and "Summary" in m.text[:40]
    )
    return facts, applied, summary


def one_shot(
    family: Family, method: str, compactor: Compactor, messages: list[ChatMessage], target: int
) -> Row:
    start = time.perf_counter()
    out = compactor(messages, target, COUNTER)
    elapsed = time.perf_counter() - start
    tokens = COUNTER.count_messages(out)
    return Row("one-shot", method, *score(family, out)[:2], tokens, tokens, score(family, out)[2], elapsed)


def rolling(
    family: Family, method: str, compactor: Compactor, messages: list[ChatMessage], target: int
) -> Row:
    session = ChatSession(messages[0].text, max_tokens=target, compactor=compactor, model=MODEL)
    peak = 0
    start = time.perf_counter()
    for message in messages[1:]:
        session.add_message(message)
        peak = max(peak, session.estimate_tokens())
    elapsed = time.perf_counter() - start
    facts, applied, summary = score(family, session.messages)
    path = f"rolling ({len(session.compactions)}x)"
    return Row(path, method, facts, applied, COUNTER.count_messages(session.messages), peak, summary, elapsed)


def threshold_for(family: Family, turns: list[Turn], target: int) -> int:
    """A segment size that keeps every request under ``target``: the manager closes a segment before
    a user message once it holds ``token_threshold`` tokens of text, so leave room for the system
    prompt, one more turn, and the few framing tokens of each message (a fifth, generously)."""
    largest = max(COUNTER.count_messages(as_messages(family, [t])[1:]) for t in turns)
    return int((target - largest - COUNTER.count_message(ChatMessage.system(family.system))) * 0.8)


def infinite(
    family: Family,
    method: str,
    summarizer: Callable[[list[ChatMessage]], str] | None,
    turns: list[Turn],
    target: int,
) -> Row:
    threshold = threshold_for(family, turns, target)

    async def run() -> tuple[list[ChatMessage], int, int]:
        manager = SessionManager(
            system_prompt=family.system,
            infinite_context=True,
            token_threshold=threshold,
            max_turns_per_segment=10**9,
            model=MODEL,
            store=open_store("memory://"),
            summarizer=summarizer,
        )
        peak = 0
        for number, turn in enumerate(turns):
            await manager.user_says(turn.user)
            if turn.tool is not None:
                name, arguments, output = turn.tool
                await manager.tool_used(name, arguments, output, call_id=f"call_{number}")
            if turn.reply:
                await manager.ai_responds(turn.reply, model=MODEL)
            context = [from_wire(m) for m in await manager.get_messages_for_llm(include_system=True)]
            peak = max(peak, COUNTER.count_messages(context))
        segments = len(await manager.get_session_chain())
        return context, peak, segments

    start = time.perf_counter()
    context, peak, segments = asyncio.run(run())
    elapsed = time.perf_counter() - start
    facts, applied, summary = score(family, context)
    path = f"infinite ({segments} seg)"
    return Row(path, method, facts, applied, COUNTER.count_messages(context), peak, summary, elapsed)


def nothing(request: list[ChatMessage]) -> str:
    """A summarizer that keeps nothing: segments then behave like truncation."""
    return ""


def local_summarizer() -> tuple[Callable[[list[ChatMessage]], str] | None, str]:
    try:
        from sessionforge.context.windowed import local_model_summarizer
    except ImportError:
        from sessionforge.context.summarize import local_model_summarizer  # type: ignore[attr-defined,no-redef]
    from sessionforge.errors import MissingDependencyError

    try:
        return local_model_summarizer(max_tokens=200), "local model: run one-shot"
    except MissingDependencyError as exc:
        return None, f"local model: unavailable: {exc}"


def run_family(
    family: Family, seed: int, ratio: float, local: Callable[[list[ChatMessage]], str] | None
) -> bool:
    turns = build(family, seed)
    check_keys(family, turns)
    messages = as_messages(family, turns)
    total = COUNTER.count_messages(messages)
    target = int(total * ratio)
    rows = [
        one_shot(family, "truncate", TruncateCompactor(), messages, target),
        one_shot(family, "summarize (default)", SummarizeCompactor(), messages, target),
    ]
    if local is not None:
        local_compactor = SummarizeCompactor(local, max_request_tokens=1100)
        rows.append(one_shot(family, "summarize (local model)", local_compactor, messages, target))
    rows += [
        rolling(family, "truncate", TruncateCompactor(), messages, target),
        rolling(family, "summarize (default)", SummarizeCompactor(), messages, target),
        infinite(family, "truncate", nothing, turns, target),
        infinite(family, "summarize (default)", None, turns, target),
    ]
    n_facts, n_corr = len(family.facts), len(family.corrections)
    print(f"## {family.name}")
    print(
        f"{len(messages)} messages, {len(turns)} user turns, {total:,} tokens ({MODEL}, exact); "
        f"{n_facts} facts, {n_corr} corrections; target {target:,} tokens ({ratio:.0%})\n"
    )
    print("| path | method | facts kept | corrections applied | tokens | peak | summary | time |")
    print("|---|---|---|---|---|---|---|---|")
    ok = True
    for row in rows:
        over = " (over)" if row.peak > target else ""
        print(
            f"| {row.path} | {row.method} | {row.facts}/{n_facts} | {row.corrections}/{n_corr} | "
            f"{row.tokens:,} | {row.peak:,}{over} | {row.summary:,} | {row.seconds:.2f}s |"
        )
        if row.method == "summarize (default)":
            ok = ok and row.facts >= 0.8 * n_facts and row.corrections >= 3 and row.peak <= target
    print(
        f"\ndefault summarizer meets the bar (>= 80% facts, >= 3 corrections, within target): {'yes' if ok else 'NO'}\n"
    )
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--ratio", type=float, default=0.10, help="target share of the tokens (default 0.10)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--family", action="append", help="run only this family (repeatable)")
    parser.add_argument(
        "--with-local-model", action="store_true", help="also summarize one-shot with the local model"
    )
    args = parser.parse_args(argv)
    local, note = (
        local_summarizer() if args.with_local_model else (None, "local model: not run (--with-local-model)")
    )
    chosen = [f for f in FAMILIES if not args.family or f.name in args.family]
    results = [run_family(family, args.seed, args.ratio, local) for family in chosen]
    print(note)
    print(f"families meeting the bar: {sum(results)} of {len(results)}")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
