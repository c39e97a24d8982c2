"""Column rules: NOT NULL without a default, SET NOT NULL with a scan, type changes."""

from __future__ import annotations

import re

from stanchion.migrations.lint.findings import Rule
from stanchion.migrations.lint.statements import Statement

_ADD_COLUMN = r"^ALTER TABLE .* ADD (COLUMN )?"
_NOT_A_COLUMN = r"(CONSTRAINT|INDEX|KEY|UNIQUE|PRIMARY|FOREIGN|CHECK|FULLTEXT|SPATIAL)\b"


def _adds_not_null_without_default(statement: Statement) -> bool:
    if not statement.on_existing_table or not statement.has(_ADD_COLUMN):
        return False
    added = re.split(r"\bADD (?:COLUMN )?", statement.upper, maxsplit=1)[1]
    if re.match(_NOT_A_COLUMN, added):
        return False
    return "NOT NULL" in added and " DEFAULT " not in f" {added} " and "IDENTITY" not in added


ADD_NOT_NULL_COLUMN = Rule(
    id="add-not-null-column",
    title="NOT NULL column without a default on an existing table",
    checks={"postgresql": _adds_not_null_without_default, "mysql": _adds_not_null_without_default},
    why={
        "postgresql": "fails on a table with rows, and the code still running during the deploy "
        "does not set the column, so its INSERTs fail",
        "mysql": "existing rows get an implicit 0/'' value, and the code still running during "
        "the deploy does not set the column, so its INSERTs fail in strict mode",
    },
    safe={
        "postgresql": "add it with server_default=... (instant since PostgreSQL 11), or nullable, "
        "backfill in batches, then op.set_not_null(table, column)",
        "mysql": "add it with server_default=... (instant on MySQL 8 / MariaDB 10.3+), or "
        "nullable, backfill, then op.set_not_null(table, column, existing_type=...)",
    },
)


def _sets_not_null_with_scan(statement: Statement) -> bool:
    if not statement.on_existing_table or not statement.has(r"ALTER COLUMN \S+ SET NOT NULL"):
        return False
    # op.set_not_null runs it outside the migration transaction, after a validated CHECK.
    return statement.in_transaction


SET_NOT_NULL = Rule(
    id="set-not-null",
    title="SET NOT NULL scanning the table under an exclusive lock",
    checks={"postgresql": _sets_not_null_with_scan},
    why={
        "postgresql": "ALTER COLUMN ... SET NOT NULL reads the whole table while holding ACCESS "
        "EXCLUSIVE: every read and write waits",
    },
    safe={
        "postgresql": "op.set_not_null(table, column): CHECK (column IS NOT NULL) NOT VALID, "
        "VALIDATE, SET NOT NULL (which then skips the scan), drop the CHECK",
    },
)

_PG_TYPE = r"ALTER COLUMN \S+ (SET DATA )?TYPE "
_MYSQL_REDEFINE = r"^ALTER TABLE \S+ (MODIFY|CHANGE) "


def _pg_type_change(statement: Statement) -> bool:
    return statement.on_existing_table and statement.has(_PG_TYPE)


def _mysql_redefinition(statement: Statement) -> bool:
    # With LOCK=NONE the server refuses (instead of copying the table) when it cannot comply.
    return (
        statement.on_existing_table
        and statement.has(_MYSQL_REDEFINE)
        and not statement.has(r"\bLOCK\s*=?\s*NONE\b")
    )


COLUMN_TYPE_CHANGE = Rule(
    id="column-type-change",
    title="column type change",
    checks={"postgresql": _pg_type_change, "mysql": _mysql_redefinition},
    why={
        "postgresql": "most type changes rewrite the table and its indexes under ACCESS "
        "EXCLUSIVE, and the running code may not read the new type",
        "mysql": "redefining a column (type, NOT NULL, enum values other than appended ones) "
        "may copy the table, blocking writes for its whole duration",
    },
    safe={
        "postgresql": "expand and contract: add a new column, write both, backfill, switch "
        "reads, drop the old column in a later release (widening a VARCHAR is instant: allow it)",
        "mysql": "append ', ALGORITHM=INPLACE, LOCK=NONE' (op.set_not_null does) so the server "
        "refuses rather than blocks; else expand and contract, or gh-ost/pt-online-schema-change",
    },
)

RULES = (ADD_NOT_NULL_COLUMN, SET_NOT_NULL, COLUMN_TYPE_CHANGE)
