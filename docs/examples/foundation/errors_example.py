"""docs/errors.md: catching what went wrong, by type, with the details as attributes."""

import os

from sqlalchemy.orm import Mapped, mapped_column

from stanchion import (
    AlreadyExists,
    Database,
    DatabaseUnavailable,
    IntegerPK,
    Model,
    NotFound,
    StaleData,
    StanchionError,
    Versioned,
)


class Account(Model, IntegerPK, Versioned):
    __tablename__ = "ex_errors_accounts"
    email: Mapped[str] = mapped_column(unique=True)
    balance: Mapped[int] = mapped_column(default=0)


db = Database(os.environ.get("DATABASE_URL") or "sqlite:///./examples.db")  # not ./stanchion.db
created = db.create_all(Model.metadata)  # only the missing tables
with db.transaction() as tx:
    account = tx.repository(Account).add(Account(email="ada@example.com"))

try:
    with db.transaction() as tx:
        tx.repository(Account).add(Account(email="ada@example.com"))
except AlreadyExists as error:
    assert error.constraint == "uq_ex_errors_accounts_email" and error.fields == ("email",)
    assert "ada@example.com" not in str(error)  # values never reach the message
    assert error.__cause__ is not None  # the driver's own exception

try:
    with db.transaction() as tx:
        tx.repository(Account).get_one(404)
except NotFound as error:
    assert (error.model, error.identity) == ("Account", 404)

try:
    with db.transaction() as tx:
        # the client read version 1; someone else has written since
        tx.repository(Account).update(account.id, {"balance": 10}, expected_version=1)
        tx.repository(Account).update(account.id, {"balance": 20}, expected_version=1)
except StaleData:
    pass  # tell the client to reload (HTTP 409 / 412)

unreachable = Database("postgresql://app:secret@127.0.0.1:1/app", connect_timeout=1)
try:
    unreachable.health()  # reports, never raises
    with unreachable.transaction() as tx:
        tx.repository(Account).count()
except DatabaseUnavailable as error:
    assert "secret" not in str(error) and error.retry_after == 1.0
except StanchionError:
    raise  # every stanchion error derives from StanchionError
finally:
    unreachable.dispose()
db.drop_all(Model.metadata, tables=created)  # only what this run created
db.dispose()
