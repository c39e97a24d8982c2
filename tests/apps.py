"""Helpers the example apps' suites share: a database built by an app's own migrations, and the
app served by uvicorn on loopback."""

from __future__ import annotations

import socket
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager

import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import MetaData, text
from sqlalchemy.engine import URL

from stanchion import AsyncDatabase, Database
from stanchion.engine.backends import backend_for
from stanchion.testing import async_isolated
from tests import backends as backend_support
from tests.conftest import direct_backend_url


def migrated_database(
    backend: str, name: str, metadata: MetaData, upgrade: Callable[[Database], None]
) -> URL:
    """The worker's sibling database `name` on `backend`, emptied and rebuilt by `upgrade`
    (on the server itself, whose URL it returns: `through_pooler` gives the one tests use)."""
    base: URL = direct_backend_url(backend)
    admin = backend_for(base).admin
    url = admin.sibling_url(base, name)
    if not admin.database_exists(url):
        admin.create_database(url)
    rebuild(url, metadata, upgrade)
    return url


def rebuild(url: URL, metadata: MetaData, upgrade: Callable[[Database], None]) -> None:
    """Drop an app's tables in `url`'s database and build them again with its migrations."""
    db = Database(url, pooler=None)  # migrations need a session: on the server itself
    try:
        with db.engine.begin() as connection:
            metadata.drop_all(connection)
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade(db)
    finally:
        db.dispose()


@asynccontextmanager
async def app_database(
    url: URL, request: pytest.FixtureRequest, metadata: MetaData, tables: Sequence[str]
) -> AsyncIterator[AsyncDatabase]:
    """An app's database for one test: its writes rolled back by stanchion's savepoint
    isolation, or, for ``commits`` tests, real commits and `tables` emptied (in that order)
    afterwards. Fails the test if a connection is left checked out."""
    db = AsyncDatabase(backend_support.async_url(url))
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
            async with db.engine.begin() as connection:
                for name in tables:
                    await connection.execute(metadata.tables[name].delete())
        await db.dispose()


@contextmanager
def live_server(app: FastAPI, path: str = "") -> Iterator[str]:
    """Serve `app` with uvicorn on a free loopback port, in a thread; yields its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the server did not start")
            threading.Event().wait(0.02)
        yield f"http://127.0.0.1:{port}{path}"
    finally:
        server.should_exit = True
        thread.join()
        sock.close()
