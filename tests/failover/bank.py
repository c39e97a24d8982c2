"""The failover bank: transfers with a unique id each, so none can be lost or applied twice.

Written once on the sync Session; the async driver runs `move` through ``run_sync``. Every
`db.run` ends in one outcome per transfer id: moved, declined, unknown (CommitOutcomeUnknown:
it may or may not be in the ledger) or failed (must not be in the ledger).
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table, func, select, update
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from stanchion import (
    AsyncDatabase,
    CommitOutcomeUnknown,
    Database,
    RetryEvent,
    RetryPolicy,
    StanchionError,
)
from tests.transactions.workloads import report

metadata = MetaData()
accounts = Table(
    "fo_accounts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("balance", BigInteger, nullable=False),
)
ledger = Table(
    "fo_ledger",
    metadata,
    Column("id", String(36), primary_key=True),  # the transfer's id: at most one row each
    Column("source", Integer, nullable=False),
    Column("target", Integer, nullable=False),
    Column("amount", Integer, nullable=False),
)
ACCOUNTS = 20
START = 1_000
TOTAL = ACCOUNTS * START


def open_accounts(session: Session) -> None:
    session.execute(accounts.insert(), [{"id": i, "balance": START} for i in range(ACCOUNTS)])


def move(session: Session, ident: str, source: int, target: int, amount: int) -> bool:
    """Move `amount` when `source` can afford it, with its ledger row; rows locked in id order."""
    balance = dict(
        session.execute(
            select(accounts.c.id, accounts.c.balance)
            .where(accounts.c.id.in_((source, target)))
            .order_by(accounts.c.id)
            .with_for_update()
        ).all()
    )
    if balance[source] < amount:
        return False
    for account, delta in ((source, -amount), (target, amount)):
        session.execute(
            update(accounts)
            .where(accounts.c.id == account)
            .values(balance=accounts.c.balance + delta)
        )
    session.execute(ledger.insert().values(id=ident, source=source, target=target, amount=amount))
    return True


def server_port(session: Session) -> int:
    return int(session.scalar(select(func.inet_server_port())) or 0)


@dataclass
class Outcomes:
    """What the callers of `db.run` saw, per transfer id, with when each failure reached them."""

    moved: set[str] = field(default_factory=set)
    declined: set[str] = field(default_factory=set)
    unknown: set[str] = field(default_factory=set)
    failed: dict[str, str] = field(default_factory=dict)
    retried: Counter[str] = field(default_factory=Counter)
    moved_at: list[float] = field(default_factory=list)
    failed_at: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def on_retry(self, event: RetryEvent) -> None:
        with self.lock:
            self.retried[type(event.error).__name__] += 1

    def policy(self) -> RetryPolicy:
        # Rides out the gap between the primary's death and the promotion: connections lost
        # before COMMIT and connects that no read-write server accepted are re-run.
        return RetryPolicy(
            max_attempts=200,
            base_delay=0.01,
            max_delay=0.2,
            deadline=30.0,
            retry_unreachable=True,
            on_retry=self.on_retry,
        )

    def record(self, ident: str, call: Callable[..., bool], *args: Any, **kwargs: Any) -> None:
        try:
            moved = call(ident, *args, **kwargs)
        except CommitOutcomeUnknown:
            self._failed(ident, None)
        except StanchionError as error:
            self._failed(ident, type(error).__name__)
        else:
            with self.lock:
                (self.moved if moved else self.declined).add(ident)
                if moved:
                    self.moved_at.append(time.monotonic())

    async def async_record(
        self, ident: str, call: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> None:
        try:
            moved = await call(ident, *args, **kwargs)
        except CommitOutcomeUnknown:
            self._failed(ident, None)
        except StanchionError as error:
            self._failed(ident, type(error).__name__)
        else:
            (self.moved if moved else self.declined).add(ident)
            if moved:
                self.moved_at.append(time.monotonic())

    def _failed(self, ident: str, name: str | None) -> None:
        with self.lock:
            if name is None:
                self.unknown.add(ident)
            else:
                self.failed[ident] = name
            self.failed_at.append(time.monotonic())

    def moved_since(self, moment: float) -> int:
        with self.lock:
            return sum(1 for at in self.moved_at if at > moment)


@dataclass(frozen=True)
class Failover:
    """When the primary was stopped, and how long until a transfer committed again."""

    stopped_at: float
    promote_seconds: float
    writes_resumed_after: float
    errors_to_callers: int

    def summary(self, label: str, outcomes: Outcomes) -> str:
        return (
            f"{label}: promote took {self.promote_seconds:.2f}s, transfers committed again "
            f"{self.writes_resumed_after:.2f}s after the primary stopped; "
            f"{self.errors_to_callers} calls failed ({len(outcomes.unknown)} commit outcome "
            f"unknown, {dict(Counter(outcomes.failed.values()))}); {len(outcomes.moved)} moved, "
            f"retried {dict(outcomes.retried)}"
        )


def wait_for(condition: Callable[[], bool], seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the workload made no progress")
        time.sleep(0.02)


def _pick(rng: random.Random) -> tuple[str, int, int, int]:
    source, target = rng.sample(range(ACCOUNTS), 2)
    return str(uuid.UUID(int=rng.getrandbits(128))), source, target, rng.randint(1, 300)


def run_sync(db: Database, fail_over: Callable[[], None], workers: int = 4) -> Outcomes:
    """Transfers from `workers` threads; `fail_over` runs once 30 have moved; 30 more after it."""
    outcomes = Outcomes()
    policy = outcomes.policy()
    done = threading.Event()

    def transfer(tx: Any, ident: str, source: int, target: int, amount: int) -> bool:
        return move(tx.session, ident, source, target, amount)

    def run(*args: Any, retry: RetryPolicy) -> bool:
        return db.run(transfer, *args, retry=retry)

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        while not done.is_set():
            ident, source, target, amount = _pick(rng)
            outcomes.record(ident, run, source, target, amount, retry=policy)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    try:
        wait_for(lambda: len(outcomes.moved) >= 30)
        fail_over()
        moment = time.monotonic()
        wait_for(lambda: outcomes.moved_since(moment) >= 30)
    finally:
        done.set()
        for thread in threads:
            thread.join()
    return outcomes


async def run_async(adb: AsyncDatabase, fail_over: Callable[[], None], tasks: int = 4) -> Outcomes:
    """`run_sync` from asyncio tasks; `fail_over` runs in a thread so the tasks keep going."""
    outcomes = Outcomes()
    policy = outcomes.policy()
    done = asyncio.Event()

    async def transfer(tx: Any, ident: str, source: int, target: int, amount: int) -> bool:
        moved: bool = await tx.session.run_sync(move, ident, source, target, amount)
        return moved

    async def run(*args: Any, retry: RetryPolicy) -> bool:
        return await adb.run(transfer, *args, retry=retry)

    async def worker(seed: int) -> None:
        rng = random.Random(seed)
        while not done.is_set():
            ident, source, target, amount = _pick(rng)
            await outcomes.async_record(ident, run, source, target, amount, retry=policy)

    async def until(condition: Callable[[], bool]) -> None:
        deadline = time.monotonic() + 60.0
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError("the workload made no progress")
            await asyncio.sleep(0.02)

    running = [asyncio.create_task(worker(n)) for n in range(tasks)]
    try:
        await until(lambda: len(outcomes.moved) >= 30)
        await asyncio.to_thread(fail_over)
        moment = time.monotonic()
        await until(lambda: outcomes.moved_since(moment) >= 30)
    finally:
        done.set()
        await asyncio.gather(*running)
    return outcomes


def ledger_state(session: Session) -> tuple[list[int], dict[str, tuple[int, int, int]]]:
    balances = list(session.scalars(select(accounts.c.balance).order_by(accounts.c.id)))
    rows = {row.id: (row.source, row.target, row.amount) for row in session.execute(select(ledger))}
    return balances, rows


def check(
    url: URL, primary_port: int, outcomes: Outcomes, clock: dict[str, float], label: str
) -> None:
    """The invariants after a failover, read on the new primary (`primary_port`), and the
    figures printed: when the old one stopped, and when transfers committed again."""
    after = Database(url, pool_size=1)
    try:
        balances, rows = after.run(lambda tx: ledger_state(tx.session), read_only=True)
        port = after.run(lambda tx: server_port(tx.session), read_only=True)
    finally:
        after.dispose()
    assert port == primary_port  # the promoted standby is the primary now
    assert sum(balances) == TOTAL
    assert min(balances) >= 0
    assert outcomes.moved <= rows.keys()  # no committed transfer lost
    assert rows.keys() <= outcomes.moved | outcomes.unknown  # nothing failed was applied
    assert not (rows.keys() & (outcomes.declined | outcomes.failed.keys()))
    for account, balance in enumerate(balances):  # each transfer applied exactly once
        credits = sum(a for _, t, a in rows.values() if t == account)
        debits = sum(a for s, _, a in rows.values() if s == account)
        assert balance == START + credits - debits, account
    assert outcomes.moved_since(clock["promoted"]) >= 30  # work went on, on the new primary
    assert sum(outcomes.retried.values()) > 0  # the gap was ridden out by retries
    # An upper bound: the first commit acknowledged after the promotion was reported done.
    resumed = min(at for at in outcomes.moved_at if at > clock["promoted"]) - clock["stopped"]
    figures = Failover(
        clock["stopped"],
        clock["promoted"] - clock["stopped"],
        resumed,
        len(outcomes.unknown) + len(outcomes.failed),
    )
    report(figures.summary(label, outcomes))
