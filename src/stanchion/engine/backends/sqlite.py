"""SQLite: WAL, foreign keys, busy timeout and BEGIN IMMEDIATE for writers on every connection."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from sqlalchemy import Table, event, pool
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.sql.dml import Insert

from stanchion import errors
from stanchion.engine.backends.admin import Admin
from stanchion.engine.backends.base import Backend
from stanchion.engine.backends.ddl import DDL
from stanchion.engine.backends.errors import ErrorInfo, Errors
from stanchion.engine.backends.writes import Writes
from stanchion.engine.settings import DatabaseSettings

_FOREIGN_KEYS = "stanchion_foreign_keys_before_migrations"

#: Execution option naming how a transaction begins: "IMMEDIATE" (default) or "DEFERRED".
BEGIN_MODE = "stanchion_sqlite_begin"

# Extended result codes (https://www.sqlite.org/rescode.html).
_BUSY = {5, 261, 517}  # SQLITE_BUSY, BUSY_RECOVERY, BUSY_SNAPSHOT
_LOCKED = {6, 262}
_UNIQUE = {1555, 2067}  # CONSTRAINT_PRIMARYKEY, CONSTRAINT_UNIQUE
_FOREIGN_KEY = 787
#: SQLITE_CONSTRAINT_TRIGGER: an ON DELETE/UPDATE RESTRICT action, or RAISE() in a trigger.
_TRIGGER = 1811
_RESTRICT_MESSAGE = "FOREIGN KEY constraint failed"
_CHECK_CONSTRAINT = 275
_NOT_NULL = 1299
_CODES: dict[int, type[errors.StanchionError]] = {
    **dict.fromkeys(_UNIQUE, errors.AlreadyExists),
    _FOREIGN_KEY: errors.ForeignKeyViolation,
    _CHECK_CONSTRAINT: errors.CheckViolation,
    _NOT_NULL: errors.CheckViolation,
    **dict.fromkeys(_BUSY | _LOCKED, errors.Deadlock),
    14: errors.DatabaseNotFound,  # CANTOPEN: the file or its directory cannot be opened
    26: errors.DatabaseUnavailable,  # NOTADB
}


def is_memory(url: URL) -> bool:
    """True when `url` names an in-memory database."""
    database = url.database or ""
    return database in ("", ":memory:") or "mode=memory" in database


class SQLiteDDL(DDL):
    """Tables are rebuilt to change them (Alembic's batch mode), with foreign keys off."""

    rebuilds_tables: ClassVar[bool] = True

    def begin_migrations(self, connection: Connection, lock_timeout_ms: int | None) -> None:
        # Batch mode drops and recreates tables: with foreign keys on, dropping a parent table
        # would cascade-delete its children. The pragma only works outside a transaction.
        if not connection.in_transaction():
            connection.info[_FOREIGN_KEYS] = _pragma(connection, "PRAGMA foreign_keys")
            _pragma(connection, "PRAGMA foreign_keys=OFF")

    def end_migrations(self, connection: Connection, lock_timeout_ms: int | None) -> None:
        previous = connection.info.pop(_FOREIGN_KEYS, None)
        if previous is not None and not connection.in_transaction():
            _pragma(connection, f"PRAGMA foreign_keys={'ON' if previous else 'OFF'}")


class SQLiteAdmin(Admin):
    """A database is a file; a copy is made with SQLite's online backup."""

    copies_databases: ClassVar[bool] = True

    def database_exists(self, url: URL) -> bool:
        return is_memory(url) or os.path.exists(str(url.database))

    def create_database(self, url: URL, *, template: URL | None = None) -> None:
        if is_memory(url):
            return  # each connection makes its own
        with contextlib.closing(sqlite3.connect(str(url.database))) as created:
            if template is not None:
                # The online backup is consistent even with a WAL beside the template.
                with contextlib.closing(sqlite3.connect(str(template.database))) as origin:
                    origin.backup(created)

    def drop_database(self, url: URL) -> None:
        if is_memory(url):
            return
        for extension in ("", "-wal", "-shm", "-journal"):
            with contextlib.suppress(FileNotFoundError):
                os.remove(f"{url.database}{extension}")

    def scratch_url(self, url: URL, suffix: str) -> URL:
        directory = tempfile.mkdtemp(prefix="stanchion-")
        return url.set(database=os.path.join(directory, f"scratch_{suffix}.db"))

    def sibling_url(self, url: URL, suffix: str) -> URL:
        """``app.db`` -> ``app_<suffix>.db`` in the same directory (the temp dir for memory)."""
        if is_memory(url):
            return url.set(database=os.path.join(tempfile.gettempdir(), f"stanchion_{suffix}.db"))
        root, extension = os.path.splitext(url.database or "")
        return url.set(database=f"{root}_{suffix}{extension or '.db'}")

    def deferred_begin_options(self) -> dict[str, Any]:
        # A writer's BEGIN IMMEDIATE would hold the write lock for the whole transaction.
        return {BEGIN_MODE: "DEFERRED"}


class SQLiteErrors(Errors):
    """Extended result codes (``sqlite_errorcode``); the columns from SQLite's fixed message."""

    def classify(self, orig: BaseException) -> ErrorInfo | None:
        if not isinstance(orig, sqlite3.Error):
            return None
        code = getattr(orig, "sqlite_errorcode", None)
        if code == _TRIGGER:
            # One code for two causes; SQLite's fixed text tells a RESTRICT action apart.
            if str(orig) == _RESTRICT_MESSAGE:
                return ErrorInfo(errors.ForeignKeyViolation)
            return ErrorInfo(errors.ConstraintViolation)
        kind = self.codes().get(code) if isinstance(code, int) else None
        if kind is None:
            return None
        # "UNIQUE constraint failed: t.a, t.b" / "NOT NULL ...: t.a" / "CHECK ...: ck_name"
        detail = str(orig).partition(": ")[2]
        if code == _CHECK_CONSTRAINT:
            return ErrorInfo(kind, constraint=detail or None)
        if code in _UNIQUE or code == _NOT_NULL:
            columns = tuple(p.strip().rpartition(".")[2] for p in detail.split(",") if p.strip())
            return ErrorInfo(kind, columns=columns)
        return ErrorInfo(kind)

    def codes(self) -> Mapping[Any, type[errors.StanchionError]]:
        return _CODES


class SQLiteWrites(Writes):
    """ON CONFLICT upserts run by executemany; no row locks (SQLite locks the whole database)."""

    supports_row_locks: ClassVar[bool] = False
    supports_skip_locked: ClassVar[bool] = False
    #: In-process: one compiled single-row upsert run by executemany beats a huge VALUES list.
    upsert_executemany: ClassVar[bool] = True
    max_bind_params: ClassVar[int] = 30_000

    def upsert(
        self,
        table: Table,
        rows: Sequence[Mapping[str, Any]] | None,
        conflict_columns: Sequence[str],
        update_columns: Sequence[str],
        *,
        also_set: Mapping[str, Any] | None = None,
    ) -> Insert:
        stmt = sqlite_insert(table)
        if rows is not None:
            stmt = stmt.values(list(rows))
        if not update_columns:
            return stmt.on_conflict_do_nothing(index_elements=list(conflict_columns))
        return stmt.on_conflict_do_update(
            index_elements=list(conflict_columns),
            set_={
                **{name: stmt.excluded[name] for name in update_columns},
                **(also_set or {}),
            },
        )


class SQLiteBackend(Backend):
    name = "sqlite"
    errors: ClassVar[Errors] = SQLiteErrors()
    writes: ClassVar[Writes] = SQLiteWrites()
    ddl: ClassVar[DDL] = SQLiteDDL()
    admin: ClassVar[Admin] = SQLiteAdmin()

    def engine_options(self, url: URL, settings: DatabaseSettings) -> dict[str, Any]:
        connect_args: dict[str, Any] = {
            "check_same_thread": False,
            "timeout": settings.sqlite_busy_timeout_ms / 1000,
        }
        if is_memory(url):
            # One shared connection, or every checkout would see its own empty database.
            return {"poolclass": pool.StaticPool, "connect_args": connect_args}
        options = super().engine_options(url, settings)
        options["connect_args"] = connect_args
        # A file cannot drop a connection the way a network does: a ping per checkout would
        # only cost a statement per transaction.
        options["pool_pre_ping"] = False
        return options

    def explain(self, statement: str) -> str | None:
        return f"EXPLAIN QUERY PLAN {statement}"

    def install(self, engine: Engine, settings: DatabaseSettings) -> None:
        busy_ms = int(settings.sqlite_busy_timeout_ms)
        memory = is_memory(engine.url)

        @event.listens_for(engine, "connect")
        def _configure(dbapi_connection: Any, _record: Any) -> None:
            # The driver must not begin by itself: `_begin_on_the_driver` sends BEGIN, in its mode.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            try:
                if not memory:
                    cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA foreign_keys=ON")
                cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
                cursor.execute("PRAGMA synchronous=NORMAL")
            finally:
                cursor.close()

        _begin_on_the_driver(engine.dialect)

    def transaction_options(
        self, *, isolation_level: str | None, read_only: bool
    ) -> dict[str, Any]:
        # SQLite transactions are serialisable; readers need not take the write lock. Writers
        # need no option: every BEGIN without one is IMMEDIATE.
        return _DEFERRED if read_only else {}

    def pings_connections(self) -> bool:
        return False


_DEFERRED = {BEGIN_MODE: "DEFERRED"}
#: Connection-record info key: the mode the next BEGIN on this connection uses.
_PENDING_MODE = "stanchion.sqlite_begin_mode"
_BEGIN = {"DEFERRED": "BEGIN DEFERRED", "IMMEDIATE": "BEGIN IMMEDIATE"}


def _begin_on_the_driver(dialect: Any) -> None:
    """Make `dialect` (this engine's only) send ``BEGIN IMMEDIATE`` — or ``BEGIN DEFERRED``
    when the connection's execution options ask — straight on the driver connection.

    SQLAlchemy's recipe (a ``begin`` engine event running the statement) switches on event
    dispatch for every statement the engine runs and sends BEGIN through the whole execution
    path; the dialect's own ``do_begin`` hook costs one call. The mode is carried from the
    execution options to the BEGIN on the pooled connection's info and never outlives the
    checkout.
    """
    set_options = dialect.set_connection_execution_options

    def set_connection_execution_options(connection: Any, opts: Any) -> None:
        mode = opts.get(BEGIN_MODE)
        if mode is not None:
            pooled = connection.connection
            pooled.info[_PENDING_MODE] = mode
            pooled._connection_record.finalize_callback.append(_forget_mode(pooled.info))
        set_options(connection, opts)

    def do_begin(pooled: Any) -> None:
        mode = pooled.info.pop(_PENDING_MODE, "IMMEDIATE")
        cursor = pooled.dbapi_connection.cursor()
        try:
            cursor.execute(_BEGIN["DEFERRED" if mode == "DEFERRED" else "IMMEDIATE"])
        finally:
            cursor.close()

    dialect.set_connection_execution_options = set_connection_execution_options
    dialect.do_begin = do_begin


def _forget_mode(info: dict[str, Any]) -> Any:
    """A check-in callback: a mode asked for but never used must not reach the next user."""
    return lambda _dbapi_connection: info.pop(_PENDING_MODE, None)


def _pragma(connection: Connection, statement: str) -> Any:
    """Run a PRAGMA on the driver connection, outside SQLAlchemy's transaction handling."""
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(statement)
        row = cursor.fetchone()
        return row[0] if row else None
    finally:
        cursor.close()
