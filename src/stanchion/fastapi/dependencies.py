"""Request dependencies: the database, a session, or a unit of work committed BEFORE the response.

Since FastAPI 0.118 the code after ``yield`` in a request-scoped dependency runs after the response
is sent, so a commit there can fail after the client got a 2xx. These dependencies use
``Depends(..., scope="function")``: FastAPI closes them when the path function returns and its
response body is rendered, and only then sends it. A failed commit raises into the exception
handlers and the client gets an error response; any exception (or cancellation) rolls back.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from stanchion.database import AsyncDatabase
from stanchion.fastapi.lifespan import STATE_KEY
from stanchion.transactions import AsyncUnitOfWork


def get_database(request: Request) -> AsyncDatabase:
    """The application's `AsyncDatabase` (opened by `database_lifespan`); override it in tests."""
    db = getattr(request.app.state, STATE_KEY, None)
    if db is None:
        raise RuntimeError(
            "no database on app.state: create the app with FastAPI(lifespan=database_lifespan(...))"
        )
    return db  # type: ignore[no-any-return]


DatabaseDep = Annotated[AsyncDatabase, Depends(get_database)]
"""``db: DatabaseDep`` in a path function: the app's `AsyncDatabase` (set by the lifespan)."""


async def get_unit_of_work(db: DatabaseDep) -> AsyncIterator[AsyncUnitOfWork]:
    """A unit of work for this request: committed when the path function succeeds (before the
    response is sent), rolled back when it raises."""
    async with db.transaction() as tx:
        yield tx


async def get_read_only_unit_of_work(db: DatabaseDep) -> AsyncIterator[AsyncUnitOfWork]:
    """A read-only unit of work (on SQLite it does not take the write lock, so reads run in
    parallel); a write inside it fails."""
    async with db.transaction(read_only=True) as tx:
        yield tx


async def get_session(tx: UnitOfWorkDep) -> AsyncSession:
    """The request's session, inside the request's unit of work (commits before the response)."""
    return tx.session


UnitOfWorkDep = Annotated[AsyncUnitOfWork, Depends(get_unit_of_work, scope="function")]
"""``tx: UnitOfWorkDep`` in a path function: a unit of work that commits before the response."""
ReadOnlyUnitOfWorkDep = Annotated[
    AsyncUnitOfWork, Depends(get_read_only_unit_of_work, scope="function")
]
"""``tx: ReadOnlyUnitOfWorkDep``: the same for handlers that only read."""
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
"""``session: SessionDep``: the same unit of work's session (``get_db`` done right)."""
