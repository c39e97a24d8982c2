"""``/metrics``: the Prometheus exposition of the database's OpenTelemetry metrics.

Served from the app's registry (``create_app(metrics_registry=...)``, default: prometheus_client's
global one, which `blog.app` feeds when ``DATABASE_OBSERVABILITY`` is on). Left out of the
OpenAPI schema: it is for the scraper, not for API clients.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from stanchion.observability import prometheus_text

router = APIRouter()


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    body, content_type = prometheus_text(getattr(request.app.state, "metrics_registry", None))
    return Response(body, media_type=content_type)
