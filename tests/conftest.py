"""Test fixtures: one database per backend and xdist worker; every test checks for leaks.

Built on stanchion's own pytest plugin (stanchion.testing): each worker's database is cloned
from a template built once per run, and each `db`/`adb` test runs in a transaction rolled back
at its end (savepoints inside), except tests marked ``commits``, which commit for real and
whose rows are deleted afterwards.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from stanchion import AsyncDatabase, Database
from stanchion.testing import databases
from stanchion.testing.isolation import async_isolated, delete_rows, isolated, tables_of
from tests import backends as backend_support
from tests.models import TestModel  # registers the test tables on their own metadata

# Imported before any test runs, so the in-process pytester runs (tests/test_testing_plugin.py),
# which drop from sys.modules whatever they imported, never unload a driver: asyncpg >= 0.31
# segfaults on its next connect once re-imported in the same process (module state cleared).
DRIVERS = backend_support.import_drivers()

_BACKENDS: backend_support.Backends | None = None
_PREPARED: dict[str, Any] = {}


def pytest_configure(config: pytest.Config) -> None:
    global _BACKENDS
    tmp = tempfile.mkdtemp(prefix="stanchion-sqlite-")
    _BACKENDS = backend_support.discover(tmp)
    missing = backend_support.required() & set(_BACKENDS.skipped)
    if missing:
        details = "; ".join(f"{n}: {_BACKENDS.skipped[n]}" for n in sorted(missing))
        raise pytest.UsageError(f"required backends unavailable: {details}")


@pytest.hookimpl(trylast=True)  # after the session fixtures closed their engines
def pytest_sessionfinish(session: pytest.Session) -> None:
    """Drop the databases this run made (docs/testing.md names them): each worker its own, the
    blog's and conduit's, and at the very end the template the workers were cloned from."""
    apps = [sys.modules.get(f"tests.{app}.conftest") for app in ("blog", "conduit")]
    made = [*_PREPARED.values(), *(u for a in apps for u in getattr(a, "_MIGRATED", {}).values())]
    for url in made:
        databases.drop(url)
    if _BACKENDS is not None and not hasattr(session.config, "workerinput"):
        for url in _BACKENDS.urls.values():
            databases.drop_template(url)


def pytest_report_header(config: pytest.Config) -> list[str]:
    assert _BACKENDS is not None
    lines = [f"stanchion backends: {', '.join(sorted(_BACKENDS.urls))}"]
    lines += [f"SKIPPING backend {n}: {why}" for n, why in sorted(_BACKENDS.skipped.items())]
    return lines


def pytest_terminal_summary(terminalreporter: Any) -> None:
    assert _BACKENDS is not None
    if _BACKENDS.skipped:
        terminalreporter.write_sep("=", "backends skipped", yellow=True)
        for name, why in sorted(_BACKENDS.skipped.items()):
            terminalreporter.write_line(
                f"{name}: not reachable ({why}); its tests were skipped. "
                f"Set STANCHION_TEST_{name.upper()}_URL to run them."
            )


def backend_url(name: str) -> Any:
    """This worker's database on backend `name`, with the test models' tables (made once);
    through the run's PgBouncer when it has one (tests/backends.py)."""
    return backend_support.through_pooler(direct_backend_url(name))


def direct_backend_url(name: str) -> Any:
    """`backend_url` on the server itself, never through a pooler (schema builds, drops)."""
    assert _BACKENDS is not None
    if not _BACKENDS.available(name):
        pytest.skip(f"{name} server not available")
    if name not in _PREPARED:
        _PREPARED[name] = databases.prepare(_BACKENDS.urls[name], TestModel.metadata.create_all)
    return _PREPARED[name]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Through a transaction-mode pooler, skip what needs a server session of its own: tests
    marked ``needs_session`` and the migrations (their own SET lock_timeout, CONCURRENTLY)."""
    if backend_support.pgbouncer() is None:
        return
    for item in items:
        marker = item.get_closest_marker("needs_session")
        if marker is not None:
            reason = marker.args[0] if marker.args else "needs a server session of its own"
        elif "tests/migrations/" in item.nodeid:
            reason = "migrations need a session of their own: they run on the direct URL"
        else:
            continue
        item.add_marker(pytest.mark.skip(reason=f"through PgBouncer: {reason}"))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        marker = metafunc.definition.get_closest_marker("backends")
        names = marker.args if marker else backend_support.ALL
        metafunc.parametrize("backend", names, scope="session")


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


def _assert_no_leak(pool: Any) -> None:
    checked_out = pool.checkedout() if hasattr(pool, "checkedout") else 0
    assert checked_out == 0, f"{checked_out} connection(s) left checked out"


@pytest.fixture(scope="session")
def _schema(backend: str) -> str:
    """Make this worker's database for `backend` (cloned from the run's template) once."""
    backend_url(backend)
    return backend


def _commits(request: pytest.FixtureRequest) -> bool:
    return request.node.get_closest_marker("commits") is not None


@pytest.fixture
def db(_schema: str, request: pytest.FixtureRequest) -> Iterator[Database]:
    """A `Database` whose writes vanish after the test; fails if a connection is left out.

    Its sessions share one connection whose transaction is rolled back at the end; with
    ``@pytest.mark.commits`` they commit for real and every test table is emptied afterwards.
    """
    database = Database(backend_url(_schema))
    try:
        if _commits(request):
            try:
                yield database
            finally:
                with database.engine.begin() as connection:
                    delete_rows(connection, tables_of(TestModel.metadata))
        else:
            with isolated(database):
                yield database
        _assert_no_leak(database.engine.pool)
    finally:
        database.dispose()


@pytest.fixture
async def adb(_schema: str, request: pytest.FixtureRequest) -> AsyncIterator[AsyncDatabase]:
    """An `AsyncDatabase` whose writes vanish after the test (see `db`); checks for leaks."""
    url = backend_support.async_url(backend_url(_schema))
    database = AsyncDatabase(url)
    try:
        if _commits(request):
            try:
                yield database
            finally:
                async with database.engine.begin() as connection:
                    await connection.run_sync(delete_rows, tables_of(TestModel.metadata))
        else:
            async with async_isolated(database):
                yield database
        _assert_no_leak(database.engine.pool)
    finally:
        await database.dispose()
