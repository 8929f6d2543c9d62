"""``sessionforge demo``: a session filled past its budget, compacted, and accounted for."""

from __future__ import annotations

import typer

TOPICS = [
    "the history of the printing press",
    "why the sky is blue",
    "how a sourdough starter works",
    "東京の地下鉄の歴史",
    "emoji in commit messages 🚀✨",
    "the rules of go (the board game)",
]


def demo(
    model: str = typer.Option("gpt-4o-mini", help="Model whose tokenizer and prices are used."),
    max_tokens: int = typer.Option(600, help="Token budget of the session."),
    turns: int = typer.Option(24, help="Scripted turns to add."),
) -> None:
    """Fill a session past its budget, let it compact, and show tokens, cost and what was dropped."""
    from rich.console import Console
    from rich.table import Table

    from ..context.compactors import TruncateCompactor
    from ..core.messages import ChatMessage
    from ..core.usage import estimate_cost
    from ..faces.chat_session import ChatSession

    console = Console()
    session = ChatSession(
        system_prompt="You are a concise assistant.",
        max_tokens=max_tokens,
        compactor=TruncateCompactor(),
        safety_margin=0.8,
        model=model,
    )
    table = Table(title=f"{turns} turns into a {max_tokens}-token session ({model})")
    for column in ("turn", "tokens in view", "messages in view", "compactions", "turn cost (USD)"):
        table.add_column(column, justify="right")
    for turn in range(turns):
        topic = TOPICS[turn % len(TOPICS)]
        question = ChatMessage.user(f"Turn {turn}: tell me about {topic}.")
        answer = ChatMessage.assistant(f"Turn {turn}: here are three short facts about {topic}. " * 2)
        before = session.estimate_tokens()
        session.add_message(question)
        session.add_message(answer, enforce=False)
        prompt = before + session.counter.count_message(question)
        cost = estimate_cost(model, prompt, session.counter.count_message(answer))
        table.add_row(
            str(turn),
            str(session.estimate_tokens()),
            str(len(session.messages)),
            str(len(session.compactions)),
            "-" if cost is None else f"{cost:.6f}",
        )
    console.print(table)
    dropped = [m for report in session.compactions for m in report.dropped]
    console.print(
        f"[bold]{len(session.compactions)}[/] compactions dropped [bold]{len(dropped)}[/] messages from "
        f"the view; all {len(session.history)} stay in the history. Token counts are "
        f"[bold]{session.token_accuracy}[/] ({session.counter.key})."
    )
    for message in dropped[:4]:
        console.print(f"  dropped {message.role}: {message.text[:70]}")
    if len(dropped) > 4:
        console.print(f"  ... and {len(dropped) - 4} more")
