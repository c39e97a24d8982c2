"""The async engine and session factory, with pool settings, as stanchion gives them.

``create_async_engine(..., pool_size=5, max_overflow=10)`` plus
``async_sessionmaker(engine, expire_on_commit=False)`` is one line here, with the production
defaults the raw calls leave out: pre-ping, recycle, a pool timeout that fails fast with
`DatabaseUnavailable`, connect and statement timeouts, hidden SQL parameters, typed errors.

Run it from anywhere, any number of times: it uses DATABASE_URL, else its own SQLite file
(./examples.db, never the blog's ./stanchion.db), creates only the tables that are missing and
drops only those at the end.
"""

from __future__ import annotations

import asyncio
import os

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, mapped_column

from stanchion import AsyncDatabase, DatabaseUnavailable, IntegerPK, Model


class User(Model, IntegerPK):
    __tablename__ = "ex_async_users"

    name: Mapped[str] = mapped_column(String(100))


async def main() -> None:
    # Same as DATABASE_POOL_SIZE=5 DATABASE_MAX_OVERFLOW=10 in the environment.
    url = os.environ.get("DATABASE_URL") or "sqlite:///./examples.db"
    adb = AsyncDatabase(url, pool_size=5, max_overflow=10, pool_timeout=5)
    created = []
    try:
        # Only the missing tables (an example; services migrate instead), so only those go.
        created = await adb.create_all(Model.metadata)

        # The engine and the session factory, if you need them directly:
        assert adb.engine.pool.size() == 5  # type: ignore[attr-defined]
        assert adb.sessionmaker.kw["expire_on_commit"] is False

        # Writes: a unit of work that commits at the end of the block (or rolls back).
        async with adb.transaction() as tx:
            tx.session.add(User(name="Ada"))

        # Reads: a session used as a context manager returns its connection to the pool.
        async with adb.session() as session:
            result = await session.execute(select(User).where(User.name == "Ada"))
            user = result.scalar_one_or_none()
            assert user is not None
            missing = await session.execute(select(User).where(User.id == 10_000))
            assert missing.scalar_one_or_none() is None

        health = await adb.health()
        assert health.ok and health.pool.checked_out == 0
    except DatabaseUnavailable:
        raise SystemExit("the database is unreachable (check DATABASE_URL)") from None
    finally:
        await adb.drop_all(Model.metadata, tables=created)
        await adb.dispose()
    print("async engine and sessions work")


if __name__ == "__main__":
    asyncio.run(main())
