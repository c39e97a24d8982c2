"""Read replicas on real servers: reads reach them, token reads never see older data, a lagging
or dead replica leaves rotation and comes back, and the fallback modes hold. Sync and async.

Every read reports the port of the server that answered it (``inet_server_port()`` / ``@@port``),
so each test counts where reads went instead of trusting the router.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter

import pytest
from sqlalchemy import text

from stanchion import (
    AsyncDatabase,
    AsyncUnitOfWork,
    Database,
    DatabaseUnavailable,
    ReplicaState,
    UnitOfWork,
    causality_scope,
)
from stanchion.engine.replicas import ON_REPLICA
from stanchion.engine.session import CURSOR_SIGNER, RAISE_ON_LAZY_LOAD
from stanchion.query import CursorSigner
from tests.replicas.conftest import TABLE, AsyncFactory, Factory, Topology
from tests.replicas.proxy import Proxy

UPDATE = text(f"UPDATE {TABLE} SET v = :v WHERE id = 1")
SELECT = text(f"SELECT v FROM {TABLE} WHERE id = 1")

#: Write-then-read trials against the streaming replica (each ~1-3 ms; issue 13 asks 1,000 on
#: a developer machine: set STANCHION_REPLICA_TRIALS to run more).
TRIALS = int(os.environ.get("STANCHION_REPLICA_TRIALS", "300"))

pytestmark = pytest.mark.anyio


def _write(db: Database, value: int) -> None:
    with db.transaction() as tx:
        tx.session.execute(UPDATE, {"v": value})


def _answer(tx: UnitOfWork, port_sql: str) -> tuple[int, int]:
    value = tx.session.execute(SELECT).scalar_one()
    port = tx.session.execute(text(port_sql)).scalar_one()
    return int(value), int(port)


def _read(db: Database, topology: Topology) -> tuple[int, int]:
    """(value, port of the server that answered) from a read-only unit of work."""
    with db.transaction(read_only=True) as tx:
        return _answer(tx, topology.server_port_sql)


async def _async_write(db: AsyncDatabase, value: int) -> None:
    async with db.transaction() as tx:
        await tx.session.execute(UPDATE, {"v": value})


async def _async_read(db: AsyncDatabase, topology: Topology) -> tuple[int, int]:
    async with db.transaction(read_only=True) as tx:
        value = (await tx.session.execute(SELECT)).scalar_one()
        port = (await tx.session.execute(text(topology.server_port_sql))).scalar_one()
        return int(value), int(port)


def _wait_for(predicate: object, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


# ----- reads go to replicas, writes to the primary -----


def test_reads_without_a_token_reach_every_replica_and_writes_the_primary(
    make_db: Factory, topology: Topology
) -> None:
    db = make_db([topology.replica, topology.delayed])
    answered: Counter[int] = Counter()
    for _ in range(20):
        answered[_read(db, topology)[1]] += 1
        answered[db.run(lambda tx: _answer(tx, topology.server_port_sql), read_only=True)[1]] += 1
    with db.transaction() as tx:
        writer = tx.session.execute(text(topology.server_port_sql)).scalar_one()
    assert writer == topology.port(topology.primary)
    assert set(answered) == {topology.port(topology.replica), topology.port(topology.delayed)}
    assert sum(answered.values()) == 40


async def test_async_reads_without_a_token_reach_the_replicas(
    make_adb: AsyncFactory, topology: Topology
) -> None:
    db = make_adb([topology.replica, topology.delayed])
    answered = Counter([(await _async_read(db, topology))[1] for _ in range(20)])
    assert set(answered) == {topology.port(topology.replica), topology.port(topology.delayed)}


# ----- read-your-writes -----


def test_token_reads_never_see_older_data_than_their_own_writes(
    make_db: Factory, topology: Topology
) -> None:
    db = make_db([topology.replica], replica_wait_ms=2000)
    stale, on_replica = 0, 0
    with causality_scope():
        for trial in range(1, TRIALS + 1):
            _write(db, trial)
            value, port = _read(db, topology)
            stale += value != trial
            on_replica += port == topology.port(topology.replica)
    assert stale == 0
    assert on_replica > TRIALS // 2  # the reads did go to the replica, waiting when needed


async def test_async_token_reads_never_see_older_data(
    make_adb: AsyncFactory, topology: Topology
) -> None:
    db = make_adb([topology.replica], replica_wait_ms=2000)
    stale, on_replica = 0, 0
    with causality_scope():
        for trial in range(1, TRIALS // 2 + 1):
            await _async_write(db, trial)
            value, port = await _async_read(db, topology)
            stale += value != trial
            on_replica += port == topology.port(topology.replica)
    assert stale == 0
    assert on_replica > TRIALS // 4


def test_a_token_read_waits_for_the_delayed_replica_which_is_stale_without_one(
    make_db: Factory, topology: Topology
) -> None:
    db = make_db([topology.delayed], replica_wait_ms=5000)
    delayed = topology.port(topology.delayed)
    without_token = []
    for trial in range(1, 4):
        with causality_scope():  # a fresh caller each time: no token
            _write(db, -trial)
        with causality_scope():
            without_token.append(_read(db, topology))
    assert any(value != -trial for trial, (value, _) in enumerate(without_token, 1))  # control
    with causality_scope():
        for trial in range(1, 4):
            _write(db, trial)
            assert _read(db, topology) == (trial, delayed)  # fresh, and from the replica


async def test_async_token_read_goes_to_the_primary_when_the_replica_cannot_catch_up(
    make_adb: AsyncFactory, topology: Topology
) -> None:
    db = make_adb([topology.delayed], replica_wait_ms=20)
    with causality_scope():
        for trial in range(1, 6):
            await _async_write(db, trial)
            assert await _async_read(db, topology) == (trial, topology.port(topology.primary))


def test_commit_token_is_set_after_a_write_and_not_after_a_read(
    make_db: Factory, topology: Topology
) -> None:
    db = make_db([topology.replica])
    with causality_scope() as scope:
        with db.transaction() as tx:
            tx.session.execute(UPDATE, {"v": 7})
        assert tx.commit_token is not None and scope.token == tx.commit_token
        with db.transaction(read_only=True) as read:
            read.session.execute(SELECT)
        assert read.commit_token is None and scope.token == tx.commit_token


# ----- rotation: lag and failures -----


def test_a_lagging_replica_leaves_rotation_and_comes_back(
    make_db: Factory, topology: Topology
) -> None:
    db = make_db([topology.delayed], replica_max_lag=0, replica_check_interval_s=0.05)
    seen_lagging = False
    for trial in range(20):  # right after a write the delayed replica is behind
        with causality_scope():
            _write(db, trial)
        if db.health().replicas[0].state is ReplicaState.LAGGING:
            seen_lagging = True
            break
    assert seen_lagging
    lagging = db.replicas[0]
    assert lagging.lag is not None and lagging.lag > 0
    with causality_scope():
        assert _read(db, topology)[1] == topology.port(topology.primary)  # out of rotation
    _wait_for(lambda: db.health().replicas[0].state is ReplicaState.HEALTHY)
    with causality_scope():
        assert _read(db, topology)[1] == topology.port(topology.delayed)  # back in


def test_a_dead_replica_leaves_rotation_and_comes_back(
    make_db: Factory, topology: Topology, proxy: Proxy
) -> None:
    db = make_db([topology.via(proxy)], replica_check_interval_s=0.05)
    assert _read(db, topology)[1] == topology.port(topology.replica)
    proxy.cut()
    # The pooled connection is dead and no new one connects: the read moves to the primary.
    assert _read(db, topology)[1] == topology.port(topology.primary)
    assert db.health().replicas[0].state is ReplicaState.DOWN
    assert _read(db, topology)[1] == topology.port(topology.primary)
    proxy.restore()
    _wait_for(lambda: db.health().replicas[0].state is ReplicaState.HEALTHY)
    assert _read(db, topology)[1] == topology.port(topology.replica)


async def test_async_dead_replica_leaves_rotation_and_comes_back(
    make_adb: AsyncFactory, topology: Topology, proxy: Proxy
) -> None:
    db = make_adb([topology.via(proxy)], replica_check_interval_s=0.05)
    assert (await _async_read(db, topology))[1] == topology.port(topology.replica)
    proxy.cut()
    assert (await _async_read(db, topology))[1] == topology.port(topology.primary)
    assert (await db.health()).replicas[0].state is ReplicaState.DOWN
    proxy.restore()
    for _ in range(200):
        if (await db.health()).replicas[0].state is ReplicaState.HEALTHY:
            break
        await asyncio.sleep(0.05)
    assert (await _async_read(db, topology))[1] == topology.port(topology.replica)


def test_fail_mode_refuses_reads_without_a_replica_and_still_writes(
    make_db: Factory, topology: Topology, proxy: Proxy
) -> None:
    db = make_db([topology.via(proxy)], replica_fallback="fail", replica_check_interval_s=0.05)
    proxy.cut()
    with pytest.raises(DatabaseUnavailable, match="read replicas unavailable"):
        _read(db, topology)
    with pytest.raises(DatabaseUnavailable):
        db.run(lambda tx: tx.session.execute(SELECT).scalar_one(), read_only=True)
    _write(db, 1)  # the primary still takes writes


async def test_async_fail_mode_refuses_reads_without_a_replica(
    make_adb: AsyncFactory, topology: Topology, proxy: Proxy
) -> None:
    db = make_adb([topology.via(proxy)], replica_fallback="fail", replica_check_interval_s=0.05)
    proxy.cut()
    with pytest.raises(DatabaseUnavailable):
        await _async_read(db, topology)

    async def value(tx: AsyncUnitOfWork) -> int:
        return int((await tx.session.execute(SELECT)).scalar_one())

    with pytest.raises(DatabaseUnavailable):
        await db.run(value, read_only=True)


def test_health_reports_each_replica_state_and_lag_in_positions(
    make_db: Factory, topology: Topology, proxy: Proxy
) -> None:
    db = make_db([topology.replica, topology.via(proxy)])
    proxy.cut()
    health = db.health()
    assert health.ok
    up, down = health.replicas
    assert up.state is ReplicaState.HEALTHY and up.lag is not None and up.lag >= 0
    assert up.lag_unit == ("bytes" if topology.backend == "postgresql" else "transactions")
    assert down.state is ReplicaState.DOWN and down.lag is None and down.error
    assert "password" not in repr(health)


def test_replica_connections_are_read_only(make_db: Factory, topology: Topology) -> None:
    db = make_db([topology.replica])
    with pytest.raises(Exception) as raised, db.transaction(read_only=True) as tx:
        tx.session.execute(UPDATE, {"v": 1})
    assert "read" in str(raised.value).lower()  # read-only transaction / --read-only


def test_a_repeatable_read_token_read_takes_its_snapshot_after_the_wait(
    make_db: Factory, topology: Topology
) -> None:
    """The wait runs before the transaction begins: a snapshot taken while waiting would miss
    the write it waited for."""
    db = make_db([topology.delayed], replica_wait_ms=5000)

    @db.transactional(read_only=True, isolation_level="REPEATABLE READ")
    def read(tx: UnitOfWork) -> tuple[int, int]:
        return _answer(tx, topology.server_port_sql)

    for trial in range(1, 3):
        _write(db, 1000 + trial)
        assert read() == (1000 + trial, topology.port(topology.delayed))


# ----- a replica's read-only errors are the caller's, never a lost primary -----


def test_a_write_in_a_read_only_unit_on_a_replica_is_not_a_lost_primary(
    make_db: Factory, topology: Topology
) -> None:
    """A replica refuses writes by design (PG 25006, MariaDB 1792): that is the caller's write
    in a read-only unit, not a demoted primary — not `PrimaryLost`, not re-run by `db.run`."""
    from sqlalchemy.exc import DBAPIError

    from stanchion import PrimaryLost, RetryEvent, RetryPolicy

    db = make_db([topology.replica])
    retries: list[RetryEvent] = []
    with pytest.raises(DBAPIError) as caught:
        db.run(
            lambda tx: tx.session.execute(UPDATE, {"v": 0}),
            read_only=True,
            retry=RetryPolicy(on_retry=retries.append),
        )
    assert not isinstance(caught.value, PrimaryLost)
    assert retries == []


def test_a_unit_of_work_on_a_replica_keeps_the_sessions_settings(
    make_db: Factory, topology: Topology
) -> None:
    """A replica's session carries what every session of the database does (the cursor signer,
    the lazy-load guard: sessionmaker merges its info), so a keyset page read on a replica
    continues on the primary."""
    db = make_db([topology.replica], cursor_secrets=["k"])
    with db.transaction(read_only=True) as tx:
        assert tx.session.info.get(ON_REPLICA) is not None
        assert isinstance(tx.session.info[CURSOR_SIGNER], CursorSigner)
        assert tx.session.info[RAISE_ON_LAZY_LOAD] is True
