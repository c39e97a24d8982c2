"""The plugin's fixtures: the worker's test database, isolated databases, query and N+1 checks.

`stanchion.testing.plugin` registers them; heavy imports happen inside, on first use.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from sqlalchemy import MetaData, Table
    from sqlalchemy.engine import URL, Connection

    from stanchion.database import AsyncDatabase, Database
    from stanchion.testing.nplusone import NPlusOneDetector
    from stanchion.testing.queries import QueryLog

_URL = "stanchion_database_url"
_METADATA = "stanchion_metadata"
_MIGRATIONS = "stanchion_migrations"
_ENV = "stanchion_url_env"
_NPLUSONE = "stanchion_nplusone"


#: The test databases this session made (the plugin drops them when it ends).
PREPARED = pytest.StashKey["list[URL]"]()


def _base_url(config: pytest.Config) -> str | None:
    value = config.getoption(_URL, None) or config.getini(_URL)
    return str(value) if value else None


def _commits(request: pytest.FixtureRequest) -> bool:
    return request.node.get_closest_marker("commits") is not None


def _import(target: str) -> Any:
    module_name, _, attribute = target.partition(":")
    value: Any = importlib.import_module(module_name)
    for part in filter(None, attribute.split(".")):
        value = getattr(value, part)
    return value


@pytest.fixture(scope="session")
def stanchion_schema(pytestconfig: pytest.Config) -> MetaData | Callable[[Connection], None]:
    """What builds the test schema: a MetaData (create_all) or a function of a connection.

    Override it in a conftest to build the schema yourself; by default it reads the ini options.
    """
    migrations = pytestconfig.getini(_MIGRATIONS)
    if migrations:
        from stanchion.testing.databases import migrations as upgrade

        return upgrade(pytestconfig.rootpath / str(migrations))
    target = pytestconfig.getini(_METADATA)
    if not target:
        raise pytest.UsageError(
            f"stanchion: set {_METADATA} or {_MIGRATIONS} (or define a stanchion_schema fixture)"
        )
    value = _import(str(target))
    metadata: MetaData = getattr(value, "metadata", value)
    return metadata


@pytest.fixture(scope="session")
def stanchion_url(
    pytestconfig: pytest.Config, stanchion_schema: MetaData | Callable[[Connection], None]
) -> URL:
    """This worker's test database, built once per run (cloned per worker where possible)."""
    from stanchion.testing.databases import prepare

    base = _base_url(pytestconfig)
    if base is None:
        raise pytest.UsageError(f"stanchion: set {_URL} (ini) or --stanchion-database-url")
    from sqlalchemy import MetaData

    schema = stanchion_schema
    url = prepare(base, schema.create_all if isinstance(schema, MetaData) else schema)
    pytestconfig.stash.setdefault(PREPARED, []).append(url)  # dropped when the session ends
    return url


@pytest.fixture(scope="session")
def stanchion_databases() -> list[Database | AsyncDatabase]:
    """The application's own databases, bound to each test's connection too (override me)."""
    return []


@pytest.fixture(scope="session")
def _stanchion_tables(
    stanchion_url: URL, stanchion_schema: MetaData | Callable[[Connection], None]
) -> list[Table]:
    from sqlalchemy import MetaData, create_engine

    from stanchion.testing.isolation import reflect_tables, tables_of

    if isinstance(stanchion_schema, MetaData):
        return tables_of(stanchion_schema)
    engine = create_engine(stanchion_url)
    try:
        with engine.connect() as connection:
            return reflect_tables(connection)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def _stanchion_sync_db(stanchion_url: URL) -> Iterator[Database]:
    from stanchion.database import Database

    database = Database(stanchion_url)
    yield database
    database.dispose()


def _leaks(database: Database | AsyncDatabase) -> None:
    from stanchion.engine import pool_status

    checked_out = pool_status(database.engine.pool).checked_out
    if checked_out:
        pytest.fail(f"{checked_out} connection(s) left checked out by the test", pytrace=False)


@pytest.fixture
def stanchion_db(
    request: pytest.FixtureRequest,
    _stanchion_sync_db: Database,
    stanchion_databases: list[Database | AsyncDatabase],
    _stanchion_tables: list[Table],
) -> Iterator[Database]:
    """A `Database` on this worker's test database; everything the test writes is rolled back.

    The app's sync databases (`stanchion_databases`) share the test's connection. With
    ``@pytest.mark.commits`` it commits for real and the tables are emptied afterwards.
    """
    from stanchion.database import Database
    from stanchion.testing.isolation import delete_rows, isolated

    database = _stanchion_sync_db
    if _commits(request):
        try:
            yield database
        finally:
            with database.engine.begin() as connection:
                delete_rows(connection, _stanchion_tables)
    else:
        also = [d for d in stanchion_databases if isinstance(d, Database)]
        with isolated(database, *also):
            _handed_out(request, database, *also)
            try:
                yield database
            finally:
                _stop_detector(request)  # before the databases are unbound: LIFO restores
    _leaks(database)


@pytest.fixture
async def stanchion_adb(
    request: pytest.FixtureRequest,
    stanchion_url: URL,
    stanchion_databases: list[Database | AsyncDatabase],
    _stanchion_tables: list[Table],
) -> AsyncIterator[AsyncDatabase]:
    """The asyncio form of `stanchion_db` (use with ``@pytest.mark.anyio``)."""
    from stanchion.database import AsyncDatabase
    from stanchion.engine.url import with_driver
    from stanchion.testing.isolation import async_isolated, delete_rows

    url = with_driver(stanchion_url.set(drivername=stanchion_url.get_backend_name()), is_async=True)
    database = AsyncDatabase(url)  # per test: async connections belong to the test's event loop
    try:
        if _commits(request):
            try:
                yield database
            finally:
                async with database.engine.begin() as connection:
                    await connection.run_sync(delete_rows, _stanchion_tables)
        else:
            also = [d for d in stanchion_databases if isinstance(d, AsyncDatabase)]
            async with async_isolated(database, *also):
                _handed_out(request, database, *also)
                try:
                    yield database
                finally:
                    _stop_detector(request)
        _leaks(database)
    finally:
        await database.dispose()


@dataclass
class _TestState:
    """Per test: the databases the plugin handed out and the N+1 detector, if any."""

    databases: list[Any] = field(default_factory=list)
    detector: NPlusOneDetector | None = None


_STATE = pytest.StashKey[_TestState]()


def _state(request: pytest.FixtureRequest) -> _TestState:
    state: _TestState = request.node.stash.setdefault(_STATE, _TestState())
    return state


def _start_detector(request: pytest.FixtureRequest) -> NPlusOneDetector:
    from stanchion.testing.nplusone import NPlusOneDetector

    state = _state(request)
    if state.detector is None:
        marker = request.node.get_closest_marker("nplusone_safelist")
        state.detector = NPlusOneDetector(safelist=marker.args if marker else ()).start()
        for database in state.databases:
            state.detector.watch(database)
        request.addfinalizer(state.detector.stop)
    return state.detector


def _stop_detector(request: pytest.FixtureRequest) -> None:
    state = request.node.stash.get(_STATE, None)
    if state is not None and state.detector is not None:
        state.detector.stop()


def _handed_out(request: pytest.FixtureRequest, *databases: Any) -> None:
    """Remember the test's databases; with stanchion_nplusone on, watch them for N+1 loads."""
    state = _state(request)
    state.databases.extend(databases)
    if state.detector is None and request.config.getini(_NPLUSONE):
        _start_detector(request)
    elif state.detector is not None:
        for database in databases:
            state.detector.watch(database)


@pytest.fixture
def stanchion_queries() -> Iterator[QueryLog]:
    """Records every statement the test sends; ``with stanchion_queries.expect(2): ...``."""
    from stanchion.testing.queries import QueryLog

    with QueryLog() as log:
        yield log


@pytest.fixture
def stanchion_nplusone(
    request: pytest.FixtureRequest, stanchion_databases: list[Database | AsyncDatabase]
) -> Iterator[NPlusOneDetector]:
    """Fails the test when it lazy-loads one relationship for many parents of one query.

    Mark a test ``@pytest.mark.nplusone_safelist("User.posts")`` to allow known patterns.
    """
    _handed_out(request, *stanchion_databases)
    yield _start_detector(request)
