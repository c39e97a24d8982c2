"""URL handling: pick the driver for sync or async use, and render URLs without secrets."""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from stanchion.errors import ConfigurationError

_SYNC_DRIVERS = {
    "postgresql": "psycopg",
    "mysql": "pymysql",
    "mariadb": "pymysql",
    "sqlite": "pysqlite",
}
_ASYNC_DRIVERS = {
    "postgresql": "asyncpg",
    "mysql": "asyncmy",
    "mariadb": "asyncmy",
    "sqlite": "aiosqlite",
}
_SECRET_QUERY_KEYS = {"password", "passwd", "sslpassword", "secret", "token"}


def with_driver(url: str | URL, *, is_async: bool) -> URL:
    """Return `url` with an explicit driver suited to sync or async use.

    A URL that names its driver is kept as given; ``postgresql://`` becomes psycopg (sync) or
    asyncpg (async), ``mysql://`` pymysql or asyncmy, ``sqlite://`` pysqlite or aiosqlite.
    """
    try:
        parsed = make_url(url) if isinstance(url, str) else url
    except ArgumentError as error:  # the text is not shown: it may hold a password
        raise ConfigurationError("the database URL could not be parsed") from error
    backend, _, driver = parsed.drivername.partition("+")
    if driver:
        return parsed
    table = _ASYNC_DRIVERS if is_async else _SYNC_DRIVERS
    if backend not in table:
        raise ConfigurationError(
            f"unsupported database backend {backend!r}: use postgresql, mysql, mariadb or sqlite"
        )
    return parsed.set(drivername=f"{backend}+{table[backend]}")


def safe_url(url: URL) -> str:
    """Render `url` for logs and reprs: password and secret query values masked."""
    masked = url
    if any(key.lower() in _SECRET_QUERY_KEYS for key in url.query):
        masked = url.update_query_dict(
            {k: "***" for k in url.query if k.lower() in _SECRET_QUERY_KEYS}
        )
    return masked.render_as_string(hide_password=True)
