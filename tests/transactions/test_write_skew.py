"""Write skew, "two doctors on call": visible at REPEATABLE READ, impossible at SERIALIZABLE.

Each doctor's transaction checks that someone else is still on call, then goes off call. Run
side by side (a barrier holds both after their check), snapshot isolation lets both leave; at
SERIALIZABLE one of them fails, is retried, sees the other has left and stays.
SQLite serialises writers (BEGIN IMMEDIATE), so the interleaving cannot happen there.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stanchion import AsyncDatabase, AsyncUnitOfWork, Database
from tests.transactions.models import TxDoctor
from tests.transactions.workloads import BankPlan, Tally

pytestmark = [pytest.mark.commits, pytest.mark.backends("postgresql", "mysql")]


def put_on_call(session: Session) -> None:
    session.add_all([TxDoctor(name="alice", shift=1), TxDoctor(name="bob", shift=1)])


def others_on_call(session: Session, name: str) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(TxDoctor)
            .where(TxDoctor.shift == 1, TxDoctor.on_call.is_(True), TxDoctor.name != name)
        )
        or 0
    )


def go_off_call(session: Session, name: str) -> None:
    doctor = session.scalars(select(TxDoctor).where(TxDoctor.name == name)).one()
    doctor.on_call = False
    session.flush()


def on_call(session: Session) -> int:
    return int(
        session.scalar(select(func.count()).select_from(TxDoctor).where(TxDoctor.on_call.is_(True)))
        or 0
    )


def leave_sync(db: Database, isolation_level: str, tally: Tally) -> int:
    db.run(lambda tx: put_on_call(tx.session))
    barrier = threading.Barrier(2)

    def leave(tx: Any, name: str) -> None:
        others = others_on_call(tx.session, name)
        if tx.attempt == 1:
            barrier.wait(timeout=30)
        if others >= 1:
            go_off_call(tx.session, name)
            tx.on_commit(tally.hook)

    policy = BankPlan().policy(tally)
    threads = [
        threading.Thread(
            target=db.run,
            args=(leave, name),
            kwargs={"retry": policy, "isolation_level": isolation_level},
        )
        for name in ("alice", "bob")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return db.run(lambda tx: on_call(tx.session))


async def async_leave(adb: AsyncDatabase, isolation_level: str, tally: Tally) -> int:
    async def setup(tx: Any) -> None:
        await tx.session.run_sync(put_on_call)

    await adb.run(setup)
    barrier = asyncio.Barrier(2)

    async def leave(tx: Any, name: str) -> None:
        others = await tx.session.run_sync(others_on_call, name)
        if tx.attempt == 1:
            await asyncio.wait_for(barrier.wait(), 30)
        if others >= 1:
            await tx.session.run_sync(go_off_call, name)
            tx.on_commit(tally.hook)

    async def count(tx: AsyncUnitOfWork) -> int:
        return await tx.session.run_sync(on_call)

    policy = BankPlan().policy(tally)
    await asyncio.gather(
        *(
            adb.run(leave, name, retry=policy, isolation_level=isolation_level)
            for name in ("alice", "bob")
        )
    )
    return await adb.run(count)


def test_snapshot_isolation_lets_both_doctors_leave(db: Database) -> None:
    tally = Tally()
    assert leave_sync(db, "REPEATABLE READ", tally) == 0  # the anomaly, made visible
    assert tally.retries == 0 and tally.hooks == 2


def test_serializable_with_retry_keeps_one_doctor_on_call(db: Database) -> None:
    tally = Tally()
    assert leave_sync(db, "SERIALIZABLE", tally) == 1
    assert tally.retries >= 1  # the loser was re-run ...
    assert tally.hooks == 1  # ... and on_commit fired only for the doctor who left


@pytest.mark.anyio
async def test_async_snapshot_isolation_lets_both_doctors_leave(adb: AsyncDatabase) -> None:
    tally = Tally()
    assert await async_leave(adb, "REPEATABLE READ", tally) == 0
    assert tally.retries == 0 and tally.hooks == 2


@pytest.mark.anyio
async def test_async_serializable_with_retry_keeps_one_doctor_on_call(
    adb: AsyncDatabase,
) -> None:
    tally = Tally()
    assert await async_leave(adb, "SERIALIZABLE", tally) == 1
    assert tally.retries >= 1
    assert tally.hooks == 1
