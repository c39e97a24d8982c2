"""Constraint rules: a foreign key or CHECK that validates every row under lock."""

from __future__ import annotations

from stanchion.migrations.lint.findings import Rule
from stanchion.migrations.lint.statements import Statement

_ADD_FK_OR_CHECK = r"\bADD (CONSTRAINT \S+ )?(FOREIGN KEY|CHECK)\b"


def _pg_validating(statement: Statement) -> bool:
    return (
        statement.on_existing_table
        and statement.has(_ADD_FK_OR_CHECK)
        and not statement.has(r"\bNOT VALID\b")
    )


def _mysql_validating(statement: Statement) -> bool:
    if not statement.on_existing_table or not statement.has(_ADD_FK_OR_CHECK):
        return False
    # A foreign key added with foreign_key_checks off is built in place (no table copy).
    return statement.has(r"\bCHECK\b") or not statement.foreign_key_checks_off


CONSTRAINT_NOT_VALID = Rule(
    id="constraint-not-valid",
    title="foreign key or CHECK added without NOT VALID",
    checks={"postgresql": _pg_validating, "mysql": _mysql_validating},
    why={
        "postgresql": "adding a validated constraint scans the whole table while holding a lock "
        "that blocks writes (and, for a foreign key, the referenced table too)",
        "mysql": "with foreign_key_checks on, adding a foreign key copies the table; adding a "
        "CHECK always copies it and validates every row, blocking writes",
    },
    safe={
        "postgresql": "op.create_foreign_key_not_valid(...) or op.create_check_constraint(..., "
        "postgresql_not_valid=True), then op.validate_constraint(name, table)",
        "mysql": "op.create_foreign_key_not_valid(...) (built in place with checks off: verify "
        "orphans yourself); for a CHECK there is no online form: allow it on small tables",
    },
)

RULES = (CONSTRAINT_NOT_VALID,)
