"""The Prometheus exposition of stanchion's metrics: OpenTelemetry's exporter, one registry.

The exporter turns the OpenTelemetry instruments into Prometheus families
(``db_client_operation_duration_seconds``...) when scraped, so the metrics are recorded once.
"""

from __future__ import annotations

from typing import Any


def prometheus_meter_provider(registry: Any = None, **options: Any) -> Any:
    """A `MeterProvider` whose metrics a `/metrics` endpoint serves from `registry`.

    `registry`: a ``prometheus_client.CollectorRegistry`` (default: its global one). Pass the
    provider as ``Observability(meter_provider=...)`` or make it the global one.
    """
    from opentelemetry.exporter.prometheus import PrometheusMetricReader
    from opentelemetry.sdk.metrics import MeterProvider
    from prometheus_client import REGISTRY

    reader = PrometheusMetricReader(registry=registry if registry is not None else REGISTRY)
    return MeterProvider(metric_readers=[reader], **options)


def prometheus_text(registry: Any = None) -> tuple[bytes, str]:
    """The body and content type of a Prometheus scrape of `registry` (default: the global)."""
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

    return generate_latest(registry if registry is not None else REGISTRY), CONTENT_TYPE_LATEST
