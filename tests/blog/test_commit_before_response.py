"""The request's unit of work commits BEFORE the response is sent: a commit that fails gives the
client an error response, never a 2xx; an error or a cancellation rolls back and frees the
connection."""

from __future__ import annotations

from collections.abc import AsyncIterator, MutableMapping
from typing import Any

import anyio
import httpx
import pytest
from blog.app import create_app
from blog.models import User
from fastapi import FastAPI
from sqlalchemy import Column, ForeignKey, Integer, MetaData, Table, func, select
from sqlalchemy.engine import URL

from stanchion import AsyncDatabase, Database
from stanchion.fastapi import (
    SessionDep,
    UnitOfWorkDep,
    database_lifespan,
    install_problem_handlers,
    set_database,
)
from tests import backends as backend_support

pytestmark = [pytest.mark.anyio, pytest.mark.commits]

deferred = MetaData()
parents = Table("t_api_parents", deferred, Column("id", Integer, primary_key=True))
children = Table(
    "t_api_children",
    deferred,
    Column("id", Integer, primary_key=True),
    Column(
        "parent_id",
        ForeignKey("t_api_parents.id", deferrable=True, initially="DEFERRED"),
        nullable=False,
    ),
)


@pytest.fixture
async def deferred_db(blog_url: URL) -> AsyncIterator[AsyncDatabase]:
    """Tables whose foreign key is checked only at COMMIT (SQLite and PostgreSQL have that)."""
    sync = Database(blog_url)
    sync.drop_all(deferred)
    sync.create_all(deferred)
    sync.dispose()
    db = AsyncDatabase(backend_support.async_url(blog_url))
    try:
        yield db
        assert db.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    finally:
        await db.dispose()
        sync = Database(blog_url)
        sync.drop_all(deferred)
        sync.dispose()


def deferred_app(db: AsyncDatabase) -> FastAPI:
    app = FastAPI(lifespan=database_lifespan(db))
    set_database(app, db)
    install_problem_handlers(app)

    @app.post("/children", status_code=201)
    async def add_orphan(session: SessionDep) -> dict[str, bool]:
        # The INSERT succeeds; the missing parent is only noticed at COMMIT.
        await session.execute(children.insert().values(id=1, parent_id=404))
        return {"created": True}

    return app


async def client_for(app: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://test")


@pytest.mark.backends("sqlite", "postgresql")
async def test_a_commit_that_fails_is_an_error_response_never_a_2xx(
    backend: str, deferred_db: AsyncDatabase
) -> None:
    async with await client_for(deferred_app(deferred_db)) as client:
        response = await client.post("/children")
    assert response.status_code == 409, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert "t_api" not in response.text and "parent_id" not in response.text
    async with deferred_db.connect() as connection:
        assert await connection.scalar(select(func.count()).select_from(children)) == 0


@pytest.fixture
def blog(blog_db: AsyncDatabase) -> FastAPI:
    app = create_app(blog_db)
    app.state.reached = anyio.Event()

    @app.post("/slow-signup", status_code=201)
    async def slow_signup(tx: UnitOfWorkDep) -> dict[str, int]:
        user = User(name="Slow", email="slow@example.com", password_hash="!")
        await tx.repository(User).add(user)
        app.state.reached.set()
        await anyio.sleep(3600)  # the client is gone long before this
        return {"id": user.id}

    @app.post("/fail-after-write", status_code=201)
    async def fail_after_write(tx: UnitOfWorkDep) -> dict[str, int]:
        await tx.repository(User).add(User(name="X", email="x@example.com", password_hash="!"))
        raise RuntimeError("postgresql://admin:hunter2@db.internal/prod broke")

    return app


async def count_users(db: AsyncDatabase) -> int:
    async with db.connect() as connection:
        return int(await connection.scalar(select(func.count()).select_from(User)) or 0)


async def call(app: FastAPI, path: str, sent: list[dict[str, Any]]) -> None:
    """One ASGI request, as a server would run it."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"test")],
        "client": ("127.0.0.1", 5000),
        "server": ("test", 80),
    }
    body_sent = False

    async def receive() -> dict[str, Any]:
        nonlocal body_sent
        if not body_sent:
            body_sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await anyio.sleep_forever()
        return {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(dict(message))

    await app(scope, receive, send)


async def test_a_request_cancelled_mid_transaction_rolls_back_and_frees_its_connection(
    backend: str, blog: FastAPI, blog_db: AsyncDatabase
) -> None:
    sent: list[dict[str, Any]] = []
    async with anyio.create_task_group() as group:
        group.start_soon(call, blog, "/slow-signup", sent)
        await blog.state.reached.wait()
        assert blog_db.engine.pool.checkedout() == 1  # type: ignore[attr-defined]
        group.cancel_scope.cancel()  # what a server does when the client disconnects
    assert sent == []
    assert blog_db.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    assert await count_users(blog_db) == 0
    async with await client_for(blog) as client:  # the pool still serves healthy connections
        assert (await client.get("/users")).status_code == 200


async def test_an_error_after_a_write_rolls_back_and_leaks_nothing(
    backend: str, blog: FastAPI, blog_db: AsyncDatabase
) -> None:
    async with await client_for(blog) as client:
        response = await client.post("/fail-after-write")
    assert response.status_code == 500
    assert response.json() == {
        "type": "about:blank",
        "title": "Internal Server Error",
        "status": 500,
    }
    assert await count_users(blog_db) == 0


def test_a_client_that_disconnects_from_uvicorn_leaves_no_connection_checked_out(
    backend: str, blog_url: URL
) -> None:
    """uvicorn lets the handler finish after the client is gone (the cancellation case is the
    test above); its transaction still ends and its connection goes back to the pool."""
    import socket
    import threading
    import time

    from tests.apps import live_server

    release, finished = threading.Event(), threading.Event()
    app = create_app(lambda: AsyncDatabase(backend_support.async_url(blog_url)))

    @app.post("/wait", status_code=201)
    async def wait(tx: UnitOfWorkDep) -> dict[str, bool]:
        await tx.repository(User).add(User(name="W", email="w@example.com", password_hash="!"))
        try:
            await anyio.to_thread.run_sync(release.wait)
        finally:
            finished.set()
        return {"ok": True}

    with live_server(app) as base_url:
        host, port = base_url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port))) as client:
            client.sendall(b"POST /wait HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\n\r\n")
            db: AsyncDatabase = app.state.stanchion_database
            while db.engine.pool.checkedout() == 0:  # type: ignore[attr-defined]
                time.sleep(0.01)  # the handler holds its connection now
        release.set()  # the client has hung up; let the handler finish
        assert finished.wait(30)
        deadline = time.monotonic() + 30
        while db.engine.pool.checkedout() and time.monotonic() < deadline:  # type: ignore[attr-defined]
            time.sleep(0.01)
        assert db.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    sync = Database(blog_url)
    with sync.connect() as connection:
        # The handler ran to the end, so its write was committed (the client never heard).
        gone = connection.exec_driver_sql("DELETE FROM users WHERE email = 'w@example.com'")
        assert gone.rowcount == 1
        connection.commit()
    sync.dispose()
