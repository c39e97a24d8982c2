"""docs/migrating/from-sqlmodel.md and from-full-stack-template.md, before: SQLModel.

One class is both the table and the API schema; a ``SessionDep`` from a ``get_db`` generator;
the handler commits and refreshes; pages are skip/limit with a COUNT, as the full-stack FastAPI
template writes them. Runs anywhere, twice: in memory.
"""

import asyncio
from collections.abc import Generator
from typing import Annotated

import httpx
from fastapi import Depends, FastAPI, HTTPException
from sqlalchemy.pool import StaticPool
from sqlmodel import Field, Session, SQLModel, create_engine, func, select


# --8<-- [start:models]
class ItemBase(SQLModel):
    sku: str = Field(max_length=40, unique=True)
    name: str = Field(max_length=200)
    warehouse: str = Field(max_length=40)
    price_cents: int


class Item(ItemBase, table=True):
    __tablename__ = "sqlmodel_items"
    id: int | None = Field(default=None, primary_key=True)


class ItemPublic(ItemBase):
    id: int


class ItemsPublic(SQLModel):
    data: list[ItemPublic]
    count: int
# --8<-- [end:models]


# --8<-- [start:routes]
engine = create_engine(  # at import
    "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
)


def get_db() -> Generator[Session, None, None]:
    with Session(engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_db)]
app = FastAPI()


@app.post("/items", response_model=ItemPublic)
def create_item(session: SessionDep, item_in: ItemBase) -> Item:
    item = Item.model_validate(item_in)
    session.add(item)
    session.commit()  # a taken SKU: IntegrityError, a 500
    session.refresh(item)
    return item


@app.get("/items", response_model=ItemsPublic)
def read_items(session: SessionDep, warehouse: str, skip: int = 0, limit: int = 100) -> ItemsPublic:
    where = Item.warehouse == warehouse
    count = session.exec(select(func.count()).select_from(Item).where(where)).one()
    rows = session.exec(select(Item).where(where).offset(skip).limit(limit)).all()
    return ItemsPublic(data=[ItemPublic.model_validate(r) for r in rows], count=count)


@app.get("/items/{item_id}", response_model=ItemPublic)
def read_item(session: SessionDep, item_id: int) -> Item:
    item = session.get(Item, item_id)
    if not item:
        raise HTTPException(status_code=404, detail="Item not found")
    return item
# --8<-- [end:routes]


SQLModel.metadata.create_all(engine)


async def main() -> tuple[httpx.Response, dict[str, int], httpx.Response]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://example") as client:
        bolt = {"sku": "BOLT-M6", "name": "M6 bolt", "warehouse": "north", "price_cents": 12}
        assert (await client.post("/items", json=bolt)).status_code == 200
        duplicate = await client.post("/items", json=bolt)
        listed = (await client.get("/items", params={"warehouse": "north"})).json()
        return duplicate, listed, await client.get("/items/999")


duplicate, listed, missing = asyncio.run(main())
assert duplicate.status_code == 500 and listed["count"] == 1 and missing.status_code == 404
print(f"duplicate SKU: {duplicate.status_code}; missing item: {missing.json()}")
SQLModel.metadata.drop_all(engine)
engine.dispose()
