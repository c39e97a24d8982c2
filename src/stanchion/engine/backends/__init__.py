"""Backend profiles: one per database, holding every dialect difference stanchion knows.

Each profile is composed of facets — `Errors`, `Writes`, `DDL`, `Admin` — see `base.py`.
"""

from __future__ import annotations

from sqlalchemy.engine import URL, Dialect

from stanchion.engine.backends.admin import Admin
from stanchion.engine.backends.base import Backend
from stanchion.engine.backends.cockroachdb import CockroachDBBackend
from stanchion.engine.backends.ddl import DDL, Steps
from stanchion.engine.backends.errors import ErrorInfo, Errors
from stanchion.engine.backends.mysql import MySQLBackend
from stanchion.engine.backends.postgresql import PostgreSQLBackend
from stanchion.engine.backends.sqlite import SQLiteBackend
from stanchion.engine.backends.writes import Writes

_BY_NAME: dict[str, Backend] = {
    "sqlite": SQLiteBackend(),
    "postgresql": PostgreSQLBackend(),
    "mysql": MySQLBackend(),
    "mariadb": MySQLBackend(),
    "cockroachdb": CockroachDBBackend(),
}


def backend_for(url: URL) -> Backend:
    """The profile for `url`'s database; a generic one for databases stanchion does not know."""
    return _BY_NAME.get(url.get_backend_name(), Backend())


def backend_for_dialect(dialect: Dialect | type[Dialect]) -> Backend:
    """The profile for the database `dialect` speaks to (offline migrations have no URL)."""
    return _BY_NAME.get(dialect.name, Backend())


__all__ = [
    "DDL",
    "Admin",
    "Backend",
    "ErrorInfo",
    "Errors",
    "Steps",
    "Writes",
    "backend_for",
    "backend_for_dialect",
]
