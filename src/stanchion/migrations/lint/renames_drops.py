"""Rename and drop rules: changes the code still running during a deploy cannot survive."""

from __future__ import annotations

from stanchion.migrations.lint.findings import Rule
from stanchion.migrations.lint.statements import Statement

_NOT_A_COLUMN = "INDEX|KEY|CONSTRAINT|FOREIGN|CHECK|PRIMARY|DEFAULT|NOT|IDENTITY|EXPRESSION"
_DROP_COLUMN = rf"\bDROP (COLUMN )?(?!{_NOT_A_COLUMN})\S+"


def _renames(statement: Statement) -> bool:
    if not statement.on_existing_table:
        return False
    if statement.has(r"\bCHANGE (COLUMN )?(\S+) (\S+) "):
        # MySQL CHANGE keeps the name when both names are equal: only a type change.
        words = statement.upper.split(" CHANGE ", 1)[1].removeprefix("COLUMN ").split()
        return len(words) > 1 and words[0] != words[1]
    return statement.has(r"\bRENAME\b")


def _drops(statement: Statement) -> bool:
    if statement.has(r"^DROP TABLE "):
        return statement.on_existing_table
    return statement.on_existing_table and statement.has(_DROP_COLUMN)


_WHY_RENAME = (
    "the code still running during the deploy uses the old name and fails until it is replaced"
)
_SAFE_RENAME = (
    "expand and contract: add the new column (or a view for a table), write both, backfill, "
    "switch reads, then drop the old one in a later release"
)
_WHY_DROP = "the code still running during the deploy (and any rollback) still reads it"
_SAFE_DROP = (
    "first release code that no longer uses it, then drop it in a later revision with "
    "'# stanchion: allow drop -- <why it is unused>'"
)

RENAME = Rule(
    id="rename",
    title="table or column rename",
    checks={"postgresql": _renames, "mysql": _renames},
    why={"postgresql": _WHY_RENAME, "mysql": _WHY_RENAME},
    safe={"postgresql": _SAFE_RENAME, "mysql": _SAFE_RENAME},
)

DROP = Rule(
    id="drop",
    title="table or column drop",
    checks={"postgresql": _drops, "mysql": _drops},
    why={"postgresql": _WHY_DROP, "mysql": _WHY_DROP},
    safe={"postgresql": _SAFE_DROP, "mysql": _SAFE_DROP},
)

RULES = (RENAME, DROP)
