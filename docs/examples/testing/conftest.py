"""Fixtures: the app talks to the test's isolated connection through the plugin's database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg  # noqa: F401  (imported once, never unloaded by pytester's in-process runs)
import httpx
import pytest
from blogapp import app, reports_db

from stanchion import AsyncDatabase, Database
from stanchion.fastapi import set_database


@pytest.fixture(scope="session")
def stanchion_databases() -> list[Database | AsyncDatabase]:
    """The application's own databases: bound to each test's connection, like stanchion_db."""
    return [reports_db]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def client(stanchion_adb: AsyncDatabase) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for the app, whose requests see (and roll back with) the test's data."""
    set_database(app, stanchion_adb)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client
