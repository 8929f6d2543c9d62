"""The scripted workloads of ``bench/compare.py`` and the table of contenders that run them.

Every contender is one row of :data:`CONTENDERS`: a conversation driver factory, a tracked-turn driver
factory, a persist-and-reload function and a token counter, any of which may be missing. Adding a
face to the comparison means writing one small function and adding it to a row, so the harness, the
timing and the tables never change.

Two kinds of turn, each the same for everybody who runs it:

- a *conversation* turn (chat histories: sessionforge's ``ChatSession``, LangChain, the Agents SDK):
  add the user's message, build the request the model would get inside the token budget, add the reply;
- a *tracked* turn (session managers: sessionforge's and chuk's ``SessionManager``): ``user_says``
  then ``ai_responds`` with 60-word messages (:func:`tracked_script`), each on its own default store.

Workloads only return what they measured; ``compare.py`` repeats them, takes medians and prints ratios.

This module imports no contender at module level: a peer library is imported inside its own functions,
so the file loads in any interpreter (the harness may run peers in a separate virtualenv).
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import json
import math
import os
import random
import shutil
import statistics
import sys
import time
import tracemalloc
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
if SRC.is_dir() and str(SRC) not in sys.path:
    # Measure the checkout this file belongs to, not some other installed copy.
    sys.path.insert(0, str(SRC))

MODEL = "gpt-4o-mini"
"""Every contender counts for this model (o200k_base), the default of chuk's SessionManager too."""

SYSTEM_PROMPT = "You are a concise assistant for a software team. Answer with code when it helps."

TIKTOKEN_CACHE_KEYS = {
    "o200k_base": "fb374d419588a4632f3f557e76b4b70aebbca790",
    "cl100k_base": "9b5ad71b2ce5302211f9c61530b329a4922fc6a4",
}
"""tiktoken's cache file names (SHA-1 of the download URL) for the rank files sessionforge bundles.

``tiktoken.get_encoding`` downloads its rank files on first use; with ``TIKTOKEN_CACHE_DIR`` holding
these names it reads them instead, which makes tiktoken's own loader usable offline as the reference.
"""


def prepare_tiktoken_cache(directory: Path) -> Path:
    """Copy the bundled rank files into ``directory`` under tiktoken's cache names and return it."""
    encodings = SRC / "sessionforge" / "data" / "encodings"
    directory.mkdir(parents=True, exist_ok=True)
    for name, key in TIKTOKEN_CACHE_KEYS.items():
        target = directory / key
        if not target.exists():
            shutil.copyfile(encodings / f"{name}.tiktoken", target)
    return directory


# ---- the scripted conversation -------------------------------------------------------------------

_PROSE = """
the session keeps every message and sends the model only what fits the budget so older
turns are dropped first while the system prompt and the newest question stay we measure
how long each turn takes at the start and at the end of a long conversation deploy cache
index query latency retry timeout schema migration token budget compaction summary store
append reload
"""
_WORDS = _PROSE.split()

_SNIPPETS = (
    "def add(a: int, b: int) -> int:\n    return a + b\n",
    "for i in range(10):\n    print(f'{i:>3} {i * i}')\n",
    "SELECT id, name FROM users WHERE created_at > now() - interval '1 day';\n",
    "const total = items.reduce((sum, x) => sum + x.price, 0);\n",
    "会话历史需要保持在令牌预算之内。",
    "トークン数を正確に数えます。",
    "Deployed 🚀 and all checks are green ✅",
)


def conversation(turns: int, seed: int = 7) -> list[tuple[str, str]]:
    """``turns`` (user message, assistant reply) pairs, the same for every contender and every run.

    Users write 10-40 words, replies 30-120 words and now and then a snippet of code, CJK or emoji,
    so a 4,000-token budget holds roughly the last 20-30 turns and compaction runs all along.
    """
    rng = random.Random(seed)
    pairs = []
    for turn in range(turns):
        user = f"Turn {turn}: " + " ".join(rng.choices(_WORDS, k=rng.randint(10, 40))) + "?"
        reply = " ".join(rng.choices(_WORDS, k=rng.randint(30, 120))) + "."
        if rng.random() < 0.3:
            reply += "\n" + rng.choice(_SNIPPETS)
        pairs.append((user, reply))
    return pairs


def tracked_script(turns: int, words: int = 60, seed: int = 11) -> list[tuple[str, str]]:
    """``turns`` (user message, reply) pairs of exactly ``words`` words each, the same on every side."""
    rng = random.Random(seed)
    return [
        (" ".join(rng.choices(_WORDS, k=words)), " ".join(rng.choices(_WORDS, k=words))) for _ in range(turns)
    ]


# ---- the accuracy corpus -------------------------------------------------------------------------

CORPUS: dict[str, list[str]] = {
    "english": [
        "The quick brown fox jumps over the lazy dog.",
        "Token budgets keep long conversations inside the model's context window without surprises.",
        "I'd've thought they'll re-run the migration; it's idempotent, isn't it? Yes - mostly.",
        "Mr. O'Neil paid $1,234.56 on 2024-03-15 at 09:41 for 3 licences (order #A-77812).",
        " ".join(_WORDS * 3),
    ],
    "code": [
        _SNIPPETS[0] * 3,
        "class Store(Protocol):\n    async def append(self, sid: str, recs: list[dict]) -> int: ...\n",
        '{"role": "assistant", "tool_calls": [{"id": "call_1", "arguments": "{\\"q\\": 1}"}]}',
        '#include <stdio.h>\nint main(void) {\n\tprintf("%d\\n", 42);\n\treturn 0;\n}\n',
        "if (x !== undefined && x?.y?.z >= 0x1F) { arr.push(...rest); } // check <|endoftext|>",
    ],
    "cjk": [
        "会话管理器会记录每一条消息，并在超过令牌预算时压缩较早的对话内容。",
        "東京の天気は晴れ時々曇り、最高気温は二十三度の予報です。",
        "토큰 예산을 넘으면 가장 오래된 메시지부터 제거됩니다.",
        "这是一个用于测试分词准确性的句子，包含数字123和English单词。",
    ],
    "emoji": [
        "🚀🔥✨ Shipping today! 🎉🎉🎉",
        "👨‍👩‍👧‍👦 family, 🏳️‍🌈 flag, 👍🏽 thumbs, 🇯🇵🇫🇷 flags",
        "😀😃😄😁😆😅😂🤣🥲☺️😊😇🙂🙃😉😌😍🥰😘😗",
    ],
    "long runs": [
        "a" * 3000,
        "=" * 2000,
        "1234567890" * 200,
        " " * 1000 + "x",
        "\n" * 500,
        "ab" * 1500,
    ],
}


def mean_abs_pct_error(counter: Callable[[str], int], reference: Callable[[str], int]) -> dict[str, float]:
    """Mean absolute % error of ``counter`` against ``reference`` per corpus category and overall."""
    errors: dict[str, list[float]] = {}
    for category, texts in CORPUS.items():
        for text in texts:
            ref = reference(text)
            errors.setdefault(category, []).append(abs(counter(text) - ref) / ref * 100)
    result = {category: sum(v) / len(v) for category, v in errors.items()}
    every = [e for v in errors.values() for e in v]
    result["all"] = sum(every) / len(every)
    return result


def reference_counter() -> Callable[[str], int]:
    """tiktoken's own loader for o200k_base; offline only when ``TIKTOKEN_CACHE_DIR`` is prepared."""
    import tiktoken

    encoding = tiktoken.get_encoding("o200k_base")
    return lambda text: len(encoding.encode_ordinary(text))


# ---- what the workloads return -------------------------------------------------------------------


@dataclass
class ConversationRun:
    """One run of the conversation workload."""

    turns_planned: int
    turns_done: int
    total_s: float
    first100_us: float
    last100_us: float
    max_request_tokens: int | None = None
    request_messages_at_end: int | None = None
    peak_mib: float | None = None
    stopped: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class PersistRun:
    """One run of the persist-and-reload workload."""

    messages: int
    persist_s: float
    reload_s: float
    reloaded: int
    backend: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class Driver(Protocol):
    """A conversation in progress. ``turn`` returns the request's size in tokens when known."""

    def turn(self, user: str, reply: str) -> int | Awaitable[int | None] | None: ...


async def _run_turns(
    driver: Driver, pairs: Sequence[tuple[str, str]], deadline_s: float
) -> tuple[list[float], list[int], bool]:
    """Time every turn. Sync and async drivers share this loop; an async one runs in one event loop,
    as an application would, so no per-turn loop start-up is charged to it."""
    durations: list[float] = []
    sizes: list[int] = []
    stop_at = time.perf_counter() + deadline_s
    for user, reply in pairs:
        t0 = time.perf_counter()
        outcome = driver.turn(user, reply)
        size = await outcome if inspect.isawaitable(outcome) else outcome
        t1 = time.perf_counter()
        durations.append(t1 - t0)
        if size is not None:
            sizes.append(size)
        if t1 > stop_at:
            return durations, sizes, len(durations) < len(pairs)
    return durations, sizes, False


def run_conversation(
    factory: Callable[[int], Driver],
    turns: int,
    budget: int,
    *,
    deadline_s: float = 60.0,
    trace_memory: bool = False,
    script: Callable[[int], list[tuple[str, str]]] = conversation,
) -> ConversationRun:
    """Drive ``turns`` turns of ``script`` through a fresh driver; stop early past ``deadline_s``.

    With ``trace_memory`` the peak of Python allocations (tracemalloc) is recorded; that slows the run,
    so the harness measures time and memory in separate runs.
    """
    pairs = script(turns)
    if trace_memory:
        tracemalloc.start()
    try:
        driver = factory(budget)
        start = time.perf_counter()
        durations, sizes, stopped = asyncio.run(_run_turns(driver, pairs, deadline_s))
        total = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] / 2**20 if trace_memory else None
        request_messages = getattr(driver, "request_messages", None)
        close = getattr(driver, "close", None)
        if close is not None:
            result = close()
            if inspect.isawaitable(result):
                asyncio.run(_await(result))
    finally:
        if trace_memory:
            tracemalloc.stop()
    # The first turn opens the store and creates the session (several ms, once): "first 100" is turns
    # 2-101, so that it and "last 100" both measure turns and their ratio measures growth alone.
    head, tail = (durations[1:101] if len(durations) > 1 else durations), durations[-100:]
    return ConversationRun(
        turns_planned=turns,
        turns_done=len(durations),
        total_s=total,
        first100_us=sum(head) / len(head) * 1e6,
        last100_us=sum(tail) / len(tail) * 1e6,
        max_request_tokens=max(sizes) if sizes else None,
        request_messages_at_end=request_messages,
        peak_mib=peak,
        stopped=stopped,
    )


async def _await(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


def history_messages(count: int) -> list[tuple[str, str]]:
    """``count`` (role, text) messages of the scripted conversation, alternating user/assistant."""
    flat = [
        m for user, reply in conversation((count + 1) // 2) for m in (("user", user), ("assistant", reply))
    ]
    return flat[:count]


def _timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    t0 = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - t0


# ---- sessionforge ------------------------------------------------------------------------------------


class SessionforgeChatSession:
    """``ChatSession`` with ``max_tokens`` and ``TruncateCompactor``: the request view is ``messages``,
    kept inside the budget by the enforced add of the user's message (the reply is added with
    ``enforce=False``, as a reply already paid for is never refused)."""

    def __init__(self, budget: int) -> None:
        from sessionforge.context.compactors import TruncateCompactor
        from sessionforge.core.messages import ChatMessage
        from sessionforge.core.tokens import counter_for_model
        from sessionforge.faces.chat_session import ChatSession

        counter_for_model(MODEL).load()  # the tokenizer is built before the clock starts, as the others'
        self._message = ChatMessage
        self.session = ChatSession(
            system_prompt=SYSTEM_PROMPT, max_tokens=budget, compactor=TruncateCompactor(), model=MODEL
        )
        self.request_messages = 0

    def turn(self, user: str, reply: str) -> int:
        self.session.add_message(self._message.user(user))
        request = self.session.messages
        size = self.session.estimate_tokens()
        self.session.add_message(self._message.assistant(reply), enforce=False)
        self.request_messages = len(request)
        return size


def sessionforge_persist(messages: Sequence[tuple[str, str]], workdir: Path) -> PersistRun:
    """One store append per message (as a live session persists), then a cold load into messages."""
    from sessionforge.core.events import chat_message_event
    from sessionforge.core.messages import ChatMessage
    from sessionforge.core.projection import event_messages
    from sessionforge.core.session import decode_records
    from sessionforge.storage.config import open_store

    url = f"sqlite:///{workdir / 'sessionforge.db'}"
    chat = [ChatMessage(role=role, content=text) for role, text in messages]

    async def persist() -> None:
        store = open_store(url)
        async with store:
            for message in chat:
                await store.append("bench", [chat_message_event(message).to_record()])

    async def reload() -> list[ChatMessage]:
        store = open_store(url)
        async with store:
            records = await store.load("bench")
        return [m for event in decode_records("bench", records) for m in event_messages(event)]

    _, persist_s = _timed(lambda: asyncio.run(persist()))
    loaded, reload_s = _timed(lambda: asyncio.run(reload()))
    return PersistRun(len(messages), persist_s, reload_s, len(loaded), "SQLite file")


def sessionforge_session_persist(messages: Sequence[tuple[str, str]], workdir: Path) -> PersistRun:
    """``Session.add_event_and_save`` per message (the core model bound to a store), then
    ``Session.load`` in a new store object and its events' messages."""
    from sessionforge.core.events import chat_message_event
    from sessionforge.core.messages import ChatMessage
    from sessionforge.core.projection import event_messages
    from sessionforge.storage.config import open_store
    from sessionforge.storage.session import Session

    url = f"sqlite:///{workdir / 'sessionforge-session.db'}"
    chat = [ChatMessage(role=role, content=text) for role, text in messages]  # type: ignore[arg-type]

    async def persist() -> str:
        store = open_store(url)
        async with store:
            session = await Session.create(store=store)
            for message in chat:
                await session.add_event_and_save(chat_message_event(message))
        return session.id

    async def reload(session_id: str) -> int:
        store = open_store(url)
        async with store:
            session = await Session.load(session_id, store)
        assert session is not None
        return len([m for event in session.events for m in event_messages(event)])

    session_id, persist_s = _timed(lambda: asyncio.run(persist()))
    count, reload_s = _timed(lambda: asyncio.run(reload(session_id)))
    return PersistRun(len(messages), persist_s, reload_s, count, "SQLite file")


def sessionforge_chat_persist(messages: Sequence[tuple[str, str]], workdir: Path) -> PersistRun:
    """``ChatSession.save`` after every message (as ``sessionforge chat`` saves each turn), then
    ``ChatSession.load`` in a new store object."""
    from sessionforge import ChatMessage, ChatSession, open_store

    url = f"sqlite:///{workdir / 'sessionforge-chat.db'}"

    def persist() -> str:
        store = open_store(url)
        session = ChatSession(model=MODEL)
        for role, text in messages:
            session.add_message(ChatMessage(role=role, content=text), enforce=False)  # type: ignore[arg-type]
            session.save(store)
        asyncio.run(store.aclose())
        return session.session_id

    def reload(session_id: str) -> int:
        store = open_store(url)
        loaded = ChatSession.load(session_id, store)
        asyncio.run(store.aclose())
        return len(loaded.history)

    session_id, persist_s = _timed(persist)
    count, reload_s = _timed(lambda: reload(session_id))
    return PersistRun(len(messages), persist_s, reload_s, count, "SQLite file")


def sessionforge_manager_persist(messages: Sequence[tuple[str, str]], workdir: Path) -> PersistRun:
    """``user_says``/``ai_responds`` per message, then a new ``SessionManager`` on the session id and
    its ``get_messages_for_llm()`` (the request a reopened session sends)."""
    from sessionforge import SessionManager, open_store

    url = f"sqlite:///{workdir / 'sessionforge-manager.db'}"

    async def persist() -> str:
        store = open_store(url)
        async with store:
            manager = SessionManager(store=store, model=MODEL)
            for role, text in messages:
                if role == "user":
                    await manager.user_says(text)
                else:
                    await manager.ai_responds(text, model=MODEL, provider="openai")
        return manager.session_id

    async def reload(session_id: str) -> int:
        store = open_store(url)
        async with store:
            reopened = SessionManager(session_id=session_id, store=store, model=MODEL)
            return len(await reopened.get_messages_for_llm())

    session_id, persist_s = _timed(lambda: asyncio.run(persist()))
    count, reload_s = _timed(lambda: asyncio.run(reload(session_id)))
    return PersistRun(len(messages), persist_s, reload_s, count, "SQLite file")


class SessionforgeManager:
    """sessionforge's ``SessionManager`` on its durable default backend: an SQLite file (a fresh one
    per run, opened as the default store would be)."""

    def __init__(self, budget: int) -> None:
        import tempfile

        from sessionforge import SessionManager, counter_for_model, open_store

        counter_for_model(MODEL).load()  # the tokenizer is built before the clock starts, as the others'
        self._dir = tempfile.TemporaryDirectory(prefix="sf-bench-manager-")
        self.store = open_store(f"sqlite:///{Path(self._dir.name) / 'sessions.db'}")
        self.manager = SessionManager(system_prompt=SYSTEM_PROMPT, store=self.store, model=MODEL)

    async def turn(self, user: str, reply: str) -> None:
        await self.manager.user_says(user)
        await self.manager.ai_responds(reply, model=MODEL, provider="openai")

    async def close(self) -> None:
        await self.store.aclose()
        self._dir.cleanup()


def event_path(turns: int, repeats: int, view_messages: int) -> dict[str, Any]:
    """The same tracked turns through ``SessionManager`` on ``memory://`` and through ``ChatSession``
    (add both messages, then count the view's tokens, as the manager counts both for usage), in one
    process, alternating; then ``get_messages_for_llm`` on a session of ``view_messages`` messages.

    Each run starts after a full collection, so no run pays for the garbage of the one before (without
    it, the ratio of one run to the next moved between 1.3 and 2.1 on a 2-core machine; with it, within
    a few percent). Returns medians: µs per turn for each face, the manager's turn over ChatSession's as
    the median of the ratios of runs made back to back, and ms per call and µs per returned message."""
    from sessionforge import ChatMessage, ChatSession, SessionManager, open_store

    pairs = tracked_script(turns)

    def chat_run() -> float:
        session = ChatSession(system_prompt=SYSTEM_PROMPT, model=MODEL)
        gc.collect()  # each run starts with no garbage of the one before: both faces alike
        began = time.perf_counter()
        for user, reply in pairs:
            session.add_message(ChatMessage.user(user))
            session.add_message(ChatMessage.assistant(reply))
            session.estimate_tokens()
        return (time.perf_counter() - began) / len(pairs) * 1e6

    async def manager_run() -> float:
        manager = SessionManager(system_prompt=SYSTEM_PROMPT, store=open_store("memory://"), model=MODEL)
        await manager.get_stats()  # the session is created before the clock starts, as for ChatSession
        gc.collect()
        began = time.perf_counter()
        for user, reply in pairs:
            await manager.user_says(user)
            await manager.ai_responds(reply, model=MODEL, provider="openai")
        return (time.perf_counter() - began) / len(pairs) * 1e6

    async def view() -> tuple[list[float], int]:
        manager = SessionManager(system_prompt=SYSTEM_PROMPT, store=open_store("memory://"), model=MODEL)
        for user, reply in tracked_script((view_messages - 1) // 2):
            await manager.user_says(user)
            await manager.ai_responds(reply, model=MODEL, provider="openai")
        times, returned = [], 0
        for _ in range(5):
            began = time.perf_counter()
            request = await manager.get_messages_for_llm(include_system=True)
            times.append(time.perf_counter() - began)
            returned = len(request)
        return times, returned

    chat_run(), asyncio.run(manager_run())  # warm-up: tokenizer, price registry, first-call caches
    chat_us, manager_us = [], []
    for _ in range(repeats):
        chat_us.append(chat_run())
        manager_us.append(asyncio.run(manager_run()))
    times, returned = asyncio.run(view())
    call_s = statistics.median(times)
    return {
        "turns": turns,
        "chat_us": statistics.median(chat_us),
        "manager_us": statistics.median(manager_us),
        "manager_vs_chat": statistics.median(m / c for c, m in zip(chat_us, manager_us, strict=True)),
        "view_messages": returned,
        "view_ms": call_s * 1000,
        "view_us_per_message": call_s / returned * 1e6,
    }


def template_records(messages: int = 20) -> list[dict[str, Any]]:
    """The stored records of one session of ``messages`` messages, written by ``ChatSession.save``."""
    from sessionforge import ChatMessage, ChatSession, open_store

    store = open_store("memory://")
    session = ChatSession(model=MODEL)
    for role, text in history_messages(messages):
        session.add_message(ChatMessage(role=role, content=text))  # type: ignore[arg-type]
    session.save(store)

    async def read() -> list[dict[str, Any]]:
        (session_id,) = await store.list_sessions()
        return [r.record for r in await store.load(session_id)]

    return asyncio.run(read())


def copy_of(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same records with fresh event ids, so that no two sessions share an event."""
    return [{**r, "id": str(uuid.uuid4())} if "id" in r else dict(r) for r in records]


async def grow(
    store: Any, ids: list[str], target: int, records: Sequence[dict[str, Any]], writers: int
) -> None:
    """Append copies of ``records`` as new sessions until ``ids`` holds ``target``; ``writers`` at once."""

    async def one() -> None:
        session_id = str(uuid.uuid4())
        await store.append(session_id, copy_of(records))
        ids.append(session_id)

    while len(ids) < target:
        await asyncio.gather(*(one() for _ in range(min(writers, target - len(ids)))))


def startup(sessions: int, repeats: int, workdir: Path) -> dict[str, Any]:
    """Fresh processes of this checkout, its bytecode compiled: the tokenizer's first count (cache cold,
    then built), what that time is made of and the full encoder's later build, the command line's ``--help`` (top level and a command group's), and
    ``sessions list`` on a store of ``sessions`` sessions of 20 messages, with and without reading them
    (``--prefix`` matching none: the command's own start-up). Medians of ``repeats`` runs, in seconds."""
    import subprocess

    from sessionforge import open_store

    env = {
        **os.environ,
        "PYTHONPATH": str(SRC),
        "SESSIONFORGE_CACHE_DIR": str(workdir / "cache"),
        "SESSIONFORGE_STORE": f"sqlite:///{workdir / 'startup.db'}",
        # Bytecode compiled once, as pip does at install, kept outside the source tree: a process
        # that compiles every module from source (PYTHONDONTWRITEBYTECODE) starts tens of ms later.
        "PYTHONPYCACHEPREFIX": str(workdir / "pycache"),
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(SRC)], env=env, check=True)
    ready = (
        "import sys, time; import sessionforge.core.messages; t = time.perf_counter(); "
        "from sessionforge.core.tokens import counter_for_model; "
        f"counter = counter_for_model({MODEL!r}); counter.count_text('hello'); t1 = time.perf_counter(); "
        "counter.load(); print(t1 - t, time.perf_counter() - t1)"
    )
    # The first count taken apart: import regex, read + verify + unmarshal the cached ASCII ranks,
    # compile the split pattern.
    phases = (
        "import time; import sessionforge.core.messages; from sessionforge.core import tokens; "
        "from sessionforge.core.bpe import AsciiBpe; "
        "name = tokens.encoding_for_model(" + repr(MODEL) + "); t0 = time.perf_counter(); import regex; "
        "t1 = time.perf_counter(); ranks = tokens._cached_ranks(name, 'ascii'); t2 = time.perf_counter(); "
        "AsciiBpe(ranks, tokens._ENCODINGS[name][0]); t3 = time.perf_counter(); print(t1 - t0, t2 - t1, t3 - t2)"
    )

    def child(args: list[str]) -> float:
        began = time.perf_counter()
        done = subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed: {done.stderr.strip()[-300:]}")
        return time.perf_counter() - began

    def printed(code: str) -> list[float]:
        done = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        return [float(x) for x in done.stdout.split()]

    def median_of(measure: Callable[[], float]) -> float:
        return statistics.median(measure() for _ in range(repeats))

    cold = printed(ready)[0]  # builds the cache
    readies = [printed(ready) for _ in range(repeats)]
    split = [printed(phases) for _ in range(repeats)]
    store = open_store(env["SESSIONFORGE_STORE"], namespace="default")
    asyncio.run(grow(store, [], sessions, template_records(), 1))
    asyncio.run(store.aclose())
    cli = ["-m", "sessionforge"]
    return {
        "tokenizer_cold_s": cold,
        "tokenizer_s": statistics.median(r[0] for r in readies),
        "tokenizer_import_s": statistics.median(p[0] for p in split),
        "tokenizer_ranks_s": statistics.median(p[1] for p in split),
        "tokenizer_pattern_s": statistics.median(p[2] for p in split),
        "tokenizer_encoder_s": statistics.median(r[1] for r in readies),
        "help_s": median_of(lambda: child([*cli, "--help"])),
        "group_help_s": median_of(lambda: child([*cli, "sessions", "--help"])),
        "list_s": median_of(lambda: child([*cli, "sessions", "list"])),
        "list_none_s": median_of(lambda: child([*cli, "sessions", "list", "--prefix", "no-such-id-"])),
        "sessions": sessions,
    }


def sessionforge_counter() -> Callable[[str], int]:
    from sessionforge.core.tokens import counter_for_model

    return counter_for_model(MODEL).count_text


# ---- chuk-ai-session-manager -------------------------------------------------------------------------


class ChukSessionManager:
    """chuk's ``SessionManager``: ``user_says`` then ``ai_responds``, on its default store (chuk-sessions'
    memory provider; it has no file backend)."""

    def __init__(self, budget: int) -> None:
        from chuk_ai_session_manager import SessionManager

        self.manager = SessionManager(system_prompt=SYSTEM_PROMPT, default_model=MODEL)

    async def turn(self, user: str, reply: str) -> None:
        await self.manager.user_says(user)
        await self.manager.ai_responds(reply, model=MODEL, provider="openai")


def chuk_persist(messages: Sequence[tuple[str, str]], workdir: Path) -> PersistRun:
    """Its persistence is chuk-sessions (memory provider by default, Redis otherwise; no file backend):
    every ``user_says``/``ai_responds`` saves the session; reload is a new storage object reading it."""
    from chuk_ai_session_manager import SessionManager
    from chuk_ai_session_manager.session_storage import ChukSessionsStore, SessionStorage

    sandbox = f"bench-{os.getpid()}-{workdir.name}"

    async def persist() -> str:
        manager = SessionManager(
            store=ChukSessionsStore(SessionStorage(sandbox_id=sandbox)), default_model=MODEL
        )
        for role, text in messages:
            if role == "user":
                await manager.user_says(text)
            else:
                await manager.ai_responds(text, model=MODEL, provider="openai")
        return manager.session_id

    async def reload(session_id: str) -> int:
        store = ChukSessionsStore(SessionStorage(sandbox_id=sandbox))
        manager = SessionManager(session_id=session_id, store=store, default_model=MODEL)
        return len(await manager.get_conversation())

    session_id, persist_s = _timed(lambda: asyncio.run(persist()))
    count, reload_s = _timed(lambda: asyncio.run(reload(session_id)))
    return PersistRun(len(messages), persist_s, reload_s, count, "chuk-sessions memory provider")


def chuk_counter() -> Callable[[str], int]:
    from chuk_ai_session_manager.models.token_usage import TokenUsage

    return lambda text: TokenUsage._count_tokens_sync(text, MODEL)


def chuk_offline_probe() -> str:
    """What chuk does on a machine without tiktoken's cache (run with an empty ``TIKTOKEN_CACHE_DIR``)."""
    from chuk_ai_session_manager import SessionManager

    async def probe() -> None:
        await SessionManager(default_model=MODEL).user_says("hello")

    try:
        asyncio.run(probe())
    except Exception as exc:
        return f"user_says raises {type(exc).__module__}.{type(exc).__name__} (tiktoken download)"
    return "works without tiktoken's cache"


# ---- langchain-core ----------------------------------------------------------------------------------


def _tiktoken_message_counter() -> Callable[[Any], int]:
    """Per-message tiktoken counter with OpenAI's chat overhead, as langchain's docs suggest writing."""
    import tiktoken

    encoding = tiktoken.get_encoding("o200k_base")

    def count(messages: list[Any]) -> int:
        return sum(3 + len(encoding.encode_ordinary(str(m.content))) + 1 for m in messages) + 3

    return count


class LangchainTrim:
    """``InMemoryChatMessageHistory`` holding everything, ``trim_messages`` building each request."""

    def __init__(self, budget: int, exact: bool) -> None:
        from langchain_core.chat_history import InMemoryChatMessageHistory
        from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, trim_messages
        from langchain_core.messages.utils import count_tokens_approximately

        self.history = InMemoryChatMessageHistory()
        self.history.add_message(SystemMessage(SYSTEM_PROMPT))
        self._human, self._ai, self._trim = HumanMessage, AIMessage, trim_messages
        self._counter = _tiktoken_message_counter() if exact else count_tokens_approximately
        self._budget = budget
        self.request_messages = 0

    def turn(self, user: str, reply: str) -> int:
        self.history.add_message(self._human(user))
        request = self._trim(
            self.history.messages,
            max_tokens=self._budget,
            token_counter=self._counter,
            strategy="last",
            include_system=True,
            start_on="human",
        )
        self.history.add_message(self._ai(reply))
        self.request_messages = len(request)
        return int(self._counter(request))


def langchain_persist(messages: Sequence[tuple[str, str]], workdir: Path) -> PersistRun:
    """langchain-core ships no durable history; its own serializer (``messages_to_dict``) to a JSON file
    is what it offers, written once per message the way a live chat would."""
    from langchain_core.chat_history import InMemoryChatMessageHistory
    from langchain_core.messages import AIMessage, HumanMessage, messages_from_dict, messages_to_dict

    path = workdir / "langchain.json"

    def persist() -> None:
        history = InMemoryChatMessageHistory()
        for role, text in messages:
            history.add_message(HumanMessage(text) if role == "user" else AIMessage(text))
            path.write_text(json.dumps(messages_to_dict(history.messages)), encoding="utf-8")

    def reload() -> int:
        history = InMemoryChatMessageHistory(messages=messages_from_dict(json.loads(path.read_text("utf-8"))))
        return len(history.messages)

    _, persist_s = _timed(persist)
    count, reload_s = _timed(reload)
    return PersistRun(len(messages), persist_s, reload_s, count, "JSON file (messages_to_dict)")


def langchain_counter() -> Callable[[str], int]:
    from langchain_core.messages import HumanMessage
    from langchain_core.messages.utils import count_tokens_approximately

    return lambda text: int(count_tokens_approximately([HumanMessage(text)], extra_tokens_per_message=0))


# ---- OpenAI Agents SDK -------------------------------------------------------------------------------


class AgentsSQLiteSession:
    """``agents.SQLiteSession`` (in-memory database, its default). It has no token budget, so the
    request is ``get_items()`` (what the Runner loads before each call) cut to the newest items that
    fit, with each item counted once by tiktoken when it is added."""

    def __init__(self, budget: int) -> None:
        import tiktoken
        from agents import SQLiteSession

        self.session = SQLiteSession("bench")
        self._encoding = tiktoken.get_encoding("o200k_base")
        self._counts: list[int] = []
        self._budget = budget
        self.request_messages = 0

    async def turn(self, user: str, reply: str) -> int:
        await self._add({"role": "user", "content": user})
        items = await self.session.get_items()
        size, kept = 3, 0
        for tokens in reversed(self._counts):
            if size + tokens > self._budget:
                break
            size, kept = size + tokens, kept + 1
        request = items[len(items) - kept :]
        await self._add({"role": "assistant", "content": reply})
        self.request_messages = len(request)
        return size

    async def _add(self, item: dict[str, str]) -> None:
        await self.session.add_items([item])  # type: ignore[list-item]
        self._counts.append(4 + len(self._encoding.encode_ordinary(item["content"])))

    def close(self) -> None:
        self.session.close()


def agents_persist(messages: Sequence[tuple[str, str]], workdir: Path) -> PersistRun:
    """``add_items`` per message into a SQLite file, then a new ``SQLiteSession`` and ``get_items()``."""
    from agents import SQLiteSession

    path = workdir / "agents.db"

    async def persist() -> None:
        session = SQLiteSession("bench", db_path=path)
        for role, text in messages:
            await session.add_items([{"role": role, "content": text}])  # type: ignore[list-item,misc]
        session.close()

    async def reload() -> int:
        session = SQLiteSession("bench", db_path=path)
        items = await session.get_items()
        session.close()
        return len(items)

    _, persist_s = _timed(lambda: asyncio.run(persist()))
    count, reload_s = _timed(lambda: asyncio.run(reload()))
    return PersistRun(len(messages), persist_s, reload_s, count, "SQLite file")


# ---- the table ---------------------------------------------------------------------------------------


def chars_over_four() -> Callable[[str], int]:
    return lambda text: math.ceil(len(text) / 4)


@dataclass(frozen=True)
class Contender:
    """One row of the comparison. ``requires`` are the modules it imports (checked before running);
    ``skip`` is a reason to print instead of running, for a contender that cannot be installed."""

    key: str
    label: str
    requires: tuple[str, ...] = ()
    conversation: Callable[[int], Driver] | None = None
    tracked: Callable[[int], Driver] | None = None
    persist_label: str | None = None
    """How the persist workload goes through this contender, where its label does not say it."""
    persist: Callable[[Sequence[tuple[str, str]], Path], PersistRun] | None = None
    counter: Callable[[], Callable[[str], int]] | None = None
    skip: str | None = None
    notes: list[str] = field(default_factory=list)


BASELINE = "sessionforge"
MANAGER = "sessionforge-manager"
"""The baseline of the tracked-turn table."""
RELOAD_BASELINE = "agents"
"""Reloads are compared with the Agents SDK's ``SQLiteSession``, the fastest durable history measured."""

CONTENDERS: list[Contender] = [
    Contender(
        key="sessionforge",
        label="sessionforge ChatSession + TruncateCompactor",
        requires=("sessionforge",),
        conversation=SessionforgeChatSession,
        persist=sessionforge_persist,
        persist_label="sessionforge Store.append / Store.load + decode_records into messages",
        counter=sessionforge_counter,
    ),
    Contender(
        key="sessionforge-session",
        label="sessionforge Session.create / load (core, bound to a store)",
        requires=("sessionforge",),
        persist=sessionforge_session_persist,
    ),
    Contender(
        key="sessionforge-chat",
        label="sessionforge ChatSession.save / load",
        requires=("sessionforge",),
        persist=sessionforge_chat_persist,
    ),
    Contender(
        key="sessionforge-manager",
        label="sessionforge SessionManager (SQLite file)",
        requires=("sessionforge",),
        tracked=SessionforgeManager,
        persist=sessionforge_manager_persist,
    ),
    Contender(
        key="chuk",
        label="chuk-ai-session-manager SessionManager",
        requires=("chuk_ai_session_manager",),
        tracked=ChukSessionManager,
        persist=chuk_persist,
        counter=chuk_counter,
        notes=[
            "reload finds no messages: chuk-sessions' allocate_session keeps the metadata of the first "
            "save, so every later save of the session JSON is dropped",
            "its counter falls back to characters / 4 on text containing special-token strings "
            "such as <|endoftext|> (tiktoken's encode refuses them)",
        ],
    ),
    Contender(
        key="forge_llm",
        label="forge_llm ChatSession + TruncateCompactor",
        skip="no forge-llm / forge_llm distribution on the package registry",
    ),
    Contender(
        key="langchain",
        label="langchain-core history + trim_messages (approximate)",
        requires=("langchain_core",),
        conversation=lambda budget: LangchainTrim(budget, exact=False),
        persist=langchain_persist,
        counter=langchain_counter,
    ),
    Contender(
        key="langchain-tiktoken",
        label="langchain-core history + trim_messages (tiktoken)",
        requires=("langchain_core", "tiktoken"),
        conversation=lambda budget: LangchainTrim(budget, exact=True),
    ),
    Contender(
        key="agents",
        label="openai-agents SQLiteSession",
        requires=("agents",),
        conversation=AgentsSQLiteSession,
        persist=agents_persist,
    ),
    Contender(key="chars/4", label="characters / 4", counter=chars_over_four),
]

BY_KEY = {c.key: c for c in CONTENDERS}
