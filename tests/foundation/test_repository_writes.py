"""Repository writes: add, update of allowed fields, soft and hard delete, restore."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from stanchion import InvalidQuery, NotFound, Repository
from tests.foundation.harness import Sides
from tests.models import Book, Shelf, Writer

pytestmark = pytest.mark.anyio


async def test_add_flushes_so_keys_and_server_defaults_are_set(sides: Sides) -> None:
    side = sides.open()
    ada = await side.repo(Writer).add(Writer(name="Ada"))
    assert ada.id is not None and ada.version == 1
    assert ada.created_at is not None and ada.created_at.tzinfo is not None
    shelves = await side.repo(Shelf).add_many([Shelf(label="x"), Shelf(label="y")])
    assert all(s.id is not None for s in shelves)
    await side.commit()
    assert await sides.open().repo(Shelf).count() == 2


async def test_update_writes_allowed_fields_and_refuses_others(sides: Sides) -> None:
    class Writers(Repository[Writer]):
        update_fields = ("email", "rating")

    side = sides.open()
    writers = side.repo(Writers)
    ada = await writers.add(Writer(name="Ada"))
    updated = await writers.update(ada.id, {"email": "ada@example.org", "rating": 5})
    assert updated is ada and ada.email == "ada@example.org"
    refusals: list[dict[str, object]] = [{"name": "Bob"}, {"version": 9}, {"id": 2}, {"books": []}]
    for refused in refusals:
        with pytest.raises(InvalidQuery):
            await writers.update(ada, refused)
    await side.commit()
    reread = await sides.open().repo(Writer).get_one(ada.id)
    assert (reread.name, reread.rating, reread.version) == ("Ada", 5, 2)


async def test_update_by_default_refuses_keys_and_managed_columns(sides: Sides) -> None:
    side = sides.open()
    writers = side.repo(Writer)
    ada = await writers.add(Writer(name="Ada"))
    await writers.update(ada, {"name": "Ada L."})
    for managed in ("id", "created_at", "updated_at", "version"):
        with pytest.raises(InvalidQuery):
            await writers.update(ada, {managed: None})
    with pytest.raises(NotFound):
        await writers.update(ada.id + 1000, {"name": "nobody"})


async def test_soft_delete_hides_the_row_from_reads_until_restored(sides: Sides) -> None:
    side = sides.open()
    writer = await side.repo(Writer).add(Writer(name="Ada"))
    books = side.repo(Book)
    _, gone = await books.add_many(
        [Book(title="kept", writer_id=writer.id), Book(title="gone", writer_id=writer.id)]
    )
    await books.delete(gone.id)
    assert gone.deleted_at is not None
    assert await books.get(gone.id) is None  # even though the session still holds it
    await side.commit()

    reader = sides.open()
    books = reader.repo(Book)
    assert await books.get(gone.id) is None
    with pytest.raises(NotFound):
        await books.get_one(gone.id)
    assert [b.title for b in await books.list()] == ["kept"]
    assert await books.count() == 1 and not await books.exists(title="gone")
    assert (await books.page()).total == 1
    assert [b.title for b in (await books.keyset_page()).items] == ["kept"]
    assert await books.count({"title": "gone"}) == 0
    assert (await books.get(gone.id, include_deleted=True)) is not None
    assert len(await books.list(include_deleted=True)) == 2

    restored = await books.restore(gone.id)
    assert restored.deleted_at is None
    assert await books.count() == 2


async def test_soft_deleted_rows_are_hidden_from_relationship_loads(sides: Sides) -> None:
    side = sides.open()
    writer = await side.repo(Writer).add(Writer(name="Ada"))
    books = side.repo(Book)
    _, gone = await books.add_many(
        [Book(title="kept", writer_id=writer.id), Book(title="gone", writer_id=writer.id)]
    )
    await books.delete(gone)
    await side.commit()

    reader = sides.open()
    writers = reader.repo(Writer)
    loaded = await writers.get_one(writer.id, options=[selectinload(Writer.books)])
    assert [b.title for b in loaded.books] == ["kept"]
    (listed,) = await writers.list(options=[selectinload(Writer.books)])
    assert [b.title for b in listed.books] == ["kept"]
    await reader.commit()  # on SQLite an open transaction holds the write lock
    everything = (
        await sides.open()
        .repo(Writer)
        .get_one(writer.id, options=[selectinload(Writer.books)], include_deleted=True)
    )
    assert sorted(b.title for b in everything.books) == ["gone", "kept"]


async def test_hard_delete_removes_the_row_even_when_soft_deleted(sides: Sides) -> None:
    side = sides.open()
    writer = await side.repo(Writer).add(Writer(name="Ada"))
    books = side.repo(Book)
    book = await books.add(Book(title="x", writer_id=writer.id))
    await books.delete(book)
    await books.delete(book.id, hard=True)
    await side.commit()
    remaining = await sides.open().run(
        lambda s: s.execute(select(Book).execution_options(include_deleted=True)).all()
    )
    assert remaining == []


async def test_delete_of_a_model_without_soft_delete_removes_it(sides: Sides) -> None:
    side = sides.open()
    writers = side.repo(Writer)
    ada = await writers.add(Writer(name="Ada"))
    await writers.delete(ada.id)
    assert await writers.get(ada.id) is None
    with pytest.raises(NotFound):
        await writers.delete(ada.id)


async def test_restore_refuses_a_model_without_soft_delete(sides: Sides) -> None:
    side = sides.open()
    shelf = await side.repo(Shelf).add(Shelf(label="s"))
    with pytest.raises(InvalidQuery):
        await side.repo(Shelf).restore(shelf.id)
