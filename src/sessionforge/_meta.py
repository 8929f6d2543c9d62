"""Version and component availability (the session-manager spec's ``get_version``/``is_available``)."""

from __future__ import annotations

import importlib

__all__ = ["COMPONENTS", "get_version", "is_available"]

# component name (as the spec prints it) -> module that provides it
COMPONENTS: dict[str, str] = {
    "core_enums": "sessionforge.core.events",
    "core_models": "sessionforge.core.session",
    "simple_api": "sessionforge.faces.simple_api",
    "storage": "sessionforge.storage.config",
    "infinite_context": "sessionforge.faces.infinite",
    "tool_processor": "sessionforge.tools.processor",
    "prompt_builder": "sessionforge.context.prompts",
    "token_tracking": "sessionforge.core.usage",
    "exceptions": "sessionforge.errors",
    "session_manager": "sessionforge.faces.manager",
}


def get_version() -> str:
    """The installed version of sessionforge."""
    from importlib import metadata  # lazy: importing it costs more than the rest of the package import

    try:
        return metadata.version("sessionforge")
    except metadata.PackageNotFoundError:  # running from a source tree
        return "0.1.0"


def is_available() -> dict[str, bool]:
    """Which components import cleanly here (``True`` for all of them once installed)."""
    result: dict[str, bool] = {}
    for component, module in COMPONENTS.items():
        try:
            importlib.import_module(module)
        except ImportError:
            result[component] = False
        else:
            result[component] = True
    return result
