"""Retried transactions: a transfer at SERIALIZABLE through ``db.run``, and the decorator form."""

import os

from sqlalchemy.orm import Mapped, mapped_column

from stanchion import Database, IntegerPK, Model, RetryPolicy, UnitOfWork


class Account(Model, IntegerPK):
    __tablename__ = "ex_wallets"
    owner: Mapped[str] = mapped_column(unique=True)
    balance: Mapped[int] = mapped_column(default=0)


class InsufficientFunds(Exception):
    """Not retried: only errors known to be safe (conflicts, deadlocks) are."""


def transfer(tx: UnitOfWork, source: int, target: int, amount: int) -> int:
    """Read, check, write: correct under concurrency only at SERIALIZABLE (or with locks)."""
    accounts = tx.repository(Account)
    payer, payee = accounts.get_one(source), accounts.get_one(target)
    if payer.balance < amount:
        raise InsufficientFunds(payer.owner)
    payer.balance -= amount
    payee.balance += amount
    return payer.balance


db = Database(os.environ.get("DATABASE_URL") or "sqlite:///./examples.db")  # not ./stanchion.db
created = db.create_all(Model.metadata)  # only the missing tables
ada, grace = db.run(
    lambda tx: [
        a.id
        for a in tx.repository(Account).add_many(
            [Account(owner="ada", balance=100), Account(owner="grace", balance=0)]
        )
    ]
)

# The whole function re-runs (in a fresh transaction) on a serialization failure or deadlock.
left = db.run(
    transfer,
    ada,
    grace,
    30,
    isolation_level="SERIALIZABLE",
    retry=RetryPolicy(max_attempts=5, deadline=10.0),
)
assert left == 70


@db.transactional(isolation_level="SERIALIZABLE")
def pay(tx: UnitOfWork, source: int, target: int, amount: int) -> int:
    return transfer(tx, source, target, amount)


assert pay(ada, grace, 20) == 50
refused = False
try:
    pay(ada, grace, 1_000)
except InsufficientFunds:
    refused = True  # raised once, never retried, nothing written
assert refused

with db.transaction(read_only=True) as tx:
    assert tx.repository(Account).get_one(grace).balance == 50
db.drop_all(Model.metadata, tables=created)  # only what this run created
db.dispose()
