"""`create_all` reports the tables it made, so a script can drop exactly those and nothing else.

Examples and prototypes share databases with other code (the reference app's SQLite file, a
server named by DATABASE_URL): they must never drop a table they did not create.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, inspect

from stanchion import AsyncDatabase, Database
from tests.backends import async_url
from tests.conftest import backend_url


def _tables() -> tuple[MetaData, str, str]:
    """A fresh metadata with two uniquely named tables (other workers share the server)."""
    tag = uuid.uuid4().hex[:8]
    metadata = MetaData()
    Table(f"kept_{tag}", metadata, Column("id", Integer, primary_key=True))
    Table(f"made_{tag}", metadata, Column("id", Integer, primary_key=True))
    return metadata, f"kept_{tag}", f"made_{tag}"


def _names(db: Database) -> set[str]:
    with db.connect() as connection:
        return set(inspect(connection).get_table_names())


@pytest.mark.commits
def test_create_all_returns_only_the_tables_it_created_and_drop_all_drops_only_those(
    backend: str,
) -> None:
    metadata, kept, made = _tables()
    db = Database(backend_url(backend))
    try:
        assert [t.name for t in db.create_all(metadata, tables=[metadata.tables[kept]])] == [kept]
        created = db.create_all(metadata)
        assert [t.name for t in created] == [made]
        assert db.create_all(metadata) == []  # a second run makes nothing
        db.drop_all(metadata, tables=created)
        names = _names(db)
        assert kept in names and made not in names
    finally:
        db.drop_all(metadata)
        db.dispose()


@pytest.mark.commits
@pytest.mark.anyio
async def test_async_create_all_returns_the_tables_it_created(backend: str) -> None:
    metadata, kept, made = _tables()
    adb = AsyncDatabase(async_url(backend_url(backend)))
    try:
        await adb.create_all(metadata, tables=[metadata.tables[kept]])
        created = await adb.create_all(metadata)
        assert [t.name for t in created] == [made]
        await adb.drop_all(metadata, tables=created)
        async with adb.connect() as connection:
            names = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert kept in names and made not in names
    finally:
        await adb.drop_all(metadata)
        await adb.dispose()
