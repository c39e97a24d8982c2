"""Optimistic versions through the repository: `expected_version` on update and delete, and a
relationship-only update still moving the version (so an ETag changes with every edit)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import selectinload

from stanchion import Repository, StaleData
from tests.foundation.harness import Sides
from tests.models import Book, Writer

pytestmark = pytest.mark.anyio


class WriterRepository(Repository[Writer]):
    update_fields = ("name", "rating", "books")


async def test_delete_with_a_stale_expected_version_raises_and_keeps_the_row(
    sides: Sides,
) -> None:
    side = sides.open()
    ada = await side.repo(Writer).add(Writer(name="Ada"))
    await side.repo(Writer).update(ada, {"rating": 2})  # version 2
    await side.commit()

    side = sides.open()
    with pytest.raises(StaleData):
        await side.repo(Writer).delete(ada.id, expected_version=1)
    await side.rollback()
    side = sides.open()
    await side.repo(Writer).delete(ada.id, expected_version=2)
    await side.commit()
    assert await sides.open().repo(Writer).get(ada.id) is None


async def test_soft_delete_checks_the_expected_version_too(sides: Sides) -> None:
    side = sides.open()
    ada = await side.repo(Writer).add(Writer(name="Ada"))
    book = await side.repo(Book).add(Book(title="Notes", writer_id=ada.id))
    await side.commit()
    side = sides.open()
    with pytest.raises(Exception, match="no version column"):
        await side.repo(Book).delete(book.id, expected_version=1)


async def test_relationship_only_update_bumps_the_version(sides: Sides) -> None:
    side = sides.open()
    ada = await side.repo(Writer).add(Writer(name="Ada"))
    bob = await side.repo(Writer).add(Writer(name="Bob"))
    book = await side.repo(Book).add(Book(title="Notes", writer_id=bob.id))
    await side.commit()

    side = sides.open()
    repo = side.repo(WriterRepository)
    writer = await repo.get_one(ada.id, options=(selectinload(Writer.books),))
    updated = await repo.update(writer, {"books": [await side.repo(Book).get_one(book.id)]})
    assert updated.version == 2
    await side.commit()
    again = await sides.open().repo(Writer).get_one(ada.id)
    assert again.version == 2
