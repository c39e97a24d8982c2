"""Bulk insert: many rows at driver speed (COPY on PostgreSQL), Python-side defaults filled in."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from stanchion import AsyncDatabase, AsyncRepository, Database
from stanchion.testing.queries import QueryLog
from tests.conftest import backend_url
from tests.foundation.harness import Sides, writes
from tests.models import Mood, Palette, Shelf, Writer

pytestmark = pytest.mark.anyio


async def test_bulk_insert_fills_uuid7_keys_and_versions(sides: Sides) -> None:
    side = sides.open()
    with QueryLog(sides.sync_engine) as log:
        inserted = await side.repo(Shelf).bulk_insert(
            ({"label": f"s{i:04}"} for i in range(1200)), chunk_size=500
        )
        await side.repo(Writer).bulk_insert([{"name": f"w{i}"} for i in range(50)])
    assert inserted == 1200
    if sides.backend == "postgresql":
        assert writes(log.statements) == []  # COPY does not go through cursor.execute
    await side.commit()

    reader = sides.open()
    shelves = await reader.repo(Shelf).list(sort="label", limit=100)
    assert len({s.id for s in shelves}) == 100 and all(s.id.version == 7 for s in shelves)
    assert await reader.repo(Shelf).count() == 1200
    writers = await reader.repo(Writer).list(limit=100)
    assert len(writers) == 50 and {w.version for w in writers} == {1}
    assert all(w.created_at.tzinfo is not None for w in writers)


async def test_bulk_insert_of_no_rows_inserts_nothing(sides: Sides) -> None:
    side = sides.open()
    assert await side.repo(Shelf).bulk_insert([]) == 0
    assert await side.repo(Shelf).count() == 0


@pytest.fixture
async def psycopg_async(db: Database) -> AsyncIterator[AsyncDatabase]:
    """PostgreSQL through psycopg's async connection (the third COPY path)."""
    url = backend_url("postgresql").set(drivername="postgresql+psycopg")
    database = AsyncDatabase(url)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.mark.commits
@pytest.mark.backends("postgresql")
async def test_bulk_insert_copies_through_async_psycopg(
    backend: str, psycopg_async: AsyncDatabase
) -> None:
    assert psycopg_async.engine.dialect.driver == "psycopg"
    assert psycopg_async.engine.dialect.is_async
    async with psycopg_async.session() as session:
        shelves = AsyncRepository(session, model=Shelf)
        with QueryLog(psycopg_async.engine.sync_engine) as log:
            assert await shelves.bulk_insert({"label": f"p{i}"} for i in range(300)) == 300
        assert writes(log.statements) == []
        await session.commit()
        assert await shelves.count() == 300
        await session.commit()


async def test_bulk_insert_and_upsert_convert_json_and_enum_values(sides: Sides) -> None:
    side = sides.open()
    palettes = side.repo(Palette)
    rows = [{"name": f"p{i}", "colors": ["red", {"hex": i}], "mood": Mood.calm} for i in range(3)]
    assert await palettes.bulk_insert(rows) == 3
    await palettes.upsert(
        [
            {"name": "p0", "colors": [], "mood": Mood.loud},
            {"name": "p9", "colors": [1], "mood": Mood.loud},
        ],
        conflict=["name"],
    )
    await side.commit()
    stored = {p.name: (p.colors, p.mood) for p in await sides.open().repo(Palette).list()}
    assert stored == {
        "p0": ([], Mood.loud),
        "p1": (["red", {"hex": 1}], Mood.calm),
        "p2": (["red", {"hex": 2}], Mood.calm),
        "p9": ([1], Mood.loud),
    }


async def test_bulk_insert_reports_progress_after_each_chunk(sides: Sides) -> None:
    side = sides.open()
    done: list[int] = []
    rows = ({"label": f"p{i:04}"} for i in range(1200))
    assert await side.repo(Shelf).bulk_insert(rows, chunk_size=500, progress=done.append) == 1200
    assert done == [500, 1000, 1200]
