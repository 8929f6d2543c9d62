"""The acceptance gate: every Python snippet of both spec documents is run by a test in tests/spec.

A snippet counts as covered when each of its code lines (import lines aside, which change to
``sessionforge``) appears verbatim, in order, in one of the spec test modules. This keeps the
snippet tests honest copies of the documents rather than paraphrases. Non-ASCII characters are left
out of the comparison: the session-manager document's emoji are mis-encoded (UTF-8 read as a Windows
code page, with some bytes lost), and the tests print the emoji the document meant.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

SPEC_DIR = Path(__file__).resolve().parent / "documents"
TESTS_DIR = Path(__file__).resolve().parent
DOCUMENTS = ["forge_llm_sessions.md", "chuk_session_manager.md"]


def _snippets(document: str) -> list[tuple[int, str]]:
    text = (SPEC_DIR / document).read_text(encoding="utf-8")
    found = []
    for match in re.finditer(r"```python\n(.*?)```", text, flags=re.S):
        line_no = text.count("\n", 0, match.start()) + 1
        found.append((line_no, match.group(1)))
    return found


def _ascii(text: str) -> str:
    return text.encode("ascii", errors="ignore").decode("ascii")


def _code_lines(snippet: str) -> list[str]:
    lines = []
    in_import = False
    for raw in snippet.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if in_import:
            in_import = not line.startswith(")")
            continue
        if line.startswith(("from ", "import ")):
            in_import = line.endswith("(")
            continue
        lines.append(_ascii(line).strip())
    return lines


def _test_sources() -> list[str]:
    return [
        "\n".join(_ascii(line).strip() for line in path.read_text(encoding="utf-8").splitlines())
        for path in sorted(TESTS_DIR.glob("test_*.py"))
        if path.name != Path(__file__).name
    ]


def _covered(lines: list[str], sources: list[str]) -> bool:
    for source in sources:
        position = 0
        for line in lines:
            position = source.find(line, position)
            if position < 0:
                break
            position += len(line)
        else:
            return True
    return False


CASES = [
    pytest.param(document, line_no, snippet, id=f"{document}:{line_no}")
    for document in DOCUMENTS
    if (SPEC_DIR / document).exists()
    for line_no, snippet in _snippets(document)
]


def test_spec_documents_are_present() -> None:
    assert CASES, f"no spec snippets found under {SPEC_DIR}"


@pytest.mark.parametrize(("document", "line_no", "snippet"), CASES)
def test_snippet_is_run_by_a_spec_test(document: str, line_no: int, snippet: str) -> None:
    lines = _code_lines(snippet)
    assert _covered(lines, _test_sources()), (
        f"the snippet at {document}:{line_no} is not run verbatim by any test in tests/spec:\n{snippet}"
    )
