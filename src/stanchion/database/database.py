"""`Database` and `AsyncDatabase`: a configured engine, its sessions, health and disposal.

Both are built from one `EngineSpec`, so sync and async share every production default.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

from sqlalchemy import MetaData, create_engine, text
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import Pool

from stanchion.database._session import RAISE_ON_LAZY_LOAD, StanchionSession
from stanchion.database._translate import (
    TranslatingAsyncQueuePool,
    TranslatingQueuePool,
    install_translation,
)
from stanchion.database._url import resolve_url, safe_url
from stanchion.database.backends import Backend, backend_for
from stanchion.database.settings import DatabaseSettings
from stanchion.transactions import runner
from stanchion.transactions.async_unit_of_work import AsyncUnitOfWork
from stanchion.transactions.retry import RetryPolicy
from stanchion.transactions.unit_of_work import UnitOfWork

P = ParamSpec("P")
T = TypeVar("T")


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


@dataclass(frozen=True, slots=True)
class EngineSpec:
    """Everything needed to create an engine: resolved URL, backend profile and options."""

    url: URL
    backend: Backend
    options: dict[str, Any]
    settings: DatabaseSettings

    @classmethod
    def build(cls, settings: DatabaseSettings, *, is_async: bool) -> EngineSpec:
        url = resolve_url(settings.url.get_secret_value(), is_async=is_async)
        backend = backend_for(url)
        options = backend.engine_options(url, settings)
        if "poolclass" not in options:
            options["poolclass"] = TranslatingAsyncQueuePool if is_async else TranslatingQueuePool
        options["echo"] = settings.echo
        options["hide_parameters"] = True
        return cls(url, backend, options, settings)

    def install(self, engine: Engine) -> None:
        self.backend.install(engine, self.settings)
        install_translation(engine, self.backend)


def _settings(
    url: str | URL | None, settings: DatabaseSettings | None, **overrides: Any
) -> DatabaseSettings:
    if settings is not None:
        if url is not None or overrides:
            raise TypeError("pass either settings or url/options, not both")
        return settings
    if url is not None:
        overrides["url"] = (
            url if isinstance(url, str) else url.render_as_string(hide_password=False)
        )
    return DatabaseSettings(**overrides)


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


class _Configurable(Protocol):
    """What `sessionmaker` and `async_sessionmaker` share: their options and `configure`."""

    kw: dict[str, Any]

    def configure(self, **new_kw: Any) -> None: ...


class _DatabaseBase:
    """What `Database` and `AsyncDatabase` share: settings, backend, safe representation."""

    spec: EngineSpec

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
        return {RAISE_ON_LAZY_LOAD: self.settings.raise_on_lazy_load}

    sessionmaker: _Configurable
    _bound: Connection | AsyncConnection | None = None

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
    """A configured sync engine and its sessions. ``Database()`` reads ``DATABASE_URL``."""

    def __init__(
        self,
        url: str | URL | None = None,
        *,
        settings: DatabaseSettings | None = None,
        **options: Any,
    ) -> None:
        self.spec = EngineSpec.build(_settings(url, settings, **options), is_async=False)
        self.engine: Engine = create_engine(self.spec.url, **self.spec.options)
        self.spec.install(self.engine)
        self.sessionmaker: sessionmaker[StanchionSession] = sessionmaker(
            self.engine, class_=StanchionSession, expire_on_commit=False, info=self._session_info()
        )

    def session(self, **options: Any) -> StanchionSession:
        """A new session (use it as a context manager); commit it yourself or use a transaction."""
        return self.sessionmaker(**options)

    def transaction(
        self, *, isolation_level: str | None = None, read_only: bool = False
    ) -> UnitOfWork:
        """``with db.transaction() as tx:`` commits when the block ends normally, else rolls back.

        `isolation_level` ("READ COMMITTED", "REPEATABLE READ", "SERIALIZABLE") and `read_only`
        apply to this transaction only. See docs/transactions.md."""
        return UnitOfWork(self, isolation_level=isolation_level, read_only=read_only)

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
        """Ping the database and report latency and pool state; never raises."""
        started = time.perf_counter()
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as error:  # health reports failures, it does not raise them
            return Health(
                False, self.backend.name, None, pool_status(self.engine.pool), type(error).__name__
            )
        latency = (time.perf_counter() - started) * 1000
        return Health(True, self.backend.name, latency, pool_status(self.engine.pool))

    def create_all(self, metadata: MetaData) -> None:
        """Create `metadata`'s tables (tests and prototypes; use migrations in production)."""
        with self.engine.begin() as connection:
            metadata.create_all(connection)

    def drop_all(self, metadata: MetaData) -> None:
        with self.engine.begin() as connection:
            metadata.drop_all(connection)

    def dispose(self) -> None:
        """Close every pooled connection; the database can still be used afterwards."""
        self.engine.dispose()


class AsyncDatabase(_DatabaseBase):
    """A configured asyncio engine and its sessions. ``AsyncDatabase()`` reads ``DATABASE_URL``."""

    def __init__(
        self,
        url: str | URL | None = None,
        *,
        settings: DatabaseSettings | None = None,
        **options: Any,
    ) -> None:
        self.spec = EngineSpec.build(_settings(url, settings, **options), is_async=True)
        self.engine: AsyncEngine = create_async_engine(self.spec.url, **self.spec.options)
        self.spec.install(self.engine.sync_engine)
        self.sessionmaker: async_sessionmaker[AsyncSession] = async_sessionmaker(
            self.engine,
            sync_session_class=StanchionSession,
            expire_on_commit=False,
            info=self._session_info(),
        )

    def session(self, **options: Any) -> AsyncSession:
        """A new async session (use it with ``async with``)."""
        return self.sessionmaker(**options)

    def transaction(
        self, *, isolation_level: str | None = None, read_only: bool = False
    ) -> AsyncUnitOfWork:
        """``async with adb.transaction() as tx:`` commits on normal exit, else rolls back;
        cancellation included."""
        return AsyncUnitOfWork(self, isolation_level=isolation_level, read_only=read_only)

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
        return await runner.run_async(
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
        return runner.transactional_async(
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
        """Ping the database and report latency and pool state; never raises."""
        started = time.perf_counter()
        try:
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as error:  # health reports failures, it does not raise them
            return Health(
                False, self.backend.name, None, pool_status(self.engine.pool), type(error).__name__
            )
        latency = (time.perf_counter() - started) * 1000
        return Health(True, self.backend.name, latency, pool_status(self.engine.pool))

    async def create_all(self, metadata: MetaData) -> None:
        async with self.engine.begin() as connection:
            await connection.run_sync(metadata.create_all)

    async def drop_all(self, metadata: MetaData) -> None:
        async with self.engine.begin() as connection:
            await connection.run_sync(metadata.drop_all)

    async def dispose(self) -> None:
        await self.engine.dispose()
