"""Read-replica rotation: which replica is healthy, where a read goes, how long it waits.

Everything here is free of I/O. Routing, health checks and read-your-writes waits are *plans*:
generators that yield the `Query` or `Pause` they need and receive its result (or the error it
raised, thrown in). `Database` and `AsyncDatabase` each drive a plan with a small executor, so
the decisions are written once for sync and async.
"""

from __future__ import annotations

import enum
import itertools
import logging
import threading
import time
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal, TypeVar

from sqlalchemy import TextClause, text

from stanchion.engine.backends.replication import Replication
from stanchion.engine.causality import CausalityToken
from stanchion.errors import DatabaseUnavailable

logger = logging.getLogger("stanchion.replicas")

T = TypeVar("T")

#: ``Session.info`` key set on sessions bound to a replica (the value is its index).
ON_REPLICA = "stanchion.replica"


@dataclass(frozen=True, slots=True)
class Query:
    """Run `statement` on the primary (`target` None) or replica `target`; send back its scalar."""

    target: int | None
    statement: TextClause
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Pause:
    """Sleep `seconds` (time.sleep or asyncio.sleep) before the next step."""

    seconds: float


Step = Query | Pause
Plan = Generator[Step, Any, T]


@lru_cache(maxsize=64)
def _text(sql: str) -> TextClause:
    return text(sql)


class ReplicaState(enum.Enum):
    """Where a replica stands in rotation."""

    UNKNOWN = "unknown"  # not checked yet: used, and checked on first routing
    HEALTHY = "healthy"
    LAGGING = "lagging"  # reachable, but further behind than replica_max_lag
    DOWN = "down"  # its check or a read on it failed


@dataclass(frozen=True, slots=True)
class ReplicaHealth:
    """One replica as `health()` reports it: state, lag (in `lag_unit`) and the last error."""

    url: str
    state: ReplicaState
    lag: int | None
    lag_unit: str
    error: str | None = None

    @property
    def in_rotation(self) -> bool:
        return self.state in (ReplicaState.HEALTHY, ReplicaState.UNKNOWN)


#: Polling a standby for a position: first pause, and the longest one.
_FIRST_POLL_S = 0.0005
_LONGEST_POLL_S = 0.01


class Rotation:
    """The replicas of one database: their health, round-robin order and the routing plans."""

    def __init__(
        self,
        urls: Sequence[str],
        replication: Replication,
        *,
        max_lag: int | None,
        check_interval_s: float,
        wait_ms: int,
        fallback: Literal["primary", "fail"],
    ) -> None:
        self.replication = replication
        self.max_lag = replication.default_max_lag if max_lag is None else max_lag
        self.check_interval_s = check_interval_s
        self.wait_s = wait_ms / 1000
        self.fallback = fallback
        unit = replication.lag_unit
        self._health = [ReplicaHealth(url, ReplicaState.UNKNOWN, None, unit) for url in urls]
        #: The furthest position each replica is known to have replayed (positions only grow
        #: on a replica, so a token at or before it needs no wait).
        self._replayed: list[str | None] = [None] * len(urls)
        self._turn = itertools.count()
        self._lock = threading.Lock()
        self._check_due = 0.0

    def __len__(self) -> int:
        return len(self._health)

    def report(self) -> tuple[ReplicaHealth, ...]:
        return tuple(self._health)

    # ----- bookkeeping -----

    def candidates(self) -> list[int]:
        """Replicas in rotation, starting at the next one in round-robin order."""
        usable = [i for i, health in enumerate(self._health) if health.in_rotation]
        if not usable:
            return []
        start = next(self._turn) % len(usable)
        return usable[start:] + usable[:start]

    def mark_down(self, index: int, error: BaseException | str) -> None:
        """Take replica `index` out of rotation until a check finds it healthy again."""
        reason = error if isinstance(error, str) else type(error).__name__
        previous = self._health[index]
        if previous.state is not ReplicaState.DOWN:
            logger.warning("replica %s left rotation: %s", previous.url, reason)
        self._health[index] = ReplicaHealth(
            previous.url, ReplicaState.DOWN, None, previous.lag_unit, reason
        )
        self._replayed[index] = None  # it may come back restored from an older copy

    def _record(self, index: int, lag: int) -> None:
        previous = self._health[index]
        state = ReplicaState.HEALTHY if lag <= self.max_lag else ReplicaState.LAGGING
        if state is not previous.state and previous.state is not ReplicaState.UNKNOWN:
            logger.warning("replica %s is now %s (lag %s)", previous.url, state.value, lag)
        self._health[index] = ReplicaHealth(previous.url, state, lag, previous.lag_unit)

    def _claim_check(self, force: bool) -> bool:
        """Whether this caller runs the periodic check now (one caller per interval)."""
        now = time.monotonic()
        with self._lock:
            if not force and now < self._check_due:
                return False
            self._check_due = now + self.check_interval_s
            return True

    # ----- plans -----

    def check(self, *, force: bool = False) -> Plan[tuple[ReplicaHealth, ...]]:
        """Measure each replica's lag against the primary's position (when due, or `force`)."""
        if not self._claim_check(force):
            return self.report()
        try:
            primary = yield Query(None, _text(self.replication.primary_position_sql))
        except Exception as error:  # without the primary there is nothing to measure against
            logger.warning("replica check: primary position unavailable: %s", type(error).__name__)
            return self.report()
        for index in range(len(self._health)):
            try:
                position = yield Query(index, _text(self.replication.replica_position_sql))
            except Exception as error:  # a failed check takes the replica out of rotation
                self.mark_down(index, error)
                continue
            if position is None:
                self.mark_down(index, "no replication position")
            else:
                self._record(index, self.replication.lag(str(primary), str(position)))
                self._saw_replayed(index, str(position))
        return self.report()

    def route_read(self, token: CausalityToken | None) -> Plan[int | None]:
        """Where a read-only unit of work runs: a replica's index, or None for the primary.

        With a token, a replica is used only once it has replayed the token's position, all
        candidates sharing one deadline of ``replica_wait_ms``."""
        yield from self.check()
        deadline = time.monotonic() + self.wait_s
        for index in self.candidates():
            if token is None or self._known_replayed(index, token.position):
                return index
            if (yield from self._wait(index, token.position, deadline)):
                self._saw_replayed(index, token.position)
                return index
            if time.monotonic() >= deadline:
                self._fall_back("no replica replayed the causality token in time")
                return None
        self._fall_back("no replica is in rotation")
        return None

    def _wait(self, index: int, position: str, deadline: float) -> Plan[bool]:
        pause = _FIRST_POLL_S
        while True:
            remaining = max(0.0, deadline - time.monotonic())
            wait = self.replication.wait_statement(position, round(remaining, 3))
            try:
                result = yield Query(index, _text(wait.sql), wait.params)
            except Exception as error:  # the replica failed while we waited: next one
                self.mark_down(index, error)
                return False
            if self.replication.reached(result):
                return True
            if not wait.polls or remaining <= 0:
                return False
            yield Pause(min(pause, remaining))
            pause = min(pause * 2, _LONGEST_POLL_S)

    def _saw_replayed(self, index: int, position: str) -> None:
        known = self._replayed[index]
        self._replayed[index] = (
            position if known is None else self.replication.newer(known, position)
        )

    def _known_replayed(self, index: int, position: str) -> bool:
        known = self._replayed[index]
        return known is not None and self.replication.newer(known, position) == known

    def _fall_back(self, reason: str) -> None:
        """Read from the primary instead (return), or refuse (``replica_fallback="fail"``)."""
        if self.fallback == "fail":
            raise DatabaseUnavailable(f"read replicas unavailable: {reason}")

    def commit_position(self) -> Plan[CausalityToken | None]:
        """The primary's position after a committed write, as a token; None if unavailable."""
        try:
            position = yield Query(None, _text(self.replication.primary_position_sql))
        except Exception as error:  # the write is committed; only its token is lost
            logger.warning("no causality token after commit: %s", type(error).__name__)
            return None
        if not position:
            return None
        return CausalityToken(self.replication.kind, str(position))
