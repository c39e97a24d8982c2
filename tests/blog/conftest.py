"""Fixtures for the reference app: the app on each backend, an HTTP client, a query counter."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from blog.app import create_app
from blog.migrate import upgrade_to_head
from blog.models import metadata
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.engine import URL

from stanchion import AsyncDatabase, Database
from stanchion.engine.backends import backend_for
from stanchion.testing.isolation import async_isolated
from stanchion.testing.queries import QueryLog
from tests import backends as backend_support
from tests.conftest import direct_backend_url

BLOG_TABLES = ("post_tags", "comments", "posts", "tags", "users")


async def _clean(db: AsyncDatabase) -> None:
    async with db.engine.begin() as connection:
        for name in BLOG_TABLES:
            await connection.execute(metadata.tables[name].delete())


_MIGRATED: dict[str, URL] = {}


@pytest.fixture(scope="session")
def blog_url(backend: str) -> URL:
    """A database of its own for the app on this backend, built once by the app's migrations."""
    if backend not in _MIGRATED:
        _MIGRATED[backend] = _migrate(backend)
    return backend_support.through_pooler(_MIGRATED[backend])


def _migrate(backend: str) -> URL:
    base: URL = direct_backend_url(backend)
    admin = backend_for(base).admin
    url = admin.sibling_url(base, "blog")
    if not admin.database_exists(url):
        admin.create_database(url)
    rebuild_schema(url)
    return url


def rebuild_schema(url: URL) -> None:
    """Drop the blog's tables in `url`'s database and build them again with its migrations."""
    db = Database(url, pooler=None)  # migrations need a session: on the server itself
    try:
        with db.engine.begin() as connection:
            metadata.drop_all(connection)
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade_to_head(db)
    finally:
        db.dispose()


@pytest.fixture
async def blog_db(blog_url: URL, request: pytest.FixtureRequest) -> AsyncIterator[AsyncDatabase]:
    """The app's database on this backend, isolated by stanchion's savepoint isolation (the
    test's writes are rolled back), or with real commits and cleanup for ``commits`` tests.
    Fails the test if a connection is left checked out."""
    db = AsyncDatabase(backend_support.async_url(blog_url))
    real_commits = request.node.get_closest_marker("commits") is not None
    try:
        if real_commits:
            yield db
        else:
            async with async_isolated(db):
                yield db
        checked_out = db.engine.pool.checkedout()  # type: ignore[attr-defined]
        assert checked_out == 0, f"{checked_out} connection(s) left checked out"
    finally:
        if real_commits:
            await _clean(db)
        await db.dispose()


@pytest.fixture
def blog_app(blog_db: AsyncDatabase) -> FastAPI:
    return create_app(blog_db)


@pytest.fixture
async def client(blog_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=blog_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://blog.test") as http:
        yield http


@pytest.fixture
def count_queries(blog_db: AsyncDatabase) -> Callable[[], QueryLog]:
    """``with count_queries() as log``: the statements the app sends (transaction control
    excluded), from stanchion's pytest plugin."""
    return lambda: QueryLog(blog_db)


async def make_user(client: httpx.AsyncClient, name: str = "Ada", **extra: Any) -> dict[str, Any]:
    body = {"name": name, "email": f"{name.lower()}@example.com", "password": "s3cret-pass"}
    response = await client.post("/users", json={**body, **extra})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def make_post(
    client: httpx.AsyncClient, user: dict[str, Any], title: str = "Hello", **extra: Any
) -> httpx.Response:
    body = {"title": title, "body": "Some text.", **extra}
    response = await client.post("/posts", json=body, headers={"X-User-Id": str(user["id"])})
    assert response.status_code == 201, response.text
    return response
