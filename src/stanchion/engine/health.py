"""Pool counters and the health report: what `Database.health()` answers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.pool import Pool

if TYPE_CHECKING:
    from stanchion.engine.replicas import ReplicaHealth


@dataclass(frozen=True, slots=True)
class PoolStatus:
    """How many connections the pool holds and lends right now."""

    size: int
    checked_out: int
    checked_in: int
    overflow: int


@dataclass(frozen=True, slots=True)
class Health:
    """The answer of `Database.health`: reachable or not, ping latency and pool state."""

    ok: bool
    backend: str
    latency_ms: float | None
    pool: PoolStatus
    error: str | None = None
    #: Each read replica's state and lag (empty without replicas).
    replicas: tuple[ReplicaHealth, ...] = ()


def pool_status(pool: Pool) -> PoolStatus:
    """Read `pool`'s counters; pools without them (StaticPool) report zeros."""

    def count(name: str) -> int:
        method = getattr(pool, name, None)
        return int(method()) if callable(method) else 0

    return PoolStatus(
        size=count("size"),
        checked_out=count("checkedout"),
        checked_in=count("checkedin"),
        overflow=max(0, count("overflow")),
    )
