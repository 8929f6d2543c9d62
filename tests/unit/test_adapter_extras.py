"""The framework adapters are optional: importing sessionforge imports no framework, and an adapter
whose framework is missing says which extra to install."""

from __future__ import annotations

import subprocess
import sys

import pytest

FRAMEWORKS = ("agents", "langchain_core", "langgraph", "pydantic_ai")


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )


def test_importing_sessionforge_imports_no_framework() -> None:
    code = (
        "import sys, sessionforge, sessionforge.interop.adapters, sessionforge.interop.importers\n"
        f"loaded = sorted(m for m in sys.modules if m.split('.')[0] in {FRAMEWORKS!r})\n"
        "print(loaded)"
    )
    done = _run(code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("module", "framework", "extra"),
    [
        ("openai_agents", "agents", "agents"),
        ("langchain", "langchain_core", "langchain"),
        ("langgraph", "langgraph", "langgraph"),
        ("pydantic_ai", "pydantic_ai", "pydantic-ai"),
    ],
)
def test_a_missing_framework_names_its_extra(module: str, framework: str, extra: str) -> None:
    code = (
        f"import sys; sys.modules[{framework!r}] = None\n"
        "from sessionforge.errors import MissingDependencyError\n"
        "try:\n"
        f"    import sessionforge.interop.adapters.{module}\n"
        "except MissingDependencyError as exc:\n"
        "    print(exc)"
    )
    done = _run(code)
    assert done.returncode == 0, done.stderr
    assert f"pip install 'sessionforge[{extra}]'" in done.stdout
