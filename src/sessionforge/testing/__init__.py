"""Test helpers for code built on sessionforge; see :mod:`.conformance` for the storage suite.

The names below are re-exported as they are (``name as name``), so type checkers see them here.
"""

from __future__ import annotations

from .conformance import CHECKS as CHECKS
from .conformance import CheckResult as CheckResult
from .conformance import ConformanceError as ConformanceError
from .conformance import Report as Report
from .conformance import StoreFactory as StoreFactory
from .conformance import assert_conforms as assert_conforms
from .conformance import check_store as check_store
from .conformance import run_check as run_check
