"""The N+1 detector watches reads and lets every write through.

``do_orm_execute`` fires for ORM DML, bulk and Core statements too, where reading
``lazy_loaded_from`` raises "This ORM execution is not against a SELECT statement": with the
detector on (``stanchion_nplusone = true``, ``detect_n_plus_one(db)``) upserts, bulk inserts and
``session.execute(update(M)...)`` failed on every backend. Each write path of the repository, and
raw ORM and Core statements, runs here inside the detector, sync and async, on every backend.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from stanchion.testing.nplusone import NPlusOneError, detect_n_plus_one
from tests.foundation.harness import Side, Sides
from tests.models import Account, Book, SeedPost, SeedUser, Writer

pytestmark = pytest.mark.anyio


async def _execute(side: Side, statement: Any, params: Any = None) -> Any:
    """``session.execute`` as the user writes it: awaited on an AsyncSession."""
    if isinstance(side.session, AsyncSession):
        return await side.session.execute(statement, params)
    return side.session.execute(statement, params)


async def test_every_repository_write_runs_inside_the_detector(sides: Sides) -> None:
    side = sides.open()
    with detect_n_plus_one(sides.database):
        writers, books, accounts = side.repo(Writer), side.repo(Book), side.repo(Account)
        ada = await writers.add(Writer(name="Ada"))
        grace, _linus = await writers.add_many([Writer(name="Grace"), Writer(name="Linus")])
        await writers.update(ada.id, {"rating": 5})
        assert (
            await writers.upsert(
                [{"name": "Ada", "rating": 9}, {"name": "Barbara", "rating": 1}], conflict=["name"]
            )
            == 2
        )
        assert await writers.upsert([{"name": "Ada"}], conflict=["name"], update=()) == 1
        book = await books.add(Book(title="Notes", writer_id=ada.id))
        await books.delete(book.id)  # soft
        assert await books.get(book.id) is None
        await books.restore(book.id)
        await books.delete(book.id, hard=True)
        assert await books.get(book.id, include_deleted=True) is None
        assert await accounts.bulk_insert({"owner": f"o{i}", "balance": i} for i in range(50)) == 50
        locked = await writers.lock(grace.id)
        assert locked.name == "Grace"
        assert len(await accounts.lock_many({"balance__lt": 3}, limit=3, sort="balance")) == 3
        await writers.delete(grace.id)
        assert await writers.count() == 3
        assert await accounts.count() == 50


async def test_raw_orm_and_core_statements_run_inside_the_detector(sides: Sides) -> None:
    side = sides.open()
    with detect_n_plus_one(sides.database):
        # ORM bulk INSERT (a list of dicts) and INSERT ... RETURNING entities
        await _execute(side, insert(Account), [{"owner": "a", "balance": 1}, {"owner": "b"}])
        if sides.backend != "mysql":  # MySQL has no RETURNING
            made = await _execute(side, insert(Account).returning(Account), [{"owner": "c"}])
            assert [a.owner for a in made.scalars()] == ["c"]
        # ORM UPDATE / DELETE with WHERE, and bulk UPDATE by primary key
        await _execute(side, update(Account).where(Account.owner == "a").values(balance=7))
        ids = (await _execute(side, select(Account.id).order_by(Account.id))).scalars().all()
        await _execute(side, update(Account), [{"id": ids[0], "balance": 8}])
        await _execute(side, delete(Account).where(Account.owner == "b"))
        # Core statements on the table, and text
        table = Account.__table__
        await _execute(side, table.insert(), [{"owner": "d", "region": "us", "balance": 0}])
        await _execute(side, table.update().where(table.c.owner == "d").values(balance=2))
        await _execute(side, table.delete().where(table.c.owner == "d"))
        assert (await _execute(side, text("SELECT 1"))).scalar() == 1
        balances = await _execute(side, select(Account.balance).order_by(Account.id))
        assert balances.scalars().first() == 8


async def test_detector_still_reports_n_plus_one_after_writes(sides: Sides) -> None:
    with pytest.raises(NPlusOneError, match=r"SeedUser\.posts"), detect_n_plus_one(sides.database):
        side = sides.open()  # sessions opened while the detector runs may lazy-load
        await _execute(side, insert(SeedUser), [{"name": "u1"}, {"name": "u2"}])
        users = (await _execute(side, select(SeedUser))).scalars().all()
        await _execute(side, insert(SeedPost), [{"title": "t", "author_id": u.id} for u in users])
        await _execute(side, update(SeedUser).values(name="renamed"))
        side.sync_session.expunge_all()  # the posts were never loaded for these objects

        def touch(session: Any) -> None:
            for user in session.scalars(select(SeedUser)).all():
                assert len(user.posts) == 1

        await side.run(touch)
