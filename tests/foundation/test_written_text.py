"""Text no backend stores alike never reaches a driver on the write path either: a NUL
(PostgreSQL refused it with a raw DataError carrying the SQL, SQLite and MariaDB kept it) and a
lone surrogate (every driver failed with a raw UnicodeEncodeError) are `InvalidQuery` naming
the field, on every backend, sync and async, for add, update, upsert, bulk insert and the
session's own flush; nothing is written, and real Unicode text round-trips.
"""

from __future__ import annotations

from typing import Any

import pytest

from stanchion import InvalidQuery
from tests.foundation.harness import Side, Sides
from tests.models import Writer

pytestmark = pytest.mark.anyio

HOSTILE = {"nul": "ada\x00lovelace", "surrogate": "ada\udcfflovelace"}


async def refused(side: Side, write: Any) -> InvalidQuery:
    with pytest.raises(InvalidQuery) as caught:
        await write
    await side.rollback()
    return caught.value


@pytest.mark.parametrize("kind", list(HOSTILE))
async def test_hostile_text_is_refused_by_every_write_path_and_nothing_is_written(
    sides: Sides, kind: str
) -> None:
    value = HOSTILE[kind]
    side = sides.open()
    writers = side.repo(Writer)
    errors = [
        await refused(side, writers.add(Writer(name=value))),
        await refused(side, writers.add_many([Writer(name="ok"), Writer(name="x", email=value)])),
        await refused(side, writers.upsert([{"name": value}], conflict=["name"])),
        await refused(side, writers.bulk_insert([{"name": "fine"}, {"name": value}])),
    ]
    existing = await writers.add(Writer(name="grace"))
    await side.commit()
    errors.append(await refused(side, side.repo(Writer).update(existing.id, {"email": value})))
    assert [e.field for e in errors] == ["name", "email", "name", "name", "email"]
    assert all("Writer." in str(e) and value not in str(e) for e in errors)
    assert [w.name for w in await sides.open().repo(Writer).list()] == ["grace"]


async def test_a_plain_session_flush_is_checked_too(sides: Sides) -> None:
    side = sides.open()

    def flush_hostile(session: Any) -> None:
        session.add(Writer(name="ada\x00"))
        session.flush()

    with pytest.raises(InvalidQuery):
        await side.run(flush_hostile)


async def test_unicode_text_and_unchanged_columns_are_written_as_given(sides: Sides) -> None:
    side = sides.open()
    writers = side.repo(Writer)
    kept = await writers.add(Writer(name="Ådá 😀 名前", email="ü@example.org"))
    await writers.upsert([{"name": "Çé ☕"}], conflict=["name"])
    await writers.bulk_insert([{"name": "Ωmega"}])
    await side.commit()
    changed = sides.open()
    await changed.repo(Writer).update(kept.id, {"rating": 3})  # only the changed column counts
    await changed.commit()
    names = sorted(w.name for w in await sides.open().repo(Writer).list())
    assert names == sorted(["Ådá 😀 名前", "Çé ☕", "Ωmega"])
