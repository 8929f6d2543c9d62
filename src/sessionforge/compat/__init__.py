"""Drop-in mirrors of other libraries: change the import prefix, keep the code.

``sessionforge.compat.forge_llm`` mirrors forge_llm 0.5.0 and ``sessionforge.compat.chuk_ai_session_manager``
mirrors chuk-ai-session-manager 0.11.2, module path for module path::

    from chuk_ai_session_manager.models.session_event import SessionEvent
    from sessionforge.compat.chuk_ai_session_manager.models.session_event import SessionEvent

The mirrors live in :mod:`sessionforge.interop.compat`; the names here are the same module objects
(not copies), so a class imported through either path is one class. An import hook installed by this
package makes ``sessionforge.compat.<library>.<module>`` resolve to
``sessionforge.interop.compat.<library>.<module>``. Static type checkers do not run import hooks:
they resolve the ``sessionforge.interop.compat`` path. ``MIGRATING.md`` lists every name and every
difference in behaviour.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Sequence
from types import ModuleType

__all__ = ["LIBRARIES"]

LIBRARIES = ("chuk_ai_session_manager", "forge_llm")
"""The libraries mirrored here, by their import names."""

_ALIAS = __name__ + "."
_TARGET = "sessionforge.interop.compat."


class _AliasLoader(importlib.abc.Loader):
    """Hands out the already-imported mirror module instead of executing a second copy."""

    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return importlib.import_module(self.target)

    def exec_module(self, module: ModuleType) -> None:
        # The import system set __spec__ (and __loader__) to this alias; give the real ones back so
        # that reloading, pickling and inspection see the mirror's own module.
        real = importlib.util.find_spec(self.target)
        if real is not None:
            module.__spec__ = real
            module.__loader__ = real.loader


class _AliasFinder(importlib.abc.MetaPathFinder):
    """Resolves ``sessionforge.compat.<library>...`` to ``sessionforge.interop.compat.<library>...``."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if not fullname.startswith(_ALIAS) or fullname.split(".")[2] not in LIBRARIES:
            return None
        real = _TARGET + fullname[len(_ALIAS) :]
        if importlib.util.find_spec(real) is None:
            return None
        return importlib.util.spec_from_loader(fullname, _AliasLoader(real))


if not any(isinstance(finder, _AliasFinder) for finder in sys.meta_path):
    sys.meta_path.insert(0, _AliasFinder())
