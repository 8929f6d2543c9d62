"""The default summarizer: extractive, offline and deterministic, a careful note-taker without a model.

It keeps sentences, never rewrites them, and chooses them the way a note-taker does:

- **What is new in this conversation.** A sentence scores by the terms it is the first to mention,
  each weighted by how rare it is in the conversation (the transcript and the notes so far). Small
  talk and anecdotes said again in other words reuse the conversation's common terms and score low;
  a name that comes up in every other anecdote is not news the fifth time. Digits and capitals earn
  nothing; the shape of a named thing does (``ironbark-two``, ``/srv/builds``, ``ops@x.io``,
  ``--strict``, ``FERN_REGION``), whatever its case.
- **Who said it, and in what mood.** The user's statements outrank the assistant's and the tools';
  a statement in the first or second person, or telling someone what to do, is an instruction, a
  preference, a constraint or a personal fact. Questions are kept only as open questions when the
  strategy asks for them (``QUERY_FOCUSED``).
- **The latest value.** A later statement by the same speaker that says most of what an earlier one
  said, with something new, supersedes it: the earlier sentence is dropped (from the notes so far as
  well) and the later one is listed under "Corrections applied".
- **No decay.** The notes so far are read again with the new transcript, each line with a bonus
  for having been kept, so a fact stays unless superseded (or, when the budget is full, outranked
  by enough that is more worth keeping). Lines filed under "Also mentioned" were kept only because
  there was room.
- **The whole budget, never more.** Lines are added best first while they fit the request's
  ``max_tokens``, counted with the counter the request names (the one that bills the summary).

The function words and person markers it uses are the closed classes of a few languages (English,
Spanish, French, German, Portuguese, Italian); how rare a word is in language at large is read off
the bundled BPE vocabulary; everything else is measured on the conversation.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from ..core.messages import ChatMessage
from ..core.tokens import TokenCounter, counter_for_encoding, counter_for_model
from .summarize import ALSO_SECTION, SummarizationStrategy, SummaryRequest, parse_notes, parse_request

__all__ = ["extractive_summarizer"]

_FACTS, _CORRECTIONS, _QUESTIONS = "Facts", "Corrections applied", "Open questions"

# ---- closed classes -----------------------------------------------------------------------------------

_PERSON = frozenset(
    """
    i i'm i'd i'll i've me my mine myself we we're we'll we've we'd us our ours ourselves you
    you're you'll you've you'd your yours yourself yourselves please let's don't never always yo me
    mí mi mis conmigo nosotros nosotras nuestro nuestra nuestros nuestras tú te ti tu tus contigo
    usted ustedes vosotros vuestro vuestra favor nunca siempre je j' moi mon ma mes nous notre nos
    toi ton ta tes vous votre vos jamais toujours ich mich mir mein meine meinen meinem wir uns
    unser unsere du dich dir dein deine ihr euch bitte nie immer eu meu minha meus minhas nós nosso
    nossa você vocês teu tua sempre io mio mia miei noi nostro nostra voi tuo tua vostro mai
    """.split()  # noqa: SIM905 - a closed class reads best as its words
)
"""First- and second-person words, "please", and never/always: the user speaking of themselves, to
the assistant, or laying down a rule."""

_FUNCTION = frozenset(
    """
    a an the and or but nor so yet if then than that this these those there here it its it's is are
    was were be been being am do does did doing done have has had having will would can could shall
    should may might must of to in on at by for with from as into onto over under about after
    before between through during without within up down out off again further once not no just
    also very too quite really what which who whom whose when where why how all any both each few
    more most other some such only own same one ones every get got gets go goes going went make
    made let like well way thing things they them their theirs he him his she her hers something
    anything nothing everything someone while because though although until unless since per via
    i.e e.g etc yes ok okay oh that's what's there's here's who's isn't aren't wasn't weren't
    doesn't didn't won't wouldn't can't couldn't shouldn't haven't hasn't hadn't el la los las un
    una unos unas lo al del de y e o u ni pero que qué es son era eran ser estar está están estoy
    estamos fue fueron ha han he hemos había se en con por para sin sobre entre hasta desde como
    cómo cuando cuándo donde dónde muy más menos ya también tan este esta estos estas ese esa esos
    esas eso esto aquí allí le les su sus hay si sí pues le la les un une des du de et ou mais donc
    car que qui quoi est sont était être avoir a ont ai dans sur sous avec pour par sans en au aux
    ce cet cette ces se sa son ses leur leurs il elle ils elles on ne pas plus très aussi comme der
    die das den dem des ein eine einen einem einer und oder aber dass ist sind war waren sein haben
    hat habe in im an am auf mit für von zu zum zur bei aus nach über unter nicht auch sehr wie es
    er sie o os as um uma uns umas do da dos das e ou mas que é são era ser estar está têm tem em
    no na nos nas com por para sem sobre como muito mais também isso isto ele ela eles elas seu sua
    il lo gli i uno una di del della dei delle e o ma che è sono era essere avere ha hanno in nel
    nella con per senza su come molto più anche questo questa quello quella
    """.split()  # noqa: SIM905 - a closed class reads best as its words
)
"""Articles, prepositions, auxiliaries, conjunctions and third-person pronouns: words that say how,
never what."""

_TERM = re.compile(r"(?:--?|[#@~/$])?[\w][\w'’.@/:+#*=~-]*")
_IDENTIFIER_INSIDE = re.compile(r"[\w][-_/.@:=+#~][\w]")
_NUMBER = re.compile(r"^[\d.,:/%-]+(?:st|nd|rd|th|k|ms|s|m|h|gb|mb|kb|%)?$")
_DIGITS = re.compile(r"\d+")
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|(?<=[。！？])")
_ABBREVIATION = re.compile(r"\b(?:Dr|Mr|Mrs|Ms|Prof|St|Inc|Ltd|vs|e\.g|i\.e|etc)\.$")
_CALL_MARK = re.compile(r"\[calls [^\]]*\]")
_SPEAKERS = ("user", "assistant", "tool", "notes")

_FIRST_MENTION = 1.0
_LATER_MENTION = 0.25
_FACT_SCORE = 1.6
"""The score from which a sentence is a fact (kept across rolls), not only something mentioned."""
_MENTION_SCORE = 1.0
"""Below this a sentence is not worth its tokens even when there is room (a greeting, a thank-you)."""
_SUPERSEDES = 0.4
"""The share of an earlier statement's weight a later one must repeat to supersede it."""


def _terms(text: str) -> list[str]:
    out = []
    for match in _TERM.finditer(text.lower().replace("’", "'")):
        term = match.group().rstrip(".,:;'’!?)-")
        if term:
            out.append(term)
    return out


def _kind(term: str) -> str:
    """``"number"``, ``"name"`` (an identifier, path, email, flag...) or ``"word"``."""
    if _NUMBER.match(term):
        return "number"
    if (
        term[0] in "-#@~/$"
        or _IDENTIFIER_INSIDE.search(term)
        or (any(c.isdigit() for c in term) and any(c.isalpha() for c in term))
    ):
        return "name"
    return "word"


@lru_cache(maxsize=65536)
def _commonness(term: str) -> float:
    """How rare a word is in language at large, 0.4 (very common) to 1 (rare), read off the BPE
    vocabulary: byte-pair merges are learnt most-frequent first, so a word that is one token with a
    low rank is common, and a word that takes several tokens is rare. Names and numbers count as rare.
    """
    if _kind(term) != "word":
        return 1.0
    ids = counter_for_encoding("o200k_base").encode_ordinary(" " + term)
    if len(ids) > 1:
        return 1.0
    position = (math.log(max(ids[0], _COMMON_RANK)) - math.log(_COMMON_RANK)) / (
        math.log(_RARE_RANK) - math.log(_COMMON_RANK)
    )
    return 0.4 + 0.6 * min(position, 1.0)


_COMMON_RANK, _RARE_RANK = 2_000, 100_000


def _content(term: str) -> bool:
    return term not in _FUNCTION and term not in _PERSON and (len(term) > 2 or _kind(term) != "word")


# ---- candidate sentences ------------------------------------------------------------------------------


@dataclass
class _Unit:
    """One candidate line of the notes: a sentence of the transcript or a line of the notes so far."""

    order: int
    speaker: str
    text: str
    previous_section: str | None = None  # the section it was filed under, for lines of the notes
    terms: list[str] = field(default_factory=list)
    content: set[str] = field(default_factory=set)
    question: bool = False
    repeats: int = 0  # how many more times the same sentence was said
    score: float = 0.0
    superseded: bool = False
    corrects: bool = False

    @property
    def line(self) -> str:
        return f"{self.speaker}: {self.text}" if self.speaker != "notes" else self.text

    @property
    def kept_before(self) -> bool:
        return self.previous_section is not None and self.previous_section != ALSO_SECTION


def _sentences(text: str) -> list[str]:
    out: list[str] = []
    for piece in _SENTENCE_END.split(text):
        if out and _ABBREVIATION.search(out[-1]):
            out[-1] += " " + piece
        else:
            out.append(piece)
    return [s.strip().rstrip(";").strip() for s in out if s.strip().rstrip(";").strip()]


def _speaker_of(label: str) -> str:
    label = label.strip().lower()
    if label == "user":
        return "user"
    if label == "assistant":
        return "assistant"
    return "tool" if label.startswith("tool") else "notes"


def _units(request: SummaryRequest) -> list[_Unit]:
    units: list[_Unit] = []
    for section, lines in parse_notes(request.previous_summary or "").items():
        for line in lines:
            head, sep, rest = line.partition(": ")
            speaker = head.lower() if sep and head.lower() in _SPEAKERS else "notes"
            units.append(_Unit(len(units), speaker, rest if speaker != "notes" else line, section or _FACTS))
    seen: dict[str, _Unit] = {u.text.lower(): u for u in units}
    for line in request.transcript.splitlines():
        label, sep, said = line.partition(": ")
        if not sep:
            continue
        speaker = _speaker_of(label)
        if speaker == "notes":  # a system message: instructions, not conversation
            continue
        for sentence in _sentences(_CALL_MARK.sub("", said)):
            again = seen.get(sentence.lower())
            if again is not None:
                again.repeats += 1
            else:
                seen[sentence.lower()] = _Unit(len(units), speaker, sentence)
                units.append(seen[sentence.lower()])
    for unit in units:
        unit.terms = _terms(unit.text)
        unit.content = {t for t in unit.terms if _content(t)}
        unit.question = unit.text.endswith(("?", "？"))
    return units


def _drop_patterns(units: list[_Unit]) -> list[_Unit]:
    """Sentences that differ only in their numbers, three or more times, are a pattern (log lines,
    status output), not facts."""
    shapes: dict[str, int] = {}
    for unit in units:
        shape = _DIGITS.sub("#", unit.text.lower())
        shapes[shape] = shapes.get(shape, 0) + 1
    return [u for u in units if u.kept_before or shapes[_DIGITS.sub("#", u.text.lower())] < 3]


# ---- scoring ------------------------------------------------------------------------------------------


def _weights(units: Sequence[_Unit]) -> tuple[dict[str, float], dict[str, int]]:
    """Each content term's rarity in the conversation (1 for a term said once) and where it first
    appears."""
    df: dict[str, int] = {}
    first: dict[str, int] = {}
    for unit in units:
        for term in _parts(unit):
            df[term] = df.get(term, 0) + 1
            first.setdefault(term, unit.order)
    total = len(units) + 1
    rarity = {t: math.log(1 + total / n) / math.log(1 + total) for t, n in df.items()}
    return rarity, first


_KIND_WEIGHT = {"name": 1.5, "word": 1.0, "number": 0.4}
_SPEAKER_WEIGHT = {"user": 1.0, "notes": 1.0, "assistant": 0.4, "tool": 0.5}
_KEPT = 1.0
"""What being among the facts of the notes so far adds to a line's score when it is read again."""


def _score(unit: _Unit, rarity: dict[str, float], first: dict[str, int]) -> float:
    values = sorted(
        (
            _KIND_WEIGHT[_kind(t)]
            * rarity[t]
            * _commonness(t)
            * (_FIRST_MENTION if first[t] == unit.order else _LATER_MENTION)
            for t in unit.content
        ),
        reverse=True,
    )
    novelty = sum(values[:3]) + 0.25 * sum(values[3:6])
    mood = 0.0
    if not unit.question:
        mood = 0.3 + (0.8 if any(t in _PERSON for t in unit.terms) else 0.0)
    score = _SPEAKER_WEIGHT[unit.speaker] * (novelty + mood) / (1 + unit.repeats)
    if unit.kept_before:
        score += _KEPT
    return score * (0.4 if unit.question else 1.0)


_PART = re.compile(r"[-_/.@:#~=+]+")


def _parts(unit: _Unit) -> set[str]:
    """Content terms with the parts of each named thing: ``vpn-gw-1.x.io`` also gives vpn, gw, x, io."""
    out = set(unit.content)
    for term in unit.content:
        if _kind(term) == "name":
            out.update(p for p in _PART.split(term) if len(p) > 2 and not p.isdigit() and _content(p))
    return out


def _same_word(a: str, b: str) -> bool:
    """``a`` and ``b`` are one word or forms of one word (deploy/deploys, named/renamed): the shorter,
    at least four letters, starts the longer (a short ending added) or ends it after a short prefix."""
    if a == b:
        return True
    if _kind(a) != "word" or _kind(b) != "word":
        return False
    short, long = sorted((a, b), key=len)
    grown = len(long) - len(short)
    return (
        len(short) >= 4 and grown <= 3 and (long.startswith(short) or (long.endswith(short) and grown <= 2))
    )


def _substituted(earlier: list[str], later: list[str]) -> bool:
    """Whether a word of ``earlier`` is replaced in ``later`` by another between the same neighbour
    ("timeout to sixty seconds", "timeout ninety seconds"): a value changed in the same place."""
    gone = {i for i, t in enumerate(earlier) if t not in later and _content(t)}
    new = {j for j, t in enumerate(later) if t not in earlier and _content(t)}
    for i in gone:
        for j in new:
            for step in (-1, 1):
                a, b = i + step, j + step
                if (
                    0 <= a < len(earlier)
                    and 0 <= b < len(later)
                    and earlier[a] == later[b]
                    and _content(earlier[a])
                ):
                    return True
    return False


def _supersede(units: list[_Unit], rarity: dict[str, float]) -> None:
    """Mark each statement that a later statement of the same speaker restates with a new value.

    The later statement must repeat at least :data:`_SUPERSEDES` of the earlier one's weight in
    words (forms of one word count as one), where a value of the same kind in both (two numbers, two
    named things, two words between the same neighbours) that differ counts as the same slot filled
    anew.
    """
    statements = [u for u in units if not u.question and u.content and u.speaker in ("user", "notes")]
    for index, later in enumerate(statements):
        if later.kept_before:
            continue
        for earlier in statements[:index]:
            added, dropped = later.content - earlier.content, earlier.content - later.content
            if earlier.superseded or not added:
                continue
            # One value swapped and nothing else said ("tell me about Oslo", "tell me about Lima") is
            # a series of parallel statements, not a correction.
            if len(added) == 1 and len(dropped) == 1:
                continue
            words = [t for t in earlier.content if _kind(t) != "number"]
            shared = [t for t in words if any(_same_word(t, m) for m in later.content)]
            if not shared:
                continue
            overlap = sum(rarity.get(t, 1.0) for t in shared)
            total = sum(rarity.get(t, 1.0) for t in words) or 1.0
            slots = {
                kind
                for kind in ("number", "name")
                if any(_kind(t) == kind for t in earlier.content - later.content)
                and any(_kind(t) == kind for t in later.content - earlier.content)
            }
            if len(shared) > 1 and _substituted(earlier.terms, later.terms):
                slots.add("word")
            overlap += len(slots)  # the same slot, a new value
            total += len(slots)
            # One shared word is a coincidence ("the box is named X", "the package is named Y")
            # unless it is what the earlier statement is about (its first word) or a number changed.
            about = next((t for t in earlier.terms if t in words), None)
            if len(shared) < 2 and about not in shared and "number" not in slots:
                continue
            if overlap / total >= _SUPERSEDES:
                earlier.superseded = True
                later.corrects = later.corrects or (
                    earlier.score >= _FACT_SCORE and later.score >= _FACT_SCORE
                )


# ---- choosing within the budget -----------------------------------------------------------------------


def _counter(request: SummaryRequest) -> TokenCounter:
    key = request.counter_key
    if key in ("o200k_base", "cl100k_base"):
        return counter_for_encoding(key)
    return counter_for_model(key)


def _section(unit: _Unit, strategy: SummarizationStrategy) -> str:
    if unit.question:
        return _QUESTIONS
    if unit.corrects or unit.previous_section == _CORRECTIONS:
        return _CORRECTIONS
    if unit.score >= _FACT_SCORE:
        return _FACTS
    return ALSO_SECTION


def _render(chosen: Iterable[_Unit], strategy: SummarizationStrategy) -> str:
    sections: dict[str, list[_Unit]] = {}
    for unit in sorted(chosen, key=lambda u: u.order):
        sections.setdefault(_section(unit, strategy), []).append(unit)
    blocks = []
    for name in (_FACTS, _CORRECTIONS, _QUESTIONS, ALSO_SECTION):
        if sections.get(name):
            blocks.append(f"{name}:\n" + "\n".join(f"- {u.line}" for u in sections[name]))
    return "\n".join(blocks)


def extractive_summarizer(request: list[ChatMessage]) -> str:
    """Summarize a request built by :func:`~.summarize.build_summary_request` by choosing sentences.

    See the module documentation for what is kept. Without a ``max_tokens`` in the request only the
    facts are kept; with one, what room is left after the facts goes to the best of the rest. A
    request not built by sessionforge is read as one transcript with no budget.
    """
    parsed = parse_request(request)
    if parsed is None:
        text = "\n".join(m.text for m in request if m.role != "system")
        parsed = SummaryRequest(SummarizationStrategy.KEY_POINTS, None, None, text)
    units = _drop_patterns(_units(parsed))
    rarity, first = _weights(units)
    for unit in units:
        unit.score = _score(unit, rarity, first)
    _supersede(units, rarity)
    wants_questions = parsed.strategy == SummarizationStrategy.QUERY_FOCUSED
    live = [u for u in units if not u.superseded and (wants_questions or not u.question or u.kept_before)]
    if wants_questions:
        for unit in live:
            if unit.question and unit.speaker == "user":
                unit.score += _FACT_SCORE
    ranked = sorted(live, key=lambda u: (u.score < _FACT_SCORE, -u.score, -u.order))
    if parsed.max_tokens is None:
        return _render((u for u in ranked if u.score >= _FACT_SCORE), parsed.strategy)
    return _fill(ranked, parsed.max_tokens, _counter(parsed), parsed.strategy)


def _fill(ranked: list[_Unit], budget: int, counter: TokenCounter, strategy: SummarizationStrategy) -> str:
    """The best lines that fit ``budget`` tokens as rendered, counted by ``counter``."""
    chosen: list[_Unit] = []
    used = 0
    headings: set[str] = set()
    for unit in ranked:
        if unit.score < _MENTION_SCORE:
            continue
        section = _section(unit, strategy)
        cost = counter.count_text(f"- {unit.line}") + 1
        if section not in headings:
            cost += counter.count_text(f"{section}:") + 1
        if used + cost > budget:
            continue
        chosen.append(unit)
        headings.add(section)
        used += cost
    text = _render(chosen, strategy)
    while chosen and counter.count_text(text) > budget:  # merges across lines can differ by a token
        chosen.pop()
        text = _render(chosen, strategy)
    return text
