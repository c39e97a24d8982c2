"""Observability with read replicas: a statement's span and metrics name the server that
answered it (``server.port``), the replica's pool reports under its own name."""

from __future__ import annotations

from typing import Any

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy import text

from stanchion.cli.top import parse, summarize
from stanchion.observability import Observability, prometheus_meter_provider, prometheus_text
from tests.replicas.conftest import TABLE, Factory, Topology


def test_statement_spans_say_which_server_answered(make_db: Factory, topology: Topology) -> None:
    spans = InMemorySpanExporter()
    tracing = TracerProvider()
    tracing.add_span_processor(SimpleSpanProcessor(spans))
    reader = InMemoryMetricReader()
    meters = MeterProvider(metric_readers=[reader])
    config = Observability(tracer_provider=tracing, meter_provider=meters, slow_query_ms=None)
    db = make_db([topology.replica], observability=config)
    with db.transaction() as tx:
        tx.session.execute(text(f"UPDATE {TABLE} SET v = v WHERE id = 1"))
    with db.transaction(read_only=True) as tx:
        tx.session.execute(text(f"SELECT v FROM {TABLE} WHERE id = 1"))
    ports: dict[str, Any] = {}
    for span in spans.get_finished_spans():
        attributes = dict(span.attributes or {})
        if attributes.get("db.collection.name") == TABLE:
            ports[str(attributes["db.operation.name"])] = attributes["server.port"]
    assert ports == {
        "UPDATE": topology.port(topology.primary),
        "SELECT": topology.port(topology.replica),
    }
    data = reader.get_metrics_data()
    assert data is not None
    pools = {
        dict(point.attributes or {}).get("db.client.connection.pool.name")
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
        if metric.name == "db.client.connection.count"
        for point in metric.data.data_points
    }
    assert len(pools) == 2  # the primary's pool and the replica's
    lag = [
        point
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
        if metric.name.startswith("stanchion.replica.lag.")
        for point in metric.data.data_points
    ]
    assert (
        len(lag) == 1 and dict(lag[0].attributes or {})["stanchion.replica"] == db.replicas[0].url
    )
    tracing.shutdown()
    meters.shutdown()


def test_top_shows_the_replicas_lag(make_db: Factory, topology: Topology) -> None:
    from prometheus_client import CollectorRegistry

    registry = CollectorRegistry()
    provider = prometheus_meter_provider(registry)
    config = Observability(traces=False, meter_provider=provider, slow_query_ms=None)
    db = make_db([topology.replica], observability=config)
    with db.transaction(read_only=True) as tx:
        tx.session.execute(text(f"SELECT v FROM {TABLE} WHERE id = 1"))
    summary = summarize(parse(prometheus_text(registry)[0].decode()), None, 0.0)
    provider.shutdown()
    ((url, (lag, unit, state)),) = summary.replicas.items()
    assert url == db.replicas[0].url and lag >= 0 and state
    assert unit == ("bytes" if topology.backend == "postgresql" else "transactions")
