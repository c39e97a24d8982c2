"""SQLite: 8 writers x 200 read-modify-write increments on one file lose nothing.

Write transactions begin IMMEDIATE, so writers queue for the lock (busy_timeout) instead of
failing with "database is locked": the total is exact and no attempt needed a retry.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from sqlalchemy.orm import Session

from stanchion import AsyncDatabase, AsyncUnitOfWork, Database
from tests.transactions.models import TxCounter
from tests.transactions.workloads import BankPlan, Tally, report, scaled

pytestmark = [pytest.mark.commits, pytest.mark.backends("sqlite")]

WRITERS = 8


def increment(session: Session, ident: int) -> None:
    counter = session.get_one(TxCounter, ident)
    value = counter.value  # read ...
    counter.value = value + 1  # ... modify, write: a lost update if two writers interleaved


def test_concurrent_writers_lose_no_increment(db: Database) -> None:
    ident = db.run(lambda tx: tx.repository(TxCounter).add(TxCounter(name="c", value=0)).id)
    each = scaled(200)
    tally = Tally()
    policy = BankPlan().policy(tally)
    failures: list[BaseException] = []

    def writer() -> None:
        for _ in range(each):
            try:
                db.run(lambda tx: increment(tx.session, ident), retry=policy)
            except Exception as error:
                failures.append(error)

    threads = [threading.Thread(target=writer) for _ in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = db.run(lambda tx: tx.session.get_one(TxCounter, ident).value, read_only=True)
    report(f"sqlite writers sync: {WRITERS}x{each}, {tally.retries} retries")
    assert failures == []
    assert tally.retries == 0  # no "database is locked", not even a retried one
    assert total == WRITERS * each


@pytest.mark.anyio
async def test_concurrent_async_writers_lose_no_increment(adb: AsyncDatabase) -> None:
    async def create(tx: AsyncUnitOfWork) -> int:
        return (await tx.repository(TxCounter).add(TxCounter(name="c", value=0))).id

    ident = await adb.run(create)
    each = scaled(200)
    tally = Tally()
    policy = BankPlan().policy(tally)

    async def bump(tx: Any) -> None:
        await tx.session.run_sync(increment, ident)

    async def writer() -> None:
        for _ in range(each):
            await adb.run(bump, retry=policy)

    await asyncio.gather(*(writer() for _ in range(WRITERS)))

    async def read(tx: AsyncUnitOfWork) -> int:
        return (await tx.session.get_one(TxCounter, ident)).value

    assert tally.retries == 0
    assert await adb.run(read, read_only=True) == WRITERS * each
