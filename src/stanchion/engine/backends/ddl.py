"""The DDL facet: how a database changes its schema without stopping the application.

Migrations ask it for the statements of each safe operation (an index built online, a foreign
key added without a scan, NOT NULL without a long lock, an enum value added) and for how a
migration session starts and ends. It writes the SQL; the migrations only run what it returns.
The generic answers here are the plain forms; a backend overrides what it does better.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from sqlalchemy import ForeignKeyConstraint, Index
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.schema import ExecutableDDLElement

Statement = str | ExecutableDDLElement


@dataclass(frozen=True, slots=True)
class Steps:
    """The statements of one schema change, in order, and whether they must run outside the
    migration's transaction (PostgreSQL's CONCURRENTLY and new enum values need that)."""

    statements: tuple[Statement, ...] = ()
    outside_transaction: bool = False


class DDL:
    """Schema changes on a database that has no online forms: every answer is the plain one."""

    #: Tables are altered by copy-and-move (Alembic's batch mode), not ``ALTER TABLE``.
    rebuilds_tables: ClassVar[bool] = False
    #: Enum types exist apart from tables (PostgreSQL ``CREATE TYPE``) and must be dropped.
    has_enum_types: ClassVar[bool] = False

    def create_index_online(self, index: Index, dialect: Dialect) -> Steps | None:
        """Statements that build `index` without blocking writes to its table, or None where
        the plain ``CREATE INDEX`` is all there is. `index` is built for this call."""
        return None

    def drop_index_online(self, index: Index, dialect: Dialect) -> Steps | None:
        """Statements that drop `index` without blocking its table, or None (plain DROP)."""
        return None

    def add_foreign_key_unchecked(
        self, constraint: ForeignKeyConstraint, dialect: Dialect
    ) -> Steps | None:
        """Statements that add `constraint` without checking the rows already there under a
        lock (check them later with `validate_constraint`), or None (plain ADD CONSTRAINT)."""
        return None

    def validate_constraint(
        self, table: str, constraint: str, schema: str | None, dialect: Dialect
    ) -> Steps:
        """Statements that check existing rows against a constraint added unchecked (none
        where constraints are always checked as they are added)."""
        return Steps()

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
        """Statements that make `column` NOT NULL without a long exclusive lock, or None
        where the plain ``ALTER COLUMN`` (which needs `existing_type`) is all there is."""
        return None

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
        """Statements that add `value` to the enum type `enum` (none where enums are column
        types: change the column instead)."""
        return Steps()

    def drop_enum(self, enum: str, schema: str | None, dialect: Dialect) -> Steps:
        """Statements that drop the enum type `enum` if it exists (none without enum types)."""
        return Steps()

    def enum_type_names(self, connection: Connection) -> list[str]:
        """Names of the enum types that exist apart from tables (none on most databases)."""
        return []

    # -- the migration session -----------------------------------------------------------------

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


def quote(dialect: Dialect, name: str) -> str:
    """`name` quoted as an identifier of `dialect`."""
    return dialect.identifier_preparer.quote(name)


def qualified(dialect: Dialect, name: str, schema: str | None) -> str:
    """`name` (a table or type), quoted and prefixed with its quoted `schema` when given."""
    return f"{quote(dialect, schema)}.{quote(dialect, name)}" if schema else quote(dialect, name)


def sql_string(value: str) -> str:
    """`value` as a standard SQL string literal."""
    return "'" + value.replace("'", "''") + "'"
