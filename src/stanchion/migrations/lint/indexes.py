"""Index rules: an index built or dropped while the table is locked."""

from __future__ import annotations

from stanchion.migrations.lint.findings import Rule
from stanchion.migrations.lint.statements import Statement

_CREATE = r"^CREATE (UNIQUE )?INDEX "
_MYSQL_ADD = r"^ALTER TABLE \S+ ADD (UNIQUE |FULLTEXT |SPATIAL )?(INDEX|KEY) "
_MYSQL_DROP = r"^ALTER TABLE \S+ DROP (INDEX|KEY) "


def _pg_blocking(statement: Statement) -> bool:
    if not statement.has(_CREATE) and not statement.has(r"^DROP INDEX "):
        return False
    if not statement.on_existing_table:
        return False
    # CONCURRENTLY inside a transaction block is refused by PostgreSQL: report it too.
    return not statement.has(r"\bCONCURRENTLY\b") or statement.in_transaction


def _mysql_blocking(statement: Statement) -> bool:
    touches_index = (
        statement.has(_CREATE)
        or statement.has(r"^DROP INDEX ")
        or statement.has(_MYSQL_ADD)
        or statement.has(_MYSQL_DROP)
    )
    if not touches_index or not statement.on_existing_table:
        return False
    return not statement.has(r"\bLOCK\s*=?\s*NONE\b")


BLOCKING_INDEX = Rule(
    id="blocking-index",
    title="index built or dropped without CONCURRENTLY / LOCK=NONE",
    checks={"postgresql": _pg_blocking, "mysql": _mysql_blocking},
    why={
        "postgresql": "CREATE/DROP INDEX without CONCURRENTLY blocks every write to the table "
        "until the index is built (minutes on a big table)",
        "mysql": "without LOCK=NONE the server may pick a locking algorithm silently; with it, "
        "the statement fails instead of blocking writes",
    },
    safe={
        "postgresql": "op.create_index_concurrently(name, table, columns) / "
        "op.drop_index_concurrently(name, table): CONCURRENTLY, outside the transaction",
        "mysql": "op.create_index_concurrently(name, table, columns) / "
        "op.drop_index_concurrently(name, table): ALGORITHM=INPLACE LOCK=NONE",
    },
)

RULES = (BLOCKING_INDEX,)
