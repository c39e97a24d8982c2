"""Translate driver errors into stanchion errors, once, at the engine boundary.

SQLAlchemy's ``handle_error`` event sees every DBAPI failure (connect, execute, commit); the
backend profile reads its SQLSTATE or errno, and we raise the typed error from the driver's.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, event, exc, pool
from sqlalchemy.engine import Engine, ExceptionContext

from stanchion import errors
from stanchion.database.backends import Backend, ErrorInfo


def install_translation(engine: Engine, backend: Backend) -> None:
    """Make `engine` raise stanchion errors in place of driver errors."""

    @event.listens_for(engine, "handle_error")
    def _translate(context: ExceptionContext) -> None:
        if context.is_pre_ping:
            return  # the pool handles a failed ping by reconnecting
        orig = context.original_exception
        if not isinstance(orig, Exception):
            return  # cancellation or interrupt: never turn it into an ordinary error
        info = backend.classify(orig)
        if info is None:
            if context.is_disconnect or context.connection is None:
                info = ErrorInfo(errors.DatabaseUnavailable)
            else:
                return  # leave unknown errors to SQLAlchemy's own types
        if (
            info.kind is errors.DatabaseUnavailable
            and context.is_disconnect
            and context.connection is not None
        ):
            info = ErrorInfo(errors.ConnectionLost)
        raise _build(info, context, backend)


def _build(info: ErrorInfo, context: ExceptionContext, backend: Backend) -> errors.StanchionError:
    kind = info.kind
    if issubclass(kind, errors.ConstraintViolation):
        table = _target_table(context)
        constraint, fields = _describe_constraint(table, info)
        what = {
            errors.AlreadyExists: "already exists",
            errors.ForeignKeyViolation: "violates a foreign key",
            errors.CheckViolation: "violates a check or not-null constraint",
        }.get(kind, "violates a constraint")
        subject = f"a row in {table.name}" if table is not None else "the row"
        with_fields = (
            f" with the same {', '.join(fields)}" if fields and kind is errors.AlreadyExists else ""
        )
        named = f" (constraint {constraint})" if constraint else ""
        return kind(
            f"{subject}{with_fields} {what}{named}",
            constraint=constraint,
            table=table.name if table is not None else None,
            fields=fields,
        )
    messages: dict[type[errors.StanchionError], str] = {
        errors.SerializationFailure: "could not serialise access due to a concurrent transaction",
        errors.Deadlock: "deadlock or lock wait timeout; the transaction was rolled back",
        errors.QueryTimeout: "the statement was cancelled: it exceeded its time limit",
        errors.DatabaseUnavailable: f"the {backend.name} database is unavailable",
        errors.ConnectionLost: f"the connection to the {backend.name} database was lost",
        errors.CommitOutcomeUnknown: "the commit's outcome is unknown: check before retrying",
    }
    return kind(messages.get(kind, "database error"))


def _target_table(context: ExceptionContext) -> Table | None:
    compiled = getattr(context.execution_context, "compiled", None)
    statement: Any = getattr(compiled, "statement", None)
    table = getattr(statement, "table", None)
    return table if isinstance(table, Table) else None


def _describe_constraint(
    table: Table | None, info: ErrorInfo
) -> tuple[str | None, tuple[str, ...]]:
    """Name the constraint and its columns, from the error and the table's metadata."""
    if table is None:
        return info.constraint, ()
    if info.constraint:
        for item in _named_column_sets(table):
            if item.name == info.constraint:
                return info.constraint, tuple(c.name for c in item.columns)
        if info.constraint == "PRIMARY":
            return info.constraint, tuple(c.name for c in table.primary_key.columns)
        return info.constraint, ()
    # SQLite says "table.col, table.col": find the constraint over exactly those columns.
    columns = tuple(
        part.strip().rpartition(".")[2] for part in info.detail.split(",") if part.strip()
    )
    if not columns:
        return None, ()
    for item in _named_column_sets(table):
        if tuple(c.name for c in item.columns) == columns and item.name:
            return str(item.name), columns
    return None, columns


def _named_column_sets(table: Table) -> list[Any]:
    """The table's constraints and indexes: things with a name and columns."""
    return [*table.constraints, *table.indexes]


class _TranslatingPoolMixin:
    """Turn "pool exhausted" into `DatabaseUnavailable`, so callers catch one error."""

    def _do_get(self) -> Any:
        try:
            return super()._do_get()  # type: ignore[misc]
        except exc.TimeoutError as error:
            raise errors.DatabaseUnavailable(
                "no database connection became free within the pool timeout"
            ) from error


class TranslatingQueuePool(_TranslatingPoolMixin, pool.QueuePool):
    """`QueuePool` raising `DatabaseUnavailable` on checkout timeout."""


class TranslatingAsyncQueuePool(_TranslatingPoolMixin, pool.AsyncAdaptedQueuePool):
    """`AsyncAdaptedQueuePool` raising `DatabaseUnavailable` on checkout timeout."""
