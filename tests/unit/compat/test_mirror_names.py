"""Every public name of forge_llm 0.5.0 and chuk-ai-session-manager 0.11.2 imports through its mirror.

A name is either importable from ``sessionforge.compat.<module>`` (and listed in that module's
``__all__`` when the library lists it), or left out on purpose: then ``MIGRATING.md`` says so, with
its reason, on the name's own row.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import re
from pathlib import Path
from typing import TypeVar

import pytest

from mirrors.catalog import CHUK, CHUK_SUBSYSTEMS, FORGE_LLM, NOT_MIRRORED, entries

MIGRATING = Path(__file__).resolve().parents[3] / "MIGRATING.md"


def _cases(catalog: dict[str, list[str]]) -> list[object]:
    return [pytest.param(module, name, id=f"{module}:{name}") for module, name in entries(catalog)]


def _migrating_rows() -> list[str]:
    return [line for line in MIGRATING.read_text(encoding="utf-8").splitlines() if line.startswith("|")]


@pytest.mark.parametrize(("module", "name"), _cases(FORGE_LLM) + _cases(CHUK))
def test_name_is_mirrored_or_its_absence_is_explained(module: str, name: str) -> None:
    if name in NOT_MIRRORED.get(module, set()):
        rows = [row for row in _migrating_rows() if f"`{name}`" in row and "not mirrored" in row.lower()]
        assert rows, f"{module}.{name} is left out, but MIGRATING.md gives no 'not mirrored' row for it"
        return
    mirror = importlib.import_module(f"sessionforge.compat.{module}")
    assert hasattr(mirror, name), f"sessionforge.compat.{module} has no {name}"
    if hasattr(mirror, "__all__") and not name.startswith("__"):
        assert name in mirror.__all__, f"{name} is missing from sessionforge.compat.{module}.__all__"


def test_every_mirrored_name_has_a_row_in_migrating() -> None:
    text = MIGRATING.read_text(encoding="utf-8")
    missing = sorted(
        {
            name
            for module, name in entries(FORGE_LLM) + entries(CHUK)
            if f"`{name}`" not in text and name != "__version__"
        }
    )
    assert not missing, f"MIGRATING.md has no row for: {missing}"


def test_left_out_subsystems_are_explained() -> None:
    rows = _migrating_rows()
    for package in CHUK_SUBSYSTEMS:
        assert any(package.split(".", 1)[1] in row and "not mirrored" in row.lower() for row in rows), package


def test_an_unknown_mirror_module_is_an_import_error() -> None:
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("sessionforge.compat.forge_llm.nonesuch")
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("sessionforge.compat.langchain")


def test_catalog_matches_installed_chuk() -> None:
    """The chuk list above is what the installed 0.11.2 exports (its ``bench`` extra pins it)."""
    chuk = pytest.importorskip("chuk_ai_session_manager")
    assert chuk.__version__ == "0.11.2"
    found: dict[str, list[str]] = {"chuk_ai_session_manager": list(chuk.__all__)}
    for info in pkgutil.walk_packages(chuk.__path__, "chuk_ai_session_manager."):
        if info.name.startswith(CHUK_SUBSYSTEMS) or info.name.endswith(".api"):
            continue
        module = importlib.import_module(info.name)
        if hasattr(module, "__all__"):
            found[info.name] = list(module.__all__)
        else:
            found[info.name] = [
                name
                for name, value in vars(module).items()
                if not name.startswith("_")
                and not isinstance(value, TypeVar)
                and (
                    getattr(value, "__module__", None) == info.name
                    or (re.fullmatch(r"[A-Z][A-Z0-9_]+", name) and name != "UTC")
                )
            ]
    assert {k: sorted(v) for k, v in found.items()} == {k: sorted(v) for k, v in CHUK.items()}
