"""`RetryPolicy`: when and how soon to re-run a whole transaction; pure, no I/O.

Only errors known to be safe are retried: those the backend profile classifies as transient
(serialization failures, deadlocks, lock wait timeouts, SQLite BUSY), and a connection lost
before COMMIT was sent. Delays grow exponentially with full jitter, under an attempt cap and a
deadline. A commit whose outcome is unknown is never retried.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from stanchion.errors import (
    CommitOutcomeUnknown,
    ConnectionLost,
    RetryExhausted,
    ServerUnreachable,
)

if TYPE_CHECKING:
    from stanchion.engine.backends import Backend

logger = logging.getLogger("stanchion.transactions")


@dataclass(frozen=True, slots=True)
class RetryEvent:
    """One retry about to happen: which attempt failed, with what, and the wait before the next."""

    attempt: int
    error: BaseException
    delay: float


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How `Database.run` retries: ``RetryPolicy(max_attempts=5, deadline=10.0)``.

    ``max_attempts`` counts the first run; ``deadline`` (seconds from the first attempt, None
    for none) stops retrying when the next attempt would start after it. ``retry_on`` adds error
    types you know are safe to re-run (for example `StaleData` when the function re-reads).
    ``on_retry`` is called before each retry (metrics, logs). ``retry_unreachable`` also
    re-runs when no server accepted the connection (nothing was sent): it rides out a
    failover's gap until a new primary answers (docs/scale-out.md#failover).
    """

    max_attempts: int = 10
    base_delay: float = 0.005
    max_delay: float = 0.5
    deadline: float | None = 30.0
    retry_on: tuple[type[BaseException], ...] = ()
    retry_connection_lost: bool = True
    retry_unreachable: bool = False
    on_retry: Callable[[RetryEvent], None] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0:
            raise ValueError("delays must not be negative")
        if self.deadline is not None and self.deadline <= 0:
            raise ValueError("deadline must be positive (or None)")

    def backoff(self, attempt: int, rng: Callable[[], float] = random.random) -> float:
        """Seconds to wait after failed `attempt` (1-based): uniform in [0, min(cap, base·2ⁿ⁻¹)].

        Full jitter spreads competing retries apart, so they do not collide again in step."""
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** min(attempt - 1, 62))
        return rng() * ceiling

    def is_retryable(self, error: BaseException, backend: Backend) -> bool:
        """Whether re-running the whole transaction after `error` is known to be safe."""
        if isinstance(error, CommitOutcomeUnknown):
            return False
        if isinstance(error, ConnectionLost):
            return self.retry_connection_lost
        if isinstance(error, ServerUnreachable):
            return self.retry_unreachable
        return backend.errors.is_retryable(error) or isinstance(error, self.retry_on)

    def start(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
    ) -> RetryState:
        """The bookkeeping of one `run`: attempts made and time left."""
        return RetryState(self, clock, rng, clock())


@dataclass(slots=True)
class RetryState:
    """Attempts of one run under a `RetryPolicy`; decides after each failure."""

    policy: RetryPolicy
    clock: Callable[[], float]
    rng: Callable[[], float]
    started: float
    #: The attempt running now (1-based).
    attempt: int = 1

    def after_failure(self, error: BaseException, backend: Backend) -> float | None:
        """The delay before the next attempt, or None when `error` must propagate unchanged.

        Raises `RetryExhausted` (from `error`) when it is retryable but attempts or time ran out.
        """
        policy = self.policy
        if not policy.is_retryable(error, backend):
            return None
        if self.attempt >= policy.max_attempts:
            raise RetryExhausted(self.attempt, error) from error
        delay = policy.backoff(self.attempt, self.rng)
        if policy.deadline is not None and self.clock() + delay - self.started > policy.deadline:
            raise RetryExhausted(self.attempt, error) from error
        logger.info(
            "attempt %d failed with %s; retrying in %.3fs",
            self.attempt,
            type(error).__name__,
            delay,
        )
        if policy.on_retry is not None:
            policy.on_retry(RetryEvent(self.attempt, error, delay))
        self.attempt += 1
        return delay
