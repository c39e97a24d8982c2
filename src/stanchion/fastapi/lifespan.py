"""A FastAPI lifespan that opens the application's database at startup and disposes it at shutdown.

The database lives on ``app.state``; `get_database` reads it there, so tests can override that one
dependency (or pass their own database) without touching the routes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from fastapi import FastAPI

from stanchion.database import AsyncDatabase

#: Attribute of ``app.state`` holding the `AsyncDatabase`.
STATE_KEY = "stanchion_database"

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def database_lifespan(
    database: AsyncDatabase | Callable[[], AsyncDatabase] = AsyncDatabase,
    *,
    then: Lifespan | None = None,
) -> Lifespan:
    """A lifespan for ``FastAPI(lifespan=...)``: open `database` (a database or a factory called
    at startup, so no engine exists at import time), run `then` inside it, dispose at shutdown.

    A database already set on ``app.state`` (by a test, say) is used as is and not disposed.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        existing = getattr(app.state, STATE_KEY, None)
        db = existing or (database if isinstance(database, AsyncDatabase) else database())
        setattr(app.state, STATE_KEY, db)
        try:
            if then is None:
                yield
            else:
                async with then(app):
                    yield
        finally:
            if existing is None:
                setattr(app.state, STATE_KEY, None)
                await db.dispose()

    return lifespan


def set_database(app: Any, database: AsyncDatabase) -> None:
    """Attach `database` to `app` directly (for tests and servers that skip the lifespan)."""
    setattr(app.state, STATE_KEY, database)
