"""sessionforge against the libraries users would pick instead, like with like, in one run.

    .venv/bin/python bench/compare.py            # full run, about 7 minutes on 2 cores
    .venv/bin/python bench/compare.py --quick    # about 2 minutes: smaller sizes, shorter caps
    .venv/bin/python bench/compare.py --reload   # only (d), the reloads, about a minute

Workloads (see ``workloads.py``), each compared with the library users would pick for the same job:
(a) chat histories: a conversation of 1,000 and 10,000 turns under a 4,000-token budget through
sessionforge's ``ChatSession``, LangChain's history with ``trim_messages`` and the Agents SDK's
``SQLiteSession``, timed per turn at the start and at the end, in total, and for peak memory;
(b) session managers: the same tracked turns (``user_says`` + ``ai_responds``, 60-word messages)
through sessionforge's and chuk's ``SessionManager``, each on its default store, in turns per second,
and sessionforge's late/early turn time at 10,000 turns; (c) sessionforge's event path on its own:
a tracked turn on ``memory://`` against the same two messages through ``ChatSession``, and
``get_messages_for_llm`` on a 4,001-message session; (d) persist and reload 1,000 messages through
every sessionforge face and each library's own persistence, reloads compared with the Agents SDK's
``SQLiteSession``; (e) token-count accuracy against tiktoken's own loader on a mixed corpus;
(f) start-up in fresh processes; (g) the turn cost inside each agent framework (the Agents SDK, LangChain,
LangGraph, pydantic-ai) with its own history and with sessionforge's adapter (``adapters.py``). Every figure is a median over repeated runs, and every ratio compares
figures measured in this same run. The closing table sets each ratio beside its target.

Each measurement runs in a fresh worker process, so one library's imports, caches and garbage never
weigh on another's time or memory. A peer that is not importable here runs under ``--peers-python``
(default ``.venv-peers/bin/python`` when it exists): results come back as JSON either way, which is
what lets the peers live in their own virtualenv when their pins clash with ours.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import workloads as wl
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

RESULT_PREFIX = "BENCH-RESULT "
PEERS_PYTHON = wl.ROOT / ".venv-peers" / "bin" / "python"
BUDGET = 4000


@dataclass(frozen=True)
class Plan:
    """Sizes, repeats and the per-measurement caps that keep a run inside its time."""

    sizes: tuple[int, ...]
    repeats: int
    cap_s: float
    persist_messages: int = 1000
    tracked_turns: int = 1000
    late_turns: int = 10000
    view_messages: int = 4001
    startup_sessions: int = 1000
    adapter_turns: int = 200
    path_pairs: int = 9
    """Back-to-back runs of ChatSession and the manager in the event path (a fraction of a second each)."""
    path_processes: int = 5
    """Worker processes of the event path: its ratio is the median of theirs, as on a 2-core machine
    it moved between 1.3 and 1.8 from one process to the next (with the same hash seed too), more
    than between the pairs of one process."""
    late_repeats: int = 3
    """Runs of the long conversation (seconds each): late/early is the median of their ratios, as one
    run's last 100 turns moved it by ±0.3 with the machine's load."""


FULL = Plan(sizes=(1000, 10000), repeats=3, cap_s=12.0)
QUICK = Plan(sizes=(1000,), repeats=3, cap_s=3.0, persist_messages=300, late_turns=2000, adapter_turns=50)

TARGETS = {
    "manager_vs_chat": 1.5,
    "manager_vs_chuk": 100.0,
    "late_early": 1.2,
    "view_us_per_message": 3.0,
    "reload_vs_agents": 1.0,
    "tokenizer_s": 0.1,
    "help_s": 0.3,
    "list_s": 0.4,
}
"""Issue 20's targets: at most (at least for ``manager_vs_chuk``) these values."""


# ---- worker side -----------------------------------------------------------------------------------


def worker(key: str, task: str, args: dict[str, Any]) -> dict[str, Any]:
    """Run one task for one contender in this process and return JSON-ready results."""
    contender = wl.BY_KEY[key]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = _run_task(contender, task, args)
    notes = sorted({f"{w.category.__name__}: {_first_sentence(str(w.message))}" for w in caught})
    return {"result": result, "warnings": notes}


def _first_sentence(text: str, limit: int = 110) -> str:
    head = text.split(" See ")[0].split(". ")[0]
    return head if len(head) <= limit else head[: limit - 1] + "…"


def _run_task(contender: wl.Contender, task: str, args: dict[str, Any]) -> Any:
    if task == "conversation":
        return _conversation_task(contender, **args)
    if task == "tracked":
        return _tracked_task(contender, **args)
    if task == "event-path":
        return wl.event_path(**args)
    if task == "startup":
        with tempfile.TemporaryDirectory(prefix="sf-bench-startup-") as tmp:
            return wl.startup(workdir=Path(tmp), **args)
    if task == "persist":
        return _persist_task(contender, **args)
    if task == "accuracy":
        assert contender.counter is not None
        return wl.mean_abs_pct_error(contender.counter(), wl.reference_counter())
    if task == "probe":
        return wl.chuk_offline_probe()
    if task == "adapters":
        import adapters  # the frameworks are imported only by the worker that times them

        return adapters.all_rows(**args)
    raise ValueError(f"unknown task {task!r}")


def _conversation_task(
    contender: wl.Contender, turns: int, budget: int, repeats: int, cap_s: float
) -> dict[str, Any]:
    """Warm up (imports and first-call caches are not what a long conversation costs), then time
    ``repeats`` runs, stopping early once the runs add up past ``cap_s``; then one run traced for peak
    memory, which tracemalloc slows down, so it may reach fewer turns: its peak is then a lower bound."""
    assert contender.conversation is not None
    wl.run_conversation(contender.conversation, 5, budget)
    runs: list[wl.ConversationRun] = []
    spent = 0.0
    while len(runs) < repeats and spent < cap_s:
        run = wl.run_conversation(contender.conversation, turns, budget, deadline_s=cap_s)
        runs.append(run)
        spent += run.total_s
        if run.stopped:
            break
    traced = wl.run_conversation(contender.conversation, turns, budget, deadline_s=cap_s, trace_memory=True)
    return {"runs": [r.to_json() for r in runs], "peak_mib": traced.peak_mib, "peak_turns": traced.turns_done}


def _tracked_task(contender: wl.Contender, turns: int, repeats: int, cap_s: float) -> dict[str, Any]:
    """Warm up, then time ``repeats`` runs of the tracked-turn script (stopping early past ``cap_s``)."""
    assert contender.tracked is not None
    wl.run_conversation(contender.tracked, 5, BUDGET, script=wl.tracked_script)
    runs: list[wl.ConversationRun] = []
    spent = 0.0
    while len(runs) < repeats and spent < cap_s:
        run = wl.run_conversation(
            contender.tracked, turns, BUDGET, deadline_s=cap_s, script=wl.tracked_script
        )
        runs.append(run)
        spent += run.total_s
        if run.stopped:
            break
    return {"runs": [r.to_json() for r in runs]}


def _persist_task(contender: wl.Contender, messages: int, repeats: int, cap_s: float) -> list[dict[str, Any]]:
    assert contender.persist is not None
    history = wl.history_messages(messages)
    runs: list[wl.PersistRun] = []
    spent = 0.0
    while len(runs) < repeats and spent < cap_s:
        with tempfile.TemporaryDirectory() as tmp:
            run = contender.persist(history, Path(tmp))
        runs.append(run)
        spent += run.persist_s + run.reload_s
    return [r.to_json() for r in runs]


# ---- harness side ----------------------------------------------------------------------------------


def interpreter_for(contender: wl.Contender, peers_python: Path) -> str | None:
    """This interpreter if it can import the contender, else the peers' one if it exists."""
    if all(find_spec(module) is not None for module in contender.requires):
        return sys.executable
    return str(peers_python) if peers_python.exists() else None


def spawn(python: str, key: str, task: str, args: dict[str, Any], env: dict[str, str], timeout: float) -> Any:
    """Run a worker; return its payload, or a dict with ``error`` saying what went wrong."""
    command = [python, str(Path(__file__).resolve()), "--worker", key, task, json.dumps(args)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"no answer within {timeout:.0f} s"}
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            return json.loads(line[len(RESULT_PREFIX) :])
    tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
    return {"error": f"worker failed: {tail[:200]}"}


def _median(values: Sequence[float]) -> float:
    return statistics.median(values)


def _ratio(value: float | None, base: float | None) -> str:
    if value is None or base is None or base == 0:
        return "—"
    return f"{value / base:.2f}"


def _fmt(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table, so the output can go straight into the README."""
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


def conversation_table(size: int, results: dict[str, Any]) -> str:
    base = _conversation_summary(results.get(wl.BASELINE)) or {}
    rows = []
    for key, payload in results.items():
        label = wl.BY_KEY[key].label
        if "error" in payload:
            rows.append([label, payload["error"], *["—"] * 8])
            continue
        s = _conversation_summary(payload)
        assert s is not None
        turns = f"{s['turns']:,}" if not s["stopped"] else f"stopped at {s['turns']:,}"
        total = _fmt(s["total_s"], 2) if not s["stopped"] else f"> {s['total_s']:.0f}"
        # A stopped run's last turns come before the baseline's, in a shorter history: a lower bound.
        at_least = "≥ " if s["stopped"] else ""
        partial = "≥ " if s["peak_turns"] < size else ""
        peak = _fmt(s["peak_mib"]) + (f" @ {s['peak_turns']:,}" if partial else "")
        rows.append(
            [
                label,
                turns + ("" if s["n"] >= 3 else f" (n={s['n']})"),
                _fmt(s["first100_us"], 0),
                _ratio(s["first100_us"], base.get("first100_us")),
                _fmt(s["last100_us"], 0),
                at_least + _ratio(s["last100_us"], base.get("last100_us")),
                total,
                "—" if s["stopped"] else _ratio(s["total_s"], base.get("total_s")),
                partial + peak,
                "—" if partial else _ratio(s["peak_mib"], base.get("peak_mib")),
            ]
        )
    headers = [
        f"{size:,} turns, {BUDGET:,}-token budget",
        "turns",
        "µs/turn first 100",
        "×",
        "µs/turn last 100",
        "×",
        "total s",
        "×",
        "peak MiB",
        "×",
    ]
    return table(headers, rows)


def _conversation_summary(payload: Any) -> dict[str, Any] | None:
    if not payload or "error" in payload:
        return None
    runs = payload["runs"]
    return {
        "n": len(runs),
        "turns": runs[-1]["turns_done"],
        "stopped": runs[-1]["stopped"],
        "first100_us": _median([r["first100_us"] for r in runs]),
        "last100_us": _median([r["last100_us"] for r in runs]),
        "total_s": _median([r["total_s"] for r in runs]),
        "peak_mib": payload["peak_mib"],
        "peak_turns": payload["peak_turns"],
        "max_request_tokens": runs[-1]["max_request_tokens"],
    }


def persist_table(messages: int, results: dict[str, Any]) -> str:
    """Persist and reload times; reloads as a ratio of the Agents SDK's (target: at most 1.00)."""
    base = results.get(wl.RELOAD_BASELINE)
    base_r = _median([r["reload_s"] for r in base]) if isinstance(base, list) else None
    rows = []
    for key, runs in results.items():
        contender = wl.BY_KEY[key]
        label = contender.persist_label or contender.label
        if isinstance(runs, dict):
            rows.append([label, runs["error"], *["—"] * 4])
            continue
        p = _median([r["persist_s"] for r in runs])
        r_ = _median([r["reload_s"] for r in runs])
        n = "" if len(runs) >= 3 else f" (n={len(runs)})"
        rows.append(
            [
                label,
                runs[0]["backend"] + n,
                _fmt(p * 1000, 0),
                _fmt(r_ * 1000, 1),
                # Reading back less than was written is not a faster reload.
                _ratio(r_, base_r) if runs[-1]["reloaded"] == messages else "—",
                f"{runs[-1]['reloaded']:,} of {messages:,}",
            ]
        )
    headers = [
        f"persist + reload {messages:,} messages",
        "backend",
        "persist ms",
        "reload ms",
        "reload × agents",
        "reloaded",
    ]
    return table(headers, rows)


def tracked_summary(payload: Any) -> dict[str, Any] | None:
    if not payload or "error" in payload:
        return None
    runs = payload["runs"]
    ratios = [r["last100_us"] / r["first100_us"] for r in runs]  # each run's windows together
    return {
        "n": len(runs),
        "turns": runs[-1]["turns_done"],
        "stopped": runs[-1]["stopped"],
        "turns_per_s": _median([r["turns_done"] / r["total_s"] for r in runs]),
        "first100_us": _median([r["first100_us"] for r in runs]),
        "last100_us": _median([r["last100_us"] for r in runs]),
        "late_early": _median(ratios),
        "late_early_runs": ratios,
    }


def tracked_table(turns: int, results: dict[str, Any], late: Any, late_turns: int) -> str:
    """Turns per second of the session managers, each as a multiple of chuk's."""
    chuk = tracked_summary(results.get("chuk"))
    rows = []
    for key, payload in results.items():
        label = wl.BY_KEY[key].label
        s = tracked_summary(payload)
        if s is None:
            rows.append([label, payload.get("error", "—"), *["—"] * 4])
            continue
        done = (
            f"{s['turns']:,}"
            + (" (stopped)" if s["stopped"] else "")
            + ("" if s["n"] >= 3 else f" (n={s['n']})")
        )
        rows.append(
            [
                label,
                done,
                _fmt(s["turns_per_s"], 0),
                _ratio(s["turns_per_s"], chuk["turns_per_s"] if chuk else None),
                _fmt(s["first100_us"], 0),
                _fmt(s["last100_us"], 0),
            ]
        )
    s = tracked_summary(late)
    if s is not None:
        rows.append(
            [
                wl.BY_KEY[wl.MANAGER].label,
                f"{s['turns']:,}" + (" (stopped)" if s["stopped"] else ""),
                _fmt(s["turns_per_s"], 0),
                "—",
                _fmt(s["first100_us"], 0),
                _fmt(s["last100_us"], 0)
                + f" (late/early {s['late_early']:.2f}"
                + (
                    f", median of {s['n']} runs: " + ", ".join(f"{r:.2f}" for r in s["late_early_runs"]) + ")"
                    if s["n"] > 1
                    else ")"
                ),
            ]
        )
    elif late is not None:
        rows.append([wl.BY_KEY[wl.MANAGER].label, late.get("error", "—"), *["—"] * 4])
    headers = [
        f"tracked turns (user_says + ai_responds, 60 words), {turns:,} and {late_turns:,}",
        "turns",
        "turns/s",
        "× chuk",
        "µs/turn first 100",
        "µs/turn last 100",
    ]
    return table(headers, rows)


def combined_paths(results: list[Any]) -> Any:
    """The event-path results of several worker processes as one: each figure the median of the
    processes' own (a process's ratio is already the median of its back-to-back pairs)."""
    good = [r for r in results if r and "error" not in r]
    if not good:
        return results[0] if results else None
    keys = ("chat_us", "manager_us", "manager_vs_chat", "view_ms", "view_us_per_message")
    return {
        **good[0],
        **{key: _median([r[key] for r in good]) for key in keys},
        "processes": len(good),
        "ratios": sorted(r["manager_vs_chat"] for r in good),
    }


def event_table(result: Any) -> str:
    """sessionforge's own event path: the manager on memory:// against ChatSession, and the view."""
    if not result or "error" in result:
        return f"event path: {result.get('error') if result else 'not run'}"
    rows = [
        ["ChatSession: add both messages, count the view", f"{result['chat_us']:,.0f} µs/turn", "1.00"],
        [
            "SessionManager on memory://: user_says + ai_responds",
            f"{result['manager_us']:,.0f} µs/turn",
            f"{result['manager_vs_chat']:.2f}",
        ],
        [
            f"SessionManager.get_messages_for_llm, {result['view_messages']:,} messages",
            f"{result['view_ms']:,.1f} ms/call",
            f"{result['view_us_per_message']:.2f} µs/message",
        ],
    ]
    processes = result.get("processes", 1)
    spread = ", ".join(f"{r:.2f}" for r in result.get("ratios", ()))
    headers = [
        f"sessionforge event path, {result['turns']:,} turns, {processes} process"
        + ("es" if processes > 1 else ""),
        "median",
        "× (median of back-to-back pairs" + (f"; per process {spread})" if processes > 1 else ")"),
    ]
    return table(headers, rows)


def startup_table(result: Any) -> str:
    """Start-up figures beside issue 20's targets; the indented rows say what a figure is made of."""
    if not result or "error" in result:
        return f"start-up: {result.get('error') if result else 'not run'}"

    def ms(key: str) -> str:
        return f"{result[key] * 1000:,.0f} ms"

    def row(label: str, key: str, target: str | None = None) -> list[str]:
        if target is None:
            return [label, ms(key), "", ""]
        met = "yes" if result[key] <= TARGETS[target] else "no"
        return [label, ms(key), f"≤ {TARGETS[target] * 1000:,.0f} ms", met]

    rows = [
        row("tokenizer ready: first count, cache built before", "tokenizer_s", "tokenizer_s"),
        row("  import regex", "tokenizer_import_s"),
        row("  cached ASCII ranks: read, verify SHA-256, unmarshal the dict", "tokenizer_ranks_s"),
        row("  split pattern compiled", "tokenizer_pattern_s"),
        row(
            "full encoder, built later (first text not ASCII, or past 64 K characters): "
            "import tiktoken, full ranks, Rust CoreBPE",
            "tokenizer_encoder_s",
        ),
        row("tokenizer ready: first count, cache cold (builds it)", "tokenizer_cold_s"),
        row("sessionforge --help", "help_s", "help_s"),
        row("sessionforge sessions --help", "group_help_s"),
        row(f"sessionforge sessions list, {result['sessions']:,} sessions (SQLite)", "list_s", "list_s"),
        row("  the same, --prefix matching none (no session read)", "list_none_s"),
    ]
    return table(["start-up, fresh processes (gpt-4o-mini: o200k_base)", "median", "target", "met"], rows)


def targets_table(measured: dict[str, float | None]) -> str:
    """Each ratio of issue 20 beside its target; "at least" for the chuk ratio, "at most" elsewhere."""
    names = {
        "manager_vs_chat": "SessionManager (memory://) turn / ChatSession turn",
        "manager_vs_chuk": "SessionManager (SQLite file) turns/s / chuk's turns/s",
        "late_early": "SessionManager (SQLite file) late / early turn time",
        "view_us_per_message": "get_messages_for_llm µs per message returned",
        "reload_vs_agents": "slowest sessionforge reload / Agents SDK SQLiteSession reload",
        "tokenizer_s": "tokenizer ready, s",
        "help_s": "sessionforge --help, s",
        "list_s": "sessions list on the start-up store, s",
    }
    rows = []
    for key, label in names.items():
        value = measured.get(key)
        goal = TARGETS[key]
        at_least = key == "manager_vs_chuk"
        met = "—" if value is None else ("yes" if (value >= goal if at_least else value <= goal) else "no")
        rows.append(
            [label, ("≥ " if at_least else "≤ ") + f"{goal:g}", "—" if value is None else f"{value:.2f}", met]
        )
    return table(["issue 20 target", "target", "measured", "met"], rows)


def adapter_table(result: Any) -> str:
    """The turn cost inside each agent framework, its own history against sessionforge's adapter."""
    if isinstance(result, dict) and "error" in result:
        return f"agent frameworks: not measured ({result['error']})"
    import adapters

    return "turn cost inside each agent framework (× = against its own history)\n" + adapters.table(result)


def accuracy_table(results: dict[str, Any]) -> str:
    categories = [*wl.CORPUS, "all"]
    rows = []
    for key, errors in results.items():
        label = wl.BY_KEY[key].label
        if "error" in errors:
            rows.append([label, errors["error"], *["—"] * (len(categories) - 1)])
            continue
        rows.append([label, *(f"{errors[c]:.1f}" for c in categories)])
    return table(["token count, mean abs % error vs tiktoken o200k", *categories], rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="about 2 minutes: smaller sizes, short caps")
    parser.add_argument("--only", nargs="*", help="contender keys to run (default: all)")
    parser.add_argument("--reload", action="store_true", help="only the persist-and-reload section")
    parser.add_argument("--peers-python", type=Path, default=PEERS_PYTHON, help="interpreter for peers")
    parser.add_argument("--worker", nargs=3, metavar=("KEY", "TASK", "ARGS"), help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.worker:
        key, task, args = options.worker
        print(RESULT_PREFIX + json.dumps(worker(key, task, json.loads(args))))
        return 0

    plan = QUICK if options.quick else FULL
    started = time.perf_counter()
    cache = wl.prepare_tiktoken_cache(Path(tempfile.mkdtemp(prefix="sessionforge-bench-tiktoken-")))
    env = {**os.environ, "TIKTOKEN_CACHE_DIR": str(cache), "PYTHONWARNINGS": "ignore"}
    chosen = [c for c in wl.CONTENDERS if not options.only or c.key in options.only]

    skipped: list[str] = []
    notes: set[str] = set()
    runnable: dict[str, str] = {}
    for contender in chosen:
        if contender.skip:
            skipped.append(f"{contender.label}: skipped, {contender.skip}")
            continue
        python = interpreter_for(contender, options.peers_python)
        if python is None:
            skipped.append(f"{contender.label}: skipped, not installed here nor in {options.peers_python}")
            continue
        runnable[contender.key] = python

    every = not options.reload
    steps = sum(
        (len(plan.sizes) * bool(wl.BY_KEY[k].conversation) + bool(wl.BY_KEY[k].tracked)) * every
        + bool(wl.BY_KEY[k].persist)
        + bool(wl.BY_KEY[k].counter) * every
        for k in runnable
    ) + (4 if wl.MANAGER in runnable and every else 0)
    # On stderr and transient, so that stdout (the tables) stays clean for redirecting.
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
        redirect_stdout=False,
        redirect_stderr=False,
    )

    def show(table: str) -> None:
        """A finished table on stdout, the bar paused around it so that the two never interleave."""
        bar.stop()
        print(table, end="\n\n", flush=True)
        bar.start()

    progress = bar.add_task("measuring", total=steps)

    def run(
        key: str, task: str, args: dict[str, Any], timeout: float, extra_env: dict[str, str] | None = None
    ) -> Any:
        bar.update(progress, description=f"{task}: {wl.BY_KEY[key].label}")
        payload = spawn(runnable[key], key, task, args, {**env, **(extra_env or {})}, timeout)
        bar.advance(progress)
        if "error" in payload:
            return payload
        notes.update(f"{wl.BY_KEY[key].label}: {w}" for w in payload["warnings"])
        return payload["result"]

    bar.start()

    print(
        f"sessionforge bench: {'quick' if options.quick else 'full'} run, medians of up to {plan.repeats} "
        "runs. × in the chat-history table = contender / sessionforge ChatSession (above 1.00: slower or "
        "larger); the session-manager table divides turns/s by chuk's, the event-path table by ChatSession's "
        "turn, the reload column by the Agents SDK's reload. First 100 = turns 2-101 (the first turn opens "
        "the store and creates the session)\n"
    )
    for size in plan.sizes if every else ():
        args = {"turns": size, "budget": BUDGET, "repeats": plan.repeats, "cap_s": plan.cap_s}
        results = {
            key: run(key, "conversation", args, timeout=plan.cap_s * 8 + 60)
            for key in runnable
            if wl.BY_KEY[key].conversation
        }
        show(conversation_table(size, results))
        base = _conversation_summary(results.get(wl.BASELINE))
        if base is not None:
            notes.add(
                f"sessionforge: largest request {base['max_request_tokens']:,} tokens (budget {BUDGET:,})"
            )

    measured: dict[str, float | None] = {}
    args = {"turns": plan.tracked_turns, "repeats": plan.repeats, "cap_s": plan.cap_s * 2}
    tracked = {
        key: run(key, "tracked", args, timeout=plan.cap_s * 12 + 60)
        for key in runnable
        if wl.BY_KEY[key].tracked and every
    }
    late = None
    if wl.MANAGER in runnable and every:
        late_args = {"turns": plan.late_turns, "repeats": plan.late_repeats, "cap_s": 300.0}
        late = run(wl.MANAGER, "tracked", late_args, timeout=400)
    if every:
        show(tracked_table(plan.tracked_turns, tracked, late, plan.late_turns))
    ours, chuk = tracked_summary(tracked.get(wl.MANAGER)), tracked_summary(tracked.get("chuk"))
    if ours and chuk and not chuk["stopped"] and not ours["stopped"]:
        measured["manager_vs_chuk"] = ours["turns_per_s"] / chuk["turns_per_s"]
    if (s := tracked_summary(late)) is not None and not s["stopped"]:
        measured["late_early"] = s["late_early"]

    if wl.MANAGER in runnable and every:
        args = {"turns": plan.tracked_turns, "repeats": plan.path_pairs, "view_messages": plan.view_messages}
        path = combined_paths(
            [run(wl.MANAGER, "event-path", args, timeout=600) for _ in range(plan.path_processes)]
        )
        show(event_table(path))
        if "error" not in path:
            measured["manager_vs_chat"] = path["manager_vs_chat"]
            measured["view_us_per_message"] = path["view_us_per_message"]

    args = {"messages": plan.persist_messages, "repeats": plan.repeats, "cap_s": plan.cap_s * 2}
    persisted = {
        key: run(key, "persist", args, timeout=plan.cap_s * 8 + 60)
        for key in runnable
        if wl.BY_KEY[key].persist
    }
    show(persist_table(plan.persist_messages, persisted))
    agents = persisted.get(wl.RELOAD_BASELINE)
    faces = [v for k, v in persisted.items() if k.startswith(wl.BASELINE) and isinstance(v, list)]
    if isinstance(agents, list) and faces and all(f[-1]["reloaded"] == plan.persist_messages for f in faces):
        slowest = max(_median([r["reload_s"] for r in f]) for f in faces)
        measured["reload_vs_agents"] = slowest / _median([r["reload_s"] for r in agents])

    if wl.MANAGER in runnable and every:
        args = {"sessions": plan.startup_sessions, "repeats": 5}
        started_up = run(wl.MANAGER, "startup", args, timeout=600)
        show(startup_table(started_up))
        if "error" not in started_up:
            measured.update({k: started_up[k] for k in ("tokenizer_s", "help_s", "list_s")})

    if wl.MANAGER in runnable and every:
        framed = run(wl.MANAGER, "adapters", {"turns": plan.adapter_turns}, timeout=900)
        show(adapter_table(framed))

    accuracy = {
        key: run(key, "accuracy", {}, timeout=120) for key in runnable if wl.BY_KEY[key].counter and every
    }
    bar.stop()
    if every:
        print(accuracy_table(accuracy), end="\n\n")
    print(targets_table(measured), end="\n\n")

    if "chuk" in runnable and every:
        with tempfile.TemporaryDirectory() as empty:
            probe = run("chuk", "probe", {}, timeout=60, extra_env={"TIKTOKEN_CACHE_DIR": empty})
        notes.add(f"chuk-ai-session-manager offline without tiktoken's cache: {probe}")
    notes.update(f"{c.label}: {n}" for c in chosen if c.key in runnable for n in c.notes)
    for line in skipped:
        print(f"- {line}")
    for line in sorted(notes):
        print(f"- {line}")
    print(f"\n{len(runnable)} contenders in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
