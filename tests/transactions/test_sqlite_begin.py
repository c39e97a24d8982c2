"""SQLite: writers begin IMMEDIATE, readers DEFERRED, sent straight on the driver connection.

Observed from outside, as another process would: an outsider that may not wait for the lock
(timeout 0) cannot begin writing while one of our writers is open, even before the writer ran
any statement; it can while a reader is open, and the reader still sees one snapshot.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from stanchion import AsyncDatabase, Database
from stanchion.engine.backends.sqlite import BEGIN_MODE
from tests.transactions.models import TxCounter

pytestmark = [pytest.mark.commits, pytest.mark.backends("sqlite")]


@pytest.fixture
def outsider(db: Database) -> Iterator[sqlite3.Connection]:
    """A second connection to the same file that never waits for a lock."""
    connection = sqlite3.connect(str(db.engine.url.database), isolation_level=None, timeout=0)
    try:
        yield connection
    finally:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        connection.close()


def can_write(outsider: sqlite3.Connection) -> bool:
    """Whether the outsider gets the write lock now (then releases it at once)."""
    try:
        outsider.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as error:
        assert "locked" in str(error)
        return False
    outsider.execute("ROLLBACK")
    return True


def outsider_adds(outsider: sqlite3.Connection, name: str) -> None:
    outsider.execute("INSERT INTO tx_counters (name, value) VALUES (?, 0)", (name,))


def test_a_writer_holds_the_write_lock_before_its_first_statement(
    db: Database, outsider: sqlite3.Connection
) -> None:
    with db.transaction():
        assert not can_write(outsider)
    assert can_write(outsider)


def test_a_reader_leaves_the_write_lock_free_and_reads_one_snapshot(
    db: Database, outsider: sqlite3.Connection
) -> None:
    count = select(func.count()).select_from(TxCounter)
    with db.transaction(read_only=True) as tx:
        assert can_write(outsider)
        before = tx.session.execute(count).scalar_one()
        outsider_adds(outsider, "committed meanwhile")
        # A DEFERRED transaction, not autocommit: its snapshot began at the first read.
        assert tx.session.execute(count).scalar_one() == before
    assert db.run(lambda tx: tx.session.execute(count).scalar_one(), read_only=True) == 1


def test_a_plain_session_begins_immediate(db: Database, outsider: sqlite3.Connection) -> None:
    with db.session() as session, session.begin():
        session.connection()
        assert not can_write(outsider)


def test_a_mode_asked_for_but_never_begun_does_not_reach_the_next_writer(
    outsider: sqlite3.Connection, db: Database
) -> None:
    lone = Database(db.engine.url.render_as_string(hide_password=False), pool_size=1)
    try:
        with lone.engine.connect() as connection:
            connection.execution_options(**{BEGIN_MODE: "DEFERRED"})  # then closed unbegun
        with lone.transaction():
            assert not can_write(outsider)
    finally:
        lone.dispose()


@pytest.mark.anyio
async def test_async_writers_and_readers_begin_as_the_sync_ones(
    adb: AsyncDatabase, db: Database, outsider: sqlite3.Connection
) -> None:
    async with adb.transaction():
        assert not can_write(outsider)
    async with adb.transaction(read_only=True) as tx:
        assert can_write(outsider)
        count = select(func.count()).select_from(TxCounter)
        before = (await tx.session.execute(count)).scalar_one()
        outsider_adds(outsider, "committed meanwhile")
        assert (await tx.session.execute(count)).scalar_one() == before
    assert can_write(outsider)
