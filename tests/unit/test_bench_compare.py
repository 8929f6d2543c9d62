"""The sessionforge side of every benchmark workload, at tiny sizes: it must do what the table claims.

Timing is never asserted (DESIGN.md: bench prints figures, tests check behaviour); these tests keep
the benchmark honest as the library changes: every turn runs, the budget holds, persistence round-trips,
and sessionforge's counts equal the reference encoder's.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture(scope="module")
def workloads() -> Iterator[ModuleType]:
    sys.path.insert(0, str(BENCH))
    try:
        import workloads as module

        yield module
    finally:
        sys.path.remove(str(BENCH))


@pytest.fixture
def tiktoken_cache(workloads: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """tiktoken's own loader, fed the bundled rank files: the reference works with no network."""
    cache = workloads.prepare_tiktoken_cache(tmp_path / "tiktoken")
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(cache))
    return cache


def test_conversation_is_scripted_and_repeatable(workloads: ModuleType) -> None:
    first, again = workloads.conversation(50), workloads.conversation(50)
    assert first == again
    assert len(first) == 50
    assert workloads.history_messages(7)[-1][0] == "user"
    assert [role for role, _ in workloads.history_messages(4)] == ["user", "assistant"] * 2


def test_conversation_runs_every_turn_inside_the_budget(workloads: ModuleType) -> None:
    budget = 600
    contender = workloads.BY_KEY[workloads.BASELINE]
    run = workloads.run_conversation(contender.conversation, 120, budget)
    assert run.turns_done == run.turns_planned == 120
    assert not run.stopped
    assert run.max_request_tokens is not None
    assert 0 < run.max_request_tokens <= budget
    # The budget forced compaction: far fewer messages are sent than were added.
    assert run.request_messages_at_end is not None
    assert run.request_messages_at_end < 120


def test_conversation_records_peak_memory_when_traced(workloads: ModuleType) -> None:
    contender = workloads.BY_KEY[workloads.BASELINE]
    run = workloads.run_conversation(contender.conversation, 20, 600, trace_memory=True)
    assert run.peak_mib is not None
    assert run.peak_mib > 0


def test_conversation_stops_at_its_deadline(workloads: ModuleType) -> None:
    contender = workloads.BY_KEY[workloads.BASELINE]
    run = workloads.run_conversation(contender.conversation, 50, 600, deadline_s=0.0)
    assert run.stopped
    assert run.turns_done == 1


def test_the_first_window_leaves_out_the_first_turn(
    workloads: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first turn opens the store and creates the session: "first 100" is turns 2-101, so that a
    late/early ratio compares turns with turns. A clock that each turn moves on shows which count."""
    now = [0.0]
    monkeypatch.setattr(workloads.time, "perf_counter", lambda: now[0])

    class Clocked:
        def __init__(self, budget: int) -> None:
            self.turns = 0

        def turn(self, user: str, reply: str) -> None:
            now[0] += 1.0 if self.turns == 0 else 0.001 * self.turns  # turn k (k >= 1) takes k ms
            self.turns += 1

    run = workloads.run_conversation(Clocked, 150, 600, script=workloads.tracked_script)
    assert run.turns_done == 150
    assert run.first100_us == pytest.approx(sum(range(1, 101)) / 100 * 1000)  # turns 2-101
    assert run.last100_us == pytest.approx(sum(range(50, 150)) / 100 * 1000)


def test_persist_and_reload_round_trips(workloads: ModuleType, tmp_path: Path) -> None:
    messages = workloads.history_messages(25)
    run = workloads.BY_KEY[workloads.BASELINE].persist(messages, tmp_path)
    assert run.messages == run.reloaded == 25
    assert run.persist_s > 0
    assert run.reload_s > 0


@pytest.mark.usefixtures("tiktoken_cache")
def test_sessionforge_counts_match_the_reference_exactly(workloads: ModuleType) -> None:
    errors = workloads.mean_abs_pct_error(workloads.sessionforge_counter(), workloads.reference_counter())
    assert set(errors) == {*workloads.CORPUS, "all"}
    assert all(error == 0.0 for error in errors.values())


@pytest.mark.usefixtures("tiktoken_cache")
def test_characters_over_four_is_measurably_off(workloads: ModuleType) -> None:
    errors = workloads.mean_abs_pct_error(workloads.chars_over_four(), workloads.reference_counter())
    assert errors["cjk"] > 10
    assert errors["all"] > 10


def test_harness_worker_reports_json(workloads: ModuleType) -> None:
    """The worker protocol the harness relies on (peers may run in another interpreter)."""
    sys.path.insert(0, str(BENCH))
    try:
        import compare
    finally:
        sys.path.remove(str(BENCH))
    payload = compare.worker(
        workloads.BASELINE, "conversation", {"turns": 30, "budget": 600, "repeats": 1, "cap_s": 30.0}
    )
    json.dumps(payload)
    (run,) = payload["result"]["runs"]
    assert run["turns_done"] == 30
    assert payload["result"]["peak_mib"] > 0


def test_every_contender_is_runnable_or_says_why(workloads: ModuleType) -> None:
    for contender in workloads.CONTENDERS:
        does_something = contender.conversation or contender.persist or contender.counter
        assert does_something or contender.skip, contender.key
    assert workloads.CONTENDERS[0].key == workloads.BASELINE


def _compare() -> ModuleType:
    sys.path.insert(0, str(BENCH))
    try:
        import compare
    finally:
        sys.path.remove(str(BENCH))
    return compare


def test_tracked_script_is_the_same_sixty_words_for_every_side(workloads: ModuleType) -> None:
    script = workloads.tracked_script(20)
    assert script == workloads.tracked_script(20)
    assert all(len(user.split()) == len(reply.split()) == 60 for user, reply in script)


def test_manager_tracked_turns_land_in_its_store(workloads: ModuleType) -> None:
    driver = workloads.SessionforgeManager(600)
    pairs = workloads.tracked_script(15)
    import asyncio

    async def drive() -> dict[str, object]:
        for user, reply in pairs:
            await driver.turn(user, reply)
        stats = await driver.manager.get_stats()
        await driver.close()
        return stats

    stats = asyncio.run(drive())
    assert stats["user_messages"] == stats["ai_messages"] == 15
    assert stats["total_tokens"] > 15 * 2 * 40  # 60 words each, counted exactly


def test_harness_tracked_task_reports_every_turn(workloads: ModuleType) -> None:
    payload = _compare().worker(workloads.MANAGER, "tracked", {"turns": 20, "repeats": 1, "cap_s": 30.0})
    (run,) = payload["result"]["runs"]
    assert run["turns_done"] == 20 and not run["stopped"]


def test_late_early_is_the_median_of_each_runs_own_ratio() -> None:
    # One run's windows go together: the ratio of the median windows could pair one run's early turns
    # with another's late ones.
    def run(first: float, last: float) -> dict[str, object]:
        return {"turns_done": 100, "total_s": 1.0, "stopped": False, "first100_us": first, "last100_us": last}

    summary = _compare().tracked_summary({"runs": [run(100, 150), run(200, 210), run(300, 320)]})
    assert summary is not None
    assert summary["late_early"] == pytest.approx(320 / 300)  # the ratios are 1.5, 1.05 and 1.07
    assert summary["last100_us"] / summary["first100_us"] == pytest.approx(210 / 200)  # not this
    assert summary["late_early_runs"] == pytest.approx([1.5, 1.05, 320 / 300])  # each shown beside it
    lone = _compare().tracked_summary({"runs": [run(100, 150)]})
    assert lone is not None and lone["late_early"] == pytest.approx(1.5)


def test_event_path_processes_combine_by_median() -> None:
    def one(chat: float, manager: float) -> dict[str, object]:
        return {
            "turns": 10,
            "chat_us": chat,
            "manager_us": manager,
            "manager_vs_chat": manager / chat,
            "view_messages": 41,
            "view_ms": chat / 100,
            "view_us_per_message": chat / 4100,
        }

    runs = [one(100, 180), {"error": "worker failed"}, one(100, 140), one(90, 135)]
    combined = _compare().combined_paths(runs)
    assert combined["processes"] == 3  # the failed worker is left out, not counted as a figure
    assert combined["manager_vs_chat"] == pytest.approx(1.5)  # the ratios are 1.8, 1.4 and 1.5
    assert combined["ratios"] == pytest.approx([1.4, 1.5, 1.8])
    assert combined["chat_us"] == 100 and combined["manager_us"] == 140
    assert "processes" in _compare().event_table(combined).splitlines()[0]
    assert _compare().combined_paths([{"error": "x"}]) == {"error": "x"}


def test_event_path_times_both_faces_and_the_view(workloads: ModuleType) -> None:
    result = workloads.event_path(turns=10, repeats=1, view_messages=41)
    assert result["view_messages"] == 41  # the system prompt and 20 turns
    assert result["chat_us"] > 0 and result["manager_us"] > 0
    # One pair: its ratio is the ratio of the two medians.
    assert result["manager_vs_chat"] == pytest.approx(result["manager_us"] / result["chat_us"])
    assert result["view_us_per_message"] == pytest.approx(result["view_ms"] * 1000 / 41)


@pytest.mark.parametrize("key", ["sessionforge", "sessionforge-chat", "sessionforge-manager"])
def test_every_sessionforge_face_round_trips_the_persist_workload(
    workloads: ModuleType, key: str, tmp_path: Path
) -> None:
    run = workloads.BY_KEY[key].persist(workloads.history_messages(12), tmp_path)
    assert run.messages == run.reloaded == 12


def test_startup_measures_fresh_processes(workloads: ModuleType, tmp_path: Path) -> None:
    result = workloads.startup(sessions=3, repeats=1, workdir=tmp_path)
    assert result["tokenizer_s"] > 0 and result["tokenizer_cold_s"] > 0
    assert result["help_s"] > 0 and result["list_s"] > 0
    assert any(tmp_path.joinpath("cache").iterdir())  # the tokenizer cache went where it was told


def test_targets_table_says_which_targets_are_met() -> None:
    text = _compare().targets_table({"manager_vs_chat": 1.2, "manager_vs_chuk": 40.0, "help_s": 0.5})
    lines = {line.split("|")[1].strip(): line for line in text.splitlines()[2:]}
    assert lines["SessionManager (memory://) turn / ChatSession turn"].rstrip(" |").endswith("yes")
    assert lines["SessionManager (SQLite file) turns/s / chuk's turns/s"].rstrip(" |").endswith("no")
    assert lines["sessionforge --help, s"].rstrip(" |").endswith("no")
    assert lines["tokenizer ready, s"].rstrip(" |").endswith("—")


def test_scale_bench_runs_on_a_small_sqlite_store(workloads: ModuleType, tmp_path: Path) -> None:
    sys.path.insert(0, str(BENCH))
    try:
        import scale
    finally:
        sys.path.remove(str(BENCH))
    figures, paged = scale.run_backend(f"sqlite:///{tmp_path / 'scale.db'}", [50, 60], writers=1)
    assert [f.sessions for f in figures] == [50, 60]
    assert all(f.list_ms > 0 and f.load_ms > 0 and f.chat_load_ms > 0 and f.manager_ms > 0 for f in figures)
    assert "growth 50 -> 60" in scale.report("SQLite", figures, paged)
