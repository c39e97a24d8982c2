"""Typed errors: every database failure a caller can meet, in words, with the driver error kept.

The tree::

    StanchionError
    ├── NotFound                     no row matched get_one / update / delete
    ├── InvalidQuery (ValueError)    a filter, sort, cursor or field that is not allowed
    ├── ConstraintViolation          the database refused a write
    │   ├── AlreadyExists            unique / primary key (names the constraint and its fields)
    │   ├── ForeignKeyViolation      a referenced row is missing, or a referencing row exists
    │   └── CheckViolation           CHECK, NOT NULL, or a value too long / out of range
    ├── StaleData                    optimistic version conflict
    ├── TransientError               safe to retry the whole transaction
    │   ├── SerializationFailure     PG 40001, MariaDB 1020
    │   └── Deadlock                 PG 40P01, MySQL 1213 / 1205, SQLite BUSY
    ├── QueryTimeout                 statement_timeout / lock_timeout / max_execution_time
    ├── DatabaseUnavailable          pool timeout, connection refused or lost
    │   └── ConnectionLost           an open connection dropped (server restart, terminate, network)
    ├── LazyLoadError                an unloaded relationship was touched
    ├── TransactionError
    │   ├── RetryExhausted           retries ran out (``last_error`` holds the last failure)
    │   ├── CommitOutcomeUnknown     the connection died after COMMIT was sent
    │   └── TransactionAlreadyOpen   ``run`` was called inside an open transaction
    ├── DatabaseError                anything else the driver raised
    └── MigrationError               migrations cannot run as asked (``stanchion.migrations``)
        └── MigrationConfigError     missing ``[tool.stanchion]``, bad metadata import path

Driver errors are translated once, at the engine boundary (see ``stanchion.database._translate``),
by SQLSTATE or errno, and kept as ``__cause__``. Messages never carry SQL, parameters or passwords.
"""

from __future__ import annotations

from collections.abc import Sequence


class StanchionError(Exception):
    """Base of every error stanchion raises."""

    #: Seconds after which a retry may succeed (used for HTTP Retry-After), when known.
    retry_after: float | None = None


class NotFound(StanchionError, LookupError):
    """No row matched: ``get_one``, ``update`` or ``delete`` of a missing identity."""

    def __init__(self, model: str, identity: object | None = None) -> None:
        self.model = model
        self.identity = identity
        where = "" if identity is None else f" with identity {identity!r}"
        super().__init__(f"{model}{where} was not found")


class InvalidQuery(StanchionError, ValueError):
    """A filter, sort field, operator, cursor or value that the caller may not use."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.field = field
        super().__init__(message)


class ConstraintViolation(StanchionError):
    """The database refused a write because of a constraint."""

    def __init__(
        self,
        message: str,
        *,
        constraint: str | None = None,
        table: str | None = None,
        fields: Sequence[str] = (),
    ) -> None:
        self.constraint = constraint
        self.table = table
        self.fields = tuple(fields)
        super().__init__(message)


class AlreadyExists(ConstraintViolation):
    """A unique or primary-key constraint was violated."""


class ForeignKeyViolation(ConstraintViolation):
    """A referenced row is missing, or a row still references the one being deleted."""


class CheckViolation(ConstraintViolation):
    """A CHECK or NOT NULL constraint was violated, or a value did not fit its column."""


class StaleData(StanchionError):
    """The row changed since it was read (its version column moved on)."""


class TransientError(StanchionError):
    """A failure that is safe to retry by re-running the whole transaction."""


class SerializationFailure(TransientError):
    """The database could not serialise this transaction with a concurrent one."""


class Deadlock(TransientError):
    """The transaction was chosen as a deadlock victim or timed out waiting for a lock."""


class QueryTimeout(StanchionError):
    """A statement ran past its time limit and was cancelled by the server."""


class DatabaseUnavailable(StanchionError):
    """The database cannot be reached: pool exhausted, connection refused or lost."""

    retry_after = 1.0


class ConnectionLost(DatabaseUnavailable):
    """An established connection dropped mid-transaction: the server rolled that transaction back.

    Safe to retry the whole transaction, unless it happened during COMMIT (see
    `CommitOutcomeUnknown`)."""


class LazyLoadError(StanchionError, AttributeError):
    """An unloaded relationship was touched; the message names the loader option that fixes it."""


class TransactionError(StanchionError):
    """A transaction could not be carried out as asked."""


class RetryExhausted(TransactionError):
    """Every attempt failed with a retryable error; ``last_error`` is the final one."""

    def __init__(self, attempts: int, last_error: BaseException) -> None:
        self.attempts = attempts
        self.last_error = last_error
        super().__init__(f"gave up after {attempts} attempts: {last_error}")


class CommitOutcomeUnknown(TransactionError):
    """The connection was lost after COMMIT was sent: the work may or may not be saved."""


class TransactionAlreadyOpen(TransactionError):
    """A retrying unit of work was started inside an already open transaction."""


class DatabaseError(StanchionError):
    """A database failure with no more specific meaning."""


class MigrationError(StanchionError):
    """Migrations cannot run as asked: unknown revision, several heads, a failed step."""


class MigrationConfigError(MigrationError):
    """The migrations are not configured well enough to run (pyproject section, import path)."""
