"""Users' type checkers see sessionforge's real types: mypy --strict on a user's module passes."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
USER_CODE = ROOT / "tests" / "typing" / "user_code.py"


def test_mypy_strict_sees_real_types(tmp_path: Path) -> None:
    # `make lint` has just checked the package with the same configuration: starting from a copy of its
    # cache, mypy re-reads only what changed since (it compares each module's hash) and the user's module.
    cache = tmp_path / "mypy-cache"
    if (ROOT / ".mypy_cache").is_dir():
        shutil.copytree(ROOT / ".mypy_cache", cache)
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(cache), str(USER_CODE)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
