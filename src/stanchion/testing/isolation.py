"""Per-test isolation: one connection, one outer transaction, every session in a SAVEPOINT.

The code under test commits and rolls back as usual; its commits only release savepoints of a
transaction the test owns and rolls back at the end, so nothing it wrote outlives the test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import ExitStack, asynccontextmanager, contextmanager
from typing import Any

from sqlalchemy import MetaData, Table, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from stanchion.database import AsyncDatabase, Database
from stanchion.engine.backends import backend_for


def _outer_options(engine: Engine) -> dict[str, Any]:
    """Options for the test's outer transaction: it takes a write lock (SQLite's) only when the
    test first writes, so other connections (health checks, a second engine) are not blocked
    by a test that only reads."""
    return backend_for(engine.url).admin.deferred_begin_options()


class IsolationBroken(AssertionError):
    """Code under test committed the test's own transaction: isolation cannot hold."""


def _refuse_commit(_connection: Any) -> None:
    raise IsolationBroken(
        "the isolated test connection was committed directly (connection.commit() or "
        "engine-level begin); commit through a session or db.connect() instead, or mark the "
        "test @pytest.mark.commits to use real commits"
    )


@contextmanager
def isolated(
    database: Database, *also: Database, engine: Engine | None = None
) -> Iterator[Connection]:
    """Run the block in a transaction rolled back at the end; bind `database` (and `also`) to it.

    Every session the databases make joins the transaction through a SAVEPOINT, so the code's
    commits and rollbacks work as usual. Yields the connection for direct Core use. The
    connection comes from `engine` when given, so `database`'s own pool stays untouched.
    """
    with (engine or database.engine).connect() as connection:
        event.listen(connection, "commit", _refuse_commit)
        connection.execution_options(**_outer_options(connection.engine))
        transaction = connection.begin()
        try:
            with ExitStack() as bindings:
                for each in (database, *also):
                    bindings.enter_context(each.bound_to(connection))
                yield connection
        finally:
            if transaction.is_active:
                transaction.rollback()
            else:  # a refused commit left the driver's transaction in doubt: discard it
                connection.invalidate()


@asynccontextmanager
async def async_isolated(
    database: AsyncDatabase, *also: AsyncDatabase, engine: AsyncEngine | None = None
) -> AsyncIterator[AsyncConnection]:
    """The asyncio form of `isolated`: same transaction, same savepoints, same rollback."""
    async with (engine or database.engine).connect() as connection:
        event.listen(connection.sync_connection, "commit", _refuse_commit)
        await connection.execution_options(**_outer_options(connection.engine.sync_engine))
        transaction = await connection.begin()
        try:
            with ExitStack() as bindings:
                for each in (database, *also):
                    bindings.enter_context(each.bound_to(connection))
                yield connection
        finally:
            if transaction.is_active:
                await transaction.rollback()
            else:  # a refused commit left the driver's transaction in doubt: discard it
                await connection.invalidate()


def tables_of(metadata: MetaData) -> list[Table]:
    """`metadata`'s tables, children first: the order in which rows can be deleted."""
    return list(reversed(metadata.sorted_tables))


def delete_rows(connection: Connection, tables: Iterable[Table]) -> None:
    """Delete every row of `tables` (children first): the cleanup after a real-commit test.

    DELETE beats TRUNCATE on the few rows a test writes, and behaves the same on every backend.
    """
    for table in tables:
        connection.execute(table.delete())


def reflect_tables(
    connection: Connection, *, exclude: Iterable[str] = ("alembic_version",)
) -> list[Table]:
    """The tables that exist in the database (after migrations), children first."""
    metadata = MetaData()
    metadata.reflect(connection)
    skip = set(exclude)
    return [table for table in tables_of(metadata) if table.name not in skip]
