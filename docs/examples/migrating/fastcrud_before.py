"""docs/migrating/from-fastcrud.md, before: FastCRUD on an async session.

The same inventory as the tutorial: keyword filters with ``__`` operators on any column, offset
pages with a total, dicts back by default. Runs anywhere, twice: in memory.
"""

import asyncio

from fastcrud import FastCRUD
from pydantic import BaseModel
from sqlalchemy import String
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.pool import StaticPool


class Base(DeclarativeBase):
    pass


# --8<-- [start:before]
class Item(Base):
    __tablename__ = "items"
    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    warehouse: Mapped[str] = mapped_column(String(40))
    price_cents: Mapped[int]


class ItemIn(BaseModel):
    sku: str
    name: str
    warehouse: str
    price_cents: int


items = FastCRUD(Item)


async def main() -> None:
    engine = create_async_engine("sqlite+aiosqlite://", poolclass=StaticPool)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    async with sessions() as db:
        for n in range(1, 31):  # create() commits after each row by default
            await items.create(db, ItemIn(sku=f"SKU-{n:03}", name=f"Part {n:03}",
                                          warehouse="north", price_cents=100 + n))
        page = await items.get_multi(
            db, offset=5, limit=5, sort_columns="name", warehouse="north", price_cents__lte=110
        )
        try:
            await items.create(db, ItemIn(sku="SKU-001", name="again", warehouse="north",
                                          price_cents=1))
        except IntegrityError:  # SQLAlchemy's (the driver's) error, untranslated
            await db.rollback()
            print("IntegrityError")
# --8<-- [end:before]
    await engine.dispose()
    skus = [row["sku"] for row in page["data"]]
    assert page["total_count"] == 10 and skus == [f"SKU-{n:03}" for n in range(6, 11)], page
    print(page["total_count"], skus)


asyncio.run(main())
