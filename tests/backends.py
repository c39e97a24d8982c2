"""Which database servers the test run uses, how to reach them, and what it skipped.

URLs come from STANCHION_TEST_POSTGRESQL_URL / STANCHION_TEST_MYSQL_URL (defaults: the local
servers). With STANCHION_REQUIRE_BACKENDS=all (set in CI), an unreachable server fails the run.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from stanchion.engine.backends import backend_for

DEFAULTS = {
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:5432/stanchion_test",
    "mysql": "mysql+pymysql://root@127.0.0.1:3306/stanchion_test",
}
ASYNC_DRIVERS = {"postgresql": "asyncpg", "mysql": "asyncmy", "sqlite": "aiosqlite"}
ALL = ("sqlite", "postgresql", "mysql")
#: Set (``postgresql://127.0.0.1:6432``) to run the PostgreSQL tests through that PgBouncer:
#: databases are made on the server directly, tests reach them through the pooler (.ci/run).
PGBOUNCER_ENV = "STANCHION_TEST_PGBOUNCER_URL"
# Every driver module the suite may load, the compiled ones (asyncpg, asyncmy, psycopg's C
# build) above all: see import_drivers.
DRIVER_MODULES = ("asyncpg", "asyncmy", "aiosqlite", "psycopg", "pymysql")


def import_drivers() -> list[str]:
    """Import every installed driver now and return the names imported.

    pytester's in-process runs remove from ``sys.modules`` whatever they imported; a compiled
    driver imported a second time in one process can crash it (asyncpg >= 0.31 does).
    """
    loaded = []
    for name in DRIVER_MODULES:
        try:
            __import__(name)
        except ImportError:
            continue
        loaded.append(name)
    return loaded


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
    admin_url = backend_for(server).admin.server_url(server)
    engine = create_engine(admin_url, connect_args=_timeout(server))
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    finally:
        engine.dispose()


def _timeout(url: URL) -> dict[str, int]:
    return {"connect_timeout": 3}


def pgbouncer() -> URL | None:
    """The PgBouncer this run goes through (`PGBOUNCER_ENV`), or None (direct, the default)."""
    value = os.environ.get(PGBOUNCER_ENV, "").strip()
    return make_url(value) if value else None


def through_pooler(url: URL) -> URL:
    """`url` reached through the run's PgBouncer when there is one (PostgreSQL only)."""
    pooler = pgbouncer()
    if pooler is None or url.get_backend_name() != "postgresql":
        return url
    return url.set(host=pooler.host, port=pooler.port)


def async_url(url: URL) -> URL:
    return url.set(drivername=f"{url.get_backend_name()}+{ASYNC_DRIVERS[url.get_backend_name()]}")
