"""The app's requests run on the plugin's isolated test connection."""

from collections.abc import AsyncIterator

import httpx
import pytest
from inventory.api import app

from stanchion import AsyncDatabase
from stanchion.fastapi import set_database


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def client(stanchion_adb: AsyncDatabase) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client whose requests see, and roll back with, this test's rows."""
    set_database(app, stanchion_adb)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client
