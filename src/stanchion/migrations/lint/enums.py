"""Enum rules: PostgreSQL enum types changed inside the migration's transaction."""

from __future__ import annotations

from stanchion.migrations.lint.findings import Rule
from stanchion.migrations.lint.statements import Statement


def _enum_in_transaction(statement: Statement) -> bool:
    return statement.has(r"^ALTER TYPE \S+ (ADD|RENAME) VALUE\b") and statement.in_transaction


ENUM_IN_TRANSACTION = Rule(
    id="enum-in-transaction",
    title="enum value changed inside a transaction",
    checks={"postgresql": _enum_in_transaction},
    why={
        "postgresql": "a value added in a transaction cannot be used until it commits (and "
        "PostgreSQL before 12 refuses ALTER TYPE ... ADD VALUE in a transaction at all)",
    },
    safe={
        "postgresql": "op.add_enum_value(enum_name, value): ADD VALUE IF NOT EXISTS in an "
        "autocommit block; on MySQL enums are column types (see column-type-change)",
    },
)

RULES = (ENUM_IN_TRANSACTION,)
