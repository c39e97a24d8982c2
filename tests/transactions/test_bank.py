"""The bank: concurrent transfers at SERIALIZABLE through db.run never create or lose money.

8 workers x 500 random transfers between 100 accounts (scaled by STANCHION_STRESS_SCALE) while
readers sum every balance. Invariants: every read sums to the starting total, no balance goes
negative, ledger rows equal reported transfers (and on_commit calls), every account reconciles
with the ledger, and on the servers serialization conflicts did happen and were retried.
"""

from __future__ import annotations

import pytest

from stanchion import AsyncDatabase, Database
from tests.transactions.workloads import BankPlan, Tally, final_state, report, scaled

pytestmark = pytest.mark.commits


def plan_for(backend: str) -> BankPlan:
    return BankPlan(workers=8, transfers=scaled(500), backend=backend)


def check(db: Database, backend: str, tally: Tally, total: int) -> None:
    balances, ledger_rows, unreconciled = final_state(db)
    assert tally.bad_reads == []
    assert tally.reads > 0
    assert sum(balances) == total
    assert min(balances) >= 0
    assert ledger_rows == tally.successes == tally.hooks
    assert unreconciled == []
    assert tally.exhausted == 0
    if backend == "sqlite":
        assert tally.retries == 0  # writers queue on BEGIN IMMEDIATE instead of conflicting
    else:
        assert tally.retries > 0  # conflicts happened, and each was retried to success


def test_concurrent_transfers_keep_the_total(backend: str, db: Database) -> None:
    from tests.transactions.workloads import run_bank

    tally, total = run_bank(db, plan_for(backend))
    report(tally.summary(f"bank sync {backend}"))
    check(db, backend, tally, total)


@pytest.mark.anyio
async def test_concurrent_async_transfers_keep_the_total(
    backend: str, adb: AsyncDatabase, db: Database
) -> None:
    from tests.transactions.workloads import async_run_bank

    tally, total = await async_run_bank(adb, plan_for(backend))
    report(tally.summary(f"bank async {backend}"))
    check(db, backend, tally, total)
