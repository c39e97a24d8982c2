"""Fixtures for the Conduit app: its database on each backend (built by its migrations), the
app with a fast password hasher, an in-process HTTP client, a live server, a query counter."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from conduit.app import create_app
from conduit.auth import Auth
from conduit.migrate import upgrade_to_head
from conduit.models import metadata
from fastapi import FastAPI
from sqlalchemy.engine import URL

from stanchion import AsyncDatabase
from stanchion.testing import QueryLog
from tests import backends as backend_support
from tests.apps import app_database, migrated_database

#: Children first, so deleting in this order never trips a foreign key.
TABLES = ("article_tags", "favorites", "comments", "follows", "articles", "tags", "users")
#: The cheapest argon2 parameters: tests register many users, and hashing cost is not on trial.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
PASSWORD = "password123"
SECRET = "conduit-tests-secret-of-32-bytes-or-more"

_MIGRATED: dict[str, URL] = {}


def fast_auth() -> Auth:
    return Auth(secret=SECRET, hasher=FAST_HASHER)


@pytest.fixture(scope="session")
def conduit_url(backend: str) -> URL:
    """A database of its own for the app on this backend, built once by the app's migrations."""
    if backend not in _MIGRATED:
        _MIGRATED[backend] = migrated_database(backend, "conduit", metadata, upgrade_to_head)
    return backend_support.through_pooler(_MIGRATED[backend])


@pytest.fixture
async def conduit_db(
    conduit_url: URL, request: pytest.FixtureRequest
) -> AsyncIterator[AsyncDatabase]:
    """The app's database, each test's writes rolled back by stanchion's savepoint isolation
    (real commits and a cleanup for ``commits`` tests); fails when a connection leaks."""
    async with app_database(conduit_url, request, metadata, TABLES) as db:
        yield db


@pytest.fixture
def conduit_app(conduit_db: AsyncDatabase) -> FastAPI:
    return create_app(conduit_db, fast_auth())


@pytest.fixture
async def client(conduit_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=conduit_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://conduit.test/api") as http:
        yield http


@pytest.fixture
def count_queries(conduit_db: AsyncDatabase) -> Callable[[], QueryLog]:
    """``with count_queries() as log``: the statements the app sends (transaction control
    excluded), counted by stanchion's pytest plugin."""
    return lambda: QueryLog(conduit_db)


def uid() -> str:
    return uuid.uuid4().hex[:10]


def token_header(user: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Token {user['token']}"}


async def register(client: httpx.AsyncClient, name: str | None = None) -> dict[str, Any]:
    """A new user (``{"email", "token", "username", ...}``), named `name` plus a unique suffix."""
    username = f"{name or 'user'}_{uid()}"
    body = {
        "user": {"username": username, "email": f"{username}@example.com", "password": PASSWORD}
    }
    response = await client.post("/users", json=body)
    assert response.status_code == 201, response.text
    user: dict[str, Any] = response.json()["user"]
    return user


async def publish(
    client: httpx.AsyncClient, author: dict[str, Any], title: str = "An article", **extra: Any
) -> dict[str, Any]:
    body = {"title": title, "description": "What it is about", "body": "The text.", **extra}
    response = await client.post("/articles", json={"article": body}, headers=token_header(author))
    assert response.status_code == 201, response.text
    article: dict[str, Any] = response.json()["article"]
    return article
