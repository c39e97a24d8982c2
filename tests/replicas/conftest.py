"""Real replica servers for the routing tests: a primary, a streaming replica and a delayed one.

`.ci/servers/replicas.sh` starts them (PostgreSQL 5433-5435, MariaDB 3307-3309); point the
tests elsewhere with ``STANCHION_TEST_REPLICA_POSTGRESQL_URLS`` / ``..._MYSQL_URLS`` (primary,
replica, delayed replica, comma-separated). Without them the tests skip, except in CI
(``STANCHION_REQUIRE_BACKENDS=all`` or a list naming ``replicas``), where they fail.
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from stanchion import AsyncDatabase, Database, causality_scope
from stanchion.engine.backends import backend_for
from tests import backends as backend_support
from tests.replicas.proxy import Proxy

DEFAULTS = {
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:{}/stanchion_replicas",
    "mysql": "mysql+pymysql://root@127.0.0.1:{}/stanchion_replicas",
}
PORTS = {"postgresql": (5433, 5434, 5435), "mysql": (3307, 3308, 3309)}
#: Which server answered: its port (the test servers differ only by port).
SERVER_PORT = {"postgresql": "SELECT inet_server_port()", "mysql": "SELECT @@port"}
TABLE = "replica_items"


@dataclass
class Topology:
    """One backend's primary, replica and delayed replica, on this worker's database."""

    backend: str
    primary: URL
    replica: URL
    delayed: URL

    @property
    def server_port_sql(self) -> str:
        return SERVER_PORT[self.backend]

    def port(self, url: URL) -> int:
        assert url.port is not None
        return url.port

    def via(self, proxy: Proxy) -> URL:
        """The replica's URL through `proxy`."""
        return self.replica.set(port=proxy.port)


def _required() -> bool:
    value = os.environ.get("STANCHION_REQUIRE_BACKENDS", "")
    return value.strip() == "all" or "replicas" in {v.strip() for v in value.split(",")}


def _urls(backend: str) -> list[URL]:
    configured = os.environ.get(f"STANCHION_TEST_REPLICA_{backend.upper()}_URLS")
    if configured:
        return [make_url(u.strip()) for u in configured.split(",") if u.strip()]
    return [make_url(DEFAULTS[backend].format(port)) for port in PORTS[backend]]


def _worker_database(url: URL) -> URL:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return url.set(database=f"{url.database}_{worker}")


def wait_for_table(url: URL, deadline: float, table: str = TABLE) -> None:
    """Until `table` exists on `url` (a replica replays the primary's DDL)."""
    engine = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        while True:
            try:
                with engine.connect() as connection:
                    connection.execute(text(f"SELECT COUNT(*) FROM {table}"))
                return
            except Exception:  # not replicated yet
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
    finally:
        engine.dispose()


_READY: dict[str, Topology] = {}


def _prepare(backend: str) -> Topology:
    urls = _urls(backend)
    primary, replica, delayed = (_worker_database(u) for u in urls)
    admin = backend_for(primary).admin
    try:
        if not admin.database_exists(primary):
            admin.create_database(primary)
    except Exception as error:  # no replica servers here
        reason = (
            f"{backend} replica servers not reachable at {urls[0].host}:{urls[0].port} "
            f"({type(error).__name__}); start them with .ci/servers/replicas.sh"
        )
        if _required():
            pytest.fail(reason)
        pytest.skip(reason)
    engine = create_engine(primary)
    try:
        with engine.begin() as connection:
            connection.execute(text(f"DROP TABLE IF EXISTS {TABLE}"))
            connection.execute(text(f"CREATE TABLE {TABLE} (id INTEGER PRIMARY KEY, v INTEGER)"))
            connection.execute(text(f"INSERT INTO {TABLE} (id, v) VALUES (1, 0)"))
    finally:
        engine.dispose()
    deadline = time.monotonic() + 15
    for url in (replica, delayed):
        wait_for_table(url, deadline)
    return Topology(backend, primary, replica, delayed)


@pytest.fixture(scope="session", params=["postgresql", "mysql"])
def topology(request: pytest.FixtureRequest) -> Topology:
    backend: str = request.param
    if backend not in _READY:
        _READY[backend] = _prepare(backend)
    return _READY[backend]


Factory = Callable[..., Database]
AsyncFactory = Callable[..., AsyncDatabase]


@pytest.fixture
def make_db(topology: Topology) -> Iterator[Factory]:
    """``make_db([replica URLs], **settings)``: a sync `Database` on the primary, disposed after."""
    made: list[Database] = []

    def make(replicas: list[URL], **settings: Any) -> Database:
        db = Database(topology.primary, replicas=replicas, **settings)
        made.append(db)
        return db

    yield make
    for db in made:
        db.dispose()


@pytest.fixture
async def make_adb(topology: Topology) -> AsyncIterator[AsyncFactory]:
    """`make_db` for `AsyncDatabase` (asyncpg / asyncmy)."""
    made: list[AsyncDatabase] = []

    def make(replicas: list[URL], **settings: Any) -> AsyncDatabase:
        db = AsyncDatabase(
            backend_support.async_url(topology.primary),
            replicas=[backend_support.async_url(r) for r in replicas],
            **settings,
        )
        made.append(db)
        return db

    yield make
    for db in made:
        await db.dispose()


@pytest.fixture
def proxy(topology: Topology) -> Iterator[Proxy]:
    """A proxy in front of the (undelayed) replica, to cut and restore."""
    assert topology.replica.port is not None
    forwarder = Proxy(topology.replica.port)
    yield forwarder
    forwarder.close()


@pytest.fixture(autouse=True)
def _fresh_caller() -> Iterator[None]:
    """Each test is a new caller: no causality token carried over from an earlier test."""
    with causality_scope():
        yield
