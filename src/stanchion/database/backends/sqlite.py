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
from stanchion.database.backends.base import Backend, ErrorInfo
from stanchion.database.settings import DatabaseSettings

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
    14: errors.DatabaseUnavailable,  # CANTOPEN
    26: errors.DatabaseUnavailable,  # NOTADB
}


def is_memory(url: URL) -> bool:
    """True when `url` names an in-memory database."""
    database = url.database or ""
    return database in ("", ":memory:") or "mode=memory" in database


class SQLiteBackend(Backend):
    name = "sqlite"
    supports_row_locks: ClassVar[bool] = False
    supports_skip_locked: ClassVar[bool] = False
    #: In-process: one compiled single-row upsert run by executemany beats a huge VALUES list.
    upsert_executemany: ClassVar[bool] = True
    max_bind_params: ClassVar[int] = 30_000
    migration_batch_mode: ClassVar[bool] = True

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

    def scratch_url(self, url: URL, suffix: str) -> URL:
        directory = tempfile.mkdtemp(prefix="stanchion-")
        return url.set(database=os.path.join(directory, f"scratch_{suffix}.db"))

    def create_database(self, url: URL) -> None:
        """SQLite creates the file on first connect."""

    can_clone: ClassVar[bool] = True

    def clone_database(self, source: URL, target: URL) -> None:
        """Copy the file with SQLite's online backup: consistent even with a WAL beside it."""
        with (
            contextlib.closing(sqlite3.connect(str(source.database))) as origin,
            contextlib.closing(sqlite3.connect(str(target.database))) as copy,
        ):
            origin.backup(copy)

    def sibling_url(self, url: URL, suffix: str) -> URL:
        """``app.db`` -> ``app_<suffix>.db`` in the same directory (the temp dir for memory)."""
        if is_memory(url):
            return url.set(database=os.path.join(tempfile.gettempdir(), f"stanchion_{suffix}.db"))
        root, extension = os.path.splitext(url.database or "")
        return url.set(database=f"{root}_{suffix}{extension or '.db'}")

    def drop_database(self, url: URL) -> None:
        if is_memory(url):
            return
        for extension in ("", "-wal", "-shm", "-journal"):
            with contextlib.suppress(FileNotFoundError):
                os.remove(f"{url.database}{extension}")

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
        return options

    def install(self, engine: Engine, settings: DatabaseSettings) -> None:
        busy_ms = int(settings.sqlite_busy_timeout_ms)
        memory = is_memory(engine.url)

        @event.listens_for(engine, "connect")
        def _configure(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy's "begin" hook below emit BEGIN, so we choose its mode.
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

        @event.listens_for(engine, "begin")
        def _begin(connection: Any) -> None:
            mode = connection.get_execution_options().get(BEGIN_MODE, "IMMEDIATE")
            connection.exec_driver_sql(f"BEGIN {'DEFERRED' if mode == 'DEFERRED' else 'IMMEDIATE'}")

    def transaction_options(
        self, *, isolation_level: str | None, read_only: bool
    ) -> dict[str, Any]:
        # SQLite transactions are serialisable; readers need not take the write lock.
        return {BEGIN_MODE: "DEFERRED" if read_only else "IMMEDIATE"}

    def classify(self, orig: BaseException) -> ErrorInfo | None:
        if not isinstance(orig, sqlite3.Error):
            return None
        code = getattr(orig, "sqlite_errorcode", None)
        if code == _TRIGGER:
            # One code for two causes; SQLite's fixed text tells a RESTRICT action apart.
            if str(orig) == _RESTRICT_MESSAGE:
                return ErrorInfo(errors.ForeignKeyViolation)
            return ErrorInfo(errors.ConstraintViolation)
        kind = self.error_codes().get(code) if isinstance(code, int) else None
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

    def error_codes(self) -> Mapping[Any, type[errors.StanchionError]]:
        return _CODES

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


def _pragma(connection: Connection, statement: str) -> Any:
    """Run a PRAGMA on the driver connection, outside SQLAlchemy's transaction handling."""
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(statement)
        row = cursor.fetchone()
        return row[0] if row else None
    finally:
        cursor.close()
