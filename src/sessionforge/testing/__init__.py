"""Test helpers for code built on sessionforge; see :mod:`.conformance` for the storage suite."""

from __future__ import annotations

from .conformance import (
    CHECKS,
    CheckResult,
    ConformanceError,
    Report,
    StoreFactory,
    assert_conforms,
    check_store,
    run_check,
)

__all__ = [
    "CHECKS",
    "CheckResult",
    "ConformanceError",
    "Report",
    "StoreFactory",
    "assert_conforms",
    "check_store",
    "run_check",
]
