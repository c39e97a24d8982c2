"""The OpenTelemetry instruments, made once per meter and shared by every observed database.

Creating an instrument twice under one name makes the SDK complain, and observable instruments
take their callbacks once; so each meter gets one `Instruments`, and the pool gauges read every
live database that registered with it.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from opentelemetry.metrics import CallbackOptions, Counter, Histogram, Meter, Observation

from stanchion.observability import _names as n

if TYPE_CHECKING:
    from stanchion.engine.replicas import Rotation
    from stanchion.observability._pool import PoolTelemetry

_BY_PROVIDER: weakref.WeakKeyDictionary[Any, Instruments] = weakref.WeakKeyDictionary()


class Instruments:
    """Every metric stanchion records, by the database client semantic conventions."""

    def __init__(self, meter: Meter) -> None:
        self.pools: weakref.WeakSet[PoolTelemetry] = weakref.WeakSet()
        self.rotations: weakref.WeakSet[Rotation] = weakref.WeakSet()

        def seconds(name: str, description: str) -> Histogram:
            return meter.create_histogram(
                name,
                unit="s",
                description=description,
                explicit_bucket_boundaries_advisory=list(n.DURATION_BUCKETS),
            )

        def observed(name: str, unit: str, description: str, callback: Any) -> None:
            meter.create_observable_up_down_counter(
                name, callbacks=[callback], unit=unit, description=description
            )

        self.duration = seconds(n.OPERATION_DURATION, "Duration of database client operations.")
        observed(
            n.CONNECTION_COUNT,
            "{connection}",
            "The number of connections that are currently in the state described.",
            self._connection_count,
        )
        observed(
            n.CONNECTION_MAX,
            "{connection}",
            "The maximum number of open connections allowed.",
            self._connection_max,
        )
        observed(
            n.PENDING_REQUESTS,
            "{request}",
            "The number of current pending requests for an open connection.",
            self._pending,
        )
        self.wait_time = seconds(
            n.WAIT_TIME, "The time it took to obtain an open connection from the pool."
        )
        self.create_time = seconds(n.CREATE_TIME, "The time it took to create a new connection.")
        self.use_time = seconds(
            n.USE_TIME, "The time between borrowing a connection and returning it to the pool."
        )
        # Replica lag, as the rotation last measured it: in WAL bytes (PostgreSQL) or in
        # transactions (MariaDB GTID), one instrument per unit.
        observed(n.REPLICA_LAG_BYTES, "By", "How far a read replica is behind.", self._lag_bytes)
        observed(
            n.REPLICA_LAG_TRANSACTIONS,
            "{transaction}",
            "How far a read replica is behind.",
            self._lag_transactions,
        )
        counters = {
            "retries": (n.RETRIES, "{retry}", "Transactions re-run after a retryable error."),
            "outcomes": (
                n.OUTCOMES,
                "{transaction}",
                "Units of work by outcome: committed, rolled_back, retried, unknown.",
            ),
            "slow_queries": (
                n.SLOW_QUERIES,
                "{statement}",
                "Statements slower than the slow-query threshold.",
            ),
            "nplusone": (
                n.NPLUSONE_DETECTIONS,
                "{detection}",
                "Relationships lazy-loaded once per parent object (N+1 queries).",
            ),
        }
        made = {
            key: meter.create_counter(name, unit=unit, description=description)
            for key, (name, unit, description) in counters.items()
        }
        self.retries: Counter = made["retries"]
        self.outcomes: Counter = made["outcomes"]
        self.slow_queries: Counter = made["slow_queries"]
        self.nplusone: Counter = made["nplusone"]

    def _connection_count(self, _options: CallbackOptions) -> Iterable[Observation]:
        for pool in list(self.pools):
            yield from pool.counts()

    def _pending(self, _options: CallbackOptions) -> Iterable[Observation]:
        for pool in list(self.pools):
            yield pool.waiting()

    def _lag(self, unit: str) -> Iterable[Observation]:
        for rotation in list(self.rotations):
            for replica in rotation.report():
                if replica.lag is not None and replica.lag_unit == unit:
                    attributes = {n.REPLICA: replica.url, n.REPLICA_STATE: replica.state.value}
                    yield Observation(replica.lag, attributes)

    def _lag_bytes(self, _options: CallbackOptions) -> Iterable[Observation]:
        return self._lag("bytes")

    def _lag_transactions(self, _options: CallbackOptions) -> Iterable[Observation]:
        return self._lag("transactions")

    def _connection_max(self, _options: CallbackOptions) -> Iterable[Observation]:
        for pool in list(self.pools):
            yield pool.maximum()


def instruments_for(provider: Any) -> Instruments:
    """The one `Instruments` of `provider` (None: the global meter provider)."""
    from opentelemetry import metrics

    from stanchion.observability._version import VERSION

    if provider is None:
        provider = metrics.get_meter_provider()
    found = _BY_PROVIDER.get(provider)
    if found is None:
        meter = provider.get_meter("stanchion", VERSION)
        found = _BY_PROVIDER[provider] = Instruments(meter)
    return found
