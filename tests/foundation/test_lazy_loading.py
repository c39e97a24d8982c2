"""Relationships never lazy-load silently: an unloaded one raises `LazyLoadError` naming the fix."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import joinedload, selectinload

from stanchion import Database, LazyLoadError, StanchionError
from tests.foundation.harness import Sides
from tests.models import Book, Shelf, Writer

pytestmark = pytest.mark.anyio


async def seed(sides: Sides) -> tuple[int, int, object]:
    side = sides.open()
    writer = await side.repo(Writer).add(Writer(name="Ada"))
    book = await side.repo(Book).add(Book(title="t", writer_id=writer.id))
    shelf = await side.repo(Shelf).add(Shelf(label="s"))
    await side.commit()
    return writer.id, book.id, shelf.id


async def test_touching_an_unloaded_collection_names_it_and_the_loader(sides: Sides) -> None:
    writer_id, _, _ = await seed(sides)
    writer = await sides.open().repo(Writer).get_one(writer_id)
    with pytest.raises(LazyLoadError) as caught:
        _ = writer.books
    assert isinstance(caught.value, StanchionError)
    assert "Writer.books" in str(caught.value)
    assert "selectinload(Writer.books)" in str(caught.value)


async def test_touching_an_unloaded_reference_names_it_and_the_loader(sides: Sides) -> None:
    _, book_id, _ = await seed(sides)
    book = await sides.open().repo(Book).get_one(book_id)
    with pytest.raises(LazyLoadError, match=r"Book\.writer.*joinedload\(Book\.writer\)"):
        _ = book.writer


async def test_loader_options_make_the_same_access_work(sides: Sides) -> None:
    writer_id, book_id, shelf_id = await seed(sides)
    side = sides.open()
    writer = await side.repo(Writer).get_one(writer_id, options=[selectinload(Writer.books)])
    assert [b.id for b in writer.books] == [book_id]
    (book,) = await side.repo(Book).list(options=[joinedload(Book.writer)])
    assert book.writer.name == "Ada"
    shelf = await side.repo(Shelf).get_one(shelf_id, options=[selectinload(Shelf.books)])
    assert shelf.books == []


async def test_many_to_many_collections_are_guarded_too(sides: Sides) -> None:
    _, _, shelf_id = await seed(sides)
    shelf = await sides.open().repo(Shelf).get_one(shelf_id)
    with pytest.raises(LazyLoadError, match=r"Shelf\.books"):
        _ = shelf.books


@pytest.mark.commits
@pytest.mark.backends("sqlite")
def test_the_guard_can_be_turned_off_for_sync_code(backend: str, db: Database) -> None:
    relaxed = Database(db.spec.url, raise_on_lazy_load=False)
    try:
        with relaxed.transaction() as tx:
            writer = tx.repository(Writer).add(Writer(name="Ada"))
            tx.repository(Book).add(Book(title="t", writer_id=writer.id))
        with relaxed.transaction(read_only=True) as tx:
            loaded = tx.repository(Writer).get_one(writer.id)
            assert [b.title for b in loaded.books] == ["t"]  # loaded lazily, on request
    finally:
        relaxed.dispose()
