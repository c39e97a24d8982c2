"""Observability: OpenTelemetry traces and metrics, a slow-query log with plans, query tags and
N+1 warnings, all turned on by one setting (``observability=`` / ``DATABASE_OBSERVABILITY``).

Sits above the engine and transactions it observes and below `Database`, which wires it; the
OpenTelemetry libraries are imported only when it is turned on (extra ``otel``).
"""

from stanchion._exports import present_as_public as _present_as_public
from stanchion.observability._config import Observability
from stanchion.observability._install import Observer
from stanchion.observability._prometheus import prometheus_meter_provider, prometheus_text
from stanchion.observability._tags import query_tags

__all__ = [
    "Observability",
    "Observer",
    "prometheus_meter_provider",
    "prometheus_text",
    "query_tags",
]

_present_as_public(__name__, globals(), __all__)
