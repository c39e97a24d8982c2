"""Offset pages with a total, and keyset pages whose opaque cursors survive concurrent inserts."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from stanchion import InvalidQuery, KeysetPage, OffsetPage
from tests.foundation.harness import Side, Sides
from tests.models import Book, Writer

pytestmark = pytest.mark.anyio


async def seed(side: Side, pages: list[int]) -> Writer:
    writer: Writer = await side.repo(Writer).add(Writer(name="Ada"))
    books = [Book(title=f"b{i:02}", pages=p, writer_id=writer.id) for i, p in enumerate(pages)]
    await side.repo(Book).add_many(books)
    await side.commit()
    return writer


async def walk(side: Side, sort: str, limit: int, **kwargs: Any) -> list[str]:
    """Every title, fetched page by page with the cursor."""
    books = side.repo(Book)
    seen: list[str] = []
    cursor = None
    while True:
        page: KeysetPage[Book] = await books.keyset_page(
            sort=sort, limit=limit, cursor=cursor, **kwargs
        )
        seen += [b.title for b in page.items]
        cursor = page.next_cursor
        if cursor is None:
            return seen


async def test_offset_pages_carry_the_total_and_whether_more_follow(sides: Sides) -> None:
    side = sides.open()
    await seed(side, [5, 1, 4, 2, 3])
    books = side.repo(Book)
    first: OffsetPage[Book] = await books.page(sort="pages", limit=2)
    assert [b.pages for b in first.items] == [1, 2] and first.total == 5 and first.has_next
    last = await books.page(sort="pages", limit=2, offset=4)
    assert [b.pages for b in last.items] == [5] and last.total == 5 and not last.has_next
    filtered = await books.page({"pages__gt": 3}, limit=10)
    assert filtered.total == 2 and not filtered.has_next


async def test_keyset_pages_visit_every_row_once_in_sort_order(sides: Sides) -> None:
    side = sides.open()
    await seed(side, [3, 1, 2, 3, 1, 2, 3])
    expected = [b.title for b in await side.repo(Book).list(sort="pages")]
    assert await walk(side, "pages", 2) == expected
    assert len(set(expected)) == 7
    assert await walk(side, "-pages", 3) == [
        b.title for b in await side.repo(Book).list(sort="-pages")
    ]


async def test_keyset_pages_continue_after_a_value_not_a_position(sides: Sides) -> None:
    side = sides.open()
    await seed(side, list(range(12)))
    books = side.repo(Book)
    page = await books.keyset_page(sort="pages", limit=5)
    for book in page.items:  # the rows already shown go away
        await books.delete(book, hard=True)
    await side.commit()
    deeper = await books.keyset_page(sort="pages", limit=5, cursor=page.next_cursor)
    assert [b.pages for b in deeper.items] == [5, 6, 7, 8, 9]  # an offset would give 10, 11


async def test_keyset_pages_mix_sort_directions(sides: Sides) -> None:
    side = sides.open()
    await seed(side, [3, 1, 2, 3, 1, 2, 3])
    for sort in ("-pages,title", "pages,-title", "-pages,-title"):
        expected = [b.title for b in await side.repo(Book).list(sort=sort)]
        assert await walk(side, sort, 2) == expected, sort


async def test_keyset_pages_neither_skip_nor_repeat_when_rows_arrive_between_fetches(
    sides: Sides,
) -> None:
    side = sides.open()
    writer = await seed(side, [10, 20, 30, 40, 50, 60])
    books = side.repo(Book)
    first = await books.keyset_page(sort="pages", limit=3)
    assert [b.pages for b in first.items] == [10, 20, 30]
    await side.commit()  # each page is its own request and transaction

    other = sides.open()
    newcomers = [Book(title=f"new{p}", pages=p, writer_id=writer.id) for p in (15, 30, 35, 70)]
    await other.repo(Book).add_many(newcomers)
    await other.commit()

    rest: list[int] = []
    cursor = first.next_cursor
    while cursor is not None:
        page = await books.keyset_page(sort="pages", limit=3, cursor=cursor)
        rest += [b.pages for b in page.items]
        cursor = page.next_cursor
        await side.commit()
    # rows before the cursor stay behind it; the original rows after it all come, once
    assert rest == [30, 35, 40, 50, 60, 70]


async def test_keyset_pages_continue_by_timestamps_and_keys(sides: Sides) -> None:
    side = sides.open()
    writer = await side.repo(Writer).add(Writer(name="Ada"))
    for i in range(5):  # separate statements: distinct or equal timestamps, both must work
        await side.repo(Book).add(Book(title=f"t{i}", writer_id=writer.id))
    await side.commit()
    for sort in ("-created_at", "created_at", "-created_at,title"):
        expected = [b.title for b in await side.repo(Book).list(sort=sort)]
        assert await walk(side, sort, 2) == expected, sort


async def test_keyset_pages_refuse_garbage_and_tampered_cursors(sides: Sides) -> None:
    side = sides.open()
    await seed(side, [1, 2, 3])
    books = side.repo(Book)
    cursor = (await books.keyset_page(sort="pages", limit=1)).next_cursor
    assert cursor is not None
    payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    payload["v"][0] = "1; DROP TABLE t_books"
    tampered = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    for bad in ("garbage!!", "e30", cursor[:-3], tampered, "W10"):
        with pytest.raises(InvalidQuery) as caught:
            await books.keyset_page(sort="pages", limit=1, cursor=bad)
        assert caught.value.field == "cursor"
    assert await books.count() == 3


async def test_a_cursor_from_another_sort_order_is_refused(sides: Sides) -> None:
    side = sides.open()
    await seed(side, [1, 2, 3])
    books = side.repo(Book)
    cursor = (await books.keyset_page(sort="pages", limit=1)).next_cursor
    with pytest.raises(InvalidQuery, match="different sort"):
        await books.keyset_page(sort="-pages", limit=1, cursor=cursor)


async def test_keyset_pages_refuse_to_sort_by_a_nullable_column(sides: Sides) -> None:
    books = sides.open().repo(Book)
    with pytest.raises(InvalidQuery) as caught:
        await books.keyset_page(sort="summary", limit=5)
    assert caught.value.field == "summary"
