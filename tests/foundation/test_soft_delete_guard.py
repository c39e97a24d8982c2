"""The session's soft-delete filter on statements run again: decided once, applied every time.

The session rewrites a statement it has seen before from memory; these prove the memory never
shows a soft-deleted row, never hides one asked for, and never adds criteria to a lazy or
relationship load that already carries them.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from stanchion.models.soft_delete import including_deleted
from tests.foundation.harness import Sides
from tests.models import Book, Writer

pytestmark = pytest.mark.anyio


async def test_a_statement_run_again_hides_rows_deleted_in_between(sides: Sides) -> None:
    side = sides.open()
    ada = await side.repo(Writer).add(Writer(name="Ada"))
    await side.repo(Book).add_many([Book(title=t, writer_id=ada.id) for t in ("a", "b")])
    await side.commit()
    titles = select(Book.title).order_by(Book.title)
    books = select(Book).order_by(Book.title)

    reader = sides.open()
    assert await reader.run(lambda s: list(s.scalars(titles))) == ["a", "b"]
    await reader.repo(Book).delete((await reader.repo(Book).list({"title": "a"}))[0].id)
    await reader.commit()
    for _ in range(2):  # the second run comes from the session's memory of the first
        assert await reader.run(lambda s: list(s.scalars(titles))) == ["b"]
        assert await reader.run(lambda s: [b.title for b in s.scalars(books)]) == ["b"]
    shown = including_deleted(titles)
    assert await reader.run(lambda s: list(s.scalars(shown))) == ["a", "b"]


async def test_relationship_loads_of_a_remembered_statement_hide_deleted_rows(
    sides: Sides,
) -> None:
    side = sides.open()
    ada = await side.repo(Writer).add(Writer(name="Ada"))
    await side.repo(Book).add_many([Book(title=t, writer_id=ada.id) for t in ("a", "b")])
    (await side.repo(Book).list({"title": "b"}))[0].deleted_at = dt.datetime.now(dt.UTC)
    await side.commit()
    writers = select(Writer).options(selectinload(Writer.books))
    for _ in range(2):
        reader = sides.open()
        found = await reader.run(lambda s: s.scalars(writers).one())
        assert [b.title for b in found.books] == ["a"]
        await reader.rollback()
