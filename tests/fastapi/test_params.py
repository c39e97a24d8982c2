"""`list_query` turns a repository's allow-lists into typed, documented query parameters:
offset pages here (the blog's tests cover keyset pages and hostile input)."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

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
from stanchion.testing.queries import QueryLog
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


# ----- per-field operators, any-of groups and hostile values, over HTTP -----


class ChosenBookRepository(Repository[Book]):
    """Each field exposes only the operators the endpoint needs: seven filter parameters."""

    filter_fields: ClassVar[dict[str, tuple[str, ...]]] = {
        "title": ("icontains",),
        "pages": ("gte", "lte", "in"),
        "published": ("eq",),
        "created_at": ("gte",),
    }
    sort_fields = ("pages",)
    default_sort = "pages"


ChosenQuery = Annotated[ListQuery, Depends(list_query(ChosenBookRepository, paging="offset"))]


def chosen_app(db: AsyncDatabase) -> FastAPI:
    app = FastAPI()
    set_database(app, db)
    install_problem_handlers(app)

    @app.get("/chosen")
    async def chosen(query: ChosenQuery, tx: ReadOnlyUnitOfWorkDep) -> dict[str, Any]:
        page = await tx.repository(ChosenBookRepository).page(
            query.filters, sort=query.sort, limit=query.limit, offset=query.offset
        )
        return {"titles": [b.title for b in page.items], "total": page.total}

    return app


@pytest.fixture
async def chosen(adb: AsyncDatabase) -> Any:
    async with adb.transaction() as tx:
        writer = await tx.repository(Writer).add(Writer(name="Le Guin"))
        for i in range(8):
            book = Book(title=f"Book {i}", pages=100 + i, published=i % 2 == 0)
            book.writer_id = writer.id
            await tx.repository(Book).add(book)
    transport = httpx.ASGITransport(app=chosen_app(adb), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


async def test_openapi_shows_only_the_operators_each_field_exposes_with_typed_values(
    adb: AsyncDatabase,
) -> None:
    parameters = chosen_app(adb).openapi()["paths"]["/chosen"]["get"]["parameters"]
    by_name = {p["name"]: p for p in parameters}
    assert set(by_name) == {
        "title__icontains",
        "pages__gte",
        "pages__lte",
        "pages__in",
        "published",
        "created_at__gte",
        "or",
        "sort",
        "limit",
        "offset",
    }

    def schema(name: str) -> dict[str, Any]:
        found: dict[str, Any] = by_name[name]["schema"]
        return next(s for s in found.get("anyOf", [found]) if s.get("type") != "null")

    assert schema("pages__gte")["type"] == "integer"
    assert schema("pages__gte")["maximum"] == 2**63 - 1
    assert schema("published")["type"] == "boolean"
    assert schema("created_at__gte")["format"] == "date-time"
    assert schema("title__icontains")["type"] == "string"
    assert by_name["or"]["schema"]["anyOf"][0]["type"] == "array"
    assert "pages" in by_name["pages__in"]["description"]


async def test_every_filter_parameter_of_the_default_allow_list_is_documented(
    adb: AsyncDatabase,
) -> None:
    parameters = books_app(adb).openapi()["paths"]["/books"]["get"]["parameters"]
    documented = {p["name"] for p in parameters if p.get("description")}
    expected = {
        f.key(op) for f in BookRepository.filterable_fields().values() for op in f.operators
    }
    assert expected <= documented


@pytest.mark.backends("sqlite", "postgresql", "mysql")
async def test_any_of_groups_from_the_query_string(chosen: httpx.AsyncClient) -> None:
    async def titles(params: Any) -> list[str]:
        response = await chosen.get("/chosen", params=params)
        assert response.status_code == 200, response.text
        found: list[str] = response.json()["titles"]
        return found

    either = [("or", "title__icontains:book 1"), ("or", "pages__gte:106")]
    assert await titles(either) == ["Book 1", "Book 6", "Book 7"]
    assert await titles([*either, ("published", "true")]) == ["Book 6"]
    assert await titles([("or", "pages__in:100,103"), ("or", "title__icontains:7")]) == [
        "Book 0",
        "Book 3",
        "Book 7",
    ]
    # a value may itself hold the separator: only the first ':' splits
    assert await titles([("or", "created_at__gte:2000-01-01T00:00:00+00:00")]) != []


@pytest.mark.backends("sqlite", "postgresql", "mysql")
@pytest.mark.parametrize(
    "params",
    [
        [("title", "Book 1")],  # eq is not exposed for title
        [("pages__gt", "1")],
        [("or", "pages__gt:1")],  # nor inside an any-of group
        [("or", "summary:x")],
        [("or", "no separator")],
        [("or", "(SELECT 1):x")],
        [("or", f"pages__gte:{i}") for i in range(21)],
        [("pages__gte", "9223372036854775808")],
        [("pages__in", "1,9223372036854775808")],
        [("or", "pages__in:1,-9223372036854775809")],
        [("created_at__gte", "0001-01-01T00:00:00+14:00")],
        [("created_at__gte", "2024-01-01T00:00:00")],  # naive
        [("title__icontains", "a\x00b")],
        [("published", "maybe")],
        [("sort", "(SELECT 1)")],
    ],
)
async def test_hostile_or_unexposed_filters_are_422_problems_without_sql(
    adb: AsyncDatabase, chosen: httpx.AsyncClient, params: Any
) -> None:
    with QueryLog(adb) as counter:
        response = await chosen.get("/chosen", params=params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert counter.count == 0, counter.describe()
    assert "SELECT" not in response.text and "Traceback" not in response.text
