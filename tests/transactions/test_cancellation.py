"""Cancellation: a storm of tasks cancelled at random moments (PostgreSQL), and exact cases.

Afterwards no connection is checked out, none is left inside a transaction on the server,
every pooled connection works (pre-ping off, so a broken one would be handed out and fail),
and the money adds up: each account equals its start plus its ledger, so every transfer was
applied whole or not at all.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.orm import Session

from stanchion import AsyncDatabase, AsyncUnitOfWork, Database, RetryPolicy
from tests.backends import async_url
from tests.transactions.models import TxCounter
from tests.transactions.servers import open_transactions
from tests.transactions.workloads import (
    BankPlan,
    Tally,
    final_state,
    move,
    open_accounts,
    report,
    scaled,
)

pytestmark = pytest.mark.commits

POOL = 4


def slow_move(session: Session, source: int, target: int, amount: int) -> bool:
    session.execute(text("SELECT pg_sleep(0.002)"))  # widen the window for a mid-query cancel
    return move(session, source, target, amount, lock=True)


@pytest.mark.backends("postgresql")
@pytest.mark.anyio
async def test_random_cancellations_leave_pool_and_data_intact(
    backend: str, db: Database, adb: AsyncDatabase
) -> None:
    # ssl=disable: asyncpg 0.32, cancelled during its SSL negotiation, leaves a future with an
    # unread ConnectionError that the event loop reports; loopback needs no TLS anyway.
    storm = AsyncDatabase(
        async_url(db.engine.url)
        .update_query_dict({"ssl": "disable"})
        .render_as_string(hide_password=False),
        pool_size=POOL,
        max_overflow=0,
        pool_pre_ping=False,
    )
    rng = random.Random(7)
    tally = Tally()
    policy = BankPlan().policy(tally)
    outcomes = {"done": 0, "cancelled": 0}

    async def transfer(tx: AsyncUnitOfWork, source: int, target: int, amount: int) -> bool:
        return await tx.session.run_sync(slow_move, source, target, amount)

    async def one(ids: list[int], patient: bool) -> None:
        source, target = rng.sample(ids, 2)
        try:
            await asyncio.wait_for(
                storm.run(transfer, source, target, rng.randint(1, 300), retry=policy),
                timeout=5.0 if patient else rng.uniform(0.0, 0.08),
            )
            outcomes["done"] += 1
        except TimeoutError:
            outcomes["cancelled"] += 1

    async def opened(tx: AsyncUnitOfWork) -> list[int]:
        return await tx.session.run_sync(open_accounts, 20)

    try:
        ids = await storm.run(opened)
        gate = asyncio.Semaphore(8)

        async def gated(patient: bool) -> None:
            async with gate:
                await one(ids, patient)

        tasks = scaled(1500, minimum=100)
        await asyncio.gather(*(gated(n % 4 == 0) for n in range(tasks)))
        report(f"cancellation storm: {outcomes}, retried {tally.retried_errors}")
        assert outcomes["cancelled"] > 0 and outcomes["done"] > 0
        # A cancelled query stays a cancellation: never translated into ConnectionLost and
        # silently re-run by the retry loop.
        assert "ConnectionLost" not in tally.retried_errors

        assert storm.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
        assert open_transactions(backend) == 0

        async def ping(tx: Any) -> int:
            await asyncio.sleep(0.01)  # hold it, so the others must use other connections
            return int((await tx.session.execute(text("SELECT 1"))).scalar_one())

        once = RetryPolicy(max_attempts=1)
        for _ in range(3):  # every pooled connection, several times, with no retry to hide errors
            assert (
                await asyncio.gather(*(storm.run(ping, retry=once) for _ in range(POOL)))
                == [1] * POOL
            )
        for _ in range(20):
            source, target = rng.sample(ids, 2)
            await storm.run(transfer, source, target, 1, retry=once)
    finally:
        await storm.dispose()

    balances, _, unreconciled = final_state(db)
    assert sum(balances) == 20 * 1_000 and min(balances) >= 0
    assert unreconciled == []


@pytest.mark.backends("sqlite", "postgresql", "mysql")
@pytest.mark.anyio
async def test_a_task_cancelled_inside_the_block_rolls_back(
    adb: AsyncDatabase, db: Database
) -> None:
    fired: list[str] = []
    started = asyncio.Event()

    async def work() -> None:
        async with adb.transaction() as tx:
            await tx.repository(TxCounter).add(TxCounter(name="cancelled"))
            tx.on_commit(lambda: fired.append("hook"))
            started.set()
            await asyncio.sleep(30)  # cancelled here, with the row written but not committed

    task = asyncio.create_task(work())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert adb.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    assert db.run(lambda tx: tx.repository(TxCounter).count()) == 0
    assert fired == []


@pytest.mark.backends("sqlite", "postgresql", "mysql")
@pytest.mark.anyio
async def test_a_cancellation_during_commit_waits_for_the_commit_and_its_hooks(
    adb: AsyncDatabase, db: Database
) -> None:
    fired: list[str] = []
    task: asyncio.Task[None] | None = None

    def cancel_the_caller(_connection: Any) -> None:
        assert task is not None
        task.cancel()  # arrives while COMMIT is under way

    async def work() -> None:
        async with adb.transaction() as tx:
            await tx.repository(TxCounter).add(TxCounter(name="committed"))
            tx.on_commit(lambda: fired.append("hook"))

    event.listen(adb.engine.sync_engine, "commit", cancel_the_caller)
    try:
        task = asyncio.create_task(work())
        with pytest.raises(asyncio.CancelledError):
            await task
    finally:
        event.remove(adb.engine.sync_engine, "commit", cancel_the_caller)
    # The commit was not abandoned halfway: it finished, its hook ran once, and only then did
    # the cancellation reach the caller; the connection went back to the pool.
    assert db.run(lambda tx: [c.name for c in tx.repository(TxCounter).list()]) == ["committed"]
    assert fired == ["hook"]
    assert adb.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
