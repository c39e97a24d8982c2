"""`Observability`: what a database reports (traces, metrics, slow queries, tags, N+1) and where.

Plain data, no telemetry library imported: a database built without it installs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: What ``DATABASE_OBSERVABILITY`` (or ``observability=``) may say, and what it turns on.
LEVELS = ("off", "metrics", "on")


@dataclass(frozen=True, slots=True)
class Observability:
    """``Database(url, observability=Observability())``: everything on, with these defaults.

    ``traces``/``metrics``: OpenTelemetry spans and instruments (the global providers unless
    `tracer_provider`/`meter_provider` are given). ``slow_query_ms``: statements slower than this
    are logged once per shape with their plan (None: no slow-query log). ``query_tags``: append
    stable sqlcommenter tags (application, route, operation) to each statement (off: they cost a
    string join per statement). ``nplusone_sample``: the share of units of work watched for N+1
    lazy loads (0 turns detection off).
    """

    traces: bool = True
    metrics: bool = True
    slow_query_ms: float | None = 500.0
    explain_slow_queries: bool = True
    slow_query_interval: float = 60.0
    query_tags: bool = False
    application: str | None = None
    nplusone_sample: float = 0.0
    nplusone_threshold: int = 3
    pool_name: str | None = None
    tracer_provider: Any = None
    meter_provider: Any = None

    def __post_init__(self) -> None:
        if self.slow_query_ms is not None and self.slow_query_ms < 0:
            raise ValueError("slow_query_ms must not be negative (or None)")
        if not 0.0 <= self.nplusone_sample <= 1.0:
            raise ValueError("nplusone_sample must be between 0 and 1")
        if self.nplusone_threshold < 2:
            raise ValueError("nplusone_threshold must be at least 2")

    @property
    def enabled(self) -> bool:
        """Whether anything at all is installed."""
        return (
            self.traces
            or self.metrics
            or self.slow_query_ms is not None
            or self.query_tags
            or self.nplusone_sample > 0
        )

    @classmethod
    def from_level(cls, level: str) -> Observability | None:
        """The configuration a settings value names: ``off`` (None), ``metrics`` or ``on``."""
        value = level.strip().lower()
        if value in ("", "off", "false", "0", "no"):
            return None
        if value == "metrics":
            return cls(traces=False)
        if value in ("on", "true", "1", "yes", "all"):
            return cls()
        raise ValueError(f"observability must be one of {', '.join(LEVELS)}")
