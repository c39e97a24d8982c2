"""Primary failover on real servers: a pair of our own, the primary stopped hard, the standby
promoted, while the bank moves money through `db.run` over a multi-host read-write URL.

Invariants: no transfer a caller saw committed is lost, none is applied twice (one ledger row
per transfer id), the total is kept, every balance reconciles with the ledger; only transfers
whose commit outcome was unknown may be either way; work goes on on the new primary. The time
until transfers commit again is printed (``-s``), never asserted.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from stanchion import AsyncDatabase, Database, PrimaryLost
from tests.failover import bank
from tests.failover.clusters import Pair, make_pair

pytestmark = pytest.mark.slow


@pytest.fixture
def pair() -> Iterator[Pair]:
    made = make_pair()
    try:
        yield made
    finally:
        made.remove()


def prepared(pair: Pair) -> Database:
    db = Database(pair.url(), pool_size=4, max_overflow=2, connect_timeout=2)
    db.create_all(bank.metadata)
    db.run(lambda tx: bank.open_accounts(tx.session))
    return db


def hard_failover(pair: Pair, clock: dict[str, float]) -> None:
    """Kill the primary (no shutdown checkpoint, connections cut) and promote the standby."""
    clock["stopped"] = time.monotonic()
    pair.primary.stop("immediate")
    pair.standby.promote()
    clock["promoted"] = time.monotonic()


def check(pair: Pair, outcomes: bank.Outcomes, clock: dict[str, float], label: str) -> None:
    bank.check(pair.url(), pair.standby.port, outcomes, clock, label)


def test_transfers_survive_the_primary_dying_and_the_standby_taking_over(pair: Pair) -> None:
    db = prepared(pair)
    clock: dict[str, float] = {}
    try:
        outcomes = bank.run_sync(db, lambda: hard_failover(pair, clock))
    finally:
        db.dispose()
    check(pair, outcomes, clock, "failover sync")


@pytest.mark.anyio
async def test_async_transfers_survive_the_primary_dying_and_the_standby_taking_over(
    pair: Pair,
) -> None:
    prepared(pair).dispose()
    adb = AsyncDatabase(pair.url("asyncpg"), pool_size=4, max_overflow=2, connect_timeout=2)
    clock: dict[str, float] = {}
    try:
        outcomes = await bank.run_async(adb, lambda: hard_failover(pair, clock))
    finally:
        await adb.dispose()
    check(pair, outcomes, clock, "failover async")


# ----- the old primary is alive but read-only: pre-ping passes, writes are refused -----


def flip_to_read_only(pair: Pair) -> None:
    """Promote the standby and make the old primary refuse writes, as a demoted node does."""
    pair.standby.promote()
    pair.primary.sql("ALTER SYSTEM SET default_transaction_read_only = on")
    pair.primary.sql("SELECT pg_reload_conf()")
    bank.wait_for(lambda: pair.primary.sql("SHOW default_transaction_read_only") == "on")


def fill_pool(db: Database, count: int) -> set[int]:
    """Check out `count` connections at once, so the pool holds that many to the primary."""
    ports = set()
    with db.engine.connect() as first, db.engine.connect() as second, db.engine.connect() as third:
        for connection in (first, second, third)[:count]:
            ports.add(int(connection.exec_driver_sql("SELECT inet_server_port()").scalar_one()))
    return ports


def write_where(tx: Any) -> int:
    bank.move(tx.session, str(time.monotonic_ns()), 0, 1, 1)
    return bank.server_port(tx.session)


def test_writes_move_to_the_new_primary_when_pooled_connections_point_at_a_read_only_node(
    pair: Pair,
) -> None:
    db = prepared(pair)
    outcomes = bank.Outcomes()
    try:
        assert fill_pool(db, 3) == {pair.primary.port}
        flip_to_read_only(pair)
        # The transaction in flight is cut off, typed, and nothing of it is applied...
        with pytest.raises(PrimaryLost), db.transaction() as tx:
            write_where(tx)
        # ...and it dropped every pooled connection at once: no later write meets the old node.
        ports = [db.run(write_where, retry=outcomes.policy()) for _ in range(10)]
    finally:
        db.dispose()
    assert ports == [pair.standby.port] * 10
    assert outcomes.retried == {}


@pytest.mark.anyio
async def test_async_writes_move_to_the_new_primary_when_pooled_connections_are_read_only(
    pair: Pair,
) -> None:
    prepared(pair).dispose()
    adb = AsyncDatabase(pair.url("asyncpg"), pool_size=3, max_overflow=0)
    outcomes = bank.Outcomes()

    async def write(tx: Any) -> int:
        port: int = await tx.session.run_sync(lambda session: write_where(_Tx(session)))
        return port

    try:
        async with adb.connect() as one, adb.connect() as two, adb.connect() as three:
            for connection in (one, two, three):
                await connection.exec_driver_sql("SELECT 1")
        flip_to_read_only(pair)
        ports = [await adb.run(write, retry=outcomes.policy()) for _ in range(10)]
    finally:
        await adb.dispose()
    assert ports == [pair.standby.port] * 10
    assert outcomes.retried == {"PrimaryLost": 1}


class _Tx:
    """The `session` attribute `write_where` reads, for a sync session inside ``run_sync``."""

    def __init__(self, session: Any) -> None:
        self.session = session
