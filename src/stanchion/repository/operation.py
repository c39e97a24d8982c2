"""Which repository operation is running (``"Post.get"``): a context variable for telemetry.

Each public `Repository` method names itself here while it runs (the outermost one wins, so
``get_one`` calling ``get`` stays ``get_one``); statement spans and slow-query entries read it.
Setting a context variable costs well under a microsecond, so it stays on when telemetry is off.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, TypeVar

__all__ = ["current_operation", "named_operation"]

F = TypeVar("F", bound=Callable[..., Any])

_CURRENT: ContextVar[str | None] = ContextVar("stanchion_repository_operation", default=None)


def current_operation() -> str | None:
    """The running repository operation (``"Post.list"``), or None outside one."""
    return _CURRENT.get()


def named_operation(method: F) -> F:
    """Wrap a repository method so it names itself (model and method) while it runs."""
    name = method.__name__

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        if _CURRENT.get() is not None:
            return method(self, *args, **kwargs)
        token = _CURRENT.set(f"{self.model.__name__}.{name}")
        try:
            return method(self, *args, **kwargs)
        finally:
            _CURRENT.reset(token)

    return wrapper  # type: ignore[return-value]
