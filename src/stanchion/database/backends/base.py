"""What a backend profile answers: connect settings, error meanings, upsert, bulk load, locks.

The rest of stanchion asks the profile; nothing else looks at ``dialect.name``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from sqlalchemy import Table, create_engine, insert, pool
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.dml import Insert

from stanchion import errors
from stanchion.database.settings import DatabaseSettings


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    """What a driver error means, read from its code: the stanchion class, and where the
    database says so, the constraint's name, the columns involved, or that it is the key."""

    kind: type[errors.StanchionError]
    constraint: str | None = None
    columns: tuple[str, ...] = ()
    primary_key: bool = False
    #: Set when a value does not fit its column (too long, out of range) rather than a constraint.
    value_out_of_range: bool = False


class Backend:
    """A database's production defaults and dialect differences. Subclass per backend."""

    name: ClassVar[str] = "generic"
    #: Whether ``SELECT ... FOR UPDATE [SKIP LOCKED]`` locks rows on this backend.
    supports_row_locks: ClassVar[bool] = True
    supports_skip_locked: ClassVar[bool] = True
    #: Most bind parameters one statement may carry (multi-row VALUES are chunked below it).
    max_bind_params: ClassVar[int] = 30_000

    def engine_options(self, url: URL, settings: DatabaseSettings) -> dict[str, Any]:
        """Keyword arguments for ``create_engine`` besides the URL."""
        return {
            "pool_size": settings.pool_size,
            "max_overflow": settings.max_overflow,
            "pool_timeout": settings.pool_timeout,
            "pool_recycle": settings.pool_recycle,
            "pool_use_lifo": settings.pool_use_lifo,
            "pool_pre_ping": settings.pool_pre_ping,
        }

    def install(self, engine: Engine, settings: DatabaseSettings) -> None:
        """Attach connect-time and begin-time hooks to the (sync) engine."""

    def transaction_options(
        self, *, isolation_level: str | None, read_only: bool
    ) -> dict[str, Any]:
        """Execution options that start a transaction at `isolation_level`, optionally read-only."""
        options: dict[str, Any] = {}
        if isolation_level is not None:
            options["isolation_level"] = isolation_level
        return options

    def classify(self, orig: BaseException) -> ErrorInfo | None:
        """Map a driver exception to its stanchion meaning, or None when it has none."""
        return None

    def error_codes(self) -> Mapping[Any, type[errors.StanchionError]]:
        """Every SQLSTATE / errno / result code `classify` knows, with its stanchion error."""
        return {}

    def is_retryable(self, error: BaseException) -> bool:
        """Whether re-running the whole transaction after `error` is known to be safe.

        Translated errors say so by type (`TransientError`); an untranslated driver error is
        classified here by its code."""
        if isinstance(error, errors.TransientError):
            return True
        if isinstance(error, DBAPIError) and error.orig is not None:
            info = self.classify(error.orig)
            return info is not None and issubclass(info.kind, errors.TransientError)
        return False

    def upsert(
        self,
        table: Table,
        rows: Sequence[Mapping[str, Any]],
        conflict_columns: Sequence[str],
        update_columns: Sequence[str],
        *,
        also_set: Mapping[str, Any] | None = None,
    ) -> Insert:
        """One INSERT statement that updates `update_columns` when `conflict_columns` collide.

        `also_set` holds SQL expressions written only when a row is updated (``updated_at``,
        ``version + 1``); with no `update_columns` a collision leaves the row untouched.
        """
        raise NotImplementedError(f"{self.name} has no native upsert")

    def bulk_insert(
        self,
        connection: Connection,
        table: Table,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
    ) -> int:
        """Insert `rows` (value tuples in `columns` order) as fast as the driver allows.

        Returns the number of rows. Generic path: one executemany through SQLAlchemy, which
        batches multi-row INSERTs and applies each column type's conversions.
        """
        if rows:
            connection.execute(
                insert(table), [dict(zip(columns, row, strict=True)) for row in rows]
            )
        return len(rows)

    def upsert_rows_per_statement(self, table: Table, columns: Sequence[str], extra: int) -> int:
        """How many rows of `columns` one upsert statement may carry (`extra` more parameters)."""
        return max(1, (self.max_bind_params - extra) // max(1, len(columns)))

    # -- migrations (used by stanchion.migrations) ------------------------------------------------

    #: Tables can only be altered by copy-and-move (Alembic's batch mode).
    migration_batch_mode: ClassVar[bool] = False
    #: Online index builds must run outside a transaction (PostgreSQL's CONCURRENTLY).
    online_ddl_needs_autocommit: ClassVar[bool] = False
    #: Dialect options that make ``CREATE/DROP INDEX`` online.
    online_index_options: ClassVar[dict[str, Any]] = {}
    #: Options that make index DDL refuse a locking build (MySQL's ``ALGORITHM``/``LOCK``).
    online_ddl_options: ClassVar[tuple[str, ...]] = ()
    #: Enum types exist apart from tables (PostgreSQL ``CREATE TYPE``) and must be dropped.
    has_enum_types: ClassVar[bool] = False
    #: Constraints can be added without checking existing rows (``NOT VALID``).
    supports_not_valid: ClassVar[bool] = False
    #: Statements around adding a foreign key so it is built in place (before, after).
    unchecked_constraint_sql: ClassVar[tuple[str, ...]] = ()

    def lock_timeout_sql(self, timeout_ms: int) -> list[str]:
        """Statements that make DDL give up after `timeout_ms` waiting for a lock."""
        return []

    def reset_lock_timeout_sql(self) -> list[str]:
        """Statements that restore the session's own lock timeout after migrating."""
        return []

    def begin_migrations(self, connection: Connection, lock_timeout_ms: int | None) -> None:
        """Prepare `connection` for running migrations (lock timeout, pragmas)."""
        for statement in self.lock_timeout_sql(lock_timeout_ms) if lock_timeout_ms else ():
            connection.exec_driver_sql(statement)

    def end_migrations(self, connection: Connection, lock_timeout_ms: int | None) -> None:
        """Undo `begin_migrations` so a pooled connection goes back as it came."""
        for statement in self.reset_lock_timeout_sql() if lock_timeout_ms else ():
            connection.exec_driver_sql(statement)

    def enum_type_names(self, connection: Connection) -> list[str]:
        """Names of the enum types that exist apart from tables (none on most databases)."""
        return []

    def scratch_url(self, url: URL, suffix: str) -> URL:
        """A URL for a throwaway database next to `url`'s (used by ``stanchion db check``)."""
        return url.set(database=f"{url.database}_{suffix}")

    def sibling_url(self, url: URL, suffix: str) -> URL:
        """The URL of the database named like `url`'s plus `suffix` (a test worker's copy)."""
        return url.set(database=f"{url.database}_{suffix}")

    def create_database(self, url: URL) -> None:
        """Create the (empty) database `url` names."""
        raise NotImplementedError(f"stanchion cannot create {self.name} databases")

    def drop_database(self, url: URL) -> None:
        """Drop the database `url` names, if it exists."""
        raise NotImplementedError(f"stanchion cannot drop {self.name} databases")

    #: Whether `clone_database` can copy a database faster than building its schema again.
    can_clone: ClassVar[bool] = False

    def clone_database(self, source: URL, target: URL) -> None:
        """Create `target` as a copy of `source` (schema and rows); `target` must not exist."""
        raise NotImplementedError(f"stanchion cannot clone {self.name} databases")


def admin_execute(url: URL, statement: str) -> None:
    """Run one statement outside any transaction on a short-lived connection to `url`."""
    engine = create_engine(url, poolclass=pool.NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql(statement)
    finally:
        engine.dispose()


def sql_literal_ms(value: int) -> str:
    """A millisecond setting as a server literal, validated as an integer first."""
    return f"{int(value)}ms"
