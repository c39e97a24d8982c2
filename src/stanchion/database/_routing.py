"""Read replicas for `Database` / `AsyncDatabase`: their engines and the two plan executors.

The decisions (health, rotation, token waits, fallback) are plans in stanchion.engine.replicas;
`drive` and `async_drive` only run each step: a statement on the primary or a replica, or a
pause. Connections a plan opens are returned to their pools before it hands back its answer.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from stanchion.engine import DatabaseSettings, EngineSpec, safe_url
from stanchion.engine.backends import Backend
from stanchion.engine.replicas import Pause, Plan, Rotation
from stanchion.errors import ConfigurationError

T = TypeVar("T")
E = TypeVar("E")


def replica_urls(replicas: Sequence[str | URL] | None, options: dict[str, Any]) -> None:
    """Fold ``replicas=[...]`` into the settings options (``replica_urls``)."""
    if replicas is not None:
        options["replica_urls"] = [
            r.render_as_string(hide_password=False) if isinstance(r, URL) else r for r in replicas
        ]


def build_replicas(
    primary: EngineSpec,
    create: Callable[[EngineSpec], E],
    sync_engine: Callable[[E], Engine],
    *,
    is_async: bool,
    observe: Callable[[Engine, EngineSpec], None] | None = None,
) -> tuple[Rotation | None, list[E]]:
    """The rotation and one engine per configured replica (``create`` makes sync or async ones);
    `observe` (observability) is given each engine before its hooks."""
    specs = replica_specs(primary, is_async=is_async)
    if not specs:
        return None, []
    rotation = rotation_for(specs, primary.backend, primary.settings)
    engines = []
    for index, spec in enumerate(specs):
        engine = create(spec)
        if observe is not None:
            observe(sync_engine(engine), spec)
        install_replica(spec, sync_engine(engine), rotation, index)
        engines.append(engine)
    return rotation, engines


def replica_specs(primary: EngineSpec, *, is_async: bool) -> list[EngineSpec]:
    """One spec per configured replica, with the primary's settings; same backend required."""
    settings: DatabaseSettings = primary.settings
    if settings.pool_pre_ping:
        # Ping replica connections on every checkout: a read moves to another server only
        # when its replica is found dead before the unit of work begins (idle-only pinging,
        # the primary's default, would let it fail at its first statement instead).
        settings = settings.model_copy(update={"pool_pre_ping_idle": 0})
    specs = []
    for secret in settings.replica_urls:
        spec = EngineSpec.build(
            settings, is_async=is_async, url=make_url(secret.get_secret_value())
        )
        if spec.backend.name != primary.backend.name:
            raise ConfigurationError(
                f"replica {safe_url(spec.url)} is {spec.backend.name}, "
                f"the primary is {primary.backend.name}"
            )
        specs.append(spec)
    if specs and not primary.backend.replication.supported:
        raise ConfigurationError(f"read replicas are not supported on {primary.backend.name}")
    return specs


def rotation_for(
    specs: Sequence[EngineSpec], backend: Backend, settings: DatabaseSettings
) -> Rotation:
    return Rotation(
        [safe_url(spec.url) for spec in specs],
        backend.replication,
        max_lag=settings.replica_max_lag,
        check_interval_s=settings.replica_check_interval_s,
        wait_ms=settings.replica_wait_ms,
        fallback=settings.replica_fallback,
    )


def install_replica(spec: EngineSpec, engine: Engine, rotation: Rotation, index: int) -> None:
    """Read-only connections, the usual hooks, and out of rotation when its connection drops."""

    def _on_error(context: Any) -> None:
        # A dropped connection, or none made at all (refused, timed out): out of rotation.
        if context.is_disconnect or context.connection is None:
            rotation.mark_down(
                index, "connection lost" if context.is_disconnect else "no connection"
            )

    event.listen(engine, "handle_error", _on_error, insert=True)  # before translation
    spec.install(engine)
    spec.backend.replication.install_replica(engine)


def drive(plan: Plan[T], connect: Callable[[int | None], Connection]) -> T:
    """Run `plan`; ``connect(None)`` opens a primary connection, ``connect(i)`` a replica's."""
    connections: dict[int | None, Connection] = {}
    try:
        step = next(plan)
        while True:
            if isinstance(step, Pause):
                time.sleep(step.seconds)
                step = plan.send(None)
                continue
            try:
                connection = connections.get(step.target)
                if connection is None:
                    connection = connections[step.target] = connect(step.target)
                value = connection.execute(step.statement, step.params).scalar()
            except Exception as error:  # the plan decides what a failure means
                dropped = connections.pop(step.target, None)
                if dropped is not None:
                    dropped.close()
                step = plan.throw(error)
            else:
                step = plan.send(value)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
    finally:
        for connection in connections.values():
            connection.close()


async def async_drive(plan: Plan[T], connect: Callable[[int | None], AsyncEngine]) -> T:
    """`drive` under asyncio: ``connect(target)`` gives the engine to open a connection on."""
    connections: dict[int | None, AsyncConnection] = {}
    try:
        step = next(plan)
        while True:
            if isinstance(step, Pause):
                await asyncio.sleep(step.seconds)
                step = plan.send(None)
                continue
            try:
                connection = connections.get(step.target)
                if connection is None:
                    connection = connections[step.target] = await connect(step.target).connect()
                value = (await connection.execute(step.statement, step.params)).scalar()
            except Exception as error:  # the plan decides what a failure means
                dropped = connections.pop(step.target, None)
                if dropped is not None:
                    await dropped.close()
                step = plan.throw(error)
            else:
                step = plan.send(value)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
    finally:
        for connection in connections.values():
            await connection.close()
