"""``make demo``'s script against the embedded model: every line it says it proved is checked again
here, from the store alone (the model's words are never checked, only what the library stored)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sessionforge import ChatSession, open_store
from sessionforge.providers.base import USAGE_KEY
from sessionforge.storage.forks import list_branches

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "examples"))
import demo  # noqa: E402  (the script itself: its lines are what the test looks for)


@pytest.mark.local_model
def test_the_demo_tells_the_story_and_the_store_backs_every_claim(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    report_path = tmp_path / "report.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "demo.py"), "--store", url, "--report", str(report_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Traceback" not in out + done.stderr
    assert out.count("  ✓ ") == 5  # one proof line per step that proves something
    report = json.loads(report_path.read_text())
    store = open_store(url)
    parent = ChatSession.load(report["session"], store)

    # 1 and 2: four turns, each reply stored with its usage; the fourth written by another process
    users = [m for m in parent.history if m.role == "user"]
    assert [m.text for m in users] == [*demo.SCRIPT, demo.CONTINUED]
    usages = [m.metadata[USAGE_KEY] for m in parent.history if m.role == "assistant" and m.text]
    assert len(usages) == 4
    assert all(u["model"] == "smollm2-135m" and u["accuracy"] == "exact" for u in usages)
    assert all(0 < u["completion_tokens"] <= demo.REPLY_TOKENS for u in usages)
    for number, usage in enumerate(usages, start=1):
        assert (
            f"turn {number}: {usage['prompt_tokens']} prompt + {usage['completion_tokens']} completion" in out
        )
    second = users[-1].metadata["process"]
    assert second == report["second_pid"] and second != report["demo_pid"]
    assert f"process {second} (this one is {report['demo_pid']}) added turn 4" in out

    # 3: the fork is listed under its parent, shares turns 1-2 and then asks something else
    assert asyncio.run(list_branches(report["session"], store)) == [report["fork"]]
    branch = ChatSession.load(report["fork"], store)
    assert [m.text for m in branch.history[:5]] == [m.text for m in parent.history[:5]]
    assert [m.text for m in branch.history if m.role == "user"] == [*demo.SCRIPT[:2], demo.FORK_PATH]
    assert f"fork {report['fork'][:8]} is listed under its parent" in out

    # 4: previewed (nothing written by it), applied under the tight budget, undone; all kept
    compact, undo = parent.compactions
    assert (compact.action, undo.action) == ("compact", "undo")
    assert compact.after_tokens <= report["tight"] < compact.before_tokens
    assert undo.after_tokens == compact.before_tokens
    view = [m.text for m in parent.messages]  # undone: what was dropped is back, the summary is out
    assert all(m.text in view for m in compact.dropped) and report["summary"] not in view
    assert "\n".join(m.text for m in compact.added) == report["summary"] != ""
    assert len(compact.dropped) == report["preview_dropped"]
    assert "the preview wrote 0 records" in out
    assert all(m in parent.history for m in parent.messages)  # the view is made of stored messages

    # 5: the budget's totals are the sum of the stored replies, across both processes
    assert parent.budget is not None
    assert parent.budget.spent_tokens == sum(u["total_tokens"] for u in usages) == report["budget_tokens"]

    # 6: the command that opens the inspector on this store
    assert f"sessionforge inspect --store {url}" in out
