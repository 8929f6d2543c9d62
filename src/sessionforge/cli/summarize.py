"""``sessions summarize``: a whole session condensed, chunk by chunk, with a rolling summary."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from ..errors import SessionNotFound, UsageError
from ._common import NAMESPACE_OPTION, STORE_OPTION, StoreSpec, closing, console, err_console, friendly, run

if TYPE_CHECKING:  # the summarizers and the session model load when the command runs
    from rich.progress import Progress

    from ..context.chunked import ChunkedSummary
    from ..core.tokens import TokenCounter
    from ..storage.session import Session

__all__ = ["summarize_session"]

SUMMARIZERS = ("extractive", "local")


def _bar() -> Progress:
    """Chunks done, and the time left at the pace so far (the embedded model takes seconds a chunk)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    )


@friendly
def summarize_session(
    session_id: str = typer.Argument(..., help="The session to summarize."),
    strategy: str = typer.Option(
        "key_points", "--strategy", help="basic, key_points, topic_based or query_focused."
    ),
    summarizer_name: str = typer.Option(
        "extractive", "--with", help="extractive (instant, no model) or local (the embedded model: slow)."
    ),
    target_tokens: int | None = typer.Option(
        None, "--target-tokens", min=1, help="Length of the summary (default: 10% of the session's tokens)."
    ),
    chunk_tokens: int = typer.Option(
        1500, "--chunk-tokens", min=50, help="Transcript tokens per summarizer call (the summary rolls)."
    ),
    save: bool = typer.Option(
        False, "--save", help="Append the summary to the session as a SUMMARY event (nothing is removed)."
    ),
    store_url: str | None = STORE_OPTION,
    namespace: str = NAMESPACE_OPTION,
) -> None:
    """Summarize a whole session, chunk by chunk, with a progress bar and ETA; optionally store it."""
    from ..context.chunked import summarize_in_chunks
    from ..context.extractive import extractive_summarizer
    from ..context.summarize import SummarizationStrategy
    from ..context.windowed import local_model_summarizer
    from ..core.projection import transcript
    from ..core.tokens import counter_for_model
    from ..storage.session import Session

    if strategy not in {s.value for s in SummarizationStrategy}:
        raise UsageError(
            f"unknown strategy {strategy!r}: use basic, key_points, topic_based or query_focused"
        )
    if summarizer_name not in SUMMARIZERS:
        raise UsageError(f"unknown summarizer {summarizer_name!r}: use extractive or local")
    store = StoreSpec(store_url, namespace, create=False).open()

    async def work() -> None:
        session = await Session.load(session_id, store)
        if session is None:
            raise SessionNotFound(session_id)
        messages = [m for m in transcript(session) if m.role != "system"]
        if not messages:
            raise UsageError(f"session {session_id} has no conversation to summarize")
        counter = counter_for_model(str(session.metadata.properties.get("model") or "gpt-4o-mini"))
        session_tokens = counter.count_messages(messages)
        target = target_tokens or max(1, session_tokens // 10)
        summarizer = extractive_summarizer if summarizer_name == "extractive" else local_model_summarizer()
        with _bar() as bar:
            task = bar.add_task(f"summarizing ({summarizer_name})", total=None)

            def advance(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            result = await summarize_in_chunks(
                messages,
                summarizer,
                counter=counter,
                strategy=strategy,
                chunk_tokens=chunk_tokens,
                on_chunk=advance,
                target_tokens=target,
            )
        summary_tokens = counter.count_text(result.text) if result.text.strip() else 0
        if not summary_tokens:
            err_console.print(
                f"[yellow]nothing in session {escape(session_id)} was worth keeping:[/] the {summarizer_name} "
                f"summarizer found no facts, names or decisions in its {len(messages)} messages"
                + ("; nothing was saved" if save else "")
                + _other_choices(strategy, summarizer_name)
            )
            raise typer.Exit(1)
        console.print(escape(result.text))
        console.print(
            f"[dim]{len(messages)} messages ({session_tokens} tokens) in {result.chunks} chunks -> summary "
            f"{summary_tokens} tokens (target {target}, {counter.accuracy}); {result.request_tokens} "
            f"request tokens[/]"
        )
        if save:
            await _save(session, result.text, strategy, summarizer_name, result, counter)

    run(closing(store, work()))


def _other_choices(strategy: str, summarizer_name: str) -> str:
    """What else to try after an empty summary: only the choices not already made."""
    others = [
        *(["--strategy basic"] if strategy != "basic" else []),
        *(["--with local"] if summarizer_name != "local" else []),
    ]
    return f" (try {' or '.join(others)})" if others else ""


async def _save(
    session: Session, text: str, strategy: str, name: str, result: ChunkedSummary, counter: TokenCounter
) -> None:
    """Append the summary as a SUMMARY event; only a model's summary names a model."""
    from ..core.events import EventSource, EventType, SessionEvent
    from ..core.projection import MARKS
    from ..core.usage import TokenUsage
    from ..providers.local import MODEL_NAME

    usage = TokenUsage(
        prompt_tokens=result.request_tokens if name == "local" else 0,
        completion_tokens=counter.count_text(text),
        model=MODEL_NAME if name == "local" else "",
        estimated_cost_usd=0.0,  # both run in this process
        accuracy=counter.accuracy,
    )
    event = SessionEvent(
        source=EventSource.LLM if name == "local" else EventSource.SYSTEM,
        type=EventType.SUMMARY,
        message=text,
        token_usage=usage,
        metadata={
            "strategy": strategy,
            "summarizer": name,
            "chunks": result.chunks,
            MARKS: {"note": True},  # for reading: the model's view is unchanged
        },
    )
    await session.add_event_and_save(event)
    console.print(f"saved the summary to {session.id} as event {event.id}")
