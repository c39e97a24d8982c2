"""What a statement is, read from its SQL text once per distinct text: operation, table, summary.

SQLAlchemy hands cursor events the same compiled string for every run of a statement shape, so
the result is cached by that string; literals are masked so ``db.query.text`` carries no values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MAX_SHAPES = 2000

_COMMENTS = re.compile(r"/\*.*?\*/|--[^\n]*", re.S)
_FIRST_WORD = re.compile(r"\s*([A-Za-z]+)")
_NAME = r"[`\"\[]?([\w$]+)[`\"\]]?(?:\s*\.\s*[`\"\[]?([\w$]+)[`\"\]]?)?"
_TARGETS = {
    "SELECT": re.compile(r"\bFROM\s+" + _NAME, re.I),
    "WITH": re.compile(r"\bFROM\s+" + _NAME, re.I),
    "INSERT": re.compile(r"\bINTO\s+" + _NAME, re.I),
    "REPLACE": re.compile(r"\bINTO\s+" + _NAME, re.I),
    "UPDATE": re.compile(r"^\s*UPDATE\s+(?:ONLY\s+)?" + _NAME, re.I),
    "DELETE": re.compile(r"\bFROM\s+(?:ONLY\s+)?" + _NAME, re.I),
}
# Quoted string literals, then numbers that are not part of a name or a placeholder ($1, :p1).
_STRINGS = re.compile(r"'(?:[^']|'')*'")
_NUMBERS = re.compile(r"(?<![\w$:%.\"`])\d+(?:\.\d+)?\b")
_READS = frozenset({"SELECT", "WITH", "VALUES", "SHOW", "TABLE"})


def mask_literals(sql: str) -> str:
    """`sql` with its quoted strings and numbers replaced by ``?`` (values never leave)."""
    return _NUMBERS.sub("?", _STRINGS.sub("?", sql))


@dataclass(frozen=True, slots=True)
class Shape:
    """One statement text as telemetry names it."""

    operation: str | None
    collection: str | None
    text: str  # literals masked: safe to export
    summary: str  # the span name: ``SELECT t_books``
    reads: bool  # a plain read: its plan may be fetched


def shape_of(statement: str) -> Shape:
    """Read `statement`'s operation, main table and masked text."""
    bare = _COMMENTS.sub(" ", statement)
    match = _FIRST_WORD.match(bare)
    operation = match.group(1).upper() if match else None
    collection = None
    pattern = _TARGETS.get(operation or "")
    if pattern is not None:
        found = pattern.search(bare)
        if found:
            collection = found.group(2) or found.group(1)
    masked = mask_literals(statement)
    summary = " ".join(part for part in (operation, collection) if part) or "statement"
    reads = operation in _READS and not _writes_in_cte(bare)
    return Shape(operation, collection, masked, summary, reads)


def _writes_in_cte(bare: str) -> bool:
    """A ``WITH`` holding INSERT/UPDATE/DELETE writes (PostgreSQL data-modifying CTEs)."""
    return bool(re.search(r"\b(INSERT|UPDATE|DELETE|MERGE)\b", bare, re.I)) and bool(
        re.match(r"\s*WITH\b", bare, re.I)
    )


class ShapeCache:
    """`shape_of`, remembered per statement text (bounded: cleared when it grows too large)."""

    def __init__(self) -> None:
        self._shapes: dict[str, Shape] = {}

    def get(self, statement: str) -> Shape:
        shape = self._shapes.get(statement)
        if shape is None:
            if len(self._shapes) >= _MAX_SHAPES:
                self._shapes.clear()
            shape = self._shapes[statement] = shape_of(statement)
        return shape
