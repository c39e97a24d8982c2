"""Keys, offsets and limits at and beyond the edges: one answer on every backend, sync and async.

A key no row can have (an integer beyond 64 bits, text with a NUL) is simply not there: `get`
gives None, `get_one` / `lock` / `update` / `delete` raise `NotFound`. A key of the wrong type
or shape is `InvalidQuery`, and so is an offset or a limit out of range — never a raw
`OverflowError`, a `DataError`, or a misleading `CheckViolation` from the driver.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from stanchion import InvalidQuery, NotFound
from tests.foundation.harness import Side, Sides
from tests.models import Book, Shelf, Writer

pytestmark = pytest.mark.anyio

ABSENT_INTEGER_KEYS: list[Any] = [2**63, -(2**63) - 1, 10**30, -1, 0, 2**63 - 1, -(2**63), "9" * 40]


async def seed(side: Side) -> Book:
    writer: Writer = await side.repo(Writer).add(Writer(name="Ada"))
    book: Book = await side.repo(Book).add(Book(title="b", pages=1, writer_id=writer.id))
    await side.commit()
    return book


async def test_an_integer_key_no_row_can_have_is_not_found(sides: Sides) -> None:
    side = sides.open()
    await seed(side)
    books = side.repo(Book)
    for ident in ABSENT_INTEGER_KEYS:
        assert await books.get(ident) is None, ident
        assert await books.get(ident, include_deleted=True) is None
        calls = (
            books.get_one(ident),
            books.lock(ident),
            books.update(ident, {"title": "x"}),
            books.delete(ident),
            books.delete(ident, hard=True),
            books.restore(ident),
        )
        for call in calls:
            with pytest.raises(NotFound):
                await call
    assert await books.count() == 1  # the session is still usable


async def test_a_text_or_uuid_key_no_row_can_have_is_not_found(sides: Sides) -> None:
    shelves = sides.open().repo(Shelf)
    assert await shelves.get(uuid.UUID(int=0)) is None
    assert await shelves.get(str(uuid.UUID(int=2**128 - 1))) is None


async def test_a_key_of_the_wrong_type_or_shape_is_invalid_query(sides: Sides) -> None:
    side = sides.open()
    await seed(side)
    books = side.repo(Book)
    for ident in ("abc", 1.5, None, (1, 2), (), {"nope": 1}, [1]):
        for call in (books.get(ident), books.get_one(ident), books.lock(ident)):
            with pytest.raises(InvalidQuery):
                await call


async def test_a_key_given_as_text_or_by_name_finds_the_row(sides: Sides) -> None:
    side = sides.open()
    book = await seed(side)
    books = side.repo(Book)
    assert (await books.get(str(book.id))) is book
    assert (await books.get({"id": book.id})) is book
    assert (await books.get((book.id,))) is book
    with pytest.raises(InvalidQuery):
        await side.repo(Shelf).get("not a uuid")


WINDOWS: list[tuple[dict[str, Any], str]] = [
    ({"offset": 10**20}, "offset"),
    ({"offset": 2**63}, "offset"),
    ({"offset": -1}, "offset"),
    ({"offset": 1.5}, "offset"),
    ({"offset": True}, "offset"),
    ({"offset": "10"}, "offset"),
    ({"limit": 10**20}, "limit"),
    ({"limit": 2**63}, "limit"),
    ({"limit": 0}, "limit"),
    ({"limit": -5}, "limit"),
    ({"limit": 101}, "limit"),  # beyond max_page_size
    ({"limit": 2.5}, "limit"),
    ({"limit": False}, "limit"),
]


async def test_offsets_and_limits_out_of_range_are_invalid_query(sides: Sides) -> None:
    side = sides.open()
    await seed(side)
    books = side.repo(Book)
    for window, field in WINDOWS:
        calls = [books.list(**window), books.page(**{"limit": 10, **window})]
        if "offset" not in window:
            calls += [books.keyset_page(**window), books.lock_many(**window)]
        for call in calls:
            with pytest.raises(InvalidQuery) as caught:
                await call
            assert caught.value.field == field, window
    assert await books.count() == 1


async def test_the_largest_offset_every_backend_takes_answers_an_empty_page(sides: Sides) -> None:
    side = sides.open()
    await seed(side)
    books = side.repo(Book)
    assert await books.list(offset=2**63 - 1) == []
    assert await books.list(limit=1, offset=2**63 - 1) == []
    page = await books.page(limit=100, offset=2**63 - 1)
    assert (page.items, page.total, page.has_next) == ([], 1, False)
