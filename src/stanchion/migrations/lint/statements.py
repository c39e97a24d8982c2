"""Offline SQL of a migration run, split into statements that know their surroundings.

Each statement records whether a transaction is open, whether a lock timeout is in effect, and
which tables its own revision created (changing a brand-new table cannot block anyone).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_IDENT = r'[`"]?([\w$]+)[`"]?(?:\.[`"]?([\w$]+)[`"]?)?'
_RUNNING = re.compile(r"^-- Running upgrade .*-> (\S+)$", re.MULTILINE)
_CREATE_TABLE = re.compile(rf"^CREATE TABLE (?:IF NOT EXISTS )?{_IDENT}", re.IGNORECASE)
_ALTER_TABLE = re.compile(rf"^ALTER TABLE (?:ONLY )?(?:IF EXISTS )?{_IDENT}", re.IGNORECASE)
_INDEX_ON = re.compile(rf"\bON (?:ONLY )?{_IDENT}", re.IGNORECASE)
_FK_CHECKS = re.compile(r"^SET (?:SESSION )?foreign_key_checks\s*=\s*(\w+)", re.IGNORECASE)
_LOCK_TIMEOUT = re.compile(
    r"^SET (?:SESSION |LOCAL )?(?:lock_timeout|lock_wait_timeout)\s*(?:=|TO)\s*'?(\w+)'?",
    re.IGNORECASE,
)


@dataclass
class Statement:
    """One SQL statement of a revision's offline script, with the state it runs in."""

    sql: str
    upper: str
    in_transaction: bool
    lock_timeout: bool
    table: str | None
    new_tables: frozenset[str] = field(default_factory=frozenset)
    foreign_key_checks_off: bool = False

    @property
    def on_existing_table(self) -> bool:
        """True when the statement touches a table that existed before this revision."""
        return self.table is not None and self.table not in self.new_tables

    def has(self, pattern: str) -> bool:
        """Whether the upper-cased, whitespace-collapsed statement matches `pattern`."""
        return re.search(pattern, self.upper) is not None


@dataclass
class RevisionSQL:
    """The statements one revision's upgrade runs."""

    revision: str
    statements: list[Statement]


def split_revisions(script: str) -> list[RevisionSQL]:
    """Cut an offline upgrade script at Alembic's ``-- Running upgrade`` markers."""
    in_transaction = False
    lock_timeout = False
    fk_checks_off = False
    revisions: list[RevisionSQL] = []
    new_tables: set[str] = set()
    current: RevisionSQL | None = None
    for raw in _chunks(script):
        marker = _RUNNING.match(raw)
        if marker:
            current = RevisionSQL(marker.group(1), [])
            revisions.append(current)
            new_tables = set()
            continue
        sql = "\n".join(line for line in raw.splitlines() if not line.startswith("--")).strip()
        if not sql:
            continue
        upper = " ".join(sql.upper().split())
        if upper in ("BEGIN", "START TRANSACTION"):
            in_transaction = True
            continue
        if upper in ("COMMIT", "ROLLBACK"):
            in_transaction = False
            continue
        timeout = _LOCK_TIMEOUT.match(sql)
        if timeout:
            lock_timeout = timeout.group(1).strip("'").lower() not in ("0", "default")
            continue
        fk_checks = _FK_CHECKS.match(sql)
        if fk_checks:
            fk_checks_off = fk_checks.group(1).lower() in ("0", "off", "false")
            continue
        if upper.startswith("RESET LOCK_TIMEOUT"):
            lock_timeout = False
            continue
        table = _table_of(sql)
        if upper.startswith("CREATE TABLE") and table:
            new_tables.add(table)
        if current is None:
            continue
        current.statements.append(
            Statement(
                sql,
                upper,
                in_transaction,
                lock_timeout,
                table,
                frozenset(new_tables),
                fk_checks_off,
            )
        )
    return revisions


def _chunks(script: str) -> list[str]:
    # Alembic writes each statement followed by a blank line; markers are comment lines.
    parts: list[str] = []
    for block in re.split(r";\s*\n\s*\n|\n\s*\n", script):
        block = block.strip().rstrip(";").strip()
        if block:
            parts.append(block)
    return parts


def _table_of(sql: str) -> str | None:
    for pattern in (_CREATE_TABLE, _ALTER_TABLE):
        match = pattern.match(sql)
        if match:
            return (match.group(2) or match.group(1)).lower()
    upper = sql.upper()
    if upper.startswith(("CREATE INDEX", "CREATE UNIQUE INDEX", "DROP INDEX")):
        match = _INDEX_ON.search(sql)
        if match:
            return (match.group(2) or match.group(1)).lower()
        return "?"  # PostgreSQL's DROP INDEX names no table: assume an existing one
    match = re.match(rf"^DROP TABLE (?:IF EXISTS )?{_IDENT}", sql, re.IGNORECASE)
    if match:
        return (match.group(2) or match.group(1)).lower()
    return None
