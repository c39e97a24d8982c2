"""Repository reads: get, get_one, exists, count and list, on every backend, sync and async."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import selectinload

from stanchion import InvalidQuery, NotFound, Repository
from tests.foundation.harness import Side, Sides
from tests.models import Book, Writer

pytestmark = pytest.mark.anyio


async def seed(side: Side, **pages_by_title: int) -> Writer:
    """A writer with one book per title, committed."""
    writer: Writer = await side.repo(Writer).add(Writer(name="Ada"))
    books = [Book(title=t, pages=p, writer_id=writer.id) for t, p in pages_by_title.items()]
    await side.repo(Book).add_many(books)
    await side.commit()
    return writer


async def test_get_returns_the_row_or_none_when_absent(sides: Sides) -> None:
    side = sides.open()
    ada = await side.repo(Writer).add(Writer(name="Ada"))
    await side.commit()

    fresh = sides.open().repo(Writer)
    found = await fresh.get(ada.id)
    assert found is not None and found.name == "Ada"
    assert await fresh.get(ada.id + 1000) is None


async def test_get_one_raises_not_found_naming_model_and_key(sides: Sides) -> None:
    writers = sides.open().repo(Writer)
    with pytest.raises(NotFound) as caught:
        await writers.get_one(424242)
    assert caught.value.model == "Writer" and caught.value.identity == 424242
    assert isinstance(caught.value, LookupError)


async def test_exists_and_count_follow_filters_and_keyword_equality(sides: Sides) -> None:
    side = sides.open()
    await seed(side, a=10, b=20, c=30)
    books = side.repo(Book)
    assert await books.count() == 3
    assert await books.count({"pages__gte": 20}) == 2
    assert await books.count(title="b") == 1
    assert await books.exists(title="c")
    assert not await books.exists({"pages__gt": 30})


async def test_list_orders_by_allow_listed_fields_with_key_tiebreak(sides: Sides) -> None:
    side = sides.open()
    await seed(side, a=20, b=10, c=20, d=10)
    books = side.repo(Book)
    listed = await books.list(sort="-pages")
    assert [b.pages for b in listed] == [20, 20, 10, 10]
    # equal pages fall back to the primary key, in the direction of the last sort term
    assert [b.title for b in listed] == ["c", "a", "d", "b"]
    assert [b.title for b in await books.list(sort="pages,title")] == ["b", "d", "a", "c"]
    assert [b.title for b in await books.list(sort=["-title"], limit=2, offset=1)] == ["c", "b"]


async def test_list_refuses_sort_fields_outside_the_allow_list(sides: Sides) -> None:
    class Books(Repository[Book]):
        sort_fields = ("title",)

    books = sides.open().repo(Books)
    assert await books.list(sort="title") == []
    with pytest.raises(InvalidQuery) as caught:
        await books.list(sort="-pages")
    assert caught.value.field == "pages"
    with pytest.raises(InvalidQuery):
        await books.list(sort="title,-title")


async def test_list_refuses_limits_outside_one_to_max_page_size(sides: Sides) -> None:
    books = sides.open().repo(Book)
    for limit in (0, -1, Repository.max_page_size + 1):
        with pytest.raises(InvalidQuery):
            await books.list(limit=limit)
    with pytest.raises(InvalidQuery):
        await books.list(offset=-1)


async def test_loader_options_load_relationships_in_the_same_read(sides: Sides) -> None:
    side = sides.open()
    ada = await seed(side, a=1, b=2)
    writers = sides.open().repo(Writer)
    loaded = await writers.get_one(ada.id, options=[selectinload(Writer.books)])
    assert sorted(b.title for b in loaded.books) == ["a", "b"]
    (listed,) = await writers.list(options=[selectinload(Writer.books)])
    assert len(listed.books) == 2


async def test_get_with_options_loads_them_even_for_an_object_already_in_the_session(
    sides: Sides,
) -> None:
    side = sides.open()
    ada = await seed(side, a=1)
    writers = side.repo(Writer)
    loaded = await writers.get_one(ada.id, options=[selectinload(Writer.books)])
    assert loaded is ada
    assert [b.title for b in loaded.books] == ["a"]


async def test_default_options_of_a_repository_apply_to_every_read(sides: Sides) -> None:
    class Writers(Repository[Writer]):
        default_options = (selectinload(Writer.books),)

    side = sides.open()
    ada = await seed(side, a=1, b=2)
    writers = sides.open().repo(Writers)
    assert len((await writers.get_one(ada.id)).books) == 2
    assert len((await writers.list())[0].books) == 2


async def test_a_subclass_adds_its_own_query_run_on_either_session(sides: Sides) -> None:
    class Books(Repository[Book]):
        def longest(self) -> Book | None:
            return self.session.scalars(self.select().order_by(Book.pages.desc())).first()

    side = sides.open()
    await seed(side, short=10, long=900)
    books = side.repo(Books)
    if side.is_async:
        longest = await books.run(Books.longest)
    else:
        longest = books.sync.longest()
    assert longest.title == "long"
