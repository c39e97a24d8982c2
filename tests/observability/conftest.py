"""Observed databases on each backend, with the real OpenTelemetry SDK reading what they report.

Spans go to an `InMemorySpanExporter`, metrics to an `InMemoryMetricReader`: the SDK's own
exporters, not mocks. Each test gets its own providers, so nothing leaks between tests.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, Metric
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy.engine import URL

from stanchion import AsyncDatabase, Database
from stanchion.observability import Observability
from stanchion.testing.isolation import delete_rows, tables_of
from tests import backends as backend_support
from tests.conftest import backend_url
from tests.models import TestModel


@dataclass
class Telemetry:
    """The SDK's in-memory exporter and reader, and helpers to read what they hold."""

    spans: InMemorySpanExporter = field(default_factory=InMemorySpanExporter)
    reader: InMemoryMetricReader = field(default_factory=InMemoryMetricReader)

    def __post_init__(self) -> None:
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.spans))
        self.meter_provider = MeterProvider(metric_readers=[self.reader])

    def config(self, **options: Any) -> Observability:
        options.setdefault("slow_query_ms", None)
        options.setdefault("tracer_provider", self.tracer_provider)
        options.setdefault("meter_provider", self.meter_provider)
        return Observability(**options)

    def finished(self) -> list[ReadableSpan]:
        return list(self.spans.get_finished_spans())

    def metrics(self) -> dict[str, Metric]:
        data = self.reader.get_metrics_data()
        found: dict[str, Metric] = {}
        if data is None:
            return found
        for resource in data.resource_metrics:
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    found[metric.name] = metric
        return found

    def everything_exported(self) -> str:
        """Every span name, attribute, event and metric attribute, as one text to search."""
        parts: list[str] = []
        for span in self.finished():
            parts.append(span.name)
            parts.append(json.dumps(dict(span.attributes or {}), default=str))
            for event in span.events:
                parts.append(event.name + json.dumps(dict(event.attributes or {}), default=str))
            if span.status.description:
                parts.append(span.status.description)
        for metric in self.metrics().values():
            for point in metric.data.data_points:
                parts.append(json.dumps(dict(point.attributes or {}), default=str))
        return "\n".join(parts)


@pytest.fixture
def telemetry() -> Iterator[Telemetry]:
    found = Telemetry()
    yield found
    found.tracer_provider.shutdown()
    found.meter_provider.shutdown()


def url_for(backend: str, *, is_async: bool) -> URL:
    url: URL = backend_url(backend)
    return backend_support.async_url(url) if is_async else url


def _maker(
    kind: type[Database] | type[AsyncDatabase],
    backend: str,
    telemetry: Telemetry,
    made: list[Any],
) -> Any:
    """``make(url=None, **options)``: a database of `kind` observed into `telemetry`."""

    def make(url: URL | None = None, **options: Any) -> Any:
        extra = options.pop("database_options", {})
        is_async = kind is AsyncDatabase
        db = kind(
            url or url_for(backend, is_async=is_async),
            observability=telemetry.config(**options),
            **extra,
        )
        made.append(db)
        return db

    return make


@pytest.fixture
def observed(backend: str, telemetry: Telemetry) -> Iterator[Any]:
    """``observed(**options)``: a sync `Database` observed into `telemetry`; rows cleaned after."""
    made: list[Database] = []
    yield _maker(Database, backend, telemetry, made)
    for db in made:
        with db.engine.begin() as connection:
            delete_rows(connection, tables_of(TestModel.metadata))
        db.dispose()


@pytest.fixture
async def aobserved(backend: str, telemetry: Telemetry) -> AsyncIterator[Any]:
    """The async twin of `observed`."""
    made: list[AsyncDatabase] = []
    yield _maker(AsyncDatabase, backend, telemetry, made)
    for db in made:
        async with db.engine.begin() as connection:
            await connection.run_sync(delete_rows, tables_of(TestModel.metadata))
        await db.dispose()


def attrs(item: Any) -> dict[str, Any]:
    """A span's or event's attributes as a plain dict (the SDK types them as optional)."""
    return dict(item.attributes or {})


def points(metric: Any) -> list[Any]:
    """A metric's data points, whatever its kind."""
    return list(metric.data.data_points)


def slow_entries(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    """The slow-query log's entries (their JSON messages, decoded)."""
    return [
        json.loads(record.getMessage())
        for record in caplog.records
        if record.name == "stanchion.slow_queries"
    ]


def log_text(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(record.getMessage() for record in caplog.records)


logging.getLogger("stanchion.slow_queries").setLevel(logging.WARNING)
