"""docs/database.md: a configured engine from a URL or the environment, sync and async."""

import asyncio

from sqlalchemy import text

from stanchion import AsyncDatabase, Database, DatabaseSettings

db = Database()  # DATABASE_URL, else the embedded SQLite file ./stanchion.db
tuned = Database("sqlite:///./tuned.db", pool_size=10, sqlite_busy_timeout_ms=2_000)
from_settings = Database(settings=DatabaseSettings(url="sqlite:///./other.db", echo=False))

with db.connect() as connection:  # a Core connection, back to the pool after the block
    assert connection.execute(text("SELECT 1")).scalar() == 1

with db.session() as session:  # a plain ORM session: you commit (or use db.transaction())
    session.execute(text("SELECT 1"))

health = db.health()  # never raises
print(health.ok, health.backend, f"{health.latency_ms:.1f} ms", health.pool.checked_out)
print(repr(db))  # the URL with its password masked


async def main() -> None:
    adb = AsyncDatabase()  # asyncpg / asyncmy / aiosqlite unless the URL names a driver
    async with adb.connect() as connection:
        assert (await connection.execute(text("SELECT 1"))).scalar() == 1
    assert (await adb.health()).ok
    await adb.dispose()


asyncio.run(main())
for database in (db, tuned, from_settings):
    database.dispose()
