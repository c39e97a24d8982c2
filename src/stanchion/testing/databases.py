"""One test database per xdist worker, built once per run.

PostgreSQL builds a template database once (under an advisory lock) and clones it per worker with
``CREATE DATABASE ... TEMPLATE``; SQLite builds a template file and copies it; MariaDB/MySQL,
which cannot clone, build one database per worker. The schema comes from a `build` callable that
receives a connection (``metadata.create_all`` or the migrations) and is run once per template.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Connection, Engine, make_url

from stanchion.database import Database
from stanchion.database._url import resolve_url
from stanchion.database.backends import backend_for
from stanchion.database.backends.mysql import MySQLBackend
from stanchion.database.backends.postgresql import PostgreSQLBackend
from stanchion.database.backends.sqlite import SQLiteBackend, is_memory

Build = Callable[[Connection], None]

_PROCESS_RUN = uuid.uuid4().hex[:12]


def worker_id() -> str:
    """This process's xdist worker name (``gw0``...), or ``main`` without xdist."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def run_id() -> str:
    """An id shared by every worker of one test run (xdist's run uid, else this process's)."""
    return os.environ.get("PYTEST_XDIST_TESTRUNUID", _PROCESS_RUN)[:12]


def worker_url(base: str | URL, worker: str | None = None) -> URL:
    """The URL of `worker`'s database: the base database name suffixed with the worker name.

    Computed without I/O, so it can be exported (``DATABASE_URL``) before the app is imported.
    """
    url = make_url(base) if isinstance(base, str) else base
    worker = worker or worker_id()
    if isinstance(backend_for(url), SQLiteBackend):
        if is_memory(url):
            directory = Path(tempfile.gettempdir()) / f"stanchion-tests-{run_id()}"
            return url.set(database=str(directory / f"test_{worker}.db"))
        path = Path(url.database or "")
        return url.set(database=str(path.with_name(f"{path.stem}_{worker}{path.suffix or '.db'}")))
    return url.set(database=f"{url.database}_{worker}")


def sync_url(url: str | URL) -> URL:
    """`url` with the sync driver of its backend (``+asyncpg`` becomes ``+psycopg``...)."""
    parsed = make_url(url) if isinstance(url, str) else url
    return resolve_url(parsed.set(drivername=parsed.get_backend_name()), is_async=False)


def migrations(config_file: str | Path) -> Build:
    """A `Build` that upgrades the database to the latest revision with Alembic.

    The connection is handed over in ``config.attributes["connection"]``, which the env.py that
    ``stanchion db init`` writes uses instead of the URL in the config.
    """

    def upgrade(connection: Connection) -> None:
        from alembic import command
        from alembic.config import Config

        config = Config(str(config_file))
        config.attributes["connection"] = connection
        command.upgrade(config, "head")

    return upgrade


def build_schema(url: URL, build: Build) -> None:
    """Run `build` on a connection to `url` and commit (migrations manage their own steps)."""
    database = Database(url, pool_size=1, max_overflow=0)
    try:
        with database.engine.connect() as connection:
            build(connection)
            connection.commit()
    finally:
        database.dispose()


def prepare(base: str | URL, build: Build, *, worker: str | None = None) -> URL:
    """Create this worker's database from `base`, with the schema `build` makes; returns its URL.

    Any previous database of the same name is replaced: each run starts from a fresh schema.
    """
    url = sync_url(base)
    target = worker_url(url, worker)
    backend = type(backend_for(url))
    if issubclass(backend, PostgreSQLBackend):
        _prepare_postgresql(url, target, build)
    elif issubclass(backend, MySQLBackend):
        _prepare_mysql(target, build)
    elif issubclass(backend, SQLiteBackend):
        _prepare_sqlite(target, build)
    else:  # pragma: no cover - every supported backend is handled above
        raise NotImplementedError(f"no test database support for {backend.name}")
    return target


def _admin(url: URL, database: str) -> Engine:
    return create_engine(
        url.set(database=database), isolation_level="AUTOCOMMIT", poolclass=_null_pool()
    )


def _null_pool() -> type:
    from sqlalchemy.pool import NullPool

    return NullPool


def _prepare_postgresql(base: URL, target: URL, build: Build) -> None:
    template = f"{base.database}_template"
    engine = _admin(base, "postgres")
    try:
        with engine.connect() as admin:
            # One worker builds the template; the others wait on the lock, then clone it.
            admin.execute(text("SELECT pg_advisory_lock(hashtext(:n))"), {"n": template})
            try:
                stamp = admin.scalar(
                    text(
                        "SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                        "WHERE datname = :n"
                    ),
                    {"n": template},
                )
                if stamp != run_id():
                    admin.exec_driver_sql(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
                    admin.exec_driver_sql(f'CREATE DATABASE "{template}"')
                    build_schema(base.set(database=template), build)
                    admin.exec_driver_sql(f"COMMENT ON DATABASE \"{template}\" IS '{run_id()}'")
                admin.exec_driver_sql(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
                admin.exec_driver_sql(f'CREATE DATABASE "{target.database}" TEMPLATE "{template}"')
            finally:
                admin.execute(text("SELECT pg_advisory_unlock(hashtext(:n))"), {"n": template})
    finally:
        engine.dispose()


def _prepare_mysql(target: URL, build: Build) -> None:
    engine = _admin(target, "mysql")
    try:
        with engine.connect() as admin:
            admin.exec_driver_sql(f"DROP DATABASE IF EXISTS `{target.database}`")
            admin.exec_driver_sql(f"CREATE DATABASE `{target.database}` CHARACTER SET utf8mb4")
    finally:
        engine.dispose()
    build_schema(target, build)


def _prepare_sqlite(target: URL, build: Build) -> None:
    path = Path(target.database or "")
    path.parent.mkdir(parents=True, exist_ok=True)
    template = path.parent / f".stanchion-template-{run_id()}.db"
    if not template.exists():
        # Build under a private name and rename: a racing worker never copies half a file.
        scratch = template.with_name(f"{template.name}.{uuid.uuid4().hex}")
        build_schema(target.set(database=str(scratch)), build)
        _checkpoint(scratch)
        os.replace(scratch, template)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(template, path)


def _checkpoint(path: Path) -> None:
    """Fold the WAL into the main file so the file alone holds the whole database."""
    engine = create_engine(f"sqlite:///{path}", poolclass=_null_pool())
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            connection.exec_driver_sql("PRAGMA journal_mode=DELETE")
    finally:
        engine.dispose()
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
