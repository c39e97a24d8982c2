"""``/health``: database ping, pool state, and whether the schema is at the latest migration."""

from __future__ import annotations

from fastapi import APIRouter, Response

from blog.migrate import schema_state
from blog.schemas import HealthOut, PoolOut
from stanchion.fastapi import DatabaseDep

router = APIRouter(tags=["health"])


@router.get("/health", responses={503: {"description": "Database unreachable or schema behind"}})
async def health(db: DatabaseDep, response: Response) -> HealthOut:
    report = await db.health()
    schema = None
    if report.ok:
        try:
            schema = await schema_state(db)
        except Exception:  # a health check reports failures, it does not raise them
            schema = None
    ok = report.ok and schema is not None and schema.is_at_head
    response.status_code = 200 if ok else 503
    return HealthOut(
        status="ok" if ok else "unavailable",
        backend=report.backend,
        latency_ms=None if report.latency_ms is None else round(report.latency_ms, 3),
        pool=PoolOut(
            size=report.pool.size,
            checked_out=report.pool.checked_out,
            checked_in=report.pool.checked_in,
            overflow=report.pool.overflow,
        ),
        schema_at_head=None if schema is None else schema.is_at_head,
        schema_revision=None if schema is None else schema.current,
        schema_head=None if schema is None else schema.head,
    )
