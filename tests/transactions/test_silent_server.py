"""A server that stops answering mid-call (a hung proxy, a dead host) ends the call within
``peer_timeout_s``, on every network driver, sync and async.

The server is reached through a proxy that stops forwarding while keeping its sockets open, so
the kernel keeps acknowledging and nothing but a client-side bound can end the wait. Invariants:
the call fails as ConnectionLost (CommitOutcomeUnknown during COMMIT, never retried); a retried
unit of work re-runs on a new connection and applies once; no connection stays checked out.
Each call runs under a guard (`GUARD_S`, far above the bound) that fails the test and closes
the proxy when the call still waits: it checks that the call ends, not how fast.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import URL

from stanchion import (
    AsyncDatabase,
    CommitOutcomeUnknown,
    ConnectionLost,
    Database,
    DatabaseSettings,
)
from stanchion.migrations import MigrationConfig
from tests.conftest import backend_url
from tests.transactions.models import TxCounter
from tests.transactions.proxy import SilencingProxy
from tests.transactions.workloads import BankPlan, Tally

pytestmark = pytest.mark.commits

#: The bound under test, and how long a call may take before the test calls it unbounded.
BOUND_S = 1.0
GUARD_S = 60.0
DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306}
#: The async drivers stanchion supports on each server.
ASYNC_DRIVERS = [
    ("postgresql", "asyncpg"),
    ("postgresql", "psycopg_async"),
    ("mysql", "asyncmy"),
]


def proxy_for(backend: str) -> tuple[SilencingProxy, URL]:
    url = backend_url(backend)
    proxy = SilencingProxy(url.host or "127.0.0.1", url.port or DEFAULT_PORTS[backend])
    return proxy, proxy.url_for(url)


@contextmanager
def ends(proxy: SilencingProxy) -> Iterator[None]:
    """Fail the test if the block still waits for the silent server after `GUARD_S`: then the
    proxy is closed (the only other way the wait ends) and the block's outcome is ignored."""
    fired = threading.Event()

    def give_up() -> None:
        fired.set()
        proxy.close()

    timer = threading.Timer(GUARD_S, give_up)
    timer.start()
    try:
        yield
    except BaseException:
        if not fired.is_set():
            raise
    finally:
        timer.cancel()
    if fired.is_set():
        pytest.fail(f"the call still waited for the silent server after {GUARD_S} s")


def rows(db: Database) -> list[str]:
    return sorted(db.run(lambda tx: [c.name for c in tx.repository(TxCounter).list()]))


def checked_out(pool: Any) -> int:
    return int(pool.checkedout())


def select_one(tx: Any) -> int:
    return int(tx.session.execute(text("SELECT 1")).scalar_one())


def freeze_at_commit(engine: Any, proxy: SilencingProxy) -> None:
    """Fall silent just before COMMIT is sent (the commit event runs before the driver call)."""
    event.listen(engine, "commit", lambda _connection: proxy.freeze())


# ----- sync: psycopg, PyMySQL -----


@pytest.mark.backends("postgresql", "mysql")
def test_a_statement_on_a_silent_server_ends_as_connection_lost_and_applies_nothing(
    backend: str, db: Database
) -> None:
    proxy, url = proxy_for(backend)
    silent = Database(url, peer_timeout_s=BOUND_S, pool_size=1, max_overflow=0)
    try:
        assert silent.run(select_one) == 1  # connected and pooled before the server goes silent

        def stalled() -> None:
            with silent.transaction() as tx:
                tx.repository(TxCounter).add(TxCounter(name="never"))
                proxy.freeze()
                tx.session.execute(text("SELECT 1"))

        with ends(proxy), pytest.raises(ConnectionLost):
            stalled()
        assert checked_out(silent.engine.pool) == 0
        assert silent.run(select_one) == 1  # a new connection, forwarded
        assert rows(db) == []
    finally:
        silent.dispose()
        proxy.close()


@pytest.mark.backends("postgresql", "mysql")
def test_a_unit_of_work_whose_server_fell_silent_is_re_run_once_on_a_new_connection(
    backend: str, db: Database
) -> None:
    proxy, url = proxy_for(backend)
    silent = Database(url, peer_timeout_s=BOUND_S, pool_size=1, max_overflow=0)
    tally = Tally()
    attempts: list[int] = []

    def write(tx: Any) -> None:
        attempts.append(tx.attempt)
        if tx.attempt == 1:
            # Silent before this attempt writes: the server keeps a silenced session (and its
            # row locks) until its own timeouts end it, which would hold up the re-run.
            proxy.freeze()
        tx.repository(TxCounter).add(TxCounter(name="exactly once"))
        tx.on_commit(tally.hook)

    try:
        with ends(proxy):
            silent.run(write, retry=BankPlan().policy(tally))
        assert attempts == [1, 2]
        assert tally.retried_errors == {"ConnectionLost": 1}
        assert tally.hooks == 1
        assert checked_out(silent.engine.pool) == 0
    finally:
        silent.dispose()
        proxy.close()
    assert rows(db) == ["exactly once"]


@pytest.mark.backends("postgresql", "mysql")
def test_a_commit_on_a_silent_server_is_reported_unknown_and_never_retried(
    backend: str, db: Database
) -> None:
    del db  # the schema
    proxy, url = proxy_for(backend)
    silent = Database(url, peer_timeout_s=BOUND_S, pool_size=1, max_overflow=0)
    freeze_at_commit(silent.engine, proxy)
    tally = Tally()
    attempts: list[int] = []

    def write(tx: Any) -> None:
        attempts.append(tx.attempt)
        tx.repository(TxCounter).add(TxCounter(name="unknown"))
        tx.on_commit(tally.hook)

    try:
        with ends(proxy), pytest.raises(CommitOutcomeUnknown):
            silent.run(write, retry=BankPlan().policy(tally))
        assert attempts == [1] and tally.retries == 0 and tally.hooks == 0
        assert checked_out(silent.engine.pool) == 0
    finally:
        silent.dispose()
        proxy.close()


# ----- async: asyncpg, psycopg's async connection, asyncmy -----


def async_database(backend: str, driver: str, url: URL) -> AsyncDatabase:
    return AsyncDatabase(
        url.set(drivername=f"{backend}+{driver}"),
        peer_timeout_s=BOUND_S,
        pool_size=1,
        max_overflow=0,
    )


@pytest.mark.anyio
@pytest.mark.parametrize(("server", "driver"), ASYNC_DRIVERS)
async def test_an_async_statement_on_a_silent_server_ends_as_connection_lost(
    server: str, driver: str
) -> None:
    proxy, url = proxy_for(server)
    silent = async_database(server, driver, url)
    try:

        async def one(tx: Any) -> int:
            return int((await tx.session.execute(text("SELECT 1"))).scalar_one())

        assert await silent.run(one) == 1
        with ends(proxy), pytest.raises(ConnectionLost):
            async with silent.transaction() as tx:
                await tx.repository(TxCounter).add(TxCounter(name="never"))
                proxy.freeze()
                await tx.session.execute(text("SELECT 1"))
        assert checked_out(silent.engine.pool) == 0
        assert await silent.run(one) == 1
    finally:
        await silent.dispose()
        proxy.close()


@pytest.mark.anyio
@pytest.mark.parametrize(("server", "driver"), ASYNC_DRIVERS)
async def test_an_async_commit_on_a_silent_server_is_reported_unknown_and_never_retried(
    server: str, driver: str
) -> None:
    proxy, url = proxy_for(server)
    silent = async_database(server, driver, url)
    freeze_at_commit(silent.engine.sync_engine, proxy)
    tally = Tally()
    attempts: list[int] = []

    async def write(tx: Any) -> None:
        attempts.append(tx.attempt)
        await tx.repository(TxCounter).add(TxCounter(name="unknown"))
        tx.on_commit(tally.hook)

    try:
        with ends(proxy), pytest.raises(CommitOutcomeUnknown):
            await silent.run(write, retry=BankPlan().policy(tally))
        assert attempts == [1] and tally.retries == 0 and tally.hooks == 0
        assert checked_out(silent.engine.pool) == 0
    finally:
        await silent.dispose()
        proxy.close()


# ----- the bound itself -----


def test_the_bound_never_cuts_a_statement_the_server_may_still_be_running() -> None:
    assert DatabaseSettings(peer_timeout_s=30).peer_bound() == 30
    assert DatabaseSettings(peer_timeout_s=30, statement_timeout_ms=60_000).peer_bound() == 65
    assert DatabaseSettings(peer_timeout_s=30, statement_timeout_ms=1_000).peer_bound() == 30
    assert DatabaseSettings(peer_timeout_s=0).peer_bound() is None
    assert DatabaseSettings().peer_bound() == 300


def test_migrations_are_not_cut_by_the_bound() -> None:
    """An index built online may rightly run for an hour; lock_timeout bounds its waits."""
    config = MigrationConfig(Path("migrations"), url="postgresql+psycopg://127.0.0.1/app")
    assert config.database_settings().peer_bound() is None
