"""How many planted facts survive compaction to about 10% of a long conversation, per strategy.

A scripted conversation of 220 turns (user, assistant, tool calls with long outputs, chatter that also
holds numbers and capitalized words) carries 24 planted facts: names, numbers, identifiers and
decisions. Each strategy compacts it to ~10% of its tokens, once ("one-shot") and, for the rolling
case, turn by turn inside a ``ChatSession`` whose budget is that 10% ("rolling"). A fact counts as
kept when its key string appears anywhere in the resulting context (summary included).

    PYTHONPATH=src python bench/context_fidelity.py [--with-local-model] [--ratio 0.1] [--seed 7]

The embedded-model summarizer runs when ``sessionforge.providers.local`` is importable, one-shot
(a few minutes on 2 cores: every piece of the transcript is a model call); its rolling case makes a
model call at nearly every turn and runs only with ``--with-local-model`` (much longer).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from dataclasses import dataclass

from sessionforge.context.compactors import Compactor, SlidingWindowCompactor, TruncateCompactor
from sessionforge.context.summarize import (
    SummarizeCompactor,
    ToolOutputPruningCompactor,
    extractive_summarizer,
    local_model_summarizer,
)
from sessionforge.core.messages import ChatMessage, ToolCall
from sessionforge.core.tokens import counter_for_model
from sessionforge.errors import MissingDependencyError
from sessionforge.faces.chat_session import ChatSession

MODEL = "gpt-4o"

# (turn at which it is planted, who says it, the sentence, the key string that must survive)
FACTS: list[tuple[int, str, str, str]] = [
    (3, "user", "My name is Marguerite Okafor and I lead the payments team.", "Marguerite Okafor"),
    (9, "user", "Our budget for the migration is 48,500 euros, no more.", "48,500"),
    (15, "assistant", "Decision recorded: we will use PostgreSQL 16 as the main database.", "PostgreSQL 16"),
    (22, "tool", "deploy log: build 20931 finished on runner gh-17", "20931"),
    (28, "user", "The contractor is Tomasz Kowalczyk, he starts on March 14.", "Tomasz Kowalczyk"),
    (34, "user", "We agreed the public API listens on port 8443.", "8443"),
    (41, "assistant", "Confirmed: the launch is set for Thursday the 9th of October.", "9th of October"),
    (47, "user", "Our designer Aiko Tanaka owns the checkout redesign.", "Aiko Tanaka"),
    (55, "tool", "ticket tracker: ENG-4471 (status: blocked on legal review)", "ENG-4471"),
    (62, "user", "We decided to host everything in the Frankfurt region.", "Frankfurt"),
    (70, "user", "The SLA we promised the bank is 99.95% monthly uptime.", "99.95%"),
    (78, "assistant", "Agreed: feature flag checkout_v2 stays off until the audit passes.", "checkout_v2"),
    (86, "user", "The auditor is Dr. Olumide Bankole from Vantage Assurance.", "Olumide Bankole"),
    (95, "tool", "billing export: 1,187 active merchants in the pilot", "1,187"),
    (103, "user", "We chose Kafka over RabbitMQ for the event bus.", "Kafka"),
    (112, "user", "Remember the staging database password rotates every 21 days.", "21 days"),
    (121, "assistant", "Decision: the retry limit for webhooks is 7 attempts.", "7 attempts"),
    (130, "user", "Sigrid Halvorsen from legal signs off on data retention.", "Sigrid Halvorsen"),
    (139, "tool", "capacity report: peak load 3,420 requests per second", "3,420"),
    (148, "user", "We settled on a data retention period of 400 days.", "400 days"),
    (160, "user", "The pilot customer is Bramble & Finch Bakery in Leeds.", "Bramble & Finch"),
    (172, "assistant", "Final call: version 3.8.2 is the release candidate.", "3.8.2"),
    (185, "user", "Our on-call rotation starts with Keanu Mahelona next Monday.", "Keanu Mahelona"),
    (199, "user", "The rollback window is 45 minutes after each deploy.", "45 minutes"),
]

CHATTER = [
    "That makes sense, thanks for walking me through it.",
    "Could you explain that part again in simpler words?",
    "I was reading about this yesterday and got a bit lost.",
    "Sounds good to me, let's keep going.",
    "Honestly the documentation for this is not great.",
    "I tried it 3 times on my laptop and it worked twice.",
    "We use Python and Linux everywhere, so that should be fine.",
    "Maybe we can revisit this after lunch.",
    "What would you recommend as a sensible default here?",
    "The team on the 2nd floor had the same question last week.",
    "Is there a simpler way to do this without extra tooling?",
    "Good point, I had not thought about caching at all.",
]
REPLIES = [
    "Sure. The short version is that it trades a little latency for much simpler operations.",
    "In most setups the default is fine; change it only when measurements say so.",
    "Think of it as a queue in front of the service: requests wait instead of failing.",
    "Yes, and it is worth writing a small test for it so that it stays that way.",
    "A common pattern is to start small, measure for 2 weeks, then adjust.",
    "That is a reasonable plan. I would add monitoring before rolling it out widely.",
    "Good question. Teams at Google and Netflix have written about similar trade-offs.",
    "It depends on the workload, but for yours the simple option should be enough.",
]


PEOPLE = ["Alex", "Jordan", "Sam from QA", "Chris", "Robin", "my cousin", "Taylor", "the intern"]
VERBS = ["mentioned", "complained about", "fixed", "asked about", "was reading about", "benchmarked"]
OBJECTS = ["{n} flaky tests", "a {n} MB log file", "the Redis cluster", "{n} open tabs", "the VPN", "Jira"]
WHEN = ["in Berlin", "on Tuesday", "last sprint", "at the offsite in Porto", "before lunch", "in {n} minutes"]


def noise(rng: random.Random) -> str:
    """A one-off remark with names and numbers in it, which is not one of the planted facts."""
    parts = [rng.choice(PEOPLE), rng.choice(VERBS), rng.choice(OBJECTS), rng.choice(WHEN)]
    return (" ".join(parts) + ".").format(n=rng.randint(2, 900)).capitalize()


def tool_output(rng: random.Random, fact: str | None) -> str:
    """A long tool result (a log), with the planted fact, if any, somewhere in the middle."""
    lines = [
        f"2026-05-{rng.randint(10, 28)} 12:{rng.randint(10, 59)}:{rng.randint(10, 59)} INFO "
        f"worker-{rng.randint(1, 9)} processed batch {rng.randint(1000, 9999)} in {rng.randint(5, 90)} ms"
        for _ in range(rng.randint(25, 45))
    ]
    if fact is not None:
        lines.insert(len(lines) // 2, fact)
    return "\n".join(lines)


def conversation(seed: int, turns: int = 220, *, noisy: bool = False) -> list[ChatMessage]:
    rng = random.Random(seed)

    def chatter() -> str:
        said = rng.choice(CHATTER)
        return f"{said} {noise(rng)}" if noisy and rng.random() < 0.6 else said

    planted = {turn: (who, text) for turn, who, text, _ in FACTS}
    messages = [ChatMessage.system("You are a careful engineering assistant for a payments team.")]
    call_no = 0
    for turn in range(turns):
        who, text = planted.get(turn, ("", ""))
        if who == "tool" or (not who and rng.random() < 0.15):
            messages.append(ChatMessage.user(chatter()))
            call = ToolCall(id=f"call_{call_no}", name="run", arguments={"cmd": f"report {call_no}"})
            call_no += 1
            messages.append(ChatMessage.assistant(None, tool_calls=[call]))
            fact = text if who == "tool" else None
            messages.append(ChatMessage.tool(tool_output(rng, fact), tool_call_id=call.id, name="run"))
            messages.append(ChatMessage.assistant(rng.choice(REPLIES)))
        elif who == "user":
            messages.append(ChatMessage.user(f"{chatter()} {text}"))
            messages.append(ChatMessage.assistant(rng.choice(REPLIES)))
        elif who == "assistant":
            messages.append(ChatMessage.user(chatter()))
            messages.append(ChatMessage.assistant(f"{text} {rng.choice(REPLIES)}"))
        else:
            messages.append(ChatMessage.user(chatter()))
            messages.append(ChatMessage.assistant(rng.choice(REPLIES)))
    messages.append(ChatMessage.user("Before we wrap up, what do you still need from me?"))
    return messages


def kept_facts(messages: list[ChatMessage]) -> int:
    text = "\n".join(m.text for m in messages)
    return sum(1 for *_, key in FACTS if key in text)


@dataclass
class Row:
    strategy: str
    mode: str
    facts: int
    tokens: int
    seconds: float


def one_shot(name: str, compactor: Compactor, messages: list[ChatMessage], target: int) -> Row:
    counter = counter_for_model(MODEL)
    start = time.perf_counter()
    out = compactor(messages, target, counter)
    elapsed = time.perf_counter() - start
    return Row(name, "one-shot", kept_facts(out), counter.count_messages(out), elapsed)


def rolling(name: str, compactor: Compactor, messages: list[ChatMessage], target: int) -> Row:
    session = ChatSession(messages[0].text, max_tokens=target, compactor=compactor, model=MODEL)
    start = time.perf_counter()
    for message in messages[1:]:
        session.add_message(message)
    elapsed = time.perf_counter() - start
    return Row(name, f"rolling ({len(session.compactions)}x)", kept_facts(session.messages),
               session.estimate_tokens(), elapsed)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--with-local-model", action="store_true", help="also summarize with the local model")
    parser.add_argument("--ratio", type=float, default=0.10, help="target share of the tokens (default 0.10)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    strategies: list[tuple[str, Compactor]] = [
        ("Truncate (baseline)", TruncateCompactor()),
        ("SlidingWindow(20)", SlidingWindowCompactor(window=20)),
        ("ToolOutputPruning(60)", ToolOutputPruningCompactor(max_tool_tokens=60, keep_recent=6)),
        ("Summarize(extractive)", SummarizeCompactor(extractive_summarizer, keep_recent=6)),
    ]
    local_note = (
        "local model: not run (sessionforge.providers.local is not importable; pass --with-local-model)"
    )
    try:
        summarizer = local_model_summarizer(max_tokens=200)
    except MissingDependencyError as exc:
        if args.with_local_model:
            local_note = f"local model: requested but unavailable: {exc}"
    else:
        # Pieces of ~1,100 tokens (gpt-4o counting) fit the model's 2,048-token window with their
        # instructions, the summary so far and a 200-token answer, so each piece is one call (the
        # answers, ~50 tokens a second on 2 cores, are most of the time).
        strategies.append(
            ("Summarize(local model)", SummarizeCompactor(summarizer, keep_recent=6, max_request_tokens=1100))
        )
        local_note = "local model: run via sessionforge.providers.local.complete_text" + (
            "" if args.with_local_model else " (one-shot only; --with-local-model adds its rolling case)"
        )

    ok = True
    rolling_too = {name for name, _ in strategies if args.with_local_model or "local model" not in name}
    for label, noisy in (("plain chatter", False), ("noisy chatter (one-off names and numbers)", True)):
        ok = run(label, conversation(args.seed, noisy=noisy), strategies, args.ratio, rolling_too) and ok
    print(local_note)
    return 0 if ok else 1


def run(
    label: str,
    messages: list[ChatMessage],
    strategies: list[tuple[str, Compactor]],
    ratio: float,
    rolling_too: set[str],
) -> bool:
    counter = counter_for_model(MODEL)
    total = counter.count_messages(messages)
    target = int(total * ratio)
    turns = sum(1 for m in messages if m.role == "user")
    print(f"## {label}")
    print(f"conversation: {len(messages)} messages, {turns} user turns, {total} tokens ({MODEL}, exact)")
    print(f"planted facts: {len(FACTS)}; target: {target} tokens ({ratio:.0%})\n")
    rows = [one_shot(name, compactor, messages, target) for name, compactor in strategies]
    rows += [
        rolling(name, compactor, messages, target) for name, compactor in strategies if name in rolling_too
    ]
    print(f"| {'strategy':<24} | {'mode':<15} | {'facts kept':>10} | {'tokens':>6} | {'time':>8} |")
    print(f"|{'-' * 26}|{'-' * 17}|{'-' * 12}|{'-' * 8}|{'-' * 10}|")
    for row in rows:
        share = f"{row.facts}/{len(FACTS)}"
        print(
            f"| {row.strategy:<24} | {row.mode:<15} | {share:>10} | {row.tokens:>6} | "
            f"{row.seconds * 1000:>6.0f}ms |"
        )
    baseline = max(r.facts for r in rows if r.strategy.startswith("Truncate"))
    summarized = min(r.facts for r in rows if r.strategy == "Summarize(extractive)")
    verdict = "yes" if summarized > baseline else "NO"
    print(f"\nsummarizing keeps more facts than truncation: {verdict} ({summarized} vs {baseline})\n")
    return summarized > baseline


if __name__ == "__main__":
    sys.exit(main())
