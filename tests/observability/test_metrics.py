"""Metrics: the database client semantic conventions' names, units and attributes, stanchion's
own counters, and the Prometheus exposition of the same metrics parsed by Prometheus' parser."""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import Histogram, Sum
from opentelemetry.semconv._incubating.metrics import db_metrics as incubating
from opentelemetry.semconv.metrics import db_metrics
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from stanchion import AsyncUnitOfWork, Database, RetryPolicy, SerializationFailure, UnitOfWork
from stanchion.observability import Observability, prometheus_meter_provider, prometheus_text
from tests.models import Writer
from tests.observability.conftest import Telemetry, attrs, points, url_for

NO_WAIT = RetryPolicy(base_delay=0.0, max_delay=0.0)

#: The conventions' own instrument factories: what each metric must be called and measured in.
CONVENTIONS = {
    db_metrics.DB_CLIENT_OPERATION_DURATION: incubating.create_db_client_operation_duration,
    incubating.DB_CLIENT_CONNECTION_COUNT: incubating.create_db_client_connection_count,
    incubating.DB_CLIENT_CONNECTION_MAX: incubating.create_db_client_connection_max,
    incubating.DB_CLIENT_CONNECTION_PENDING_REQUESTS: (
        incubating.create_db_client_connection_pending_requests
    ),
    incubating.DB_CLIENT_CONNECTION_WAIT_TIME: incubating.create_db_client_connection_wait_time,
    incubating.DB_CLIENT_CONNECTION_CREATE_TIME: (
        incubating.create_db_client_connection_create_time
    ),
    incubating.DB_CLIENT_CONNECTION_USE_TIME: incubating.create_db_client_connection_use_time,
}


def _convention_units() -> dict[str, str]:
    meter = MeterProvider().get_meter("conventions")
    return {name: str(getattr(make(meter), "unit", "")) for name, make in CONVENTIONS.items()}


def _sync_work(db: Database) -> None:
    def work(tx: UnitOfWork) -> None:
        tx.repository(Writer).add(Writer(name=f"m{tx.attempt}"))
        if tx.attempt == 1:
            raise SerializationFailure("simulated conflict")

    db.run(work, retry=NO_WAIT)
    with db.transaction(read_only=True) as tx:
        assert tx.repository(Writer).count() == 1


def _check(telemetry: Telemetry, backend: str) -> None:
    metrics = telemetry.metrics()
    for name, unit in _convention_units().items():
        assert name in metrics, f"{name} missing"
        assert metrics[name].unit == unit, name
    duration = metrics[db_metrics.DB_CLIENT_OPERATION_DURATION].data
    assert isinstance(duration, Histogram)
    inserts = [p for p in duration.data_points if attrs(p).get("db.operation.name") == "INSERT"]
    assert sum(p.count for p in inserts) == 2  # one per attempt
    assert attrs(inserts[0])["db.collection.name"] == "t_writers"
    assert attrs(inserts[0])["db.system.name"] in {"sqlite", "postgresql", "mariadb"}
    counts = metrics[incubating.DB_CLIENT_CONNECTION_COUNT].data
    assert isinstance(counts, Sum) and not counts.is_monotonic
    by_state = {attrs(p)["db.client.connection.state"]: p.value for p in counts.data_points}
    assert by_state["used"] == 0 and by_state["idle"] >= 1  # every connection was returned
    pending = metrics[incubating.DB_CLIENT_CONNECTION_PENDING_REQUESTS].data
    assert isinstance(pending, Sum)
    assert all(p.value == 0 for p in pending.data_points)
    (maximum,) = points(metrics[incubating.DB_CLIENT_CONNECTION_MAX])
    assert maximum.value == 15  # pool_size 5 + max_overflow 10
    retries = points(metrics["stanchion.transaction.retries"])
    assert [str(attrs(p)["error.type"]).rsplit(".", 1)[-1] for p in retries] == [
        "SerializationFailure"
    ]
    outcomes = {
        attrs(p)["stanchion.transaction.outcome"]: p.value
        for p in points(metrics["stanchion.transaction.outcomes"])
    }
    assert outcomes == {"retried": 1, "committed": 2}


def test_metrics_follow_the_database_client_conventions(
    backend: str, observed: Any, telemetry: Telemetry
) -> None:
    _sync_work(observed(traces=False))
    _check(telemetry, backend)


@pytest.mark.anyio
async def test_async_metrics_follow_the_database_client_conventions(
    backend: str, aobserved: Any, telemetry: Telemetry
) -> None:
    db = aobserved(traces=False)

    async def work(tx: AsyncUnitOfWork) -> None:
        await tx.repository(Writer).add(Writer(name=f"m{tx.attempt}"))
        if tx.attempt == 1:
            raise SerializationFailure("simulated conflict")

    await db.run(work, retry=NO_WAIT)
    async with db.transaction(read_only=True) as tx:
        assert await tx.repository(Writer).count() == 1
    _check(telemetry, backend)


def test_the_prometheus_exposition_parses_with_the_conventions_names(
    backend: str, observed: Any
) -> None:
    registry = CollectorRegistry()
    provider = prometheus_meter_provider(registry)
    try:
        db = observed(
            url_for(backend, is_async=False),
            meter_provider=provider,
            traces=False,
        )
        _sync_work(db)
        body, content_type = prometheus_text(registry)
    finally:
        provider.shutdown()
    assert content_type.startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(body.decode())}
    duration = families["db_client_operation_duration_seconds"]
    assert duration.type == "histogram"
    counted = [
        s
        for s in duration.samples
        if s.name.endswith("_count") and s.labels.get("db_operation_name") == "INSERT"
    ]
    assert sum(s.value for s in counted) == 2
    used = [
        s
        for s in families["db_client_connection_count"].samples
        if s.labels.get("db_client_connection_state") == "used"
    ]
    assert [s.value for s in used] == [0.0]
    assert families["stanchion_transaction_retries"].type == "counter"
    assert "Writer" not in body.decode() and "m1" not in body.decode()


def test_nothing_is_installed_when_observability_is_off(backend: str) -> None:
    db = Database(url_for(backend, is_async=False))
    try:
        assert db.observer is None
        assert len(db.engine.dispatch.before_cursor_execute) == 0
        assert len(db.engine.dispatch.after_cursor_execute) == 0
        assert type(db.engine.pool).__name__.startswith("Translating") or backend == "sqlite"
    finally:
        db.dispose()


def test_one_setting_turns_metrics_or_everything_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_OBSERVABILITY", "metrics")
    metrics_only = Database("sqlite://")
    monkeypatch.setenv("DATABASE_OBSERVABILITY", "on")
    everything = Database("sqlite://")
    try:
        assert metrics_only.observer is not None and everything.observer is not None
        assert metrics_only.observer.units.tracer is None
        assert everything.observer.units.tracer is not None
        assert everything.observer.slow_queries is not None
    finally:
        metrics_only.dispose()
        everything.dispose()
    with pytest.raises(ValueError):
        Observability.from_level("loud")
