"""Test fixtures: one database per backend and xdist worker; every test checks for leaks."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from sqlalchemy import MetaData

from stanchion import AsyncDatabase, Database, Model
from tests import models as _models  # noqa: F401  (registers the test tables)
from tests import backends as backend_support

_BACKENDS: backend_support.Backends | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _BACKENDS
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    tmp = tempfile.mkdtemp(prefix="stanchion-sqlite-")
    _BACKENDS = backend_support.discover(worker, tmp)
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
    assert _BACKENDS is not None
    if not _BACKENDS.available(name):
        pytest.skip(f"{name} server not available")
    return _BACKENDS.urls[name]


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
def _schema(backend: str) -> Iterator[str]:
    """Create the test models' tables once per backend and worker."""
    url = backend_url(backend)
    db = Database(url)
    db.drop_all(Model.metadata)
    db.create_all(Model.metadata)
    db.dispose()
    yield backend


def _clean(db: Database, metadata: MetaData) -> None:
    with db.engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture
def db(_schema: str) -> Iterator[Database]:
    """A `Database` on a clean schema; fails the test if it leaves a connection checked out."""
    database = Database(backend_url(_schema))
    try:
        yield database
        _assert_no_leak(database.engine.pool)
    finally:
        _clean(database, Model.metadata)
        database.dispose()


@pytest.fixture
async def adb(_schema: str) -> AsyncIterator[AsyncDatabase]:
    """An `AsyncDatabase` on a clean schema; fails the test if it leaves a connection checked out."""
    database = AsyncDatabase(backend_support.async_url(backend_url(_schema)))
    try:
        yield database
        _assert_no_leak(database.engine.pool)
    finally:
        async with database.engine.begin() as connection:
            for table in reversed(Model.metadata.sorted_tables):
                await connection.execute(table.delete())
        await database.dispose()
