"""Models: database-set tz-aware timestamps, UUIDv7 keys, constraint names, version counters."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import inspect, update
from sqlalchemy.exc import StatementError

from stanchion import Model
from stanchion.models import uuid7
from tests.foundation.harness import Sides
from tests.models import Account, Book, Shelf, Writer

pytestmark = pytest.mark.anyio

LONG_AGO = dt.datetime(2001, 1, 1, tzinfo=dt.UTC)


async def test_timestamps_come_from_the_database_in_utc(sides: Sides) -> None:
    before = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    side = sides.open()
    ada = await side.repo(Writer).add(Writer(name="Ada"))
    await side.commit()
    for seen in (ada, await sides.open().repo(Writer).get_one(ada.id)):
        assert seen.created_at.utcoffset() == dt.timedelta(0)
        assert seen.updated_at.utcoffset() == dt.timedelta(0)
        assert before < seen.created_at <= seen.updated_at
        assert seen.created_at - before < dt.timedelta(minutes=10)  # a UTC clock, not local


async def test_updated_at_moves_on_update_and_created_at_stays(sides: Sides) -> None:
    side = sides.open()
    ada = await side.repo(Writer).add(Writer(name="Ada"))
    await side.run(
        lambda s: s.execute(
            update(Writer.__table__).values(created_at=LONG_AGO, updated_at=LONG_AGO)
        )
    )
    await side.commit()
    writers = sides.open().repo(Writer)
    fresh = await writers.get_one(ada.id)
    assert fresh.updated_at == LONG_AGO
    await writers.update(fresh, {"rating": 3})
    assert fresh.updated_at > LONG_AGO and fresh.created_at == LONG_AGO


async def test_version_counts_every_update(sides: Sides) -> None:
    side = sides.open()
    writers = side.repo(Writer)
    ada = await writers.add(Writer(name="Ada"))
    assert ada.version == 1
    for rating in (1, 2, 3):
        await writers.update(ada, {"rating": rating})
    await side.commit()
    assert (await sides.open().repo(Writer).get_one(ada.id)).version == 4


async def test_naive_datetimes_are_refused(sides: Sides) -> None:
    side = sides.open()
    writer = await side.repo(Writer).add(Writer(name="Ada"))
    book = await side.repo(Book).add(Book(title="t", writer_id=writer.id))
    book.deleted_at = dt.datetime(2020, 1, 1)
    with pytest.raises(StatementError, match="naive datetime") as caught:
        await side.run(lambda s: s.flush())
    assert isinstance(caught.value.orig, ValueError)
    await side.rollback()


async def test_uuid7_keys_sort_in_creation_order(sides: Sides) -> None:
    side = sides.open()
    made = [Shelf(label=f"s{i:03}") for i in range(50)]
    for shelf in made:  # one flush each: the keys are made one after another
        await side.repo(Shelf).add(shelf)
    await side.commit()
    listed = await sides.open().repo(Shelf).list(sort="id")
    assert [s.label for s in listed] == [s.label for s in made]
    assert all(s.id.version == 7 and s.id.variant == uuid.RFC_4122 for s in listed)


def test_uuid7_is_monotonic_within_a_process() -> None:
    keys = [uuid7() for _ in range(5000)]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    millis = keys[-1].int >> 80
    assert abs(millis - dt.datetime.now(dt.UTC).timestamp() * 1000) < 60_000


def test_naming_convention_names_every_constraint() -> None:
    writers, books, accounts = Writer.__table__, Book.__table__, Account.__table__
    assert writers.primary_key.name == "pk_t_writers"
    assert {c.name for c in writers.constraints if str(c.name).startswith("uq")} == {
        "uq_t_writers_name"
    }
    assert {c.name for c in accounts.constraints if str(c.name).startswith("uq")} == {
        "uq_t_accounts_owner_region"
    }
    assert {fk.name for fk in books.foreign_key_constraints} == {"fk_t_books_writer_id_t_writers"}
    assert {i.name for i in books.indexes} == {"ix_t_books_writer_id"}
    assert {c.name for c in books.constraints if str(c.name).startswith("ck")} == {
        "ck_t_books_pages_not_negative"
    }
    assert Model.metadata.naming_convention["pk"] == "pk_%(table_name)s"


async def test_the_database_holds_the_conventional_names(sides: Sides) -> None:
    def names(session):  # type: ignore[no-untyped-def]
        inspector = inspect(session.connection())
        return (
            {u["name"] for u in inspector.get_unique_constraints("t_accounts")},
            {f["name"] for f in inspector.get_foreign_keys("t_books")},
            {i["name"] for i in inspector.get_indexes("t_books")},
        )

    side = sides.open()
    uniques, foreign_keys, indexes = await side.run(names)
    await side.rollback()
    assert "uq_t_accounts_owner_region" in uniques
    assert foreign_keys == {"fk_t_books_writer_id_t_writers"}
    assert "ix_t_books_writer_id" in indexes


def test_a_second_base_keeps_its_own_registry_with_the_same_conventions() -> None:
    from tests.models import TestModel

    assert TestModel.metadata is not Model.metadata
    assert TestModel.metadata.naming_convention == Model.metadata.naming_convention
    assert "t_writers" in TestModel.metadata.tables
    assert "t_writers" not in Model.metadata.tables
