"""Wiring: put the listeners of an `Observability` configuration on one engine.

Called by `Database` / `AsyncDatabase` only when observability is on; with it off nothing here
is imported and no listener exists. Needs the ``otel`` extra (OpenTelemetry's API and SDK).
"""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import StaticPool

from stanchion.engine import EngineSpec
from stanchion.engine.replicas import Rotation
from stanchion.errors import ConfigurationError
from stanchion.observability import _names as n
from stanchion.observability._config import Observability
from stanchion.transactions.observer import UnitOfWorkCore


def _require_opentelemetry() -> None:
    try:
        import opentelemetry.metrics
        import opentelemetry.trace  # noqa: F401
    except ImportError as error:
        raise ConfigurationError(
            "observability needs OpenTelemetry: install stanchion[otel]"
        ) from error


class Observer:
    """Everything observing one database; the units of work report to it (``db.observer``)."""

    def __init__(
        self, engine: Engine, spec: EngineSpec, config: Observability, *, is_async: bool
    ) -> None:
        _require_opentelemetry()
        from opentelemetry import trace

        from stanchion.observability._instruments import instruments_for
        from stanchion.observability._units import UnitTelemetry
        from stanchion.observability._version import VERSION

        self.config = config
        self.is_async = is_async
        self.tracer: Any = None
        if config.traces:
            provider = config.tracer_provider or trace.get_tracer_provider()
            self.tracer = provider.get_tracer("stanchion", VERSION)
        self.instruments = instruments_for(config.meter_provider) if config.metrics else None
        self.pools: list[Any] = []
        self.slow_logs: list[Any] = []
        self.base = self._watch(engine, spec)
        self.slow_queries = self.slow_logs[0] if self.slow_logs else None
        self.units = UnitTelemetry(
            base=self.base,
            tracer=self.tracer,
            instruments=self.instruments,
            nplusone_sample=config.nplusone_sample,
            nplusone_threshold=config.nplusone_threshold,
        )

    def observe_replica(self, engine: Engine, spec: EngineSpec) -> None:
        """Watch a read replica's engine too: its statements say which server answered
        (``server.address``), its pool reports under its own name. Call before its hooks."""
        self._watch(engine, spec)

    def observe_rotation(self, rotation: Rotation) -> None:
        """Report the replicas' lag as metrics (``stanchion.replica.lag.bytes`` / ``...``)."""
        if self.instruments is not None:
            self.instruments.rotations.add(rotation)

    def _watch(self, engine: Engine, spec: EngineSpec) -> dict[str, Any]:
        """Put the statement, pool, slow-query and tag listeners on `engine`; its attributes."""
        from stanchion.observability._pool import PoolTelemetry
        from stanchion.observability._slowlog import SlowQueryLog
        from stanchion.observability._statements import StatementTelemetry
        from stanchion.observability._tags import QueryTags

        config, url, backend = self.config, spec.url, spec.backend
        namespace = url.database or ""
        if os.sep in namespace:  # a file database: its name, not where it lives
            namespace = os.path.basename(namespace)
        base: dict[str, Any] = {
            n.DB_SYSTEM_NAME: backend.system_name(engine.dialect),
            n.DB_NAMESPACE: namespace,
        }
        if url.host:
            base[n.SERVER_ADDRESS] = url.host
        if url.port:
            base[n.SERVER_PORT] = url.port

        @event.listens_for(engine, "connect", once=True)
        def _system_known(*_args: Any) -> None:
            # MySQL and MariaDB share a dialect: which one answers is known once connected.
            base[n.DB_SYSTEM_NAME] = backend.system_name(engine.dialect)

        static = isinstance(engine.pool, StaticPool)
        if self.instruments is not None:
            settings = spec.settings
            maximum = 1 if static else settings.pool_size + settings.max_overflow
            where = f"{url.host}:{url.port or ''}/{namespace}" if url.host else namespace
            name = config.pool_name if config.pool_name and not self.pools else where
            self.pools.append(PoolTelemetry(engine, self.instruments, name or "memory", maximum))
        slow = None
        if config.slow_query_ms is not None:
            slow = SlowQueryLog(
                url=url,
                backend=backend,
                is_async=self.is_async,
                threshold_ms=config.slow_query_ms,
                interval=config.slow_query_interval,
                explain=config.explain_slow_queries,
                memory=static,
            )
            self.slow_logs.append(slow)
        if self.tracer is not None or self.instruments is not None or slow is not None:
            StatementTelemetry(
                engine, base=base, tracer=self.tracer, instruments=self.instruments, slow=slow
            )
        # Last, so the spans and the slow-query log above see the statement without its tags.
        if config.query_tags:
            QueryTags(engine, config.application)
        return base

    # ----- TransactionObserver -----

    def unit_started(self, tx: UnitOfWorkCore) -> Any:
        return self.units.unit_started(tx)

    def unit_ended(
        self, tx: UnitOfWorkCore, handle: Any, error: BaseException | None, retry_in: float | None
    ) -> None:
        self.units.unit_ended(tx, handle, error, retry_in)

    def close(self) -> None:
        """Finish the pending slow-query plans (the database is being disposed)."""
        for slow in self.slow_logs:
            slow.close()
