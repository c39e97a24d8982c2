"""docs/howto/multiple-databases.md: two databases in one service, each its own Database.

An orders database and a separate audit database. There is no transaction spanning both: the
audit row is written by an after-commit hook, so it is only written for orders that committed.
Runs anywhere, twice: both databases live in memory.
"""

import contextlib

from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from stanchion import Database, IntegerPK, ModelBase, Timestamps


# --8<-- [start:models]
class OrdersBase(ModelBase, DeclarativeBase):
    """The orders database's tables: a registry (and MetaData) of their own."""


class AuditBase(ModelBase, DeclarativeBase):
    """The audit database's tables."""


class Order(OrdersBase, IntegerPK, Timestamps):
    __tablename__ = "orders"
    customer: Mapped[str] = mapped_column(String(100))
    total_cents: Mapped[int]


class AuditEntry(AuditBase, IntegerPK, Timestamps):
    __tablename__ = "audit_entries"
    message: Mapped[str] = mapped_column(String(200))
# --8<-- [end:models]


# --8<-- [start:databases]
orders_db = Database("sqlite://")  # in a service: Database(settings.orders_url), and so on
audit_db = Database("sqlite://")
orders_db.create_all(OrdersBase.metadata)  # each database gets only its own tables
audit_db.create_all(AuditBase.metadata)


def audit(message: str) -> None:
    with audit_db.transaction() as tx:  # a unit of work of its own, on the other database
        tx.repository(AuditEntry).add(AuditEntry(message=message))


def place_order(customer: str, total_cents: int) -> int:
    with orders_db.transaction() as tx:
        order = tx.repository(Order).add(Order(customer=customer, total_cents=total_cents))
        if total_cents <= 0:
            raise ValueError("an order must cost something")  # rolled back: no audit row
        tx.on_commit(lambda: audit(f"order {order.id} placed by {customer}"))
        return order.id
# --8<-- [end:databases]


place_order("ada", 1200)
with contextlib.suppress(ValueError):
    place_order("grace", 0)
with audit_db.transaction(read_only=True) as tx:
    messages = [e.message for e in tx.repository(AuditEntry).list()]
with orders_db.transaction(read_only=True) as tx:
    assert tx.repository(Order).count() == 1
assert messages == ["order 1 placed by ada"], messages
print(messages)
orders_db.dispose()
audit_db.dispose()
