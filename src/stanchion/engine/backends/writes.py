"""The writes facet: how rows go in fastest and safely — upsert, bulk load, row locks.

Repositories ask it for one native upsert statement (never read-then-write), for the fastest
bulk load the driver offers, for how many rows one statement may carry, and whether
``FOR UPDATE [SKIP LOCKED]`` means anything on this database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from sqlalchemy import Table, insert
from sqlalchemy.engine import Connection
from sqlalchemy.sql.dml import Insert, ValuesBase


class Writes:
    """Writes on a database with no native upsert: plain executemany, row locks assumed."""

    #: Whether ``SELECT ... FOR UPDATE [SKIP LOCKED]`` locks rows on this backend.
    supports_row_locks: ClassVar[bool] = True
    supports_skip_locked: ClassVar[bool] = True
    #: Upserts run as one single-row statement with many parameter sets (the driver's
    #: executemany) instead of rows bound into the statement (`upsert` gets ``rows=None``).
    upsert_executemany: ClassVar[bool] = False
    #: Whether the driver's executemany takes parameters anywhere in the statement; PyMySQL
    #: and asyncmy bind only the VALUES row (an upsert's bound ``SET`` values need a chunk).
    executemany_binds_anywhere: ClassVar[bool] = True
    #: Most bind parameters one statement may carry (multi-row VALUES are chunked below it).
    max_bind_params: ClassVar[int] = 30_000

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
        raise NotImplementedError("this database has no native upsert")

    def bulk_insert(
        self,
        connection: Connection,
        table: Table,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
    ) -> int:
        """Insert `rows` (value tuples in `columns` order) as fast as the driver allows.

        Returns the number of rows. Generic path: the INSERT compiled once and the rows handed
        to the driver's own executemany (`executemany`).
        """
        if rows:
            executemany(connection, insert(table), table, columns, rows)
        return len(rows)

    def upsert_rows_per_statement(self, table: Table, columns: Sequence[str], extra: int) -> int:
        """How many rows of `columns` one upsert statement may carry (`extra` more parameters)."""
        return max(1, (self.max_bind_params - extra) // max(1, len(columns)))


def executemany(
    connection: Connection,
    statement: ValuesBase,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
) -> None:
    """Run `statement` (an INSERT taking `columns` of `table` as its values) once per row, by
    the driver's own executemany.

    SQLAlchemy's executemany builds and processes a parameter set per row in Python; here the
    statement is compiled once, each column type's bind conversion is applied only where the
    type has one (JSON, UTC datetimes, enums), and the driver gets plain tuples. Parameters the
    statement binds itself (an upsert's ``updated_at``) repeat in every row.
    """
    dialect = connection.dialect
    compiled = statement.compile(dialect=dialect, column_keys=list(columns))
    index = {name: i for i, name in enumerate(columns)}
    picks: list[tuple[int | None, Any, Any]] = []  # (row position or None, constant, convert)
    names = compiled.positiontup if compiled.positional else list(compiled.binds)
    for name in names or ():
        bind = compiled.binds[name]
        convert = bind.type.dialect_impl(dialect).bind_processor(dialect)
        picks.append((index.get(name), compiled.params.get(name), convert))
    direct = len(picks) == len(columns) and all(
        position == i and convert is None for i, (position, _, convert) in enumerate(picks)
    )
    parameters: Sequence[Any] = (
        rows
        if direct  # the rows as they are: already in the statement's order, nothing to convert
        else [
            tuple(
                (row[position] if position is not None else constant)
                if convert is None
                else convert(row[position] if position is not None else constant)
                for position, constant, convert in picks
            )
            for row in rows
        ]
    )
    if not compiled.positional:
        keys = list(names or ())
        parameters = [dict(zip(keys, values, strict=True)) for values in parameters]
    connection.exec_driver_sql(compiled.string, parameters)
