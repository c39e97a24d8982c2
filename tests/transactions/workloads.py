"""Concurrent workloads for the transaction tests and bench/transactions_bank.py.

Each workload is written once on the sync Session and driven from threads (sync) or asyncio
tasks (async, through ``run_sync``). Sizes scale with STANCHION_STRESS_SCALE (1 = the issue's).
"""

from __future__ import annotations

import asyncio
import os
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from stanchion import (
    AsyncDatabase,
    AsyncUnitOfWork,
    Database,
    RetryEvent,
    RetryExhausted,
    RetryPolicy,
)
from tests.transactions.models import TxAccount, TxLedger

START_BALANCE = 1_000
#: CI's default: a fifth of the issue's sizes keeps this directory within its time budget on
#: 2 shared cores. STANCHION_STRESS_SCALE=1 runs the full sizes (see docs/transactions.md).
DEFAULT_SCALE = "0.2"


def scale() -> float:
    """STANCHION_STRESS_SCALE: 1 runs the sizes the issue names; the default runs a fifth."""
    return float(os.environ.get("STANCHION_STRESS_SCALE", DEFAULT_SCALE))


def scaled(count: int, minimum: int = 10) -> int:
    return max(minimum, round(count * scale()))


@dataclass
class Tally:
    """What a workload observed; shared by its workers (guarded by a lock)."""

    successes: int = 0
    declined: int = 0
    exhausted: int = 0
    retries: int = 0
    hooks: int = 0
    reads: int = 0
    bad_reads: list[tuple[int, int]] = field(default_factory=list)
    retried_errors: dict[str, int] = field(default_factory=dict)
    elapsed: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def on_retry(self, event: RetryEvent) -> None:
        with self.lock:
            self.retries += 1
            name = type(event.error).__name__
            self.retried_errors[name] = self.retried_errors.get(name, 0) + 1

    def hook(self) -> None:
        with self.lock:
            self.hooks += 1

    def add(self, name: str, amount: int = 1) -> None:
        with self.lock:
            setattr(self, name, getattr(self, name) + amount)

    def summary(self, label: str) -> str:
        done = self.successes + self.declined
        rate = done / self.elapsed if self.elapsed else 0.0
        return (
            f"{label}: {done} transactions in {self.elapsed:.1f}s ({rate:.0f}/s), "
            f"{self.successes} transfers, {self.declined} declined, {self.retries} retries "
            f"{self.retried_errors}, {self.exhausted} exhausted, {self.reads} consistent reads"
        )


# ----- the bank, on the sync Session -----


def open_accounts(session: Session, count: int) -> list[int]:
    accounts = [TxAccount(balance=START_BALANCE) for _ in range(count)]
    session.add_all(accounts)
    session.flush()
    return [a.id for a in accounts]


def move(session: Session, source: int, target: int, amount: int, *, lock: bool) -> bool:
    """Move `amount` if `source` can afford it; one ledger row per move. Reads, checks, writes."""
    first, second = (source, target) if not lock or random.random() < 0.5 else (target, source)
    rows = {}
    for ident in (first, second):
        stmt = select(TxAccount).where(TxAccount.id == ident)
        if lock:
            stmt = stmt.with_for_update()
        rows[ident] = session.scalars(stmt).one()
    if rows[source].balance < amount:
        return False
    rows[source].balance -= amount
    rows[target].balance += amount
    session.add(TxLedger(source_id=source, target_id=target, amount=amount))
    session.flush()
    return True


def balances(session: Session) -> list[int]:
    return list(session.scalars(select(TxAccount.balance)))


def ledger_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(TxLedger)) or 0)


def reconcile(session: Session) -> list[int]:
    """Accounts whose balance differs from the start plus its ledger credits minus debits."""
    credits = dict(
        session.execute(
            select(TxLedger.target_id, func.sum(TxLedger.amount)).group_by(TxLedger.target_id)
        ).all()
    )
    debits = dict(
        session.execute(
            select(TxLedger.source_id, func.sum(TxLedger.amount)).group_by(TxLedger.source_id)
        ).all()
    )
    wrong = []
    for ident, balance in session.execute(select(TxAccount.id, TxAccount.balance)).all():
        if balance != START_BALANCE + int(credits.get(ident, 0)) - int(debits.get(ident, 0)):
            wrong.append(ident)
    return wrong


def shorten_deadlock_detection(session: Session, backend: str) -> None:
    """PostgreSQL waits deadlock_timeout (1 s) before looking for a cycle; tests need less."""
    if backend == "postgresql":
        session.execute(text("SET LOCAL deadlock_timeout = '20ms'"))


@dataclass(frozen=True)
class BankPlan:
    accounts: int = 100
    workers: int = 8
    transfers: int = 500
    readers: int = 2
    isolation_level: str = "SERIALIZABLE"
    lock_rows: bool = False
    backend: str = ""

    def policy(self, tally: Tally) -> RetryPolicy:
        return RetryPolicy(max_attempts=40, deadline=120.0, on_retry=tally.on_retry)


def run_bank(db: Database, plan: BankPlan) -> tuple[Tally, int]:
    """Run the transfers from `plan.workers` threads while readers sum; returns (tally, total)."""
    ids = db.run(lambda tx: open_accounts(tx.session, plan.accounts))
    total = START_BALANCE * len(ids)
    tally = Tally()
    policy = plan.policy(tally)
    done = threading.Event()

    def transfer(tx: Any, source: int, target: int, amount: int) -> bool:
        shorten_deadlock_detection(tx.session, plan.backend)
        moved = move(tx.session, source, target, amount, lock=plan.lock_rows)
        if moved:
            tx.on_commit(tally.hook)
        return moved

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(plan.transfers):
            source, target = rng.sample(ids, 2)
            try:
                moved = db.run(
                    transfer,
                    source,
                    target,
                    rng.randint(1, 400),
                    retry=policy,
                    isolation_level=plan.isolation_level,
                )
            except RetryExhausted:
                tally.add("exhausted")
                continue
            tally.add("successes" if moved else "declined")

    def reader() -> None:
        while not done.is_set():
            seen = db.run(
                lambda tx: balances(tx.session),
                read_only=True,
                isolation_level="REPEATABLE READ",
                retry=policy,
            )
            tally.add("reads")
            time.sleep(0.002)  # a reader per few ms is plenty; a busy loop only starves writers
            if sum(seen) != total or min(seen) < 0:
                with tally.lock:
                    tally.bad_reads.append((sum(seen), min(seen)))

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(plan.workers)]
    readers = [threading.Thread(target=reader) for _ in range(plan.readers)]
    for thread in [*threads, *readers]:
        thread.start()
    for thread in threads:
        thread.join()
    tally.elapsed = time.perf_counter() - started
    done.set()
    for thread in readers:
        thread.join()
    return tally, total


async def async_run_bank(adb: AsyncDatabase, plan: BankPlan) -> tuple[Tally, int]:
    """The same bank from asyncio tasks, running `move` through ``run_sync``."""

    async def opened(tx: AsyncUnitOfWork) -> list[int]:
        return await tx.session.run_sync(open_accounts, plan.accounts)

    ids = await adb.run(opened)
    total = START_BALANCE * len(ids)
    tally = Tally()
    policy = plan.policy(tally)
    done = asyncio.Event()

    async def transfer(tx: Any, source: int, target: int, amount: int) -> bool:
        def work(session: Session) -> bool:
            shorten_deadlock_detection(session, plan.backend)
            return move(session, source, target, amount, lock=plan.lock_rows)

        moved: bool = await tx.session.run_sync(work)
        if moved:
            tx.on_commit(tally.hook)
        return moved

    async def worker(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(plan.transfers):
            source, target = rng.sample(ids, 2)
            try:
                moved = await adb.run(
                    transfer,
                    source,
                    target,
                    rng.randint(1, 400),
                    retry=policy,
                    isolation_level=plan.isolation_level,
                )
            except RetryExhausted:
                tally.exhausted += 1
                continue
            if moved:
                tally.successes += 1
            else:
                tally.declined += 1

    async def read(tx: AsyncUnitOfWork) -> list[int]:
        return await tx.session.run_sync(balances)

    async def reader() -> None:
        while not done.is_set():
            seen = await adb.run(
                read, read_only=True, isolation_level="REPEATABLE READ", retry=policy
            )
            tally.reads += 1
            if sum(seen) != total or min(seen) < 0:
                tally.bad_reads.append((sum(seen), min(seen)))
            await asyncio.sleep(0.002)

    started = time.perf_counter()
    readers = [asyncio.create_task(reader()) for _ in range(plan.readers)]
    await asyncio.gather(*(worker(n) for n in range(plan.workers)))
    tally.elapsed = time.perf_counter() - started
    done.set()
    await asyncio.gather(*readers)
    return tally, total


def final_state(db: Database) -> tuple[list[int], int, list[int]]:
    """(balances, ledger rows, accounts that do not reconcile) after a workload."""
    return db.run(
        lambda tx: (balances(tx.session), ledger_count(tx.session), reconcile(tx.session)),
        read_only=True,
    )


def report(line: str) -> None:
    """Print a workload's figures (shown with ``pytest -s``; bench collects them)."""
    print(f"\n[stanchion-bench] {line}", flush=True)
