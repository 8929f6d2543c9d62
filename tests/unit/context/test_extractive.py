"""The extractive summarizer: what a careful note-taker keeps, within the budget, without decay."""

from __future__ import annotations

import random

from sessionforge.context.extractive import extractive_summarizer
from sessionforge.context.summarize import (
    ALSO_SECTION,
    SummarizationStrategy,
    build_summary_request,
    is_summary,
    parse_notes,
    summary_body,
)
from sessionforge.context.summarizing import SummarizeCompactor
from sessionforge.core.messages import ChatMessage
from sessionforge.core.tokens import counter_for_model

COUNTER = counter_for_model("gpt-4o")
NAMES = ["Marta", "Kofi", "Lin", "Tomasz", "Priya", "Jonas", "Ingrid", "Yusuf"]
CITIES = ["Lisbon", "Berlin", "Lagos", "Osaka", "Montreal", "Krakow"]
REACTIONS = ["ok, makes sense", "right, I think I follow", "cool, good to know", "thanks, that helps a lot"]
ADVICE = [
    "A common pattern is to start small, measure for two weeks, then adjust.",
    "Caching helps here, as long as you decide up front when an entry becomes stale.",
    "Small, reversible steps are easier to recover from than one big change.",
]


def chat(facts: dict[int, str], turns: int = 60, seed: int = 3) -> list[ChatMessage]:
    """User turns of reactions and anecdotes full of names and numbers, ``facts`` at their turns."""
    rng = random.Random(seed)
    messages = []
    for turn in range(turns):
        said = rng.choice(REACTIONS) + "."
        if rng.random() < 0.7:
            name, other = rng.sample(NAMES, 2)
            said += f" {name} from {rng.choice(CITIES)} counted {rng.randint(3, 900)} tickets with {other}."
        if turn in facts:
            said += f" {facts[turn]}"
        messages += [ChatMessage.user(said), ChatMessage.assistant(" ".join(rng.sample(ADVICE, 2)))]
    return messages


def summarize(messages: list[ChatMessage], max_tokens: int | None, **options: object) -> str:
    request = build_summary_request(messages, max_tokens=max_tokens, counter=COUNTER, **options)  # type: ignore[arg-type]
    return extractive_summarizer(request)


def test_lower_case_preferences_outrank_chatter_full_of_names_and_numbers() -> None:
    facts = {
        5: "keep your replies formal please, and no emoji",
        17: "we never deploy on fridays",
        29: "i'm vegetarian, so skip the steakhouse",
        41: "my daughter ines starts school in september",
    }
    summary = summarize(chat(facts), 120)
    notes = parse_notes(summary)
    kept = "\n".join(notes.get("Facts", []))
    assert all(fact in kept for fact in facts.values())
    assert COUNTER.count_text(summary) <= 120


def test_named_things_are_kept_whatever_their_case() -> None:
    facts = {
        4: "the build box is named ironbark-two",
        12: "artifacts go to /srv/builds/nightly",
        20: "page ops-alerts@fernleaf.io if it breaks",
        28: "always lint with --strict-imports",
        36: "set FERN_REGION to eu-west-3",
    }
    summary = summarize(chat(facts), 160)
    for key in (
        "ironbark-two",
        "/srv/builds/nightly",
        "ops-alerts@fernleaf.io",
        "--strict-imports",
        "FERN_REGION",
    ):
        assert key in summary


def test_a_correction_replaces_the_value_it_corrects() -> None:
    facts = {6: "set the request timeout to sixty seconds", 40: "actually, make the timeout ninety seconds"}
    summary = summarize(chat(facts), 150)
    notes = parse_notes(summary)
    assert "timeout to sixty" not in summary
    assert any("ninety seconds" in line for line in notes["Corrections applied"])


def test_the_budget_is_used_and_never_passed() -> None:
    things = [
        "queue",
        "bucket",
        "host",
        "mirror",
        "proxy",
        "vault",
        "tracker",
        "dashboard",
        "runner",
        "registry",
        "wiki",
        "channel",
        "cluster",
        "gateway",
        "broker",
        "cache",
        "index",
        "ledger",
        "archive",
        "scheduler",
        "pager",
        "relay",
        "sandbox",
        "backup",
    ]
    rng = random.Random(9)
    facts = {
        3 * i: f"our {thing} is called {rng.choice(NAMES).lower()}-{thing[:3]}"
        for i, thing in enumerate(things)
    }
    messages = chat(facts, turns=80)
    for budget in (40, 150):  # less room than the facts need: filled, never passed
        used = COUNTER.count_text(summarize(messages, budget))
        assert budget * 0.8 <= used <= budget
    roomy = summarize(messages, 1000)  # room to spare: every fact, and no more than the budget
    assert all(fact in roomy for fact in facts.values())
    assert COUNTER.count_text(roomy) <= 1000


def test_without_a_budget_only_the_facts_are_kept() -> None:
    summary = summarize(chat({10: "my manager is oren, he signs off on expenses"}), None)
    assert "oren" in summary
    assert ALSO_SECTION not in parse_notes(summary)


def test_the_same_request_gives_the_same_summary() -> None:
    messages = chat({8: "we keep backups for thirty-five days"})
    assert summarize(messages, 100) == summarize(messages, 100)


def test_other_languages() -> None:
    rng = random.Random(5)
    messages = []
    for turn in range(40):
        said = rng.choice(["vale, ya veo.", "gracias, me ayuda mucho.", "claro, lo pruebo luego."])
        said += f" {rng.choice(NAMES)} contó {rng.randint(3, 900)} incidencias en {rng.choice(CITIES)}."
        if turn == 9:
            said += " el servidor de pruebas se llama alcornoque"
        if turn == 21:
            said += " nunca desplegamos los viernes"
        messages += [ChatMessage.user(said), ChatMessage.assistant("Depende de la carga.")]
    summary = summarize(messages, 90)
    assert "alcornoque" in summary and "los viernes" in summary


def test_query_focused_keeps_the_users_questions() -> None:
    messages = [ChatMessage.user("how does caching work here?"), ChatMessage.assistant("it depends")]
    focused = summarize(messages, 100, strategy=SummarizationStrategy.QUERY_FOCUSED)
    assert "how does caching work here?" in parse_notes(focused)["Open questions"][0]
    assert "caching" not in summarize(messages, 100)


def test_a_request_not_built_here_is_read_as_a_transcript() -> None:
    summary = extractive_summarizer([ChatMessage.user("User: the build box is named ironbark-two")])
    assert "ironbark-two" in summary


def test_a_fact_kept_once_survives_later_compactions() -> None:
    compactor = SummarizeCompactor(keep_recent=4, max_summary_tokens=200)
    messages = [ChatMessage.system("Be helpful."), *chat({2: "my flight out is on the 15th"}, turns=8)]
    seen_in: list[int] = []
    for round_ in range(12):
        messages = compactor([*messages, *chat({}, turns=6, seed=round_)], 500, COUNTER)
        summary = next(m for m in messages if is_summary(m))
        if "flight out is on the 15th" in summary_body(summary):
            seen_in.append(round_)
    assert seen_in == list(range(12))
