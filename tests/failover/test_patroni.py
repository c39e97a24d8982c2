"""A Patroni switchover under the bank: Patroni stops the primary, promotes the synchronous
replica and brings the old primary back as a read-only replica, while transfers go on over the
multi-host read-write URL. The same invariants as tests/failover/test_failover.py."""

from __future__ import annotations

import time

import pytest

from stanchion import Database
from tests.failover import bank, patroni

pytestmark = pytest.mark.slow


def test_transfers_survive_a_patroni_switchover() -> None:
    cluster = patroni.start()
    try:
        db = Database(cluster.url(), pool_size=4, max_overflow=2, connect_timeout=2)
        db.create_all(bank.metadata)
        db.run(lambda tx: bank.open_accounts(tx.session))
        before = cluster.leader()
        clock: dict[str, float] = {}

        def switch_over() -> None:
            clock["stopped"] = time.monotonic()
            cluster.switchover()
            bank.wait_for(lambda: cluster.leader() not in (None, before))
            clock["promoted"] = time.monotonic()
            cluster.wait_until()  # the old primary is back, as the new one's sync standby

        try:
            outcomes = bank.run_sync(db, switch_over)
        finally:
            db.dispose()
        after = cluster.leader()
        assert after is not None and after != before
        bank.check(cluster.url(), after[1], outcomes, clock, "patroni switchover sync")
    finally:
        cluster.stop()
