"""Native upsert: one INSERT ... ON CONFLICT / ON DUPLICATE KEY per chunk, never read-then-write."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from stanchion import InvalidQuery
from tests.foundation.harness import Sides, counting_statements
from tests.models import Account, Shelf, Writer

pytestmark = pytest.mark.anyio

LONG_AGO = dt.datetime(2001, 1, 1, tzinfo=dt.UTC)


def sent(statements: list[str]) -> list[str]:
    """Statements other than the transaction's own BEGIN."""
    return [s for s in statements if not s.lstrip().upper().startswith("BEGIN")]


async def test_upsert_inserts_and_updates_in_one_statement(sides: Sides) -> None:
    side = sides.open()
    await side.repo(Writer).add(Writer(name="Ada", rating=1))
    await side.commit()

    rows = [{"name": "Ada", "rating": 5}, {"name": "Bob", "rating": 2}]
    with counting_statements(sides.sync_engine) as statements:
        assert await side.repo(Writer).upsert(rows, conflict=["name"]) == 2
    (only,) = sent(statements)
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
    with counting_statements(sides.sync_engine) as statements:
        await side.repo(Writer).upsert(rows, conflict=["name"], update=())
    assert len(sent(statements)) == 1
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
    monkeypatch.setattr(type(sides.database.backend), "max_bind_params", 11)
    side = sides.open()
    rows = [{"name": f"w{i}", "rating": i} for i in range(7)]
    with counting_statements(sides.sync_engine) as statements:
        assert await side.repo(Writer).upsert(rows, conflict=["name"]) == 7
    # 3 chunks of VALUES; PostgreSQL binds one array per column and SQLite runs one
    # single-row statement through executemany, so there all rows go in one call
    assert len(sent(statements)) == (1 if sides.backend in ("postgresql", "sqlite") else 3)
    assert await side.repo(Writer).count() == 7


@pytest.mark.backends("postgresql")
async def test_upsert_on_postgresql_sends_any_number_of_rows_as_one_statement(
    sides: Sides,
) -> None:
    side = sides.open()
    await side.repo(Writer).add(Writer(name="w0", rating=-1, email="kept@example.com"))
    rows = [{"name": f"w{i}", "rating": i} for i in range(20_000)]  # 60,000 values
    with counting_statements(sides.sync_engine) as statements:
        assert await side.repo(Writer).upsert(rows, conflict=["name"]) == 20_000
    (statement,) = sent(statements)
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
