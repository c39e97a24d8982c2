"""Testing support: savepoint isolation, per-worker test databases, query assertions, N+1 checks.

The pytest plugin (`stanchion.testing.plugin`) is registered by entry point and stays inert until
configured. Names here load on first use, so merely having the plugin installed stays cheap.
"""

from __future__ import annotations

import typing as _typing
from importlib import import_module as _import_module

from stanchion._exports import present_as_public as _present_as_public

if _typing.TYPE_CHECKING:
    from stanchion.testing.databases import prepare, worker_url
    from stanchion.testing.isolation import IsolationBroken, async_isolated, isolated
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
    "async_isolated": "isolation",
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
    "assert_max_queries",
    "assert_num_queries",
    "async_isolated",
    "capture_queries",
    "detect_n_plus_one",
    "isolated",
    "prepare",
    "worker_url",
]


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'stanchion.testing' has no attribute {name!r}")
    namespace = vars(_import_module(f"stanchion.testing.{module}"))
    _present_as_public(__name__, namespace, [name])
    return namespace[name]
