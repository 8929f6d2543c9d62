"""Conversation families for the context-fidelity bench, written the way people talk.

Each family is a long conversation with about twenty things a careful note-taker would keep (a
preference, a constraint, a personal detail, an identifier, a decision, a tool's finding) and four
corrections (a value stated, then changed later). Facts are mostly lower case and plain, the way
users type; between them runs what a real conversation is mostly made of: acknowledgements and
side questions said in ever new words, anecdotes full of names and numbers, long generic answers,
tool logs. A fact counts as kept when its key (a short string, compared without case) is in the
context the model would read; a correction counts as applied when the new key is there and the
superseded key is not.

The families are data, not code that knows about any summarizer: :func:`check_keys` only makes sure
that every key appears in its own sentence and nowhere else in the conversation, so that a key found
in a summary really comes from the fact.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["FAMILIES", "Correction", "Fact", "Family", "Turn", "build", "check_keys", "key_pattern"]


@dataclass(frozen=True)
class Fact:
    who: str  # "user", "assistant" or "tool"
    text: str
    key: str


@dataclass(frozen=True)
class Correction:
    before: Fact  # its key is the superseded value
    after: Fact  # its key is the value that holds


@dataclass
class Turn:
    """One exchange: what the user said, maybe a tool run, and the reply."""

    user: str
    reply: str
    tool: tuple[str, dict[str, str], str] | None = None  # (name, arguments, output)
    planted: list[str] = field(default_factory=list)  # the texts planted in this turn


@dataclass(frozen=True)
class Family:
    name: str
    system: str
    facts: list[Fact]
    corrections: list[Correction]
    chatter: Callable[[random.Random], str]
    noise: Callable[[random.Random], str]
    replies: Callable[[random.Random], str]
    acks: list[str]
    noise_share: float = 0.25
    tool_share: float = 0.0
    tool: Callable[[random.Random, str | None], tuple[str, dict[str, str], str]] | None = None
    turns: int = 220


# ---- the filler every English family shares ---------------------------------------------------------

_OPENERS = [
    "ok", "right", "hm", "got it", "sure", "alright", "yeah", "makes sense", "fair enough", "cool",
    "interesting", "oh nice", "hmm okay", "thanks", "great", "ah I see", "nice one", "okay okay",
    "good", "perfect", "huh", "I see", "yep", "ooh", "cheers",
]  # fmt: skip
_BODIES = [
    "that's clearer now", "can you go over the second part again", "I think I follow",
    "what would you do in my place", "is that the usual way people do it",
    "let me think about it for a sec", "I'm not sure I get the difference",
    "that sounds like a lot of work", "how long would that take roughly", "I'll try that later today",
    "what are the downsides", "does that hold up when things get busy", "is there an easier option",
    "can you give an example", "I was wondering about that too", "that's what I suspected",
    "so basically it's a trade-off", "good to know", "I had no idea it worked like that",
    "that's more or less what I expected", "could you put that in simpler words",
    "and what if it goes wrong halfway", "say more about that", "is that a common mistake",
    "that helps a lot", "I'll keep that in mind", "what would you check first",
    "would that still work next year", "how sure are you about that", "is there a catch",
    "makes me wonder why we didn't do it earlier", "I keep forgetting how that part works",
    "wait, why is that", "that's a relief honestly", "that rings a bell", "can we come back to it later",
    "I like that approach", "that seems a bit much", "what do most people pick", "any pitfalls there",
]  # fmt: skip
_CLOSERS = ["", "", "", " thanks", " anyway", " I guess", " for now", " though", " honestly", " :)"]

_NAMES = [
    "Marta", "Kofi", "Lin", "Tomasz", "Priya", "Jonas", "Aiyana", "Rafael", "Ingrid", "Yusuf", "Mei",
    "Chloé", "Oluwaseun", "Hana", "Mateo", "Freya", "Arjun", "Sven", "Leila", "Gustavo", "Noor",
    "Bartek", "Emeka", "Sunniva", "Kenji",
]  # fmt: skip
_CITIES = [
    "Lisbon", "Berlin", "Lagos", "Osaka", "Montreal", "Krakow", "Nairobi", "Lyon", "Bergen", "Austin",
    "Seville", "Pune", "Melbourne", "Gdansk", "Bogotá", "Tallinn",
]  # fmt: skip
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "October", "December"]
_TEAMS = ["design", "QA", "support", "marketing", "data", "mobile", "finance", "sales"]
_NOISE = [
    "{name} from {city} counted {n} tickets in {month}",
    "{name} said the {team} standup ran {n} minutes over again",
    "fun fact, {name} has {n} browser tabs open right now",
    "{name} is back from {city}, says it was {n} degrees there",
    "the {team} channel hit {n} messages yesterday, mostly {name} posting memes",
    "{name} ran a {n}k race in {city} last {month}",
    "the coffee machine on floor {n} broke again and {name} is furious",
    "{name} and {name2} spent {n} minutes arguing about tabs versus spaces",
    "I saw {name} at the {city} meetup, there were like {n} people",
    "{name} ordered {n} pizzas for the {team} retro",
    "{name} from {team} says their build took {n} minutes this morning",
    "my cousin in {city} just adopted {n} cats, long story",
    "{name} claims the {city} office has {n} plants now",
    "the {team} team is doing a {n} day hackathon in {month}",
    "{name} got a parking ticket in {city}, {n} euros",
    "{name} told me {name2} read {n} books in {month}",
    "apparently {name} answered {n} support emails before lunch",
    "{name} is moving to {city} in {month}, {n} boxes packed already",
    "the quiz night had {n} teams and {name}'s team came last",
    "{name} says the {team} budget spreadsheet has {n} tabs",
    "{name} and I walked {n} steps at the {city} conference",
    "heard {name} from {team} bought a {n} euro keyboard",
]  # fmt: skip


def english_chatter(rng: random.Random) -> str:
    body = rng.choice(_BODIES)
    question = body.split()[0] in {"can", "what", "how", "is", "does", "could", "and", "wait", "would", "any"}
    said = f"{rng.choice(_OPENERS)}, {body}" + ("?" if question else f"{rng.choice(_CLOSERS)}.")
    return said[0].upper() + said[1:] if rng.random() < 0.5 else said


def english_noise(rng: random.Random) -> str:
    name, name2 = rng.sample(_NAMES, 2)
    text = rng.choice(_NOISE).format(
        name=name,
        name2=name2,
        city=rng.choice(_CITIES),
        month=rng.choice(_MONTHS),
        team=rng.choice(_TEAMS),
        n=rng.randint(3, 950),
    )
    return ("btw " if rng.random() < 0.3 else "") + text + "."


_ADVICE = [
    "The short version is that it trades a little latency for much simpler operations.",
    "In most setups the default is fine; change it only when measurements say so.",
    "Think of it as a queue in front of the service: requests wait instead of failing.",
    "It is worth writing a small test for it so that it stays that way.",
    "A common pattern is to start small, measure for two weeks, then adjust.",
    "I would add monitoring before rolling it out widely.",
    "It depends on the workload, but for yours the simple option should be enough.",
    "The main risk is that two people change the same thing at the same time.",
    "Most teams keep a checklist for this, because the steps are easy to forget under pressure.",
    "If you automate one part, make it the part that fails most often.",
    "Caching helps here, as long as you decide up front when an entry becomes stale.",
    "An idempotency key lets you retry safely without doing the work twice.",
    "Exponential backoff with jitter keeps clients from retrying in lockstep.",
    "You can think of the trade-off as consistency now versus availability later.",
    "Write down the decision and the reason, so the next person does not reopen it.",
    "Spreadsheets work well until more than three people edit them every day.",
    "A weekly review of the numbers usually catches drift before it becomes a problem.",
    "Batching the work reduces overhead, but it makes each failure a bit bigger.",
    "Plan for the busiest day of the year, not the average one.",
    "A dry run on a copy of the data is cheap insurance.",
    "Small, reversible steps are easier to recover from than one big change.",
    "Naming things consistently saves a surprising amount of time later.",
    "Alerts should point at something a person can act on, otherwise they get ignored.",
    "Documentation goes stale quickly unless someone owns it.",
    "When two options are close, pick the one that is easier to undo.",
    "Timeouts should be shorter than the caller's own timeout, or errors pile up.",
    "A feature flag lets you ship the code before you switch the behaviour on.",
    "Rate limits protect you from your own scripts as much as from other people.",
    "Keeping the configuration in version control makes every change reviewable.",
    "If a step needs a human, say who and by when, or it will quietly stall.",
    "Measure before and after; otherwise it is hard to tell whether the change helped.",
    "Vendors often have a free tier that covers a small team comfortably.",
    "A shared calendar with clear owners avoids most scheduling surprises.",
    "Keep a short log of what you tried and what happened; it pays off during reviews.",
    "For people who read on phones, short paragraphs and clear headings matter most.",
    "Local suppliers are often more flexible on order sizes than the big distributors.",
    "A simple rule that everyone remembers beats a clever one nobody follows.",
    "Try the cheapest experiment that could prove the idea wrong.",
]
_ACKS_EN = [
    "Noted.", "Understood, I'll keep that in mind.", "Got it, thanks for telling me.", "Okay, noted.",
    "Thanks, that's useful to know.", "Understood.", "All right, I'll work with that.",
]  # fmt: skip


def english_replies(rng: random.Random) -> str:
    return " ".join(rng.sample(_ADVICE, rng.randint(2, 4)))


# ---- families -----------------------------------------------------------------------------------------

PREFERENCES = Family(
    name="preferences",
    system="You are a helpful personal assistant.",
    facts=[
        Fact("user", "keep your replies formal please, and no emoji", "no emoji"),
        Fact("user", "we never deploy on fridays, that's a hard rule here", "fridays"),
        Fact("user", "i'm vegetarian, so skip any steakhouse ideas", "vegetarian"),
        Fact("user", "use metric units with me, i can't picture miles", "metric"),
        Fact("user", "my daughter ines starts school in september", "ines"),
        Fact("user", "i'd rather get short answers with the code first", "code first"),
        Fact("user", "don't suggest aws, the whole company is on gcp", "gcp"),
        Fact("user", "i'm allergic to peanuts by the way", "peanuts"),
        Fact("user", "call me dani, everyone does", "dani"),
        Fact("user", "the offsite budget is about two thousand euros, no more", "two thousand euros"),
        Fact("user", "we write the frontend in typescript only", "typescript"),
        Fact("user", "i work four days a week, wednesdays are my day off", "wednesdays"),
        Fact("user", "always cite a source when you quote a number", "cite a source"),
        Fact("user", "my manager is oren, he signs off on expenses", "oren"),
        Fact("user", "i'm colorblind, so please avoid red and green in charts", "colorblind"),
        Fact("user", "we're a nonprofit, so nothing that costs over fifty a month", "fifty a month"),
        Fact("user", "my laptop is an old thinkpad with 8gb of ram", "thinkpad"),
        Fact("user", "i'm learning portuguese, slowly", "portuguese"),
        Fact("user", "my timezone is utc-1, i live in the azores", "azores"),
        Fact("user", "i hate long meetings, keep anything you plan under thirty minutes", "thirty minutes"),
    ],
    corrections=[
        Correction(
            Fact("user", "let's have the team dinner on thursday", "dinner on thursday"),
            Fact(
                "user",
                "actually move the dinner to tuesday, thursday is bad for the boss",
                "dinner to tuesday",
            ),
        ),
        Correction(
            Fact("user", "send me the weekly digest on monday mornings", "digest on monday"),
            Fact("user", "switch the digest to sunday evenings instead", "sunday evenings"),
        ),
        Correction(
            Fact("user", "my flight out is on the 12th", "out is on the 12th"),
            Fact("user", "scratch that, the flight got moved to the 15th", "15th"),
        ),
        Correction(
            Fact("user", "the offsite will be in porto", "in porto"),
            Fact("user", "change of plan: the offsite moves to braga", "braga"),
        ),
    ],
    chatter=english_chatter,
    noise=english_noise,
    replies=english_replies,
    acks=_ACKS_EN,
)

CORRECTIONS = Family(
    name="corrections",
    system="You are a careful engineering assistant.",
    facts=[
        Fact("user", "the service is called ledgerline", "ledgerline"),
        Fact("user", "we run it on kubernetes with three replicas", "three replicas"),
        Fact("user", "logs go to loki, not elasticsearch", "loki"),
        Fact("user", "retries should back off exponentially, capped at five attempts", "five attempts"),
        Fact("user", "the pager goes to the payments rotation", "payments rotation"),
        Fact("user", "our p99 latency goal is 250 ms", "250 ms"),
        Fact("user", "we keep backups for thirty-five days", "thirty-five days"),
        Fact("user", "main is protected, every change needs two approvals", "two approvals"),
        Fact("user", "the database is postgres 15 on a managed instance", "postgres 15"),
        Fact("user", "feature flags live in a yaml file in the repo, no external service", "yaml file"),
        Fact("user", "i own the api layer and sana owns the workers", "sana"),
        Fact("user", "we release every second wednesday", "second wednesday"),
        Fact("user", "customer data must stay in the eu", "stay in the eu"),
        Fact("user", "the error budget is half a percent per quarter", "half a percent"),
        Fact("user", "tests run on every push, the suite takes about eight minutes", "eight minutes"),
        Fact("user", "we do trunk-based development, short-lived branches only", "trunk-based"),
        Fact("user", "metrics are scraped every fifteen seconds", "fifteen seconds"),
        Fact("user", "the staging cluster shuts down at night to save money", "shuts down at night"),
        Fact("user", "secrets come from vault, never from env files", "vault"),
        Fact("assistant", "For the record, we agreed the health check endpoint is /healthz.", "/healthz"),
    ],
    corrections=[
        Correction(
            Fact("user", "set the request timeout to sixty seconds", "timeout to sixty"),
            Fact("user", "actually, make the timeout ninety seconds, not sixty", "ninety seconds"),
        ),
        Correction(
            Fact("user", "the staging database listens on port 5433", "5433"),
            Fact("user", "sorry, i misremembered, staging is on 6543", "6543"),
        ),
        Correction(
            Fact("user", "we'll call the new project kestrel", "project kestrel"),
            Fact("user", "legal didn't like kestrel, the project name is harrier now", "harrier"),
        ),
        Correction(
            Fact("user", "keep the max batch size at 500", "at 500"),
            Fact("user", "bump the batch size to 2000, the workers can take it", "batch size to 2000"),
        ),
    ],
    chatter=english_chatter,
    noise=english_noise,
    replies=english_replies,
    acks=_ACKS_EN,
)

IDENTIFIERS = Family(
    name="identifiers",
    system="You are a careful engineering assistant.",
    facts=[
        Fact("user", "the build box is named ironbark-two", "ironbark-two"),
        Fact("user", "artifacts go to /srv/builds/nightly", "/srv/builds/nightly"),
        Fact("user", "if something breaks, page ops-alerts@fernleaf.io", "ops-alerts@fernleaf.io"),
        Fact("user", "always run the linter with --strict-imports", "--strict-imports"),
        Fact("user", "the region env var is FERN_REGION and it should be eu-west-3", "eu-west-3"),
        Fact("user", "my ssh key is at ~/.ssh/id_fern_ed25519", "id_fern_ed25519"),
        Fact("user", "the repo is gitlab.fernleaf.io/platform/harvest", "platform/harvest"),
        Fact("user", "use node 20.11, anything newer breaks the bundler", "node 20.11"),
        Fact("user", "the feature branch is feat/ledger-sync", "feat/ledger-sync"),
        Fact("user", "our jira project key is plat, tickets look like plat-1234", "plat-1234"),
        Fact("user", "the grafana dashboard id is k8s-cap-07", "k8s-cap-07"),
        Fact("user", "deploys go through make ship-canary", "ship-canary"),
        Fact("user", "the config lives in harvest.toml at the repo root", "harvest.toml"),
        Fact("user", "the ci service account is svc-harvest-ci", "svc-harvest-ci"),
        Fact("user", "the runbook is at wiki.fernleaf.io/harvest/runbook", "harvest/runbook"),
        Fact("user", "the bucket is fern-harvest-artifacts-eu", "fern-harvest-artifacts-eu"),
        Fact("user", "cleanup runs from cron at 15 3 * * *", "15 3 * * *"),
        Fact("user", "my github handle is tavi-ok", "tavi-ok"),
        Fact("user", "the image is registry.fernleaf.io/harvest/api", "harvest/api"),
        Fact("user", "the test database is harvest_test on localhost", "harvest_test"),
    ],
    corrections=[
        Correction(
            Fact("user", "the vpn gateway is vpn-gw-1.fernleaf.io", "vpn-gw-1"),
            Fact("user", "correction, the vpn gateway moved to vpn-gw-4.fernleaf.io", "vpn-gw-4"),
        ),
        Correction(
            Fact("user", "the python package is named harvest-core", "harvest-core"),
            Fact("user", "we renamed it, the package is fernleaf-harvest now", "fernleaf-harvest"),
        ),
        Correction(
            Fact("user", "send alerts to the #harvest-alerts channel", "#harvest-alerts"),
            Fact("user", "alerts go to #plat-oncall from now on", "#plat-oncall"),
        ),
        Correction(
            Fact("user", "the api listens on port 8080", "port 8080"),
            Fact("user", "the api port changed to 9090 because of a clash", "9090"),
        ),
    ],
    chatter=english_chatter,
    noise=english_noise,
    replies=english_replies,
    acks=_ACKS_EN,
)

NOISY = Family(
    name="noisy chatter",
    system="You help a small bakery owner run the shop.",
    facts=[
        Fact("user", "the shop opens at half past eight on weekdays", "half past eight"),
        Fact("user", "we only take card payments, no cash", "no cash"),
        Fact("user", "my business partner is called joaquim", "joaquim"),
        Fact("user", "our flour supplier is moinho velho", "moinho velho"),
        Fact("user", "i want the newsletter to go out on the first of every month", "first of every month"),
        Fact("user", "we're closed on sundays", "closed on sundays"),
        Fact("user", "keep prices in euros with vat included", "vat included"),
        Fact("user", "the customer wifi password is crumb-and-crust", "crumb-and-crust"),
        Fact("user", "my accountant is leonor, she needs the receipts by the 5th", "leonor"),
        Fact("user", "gluten-free items must be on a separate shelf", "separate shelf"),
        Fact("user", "don't post anything on instagram without me seeing it first", "instagram"),
        Fact("user", "our delivery radius is three kilometres", "three kilometres"),
        Fact("user", "the oven needs servicing every six months", "every six months"),
        Fact("user", "i'm trying to cut the sugar in the recipes by a fifth", "by a fifth"),
        Fact("user", "the landlord is senhor abreu", "abreu"),
        Fact("user", "we pay the staff on the 28th", "on the 28th"),
        Fact("user", "no more than two interns at once", "two interns"),
        Fact("user", "the loyalty card gives a free coffee after nine stamps", "nine stamps"),
        Fact("user", "write to customers in a warm but brief tone", "warm but brief"),
        Fact("user", "our insurance renews in november", "renews in november"),
    ],
    corrections=[
        Correction(
            Fact("user", "the tasting event is on the 14th", "on the 14th"),
            Fact("user", "the tasting got pushed to the 21st", "21st"),
        ),
        Correction(
            Fact("user", "order forty kilos of flour a week", "forty kilos"),
            Fact("user", "let's go down to thirty kilos of flour a week", "thirty kilos"),
        ),
        Correction(
            Fact("user", "the new hire starts as a baker", "as a baker"),
            Fact("user", "actually the new hire will work the counter, not the ovens", "the counter"),
        ),
        Correction(
            Fact("user", "the logo should be dark green", "dark green"),
            Fact("user", "we went with terracotta for the logo in the end", "terracotta"),
        ),
    ],
    chatter=english_chatter,
    noise=english_noise,
    replies=english_replies,
    acks=_ACKS_EN,
    noise_share=0.8,
)

_LOG_SERVICES = ["checkout-api", "cart-svc", "edge-proxy", "nats-relay", "auth-gw"]
_LOG_LINES = [
    "INFO {svc}-{i} handled {n} requests in the last minute",
    "INFO {svc}-{i} health check ok ({n} ms)",
    "DEBUG {svc}-{i} cache hit ratio 0.{n}",
    "INFO {svc}-{i} gc cycle finished, heap {n} MiB",
    "INFO {svc}-{i} connection pool size {n}",
    "DEBUG {svc}-{i} span exported batch={n}",
]


def incident_tool(rng: random.Random, fact: str | None) -> tuple[str, dict[str, str], str]:
    """A log query: dozens of routine lines, and the finding (if any) somewhere among them."""
    service = rng.choice(_LOG_SERVICES)
    lines = [
        f"08:{rng.randint(10, 59)}:{rng.randint(10, 59)} "
        + rng.choice(_LOG_LINES).format(
            svc=rng.choice(_LOG_SERVICES), i=rng.randint(1, 9), n=rng.randint(10, 99)
        )
        for _ in range(rng.randint(25, 45))
    ]
    if fact is not None:
        lines.insert(rng.randint(5, len(lines) - 5), f"08:{rng.randint(10, 59)}:{rng.randint(10, 59)} {fact}")
    return "query_logs", {"service": service, "since": "06:00"}, "\n".join(lines)


TOOL_LOGS = Family(
    name="tool logs",
    system="You are an on-call assistant with access to log and metrics tools.",
    facts=[
        Fact("user", "we're investigating the checkout slowness from this morning", "checkout slowness"),
        Fact("user", "don't restart anything in prod without asking me", "without asking me"),
        Fact("user", "the incident channel is #inc-4412", "#inc-4412"),
        Fact("user", "i'm the incident lead today", "incident lead"),
        Fact("user", "keep a timeline of everything we try", "timeline"),
        Fact("user", "the cache is redis and the queue is nats", "queue is nats"),
        Fact("user", "customers in brazil reported it first", "brazil"),
        Fact("user", "rollbacks need a second person to confirm", "second person"),
        Fact("user", "the payment provider has had a warning on their status page since 07:40", "07:40"),
        Fact("user", "we suspect the connection pool, not the database", "suspect the connection pool"),
        Fact("tool", "ERROR checkout-api-7 pool exhausted: 200/200 connections in use", "pool exhausted"),
        Fact("tool", "WARN checkout-api-3 gc pause 2.3s", "gc pause 2.3s"),
        Fact("tool", "INFO deploy 8812 rolled out by ci-bot", "deploy 8812"),
        Fact("tool", "WARN disk /var/lib/nats 93% used", "93% used"),
        Fact("tool", "WARN checkout-api p99 latency 4870ms (baseline 310ms)", "4870ms"),
        Fact("tool", "INFO config change: pool_max 400 -> 200", "pool_max 400 -> 200"),
        Fact(
            "assistant", "Decision: we hold all deploys until the pool fix is verified.", "hold all deploys"
        ),
        Fact("user", "the postmortem is due friday", "postmortem"),
        Fact("user", "loop in dmitri from the db team if it turns out to be the database", "dmitri"),
        Fact("user", "the fix should go behind the pool_autoscale flag", "pool_autoscale"),
    ],
    corrections=[
        Correction(
            Fact("user", "the status page should say minor incident", "minor incident"),
            Fact("user", "upgrade the status page to major outage", "major outage"),
        ),
        Correction(
            Fact("user", "set the pool size back to 300", "back to 300"),
            Fact("user", "make the pool 400 instead, 300 won't cover the peak", "pool 400"),
        ),
        Correction(
            Fact("user", "the incident started at 07:45", "at 07:45"),
            Fact("user", "correction: it started at 07:32, right after the deploy", "07:32"),
        ),
        Correction(
            Fact("user", "ping the on-call sre, that's kwame", "kwame"),
            Fact("user", "the on-call sre changed, it's abimbola now", "abimbola"),
        ),
    ],
    chatter=english_chatter,
    noise=english_noise,
    replies=english_replies,
    acks=_ACKS_EN,
    tool_share=0.3,
    tool=incident_tool,
)

# ---- Spanish ---------------------------------------------------------------------------------------------

_ES_OPENERS = [
    "vale", "ok", "ya veo", "entiendo", "claro", "perfecto", "bueno", "ajá", "genial", "de acuerdo",
    "mmm", "gracias", "anda", "qué bien", "vaya", "ah vale", "pues", "sí sí", "muy bien", "ostras",
]  # fmt: skip
_ES_BODIES = [
    "ahora lo veo más claro", "¿puedes repetir la segunda parte", "creo que lo sigo",
    "¿qué harías tú en mi lugar", "¿es lo que hace todo el mundo", "déjame pensarlo un momento",
    "no sé si entiendo la diferencia", "parece mucho trabajo", "¿cuánto tardaría más o menos",
    "lo pruebo luego", "¿qué inconvenientes tiene", "¿aguanta cuando hay mucha carga",
    "¿hay una opción más sencilla", "¿me das un ejemplo", "justo me lo preguntaba",
    "es lo que sospechaba", "o sea que es un compromiso", "bueno saberlo", "no sabía que funcionaba así",
    "¿lo puedes decir más fácil", "¿y si falla a la mitad", "cuéntame más", "¿es un error común",
    "me ayuda mucho", "lo tendré en cuenta", "¿qué mirarías primero", "¿seguirá valiendo el año que viene",
    "¿estás seguro", "¿dónde está la trampa", "me quitas un peso de encima", "me suena de algo",
    "¿lo vemos luego", "me gusta ese enfoque", "me parece un poco exagerado",
]  # fmt: skip
_ES_NAMES = [
    "Marta",
    "Jordi",
    "Lucía",
    "Aitor",
    "Carmen",
    "Rubén",
    "Nerea",
    "Íñigo",
    "Paula",
    "Sergio",
    "Elena",
]
_ES_CITIES = ["Sevilla", "Bilbao", "Zaragoza", "Vigo", "Granada", "Murcia", "Oviedo", "Cádiz"]
_ES_MONTHS = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "octubre"]
_ES_NOISE = [
    "{name}, de {city}, contó {n} incidencias en {month}",
    "{name} dice que la reunión de ayer duró {n} minutos más de la cuenta",
    "{name} tiene {n} pestañas abiertas ahora mismo",
    "{name} volvió de {city} y dice que hacía {n} grados",
    "en el canal del equipo hubo {n} mensajes ayer, casi todos memes de {name}",
    "{name} corrió {n} kilómetros en {city} el pasado {month}",
    "la cafetera de la planta {n} se ha vuelto a romper y {name} está que trina",
    "{name} y {name2} estuvieron {n} minutos discutiendo sobre tabuladores",
    "vi a {name} en el meetup de {city}, éramos unas {n} personas",
    "{name} pidió {n} pizzas para la retro",
    "mi primo de {city} ha adoptado {n} gatos, es una historia larga",
    "{name} se muda a {city} en {month}, ya lleva {n} cajas",
    "{name} contestó {n} correos antes de comer",
]  # fmt: skip
_ES_ADVICE = [
    "En resumen, se gana simplicidad a cambio de un poco de latencia.",
    "En la mayoría de los casos el valor por defecto basta; cámbialo solo si las mediciones lo piden.",
    "Piénsalo como una cola delante del servicio: las peticiones esperan en vez de fallar.",
    "Merece la pena escribir una prueba pequeña para que siga funcionando así.",
    "Lo habitual es empezar poco a poco, medir dos semanas y luego ajustar.",
    "Yo añadiría monitorización antes de desplegarlo a todo el mundo.",
    "Depende de la carga, pero para la vuestra la opción sencilla debería bastar.",
    "El riesgo principal es que dos personas cambien lo mismo a la vez.",
    "Muchos equipos usan una lista de comprobación, porque con prisas se olvidan pasos.",
    "Si automatizas algo, que sea la parte que falla más a menudo.",
    "La caché ayuda, siempre que decidas de antemano cuándo caduca cada entrada.",
    "Conviene apuntar la decisión y el motivo para que nadie la vuelva a abrir.",
    "Una revisión semanal de los números suele detectar desviaciones a tiempo.",
    "Agrupar el trabajo reduce costes fijos, pero cada fallo es un poco mayor.",
    "Planifica para el día de más carga del año, no para el día medio.",
    "Una prueba en una copia de los datos es un seguro barato.",
    "Los pasos pequeños y reversibles son más fáciles de deshacer que un gran cambio.",
    "Las alertas deben señalar algo que una persona pueda resolver.",
    "La documentación se queda vieja enseguida si nadie se encarga de ella.",
    "Cuando dos opciones están igualadas, elige la que sea más fácil de deshacer.",
    "Guardar la configuración en el control de versiones hace que cada cambio se pueda revisar.",
    "Mide antes y después; si no, es difícil saber si el cambio ayudó.",
    "Una regla sencilla que todos recuerdan vale más que una ingeniosa que nadie sigue.",
    "Prueba primero el experimento más barato que pueda demostrar que la idea no funciona.",
]
_ES_ACKS = [
    "Anotado.",
    "Entendido, lo tendré en cuenta.",
    "De acuerdo, gracias por decírmelo.",
    "Perfecto, anotado.",
]


def spanish_chatter(rng: random.Random) -> str:
    body = rng.choice(_ES_BODIES)
    said = f"{rng.choice(_ES_OPENERS)}, {body}"
    return said + ("?" if "¿" in body else ".")


def spanish_noise(rng: random.Random) -> str:
    name, name2 = rng.sample(_ES_NAMES, 2)
    text = rng.choice(_ES_NOISE).format(
        name=name,
        name2=name2,
        city=rng.choice(_ES_CITIES),
        month=rng.choice(_ES_MONTHS),
        n=rng.randint(3, 950),
    )
    return ("por cierto, " if rng.random() < 0.3 else "") + text + "."


def spanish_replies(rng: random.Random) -> str:
    return " ".join(rng.sample(_ES_ADVICE, rng.randint(2, 4)))


SPANISH = Family(
    name="non-English (es)",
    system="Eres un asistente útil para un equipo de desarrollo.",
    facts=[
        Fact("user", "prefiero respuestas cortas y sin emojis", "sin emojis"),
        Fact("user", "nunca desplegamos los viernes", "los viernes"),
        Fact("user", "soy vegetariana", "vegetariana"),
        Fact("user", "mi hijo se llama bruno", "bruno"),
        Fact("user", "trabajamos con python y django", "django"),
        Fact("user", "el servidor de pruebas se llama alcornoque", "alcornoque"),
        Fact("user", "la reunión semanal es los martes a las diez", "martes a las diez"),
        Fact("user", "el presupuesto del proyecto es de doce mil euros", "doce mil euros"),
        Fact("user", "háblame de tú, no de usted", "de tú"),
        Fact("user", "mi jefa es la señora quintana", "quintana"),
        Fact("user", "los datos de clientes no pueden salir de la ue", "salir de la ue"),
        Fact("user", "uso linux en casa y mac en el trabajo", "mac en el trabajo"),
        Fact("user", "el repositorio está en /opt/proyectos/cigarra", "/opt/proyectos/cigarra"),
        Fact("user", "cada cambio necesita la revisión de ignacio", "ignacio"),
        Fact("user", "tengo alergia al marisco", "marisco"),
        Fact("user", "vivo en valencia", "valencia"),
        Fact("user", "escríbeme siempre en español", "en español"),
        Fact("user", "el cliente principal es una cooperativa de aceite", "cooperativa de aceite"),
        Fact("user", "las copias de seguridad se guardan noventa días", "noventa días"),
        Fact("assistant", "Queda acordado: la versión 2 sale sin la app móvil.", "sin la app móvil"),
    ],
    corrections=[
        Correction(
            Fact("user", "la demo es el jueves", "demo es el jueves"),
            Fact("user", "al final la demo será el lunes", "el lunes"),
        ),
        Correction(
            Fact("user", "el límite de usuarios es cincuenta", "cincuenta"),
            Fact("user", "mejor subimos el límite de usuarios a ochenta", "ochenta"),
        ),
        Correction(
            Fact("user", "el dominio será cigarra.es", "cigarra.es"),
            Fact("user", "cambiamos el dominio a cigarra-app.com", "cigarra-app.com"),
        ),
        Correction(
            Fact("user", "el color principal es azul marino", "azul marino"),
            Fact("user", "cambia el color principal a verde oliva", "verde oliva"),
        ),
    ],
    chatter=spanish_chatter,
    noise=spanish_noise,
    replies=spanish_replies,
    acks=_ES_ACKS,
)

FAMILIES = [PREFERENCES, CORRECTIONS, IDENTIFIERS, NOISY, TOOL_LOGS, SPANISH]


# ---- building a conversation -------------------------------------------------------------------------


def _schedule(family: Family) -> dict[int, list[Fact]]:
    """Which planted sentence goes into which turn: facts spread evenly, each correction well after
    the value it corrects, none in the last turns (a wrap-up is not where people correct things)."""
    turns = family.turns
    plan: dict[int, list[Fact]] = {}
    taken: set[int] = set()
    for i, correction in enumerate(family.corrections):
        before = int(turns * (0.06 + 0.14 * i))
        after = before + int(turns * 0.3)
        plan[before] = [correction.before]
        plan[after] = [correction.after]
        taken |= {before, after}
    free = [t for t in range(2, turns - 12) if t not in taken]
    step = len(free) / len(family.facts)
    for i, fact in enumerate(family.facts):
        plan[free[int(i * step + step / 2)]] = [fact]
    return plan


def build(family: Family, seed: int) -> list[Turn]:
    """The conversation of ``family`` as turns, the same for the same seed."""
    rng = random.Random(f"{family.name}/{seed}")
    plan = _schedule(family)
    out: list[Turn] = []
    for turn in range(family.turns):
        planted = plan.get(turn, [])
        user_facts = [f for f in planted if f.who == "user"]
        said = family.chatter(rng)
        if rng.random() < family.noise_share:
            said = f"{said} {family.noise(rng)}"
        if user_facts:
            fact = user_facts[0].text
            said = fact if rng.random() < 0.4 else f"{said} {fact}"
        reply = family.replies(rng)
        if user_facts and rng.random() < 0.6:
            reply = f"{rng.choice(family.acks)} {reply}"
        for fact in planted:
            if fact.who == "assistant":
                reply = f"{fact.text} {reply}"
        tool = None
        tool_facts = [f for f in planted if f.who == "tool"]
        if family.tool is not None and (tool_facts or rng.random() < family.tool_share):
            tool = family.tool(rng, tool_facts[0].text if tool_facts else None)
        out.append(Turn(said, reply, tool, [f.text for f in planted]))
    closing = (
        "ok, that's all for today, thanks" if family is not SPANISH else "vale, eso es todo por hoy, gracias"
    )
    out.append(Turn(closing, "", None))
    return out


def key_pattern(key: str) -> re.Pattern[str]:
    """``key`` as a whole word or phrase, without case: "ines" is not found in "pipelines"."""
    left = r"(?<!\w)" if key[:1].isalnum() else ""
    right = r"(?!\w)" if key[-1:].isalnum() else ""
    return re.compile(left + re.escape(key) + right, re.IGNORECASE)


def check_keys(family: Family, turns: list[Turn]) -> None:
    """Every key is found in its own sentence and nowhere else; raises ``ValueError`` otherwise."""
    texts = [t.user for t in turns] + [t.reply for t in turns] + [t.tool[2] for t in turns if t.tool]
    everything = "\n".join(texts)
    planted = [*family.facts, *(f for c in family.corrections for f in (c.before, c.after))]
    for c in family.corrections:
        if key_pattern(c.before.key).search(c.after.text):
            raise ValueError(f"{family.name}: the correction repeats the superseded key {c.before.key!r}")
    for fact in planted:
        pattern = key_pattern(fact.key)
        if not pattern.search(fact.text):
            raise ValueError(f"{family.name}: key {fact.key!r} is not in its sentence")
        if len(pattern.findall(everything)) != len(pattern.findall(fact.text)):
            raise ValueError(f"{family.name}: key {fact.key!r} also occurs outside its sentence")
