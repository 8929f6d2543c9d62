"""Whether a turn does more work as a session grows, counted in instructions rather than time.

On a shared 2-core machine the time of 100 turns moves by a third from run to run, so a late/early time
ratio near 1.2 cannot say whether the session slows down. Instructions executed can: valgrind's
callgrind counts them, and the count does not depend on the machine's load. This runs the tracked-turn
script of ``bench/compare.py`` (``user_says`` + ``ai_responds`` through ``SessionManager`` on an SQLite
file) under callgrind for ``a``, ``2a``, ``b`` and ``b + a`` turns, four processes two at a time, and
prints instructions per turn for turns a+1..2a (early) and b+1..b+a (late), and on average from a to b,
where Python's full collections fall. The counts still move by a few percent from run to run (random
ids, and which appends run on the checkpoint thread), so read the ratios to a few percent.

Needs valgrind (``apt-get install valgrind``); about five minutes at the default sizes.

    .venv/bin/python bench/turn_work.py [window late_start]     # default: 200 10000
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

BENCH = Path(__file__).resolve().parent
TARGET = 1.2
"""Issue 20: late turns cost at most this many times early ones (here: in instructions)."""


def drive(turns: int) -> None:
    """``turns`` tracked turns of the comparison's script through the manager on a fresh SQLite file,
    by the comparison's own harness (no deadline: under callgrind a turn is some 50 times slower)."""
    sys.path.insert(0, str(BENCH))
    import workloads as wl

    manager = wl.BY_KEY[wl.MANAGER].tracked
    assert manager is not None
    wl.run_conversation(manager, turns, 4000, deadline_s=math.inf, script=wl.tracked_script)


def instructions(turns: int) -> int:
    """Instructions a whole process executes for ``turns`` turns (start-up included: it cancels out)."""
    done = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            __file__,
            "--drive",
            str(turns),
        ],
        capture_output=True,
        text=True,
        check=False,
        # One hash seed for the four processes: their start-up then executes the same instructions,
        # and it cancels out of the differences instead of adding its own variation to them.
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    found = re.search(r"Collected\s*:\s*(\d+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"callgrind run of {turns} turns failed: {done.stderr.strip()[-300:]}")
    return int(found.group(1))


def main() -> None:
    if sys.argv[1:2] == ["--drive"]:
        drive(int(sys.argv[2]))
        return
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed: apt-get install valgrind")
    window, late = (int(x) for x in sys.argv[1:3]) if len(sys.argv) >= 3 else (200, 10_000)
    sizes = [window, 2 * window, late, late + window]
    with ThreadPoolExecutor(max_workers=2) as pool:
        counts = dict(zip(sizes, pool.map(instructions, sizes), strict=True))
    early_per_turn = (counts[2 * window] - counts[window]) / window
    late_per_turn = (counts[late + window] - counts[late]) / window
    mean_per_turn = (counts[late] - counts[window]) / (late - window)
    print(f"instructions per tracked turn (SessionManager, SQLite file), callgrind, {late + window:,} turns")
    print(f"  turns {window + 1:,}-{2 * window:,}:   {early_per_turn:,.0f}")
    print(
        f"  turns {late + 1:,}-{late + window:,}: {late_per_turn:,.0f}   late/early {late_per_turn / early_per_turn:.3f}"
    )
    print(
        f"  turns {window + 1:,}-{late:,} on average (Python's collections included): {mean_per_turn:,.0f}   "
        f"/ early {mean_per_turn / early_per_turn:.3f}"
    )
    met = late_per_turn / early_per_turn <= TARGET
    print(f"target late/early <= {TARGET}: {'met' if met else 'not met'} (in instructions, not time)")


if __name__ == "__main__":
    main()
