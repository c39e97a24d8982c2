"""MySQL / MariaDB: utf8mb4, strict mode, UTC sessions, errno-based errors, ON DUPLICATE KEY."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from sqlalchemy import Table, event
from sqlalchemy.dialects.mysql import insert as mysql_insert
from sqlalchemy.engine import URL, Engine
from sqlalchemy.sql.dml import Insert

from stanchion import errors
from stanchion.database.backends.base import Backend, ErrorInfo, admin_execute
from stanchion.database.settings import DatabaseSettings

_ERRNO: dict[int, type[errors.StanchionError]] = {
    1062: errors.AlreadyExists,  # ER_DUP_ENTRY
    1586: errors.AlreadyExists,  # ER_DUP_ENTRY_WITH_KEY_NAME
    1451: errors.ForeignKeyViolation,  # row is referenced
    1452: errors.ForeignKeyViolation,  # referenced row missing
    1216: errors.ForeignKeyViolation,
    1217: errors.ForeignKeyViolation,
    1048: errors.CheckViolation,  # column cannot be null
    1406: errors.CheckViolation,  # data too long for column
    1264: errors.CheckViolation,  # out of range value for column
    3819: errors.CheckViolation,  # check constraint violated
    4025: errors.CheckViolation,  # MariaDB check constraint violated
    1213: errors.Deadlock,  # ER_LOCK_DEADLOCK
    1205: errors.Deadlock,  # ER_LOCK_WAIT_TIMEOUT (only the statement was undone)
    1020: errors.SerializationFailure,  # MariaDB: record has changed since last read
    3024: errors.QueryTimeout,  # MySQL max_execution_time exceeded
    1969: errors.QueryTimeout,  # MariaDB max_statement_time exceeded
    1040: errors.DatabaseUnavailable,  # too many connections
    2002: errors.DatabaseUnavailable,
    2003: errors.DatabaseUnavailable,
    2006: errors.DatabaseUnavailable,
    2013: errors.DatabaseUnavailable,
    2055: errors.DatabaseUnavailable,
    1927: errors.DatabaseUnavailable,  # MariaDB connection killed
    4031: errors.DatabaseUnavailable,  # MySQL idle disconnect
}

# The errno says *what* happened; MySQL reports *which* key only in the message text.
_KEY_NAME = re.compile(r"for key '(?:[^'.]*\.)?([^']+)'")
_FK_NAME = re.compile(r"CONSTRAINT `([^`]+)`")
# 1048 "Column 'x' cannot be null", 1406 "Data too long for column 'x' ...", 1264 "Out of range
# value for column 'x' ...": the errno says what, the text which column.
_COLUMN = re.compile(
    r"^(?:Column|Data too long for column|Out of range value for column) '([^']+)'"
)

_SQL_MODE = (
    "STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,"
    "NO_ENGINE_SUBSTITUTION"
)


class MySQLBackend(Backend):
    name = "mysql"
    max_bind_params: ClassVar[int] = 60_000
    online_ddl_options: ClassVar[tuple[str, ...]] = ("ALGORITHM=INPLACE", "LOCK=NONE")
    # With checks on, InnoDB copies the whole table to add a foreign key.
    unchecked_constraint_sql: ClassVar[tuple[str, ...]] = (
        "SET SESSION foreign_key_checks = 0",
        "SET SESSION foreign_key_checks = 1",
    )

    def lock_timeout_sql(self, timeout_ms: int) -> list[str]:
        # DDL waits on metadata locks, whose timeout defaults to a year.
        return [f"SET SESSION lock_wait_timeout = {max(1, int(timeout_ms) // 1000)}"]

    def reset_lock_timeout_sql(self) -> list[str]:
        return ["SET SESSION lock_wait_timeout = DEFAULT"]

    def create_database(self, url: URL) -> None:
        admin_execute(
            url._replace(database=None), f"CREATE DATABASE `{_name(url)}` CHARACTER SET utf8mb4"
        )

    def drop_database(self, url: URL) -> None:
        admin_execute(url._replace(database=None), f"DROP DATABASE IF EXISTS `{_name(url)}`")

    def engine_options(self, url: URL, settings: DatabaseSettings) -> dict[str, Any]:
        options = super().engine_options(url, settings)
        # Recycle well below the server's default wait_timeout (8 hours) and any proxy's idle cut.
        recycle = settings.pool_recycle
        options["pool_recycle"] = 3600 if recycle < 0 else min(recycle, 3600)
        options["connect_args"] = {
            "charset": "utf8mb4",
            "connect_timeout": max(1, int(settings.connect_timeout)),
        }
        return options

    def install(self, engine: Engine, settings: DatabaseSettings) -> None:
        statements = [
            f"SET SESSION sql_mode='{_SQL_MODE}'",
            "SET SESSION time_zone='+00:00'",
        ]
        if settings.lock_timeout_ms is not None:
            seconds = max(1, int(settings.lock_timeout_ms) // 1000)
            statements.append(f"SET SESSION innodb_lock_wait_timeout={seconds}")

        @event.listens_for(engine, "connect")
        def _configure(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            try:
                for statement in statements:
                    cursor.execute(statement)
            finally:
                cursor.close()

    def classify(self, orig: BaseException) -> ErrorInfo | None:
        args = getattr(orig, "args", ())
        if not args or not isinstance(args[0], int):
            return None
        kind = _ERRNO.get(args[0])
        if kind is None:
            return None
        message = str(args[1]) if len(args) > 1 else ""
        column = _COLUMN.search(message)
        if column is not None:
            return ErrorInfo(kind, columns=(column.group(1),), value_out_of_range=args[0] != 1048)
        match = _KEY_NAME.search(message) or _FK_NAME.search(message)
        name = match.group(1) if match else None
        if name == "PRIMARY":
            return ErrorInfo(kind, primary_key=True)
        return ErrorInfo(kind, constraint=name)

    def error_codes(self) -> Mapping[Any, type[errors.StanchionError]]:
        return _ERRNO

    def upsert(
        self,
        table: Table,
        rows: Sequence[Mapping[str, Any]],
        conflict_columns: Sequence[str],
        update_columns: Sequence[str],
        *,
        also_set: Mapping[str, Any] | None = None,
    ) -> Insert:
        stmt = mysql_insert(table).values(list(rows))
        # ON DUPLICATE KEY fires on any unique key; a no-op update keeps "do nothing" semantics.
        if not update_columns:
            name = conflict_columns[0]
            return stmt.on_duplicate_key_update({name: table.c[name]})
        values: dict[str, Any] = {name: stmt.inserted[name] for name in update_columns}
        return stmt.on_duplicate_key_update({**values, **(also_set or {})})


def _name(url: URL) -> str:
    name = url.database or ""
    if not name.replace("_", "").isalnum():
        raise ValueError("database names for scratch databases must be letters, digits and _")
    return name
