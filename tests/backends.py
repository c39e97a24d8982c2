"""Which database servers the test run uses, how to reach them, and what it skipped.

URLs come from STANCHION_TEST_POSTGRESQL_URL / STANCHION_TEST_MYSQL_URL (defaults: the local
servers). With STANCHION_REQUIRE_BACKENDS=all (set in CI), an unreachable server fails the run.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

DEFAULTS = {
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:5432/stanchion_test",
    "mysql": "mysql+pymysql://root@127.0.0.1:3306/stanchion_test",
}
ASYNC_DRIVERS = {"postgresql": "asyncpg", "mysql": "asyncmy", "sqlite": "aiosqlite"}
ALL = ("sqlite", "postgresql", "mysql")


@dataclass
class Backends:
    """The backends this run can reach: base URLs (worker databases derive from them)."""

    urls: dict[str, URL] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)

    def available(self, name: str) -> bool:
        return name in self.urls


def required() -> set[str]:
    value = os.environ.get("STANCHION_REQUIRE_BACKENDS", "")
    if value.strip() == "all":
        return {"postgresql", "mysql"}
    return {v.strip() for v in value.split(",") if v.strip()}


def discover(sqlite_dir: str) -> Backends:
    """Reach each server and remember what failed; worker databases are made on first use."""
    found = Backends()
    found.urls["sqlite"] = make_url(f"sqlite+pysqlite:///{sqlite_dir}/stanchion.db")
    for name, default in DEFAULTS.items():
        base = make_url(os.environ.get(f"STANCHION_TEST_{name.upper()}_URL", default))
        try:
            _ping(base)
        except Exception as error:  # any failure to reach the server means "skip it here"
            found.skipped[name] = f"{type(error).__name__}: {str(error).splitlines()[0][:120]}"
            continue
        found.urls[name] = base
    return found


def _ping(server: URL) -> None:
    admin_db = "postgres" if server.get_backend_name() == "postgresql" else "mysql"
    engine = create_engine(server.set(database=admin_db), connect_args=_timeout(server))
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    finally:
        engine.dispose()


def _create_database(server: URL, name: str) -> None:
    """Create database `name` on `server` unless it exists (for suites needing their own)."""
    admin_db = "postgres" if server.get_backend_name() == "postgresql" else "mysql"
    engine = create_engine(
        server.set(database=admin_db), isolation_level="AUTOCOMMIT", connect_args=_timeout(server)
    )
    try:
        with engine.connect() as connection:
            if server.get_backend_name() == "postgresql":
                exists = connection.scalar(
                    text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
                )
                if not exists:
                    connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
            else:
                connection.exec_driver_sql(
                    f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4"
                )
    finally:
        engine.dispose()


def _timeout(url: URL) -> dict[str, int]:
    return {"connect_timeout": 3}


def async_url(url: URL) -> URL:
    return url.set(drivername=f"{url.get_backend_name()}+{ASYNC_DRIVERS[url.get_backend_name()]}")
