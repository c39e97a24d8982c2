"""URL handling: pick the driver for sync or async use, and render URLs without secrets."""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url

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


def resolve_url(url: str | URL, *, is_async: bool) -> URL:
    """Return `url` with an explicit driver suited to sync or async use.

    A URL that names its driver is kept as given; ``postgresql://`` becomes psycopg (sync) or
    asyncpg (async), ``mysql://`` pymysql or asyncmy, ``sqlite://`` pysqlite or aiosqlite.
    """
    parsed = make_url(url) if isinstance(url, str) else url
    backend, _, driver = parsed.drivername.partition("+")
    if driver:
        return parsed
    table = _ASYNC_DRIVERS if is_async else _SYNC_DRIVERS
    if backend not in table:
        from stanchion.errors import InvalidQuery

        raise InvalidQuery(f"unsupported database backend {backend!r}")
    return parsed.set(drivername=f"{backend}+{table[backend]}")


def safe_url(url: URL) -> str:
    """Render `url` for logs and reprs: password and secret query values masked."""
    masked = url
    if any(key.lower() in _SECRET_QUERY_KEYS for key in url.query):
        masked = url.update_query_dict(
            {k: "***" for k in url.query if k.lower() in _SECRET_QUERY_KEYS}
        )
    return masked.render_as_string(hide_password=True)
