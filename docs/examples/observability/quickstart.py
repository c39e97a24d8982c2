"""Observability quick start: traces and metrics of one database, read back in-process.

A service would export to its collector instead (OTLP); the in-memory exporter and the
Prometheus registry here let the example print what a collector would receive.
"""

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import CollectorRegistry
from sqlalchemy import text

from stanchion import Database
from stanchion.observability import (
    Observability,
    prometheus_meter_provider,
    prometheus_text,
    query_tags,
)

spans = InMemorySpanExporter()
tracing = TracerProvider()
tracing.add_span_processor(SimpleSpanProcessor(spans))
registry = CollectorRegistry()  # a service uses prometheus_client's global REGISTRY

db = Database(  # reads DATABASE_URL, like every example
    observability=Observability(
        tracer_provider=tracing,  # default: the global providers
        meter_provider=prometheus_meter_provider(registry),
        slow_query_ms=200,  # log statements slower than this, with their plan
        query_tags=True,  # /*application='shop',route='GET%20%2Fhealth'*/
        application="shop",
    )
)
with query_tags(route="GET /health"), db.transaction(read_only=True) as tx:
    tx.session.execute(text("SELECT 1"))
db.dispose()

for span in spans.get_finished_spans():
    print(span.name, dict(span.attributes or {}).get("stanchion.transaction.outcome", ""))
body, content_type = prometheus_text(registry)  # what GET /metrics returns
print(next(line for line in body.decode().splitlines() if line.startswith("db_client")))
