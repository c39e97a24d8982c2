"""Backend profiles: one per database, holding every dialect difference stanchion knows."""

from __future__ import annotations

from sqlalchemy.engine import URL

from stanchion.database.backends.base import Backend, ErrorInfo
from stanchion.database.backends.cockroachdb import CockroachDBBackend
from stanchion.database.backends.mysql import MySQLBackend
from stanchion.database.backends.postgresql import PostgreSQLBackend
from stanchion.database.backends.sqlite import SQLiteBackend

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


__all__ = ["Backend", "ErrorInfo", "backend_for"]
