"""Retry policy and classification: what is re-run, how often, how soon; and what is not."""

from __future__ import annotations

import sqlite3
from typing import Any

import psycopg
import pymysql
import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from stanchion import (
    AlreadyExists,
    AsyncDatabase,
    CommitOutcomeUnknown,
    ConnectionLost,
    Database,
    Deadlock,
    RetryExhausted,
    RetryPolicy,
    SerializationFailure,
    StaleData,
)
from stanchion.engine.backends.cockroachdb import CockroachDBBackend
from stanchion.engine.backends.mysql import MySQLBackend
from stanchion.engine.backends.postgresql import PostgreSQLBackend
from stanchion.engine.backends.sqlite import SQLiteBackend
from tests.transactions.models import TxAccount, TxCounter, TxNote
from tests.transactions.workloads import Tally

# ----- the policy: pure -----


def test_backoff_is_full_jitter_under_an_exponential_ceiling() -> None:
    policy = RetryPolicy(base_delay=0.01, max_delay=0.1)
    assert [policy.backoff(n, rng=lambda: 1.0) for n in (1, 2, 3, 4, 5)] == pytest.approx(
        [0.01, 0.02, 0.04, 0.08, 0.1]
    )
    assert policy.backoff(3, rng=lambda: 0.0) == 0.0
    assert policy.backoff(10_000, rng=lambda: 1.0) == pytest.approx(0.1)


def test_attempts_are_capped_and_the_last_error_is_kept() -> None:
    state = RetryPolicy(max_attempts=3).start(rng=lambda: 0.5)
    error = SerializationFailure("conflict")
    backend = PostgreSQLBackend()
    assert state.after_failure(error, backend) is not None
    assert state.after_failure(error, backend) is not None
    with pytest.raises(RetryExhausted) as caught:
        state.after_failure(error, backend)
    assert caught.value.attempts == 3 and caught.value.last_error is error
    assert caught.value.__cause__ is error


def test_no_attempt_starts_after_the_deadline() -> None:
    now = [0.0]
    state = RetryPolicy(deadline=1.0, base_delay=0.5, max_delay=0.5).start(
        clock=lambda: now[0], rng=lambda: 1.0
    )
    assert state.after_failure(Deadlock("x"), SQLiteBackend()) == 0.5
    now[0] = 0.9
    with pytest.raises(RetryExhausted):
        state.after_failure(Deadlock("x"), SQLiteBackend())


@pytest.mark.parametrize(
    ("profile", "driver_error", "retryable"),
    [
        (PostgreSQLBackend(), psycopg.errors.SerializationFailure(), True),  # 40001
        (PostgreSQLBackend(), psycopg.errors.DeadlockDetected(), True),  # 40P01
        (PostgreSQLBackend(), psycopg.errors.UniqueViolation(), False),
        (CockroachDBBackend(), psycopg.errors.SerializationFailure(), True),  # restart txn
        (MySQLBackend(), pymysql.err.OperationalError(1213, "deadlock"), True),
        (MySQLBackend(), pymysql.err.OperationalError(1205, "lock wait timeout"), True),
        (MySQLBackend(), pymysql.err.OperationalError(1020, "record has changed"), True),
        (MySQLBackend(), pymysql.err.IntegrityError(1062, "duplicate"), False),
        (SQLiteBackend(), sqlite3.OperationalError("database is locked"), True),
    ],
)
def test_untranslated_driver_errors_are_classified_by_code(
    profile: Any, driver_error: Exception, retryable: bool
) -> None:
    if isinstance(driver_error, sqlite3.Error):
        driver_error.sqlite_errorcode = 5  # SQLITE_BUSY
    wrapped = OperationalError("statement", {}, driver_error)
    assert RetryPolicy().is_retryable(wrapped, profile) is retryable


def test_a_commit_with_unknown_outcome_is_never_retryable() -> None:
    policy = RetryPolicy(retry_on=(Exception,))
    assert not policy.is_retryable(CommitOutcomeUnknown("?"), PostgreSQLBackend())
    ambiguous = CockroachDBBackend().errors.classify(psycopg.errors.lookup("40003")())
    assert ambiguous is not None and ambiguous.kind is CommitOutcomeUnknown
    assert policy.is_retryable(ConnectionLost("gone"), PostgreSQLBackend())
    assert not RetryPolicy(retry_connection_lost=False).is_retryable(
        ConnectionLost("gone"), PostgreSQLBackend()
    )


# ----- run: what is not retried runs once -----


def test_non_retryable_errors_run_the_function_once(db: Database) -> None:
    db.run(lambda tx: tx.repository(TxCounter).add(TxCounter(name="taken")))
    calls: list[int] = []
    tally = Tally()

    def duplicate(tx: Any) -> None:
        calls.append(tx.attempt)
        tx.on_commit(tally.hook)
        tx.repository(TxCounter).add(TxCounter(name="taken"))

    with pytest.raises(AlreadyExists):
        db.run(duplicate, retry=RetryPolicy(on_retry=tally.on_retry))
    assert calls == [1] and tally.retries == 0 and tally.hooks == 0

    def broken(tx: Any) -> None:
        calls.append(tx.attempt)
        raise ValueError("a bug, not a conflict")

    with pytest.raises(ValueError):
        db.run(broken)
    assert calls == [1, 1]


@pytest.mark.anyio
async def test_async_non_retryable_errors_run_the_function_once(adb: AsyncDatabase) -> None:
    calls: list[int] = []

    async def duplicate(tx: Any) -> None:
        calls.append(tx.attempt)
        repo = tx.repository(TxCounter)
        await repo.add(TxCounter(name="twice"))
        await repo.add(TxCounter(name="twice"))

    with pytest.raises(AlreadyExists):
        await adb.run(duplicate)
    assert calls == [1]


# ----- optimistic locking -----


def rewrite_elsewhere(db: Database, ident: int, body: str) -> None:
    """A concurrent writer on its own session and connection."""
    with db.session() as other:
        other.get_one(TxNote, ident).body = body
        other.commit()


@pytest.mark.commits
@pytest.mark.backends("postgresql", "mysql")
def test_a_stale_write_raises_stale_data_at_commit(db: Database) -> None:
    ident = db.run(lambda tx: tx.repository(TxNote).add(TxNote(body="v1")).id)
    with pytest.raises(StaleData), db.transaction() as tx:
        note = tx.session.get_one(TxNote, ident)
        rewrite_elsewhere(db, ident, "theirs")
        note.body = "mine"  # flushed by the commit, which finds the version moved on
    assert db.run(lambda tx: tx.session.get_one(TxNote, ident).body) == "theirs"


@pytest.mark.commits
@pytest.mark.backends("postgresql", "mysql")
def test_run_can_retry_stale_data_when_the_function_rereads(db: Database) -> None:
    ident = db.run(lambda tx: tx.repository(TxNote).add(TxNote(body="v1")).id)
    tally = Tally()

    def append(tx: Any) -> None:
        note = tx.session.get_one(TxNote, ident)
        if tx.attempt == 1:
            rewrite_elsewhere(db, ident, note.body + "+theirs")
        note.body = note.body + "+mine"

    db.run(append, retry=RetryPolicy(retry_on=(StaleData,), on_retry=tally.on_retry))
    note = db.run(lambda tx: tx.session.get_one(TxNote, ident))
    assert note.body == "v1+theirs+mine" and note.version == 3
    assert tally.retried_errors == {"StaleData": 1}


@pytest.mark.commits
@pytest.mark.backends("postgresql", "mysql")
@pytest.mark.anyio
async def test_async_stale_write_raises_stale_data_at_commit(
    adb: AsyncDatabase, db: Database
) -> None:
    ident = db.run(lambda tx: tx.repository(TxNote).add(TxNote(body="v1")).id)
    with pytest.raises(StaleData):
        async with adb.transaction() as tx:
            note = await tx.session.get_one(TxNote, ident)
            rewrite_elsewhere(db, ident, "theirs")
            note.body = "mine"


# ----- MySQL lock wait timeout: only the statement was undone -----


@pytest.mark.commits
@pytest.mark.backends("mysql")
def test_a_lock_wait_timeout_rolls_back_the_whole_attempt_before_retrying(db: Database) -> None:
    url = db.engine.url.render_as_string(hide_password=False)
    impatient = Database(url, lock_timeout_ms=1000)  # innodb_lock_wait_timeout = 1 s
    ident = db.run(lambda tx: tx.repository(TxAccount).add(TxAccount(balance=10)).id)
    holder = db.session()
    holder.scalars(select(TxAccount).where(TxAccount.id == ident).with_for_update()).one()
    tally = Tally()

    def release(event: Any) -> None:
        tally.on_retry(event)
        holder.commit()  # the lock goes away before the second attempt

    def debit(tx: Any) -> None:
        tx.repository(TxCounter).add(TxCounter(name=f"attempt {tx.attempt}"))
        tx.repository(TxAccount).lock(ident).balance -= 1  # waits 1 s, then errno 1205

    try:
        impatient.run(debit, retry=RetryPolicy(on_retry=release))
    finally:
        holder.close()
        impatient.dispose()
    assert tally.retried_errors == {"Deadlock": 1}
    # InnoDB undid only the timed-out statement; the first attempt's insert must not survive.
    names = db.run(lambda tx: sorted(tx.session.scalars(select(TxCounter.name))))
    assert names == ["attempt 2"]
    assert db.run(lambda tx: tx.session.get_one(TxAccount, ident).balance) == 9


# ----- SQLite BUSY: a writer outside stanchion holds the lock past busy_timeout -----


@pytest.mark.commits
@pytest.mark.backends("sqlite")
def test_sqlite_busy_is_retried_once_the_lock_is_free(db: Database) -> None:
    impatient = Database(
        db.engine.url.render_as_string(hide_password=False), sqlite_busy_timeout_ms=50
    )
    outsider = sqlite3.connect(str(db.engine.url.database), isolation_level=None, timeout=0)
    outsider.execute("BEGIN IMMEDIATE")  # another process's writer, holding the write lock
    tally = Tally()

    def release(event: Any) -> None:
        tally.on_retry(event)
        if outsider.in_transaction:
            outsider.execute("COMMIT")

    try:
        impatient.run(
            lambda tx: tx.repository(TxCounter).add(TxCounter(name="after busy")),
            retry=RetryPolicy(on_retry=release),
        )
    finally:
        outsider.close()
        impatient.dispose()
    assert tally.retried_errors == {"Deadlock": 1}  # SQLITE_BUSY, classified by its code
    assert db.run(lambda tx: tx.repository(TxCounter).count()) == 1
