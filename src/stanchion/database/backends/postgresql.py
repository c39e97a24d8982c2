"""PostgreSQL: server-side timeouts, application_name, SQLSTATE errors, ON CONFLICT and COPY."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from sqlalchemy import Table, inspect
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import URL, Connection
from sqlalchemy.sql.dml import Insert
from sqlalchemy.util import await_only

from stanchion import errors
from stanchion.database.backends.base import Backend, ErrorInfo, admin_execute, sql_literal_ms
from stanchion.database.settings import DatabaseSettings

_SQLSTATE: dict[str, type[errors.StanchionError]] = {
    "23505": errors.AlreadyExists,
    "23503": errors.ForeignKeyViolation,
    "23502": errors.CheckViolation,
    "23514": errors.CheckViolation,
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


def sqlstate(orig: BaseException) -> str | None:
    """SQLSTATE of a psycopg error, or of asyncpg's error as adapted by SQLAlchemy."""
    code = getattr(orig, "sqlstate", None)
    if code is None and orig.__cause__ is not None:
        code = getattr(orig.__cause__, "sqlstate", None)
    return code if isinstance(code, str) else None


def _constraint_name(orig: BaseException) -> str | None:
    diag = getattr(orig, "diag", None)  # psycopg
    if diag is not None:
        return getattr(diag, "constraint_name", None)
    cause = orig.__cause__  # asyncpg, wrapped by SQLAlchemy's adapter
    name = getattr(cause, "constraint_name", None)
    return name if isinstance(name, str) else None


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
        return ErrorInfo(kind, constraint=_constraint_name(orig))

    def upsert(
        self,
        table: Table,
        rows: Sequence[Mapping[str, Any]],
        conflict_columns: Sequence[str],
        update_columns: Sequence[str],
        *,
        also_set: Mapping[str, Any] | None = None,
    ) -> Insert:
        stmt = pg_insert(table).values(list(rows))
        if not update_columns:
            return stmt.on_conflict_do_nothing(index_elements=list(conflict_columns))
        return stmt.on_conflict_do_update(
            index_elements=list(conflict_columns),
            set_={
                **{name: stmt.excluded[name] for name in update_columns},
                **(also_set or {}),
            },
        )

    def bulk_insert(
        self, connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]
    ) -> int:
        """COPY the rows in binary-safe text form: the fastest way into PostgreSQL."""
        if not rows:
            return 0
        columns = list(rows[0].keys())
        driver_connection = connection.connection.driver_connection
        driver = connection.dialect.driver
        if driver == "asyncpg":
            records = [tuple(row[c] for c in columns) for row in rows]
            await_only(
                driver_connection.copy_records_to_table(  # type: ignore[union-attr]
                    table.name, records=records, columns=columns, schema_name=table.schema
                )
            )
            return len(rows)
        if driver == "psycopg":
            target = _qualified(connection, table, columns)
            if connection.dialect.is_async:
                await_only(_copy_async(driver_connection, target, columns, rows))
            else:
                cursor = driver_connection.cursor()  # type: ignore[union-attr]
                with cursor, cursor.copy(target) as copy:
                    for row in rows:
                        copy.write_row([row[c] for c in columns])
            return len(rows)
        return super().bulk_insert(connection, table, rows)


def _qualified(connection: Connection, table: Table, columns: Sequence[str]) -> str:
    preparer = connection.dialect.identifier_preparer
    cols = ", ".join(preparer.quote(c) for c in columns)
    return f"COPY {preparer.format_table(table)} ({cols}) FROM STDIN"


async def _copy_async(
    driver_connection: Any, target: str, columns: Sequence[str], rows: Sequence[Mapping[str, Any]]
) -> None:
    async with driver_connection.cursor() as cursor, cursor.copy(target) as copy:
        for row in rows:
            await copy.write_row([row[c] for c in columns])


def _name(url: URL) -> str:
    name = url.database or ""
    if not name.replace("_", "").isalnum():
        raise ValueError("database names for scratch databases must be letters, digits and _")
    return name
