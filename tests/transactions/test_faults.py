"""Faults on real servers: killed backends, commits with unknown outcome, a full pool.

Invariants: an interrupted transaction is rolled back, never half-applied; what is safe to
retry is retried, a commit whose outcome is unknown never is; nothing leaks from the pool.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import event, func, select

from stanchion import (
    AsyncDatabase,
    CommitOutcomeUnknown,
    ConnectionLost,
    Database,
    DatabaseUnavailable,
    RetryExhausted,
)
from tests.backends import async_url
from tests.conftest import backend_url
from tests.transactions.models import TxCounter
from tests.transactions.servers import connection_id, kill
from tests.transactions.workloads import BankPlan, Tally

pytestmark = pytest.mark.commits


def counters(session: Any) -> list[str]:
    return sorted(session.scalars(select(TxCounter.name)))


def count_rows(db: Database) -> list[str]:
    return db.run(lambda tx: counters(tx.session), read_only=True)


# ----- a backend killed while idle in the pool -----


#: (pool options, seconds idle before the kill, whether the first statement finds it dead).
PINGS: dict[str, tuple[dict[str, Any], float, bool]] = {
    "ping-every-checkout": ({"pool_pre_ping_idle": 0}, 0.0, False),
    "ping-after-idle-idle-long": ({"pool_pre_ping_idle": 0.05}, 0.1, False),
    "ping-after-idle-used-moments-ago": ({}, 0.0, True),  # the default: 10 s
    "no-pre-ping": ({"pool_pre_ping": False}, 0.0, True),
}


@pytest.mark.backends("postgresql", "mysql")
@pytest.mark.needs_session("PgBouncer replaces a server connection killed while idle itself")
@pytest.mark.parametrize("ping", list(PINGS))
def test_a_connection_killed_while_idle_is_replaced(backend: str, db: Database, ping: str) -> None:
    options, idle, found_by_statement = PINGS[ping]
    lone = Database(backend_url(backend), pool_size=1, max_overflow=0, **options)
    tally = Tally()
    try:
        victim = lone.run(lambda tx: connection_id(tx.session, backend))
        kill(backend, victim)
        time.sleep(idle)  # idle in the pool at least this long (a lower bound, not a timing)

        def write(tx: Any) -> int:
            tx.repository(TxCounter).add(TxCounter(name="after the kill"))
            tx.on_commit(tally.hook)
            return connection_id(tx.session, backend)

        fresh = lone.run(write, retry=BankPlan().policy(tally))
        assert fresh != victim
        assert count_rows(db) == ["after the kill"]
        assert tally.hooks == 1
        # A ping at checkout finds the dead connection; a connection used moments ago is not
        # pinged (nor any without pre-ping): its first statement fails with ConnectionLost
        # and the retried unit of work re-runs once, on a new connection.
        assert tally.retried_errors == ({"ConnectionLost": 1} if found_by_statement else {})
    finally:
        lone.dispose()


# ----- a backend killed in the middle of a transaction -----


@pytest.mark.backends("postgresql")
def test_a_transaction_whose_backend_is_killed_is_rolled_back(backend: str, db: Database) -> None:
    with pytest.raises(ConnectionLost), db.transaction() as tx:
        tx.repository(TxCounter).add(TxCounter(name="in flight"))
        kill(backend, connection_id(tx.session, backend))
        tx.repository(TxCounter).add(TxCounter(name="never"))
    assert count_rows(db) == []  # nothing half-applied
    db.run(lambda tx: tx.repository(TxCounter).add(TxCounter(name="next")))
    assert count_rows(db) == ["next"]


@pytest.mark.backends("postgresql")
def test_run_re_runs_a_transaction_whose_backend_was_killed(backend: str, db: Database) -> None:
    attempts: list[int] = []
    tally = Tally()

    def write(tx: Any) -> None:
        attempts.append(tx.attempt)
        tx.repository(TxCounter).add(TxCounter(name="exactly once"))
        tx.on_commit(tally.hook)
        if tx.attempt == 1:
            kill(backend, connection_id(tx.session, backend))
            tx.session.flush()
            tx.session.scalar(select(func.count()).select_from(TxCounter))

    db.run(write, retry=BankPlan().policy(tally))
    assert attempts == [1, 2]
    assert count_rows(db) == ["exactly once"]
    assert tally.hooks == 1  # the killed attempt's hook never ran


@pytest.mark.backends("postgresql")
@pytest.mark.anyio
async def test_async_run_re_runs_a_transaction_whose_backend_was_killed(
    backend: str, adb: AsyncDatabase, db: Database
) -> None:
    attempts: list[int] = []
    tally = Tally()

    async def write(tx: Any) -> None:
        attempts.append(tx.attempt)
        await tx.repository(TxCounter).add(TxCounter(name="exactly once"))
        tx.on_commit(tally.hook)
        if tx.attempt == 1:
            kill(backend, await tx.session.run_sync(connection_id, backend))
            await tx.session.run_sync(counters)

    await adb.run(write, retry=BankPlan().policy(tally))
    assert attempts == [1, 2]
    assert count_rows(db) == ["exactly once"]
    assert tally.hooks == 1


# ----- the connection dies during COMMIT -----


def kill_at_commit(engine: Any, backend: str, victims: list[int]) -> Any:
    """An engine hook that kills the connection just before its COMMIT goes out."""

    def before_commit(connection: Any) -> None:
        if victims:
            kill(backend, victims.pop())

    event.listen(engine, "commit", before_commit)
    return before_commit


@pytest.mark.backends("postgresql", "mysql")
def test_a_connection_lost_during_commit_is_reported_not_retried(
    backend: str, db: Database
) -> None:
    victims: list[int] = []
    tally = Tally()
    calls: list[int] = []
    hook = kill_at_commit(db.engine, backend, victims)

    def write(tx: Any) -> None:
        calls.append(tx.attempt)
        tx.repository(TxCounter).add(TxCounter(name="unknown"))
        tx.on_commit(tally.hook)
        victims.append(connection_id(tx.session, backend))

    try:
        with pytest.raises(CommitOutcomeUnknown) as caught:
            db.run(write, retry=BankPlan().policy(tally))
    finally:
        event.remove(db.engine, "commit", hook)
    assert isinstance(caught.value.__cause__, DatabaseUnavailable)
    assert calls == [1] and tally.retries == 0 and tally.hooks == 0
    # Here the server died before reading COMMIT, so the work is gone; the caller could not
    # know that, which is why it gets CommitOutcomeUnknown and not a blind retry.
    assert count_rows(db) == []


@pytest.mark.backends("postgresql")
@pytest.mark.anyio
async def test_async_connection_lost_during_commit_is_reported_not_retried(
    backend: str, adb: AsyncDatabase, db: Database
) -> None:
    victims: list[int] = []
    calls: list[int] = []
    tally = Tally()
    hook = kill_at_commit(adb.engine.sync_engine, backend, victims)

    async def write(tx: Any) -> None:
        calls.append(tx.attempt)
        await tx.repository(TxCounter).add(TxCounter(name="unknown"))
        tx.on_commit(tally.hook)
        victims.append(await tx.session.run_sync(connection_id, backend))

    try:
        with pytest.raises(CommitOutcomeUnknown):
            await adb.run(write, retry=BankPlan().policy(tally))
    finally:
        event.remove(adb.engine.sync_engine, "commit", hook)
    assert calls == [1] and tally.retries == 0 and tally.hooks == 0
    assert count_rows(db) == []


# ----- the pool is exhausted -----


def test_a_full_pool_fails_fast_without_retrying(backend: str, db: Database) -> None:
    small = Database(
        db.engine.url.render_as_string(hide_password=False),
        pool_size=1,
        max_overflow=0,
        pool_timeout=0.3,
    )
    tally = Tally()
    calls: list[int] = []

    def write(tx: Any) -> None:
        calls.append(tx.attempt)
        tx.repository(TxCounter).add(TxCounter(name="later"))

    try:
        with small.connect():  # the only connection is taken
            with pytest.raises(DatabaseUnavailable) as caught:
                small.run(write, retry=BankPlan().policy(tally))
            assert not isinstance(caught.value, ConnectionLost | RetryExhausted)
            with pytest.raises(DatabaseUnavailable):
                small.transaction().__enter__()
        assert calls == [] and tally.retries == 0  # one pool timeout, then the error
        small.run(write)
        assert count_rows(db) == ["later"]
        assert small.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    finally:
        small.dispose()


@pytest.mark.anyio
async def test_async_full_pool_fails_fast_without_retrying(
    backend: str, adb: AsyncDatabase, db: Database
) -> None:
    small = AsyncDatabase(
        async_url(db.engine.url).render_as_string(hide_password=False),
        pool_size=1,
        max_overflow=0,
        pool_timeout=0.3,
    )
    tally = Tally()
    calls: list[int] = []

    async def write(tx: Any) -> None:
        calls.append(tx.attempt)
        await tx.repository(TxCounter).add(TxCounter(name="later"))

    try:
        async with small.connect():
            with pytest.raises(DatabaseUnavailable) as caught:
                await small.run(write, retry=BankPlan().policy(tally))
            assert not isinstance(caught.value, ConnectionLost | RetryExhausted)
        assert calls == [] and tally.retries == 0
        await small.run(write)
        assert count_rows(db) == ["later"]
        assert small.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    finally:
        await small.dispose()
