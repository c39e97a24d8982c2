"""Translate driver errors into stanchion errors, once, at the engine boundary.

SQLAlchemy's ``handle_error`` event sees every DBAPI failure (connect, execute, commit); the
backend profile reads its SQLSTATE or errno, and we raise the typed error from the driver's.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, event, exc, pool
from sqlalchemy.engine import URL, Dialect, Engine, ExceptionContext

from stanchion import errors
from stanchion.engine.backends import Backend, ErrorInfo
from stanchion.engine.backends.options import READ_ONLY


def install_translation(engine: Engine, backend: Backend) -> None:
    """Make `engine` raise stanchion errors in place of driver errors."""

    @event.listens_for(engine, "do_connect")
    def _connect(dialect: Dialect, _record: Any, cargs: Any, cparams: Any) -> Any:
        try:
            return dialect.connect(*cargs, **cparams)
        except dialect.loaded_dbapi.Error:
            raise  # handle_error below translates these
        except Exception as error:  # asyncpg raises its own errors and OSError unwrapped
            kind = backend.errors.connect_failure(error)
            raise kind(connect_message(kind, backend, engine.url)) from error

    @event.listens_for(engine, "handle_error")
    def _translate(context: ExceptionContext) -> None:
        if context.is_pre_ping:
            return  # the pool handles a failed ping by reconnecting
        orig = context.original_exception
        if not isinstance(orig, Exception):
            return  # cancellation or interrupt: never turn it into an ordinary error
        if context.connection is None:  # a new connection failed: say why, by code
            kind = backend.errors.connect_failure(orig)
            raise kind(connect_message(kind, backend, engine.url))
        info = backend.errors.classify(orig)
        if info is None:
            if context.is_disconnect:
                info = ErrorInfo(errors.DatabaseUnavailable)
            else:
                # No meaning known: stays SQLAlchemy's DBAPIError. Its dialects catch those
                # themselves (MySQL's has_table reads 1146), so wrapping them breaks SQLAlchemy.
                return
        if info.kind is errors.PrimaryLost:
            if context.connection.get_execution_options().get(READ_ONLY, False):
                return  # a write inside a read-only transaction: the caller's own mistake
            # The server is read-only now (a standby after failover): every pooled connection
            # may point at it, pre-ping cannot tell. Drop them all; reconnecting picks the
            # URL's read-write host.
            context.is_disconnect = True
            context.invalidate_pool_on_disconnect = True
        elif (
            info.kind is errors.DatabaseUnavailable
            and context.is_disconnect
            and context.connection is not None
        ):
            info = ErrorInfo(errors.ConnectionLost)
        raise _build(info, context, backend)


def message_for(kind: type[errors.StanchionError], backend: Backend) -> str:
    """The words for an error that is not a constraint violation (never SQL or values)."""
    messages: dict[type[errors.StanchionError], str] = {
        errors.SerializationFailure: "could not serialise access due to a concurrent transaction",
        errors.Deadlock: "deadlock or lock wait timeout; the transaction was rolled back",
        errors.QueryTimeout: "the statement was cancelled: it exceeded its time limit",
        errors.DatabaseUnavailable: f"the {backend.name} database is unavailable",
        errors.ConnectionLost: f"the connection to the {backend.name} database was lost",
        errors.PrimaryLost: f"the {backend.name} server is read-only now: no longer the primary",
        errors.DatabaseNotFound: f"the {backend.name} database does not exist or cannot be opened",
        errors.AuthenticationFailed: f"the {backend.name} server refused the login",
        errors.ServerUnreachable: f"no {backend.name} server answers",
        errors.CommitOutcomeUnknown: "the commit's outcome is unknown: check before retrying",
    }
    return messages.get(kind, "database error")


def connect_message(kind: type[errors.DatabaseUnavailable], backend: Backend, url: URL) -> str:
    """Why a connection could not be made, naming the database and server, never the password."""
    if backend.name == "sqlite":
        # The path is not shown: it may carry names the operator keeps private.
        return message_for(kind, backend)
    where = f"{url.host or 'localhost'}" + (f":{url.port}" if url.port else "")
    if kind is errors.DatabaseNotFound:
        return f'the {backend.name} database "{url.database}" does not exist on {where}'
    if kind is errors.AuthenticationFailed:
        return f'the {backend.name} server at {where} refused the login of user "{url.username}"'
    if kind is errors.ServerUnreachable:
        return f"no {backend.name} server answers at {where}"
    return f"the {backend.name} database at {where} is unavailable"


def _build(info: ErrorInfo, context: ExceptionContext, backend: Backend) -> errors.StanchionError:
    kind = info.kind
    if not issubclass(kind, errors.ConstraintViolation):
        return kind(message_for(kind, backend))
    table = _target_table(context)
    constraint, fields = _describe_constraint(table, info)
    subject = f"a row in {table.name}" if table is not None else "a row"
    named = f" (constraint {constraint})" if constraint else ""
    listed = ", ".join(fields)
    if kind is errors.AlreadyExists:
        with_fields = f" with the same {listed}" if fields else ""
        message = f"{subject}{with_fields} already exists{named}"
    elif kind is errors.ForeignKeyViolation:
        on = f" on {listed}" if fields else ""
        message = f"{subject} violates a foreign key{on}{named}: a referenced row is missing"
        message += " or a referencing row exists"
    elif info.value_out_of_range:
        where = f" for {listed}" if fields else ""
        message = f"{subject} has a value too long or out of range{where}"
    elif kind is errors.CheckViolation and fields and not constraint:
        message = f"{subject} needs a value for {listed} (NOT NULL)"
    else:
        message = f"{subject} violates a check constraint{named}"
    return kind(
        message,
        constraint=constraint,
        table=table.name if table is not None else None,
        fields=fields,
    )


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
        return info.constraint, info.columns
    if info.primary_key:
        key = table.primary_key
        return (str(key.name) if key.name else None), tuple(c.name for c in key.columns)
    if info.constraint:
        for item in _named_column_sets(table):
            if item.name == info.constraint:
                return info.constraint, tuple(c.name for c in item.columns) or info.columns
        return info.constraint, info.columns
    if info.kind is errors.AlreadyExists and info.columns:
        # SQLite names only the columns: find the constraint over exactly those.
        for item in _named_column_sets(table):
            if item.name and tuple(c.name for c in item.columns) == info.columns:
                return str(item.name), info.columns
    return None, info.columns


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
