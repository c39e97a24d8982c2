"""The inventory's HTTP API: FastAPI on stanchion.fastapi's request units of work."""

from typing import Annotated

from fastapi import Depends, FastAPI, Response
from pydantic import BaseModel, ConfigDict, Field

from inventory.models import Item
from inventory.store import ItemRepository
from stanchion.fastapi import (
    IF_MATCH_RESPONSES,
    PROBLEM_RESPONSES,
    IfMatchDep,
    ListQuery,
    Page,
    ReadOnlyUnitOfWorkDep,
    StorableStr,
    UnitOfWorkDep,
    database_lifespan,
    install_problem_handlers,
    list_query,
    set_etag,
)


# --8<-- [start:schemas]
class ItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # clients cannot send an id or a version

    sku: StorableStr = Field(min_length=1, max_length=40)
    name: StorableStr = Field(min_length=1, max_length=200)
    warehouse: StorableStr = Field(min_length=1, max_length=40)
    quantity: int = Field(0, ge=0, le=2**31 - 1)
    price_cents: int = Field(ge=0, le=2**31 - 1)


class ItemPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: StorableStr | None = Field(None, min_length=1, max_length=200)
    quantity: int | None = Field(None, ge=0, le=2**31 - 1)
    price_cents: int | None = Field(None, ge=0, le=2**31 - 1)


class ItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    sku: str
    name: str
    warehouse: str
    quantity: int
    price_cents: int
    version: int
# --8<-- [end:schemas]


# --8<-- [start:app]
app = FastAPI(title="inventory", lifespan=database_lifespan())  # AsyncDatabase() from DATABASE_URL
install_problem_handlers(app)  # typed errors become application/problem+json responses
ItemQuery = Annotated[ListQuery, Depends(list_query(ItemRepository))]


@app.post("/items", status_code=201, responses=PROBLEM_RESPONSES)
async def create_item(data: ItemIn, tx: UnitOfWorkDep, response: Response) -> ItemOut:
    item = await tx.repository(ItemRepository).add(Item(**data.model_dump()))  # taken SKU: 409
    set_etag(response, item.version)
    return ItemOut.model_validate(item)  # committed before the client hears 201


@app.get("/items")
async def list_items(query: ItemQuery, tx: ReadOnlyUnitOfWorkDep) -> Page[ItemOut]:
    """``?warehouse=north&quantity__lte=4&sort=-quantity&limit=20``, then ``&cursor=...``."""
    page = await tx.repository(ItemRepository).keyset_page(**query.keyset_arguments())
    return Page[ItemOut].of(page)


@app.get("/items/{item_id}", responses=PROBLEM_RESPONSES)
async def get_item(item_id: int, tx: ReadOnlyUnitOfWorkDep, response: Response) -> ItemOut:
    item = await tx.repository(ItemRepository).get_one(item_id)  # missing: 404
    set_etag(response, item.version)
    return ItemOut.model_validate(item)
# --8<-- [end:app]


# --8<-- [start:patch]
@app.patch("/items/{item_id}", responses={**PROBLEM_RESPONSES, **IF_MATCH_RESPONSES})
async def edit_item(
    item_id: int, data: ItemPatch, version: IfMatchDep, tx: UnitOfWorkDep, response: Response
) -> ItemOut:
    """Only with ``If-Match: "<version>"``: 428 without it, 412 when someone edited it first."""
    values = data.model_dump(exclude_unset=True)
    item = await tx.repository(ItemRepository).update(item_id, values, expected_version=version)
    set_etag(response, item.version)
    return ItemOut.model_validate(item)
# --8<-- [end:patch]
