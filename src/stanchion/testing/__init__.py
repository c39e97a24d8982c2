"""Testing support: savepoint isolation, per-worker test databases, query assertions, N+1 checks.

The pytest plugin (`stanchion.testing.plugin`) is registered by entry point and stays inert until
configured. Names here load on first use, so merely having the plugin installed stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stanchion.testing.databases import prepare, worker_url
    from stanchion.testing.isolation import IsolationBroken, aisolated, isolated
    from stanchion.testing.nplusone import NPlusOneDetector, NPlusOneError, detect_n_plus_one
    from stanchion.testing.queries import (
        QueryLog,
        assert_max_queries,
        assert_num_queries,
        capture_queries,
    )

_EXPORTS = {
    "prepare": "databases",
    "worker_url": "databases",
    "IsolationBroken": "isolation",
    "aisolated": "isolation",
    "isolated": "isolation",
    "NPlusOneDetector": "nplusone",
    "NPlusOneError": "nplusone",
    "detect_n_plus_one": "nplusone",
    "QueryLog": "queries",
    "assert_max_queries": "queries",
    "assert_num_queries": "queries",
    "capture_queries": "queries",
}

__all__ = [
    "IsolationBroken",
    "NPlusOneDetector",
    "NPlusOneError",
    "QueryLog",
    "aisolated",
    "assert_max_queries",
    "assert_num_queries",
    "capture_queries",
    "detect_n_plus_one",
    "isolated",
    "prepare",
    "worker_url",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'stanchion.testing' has no attribute {name!r}")
    return getattr(importlib.import_module(f"stanchion.testing.{module}"), name)
