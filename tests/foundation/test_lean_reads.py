"""Lean reads: `row`, `row_one`, `rows`, `rows_page` return rows or plain values, not entities.

The same filters, sort, limits and soft-delete rule as the entity reads, on every backend,
sync and async; nothing enters the identity map.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from pydantic import BaseModel

from stanchion import InvalidQuery, NotFound
from tests.foundation.harness import Side, Sides
from tests.models import Book, Writer

pytestmark = pytest.mark.anyio


@dataclasses.dataclass
class BookCard:
    id: int
    title: str
    pages: int


@dataclasses.dataclass
class TitleOnly:
    title: str
    note: str = "from the default"


class BookOut(BaseModel):
    id: int
    title: str
    published: bool


async def seed(side: Side) -> Writer:
    writer: Writer = await side.repo(Writer).add(Writer(name="Ada"))
    pages = {"a": 300, "b": 100, "c": 200, "d": 50}
    books = [Book(title=t, pages=p, writer_id=writer.id) for t, p in pages.items()]
    await side.repo(Book).add_many(books)
    await side.commit()
    return writer


async def test_row_reads_one_row_by_key_without_an_entity(sides: Sides) -> None:
    await seed(sides.open())
    side = sides.open()
    books = side.repo(Book)
    first = (await books.list({"title": "a"}))[0].id
    await side.rollback()
    reader = sides.open()
    row = await reader.repo(Book).row(first)
    assert (row.title, row.pages) == ("a", 300)
    assert await reader.repo(Book).row(first + 1000) is None
    assert len(reader.sync_session.identity_map) == 0
    card = await reader.repo(Book).row_one(first, into=BookCard)
    assert card == BookCard(id=first, title="a", pages=300)
    with pytest.raises(NotFound):
        await reader.repo(Book).row_one(first + 1000)


async def test_rows_filter_sort_and_limit_as_list_does(sides: Sides) -> None:
    await seed(sides.open())
    books = sides.open().repo(Book)
    for query in (
        {"sort": "-pages", "limit": 3},
        {"sort": "title", "offset": 1},
        {"sort": "pages", "limit": 2, "offset": 1},
    ):
        entities = await books.list({"pages__gte": 100}, **query)
        rows = await books.rows({"pages__gte": 100}, **query)
        assert [r.id for r in rows] == [b.id for b in entities]
    with pytest.raises(InvalidQuery):
        await books.rows({"nope": 1})
    with pytest.raises(InvalidQuery):
        await books.rows(limit=10_000)


async def test_rows_build_dataclasses_and_pydantic_models(sides: Sides) -> None:
    await seed(sides.open())
    books = sides.open().repo(Book)
    cards = await books.rows(sort="pages", limit=2, into=BookCard)
    assert [(c.title, c.pages) for c in cards] == [("d", 50), ("b", 100)]
    titles = await books.rows(sort="title", limit=1, into=TitleOnly)
    assert titles == [TitleOnly(title="a")]
    out = await books.rows({"title": "c"}, into=BookOut)
    assert [(o.title, o.published) for o in out] == [("c", False)]
    with pytest.raises(TypeError, match="nickname"):

        @dataclasses.dataclass
        class Wrong:
            nickname: str

        await books.rows(into=Wrong)


async def test_lean_reads_hide_soft_deleted_rows_unless_asked(sides: Sides) -> None:
    await seed(sides.open())
    side = sides.open()
    gone = (await side.repo(Book).list({"title": "b"}))[0]
    gone.deleted_at = dt.datetime.now(dt.UTC)
    await side.commit()
    books = sides.open().repo(Book)
    assert await books.row(gone.id) is None
    assert (await books.row(gone.id, include_deleted=True)).title == "b"
    assert [r.title for r in await books.rows(sort="title")] == ["a", "c", "d"]
    shown = await books.rows(sort="title", include_deleted=True)
    assert [r.title for r in shown] == ["a", "b", "c", "d"]


async def test_lean_reads_see_what_the_session_has_not_flushed_yet(sides: Sides) -> None:
    writer = await seed(sides.open())
    side = sides.open()
    side.sync_session.add(Book(title="pending", pages=1, writer_id=writer.id))
    assert [r.title for r in await side.repo(Book).rows({"title": "pending"})] == ["pending"]


async def test_rows_page_counts_only_when_the_page_is_not_everything(sides: Sides) -> None:
    await seed(sides.open())
    books = sides.open().repo(Book)
    whole = await books.rows_page(sort="title", limit=10)
    assert (whole.total, [r.title for r in whole.items]) == (4, ["a", "b", "c", "d"])
    part = await books.rows_page(sort="title", limit=2, offset=1, into=TitleOnly)
    assert part.total == 4
    assert [t.title for t in part.items] == ["b", "c"]
