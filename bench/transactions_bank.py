"""The bank workload at full size on every backend, sync and async: retries and throughput.

    python -m bench.transactions_bank            # the issue's sizes (8 workers x 500 transfers)
    STANCHION_STRESS_SCALE=0.2 python -m bench.transactions_bank

Uses the test servers (STANCHION_TEST_POSTGRESQL_URL / STANCHION_TEST_MYSQL_URL or the local
defaults) in databases of its own, and prints one line per run plus a Markdown table for
docs/transactions.md.
"""

from __future__ import annotations

import asyncio
import os
import platform
import tempfile

from stanchion import AsyncDatabase, Database
from stanchion.engine.backends import backend_for
from tests.backends import async_url, discover
from tests.transactions.models import TxAccount, TxLedger
from tests.transactions.workloads import (
    BankPlan,
    Tally,
    async_run_bank,
    final_state,
    run_bank,
    scaled,
)

TABLES = [TxAccount.__table__, TxLedger.__table__]


def fresh(db: Database) -> None:
    with db.engine.begin() as connection:
        for table in TABLES:
            table.drop(connection, checkfirst=True)
        for table in TABLES:
            table.create(connection)


def checked(db: Database, tally: Tally, total: int) -> str:
    balances, ledger_rows, unreconciled = final_state(db)
    ok = (
        not tally.bad_reads
        and sum(balances) == total
        and min(balances) >= 0
        and ledger_rows == tally.successes == tally.hooks
        and not unreconciled
    )
    return "invariants hold" if ok else "INVARIANT BROKEN"


def main() -> None:
    servers = discover(tempfile.mkdtemp(prefix="stanchion-txbench-"))
    rows = []
    for backend in ("sqlite", "postgresql", "mysql"):
        if backend not in servers.urls:
            print(f"{backend}: skipped ({servers.skipped.get(backend)})")
            continue
        url = servers.urls[backend]
        if backend != "sqlite":  # a database of its own beside the test suite's
            url = url.set(database=f"{url.database}_txbench")
            admin = backend_for(url).admin
            admin.drop_database(url)
            admin.create_database(url)
        plan = BankPlan(transfers=scaled(500), backend=backend)
        db = Database(url)
        for mode in ("sync", "async"):
            fresh(db)
            if mode == "sync":
                tally, total = run_bank(db, plan)
            else:
                adb = AsyncDatabase(async_url(url))
                tally, total = asyncio.run(_async_run(adb, plan))
            verdict = checked(db, tally, total)
            print(tally.summary(f"bank {mode} {backend}"), "-", verdict, flush=True)
            done = tally.successes + tally.declined
            rows.append(
                f"| {backend} | {mode} | {done} | {tally.retries} "
                f"({', '.join(f'{k} {v}' for k, v in tally.retried_errors.items()) or '-'}) | "
                f"{tally.retries / done:.1%} | {done / tally.elapsed:.0f} | {verdict} |"
            )
        fresh(db)
        db.dispose()
    print()
    print(
        f"{plan.workers} workers x {plan.transfers} transfers, {plan.accounts} accounts, "
        f"{plan.readers} readers; {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print("| backend | mode | transactions | retries | retries per transaction | tx/s | check |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))


async def _async_run(adb: AsyncDatabase, plan: BankPlan) -> tuple[Tally, int]:
    try:
        return await async_run_bank(adb, plan)
    finally:
        await adb.dispose()


if __name__ == "__main__":
    main()
