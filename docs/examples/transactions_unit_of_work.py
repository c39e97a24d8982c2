"""A unit of work: commit on success, rollback on error, a savepoint, an after-commit hook."""

import os

from sqlalchemy.orm import Mapped, mapped_column

from stanchion import AlreadyExists, Database, IntegerPK, Model


class Account(Model, IntegerPK):
    __tablename__ = "ex_accounts"
    owner: Mapped[str] = mapped_column(unique=True)
    balance: Mapped[int] = mapped_column(default=0)


db = Database(os.environ.get("DATABASE_URL") or "sqlite:///./examples.db")  # not ./stanchion.db
created = db.create_all(Model.metadata)  # only the missing tables
outbox: list[str] = []

with db.transaction() as tx:  # BEGIN
    accounts = tx.repository(Account)
    accounts.add(Account(owner="ada", balance=100))
    tx.on_commit(lambda: outbox.append("welcome, ada"))  # after COMMIT, exactly once
    try:
        with tx.savepoint():  # a nested part: only it rolls back
            accounts.add(Account(owner="ada"))  # a duplicate
    except AlreadyExists:
        pass  # the outer transaction goes on
    accounts.add(Account(owner="grace", balance=50))
# COMMIT happened here; then the hook ran
assert outbox == ["welcome, ada"]

try:
    with db.transaction() as tx:
        tx.repository(Account).add(Account(owner="linus"))
        tx.on_commit(lambda: outbox.append("never sent"))
        raise RuntimeError("payment provider said no")
except RuntimeError:
    pass  # ROLLBACK: linus was never saved, and his hook never ran

with db.transaction(read_only=True) as tx:
    assert sorted(a.owner for a in tx.repository(Account).list()) == ["ada", "grace"]
assert outbox == ["welcome, ada"]
db.drop_all(Model.metadata, tables=created)  # only what this run created
db.dispose()
