"""After-commit callbacks: collected during a unit of work, run exactly once after it commits.

Callbacks added inside a savepoint that rolls back are dropped with it; a rolled-back or retried
attempt runs none. A failing callback is logged, never raised: the data is already committed.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable

logger = logging.getLogger("stanchion.transactions")

#: A callback: ``def cb() -> None`` (or, on an async unit of work, ``async def cb() -> None``).
Callback = Callable[[], object]


class CommitHooks:
    """The callbacks one unit of work will run after its commit, with savepoint marks."""

    def __init__(self, *, allow_async: bool) -> None:
        self._callbacks: list[Callback] = []
        self._allow_async = allow_async

    def add(self, callback: Callback) -> None:
        if not callable(callback):
            raise TypeError("on_commit needs a callable")
        if not self._allow_async and inspect.iscoroutinefunction(callback):
            raise TypeError("an async callback needs an async transaction (AsyncDatabase)")
        self._callbacks.append(callback)

    def mark(self) -> int:
        """A position to roll back to when a savepoint is rolled back."""
        return len(self._callbacks)

    def discard_from(self, mark: int) -> None:
        """Drop the callbacks added since `mark` (their savepoint rolled back)."""
        del self._callbacks[mark:]

    def take(self) -> list[Callback]:
        """Hand over the callbacks and forget them, so none can ever run twice."""
        callbacks, self._callbacks = self._callbacks, []
        return callbacks


def run_callbacks(callbacks: list[Callback]) -> None:
    """Run sync callbacks in order; log (do not raise) any failure."""
    for callback in callbacks:
        try:
            result = callback()
        except Exception:
            logger.exception("on_commit callback %r failed after the commit", callback)
            continue
        if inspect.isawaitable(result):
            _close(result)
            logger.error("on_commit callback %r returned an awaitable: not awaited", callback)


async def async_run_callbacks(callbacks: list[Callback]) -> None:
    """Run callbacks in order, awaiting those that return an awaitable; log any failure."""
    for callback in callbacks:
        try:
            result = callback()
            if inspect.isawaitable(result):
                await result
        except Exception:
            logger.exception("on_commit callback %r failed after the commit", callback)


def _close(awaitable: Awaitable[object]) -> None:
    close = getattr(awaitable, "close", None)
    if callable(close):
        close()
