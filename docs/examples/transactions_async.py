"""The same unit of work under asyncio: ``async with adb.transaction()`` and ``await adb.run``."""

import asyncio
import os

from sqlalchemy.orm import Mapped, mapped_column

from stanchion import AsyncDatabase, AsyncUnitOfWork, IntegerPK, Model, RetryPolicy


class Ticket(Model, IntegerPK):
    __tablename__ = "ex_tickets"
    title: Mapped[str]
    sold: Mapped[bool] = mapped_column(default=False)


async def sell(tx: AsyncUnitOfWork, ticket_id: int) -> bool:
    tickets = tx.repository(Ticket)
    ticket = await tickets.lock(ticket_id)  # FOR UPDATE (SQLite: the write lock is already held)
    if ticket.sold:
        return False
    ticket.sold = True
    tx.on_commit(notify)  # sync or async callbacks
    return True


notified: list[str] = []


async def notify() -> None:
    notified.append("sold")


async def main() -> None:
    # DATABASE_URL (an async driver is picked), else this example's own SQLite file
    adb = AsyncDatabase(os.environ.get("DATABASE_URL") or "sqlite:///./examples.db")
    created = await adb.create_all(Model.metadata)  # only the missing tables
    async with adb.transaction() as tx:
        ticket = await tx.repository(Ticket).add(Ticket(title="front row"))
    # Ten buyers at once: exactly one gets the ticket; each buyer runs in its own task.
    results = await asyncio.gather(
        *(adb.run(sell, ticket.id, retry=RetryPolicy(max_attempts=5)) for _ in range(10))
    )
    assert results.count(True) == 1 and notified == ["sold"]
    await adb.drop_all(Model.metadata, tables=created)  # only what this run created
    await adb.dispose()


asyncio.run(main())
