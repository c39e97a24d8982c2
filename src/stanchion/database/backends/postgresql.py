"""PostgreSQL: server-side timeouts, application_name, SQLSTATE errors, ON CONFLICT and COPY."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from sqlalchemy import Table, bindparam, cast, func, inspect, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import URL, Connection
from sqlalchemy.sql import sqltypes
from sqlalchemy.sql.dml import Insert
from sqlalchemy.types import TypeDecorator
from sqlalchemy.util import await_only

from stanchion import errors
from stanchion.database.backends.base import Backend, ErrorInfo, admin_execute, sql_literal_ms
from stanchion.database.settings import DatabaseSettings

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
}

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


class PostgreSQLBackend(Backend):
    name = "postgresql"
    online_ddl_needs_autocommit: ClassVar[bool] = True
    online_index_options: ClassVar[dict[str, Any]] = {"postgresql_concurrently": True}
    has_enum_types: ClassVar[bool] = True
    supports_not_valid: ClassVar[bool] = True

    def lock_timeout_sql(self, timeout_ms: int) -> list[str]:
        return [f"SET lock_timeout = '{sql_literal_ms(timeout_ms)}'"]

    def reset_lock_timeout_sql(self) -> list[str]:
        return ["RESET lock_timeout"]

    def enum_type_names(self, connection: Connection) -> list[str]:
        inspector: Any = inspect(connection)
        return sorted(enum["name"] for enum in inspector.get_enums(schema="*"))

    def create_database(self, url: URL) -> None:
        admin_execute(url.set(database="postgres"), f'CREATE DATABASE "{_name(url)}"')

    can_clone: ClassVar[bool] = True

    def clone_database(self, source: URL, target: URL) -> None:
        """``CREATE DATABASE ... TEMPLATE``: a file-level copy, no schema rebuilt."""
        admin_execute(
            source.set(database="postgres"),
            f'CREATE DATABASE "{_name(target)}" TEMPLATE "{_name(source)}"',
        )

    def drop_database(self, url: URL) -> None:
        admin_execute(
            url.set(database="postgres"), f'DROP DATABASE IF EXISTS "{_name(url)}" WITH (FORCE)'
        )

    def engine_options(self, url: URL, settings: DatabaseSettings) -> dict[str, Any]:
        options = super().engine_options(url, settings)
        server: dict[str, str] = {"application_name": settings.application_name}
        for key in ("statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout"):
            value = getattr(settings, f"{key}_ms")
            if value is not None:
                server[key] = sql_literal_ms(value)
        if url.get_driver_name() == "asyncpg":
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
        return options

    def transaction_options(
        self, *, isolation_level: str | None, read_only: bool
    ) -> dict[str, Any]:
        options = super().transaction_options(isolation_level=isolation_level, read_only=read_only)
        if read_only:
            options["postgresql_readonly"] = True
        return options

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

    def error_codes(self) -> Mapping[Any, type[errors.StanchionError]]:
        return _SQLSTATE

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
                await_only(_copy_async(driver_connection, target, rows))
            else:
                cursor = driver_connection.cursor()  # type: ignore[union-attr]
                with cursor, cursor.copy(target) as copy:
                    write = copy.write_row
                    for row in rows:
                        write(row)
            return len(rows)
        return super().bulk_insert(connection, table, columns, rows)


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


async def _copy_async(driver_connection: Any, target: str, rows: Sequence[Sequence[Any]]) -> None:
    async with driver_connection.cursor() as cursor, cursor.copy(target) as copy:
        for row in rows:
            await copy.write_row(row)


def _name(url: URL) -> str:
    name = url.database or ""
    if not name.replace("_", "").isalnum():
        raise ValueError("database names for scratch databases must be letters, digits and _")
    return name
