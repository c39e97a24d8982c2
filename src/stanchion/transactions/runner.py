"""`run` and `transactional`: a function in a fresh transaction, re-run on retryable errors.

The retry decisions live in `RetryPolicy`; these executors only open the transaction, call
the function and sleep (``time.sleep`` or ``asyncio.sleep``).
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

from stanchion.transactions import active
from stanchion.transactions._core import UnitOfWorkCore
from stanchion.transactions.async_unit_of_work import AsyncUnitOfWork
from stanchion.transactions.retry import RetryPolicy, RetryState
from stanchion.transactions.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from stanchion.engine.backends import Backend
    from stanchion.transactions.source import AsyncSessionSource, SessionSource

P = ParamSpec("P")
T = TypeVar("T")

DEFAULT_POLICY = RetryPolicy()


def run(
    database: SessionSource,
    fn: Callable[..., T],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    *,
    retry: RetryPolicy | None = None,
    isolation_level: str | None = None,
    read_only: bool = False,
) -> T:
    """Call ``fn(tx, *args, **kwargs)`` in a new transaction; retry it whole when safe."""
    policy = _policy(retry)
    active.refuse_if_open(database, "run()")
    state = policy.start()
    while True:
        unit = UnitOfWork(
            database, isolation_level=isolation_level, read_only=read_only, attempt=state.attempt
        )
        unit.report_failure_later = True
        try:
            with unit as tx:
                return fn(tx, *args, **kwargs)
        except Exception as error:
            delay = _decide(state, unit, error, database.backend)
            if delay is None:
                raise
        time.sleep(delay)


async def async_run(
    database: AsyncSessionSource,
    fn: Callable[..., Awaitable[T]],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    *,
    retry: RetryPolicy | None = None,
    isolation_level: str | None = None,
    read_only: bool = False,
) -> T:
    """Await ``fn(tx, *args, **kwargs)`` in a new transaction; retry it whole when safe."""
    policy = _policy(retry)
    active.refuse_if_open(database, "run()")
    state = policy.start()
    while True:
        unit = AsyncUnitOfWork(
            database, isolation_level=isolation_level, read_only=read_only, attempt=state.attempt
        )
        unit.report_failure_later = True
        try:
            async with unit as tx:
                return await fn(tx, *args, **kwargs)
        except Exception as error:
            delay = _decide(state, unit, error, database.backend)
            if delay is None:
                raise
        await asyncio.sleep(delay)


def transactional(
    database: SessionSource,
    *,
    isolation_level: str | None = None,
    read_only: bool = False,
    retry: RetryPolicy | None = None,
) -> Callable[[Callable[Concatenate[UnitOfWork, P], T]], Callable[P, T]]:
    """Decorator: each call of ``fn(*args)`` becomes ``database.run(fn, *args, ...)``."""

    def decorate(fn: Callable[Concatenate[UnitOfWork, P], T]) -> Callable[P, T]:
        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
            return run(
                database,
                fn,
                args,
                kwargs,
                retry=retry,
                isolation_level=isolation_level,
                read_only=read_only,
            )

        return wrapper

    return decorate


def async_transactional(
    database: AsyncSessionSource,
    *,
    isolation_level: str | None = None,
    read_only: bool = False,
    retry: RetryPolicy | None = None,
) -> Callable[[Callable[Concatenate[AsyncUnitOfWork, P], Awaitable[T]]], Callable[P, Awaitable[T]]]:
    """Decorator: each call of ``await fn(*args)`` becomes ``await database.run(fn, *args)``."""

    def decorate(
        fn: Callable[Concatenate[AsyncUnitOfWork, P], Awaitable[T]],
    ) -> Callable[P, Awaitable[T]]:
        @functools.wraps(fn)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
            return await async_run(
                database,
                fn,
                args,
                kwargs,
                retry=retry,
                isolation_level=isolation_level,
                read_only=read_only,
            )

        return wrapper

    return decorate


def _decide(
    state: RetryState, unit: UnitOfWorkCore, error: Exception, backend: Backend
) -> float | None:
    """The delay before re-running after `error` (None: raise it), reported to any observer."""
    unit.error = unit.error or error
    try:
        delay = state.after_failure(error, backend)
    except BaseException as final:  # RetryExhausted: this attempt is the last
        unit.error = final
        unit._report(None)
        raise
    unit._report(delay)
    return delay


def _policy(retry: RetryPolicy | None) -> RetryPolicy:
    if retry is not None and not isinstance(retry, RetryPolicy):
        raise TypeError("retry must be a RetryPolicy")
    return retry or DEFAULT_POLICY
