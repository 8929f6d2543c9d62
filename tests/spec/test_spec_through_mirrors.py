"""Every spec snippet again, imported from the mirror of the library it documents.

The spec tests import from ``sessionforge``; here their source is read and the snippets' import lines
(the indented ones inside the tests, which are the documents' own) are pointed at
``sessionforge.compat.chuk_ai_session_manager`` or ``sessionforge.compat.forge_llm`` instead, which
is all a user migrating changes. Helper imports at module level (used by assertions) stay as they
are. The tests then run as written, under names ending in ``__through_<library>``.
"""

from __future__ import annotations

import importlib
import re
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent

MIRRORED: dict[str, str] = {
    "test_chuk_session_manager.py": "chuk_ai_session_manager",
    "test_infinite_context.py": "chuk_ai_session_manager",
    "test_prompt_building.py": "chuk_ai_session_manager",
    "test_tool_integration.py": "chuk_ai_session_manager",
    "test_openai_call_snippets.py": "chuk_ai_session_manager",
    "test_forge_llm_sessions.py": "forge_llm",
}
"""Spec test modules, and the library whose document they run."""

PENDING: dict[str, str] = {}
"""Tests that need what the mirror does not have yet, with the reason."""


SUBMODULES = {"forge_llm": ["domain"]}
"""Where a name the document imports from the top level lives when the library's top level lacks it
(forge_llm's document uses ``ContextOverflowError``, which forge_llm exports from ``forge_llm.domain``)."""


def _home(library: str, name: str) -> str:
    mirror = f"sessionforge.compat.{library}"
    for module in [mirror, *(f"{mirror}.{sub}" for sub in SUBMODULES.get(library, []))]:
        if hasattr(importlib.import_module(module), name):
            return module
    return mirror  # the import then fails, naming the missing name


def _one_line_import(match: re.Match[str], library: str) -> str:
    indent, names, comment = match.group(1), match.group(2), match.group(3) or ""
    homes: dict[str, list[str]] = {}
    for name in (n.strip() for n in names.split(",")):
        homes.setdefault(_home(library, name), []).append(name)
    return "\n".join(f"{indent}from {module} import {', '.join(group)}{comment}" for module, group in homes.items())


def rewrite(source: str, library: str) -> str:
    """Point the snippets' own imports (indented, inside tests) at ``sessionforge.compat.<library>``."""
    mirror = f"sessionforge.compat.{library}"
    source = re.sub(
        r"(?m)^(\s+)from sessionforge import ([\w, ]+?)(\s+#.*)?$", lambda m: _one_line_import(m, library), source
    )
    source = re.sub(r"(?m)^(\s+)from sessionforge import ", rf"\1from {mirror} import ", source)
    source = re.sub(r"(?m)^(\s+)import sessionforge as ", rf"\1import {mirror} as ", source)
    return re.sub(r"(?m)^(\s+)from sessionforge\.sample_tools import ", rf"\1from {mirror}.sample_tools import ", source)


def load(filename: str, library: str) -> types.ModuleType:
    name = f"{filename.removesuffix('.py')}__through_{library}"
    module = types.ModuleType(name)
    module.__file__ = str(HERE / filename)
    sys.modules[name] = module
    code = compile(rewrite((HERE / filename).read_text(encoding="utf-8"), library), str(HERE / filename), "exec")
    exec(code, module.__dict__)
    return module


def _adopt(module: types.ModuleType, library: str) -> dict[str, Any]:
    """The module's tests (and the fixtures they name) under this module, with its marks applied."""
    adopted: dict[str, Any] = {}
    marks = module.__dict__.get("pytestmark", [])
    marks = marks if isinstance(marks, list) else [marks]
    for name, value in module.__dict__.items():
        if name.startswith("test_") and callable(value):
            test: Callable[..., Any] = value
            for mark in marks:
                test = mark(test)
            key = f"{name}__through_{library}"
            if key in PENDING:
                test = pytest.mark.xfail(strict=True, reason=PENDING[key])(test)
            adopted[key] = test
        elif hasattr(value, "_pytestfixturefunction") or type(value).__name__ == "FixtureFunctionDefinition":
            adopted[name] = value
    return adopted


for _filename, _library in MIRRORED.items():
    globals().update(_adopt(load(_filename, _library), _library))


def test_every_snippet_import_is_pointed_at_the_mirror() -> None:
    for filename, library in MIRRORED.items():
        rewritten = rewrite((HERE / filename).read_text(encoding="utf-8"), library)
        assert not re.search(r"(?m)^\s+(from sessionforge import|import sessionforge as)", rewritten), filename
        assert f"sessionforge.compat.{library}" in rewritten, filename
