"""Test fixtures: one database per backend and xdist worker; every test checks for leaks.

Built on stanchion's own pytest plugin (stanchion.testing): each worker's database is cloned
from a template built once per run, and each `db`/`adb` test runs in a transaction rolled back
at its end (savepoints inside), except tests marked ``commits``, which commit for real and
whose rows are deleted afterwards.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from stanchion import AsyncDatabase, Database
from stanchion.testing import databases
from stanchion.testing.isolation import aisolated, delete_rows, isolated, tables_of
from tests import backends as backend_support
from tests.models import TestModel  # registers the test tables on their own metadata

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
    """This worker's database on backend `name`, with the test models' tables (made once)."""
    assert _BACKENDS is not None
    if not _BACKENDS.available(name):
        pytest.skip(f"{name} server not available")
    if name not in _PREPARED:
        _PREPARED[name] = databases.prepare(_BACKENDS.urls[name], TestModel.metadata.create_all)
    return _PREPARED[name]


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
            async with aisolated(database):
                yield database
        _assert_no_leak(database.engine.pool)
    finally:
        await database.dispose()
