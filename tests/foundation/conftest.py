"""Fixtures for the foundation tests: every test body runs on a sync and an async session."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from stanchion import AsyncDatabase, Database
from tests.foundation.harness import Sides


@pytest.fixture(params=["sync", "async"])
def database(request: pytest.FixtureRequest, backend: str) -> Database | AsyncDatabase:
    """The test database, as a `Database` (sync) or an `AsyncDatabase` (async)."""
    name = "adb" if request.param == "async" else "db"
    database: Database | AsyncDatabase = request.getfixturevalue(name)
    return database


@pytest.fixture
async def sides(database: Database | AsyncDatabase) -> AsyncIterator[Sides]:
    """Opens sessions on `database`; closes them before the leak check runs."""
    opened = Sides(database)
    try:
        yield opened
    finally:
        await opened.close_all()
