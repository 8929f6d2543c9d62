"""Users' type checkers see sessionforge's real types: mypy --strict on a user's module passes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

USER_CODE = Path(__file__).resolve().parents[1] / "typing" / "user_code.py"


def test_mypy_strict_sees_real_types(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--cache-dir",
            str(tmp_path),
            str(USER_CODE),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
