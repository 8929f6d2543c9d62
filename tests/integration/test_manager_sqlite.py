"""A session written by one process is read back complete by another (SQLite file store)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[2] / "src")

WRITER = textwrap.dedent(
    """
    import asyncio, json, sys
    from sessionforge import SessionManager

    async def main():
        sm = SessionManager(system_prompt="You are terse.", infinite_context=True,
                            max_turns_per_segment=6)
        for i in range(7):
            await sm.user_says(f"question {i}")
            await sm.ai_responds(f"answer {i}", model="gpt-4o", provider="openai")
        await sm.tool_used("calculator", {"a": 2, "b": 3}, {"result": 5})
        stats = await sm.get_stats(include_all_segments=True)
        print(json.dumps({"session_id": sm.session_id, "stats": stats}))

    asyncio.run(main())
    """
)

READER = textwrap.dedent(
    """
    import asyncio, json, sys
    from sessionforge import SessionManager, get_conversation_history

    async def main(session_id):
        sm = SessionManager(session_id=session_id)
        stats = await sm.get_stats(include_all_segments=True)
        history = await sm.get_conversation(include_all_segments=True)
        messages = await sm.get_messages_for_llm()
        await sm.user_says("one more")
        print(json.dumps({"stats": stats, "history": [t["content"] for t in history],
                          "messages": messages, "prompt": sm.system_prompt}))

    asyncio.run(main(sys.argv[1]))
    """
)


def _run(code: str, db: Path, *args: str) -> dict[str, object]:
    env = {**os.environ, "SESSIONFORGE_STORE": f"sqlite:///{db}", "PYTHONPATH": SRC}
    done = subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_a_session_survives_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "sessions.db"
    written = _run(WRITER, db)
    session_id = str(written["session_id"])

    read = _run(READER, db, session_id)
    written_stats = dict(written["stats"])  # type: ignore[call-overload]
    read_stats = dict(read["stats"])  # type: ignore[call-overload]
    for key in (
        "user_messages",
        "ai_messages",
        "tool_calls",
        "total_tokens",
        "session_segments",
        "created_at",
        "session_chain",
    ):
        assert read_stats[key] == written_stats[key], key
    assert read_stats["estimated_cost"] == written_stats["estimated_cost"]
    assert read["history"] == [text for i in range(7) for text in (f"question {i}", f"answer {i}")]
    assert read["prompt"] == "You are terse."
    messages = read["messages"]
    assert isinstance(messages, list)
    assert [m["role"] for m in messages][-2:] == ["assistant", "tool"]

    again = _run(READER, db, session_id)  # the reader's own turn was stored too
    assert dict(again["stats"])["user_messages"] == 8  # type: ignore[call-overload]
