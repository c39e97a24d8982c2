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
    │   ├── DatabaseNotFound         the server answers but has no such database (PG 3D000, 1049)
    │   ├── AuthenticationFailed     wrong user or password (PG 28P01 / 28000, MySQL 1045)
    │   ├── ServerUnreachable        no server answers at that host and port (refused, timeout)
    │   └── ConnectionLost           an open connection dropped (server restart, terminate, network)
    │       └── PrimaryLost          the server turned read-only (failover): 25006, 1290/1792
    ├── LazyLoadError                an unloaded relationship was touched
    ├── TransactionError
    │   ├── RetryExhausted           retries ran out (``last_error`` holds the last failure)
    │   ├── CommitOutcomeUnknown     the connection died after COMMIT was sent
    │   └── TransactionAlreadyOpen   ``run`` was called inside an open transaction
    ├── DatabaseError                a failure with no more specific meaning (unclassified
    │                                driver errors stay SQLAlchemy's DBAPIError: see docs)
    ├── ConfigurationError           stanchion is set up wrong (unsupported URL, bad settings)
    │   ├── MigrationConfigError     missing ``[tool.stanchion]``, bad metadata import path
    │   └── UnsupportedByPooler      a session feature (LISTEN, advisory lock) through PgBouncer
    └── MigrationError               migrations cannot run as asked (``stanchion.migrations``)
        └── MigrationConfigError     (also a ConfigurationError)

Driver errors are translated once, at the engine boundary (see ``stanchion.engine._translate``),
by SQLSTATE or errno, and kept as ``__cause__``. Messages never carry SQL, parameters or passwords.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class StanchionError(Exception):
    """Base of every error stanchion raises."""

    #: Seconds after which a retry may succeed (used for HTTP Retry-After), when known.
    retry_after: float | None = None
    #: What the person running the program can do about it (the CLIs print it under the error).
    hint: str | None = None

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle as (class, message args, attributes), without calling ``__init__`` again.

        Subclasses take other arguments than the message they store (``NotFound(model,
        identity)``), so the default ``cls(*args)`` would fail or build a different message;
        errors cross process boundaries (multiprocessing, task queues) and must survive that.
        """
        return (_restore, (type(self), self.args), self.__dict__ or None)


def _restore(cls: type[StanchionError], args: tuple[Any, ...]) -> StanchionError:
    """Rebuild a pickled error: its message args are set, its attributes follow as state."""
    return cls.__new__(cls, *args)


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
    hint = "check that the database server in the URL is running and accepts connections"


class DatabaseNotFound(DatabaseUnavailable):
    """The server answered, but the database named in the URL does not exist (or, for SQLite,
    its file cannot be opened)."""

    hint = "create the database (or its directory), or point the URL at one that exists"


class AuthenticationFailed(DatabaseUnavailable):
    """The server refused the login: unknown user or wrong password."""

    hint = "check the user name and password in the database URL"


class ServerUnreachable(DatabaseUnavailable):
    """No database server answered at the URL's host and port (refused, unknown host, timeout)."""

    hint = "start the database server, or check the host and port in the database URL"


class ConnectionLost(DatabaseUnavailable):
    """An established connection dropped mid-transaction: the server rolled that transaction back.

    Safe to retry the whole transaction, unless it happened during COMMIT (see
    `CommitOutcomeUnknown`)."""


class PrimaryLost(ConnectionLost):
    """The server refused a write as read-only: it is no longer the primary (a failover).

    The pool's connections to it are dropped, so the next transaction reconnects to the URL's
    read-write host; safe to retry the whole transaction, like any lost connection."""


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


class ConfigurationError(StanchionError):
    """Stanchion is configured in a way it cannot work with: fix the settings, not the request."""

    hint = "check the database URL (DATABASE_URL), e.g. postgresql://user:password@host:5432/name"


class UnsupportedByPooler(ConfigurationError):
    """A session feature (LISTEN, session advisory locks, session SET, WITH HOLD cursors) was
    asked of a connection through a transaction-mode pooler, where it would misbehave."""

    hint = "use the direct URL (DATABASE_DIRECT_URL) for work that needs its own session"


class MigrationError(StanchionError):
    """Migrations cannot run as asked: unknown revision, several heads, a failed step."""


class MigrationConfigError(MigrationError, ConfigurationError):
    """The migrations are not configured well enough to run (pyproject section, import path)."""

    hint = "run `stanchion db init`, or pass --config with the project's pyproject.toml"
