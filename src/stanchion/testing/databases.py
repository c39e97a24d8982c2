"""One test database per xdist worker, built once per run.

PostgreSQL builds a template database once and clones it per worker with ``CREATE DATABASE ...
TEMPLATE``; SQLite builds a template file and copies it; MariaDB/MySQL, which cannot clone, build
one database per worker. The schema comes from a `build` callable given a connection
(``metadata.create_all`` or `migrations`); the workers of one run share a file lock.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import URL, Connection, make_url

from stanchion.database import Database
from stanchion.engine.backends import backend_for
from stanchion.engine.url import with_driver

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
    return backend_for(url).admin.sibling_url(url, worker or worker_id())


def sync_url(url: str | URL) -> URL:
    """`url` with the sync driver of its backend (``+asyncpg`` becomes ``+psycopg``...)."""
    parsed = make_url(url) if isinstance(url, str) else url
    return with_driver(parsed.set(drivername=parsed.get_backend_name()), is_async=False)


def migrations(project: str | Path | None = None) -> Build:
    """A `Build` that upgrades the database to the latest revision with `stanchion.migrations`.

    `project`: the pyproject.toml holding ``[tool.stanchion]`` (or its directory; None: the
    nearest one). The connection is handed to the migrations' env.py, never the configured URL.
    """

    def upgrade(connection: Connection) -> None:
        from stanchion.migrations import MigrationConfig
        from stanchion.migrations import upgrade as upgrade_to

        upgrade_to(connection, MigrationConfig.load(project))

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


def drop(url: str | URL) -> None:
    """Drop the test database `url` (a worker's copy that `prepare` made)."""
    target = sync_url(url)
    backend_for(target).admin.drop_database(target)


def drop_template(base: str | URL) -> None:
    """Drop this run's template of `base`; call it once every worker is done (the run's end)."""
    url = sync_url(base)
    admin = backend_for(url).admin
    if admin.copies_databases:
        admin.drop_database(worker_url(url, "template"))


def prepare(base: str | URL, build: Build, *, worker: str | None = None) -> URL:
    """Create this worker's database from `base`, with the schema `build` makes; returns its URL.

    Where the backend can clone (PostgreSQL, SQLite), the schema is built once per run into a
    template that every worker copies; elsewhere each worker builds its own. A previous
    database of the same name is replaced: each run starts from a fresh schema.
    """
    url = sync_url(base)
    target = worker_url(url, worker)
    admin = backend_for(url).admin
    if not admin.copies_databases:
        admin.drop_database(target)
        admin.create_database(target)
        build_schema(target, build)
        return target
    template = worker_url(url, "template")
    with _run_lock(template):
        built = _run_directory() / f"{_slug(template)}.built"
        if not built.exists():
            admin.drop_database(template)
            admin.create_database(template)
            build_schema(template, build)
            built.touch()
        admin.drop_database(target)
        admin.create_database(target, template=template)
    return target


def _run_directory() -> Path:
    directory = Path(tempfile.gettempdir()) / f"stanchion-tests-{run_id()}"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _slug(url: URL) -> str:
    text = url.render_as_string(hide_password=True)
    return "".join(c if c.isalnum() else "_" for c in text)[-120:]


@contextmanager
def _run_lock(url: URL) -> Iterator[None]:
    """A lock shared by this run's workers (same machine): one builds, the others wait."""
    path = _run_directory() / f"{_slug(url)}.lock"
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
