"""`Database` and `AsyncDatabase`: the composition root — an engine with transactions on top.

Both are built from one `EngineSpec` (stanchion.engine), so sync and async share every
production default; the `transaction` / `run` / `transactional` façade comes from
stanchion.transactions, which knows databases only through a small protocol.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar, overload

from sqlalchemy import MetaData, Table, create_engine, inspect, text
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import sessionmaker

from stanchion.database import _routing as routing
from stanchion.engine import (
    DatabaseSettings,
    EngineSpec,
    Health,
    StanchionSession,
    pool_status,
    safe_url,
)
from stanchion.engine.backends import Backend
from stanchion.engine.causality import CausalityToken, advance, current_token, usable
from stanchion.engine.replicas import ON_REPLICA, Plan, ReplicaHealth, Rotation
from stanchion.engine.session import CURSOR_SIGNER, RAISE_ON_LAZY_LOAD
from stanchion.observability import Observability, Observer
from stanchion.query.pagination import CursorSigner
from stanchion.transactions import runner
from stanchion.transactions.async_unit_of_work import AsyncUnitOfWork
from stanchion.transactions.retry import RetryPolicy
from stanchion.transactions.unit_of_work import UnitOfWork

P = ParamSpec("P")
T = TypeVar("T")


def _create_missing(
    connection: Connection, metadata: MetaData, tables: Sequence[Table] | None
) -> list[Table]:
    """Create the tables among `tables` (default: all of `metadata`) that are missing."""
    inspector = inspect(connection)
    wanted = metadata.sorted_tables if tables is None else tables
    missing = [t for t in wanted if not inspector.has_table(t.name, schema=t.schema)]
    metadata.create_all(connection, tables=missing, checkfirst=False)
    return [t for t in metadata.sorted_tables if t in missing]


class _Configurable(Protocol):
    """What `sessionmaker` and `async_sessionmaker` share: their options and `configure`."""

    kw: dict[str, Any]

    def configure(self, **new_kw: Any) -> None: ...


def _observer(
    engine: Engine, spec: EngineSpec, given: Observability | bool | None, *, is_async: bool
) -> Observer | None:
    """The observer `given` (or, when None, the ``observability`` setting) asks for, if any."""
    if given is None:
        config = Observability.from_level(spec.settings.observability)
    elif isinstance(given, bool):
        config = Observability() if given else None
    else:
        config = given
    if config is None or not config.enabled:
        return None
    return Observer(engine, spec, config, is_async=is_async)


class _DatabaseBase:
    """What `Database` and `AsyncDatabase` share: settings, backend, safe representation."""

    spec: EngineSpec
    #: What observes this database (stanchion.observability), or None: nothing installed.
    observer: Observer | None = None

    @property
    def settings(self) -> DatabaseSettings:
        return self.spec.settings

    @property
    def backend(self) -> Backend:
        """The backend profile: every dialect difference stanchion knows about this database."""
        return self.spec.backend

    @property
    def url(self) -> str:
        """The URL with its password masked: safe to log."""
        return safe_url(self.spec.url)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.url!r})"

    def _session_info(self) -> dict[str, Any]:
        info: dict[str, Any] = {RAISE_ON_LAZY_LOAD: self.settings.raise_on_lazy_load}
        secrets = self.settings.cursor_secrets
        if secrets:
            info[CURSOR_SIGNER] = CursorSigner([s.get_secret_value() for s in secrets])
        return info

    sessionmaker: _Configurable
    _bound: Connection | AsyncConnection | None = None
    _rotation: Rotation | None = None

    @property
    def replicas(self) -> tuple[ReplicaHealth, ...]:
        """Each read replica's state and lag as last checked (empty without replicas)."""
        return () if self._rotation is None else self._rotation.report()

    def _read_plan(self, read_only: bool) -> Plan[int | None] | None:
        """The routing plan of a unit of work, or None when it runs on the primary as usual."""
        if not read_only or self._rotation is None or self._bound is not None:
            return None
        token = usable(current_token(), self.backend.replication)
        return self._rotation.route_read(token)

    def _commit_plan(self) -> Plan[CausalityToken | None] | None:
        if self._rotation is None or self._bound is not None:
            return None
        return self._rotation.commit_position()

    engine: Engine | AsyncEngine

    def _health(self, latency_ms: float | None, error: BaseException | None = None) -> Health:
        """The report of `health()`: ping latency (None when it failed), pool and replicas."""
        return Health(
            error is None,
            self.backend.name,
            latency_ms,
            pool_status(self.engine.pool),
            None if error is None else type(error).__name__,
            replicas=self.replicas,
        )

    def _remember(self, token: CausalityToken | None) -> CausalityToken | None:
        if token is not None:
            advance(token, self.backend.replication)
        return token

    @property
    def bound(self) -> Connection | AsyncConnection | None:
        """The connection sessions are bound to by `bound_to`, or None (normal operation)."""
        return self._bound

    @contextmanager
    def sessions_configured(self, **options: Any) -> Iterator[None]:
        """Apply `options` to every session made in the block, restoring those options after.

        Mutates `sessionmaker` in place, so code that kept a reference to it sees the change too.
        Only the options given are restored, so overlapping blocks may end in any order.
        """
        missing = object()
        saved = {key: self.sessionmaker.kw.get(key, missing) for key in options}
        self.sessionmaker.configure(**options)
        try:
            yield
        finally:
            for key, value in saved.items():
                if value is missing:
                    self.sessionmaker.kw.pop(key, None)
                else:
                    self.sessionmaker.kw[key] = value

    @contextmanager
    def lazy_loads_allowed(self) -> Iterator[None]:
        """Let sessions made in the block lazy-load (the N+1 detector needs to see them)."""
        info = {**self.sessionmaker.kw.get("info", {}), RAISE_ON_LAZY_LOAD: False}
        with self.sessions_configured(info=info):
            yield

    @contextmanager
    def bound_to(self, connection: Connection | AsyncConnection) -> Iterator[None]:
        """Make every session of this database join `connection`'s transaction (tests).

        Sessions start a SAVEPOINT on it, so their commits and rollbacks stay inside the
        transaction the caller owns and rolls back. Restores the normal sessionmaker afterwards.
        """
        previous = self._bound
        self._bound = connection
        try:
            with self.sessions_configured(
                bind=connection, join_transaction_mode="create_savepoint"
            ):
                yield
        finally:
            self._bound = previous


class Database(_DatabaseBase):
    """A configured sync engine and its sessions. ``Database()`` reads ``DATABASE_URL``;
    ``replicas=[...]`` (or ``DATABASE_REPLICA_URLS``) sends read-only work to read replicas."""

    def __init__(
        self,
        url: str | URL | None = None,
        *,
        replicas: Sequence[str | URL] | None = None,
        settings: DatabaseSettings | None = None,
        observability: Observability | bool | None = None,
        **options: Any,
    ) -> None:
        routing.replica_urls(replicas, options)
        self.spec = EngineSpec.from_arguments(url, settings, is_async=False, **options)
        self.engine: Engine = create_engine(self.spec.url, **self.spec.options)
        # Observers first: their error listener must run before translation raises its own.
        self.observer = _observer(self.engine, self.spec, observability, is_async=False)
        self.spec.install(self.engine)
        self.replica_engines: list[Engine]
        self._rotation, self.replica_engines = routing.build_replicas(
            self.spec,
            lambda spec: create_engine(spec.url, **spec.options),
            lambda e: e,
            is_async=False,
            observe=self.observer.observe_replica if self.observer else None,
        )
        if self.observer is not None and self._rotation is not None:
            self.observer.observe_rotation(self._rotation)
        self.sessionmaker: sessionmaker[StanchionSession] = sessionmaker(
            self.engine, class_=StanchionSession, expire_on_commit=False, info=self._session_info()
        )

    def session(self, **options: Any) -> StanchionSession:
        """A new session (use it as a context manager); commit it yourself or use a transaction."""
        return self.sessionmaker(**options)

    def _connect(self, target: int | None) -> Connection:
        engine = self.engine if target is None else self.replica_engines[target]
        return engine.connect()

    def unit_session(self, *, read_only: bool) -> StanchionSession:
        """The session of a unit of work: read-only work on a replica that has replayed this
        context's causality token, everything else on the primary."""
        plan = self._read_plan(read_only)
        target = None if plan is None else routing.drive(plan, self._connect)
        if target is None:
            return self.sessionmaker()
        return self.sessionmaker(bind=self.replica_engines[target], info={ON_REPLICA: target})

    def unit_committed(self) -> CausalityToken | None:
        """After a unit of work committed: its causality token (None without replicas)."""
        plan = self._commit_plan()
        return None if plan is None else self._remember(routing.drive(plan, self._connect))

    def transaction(
        self, *, isolation_level: str | None = None, read_only: bool = False
    ) -> UnitOfWork:
        """``with db.transaction() as tx:`` commits when the block ends normally, else rolls back.

        `isolation_level` ("READ COMMITTED", "REPEATABLE READ", "SERIALIZABLE") and `read_only`
        apply to this transaction only. See docs/transactions.md."""
        return UnitOfWork(self, isolation_level=isolation_level, read_only=read_only)

    # The first overload lets a type checker infer ``db.run(lambda tx: ...)``: it cannot infer
    # a lambda's parameter from ``Concatenate[UnitOfWork, ...]`` alone.
    @overload
    def run(
        self,
        fn: Callable[[UnitOfWork], T],
        /,
        *,
        retry: RetryPolicy | None = None,
        isolation_level: str | None = None,
        read_only: bool = False,
    ) -> T: ...
    @overload
    def run(
        self,
        fn: Callable[Concatenate[UnitOfWork, ...], T],
        /,
        *args: Any,
        retry: RetryPolicy | None = None,
        isolation_level: str | None = None,
        read_only: bool = False,
        **kwargs: Any,
    ) -> T: ...
    def run(
        self,
        fn: Callable[Concatenate[UnitOfWork, ...], T],
        /,
        *args: Any,
        retry: RetryPolicy | None = None,
        isolation_level: str | None = None,
        read_only: bool = False,
        **kwargs: Any,
    ) -> T:
        """``fn(tx, *args, **kwargs)`` in a new transaction, re-run whole on retryable errors.

        Raises `RetryExhausted` when retries run out, `CommitOutcomeUnknown` (never retried)
        when the connection died during COMMIT, `TransactionAlreadyOpen` inside a transaction."""
        return runner.run(
            self,
            fn,
            args,
            kwargs,
            retry=retry,
            isolation_level=isolation_level,
            read_only=read_only,
        )

    def transactional(
        self,
        *,
        isolation_level: str | None = None,
        read_only: bool = False,
        retry: RetryPolicy | None = None,
    ) -> Callable[[Callable[Concatenate[UnitOfWork, P], T]], Callable[P, T]]:
        """Decorator: calling ``fn(*args)`` runs ``db.run(fn, *args)`` with these options."""
        return runner.transactional(
            self, isolation_level=isolation_level, read_only=read_only, retry=retry
        )

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A Core connection, returned to the pool when the block ends.

        Under `bound_to` it is the bound connection, inside a savepoint released at the end.
        """
        bound = self._bound
        if isinstance(bound, Connection):
            with bound.begin_nested():
                yield bound
            return
        with self.engine.connect() as connection:
            yield connection

    def health(self) -> Health:
        """Ping the database and report latency, pool state and each replica's state and lag
        (checked now); never raises."""
        started = time.perf_counter()
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as error:  # health reports failures, it does not raise them
            return self._health(None, error)
        latency = (time.perf_counter() - started) * 1000
        if self._rotation is not None:
            routing.drive(self._rotation.check(force=True), self._connect)
        return self._health(latency)

    def create_all(
        self, metadata: MetaData, *, tables: Sequence[Table] | None = None
    ) -> list[Table]:
        """Create the tables of `metadata` (or just `tables`) that do not exist yet; return them.

        For tests, examples and prototypes (services migrate instead). The returned list lets a
        script drop exactly what it made, ``drop_all(metadata, tables=created)``, and never a
        table someone else owns in the same database.
        """
        with self.engine.begin() as connection:
            return _create_missing(connection, metadata, tables)

    def drop_all(self, metadata: MetaData, *, tables: Sequence[Table] | None = None) -> None:
        """Drop `metadata`'s tables (or just `tables`), dependents first; skip missing ones."""
        with self.engine.begin() as connection:
            metadata.drop_all(connection, tables=tables)

    def dispose(self) -> None:
        """Close every pooled connection; the database can still be used afterwards."""
        if self.observer is not None:
            self.observer.close()
        self.engine.dispose()
        for engine in self.replica_engines:
            engine.dispose()


class AsyncDatabase(_DatabaseBase):
    """A configured asyncio engine and its sessions. ``AsyncDatabase()`` reads ``DATABASE_URL``."""

    def __init__(
        self,
        url: str | URL | None = None,
        *,
        replicas: Sequence[str | URL] | None = None,
        settings: DatabaseSettings | None = None,
        observability: Observability | bool | None = None,
        **options: Any,
    ) -> None:
        routing.replica_urls(replicas, options)
        self.spec = EngineSpec.from_arguments(url, settings, is_async=True, **options)
        self.engine: AsyncEngine = create_async_engine(self.spec.url, **self.spec.options)
        self.observer = _observer(self.engine.sync_engine, self.spec, observability, is_async=True)
        self.spec.install(self.engine.sync_engine)
        self.replica_engines: list[AsyncEngine]
        self._rotation, self.replica_engines = routing.build_replicas(
            self.spec,
            lambda spec: create_async_engine(spec.url, **spec.options),
            lambda e: e.sync_engine,
            is_async=True,
            observe=self.observer.observe_replica if self.observer else None,
        )
        if self.observer is not None and self._rotation is not None:
            self.observer.observe_rotation(self._rotation)
        self.sessionmaker: async_sessionmaker[AsyncSession] = async_sessionmaker(
            self.engine,
            sync_session_class=StanchionSession,
            expire_on_commit=False,
            info=self._session_info(),
        )

    def session(self, **options: Any) -> AsyncSession:
        """A new async session (use it with ``async with``)."""
        return self.sessionmaker(**options)

    def _engine(self, target: int | None) -> AsyncEngine:
        return self.engine if target is None else self.replica_engines[target]

    async def unit_session(self, *, read_only: bool) -> AsyncSession:
        """`Database.unit_session` under asyncio."""
        plan = self._read_plan(read_only)
        target = None if plan is None else await routing.async_drive(plan, self._engine)
        if target is None:
            return self.sessionmaker()
        return self.sessionmaker(bind=self.replica_engines[target], info={ON_REPLICA: target})

    async def unit_committed(self) -> CausalityToken | None:
        """`Database.unit_committed` under asyncio."""
        plan = self._commit_plan()
        if plan is None:
            return None
        return self._remember(await routing.async_drive(plan, self._engine))

    def transaction(
        self, *, isolation_level: str | None = None, read_only: bool = False
    ) -> AsyncUnitOfWork:
        """``async with adb.transaction() as tx:`` commits on normal exit, else rolls back;
        cancellation included."""
        return AsyncUnitOfWork(self, isolation_level=isolation_level, read_only=read_only)

    @overload
    async def run(
        self,
        fn: Callable[[AsyncUnitOfWork], Awaitable[T]],
        /,
        *,
        retry: RetryPolicy | None = None,
        isolation_level: str | None = None,
        read_only: bool = False,
    ) -> T: ...
    @overload
    async def run(
        self,
        fn: Callable[Concatenate[AsyncUnitOfWork, ...], Awaitable[T]],
        /,
        *args: Any,
        retry: RetryPolicy | None = None,
        isolation_level: str | None = None,
        read_only: bool = False,
        **kwargs: Any,
    ) -> T: ...
    async def run(
        self,
        fn: Callable[Concatenate[AsyncUnitOfWork, ...], Awaitable[T]],
        /,
        *args: Any,
        retry: RetryPolicy | None = None,
        isolation_level: str | None = None,
        read_only: bool = False,
        **kwargs: Any,
    ) -> T:
        """``await fn(tx, *args, **kwargs)`` in a new transaction, re-run on retryable errors."""
        return await runner.async_run(
            self,
            fn,
            args,
            kwargs,
            retry=retry,
            isolation_level=isolation_level,
            read_only=read_only,
        )

    def transactional(
        self,
        *,
        isolation_level: str | None = None,
        read_only: bool = False,
        retry: RetryPolicy | None = None,
    ) -> Callable[
        [Callable[Concatenate[AsyncUnitOfWork, P], Awaitable[T]]], Callable[P, Awaitable[T]]
    ]:
        """Decorator: ``await fn(*args)`` runs ``await adb.run(fn, *args)`` with these options."""
        return runner.async_transactional(
            self, isolation_level=isolation_level, read_only=read_only, retry=retry
        )

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[AsyncConnection]:
        """A Core connection, returned to the pool when the block ends.

        Under `bound_to` it is the bound connection, inside a savepoint released at the end.
        """
        bound = self._bound
        if isinstance(bound, AsyncConnection):
            async with bound.begin_nested():
                yield bound
            return
        async with self.engine.connect() as connection:
            yield connection

    async def health(self) -> Health:
        """`Database.health` under asyncio; never raises."""
        started = time.perf_counter()
        try:
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as error:  # health reports failures, it does not raise them
            return self._health(None, error)
        latency = (time.perf_counter() - started) * 1000
        if self._rotation is not None:
            await routing.async_drive(self._rotation.check(force=True), self._engine)
        return self._health(latency)

    async def create_all(
        self, metadata: MetaData, *, tables: Sequence[Table] | None = None
    ) -> list[Table]:
        """`Database.create_all` under asyncio: create the missing tables and return them."""
        async with self.engine.begin() as connection:
            return await connection.run_sync(_create_missing, metadata, tables)

    async def drop_all(self, metadata: MetaData, *, tables: Sequence[Table] | None = None) -> None:
        """`Database.drop_all` under asyncio."""
        async with self.engine.begin() as connection:
            await connection.run_sync(lambda sync: metadata.drop_all(sync, tables=tables))

    async def dispose(self) -> None:
        if self.observer is not None:
            self.observer.close()
        await self.engine.dispose()
        for engine in self.replica_engines:
            await engine.dispose()
