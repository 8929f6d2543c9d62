"""The README's Python examples compile, and the first one prints what its comment says."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def _blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_every_python_block_compiles() -> None:
    blocks = _blocks()
    assert blocks
    for block in blocks:
        compile(block, "README.md", "exec", flags=0x2000)  # top-level await allowed


def test_first_session_prints_what_it_claims() -> None:
    block = next(b for b in _blocks() if "A first session" in README.read_text() and "ChatSession(" in b)
    expected = re.search(r"# (\d+ \w+)\s*$", block.strip()).group(1)  # type: ignore[union-attr]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block, "README.md", "exec"), {})
    assert out.getvalue().strip() == expected
