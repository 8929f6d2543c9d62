"""Per-turn cost of the session layer at turn 10 and at turn 10,000.

A turn is: add the user message (budget check, automatic compaction when needed), add the reply,
ask for the token estimate. The figure that matters is the ratio: the cost of a turn must not grow
with the length of the conversation (target <= 1.2). Each figure is the median over repeated runs.

    .venv/bin/python bench/session_overhead.py [--turns 10000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from sessionforge import ChatMessage, ChatSession, TruncateCompactor

WINDOW = 100


def run_once(turns: int, max_tokens: int) -> list[float]:
    session = ChatSession(
        system_prompt="You are a concise assistant.",
        max_tokens=max_tokens,
        compactor=TruncateCompactor(),
        safety_margin=0.8,
        model="gpt-4o-mini",
    )
    # Messages are built outside the timed region: the bench measures the session layer.
    questions = [
        ChatMessage.user(f"Question {i}: what about item {i % 97} in 東京? 🚀") for i in range(turns)
    ]
    answers = [ChatMessage.assistant(f"Answer {i}: item {i % 97} is fine, thanks.") for i in range(turns)]
    per_turn: list[float] = []
    clock = time.perf_counter
    for question, answer in zip(questions, answers, strict=True):
        start = clock()
        session.add_message(question)
        session.add_message(answer, enforce=False)
        session.estimate_tokens()
        per_turn.append(clock() - start)
    assert session.estimate_tokens() <= max_tokens
    return per_turn


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--turns", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--max-tokens", type=int, default=4000)
    args = parser.parse_args()

    early, late, totals = [], [], []
    for _ in range(args.repeats):
        times = run_once(args.turns, args.max_tokens)
        early.append(statistics.mean(times[10 : 10 + WINDOW]))
        late.append(statistics.mean(times[-WINDOW:]))
        totals.append(sum(times))
    e, l_ = statistics.median(early), statistics.median(late)
    print(
        f"session overhead: {args.turns} turns, budget {args.max_tokens} tokens, {args.repeats} runs (median)"
    )
    print(f"{'where':<28}{'per turn (us)':>16}")
    print(f"{f'turns 10..{10 + WINDOW - 1}':<28}{e * 1e6:>16.1f}")
    print(f"{f'last {WINDOW} turns':<28}{l_ * 1e6:>16.1f}")
    print(f"{'ratio late / early':<28}{l_ / e:>16.2f}   (target <= 1.2)")
    print(f"{'total time (s)':<28}{statistics.median(totals):>16.3f}")


if __name__ == "__main__":
    main()
