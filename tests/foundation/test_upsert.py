"""Native upsert: one INSERT ... ON CONFLICT / ON DUPLICATE KEY per chunk, never read-then-write."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from stanchion import InvalidQuery
from stanchion.testing.queries import QueryLog
from tests.foundation.harness import Sides
from tests.models import Account, Book, Shelf, Writer

pytestmark = pytest.mark.anyio

LONG_AGO = dt.datetime(2001, 1, 1, tzinfo=dt.UTC)


async def test_upsert_inserts_and_updates_in_one_statement(sides: Sides) -> None:
    side = sides.open()
    await side.repo(Writer).add(Writer(name="Ada", rating=1))
    await side.commit()

    rows = [{"name": "Ada", "rating": 5}, {"name": "Bob", "rating": 2}]
    with QueryLog(sides.sync_engine) as log:
        assert await side.repo(Writer).upsert(rows, conflict=["name"]) == 2
    (only,) = log.statements
    assert only.lstrip().upper().startswith("INSERT")
    await side.commit()

    writers = await sides.open().repo(Writer).list(sort="name")
    assert [(w.name, w.rating) for w in writers] == [("Ada", 5), ("Bob", 2)]


async def test_upsert_update_bumps_updated_at_and_version(sides: Sides) -> None:
    side = sides.open()
    ada = await side.repo(Writer).add(Writer(name="Ada"))
    await side.run(
        lambda s: s.execute(
            update(Writer.__table__).values(updated_at=LONG_AGO, created_at=LONG_AGO)
        )
    )
    await side.commit()

    await side.repo(Writer).upsert(
        [{"name": "Ada", "rating": 7}, {"name": "Bob", "rating": 1}], conflict=["name"]
    )
    await side.commit()
    reader = sides.open().repo(Writer)
    updated = await reader.get_one(ada.id)
    assert updated.rating == 7 and updated.version == 2
    assert updated.updated_at > LONG_AGO and updated.created_at == LONG_AGO
    inserted = (await reader.list({"name": "Bob"}))[0]
    assert inserted.version == 1 and inserted.created_at <= inserted.updated_at


async def test_upsert_do_nothing_leaves_existing_rows_untouched(sides: Sides) -> None:
    side = sides.open()
    ada = await side.repo(Writer).add(Writer(name="Ada", rating=1))
    await side.run(lambda s: s.execute(update(Writer.__table__).values(updated_at=LONG_AGO)))
    await side.commit()

    rows = [{"name": "Ada", "rating": 9}, {"name": "Cy", "rating": 3}]
    with QueryLog(sides.sync_engine) as log:
        await side.repo(Writer).upsert(rows, conflict=["name"], update=())
    assert len(log.statements) == 1
    await side.commit()
    reader = sides.open().repo(Writer)
    kept = await reader.get_one(ada.id)
    assert (kept.rating, kept.version, kept.updated_at) == (1, 1, LONG_AGO)
    assert await reader.count() == 2


async def test_upsert_fills_python_side_keys_and_uses_composite_conflicts(sides: Sides) -> None:
    side = sides.open()
    await side.repo(Shelf).upsert([{"label": "a"}, {"label": "b"}], conflict=["label"], update=())
    await side.repo(Account).upsert(
        [{"owner": "ann", "region": "eu", "balance": 1}], conflict=["owner", "region"]
    )
    await side.repo(Account).upsert(
        [{"owner": "ann", "region": "eu", "balance": 5}], conflict=["owner", "region"]
    )
    await side.commit()
    reader = sides.open()
    assert all(s.id.version == 7 for s in await reader.repo(Shelf).list())
    (account,) = await reader.repo(Account).list()
    assert account.balance == 5


async def test_upsert_sends_one_statement_per_chunk_of_rows(
    sides: Sides, monkeypatch: pytest.MonkeyPatch
) -> None:
    # rows carry name, rating and the filled-in version; updated_at and version + 1 are extra
    monkeypatch.setattr(type(sides.database.backend.writes), "max_bind_params", 11)
    side = sides.open()
    rows = [{"name": f"w{i}", "rating": i} for i in range(7)]
    with QueryLog(sides.sync_engine) as log:
        assert await side.repo(Writer).upsert(rows, conflict=["name"]) == 7
    # PostgreSQL binds one array per column; SQLite and MariaDB run one single-row statement
    # through the driver's executemany (PyMySQL batches it into multi-row INSERTs itself)
    assert len(log.statements) == 1
    assert await side.repo(Writer).count() == 7


@pytest.mark.backends("postgresql")
async def test_upsert_on_postgresql_sends_any_number_of_rows_as_one_statement(
    sides: Sides,
) -> None:
    side = sides.open()
    await side.repo(Writer).add(Writer(name="w0", rating=-1, email="kept@example.com"))
    rows = [{"name": f"w{i}", "rating": i} for i in range(20_000)]  # 60,000 values
    with QueryLog(sides.sync_engine) as log:
        assert await side.repo(Writer).upsert(rows, conflict=["name"]) == 20_000
    (statement,) = log.statements
    assert "unnest" in statement
    await side.commit()
    reader = sides.open().repo(Writer)
    assert await reader.count() == 20_000
    (first,) = await reader.list({"name": "w0"})
    assert (first.rating, first.email, first.version) == (0, "kept@example.com", 2)


async def test_upsert_refuses_fields_that_may_not_be_updated(sides: Sides) -> None:
    writers = sides.open().repo(Writer)
    with pytest.raises(InvalidQuery):
        await writers.upsert([{"name": "Ada", "version": 3}], conflict=["name"], update=["version"])
    with pytest.raises(InvalidQuery):
        await writers.upsert([{"name": "Ada", "nope": 1}], conflict=["name"], update=())
    with pytest.raises(InvalidQuery):
        await writers.upsert([{"name": "Ada"}, {"name": "Bob", "rating": 1}], conflict=["name"])
    assert await writers.upsert([], conflict=["name"]) == 0


async def test_upsert_returning_gives_the_stored_rows_in_one_statement(sides: Sides) -> None:
    side = sides.open()
    ada = await side.repo(Writer).add(Writer(name="Ada", rating=1, email="ada@old"))
    await side.commit()

    rows = [
        {"name": "Ada", "rating": 5, "email": "ada@new"},
        {"name": "Bob", "rating": 2, "email": None},
    ]
    with QueryLog(sides.sync_engine) as log:
        found = await side.repo(Writer).upsert_returning(rows, conflict=["name"], update=["rating"])
    if side.sync_session.get_bind().dialect.insert_returning:
        (only,) = log.statements
        assert only.lstrip().upper().startswith("INSERT")
    by_name = {w.name: w for w in found}
    assert set(by_name) == {"Ada", "Bob"}
    # the row as stored: the updated rating, the email it kept, its version bumped
    assert by_name["Ada"].id == ada.id
    assert (by_name["Ada"].rating, by_name["Ada"].email, by_name["Ada"].version) == (
        5,
        "ada@old",
        2,
    )
    assert by_name["Bob"].id is not None and by_name["Bob"].version == 1
    await side.commit()


async def test_upsert_returning_with_do_nothing_reports_existing_rows_unchanged(
    sides: Sides,
) -> None:
    side = sides.open()
    ada = await side.repo(Writer).add(Writer(name="Ada", rating=3))
    await side.commit()

    found = await side.repo(Writer).upsert_returning(
        [{"name": "Ada", "rating": 9}, {"name": "Cy", "rating": 4}], conflict=["name"], update=()
    )
    by_name = {w.name: (w.id, w.rating, w.version) for w in found}
    assert by_name["Ada"] == (ada.id, 3, 1)
    assert by_name["Cy"][1:] == (4, 1)
    await side.commit()
    assert await sides.open().repo(Writer).count() == 2


async def test_upsert_returning_nothing_for_no_rows(sides: Sides) -> None:
    assert await sides.open().repo(Writer).upsert_returning([], conflict=["name"]) == []


async def test_upsert_returning_reads_rows_back_where_insert_cannot_return(
    sides: Sides, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MySQL has no INSERT ... RETURNING: the rows are read back by their conflict key. Every
    backend here can return, so the dialect is told it cannot (what MySQL's reports)."""
    side = sides.open()
    ada = await side.repo(Writer).add(Writer(name="Ada", rating=1))
    await side.commit()
    dialect = sides.sync_engine.dialect
    monkeypatch.setattr(dialect, "insert_returning", False)

    side = sides.open()
    with QueryLog(sides.sync_engine) as log:
        found = await side.repo(Writer).upsert_returning(
            [{"name": "Ada", "rating": 5}, {"name": "Bob", "rating": 2}], conflict=["name"]
        )
    kinds = [s.lstrip().split()[0].upper() for s in log.statements]
    assert kinds == ["INSERT", "SELECT"]
    by_name = {w.name: (w.id, w.rating, w.version) for w in found}
    assert by_name["Ada"] == (ada.id, 5, 2)
    assert by_name["Bob"][1:] == (2, 1)
    await side.commit()


async def test_upsert_reports_progress_as_rows_are_sent(
    sides: Sides, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(type(sides.database.backend.writes), "max_bind_params", 11)
    side = sides.open()
    done: list[int] = []
    rows = [{"name": f"w{i}", "rating": i} for i in range(7)]
    assert await side.repo(Writer).upsert(rows, conflict=["name"], progress=done.append) == 7
    assert done and done[-1] == 7 and done == sorted(done)
    assert len(done) == 1  # one statement (see above), so one report


async def test_an_upsert_that_updates_a_soft_deleted_row_restores_it(sides: Sides) -> None:
    side = sides.open()
    writer = await side.repo(Writer).add(Writer(name="Ada"))
    books = side.repo(Book)
    kept = await books.add(Book(title="kept", pages=1, writer_id=writer.id))
    gone = await books.add(Book(title="gone", pages=1, writer_id=writer.id))
    await books.delete(kept)
    await books.delete(gone)
    await side.commit()
    row = {"id": gone.id, "title": "back", "pages": 2, "writer_id": writer.id}
    await books.upsert([{**row, "id": kept.id, "title": "?"}], conflict=["id"], update=())
    (returned,) = await books.upsert_returning([row], conflict=["id"])
    assert returned.deleted_at is None and returned.title == "back"
    await side.commit()
    reader = sides.open().repo(Book)
    assert [b.title for b in await reader.list()] == ["back"]  # live again, updated
    assert (await reader.get_one(kept.id, include_deleted=True)).title == "kept"
    await reader.upsert([{**row, "title": "again"}], conflict=["id"])  # plain upsert too
    assert (await reader.get_one(gone.id)).title == "again"
