"""Prepared statements: each query shape a repository runs is built once, then reused.

Building a ``select()`` and computing its cache key costs about 100 µs in Python; a statement
object reused as is costs neither (SQLAlchemy memoizes the key), and new values travel as bound
parameters. Keys name everything that decides the SQL; values never enter them.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

#: Most shapes kept; past it the cache starts over (shapes are few in a real application).
MAX_SHAPES = 2048

_SHAPES: dict[Hashable, Any] = {}


def prepared(key: Hashable, build: Callable[[], Any]) -> Any:
    """The statement stored under `key`, built by `build` the first time."""
    statement = _SHAPES.get(key)
    if statement is None:
        if len(_SHAPES) >= MAX_SHAPES:
            _SHAPES.clear()
        statement = _SHAPES[key] = build()
    return statement
