"""The reference app serves its database metrics at ``/metrics``, in Prometheus' text format,
under the database client semantic conventions' names."""

from __future__ import annotations

import httpx
import pytest
from blog.app import create_app
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import URL

from stanchion import AsyncDatabase
from stanchion.observability import Observability, prometheus_meter_provider
from tests import backends as backend_support


@pytest.mark.anyio
async def test_metrics_endpoint_serves_the_database_metrics(blog_url: URL) -> None:
    registry = CollectorRegistry()
    provider = prometheus_meter_provider(registry)
    db = AsyncDatabase(
        backend_support.async_url(blog_url),
        observability=Observability(traces=False, meter_provider=provider, slow_query_ms=None),
    )
    app = create_app(db, metrics_registry=registry)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://blog.test") as http:
            assert (await http.get("/posts")).status_code == 200
            response = await http.get("/metrics")
    finally:
        await db.dispose()
        provider.shutdown()
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(response.text)}
    duration = families["db_client_operation_duration_seconds"]
    selects = [
        s
        for s in duration.samples
        if s.name.endswith("_count") and s.labels.get("db_operation_name") == "SELECT"
    ]
    # the page's reads are labelled with their table (a statement that reads no table, like the
    # per-transaction settings sent through PgBouncer, carries no collection label)
    assert "posts" in {s.labels["db_collection_name"] for s in selects}
    assert {"db_client_connection_count", "db_client_connection_max"} <= set(families)
    assert "/metrics" not in (await _schema_paths(app))


async def _schema_paths(app: object) -> set[str]:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://blog.test") as http:
        return set((await http.get("/openapi.json")).json()["paths"])
