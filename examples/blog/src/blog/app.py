"""The FastAPI application: ``blog.app:app`` for servers, `create_app` for tests and benchmarks."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from blog.limits import BodySizeLimit
from blog.routes import comments, health, metrics, posts, stats, tags, users
from stanchion import AsyncDatabase
from stanchion.fastapi import (
    CausalityMiddleware,
    database_lifespan,
    install_problem_handlers,
    set_database,
)


def create_app(
    database: AsyncDatabase | Callable[[], AsyncDatabase] = AsyncDatabase,
    *,
    metrics_registry: Any = None,
) -> FastAPI:
    """The blog API on `database`: a database, or a factory called at startup (the default
    reads ``DATABASE_URL``), so importing the app never creates an engine. ``/metrics`` serves
    `metrics_registry` (a prometheus_client ``CollectorRegistry``; default: the global one)."""
    # Swagger UI and ReDoc served from the package's own files: /docs works offline.
    app = FastAPIOffline(
        title="stanchion blog",
        summary="The reference app of stanchion: users, posts, comments and tags.",
        version="0.1.0",
        lifespan=database_lifespan(database),
    )
    if isinstance(database, AsyncDatabase):
        set_database(app, database)
    install_problem_handlers(app)
    app.state.metrics_registry = metrics_registry
    # Read-your-writes when DATABASE_REPLICA_URLS sends reads to replicas (docs/scale-out.md).
    app.add_middleware(CausalityMiddleware)
    app.add_middleware(BodySizeLimit)
    for module in (users, posts, comments, tags, stats, health, metrics):
        app.include_router(module.router)
    return app


def _export_metrics_to_prometheus() -> None:
    """With ``DATABASE_OBSERVABILITY`` on, the global meter provider feeds ``/metrics``."""
    if os.environ.get("DATABASE_OBSERVABILITY", "off").strip().lower() in ("", "off"):
        return
    from opentelemetry import metrics as otel_metrics

    from stanchion.observability import prometheus_meter_provider

    otel_metrics.set_meter_provider(prometheus_meter_provider())


_export_metrics_to_prometheus()
app = create_app()
