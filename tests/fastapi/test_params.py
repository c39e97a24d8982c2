"""`list_query` turns a repository's allow-lists into typed, documented query parameters:
offset pages here (the blog's tests cover keyset pages and hostile input)."""

from __future__ import annotations

from typing import Annotated, Any

import httpx
import pytest
from fastapi import Depends, FastAPI

from stanchion import AsyncDatabase, Repository
from stanchion.fastapi import (
    ListQuery,
    ReadOnlyUnitOfWorkDep,
    install_problem_handlers,
    list_query,
    set_database,
)
from tests.models import Book, Writer

pytestmark = [pytest.mark.anyio, pytest.mark.backends("sqlite")]


class BookRepository(Repository[Book]):
    filter_fields = ("title", "pages", "published")
    sort_fields = ("pages", "title")
    default_sort = "title"
    max_page_size = 5


BookQuery = Annotated[ListQuery, Depends(list_query(BookRepository, paging="offset"))]


def books_app(db: AsyncDatabase) -> FastAPI:
    app = FastAPI()
    set_database(app, db)
    install_problem_handlers(app)

    @app.get("/books")
    async def books(query: BookQuery, tx: ReadOnlyUnitOfWorkDep) -> dict[str, Any]:
        page = await tx.repository(BookRepository).page(
            query.filters, sort=query.sort, limit=query.limit, offset=query.offset
        )
        return {"titles": [b.title for b in page.items], "total": page.total}

    return app


@pytest.fixture
async def client(adb: AsyncDatabase) -> Any:
    async with adb.transaction() as tx:
        writer = await tx.repository(Writer).add(Writer(name="Le Guin"))
        for i in range(8):
            book = Book(title=f"Book {i}", pages=100 + i, published=i % 2 == 0)
            book.writer_id = writer.id
            await tx.repository(Book).add(book)
    transport = httpx.ASGITransport(app=books_app(adb), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


async def test_parameters_come_from_the_repository_and_are_documented(
    adb: AsyncDatabase,
) -> None:
    schema = books_app(adb).openapi()
    names = {p["name"] for p in schema["paths"]["/books"]["get"]["parameters"]}
    assert {"sort", "limit", "offset", "title__icontains", "pages__gte", "published"} <= names
    assert "cursor" not in names and "summary" not in names and "writer_id" not in names
    assert "published__gte" not in names  # booleans get no ordering operators


async def test_offset_pages_filter_sort_and_count(client: httpx.AsyncClient) -> None:
    first = (await client.get("/books", params={"sort": "-pages", "limit": 3})).json()
    assert first == {"titles": ["Book 7", "Book 6", "Book 5"], "total": 8}
    second = (await client.get("/books", params={"sort": "-pages", "limit": 3, "offset": 3})).json()
    assert second["titles"] == ["Book 4", "Book 3", "Book 2"]
    published = (await client.get("/books", params={"published": "true", "pages__gte": 104})).json()
    assert published["titles"] == ["Book 4", "Book 6"]


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 6},
        {"offset": -1},
        {"offset": 10**6},
        {"cursor": "x"},
        {"summary": "x"},
        {"sort": "summary"},
        {"pages__icontains": "1"},
    ],
)
async def test_out_of_bounds_or_unlisted_parameters_are_422(
    client: httpx.AsyncClient, params: dict[str, Any]
) -> None:
    assert (await client.get("/books", params=params)).status_code == 422
