"""PostgreSQL: server-side timeouts, application_name, SQLSTATE errors, ON CONFLICT and COPY."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

from sqlalchemy import (
    Column,
    ForeignKeyConstraint,
    Index,
    Table,
    bindparam,
    cast,
    func,
    inspect,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import URL, Connection, Dialect, Engine
from sqlalchemy.schema import AddConstraint, CreateIndex, DropIndex
from sqlalchemy.sql import sqltypes
from sqlalchemy.sql.dml import Insert
from sqlalchemy.types import TypeDecorator
from sqlalchemy.util import await_only

from stanchion import errors
from stanchion.engine.backends import pgbouncer
from stanchion.engine.backends.admin import Admin, admin_execute, admin_scalar, database_name
from stanchion.engine.backends.base import Backend, sql_literal_ms
from stanchion.engine.backends.ddl import DDL, Steps, qualified, quote, sql_string
from stanchion.engine.backends.errors import ErrorInfo, Errors
from stanchion.engine.backends.replication import PostgreSQLReplication, Replication
from stanchion.engine.backends.writes import Writes
from stanchion.engine.settings import DatabaseSettings

_SQLSTATE: dict[str, type[errors.StanchionError]] = {
    "23505": errors.AlreadyExists,
    "23503": errors.ForeignKeyViolation,
    "23502": errors.CheckViolation,
    "23514": errors.CheckViolation,
    "22001": errors.CheckViolation,  # string_data_right_truncation (value too long)
    "22003": errors.CheckViolation,  # numeric_value_out_of_range
    "23P01": errors.AlreadyExists,  # exclusion constraint
    "40001": errors.SerializationFailure,
    "40P01": errors.Deadlock,
    "55P03": errors.QueryTimeout,  # lock_not_available (lock_timeout)
    "57014": errors.QueryTimeout,  # query_canceled (statement_timeout)
    "57P01": errors.DatabaseUnavailable,  # admin_shutdown (pg_terminate_backend)
    "57P02": errors.DatabaseUnavailable,
    "57P03": errors.DatabaseUnavailable,
    "53300": errors.DatabaseUnavailable,  # too_many_connections
    "25P03": errors.DatabaseUnavailable,  # idle_in_transaction_session_timeout
    "25006": errors.PrimaryLost,  # read_only_sql_transaction: a write reached a standby
    "3D000": errors.DatabaseNotFound,  # invalid_catalog_name
    "28P01": errors.AuthenticationFailed,  # invalid_password
    "28000": errors.AuthenticationFailed,  # invalid_authorization_specification (no such role)
}

#: libpq keeps no SQLSTATE for a failed connection (psycopg's ``sqlstate`` is None there), only
#: the server's FATAL message: these words stand in for 3D000 / 28P01 / 28000 then. A server
#: that answers in another language (``lc_messages``) gets the plain DatabaseUnavailable.
_CONNECT_WORDS: tuple[tuple[str, type[errors.DatabaseUnavailable]], ...] = (
    ("does not exist", errors.DatabaseNotFound),  # FATAL: database "x" does not exist
    ("password authentication failed", errors.AuthenticationFailed),
    ("no pg_hba.conf entry", errors.AuthenticationFailed),
)

#: What libpq says of a host that is up but takes no read-write session now (a standby, or a
#: server shutting down or starting): during a failover, no host is writable *yet*.
_NOT_WRITABLE_NOW = (
    "session is read-only",
    "server is in hot standby mode",
    "the database system is shutting down",
    "the database system is starting up",
    "the database system is in recovery mode",
    "the database system is not yet accepting connections",
)

_OUT_OF_RANGE = frozenset({"22001", "22003"})


def sqlstate(orig: BaseException) -> str | None:
    """SQLSTATE of a psycopg error, or of asyncpg's error as adapted by SQLAlchemy."""
    code = getattr(orig, "sqlstate", None)
    if code is None and orig.__cause__ is not None:
        code = getattr(orig.__cause__, "sqlstate", None)
    return code if isinstance(code, str) else None


def _diagnostic(orig: BaseException, field: str) -> str | None:
    """A field of the server's error report (constraint_name, column_name)."""
    diag = getattr(orig, "diag", None)  # psycopg
    value = getattr(diag, field, None) if diag is not None else None
    if value is None:  # asyncpg, wrapped by SQLAlchemy's adapter
        value = getattr(orig.__cause__, field, None)
    return value if isinstance(value, str) else None


class PostgreSQLDDL(DDL):
    """Online schema changes: CONCURRENTLY, ``NOT VALID`` then ``VALIDATE``, enum types."""

    has_enum_types: ClassVar[bool] = True

    def create_index_online(self, index: Index, dialect: Dialect) -> Steps | None:
        table = index.table
        for name in index.kwargs.get("postgresql_include") or ():
            if table is not None and name not in table.c:  # INCLUDE columns of the stub table
                table.append_column(Column(name, sqltypes.NullType()))
        index.dialect_kwargs["postgresql_concurrently"] = True
        return Steps((CreateIndex(index),), outside_transaction=True)

    def drop_index_online(self, index: Index, dialect: Dialect) -> Steps | None:
        index.dialect_kwargs["postgresql_concurrently"] = True
        return Steps((DropIndex(index),), outside_transaction=True)

    def add_foreign_key_unchecked(
        self, constraint: ForeignKeyConstraint, dialect: Dialect
    ) -> Steps | None:
        constraint.dialect_kwargs["postgresql_not_valid"] = True
        return Steps((AddConstraint(constraint),))

    def validate_constraint(
        self, table: str, constraint: str, schema: str | None, dialect: Dialect
    ) -> Steps:
        # In its own transaction, so the brief lock of the ADD is not held meanwhile.
        target = qualified(dialect, table, schema)
        return Steps(
            (f"ALTER TABLE {target} VALIDATE CONSTRAINT {quote(dialect, constraint)}",),
            outside_transaction=True,
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
        """A ``CHECK (c IS NOT NULL) NOT VALID`` is added, validated without blocking writes,
        used by ``SET NOT NULL`` to skip its own scan, and dropped."""
        target = qualified(dialect, table, schema)
        name = quote(dialect, f"ck_{table}_{column}_not_null"[:63])
        quoted = quote(dialect, column)
        return Steps(
            (
                f"ALTER TABLE {target} ADD CONSTRAINT {name} CHECK ({quoted} IS NOT NULL)"
                " NOT VALID",
                f"ALTER TABLE {target} VALIDATE CONSTRAINT {name}",
                f"ALTER TABLE {target} ALTER COLUMN {quoted} SET NOT NULL",
                f"ALTER TABLE {target} DROP CONSTRAINT {name}",
            ),
            outside_transaction=True,
        )

    def add_enum_value(
        self,
        enum: str,
        value: str,
        *,
        before: str | None,
        after: str | None,
        schema: str | None,
        dialect: Dialect,
    ) -> Steps:
        # A new value cannot be used before it commits: outside the migration's transaction.
        place = ""
        if before is not None:
            place = f" BEFORE {sql_string(before)}"
        elif after is not None:
            place = f" AFTER {sql_string(after)}"
        name = qualified(dialect, enum, schema)
        return Steps(
            (f"ALTER TYPE {name} ADD VALUE IF NOT EXISTS {sql_string(value)}{place}",),
            outside_transaction=True,
        )

    def drop_enum(self, enum: str, schema: str | None, dialect: Dialect) -> Steps:
        return Steps((f"DROP TYPE IF EXISTS {qualified(dialect, enum, schema)}",))

    def enum_type_names(self, connection: Connection) -> list[str]:
        inspector: Any = inspect(connection)
        return sorted(enum["name"] for enum in inspector.get_enums(schema="*"))

    def lock_timeout_sql(self, timeout_ms: int) -> list[str]:
        return [f"SET lock_timeout = '{sql_literal_ms(timeout_ms)}'"]

    def reset_lock_timeout_sql(self) -> list[str]:
        return ["RESET lock_timeout"]


class PostgreSQLAdmin(Admin):
    """Databases made with ``CREATE DATABASE`` from the ``postgres`` maintenance database;
    copies with ``TEMPLATE`` (a file-level copy, no schema rebuilt)."""

    copies_databases: ClassVar[bool] = True

    def server_url(self, url: URL) -> URL:
        return url.set(database="postgres")

    def database_exists(self, url: URL) -> bool:
        found = admin_scalar(
            self.server_url(url),
            "SELECT 1 FROM pg_database WHERE datname = :name",
            {"name": url.database},
        )
        return found is not None

    def create_database(self, url: URL, *, template: URL | None = None) -> None:
        statement = f'CREATE DATABASE "{database_name(url)}"'
        if template is not None:
            statement += f' TEMPLATE "{database_name(template)}"'
        admin_execute(self.server_url(url), statement)

    def drop_database(self, url: URL) -> None:
        admin_execute(
            self.server_url(url), f'DROP DATABASE IF EXISTS "{database_name(url)}" WITH (FORCE)'
        )


class PostgreSQLErrors(Errors):
    """SQLSTATEs, with the constraint and column from the server's diagnostics."""

    def classify(self, orig: BaseException) -> ErrorInfo | None:
        code = sqlstate(orig)
        if code is None:
            return None
        kind = _SQLSTATE.get(code)
        if kind is None and code.startswith("08"):
            kind = errors.DatabaseUnavailable
        if kind is None:
            return None
        column = _diagnostic(orig, "column_name")
        if code in _OUT_OF_RANGE:
            return ErrorInfo(kind, value_out_of_range=True)
        return ErrorInfo(
            kind,
            constraint=_diagnostic(orig, "constraint_name"),
            columns=(column,) if column else (),
        )

    def codes(self) -> Mapping[Any, type[errors.StanchionError]]:
        return _SQLSTATE

    def connect_failure(self, orig: BaseException) -> type[errors.DatabaseUnavailable]:
        if sqlstate(orig) == "57P03":  # cannot_connect_now: shutting down, starting, recovering
            return errors.ServerUnreachable
        kind = super().connect_failure(orig)
        if kind is not errors.DatabaseUnavailable or sqlstate(orig) is not None:
            return kind
        if type(orig).__name__ == "TargetServerAttributeNotMatched":
            return errors.ServerUnreachable  # asyncpg: no host is the read-write one (yet)
        message = str(orig)
        if "FATAL:" not in message:  # libpq's own words: no server answered (or none fits
            # target_session_attrs: "server is in hot standby mode", "session is read-only")
            return errors.ServerUnreachable
        for words, candidate in _CONNECT_WORDS:
            if words in message:
                return candidate
        if any(words in message for words in _NOT_WRITABLE_NOW):
            return errors.ServerUnreachable
        return kind


class PostgreSQLWrites(Writes):
    """ON CONFLICT upserts (rows as one array per column), COPY for bulk loads."""

    def upsert(
        self,
        table: Table,
        rows: Sequence[Mapping[str, Any]],
        conflict_columns: Sequence[str],
        update_columns: Sequence[str],
        *,
        also_set: Mapping[str, Any] | None = None,
    ) -> Insert:
        """One ``INSERT ... ON CONFLICT``; rows travel as one array per column (``unnest``)
        when every column's type has a plain array form, so any number of rows binds only
        as many parameters as there are columns, and the statement compiles once per shape."""
        columns = list(rows[0].keys())
        types = _array_types(table, columns)
        if types is None:
            stmt = pg_insert(table).values(list(rows))
        else:
            arrays = [
                func.unnest(cast(bindparam(f"unnest_{i}", [row[c] for row in rows], type_=t), t))
                for i, (c, t) in enumerate(zip(columns, types, strict=True))
            ]
            stmt = pg_insert(table).from_select(columns, select(*arrays))
        if not update_columns:
            return stmt.on_conflict_do_nothing(index_elements=list(conflict_columns))
        return stmt.on_conflict_do_update(
            index_elements=list(conflict_columns),
            set_={
                **{name: stmt.excluded[name] for name in update_columns},
                **(also_set or {}),
            },
        )

    def upsert_rows_per_statement(self, table: Table, columns: Sequence[str], extra: int) -> int:
        if _array_types(table, columns) is not None:
            return _UNNEST_ROWS
        return super().upsert_rows_per_statement(table, columns, extra)

    def bulk_insert(
        self,
        connection: Connection,
        table: Table,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
    ) -> int:
        """COPY the rows: the fastest way into PostgreSQL (psycopg sync/async, asyncpg)."""
        if not rows:
            return 0
        driver_connection = connection.connection.driver_connection
        driver = connection.dialect.driver
        rows = _bound(connection, table, columns, rows)
        if driver == "asyncpg":
            await_only(
                driver_connection.copy_records_to_table(  # type: ignore[union-attr]
                    table.name, records=rows, columns=list(columns), schema_name=table.schema
                )
            )
            return len(rows)
        if driver == "psycopg":
            target = _qualified(connection, table, columns)
            if connection.dialect.is_async:
                await_only(_async_copy(driver_connection, target, rows))
            else:
                cursor = driver_connection.cursor()  # type: ignore[union-attr]
                with cursor, cursor.copy(target) as copy:
                    write = copy.write_row
                    for row in rows:
                        write(row)
            return len(rows)
        return super().bulk_insert(connection, table, columns, rows)


class PostgreSQLBackend(Backend):
    name = "postgresql"
    errors: ClassVar[Errors] = PostgreSQLErrors()
    writes: ClassVar[Writes] = PostgreSQLWrites()
    ddl: ClassVar[DDL] = PostgreSQLDDL()
    admin: ClassVar[Admin] = PostgreSQLAdmin()
    replication: ClassVar[Replication] = PostgreSQLReplication()

    def explain(self, statement: str) -> str | None:
        return f"EXPLAIN (FORMAT JSON) {statement}"

    def engine_options(self, url: URL, settings: DatabaseSettings) -> dict[str, Any]:
        options = super().engine_options(url, settings)
        server: dict[str, str] = {"application_name": settings.application_name}
        for key in ("statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout"):
            value = getattr(settings, f"{key}_ms")
            if value is not None:
                server[key] = sql_literal_ms(value)
        driver = url.get_driver_name()
        if driver == "asyncpg":
            options["connect_args"] = {
                "server_settings": server,
                "timeout": settings.connect_timeout,
            }
        else:
            options["connect_args"] = {
                "application_name": server.pop("application_name"),
                "connect_timeout": max(1, int(settings.connect_timeout)),
                "options": " ".join(f"-c {key}={value}" for key, value in server.items()),
            }
        if settings.pooler == pgbouncer.PGBOUNCER:
            options["connect_args"] = pgbouncer.connect_args(
                driver, settings, options["connect_args"]
            )
        return options

    def accepts_pooler(self, pooler: str) -> bool:
        return pooler == pgbouncer.PGBOUNCER

    def peer_socket(self, dialect: Dialect) -> Callable[[Any], int] | None:
        # Neither libpq (psycopg) nor asyncpg bounds a read on a silent server (asyncpg's
        # command_timeout cancels through the same silent path and keeps the connection).
        return _asyncpg_socket if dialect.driver == "asyncpg" else _libpq_socket

    def install(self, engine: Engine, settings: DatabaseSettings) -> None:
        if settings.pooler == pgbouncer.PGBOUNCER:
            pgbouncer.install(engine, settings)

    def transaction_options(
        self, *, isolation_level: str | None, read_only: bool
    ) -> dict[str, Any]:
        options = super().transaction_options(isolation_level=isolation_level, read_only=read_only)
        if read_only:
            options["postgresql_readonly"] = True
        return options


#: Rows per unnest upsert: parameters no longer limit it; this bounds one statement's memory.
_UNNEST_ROWS = 50_000
#: Column types whose values travel as a PostgreSQL array without surprises.
_ARRAY_SAFE = (
    sqltypes.Integer,
    sqltypes.String,
    sqltypes.Boolean,
    sqltypes.Numeric,
    sqltypes.Date,
    sqltypes.DateTime,
    sqltypes.Time,
    sqltypes.Uuid,
)
_NOT_ARRAY_SAFE = (sqltypes.Enum, sqltypes.JSON, sqltypes.ARRAY, sqltypes.PickleType)


def _array_types(table: Table, columns: Sequence[str]) -> list[Any] | None:
    """``type[]`` for each column, or None when one has no plain array form (JSON, enums...)."""
    types: list[Any] = []
    for name in columns:
        column_type = table.c[name].type
        base = column_type.impl_instance if isinstance(column_type, TypeDecorator) else column_type
        if isinstance(base, _NOT_ARRAY_SAFE) or not isinstance(base, _ARRAY_SAFE):
            return None
        types.append(ARRAY(column_type))
    return types


def _bound(
    connection: Connection, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> Sequence[Sequence[Any]]:
    """Rows with each column type's bind processing applied (JSON, enums, UTC datetimes), as a
    parameterised INSERT would; COPY bypasses it otherwise. Untouched when no column needs it."""
    dialect = connection.dialect
    processors = [
        table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns
    ]
    if not any(processors):
        return rows
    return [
        tuple(
            value if process is None else process(value)
            for process, value in zip(processors, row, strict=True)
        )
        for row in rows
    ]


def _qualified(connection: Connection, table: Table, columns: Sequence[str]) -> str:
    preparer = connection.dialect.identifier_preparer
    cols = ", ".join(preparer.quote(c) for c in columns)
    return f"COPY {preparer.format_table(table)} ({cols}) FROM STDIN"


async def _async_copy(driver_connection: Any, target: str, rows: Sequence[Sequence[Any]]) -> None:
    async with driver_connection.cursor() as cursor, cursor.copy(target) as copy:
        for row in rows:
            await copy.write_row(row)


def _libpq_socket(connection: Any) -> int:
    """A psycopg connection's socket (public: ``Connection.fileno()``)."""
    return int(connection.fileno())


def _asyncpg_socket(connection: Any) -> int:
    """An asyncpg connection's socket: its transport's, which asyncpg has no public name for."""
    return int(connection._transport.get_extra_info("socket").fileno())
