"""Row locks: FOR UPDATE (SKIP LOCKED, NOWAIT) on PostgreSQL and MariaDB; on SQLite the
immediate transaction every writer begins serialises them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.orm import joinedload

from stanchion import AsyncDatabase, Database, Deadlock, QueryTimeout, Repository
from tests.foundation.harness import Sides
from tests.models import Account, Book, Writer

pytestmark = [pytest.mark.anyio, pytest.mark.commits]


async def seed(sides: Sides, count: int) -> list[int]:
    side = sides.open()
    accounts = await side.repo(Account).add_many(
        [Account(owner=f"o{i}", region="eu") for i in range(count)]
    )
    await side.commit()
    return [a.id for a in accounts]


@pytest.mark.backends("postgresql", "mysql")
async def test_skip_locked_claims_give_two_sessions_different_rows(sides: Sides) -> None:
    ids = await seed(sides, 5)
    first, second = sides.open(), sides.open()
    mine = await first.repo(Account).lock_many(limit=2, sort="id", skip_locked=True)
    theirs = await second.repo(Account).lock_many(limit=2, sort="id", skip_locked=True)
    assert [a.id for a in mine] == ids[:2]
    assert [a.id for a in theirs] == ids[2:4]
    await second.commit()
    await first.commit()
    again = await second.repo(Account).lock_many(limit=5, sort="id", skip_locked=True)
    assert [a.id for a in again] == ids
    await second.commit()


@pytest.mark.backends("postgresql", "mysql")
async def test_nowait_lock_on_a_held_row_fails_at_once(sides: Sides) -> None:
    (key,) = await seed(sides, 1)
    holder, waiter = sides.open(), sides.open()
    await holder.repo(Account).lock(key)
    with pytest.raises((QueryTimeout, Deadlock)):
        await waiter.repo(Account).lock(key, nowait=True)
    await waiter.rollback()
    await holder.commit()
    assert (await waiter.repo(Account).lock(key, nowait=True)).id == key
    await waiter.commit()


async def test_lock_reads_the_latest_committed_row(sides: Sides) -> None:
    (key,) = await seed(sides, 1)
    reader = sides.open()
    stale = await reader.repo(Account).get_one(key)
    await reader.commit()

    writer = sides.open()
    await writer.repo(Account).update(key, {"balance": 42})
    await writer.commit()

    locked = await reader.repo(Account).lock(key)
    assert locked is stale and locked.balance == 42
    await reader.commit()


@pytest.fixture
async def impatient(sides: Sides) -> AsyncIterator[Database | AsyncDatabase]:
    """A second handle on the same SQLite file that gives up at once when it is locked."""
    url = sides.database.spec.url
    other: Database | AsyncDatabase
    if sides.is_async:
        other = AsyncDatabase(url, sqlite_busy_timeout_ms=0)
    else:
        other = Database(url, sqlite_busy_timeout_ms=0)
    yield other
    if isinstance(other, AsyncDatabase):
        await other.dispose()
    else:
        other.dispose()


@pytest.mark.backends("sqlite")
async def test_sqlite_writers_are_serialised_by_the_immediate_transaction(
    sides: Sides, impatient: Database | AsyncDatabase
) -> None:
    ids = await seed(sides, 2)
    holder = sides.open()
    await holder.repo(Account).lock(ids[0])

    other = Sides(impatient)
    try:
        with pytest.raises(Deadlock):  # SQLITE_BUSY: the write lock is taken
            await other.open().repo(Account).lock_many(limit=2)
        await holder.repo(Account).update(ids[0], {"balance": 7})
        await holder.commit()
        after = other.open()
        (first, _) = await after.repo(Account).lock_many(limit=2, sort="id")
        assert first.balance == 7
        await after.commit()
    finally:
        await other.close_all()


async def test_lock_works_with_joined_loads_in_the_repository(sides: Sides) -> None:
    class Books(Repository[Book]):
        default_options = (joinedload(Book.writer),)

    side = sides.open()
    writer = await side.repo(Writer).add(Writer(name="Ada"))
    book = await side.repo(Book).add(Book(title="t", writer_id=writer.id))
    await side.commit()
    locked = await side.repo(Books).lock(book.id)
    assert locked.writer.name == "Ada"
    (claimed,) = await side.repo(Books).lock_many(limit=1)
    assert claimed is locked
    await side.commit()
