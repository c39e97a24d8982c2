"""docs/migrating/from-sqlalchemy.md, before: plain SQLAlchemy 2 and a ``get_db`` dependency.

The pattern as the seed document teaches it: an engine built at import, a session per request
that the handler commits itself, offset pages with a second COUNT query. Runs anywhere, twice:
its database is in memory.
"""

import asyncio
from collections.abc import AsyncGenerator
from typing import Annotated

import httpx
from fastapi import Depends, FastAPI, HTTPException
from pydantic import BaseModel, ConfigDict
from sqlalchemy import String, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
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


engine = create_async_engine("sqlite+aiosqlite://", poolclass=StaticPool)  # at import
async_session = async_sessionmaker(engine, expire_on_commit=False)


async def get_db() -> AsyncGenerator[AsyncSession, None]:
    async with async_session() as session:
        yield session


DB = Annotated[AsyncSession, Depends(get_db)]


class ItemIn(BaseModel):
    sku: str
    name: str
    warehouse: str
    price_cents: int


class ItemOut(ItemIn):
    model_config = ConfigDict(from_attributes=True)
    id: int


app = FastAPI()


@app.post("/items", status_code=201)
async def create_item(data: ItemIn, db: DB) -> ItemOut:
    item = Item(**data.model_dump())
    db.add(item)
    await db.commit()  # a taken SKU raises IntegrityError here: the client gets a 500
    return ItemOut.model_validate(item)


@app.get("/items")
async def list_items(db: DB, warehouse: str, skip: int = 0, limit: int = 20) -> dict[str, object]:
    where = Item.warehouse == warehouse
    total = await db.scalar(select(func.count()).select_from(Item).where(where))
    rows = await db.scalars(select(Item).where(where).order_by(Item.name).offset(skip).limit(limit))
    return {"items": [ItemOut.model_validate(i) for i in rows], "total": total}


@app.get("/items/{item_id}")
async def get_item(item_id: int, db: DB) -> ItemOut:
    item = await db.get(Item, item_id)
    if item is None:
        raise HTTPException(status_code=404, detail="Item not found")
    return ItemOut.model_validate(item)
# --8<-- [end:before]


async def main() -> None:
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://example") as client:
        bolt = {"sku": "BOLT-M6", "name": "M6 bolt", "warehouse": "north", "price_cents": 12}
        assert (await client.post("/items", json=bolt)).status_code == 201
        duplicate = await client.post("/items", json=bolt)
        listed = (await client.get("/items", params={"warehouse": "north"})).json()
        missing = await client.get("/items/999")
    await engine.dispose()
    assert duplicate.status_code == 500 and listed["total"] == 1 and missing.status_code == 404
    print(f"duplicate SKU: {duplicate.status_code}; missing item: {missing.json()}")


asyncio.run(main())
