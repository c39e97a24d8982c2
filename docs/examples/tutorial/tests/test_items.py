"""The inventory API, over HTTP, on a real database the plugin isolates per test."""

import httpx
import pytest
from inventory.models import Item
from inventory.store import ItemRepository

from stanchion import Database
from stanchion.testing import assert_num_queries

pytestmark = pytest.mark.anyio
BOLT = {"sku": "BOLT-M6", "name": "M6 bolt", "warehouse": "north", "quantity": 3, "price_cents": 12}


# --8<-- [start:http]
async def test_created_item_is_listed_and_read_back(client: httpx.AsyncClient) -> None:
    created = await client.post("/items", json=BOLT)
    assert created.status_code == 201 and created.headers["ETag"] == '"1"'

    listed = await client.get("/items", params={"warehouse": "north", "quantity__lte": 5})
    assert [i["sku"] for i in listed.json()["items"]] == ["BOLT-M6"]

    read = await client.get(f"/items/{created.json()['id']}")
    assert read.json()["name"] == "M6 bolt"


async def test_each_test_starts_empty(client: httpx.AsyncClient) -> None:
    assert (await client.get("/items")).json()["items"] == []  # the test above was rolled back
# --8<-- [end:http]


# --8<-- [start:problems]
async def test_errors_are_problem_json(client: httpx.AsyncClient) -> None:
    await client.post("/items", json=BOLT)

    taken = await client.post("/items", json=BOLT)
    assert taken.status_code == 409
    assert taken.headers["content-type"] == "application/problem+json"
    assert taken.json()["fields"] == ["sku"]  # which unique field clashed; no SQL, no values

    missing = await client.get("/items/999999")
    assert missing.status_code == 404 and missing.json()["status"] == 404

    unknown = await client.get("/items", params={"created_at__lte": "2024-01-01"})
    assert unknown.status_code == 422  # not an allowed filter: a typed error, not a 500


async def test_an_edit_needs_the_current_etag(client: httpx.AsyncClient) -> None:
    created = await client.post("/items", json=BOLT)
    url, etag = f"/items/{created.json()['id']}", created.headers["ETag"]

    assert (await client.patch(url, json={"quantity": 9})).status_code == 428
    edited = await client.patch(url, json={"quantity": 9}, headers={"If-Match": etag})
    assert edited.json()["quantity"] == 9 and edited.headers["ETag"] == '"2"'
    stale = await client.patch(url, json={"quantity": 1}, headers={"If-Match": etag})
    assert stale.status_code == 412  # someone else's edit is never overwritten
# --8<-- [end:problems]


# --8<-- [start:sync]
def test_low_stock_is_one_query(stanchion_db: Database) -> None:
    with stanchion_db.transaction() as tx:
        items = tx.repository(ItemRepository)
        items.add_many([Item(**{**BOLT, "sku": f"S{n}", "quantity": n}) for n in range(10)])
        with assert_num_queries(1):
            assert [i.quantity for i in items.low_stock("north", below=3)] == [0, 1, 2]
# --8<-- [end:sync]
