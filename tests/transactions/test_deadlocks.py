"""Deadlocks between transfers that lock rows (FOR UPDATE) in random order are retried.

At READ COMMITTED, with the repository's row locks: the victim is rolled back and re-run, and
the total is kept. SQLite has no row locks (writers are serialised), so these run on servers.
"""

from __future__ import annotations

import threading

import pytest

from stanchion import Database, Deadlock, UnitOfWork
from tests.transactions.models import TxAccount
from tests.transactions.workloads import (
    START_BALANCE,
    BankPlan,
    Tally,
    final_state,
    open_accounts,
    report,
    run_bank,
    scaled,
    shorten_deadlock_detection,
)

pytestmark = [pytest.mark.commits, pytest.mark.backends("postgresql", "mysql")]


def test_a_deadlock_victim_is_rolled_back_and_retried(backend: str, db: Database) -> None:
    first, second = db.run(lambda tx: open_accounts(tx.session, 2))
    barrier = threading.Barrier(2)
    tally = Tally()
    policy = BankPlan().policy(tally)

    def cross_transfer(tx: UnitOfWork, source: int, target: int) -> None:
        shorten_deadlock_detection(tx.session, backend)
        accounts = tx.repository(TxAccount)
        held = accounts.lock(source)
        if tx.attempt == 1:
            barrier.wait(timeout=30)  # both hold their first lock before asking for the second
        wanted = accounts.lock(target)
        held.balance -= 10
        wanted.balance += 10
        tx.on_commit(tally.hook)

    threads = [
        threading.Thread(target=db.run, args=(cross_transfer, a, b), kwargs={"retry": policy})
        for a, b in ((first, second), (second, first))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    balances, _, _ = final_state(db)
    assert balances == [START_BALANCE, START_BALANCE]
    assert tally.retried_errors.get(Deadlock.__name__, 0) >= 1
    assert tally.hooks == 2


def test_random_lock_order_transfers_keep_the_total(backend: str, db: Database) -> None:
    plan = BankPlan(
        accounts=5,
        workers=8,
        transfers=scaled(200),
        isolation_level="READ COMMITTED",
        lock_rows=True,
        backend=backend,
    )
    tally, total = run_bank(db, plan)
    report(tally.summary(f"deadlock sync {backend}"))
    balances, ledger_rows, unreconciled = final_state(db)
    assert tally.bad_reads == []
    assert sum(balances) == total and min(balances) >= 0
    assert ledger_rows == tally.successes == tally.hooks
    assert unreconciled == []
    assert tally.exhausted == 0  # every deadlock (count reported above) was retried to success
