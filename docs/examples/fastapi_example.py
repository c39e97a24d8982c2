"""A complete stanchion.fastapi service: create, list in keyset pages, read with an ETag, edit
with If-Match, upsert returning the stored row — then a client that tries each endpoint.

Run it anywhere, as often as you like: ``python docs/examples/fastapi_example.py`` uses its own
temporary SQLite file and never touches ``DATABASE_URL`` or ``./stanchion.db``.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from typing import Annotated

import httpx
from fastapi import Depends, FastAPI, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from stanchion import AsyncDatabase, IntegerPK, Model, Repository, Timestamps, Versioned
from stanchion.fastapi import (
    IF_MATCH_RESPONSES,
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


class Product(Model, IntegerPK, Timestamps, Versioned):
    __tablename__ = "example_products"

    sku: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    price_cents: Mapped[int]


class ProductRepository(Repository[Product]):
    filter_fields = ("sku", "name", "price_cents")  # what clients may filter on
    sort_fields = ("name", "price_cents")
    update_fields = ("name", "price_cents")
    default_sort = "name"


class ProductFields(BaseModel):
    model_config = ConfigDict(extra="forbid")  # clients cannot send an id or a version

    name: StorableStr = Field(min_length=1, max_length=200)
    price_cents: int = Field(ge=0, le=2**31 - 1)


class ProductIn(ProductFields):
    sku: StorableStr = Field(min_length=1, max_length=40)


class ProductPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: StorableStr | None = Field(None, min_length=1, max_length=200)
    price_cents: int | None = Field(None, ge=0, le=2**31 - 1)


class ProductOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    sku: str
    name: str
    price_cents: int
    version: int


app = FastAPI(lifespan=database_lifespan())  # AsyncDatabase() from DATABASE_URL, at startup
install_problem_handlers(app)  # NotFound -> 404, AlreadyExists -> 409, StaleData -> 412, ...
ProductQuery = Annotated[ListQuery, Depends(list_query(ProductRepository))]


@app.post("/products", status_code=201)
async def create_product(data: ProductIn, tx: UnitOfWorkDep, response: Response) -> ProductOut:
    product = await tx.repository(ProductRepository).add(Product(**data.model_dump()))
    set_etag(response, product.version)  # ETag: "1"
    return ProductOut.model_validate(product)  # committed before this reaches the client


@app.get("/products")
async def list_products(query: ProductQuery, tx: ReadOnlyUnitOfWorkDep) -> Page[ProductOut]:
    """``?price_cents__lte=500&sort=-price_cents&limit=10``, then ``&cursor=<next_cursor>``."""
    page = await tx.repository(ProductRepository).keyset_page(**query.keyset_arguments())
    return Page[ProductOut].of(page)


@app.get("/products/{product_id}")
async def get_product(product_id: int, tx: ReadOnlyUnitOfWorkDep, response: Response) -> ProductOut:
    product = await tx.repository(ProductRepository).get_one(product_id)  # 404 when missing
    set_etag(response, product.version)
    return ProductOut.model_validate(product)


@app.patch("/products/{product_id}", responses=IF_MATCH_RESPONSES)
async def edit_product(
    product_id: int,
    data: ProductPatch,
    version: IfMatchDep,  # 428 without If-Match, 400 for a malformed one
    tx: UnitOfWorkDep,
    response: Response,
) -> ProductOut:
    repository = tx.repository(ProductRepository)
    values = data.model_dump(exclude_unset=True)
    product = await repository.update(product_id, values, expected_version=version)  # stale: 412
    set_etag(response, product.version)
    return ProductOut.model_validate(product)


@app.put("/products/by-sku/{sku}")
async def put_product(sku: str, data: ProductFields, tx: UnitOfWorkDep) -> ProductOut:
    """Create or replace by SKU in one statement, answering with the row as stored."""
    row = {**data.model_dump(), "sku": sku}
    repository = tx.repository(ProductRepository)
    (product,) = await repository.upsert_returning([row], conflict=["sku"])
    return ProductOut.model_validate(product)


# ----- try it: the client below is what a test of this service looks like -----


async def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        os.environ["DATABASE_URL"] = f"sqlite+aiosqlite:///{directory}/products.db"
        database = AsyncDatabase()
        await database.create_all(Model.metadata)  # an example; services migrate instead
        await database.dispose()
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://example") as c:
                await try_it(c)
        del os.environ["DATABASE_URL"]
    print("the FastAPI example works")


async def try_it(client: httpx.AsyncClient) -> None:
    for sku, price in [("A-1", 900), ("B-2", 250), ("C-3", 400)]:
        created = await client.post(
            "/products", json={"sku": sku, "name": f"Item {sku}", "price_cents": price}
        )
        assert created.status_code == 201 and created.headers["ETag"] == '"1"', created.text
    first = (await client.get("/products?price_cents__lte=500&limit=1")).json()
    assert [p["sku"] for p in first["items"]] == ["B-2"]
    second = await client.get(
        f"/products?price_cents__lte=500&limit=1&cursor={first['next_cursor']}"
    )
    assert [p["sku"] for p in second.json()["items"]] == ["C-3"]

    url = f"/products/{first['items'][0]['id']}"
    etag = (await client.get(url)).headers["ETag"]
    assert (await client.patch(url, json={"price_cents": 1})).status_code == 428
    assert (
        await client.patch(url, json={"price_cents": 1}, headers={"If-Match": "abc"})
    ).status_code == 400
    edited = await client.patch(url, json={"price_cents": 199}, headers={"If-Match": etag})
    assert edited.status_code == 200 and edited.headers["ETag"] == '"2"', edited.text
    stale = await client.patch(url, json={"price_cents": 5}, headers={"If-Match": etag})
    assert stale.status_code == 412 and stale.headers["content-type"] == "application/problem+json"

    put = await client.put("/products/by-sku/B-2", json={"name": "Renamed", "price_cents": 300})
    assert put.json()["name"] == "Renamed" and put.json()["version"] == 3, put.text
    new = await client.put("/products/by-sku/D-4", json={"name": "New", "price_cents": 1})
    assert new.status_code == 200 and new.json()["version"] == 1
    assert (await client.get("/products/999999")).status_code == 404


if __name__ == "__main__":
    asyncio.run(main())
