"""The program's way out: ``main()`` leaves what the command made out of the interpreter's final
collection (``gc.freeze``), garbage collection stays on (collected less often, for a long ``chat``
too), and the command's output and exit code are what ``app`` gives.

Each case runs ``main()`` in a fresh interpreter, as ``python -m sessionforge`` does; how long the
exit takes is measured in ``bench/compare.py`` (start-up), not here.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from sessionforge import ChatMessage, ChatSession, open_store

PROGRAM = """
import gc, sys
sys.argv = ["sessionforge", *sys.argv[1:]]
from sessionforge.cli import main
try:
    main()
except SystemExit as exc:
    sys.stdout.flush()
    collecting = "collecting" if gc.isenabled() else "not collecting"
    print(collecting, "frozen" if gc.get_freeze_count() else "not frozen", file=sys.stderr)
    raise
"""


def _main(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", "SESSIONFORGE_CACHE_DIR": str(tmp_path / "cache")}
    return subprocess.run(
        [sys.executable, "-c", PROGRAM, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )


def test_a_listing_prints_all_and_exits_zero_with_its_objects_frozen(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'exit.db'}"
    store = open_store(url)
    for number in range(3):
        session = ChatSession(session_id=f"kept-{number}")
        session.add_message(ChatMessage.user("hello"))
        session.save(store)
    asyncio.run(store.aclose())
    done = _main(["sessions", "list", "--store", url], tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert all(f"kept-{number}" in done.stdout for number in range(3))
    assert done.stderr.splitlines()[-1] == "collecting frozen"


def test_a_failure_keeps_its_exit_code_and_message(tmp_path: Path) -> None:
    done = _main(["sessions", "list", "--store", f"sqlite:///{tmp_path / 'absent.db'}"], tmp_path)
    assert done.returncode == 1
    assert "no store at" in done.stderr
    assert done.stderr.splitlines()[-1] == "collecting frozen"
