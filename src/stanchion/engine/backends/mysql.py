"""MySQL / MariaDB: utf8mb4, strict mode, UTC sessions, errno-based errors, ON DUPLICATE KEY."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from sqlalchemy import ForeignKeyConstraint, Index, Table, event
from sqlalchemy.dialects.mysql import insert as mysql_insert
from sqlalchemy.engine import URL, Dialect, Engine
from sqlalchemy.schema import AddConstraint, CreateIndex
from sqlalchemy.sql.dml import Insert

from stanchion import errors
from stanchion.engine.backends.admin import Admin, admin_execute, admin_scalar, database_name
from stanchion.engine.backends.base import Backend
from stanchion.engine.backends.ddl import DDL, Steps, qualified, quote
from stanchion.engine.backends.errors import ErrorInfo, Errors
from stanchion.engine.backends.replication import MariaDBReplication, Replication
from stanchion.engine.backends.writes import Writes
from stanchion.engine.settings import DatabaseSettings

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
    1049: errors.DatabaseNotFound,  # ER_BAD_DB_ERROR: unknown database
    1045: errors.AuthenticationFailed,  # ER_ACCESS_DENIED_ERROR: wrong user or password
    1044: errors.AuthenticationFailed,  # ER_DBACCESS_DENIED_ERROR: no access to that database
    1698: errors.AuthenticationFailed,  # ER_ACCESS_DENIED_NO_PASSWORD_ERROR
    2002: errors.ServerUnreachable,  # CR_CONNECTION_ERROR (local socket)
    2003: errors.ServerUnreachable,  # CR_CONN_HOST_ERROR: nothing listens at host:port
    2005: errors.ServerUnreachable,  # CR_UNKNOWN_HOST
    2006: errors.DatabaseUnavailable,
    2013: errors.DatabaseUnavailable,
    2055: errors.DatabaseUnavailable,
    1927: errors.DatabaseUnavailable,  # MariaDB connection killed
    4031: errors.DatabaseUnavailable,  # MySQL idle disconnect
    1290: errors.PrimaryLost,  # ER_OPTION_PREVENTS_STATEMENT, when the option is --read-only
    1792: errors.PrimaryLost,  # ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION
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


#: Options that make ALTER TABLE fail at once instead of taking a blocking lock or copying.
_ONLINE = ("ALGORITHM=INPLACE", "LOCK=NONE")


class MySQLDDL(DDL):
    """Online schema changes: ``ALGORITHM=INPLACE, LOCK=NONE``, so a change that would lock
    the table or copy it fails at once instead of stopping the application."""

    def create_index_online(self, index: Index, dialect: Dialect) -> Steps | None:
        create = CreateIndex(index).compile(dialect=dialect)
        return Steps((f"{create} {' '.join(_ONLINE)}",))

    def drop_index_online(self, index: Index, dialect: Dialect) -> Steps | None:
        preparer = dialect.identifier_preparer
        table = preparer.format_table(index.table) if index.table is not None else ""
        name = quote(dialect, str(index.name))
        return Steps((f"ALTER TABLE {table} DROP INDEX {name}, {', '.join(_ONLINE)}",))

    def add_foreign_key_unchecked(
        self, constraint: ForeignKeyConstraint, dialect: Dialect
    ) -> Steps | None:
        # With checks on, InnoDB copies the whole table to add a foreign key.
        return Steps(
            (
                "SET SESSION foreign_key_checks = 0",
                AddConstraint(constraint),
                "SET SESSION foreign_key_checks = 1",
            )
        )

    def set_not_null_online(
        self,
        table: str,
        column: str,
        *,
        existing_type: Any,
        existing_server_default: str | None,
        schema: str | None,
        dialect: Dialect,
    ) -> Steps | None:
        """The column is redefined in place with writes allowed (MODIFY needs its type)."""
        if existing_type is None:
            raise TypeError("set_not_null needs existing_type= on mysql")
        kind = dialect.type_compiler_instance.process(existing_type)
        default = f" DEFAULT {existing_server_default}" if existing_server_default else ""
        target = qualified(dialect, table, schema)
        return Steps(
            (
                f"ALTER TABLE {target} MODIFY {quote(dialect, column)} {kind} NOT NULL{default}, "
                + ", ".join(_ONLINE),
            )
        )

    def lock_timeout_sql(self, timeout_ms: int) -> list[str]:
        # DDL waits on metadata locks, whose timeout defaults to a year.
        return [f"SET SESSION lock_wait_timeout = {max(1, int(timeout_ms) // 1000)}"]

    def reset_lock_timeout_sql(self) -> list[str]:
        return ["SET SESSION lock_wait_timeout = DEFAULT"]


class MySQLAdmin(Admin):
    """Databases made with ``CREATE DATABASE`` (utf8mb4) on the server; no copies."""

    def server_url(self, url: URL) -> URL:
        return url._replace(database=None)

    def database_exists(self, url: URL) -> bool:
        found = admin_scalar(
            self.server_url(url),
            "SELECT 1 FROM information_schema.schemata WHERE schema_name = :name",
            {"name": url.database},
        )
        return found is not None

    def create_database(self, url: URL, *, template: URL | None = None) -> None:
        if template is not None:
            raise NotImplementedError("MySQL cannot copy a database: build its schema instead")
        admin_execute(
            self.server_url(url), f"CREATE DATABASE `{database_name(url)}` CHARACTER SET utf8mb4"
        )

    def drop_database(self, url: URL) -> None:
        admin_execute(self.server_url(url), f"DROP DATABASE IF EXISTS `{database_name(url)}`")


class MySQLErrors(Errors):
    """Errnos; the key or column named in the message text (MySQL reports it nowhere else)."""

    def classify(self, orig: BaseException) -> ErrorInfo | None:
        args = getattr(orig, "args", ())
        if not args or not isinstance(args[0], int):
            return None
        kind = _ERRNO.get(args[0])
        if kind is None:
            return None
        message = str(args[1]) if len(args) > 1 else ""
        if args[0] == 1290 and "read-only" not in message and "read_only" not in message:
            return None  # 1290 names other options too (--secure-file-priv ...): not a failover
        column = _COLUMN.search(message)
        if column is not None:
            return ErrorInfo(kind, columns=(column.group(1),), value_out_of_range=args[0] != 1048)
        match = _KEY_NAME.search(message) or _FK_NAME.search(message)
        name = match.group(1) if match else None
        if name == "PRIMARY":
            return ErrorInfo(kind, primary_key=True)
        return ErrorInfo(kind, constraint=name)

    def codes(self) -> Mapping[Any, type[errors.StanchionError]]:
        return _ERRNO


class MySQLWrites(Writes):
    """ON DUPLICATE KEY upserts; executemany bulk loads; larger statements than the default."""

    max_bind_params: ClassVar[int] = 60_000
    #: The driver sends executemany INSERTs as multi-row statements itself (PyMySQL, asyncmy).
    upsert_executemany: ClassVar[bool] = True
    executemany_binds_anywhere: ClassVar[bool] = False

    def upsert(
        self,
        table: Table,
        rows: Sequence[Mapping[str, Any]] | None,
        conflict_columns: Sequence[str],
        update_columns: Sequence[str],
        *,
        also_set: Mapping[str, Any] | None = None,
    ) -> Insert:
        stmt = mysql_insert(table) if rows is None else mysql_insert(table).values(list(rows))
        # ON DUPLICATE KEY fires on any unique key; a no-op update keeps "do nothing" semantics.
        if not update_columns:
            name = conflict_columns[0]
            return stmt.on_duplicate_key_update({name: table.c[name]})
        values: dict[str, Any] = {name: stmt.inserted[name] for name in update_columns}
        return stmt.on_duplicate_key_update({**values, **(also_set or {})})


class MySQLBackend(Backend):
    name = "mysql"
    errors: ClassVar[Errors] = MySQLErrors()
    writes: ClassVar[Writes] = MySQLWrites()
    ddl: ClassVar[DDL] = MySQLDDL()
    admin: ClassVar[Admin] = MySQLAdmin()
    replication: ClassVar[Replication] = MariaDBReplication()

    def engine_options(self, url: URL, settings: DatabaseSettings) -> dict[str, Any]:
        options = super().engine_options(url, settings)
        # Recycle well below the server's default wait_timeout (8 hours) and any proxy's idle cut.
        recycle = settings.pool_recycle
        options["pool_recycle"] = 3600 if recycle < 0 else min(recycle, 3600)
        options["connect_args"] = {
            "charset": "utf8mb4",
            "connect_timeout": max(1, int(settings.connect_timeout)),
        }
        bound = settings.peer_bound()
        if bound is not None:  # the drivers bound a read themselves, then drop the connection
            options["connect_args"]["read_timeout"] = bound
            if url.get_driver_name() == "pymysql":
                options["connect_args"]["write_timeout"] = bound
        return options

    def system_name(self, dialect: Dialect) -> str:
        return "mariadb" if getattr(dialect, "is_mariadb", False) else "mysql"

    def explain(self, statement: str) -> str | None:
        return f"EXPLAIN FORMAT=JSON {statement}"

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
