"""Connection pool metrics: connections by state, the maximum, waits, creation and use times.

Counts are read from the pool when a reader collects (no per-checkout cost); waits are timed
around ``Pool.connect`` by giving the pool a subclass of its own class (kept when the engine
is disposed, since a pool re-creates itself as its own class). A new connection's creation
time runs from that request to the pool's ``connect`` event (a pool that may open one does not
wait first); use time from the ``checkout`` to the ``checkin`` event.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from opentelemetry.metrics import Observation
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

from stanchion.observability import _names as n
from stanchion.observability._instruments import Instruments

_CHECKED_OUT_AT = "stanchion.checked_out_at"
_connecting_since: ContextVar[float | None] = ContextVar("stanchion_connecting", default=None)


class PoolTelemetry:
    """One engine's pool, as the connection metrics see it."""

    def __init__(self, engine: Engine, instruments: Instruments, name: str, maximum: int) -> None:
        self.engine = engine
        self.instruments = instruments
        self.attributes = {n.POOL_NAME: name}
        self._idle = {n.POOL_NAME: name, n.CONNECTION_STATE: "idle"}
        self._used = {n.POOL_NAME: name, n.CONNECTION_STATE: "used"}
        self._maximum = maximum
        #: Requests waiting in ``Pool.connect`` now: a plain count read when metrics are
        #: collected (two SDK calls per checkout saved), guarded for threads.
        self.pending = 0
        self.pending_lock = threading.Lock()
        instruments.pools.add(self)
        self._install()

    def counts(self) -> Iterator[Observation]:
        pool: Any = self.engine.pool
        used = pool.checkedout() if hasattr(pool, "checkedout") else 0
        idle = pool.checkedin() if hasattr(pool, "checkedin") else 0
        yield Observation(idle, self._idle)
        yield Observation(used, self._used)

    def maximum(self) -> Observation:
        return Observation(self._maximum, self.attributes)

    def waiting(self) -> Observation:
        return Observation(self.pending, self.attributes)

    def _install(self) -> None:
        engine, instruments, attributes = self.engine, self.instruments, self.attributes
        pool = engine.pool
        pool.__class__ = _timed_class(type(pool), self)

        @event.listens_for(engine, "connect")
        def _connected(_dbapi: Any, _record: Any) -> None:
            started = _connecting_since.get()
            if started is not None:
                instruments.create_time.record(time.perf_counter() - started, attributes)
                _connecting_since.set(None)

        @event.listens_for(engine, "checkout")
        def _checkout(_dbapi: Any, record: Any, _proxy: Any) -> None:
            record.info[_CHECKED_OUT_AT] = time.perf_counter()

        @event.listens_for(engine, "checkin")
        def _checkin(_dbapi: Any, record: Any) -> None:
            started = record.info.pop(_CHECKED_OUT_AT, None) if record is not None else None
            if started is not None:
                instruments.use_time.record(time.perf_counter() - started, attributes)


def _timed_class(base: type[Pool], telemetry: PoolTelemetry) -> type:
    """A subclass of `base` whose ``connect`` counts waiters and times the wait."""
    wait_time, attributes, lock = (
        telemetry.instruments.wait_time,
        telemetry.attributes,
        telemetry.pending_lock,
    )

    class TimedPool(base):  # type: ignore[valid-type,misc]
        def connect(self) -> Any:
            with lock:
                telemetry.pending += 1
            started = time.perf_counter()
            token = _connecting_since.set(started)
            try:
                return super().connect()
            finally:
                _connecting_since.reset(token)
                with lock:
                    telemetry.pending -= 1
                wait_time.record(time.perf_counter() - started, attributes)

    TimedPool.__name__ = TimedPool.__qualname__ = f"Timed{base.__name__}"
    return TimedPool
