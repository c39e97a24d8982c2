"""Finish cleanup work even when the task running it is cancelled.

A cancelled request must still roll back (or finish committing) and return its connection
clean; the cancellation is re-raised once that work is done.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


async def run_to_completion(
    work: Coroutine[Any, Any, T],
) -> tuple[asyncio.Task[T], asyncio.CancelledError | None]:
    """Run `work` in its own task and wait for it, absorbing cancellations of the caller.

    Returns the finished task (read its result or exception) and the cancellation the caller
    received meanwhile, which the caller must re-raise."""
    task = asyncio.ensure_future(work)
    cancelled: asyncio.CancelledError | None = None
    while not task.done():
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError as error:
            if task.cancelled():
                raise  # the work itself was cancelled (event loop shutting down)
            cancelled = error
        except BaseException:  # the task's own failure: the caller reads it
            pass
    return task, cancelled
