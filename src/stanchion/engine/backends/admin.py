"""The admin facet: making, copying and dropping whole databases, for tests and migration checks.

``stanchion db check`` and the migrations' test helpers make a scratch database and drop it; the
pytest plugin makes one database per worker, copied from a template where the database can copy.
All of that SQL (and SQLite's file handling) lives in a backend's admin facet; the callers only
say which database they want.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from sqlalchemy import create_engine, pool, text
from sqlalchemy.engine import URL


class Admin:
    """Database administration on a server stanchion does not know: nothing it can do."""

    #: Whether `create_database` with a `template` copies it (faster than building the schema
    #: again); without, each copy must be built from scratch.
    copies_databases: ClassVar[bool] = False

    def server_url(self, url: URL) -> URL:
        """A URL on `url`'s server that exists before any database of ours does (PostgreSQL's
        ``postgres`` database, MySQL's server without a database)."""
        return url

    def database_exists(self, url: URL) -> bool:
        """Whether the database `url` names exists (asked of the server, not by connecting)."""
        raise NotImplementedError(f"stanchion cannot list {url.get_backend_name()} databases")

    def create_database(self, url: URL, *, template: URL | None = None) -> None:
        """Create the database `url` names: empty, or a copy of `template` (schema and rows).

        The database must not exist; `template` only where `copies_databases` is set.
        """
        raise NotImplementedError(f"stanchion cannot create {url.get_backend_name()} databases")

    def drop_database(self, url: URL) -> None:
        """Drop the database `url` names, if it exists (connections to it are cut first)."""
        raise NotImplementedError(f"stanchion cannot drop {url.get_backend_name()} databases")

    def scratch_url(self, url: URL, suffix: str) -> URL:
        """A URL for a throwaway database next to `url`'s (``stanchion db check``, tests)."""
        return url.set(database=f"{url.database}_{suffix}")

    def sibling_url(self, url: URL, suffix: str) -> URL:
        """The URL of the database named like `url`'s plus `suffix` (a test worker's copy)."""
        return url.set(database=f"{url.database}_{suffix}")

    def deferred_begin_options(self) -> dict[str, Any]:
        """Execution options for a long transaction that must not block other connections
        before it writes (a test's outer transaction). Only SQLite needs any."""
        return {}


def admin_execute(url: URL, statement: str) -> None:
    """Run one statement outside any transaction on a short-lived connection to `url`."""
    engine = create_engine(url, poolclass=pool.NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql(statement)
    finally:
        engine.dispose()


def admin_scalar(url: URL, statement: str, parameters: Mapping[str, Any]) -> Any:
    """The first value `statement` (with bound `parameters`) returns on a short-lived
    connection to `url`, or None when it returns no row."""
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            return connection.execute(text(statement), dict(parameters)).scalar()
    finally:
        engine.dispose()


def database_name(url: URL) -> str:
    """`url`'s database name, checked to be letters, digits and ``_`` (it is written into SQL)."""
    name = url.database or ""
    if not name.replace("_", "").isalnum():
        raise ValueError("names of databases stanchion makes must be letters, digits and _")
    return name
