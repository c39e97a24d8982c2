"""Lean reads: column SELECTs that return `Row`s, dataclasses or pydantic models, not entities.

Pure statement building for `Repository.row` / `row_one` / `rows` / `rows_page`. The statements
run on the session's connection, so there is no identity map, no ORM loading and no session
event: the soft-delete criteria the session would add are written into the statement here.
What a lean read returns is detached data, ready to serialize; to change a row, read it as an
entity (`get`, `list`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, select
from sqlalchemy.orm import Mapper

from stanchion.models.mixins import SoftDelete

#: A function turning one result row into the value a lean read returns.
Convert = Callable[[Row[Any]], Any]


@dataclasses.dataclass(frozen=True, slots=True)
class LeanShape:
    """The columns a lean read selects (by attribute name, in order) and how rows convert."""

    names: tuple[str, ...]
    convert: Convert | None  # None: the `Row` itself


_SHAPES: dict[tuple[type[Any], Any], LeanShape] = {}


def lean_shape(mapper: Mapper[Any], into: type[Any] | None) -> LeanShape:
    """What `into` (a dataclass, a pydantic model, or None for rows) needs from `mapper`'s
    columns, found once per pair; a field that is no column and has no default is a
    `TypeError` naming it."""
    key = (mapper.class_, into)
    found = _SHAPES.get(key)
    if found is None:
        found = _SHAPES[key] = _build_shape(mapper, into)
    return found


def _build_shape(mapper: Mapper[Any], into: type[Any] | None) -> LeanShape:
    if mapper.inherits is not None or mapper.polymorphic_on is not None:
        raise TypeError(
            f"{mapper.class_.__name__} uses inheritance: read it as entities (get, list)"
        )
    columns = [attr.key for attr in mapper.column_attrs]
    if into is None:
        return LeanShape(tuple(columns), None)
    wanted, optional = _fields_of(into)
    missing = [name for name in wanted if name not in columns and name not in optional]
    if missing:
        raise TypeError(
            f"{into.__name__} needs {', '.join(missing)}, which {mapper.class_.__name__} "
            "has no column for"
        )
    names = tuple(name for name in wanted if name in columns)
    make: Any = into
    if dataclasses.is_dataclass(into) and list(names) == wanted:
        return LeanShape(names, lambda row: make(*row))  # positional: the fastest build
    if dataclasses.is_dataclass(into):
        return LeanShape(names, lambda row: make(**row._mapping))
    validate = make.model_validate  # pydantic: reads the row's attributes, validating them
    return LeanShape(names, lambda row: validate(row, from_attributes=True))


def _fields_of(into: type[Any]) -> tuple[list[str], set[str]]:
    """`into`'s field names in order, and those that have a default."""
    if dataclasses.is_dataclass(into):
        fields = [f for f in dataclasses.fields(into) if f.init]
        optional = {
            f.name
            for f in fields
            if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
        }
        return [f.name for f in fields], optional
    model_fields = getattr(into, "model_fields", None)
    if not isinstance(model_fields, dict):
        raise TypeError(f"into= takes a dataclass or a pydantic model, not {into!r}")
    optional = {name for name, info in model_fields.items() if not info.is_required()}
    return list(model_fields), optional


def lean_select(
    model: type[Any],
    shape: LeanShape,
    condition: ColumnElement[bool] | None,
    *,
    include_deleted: bool,
) -> Select[Any]:
    """``SELECT <shape's columns> FROM model WHERE condition``, soft-deleted rows hidden unless
    `include_deleted` (a lean read does not pass through the session's filter)."""
    stmt = select(*(getattr(model, name) for name in shape.names))
    if condition is not None:
        stmt = stmt.where(condition)
    if not include_deleted and issubclass(model, SoftDelete):
        stmt = stmt.where(model.deleted_at.is_(None))
    return stmt


def converted(shape: LeanShape, rows: Sequence[Row[Any]]) -> list[Any]:
    """The rows as `shape` returns them."""
    convert = shape.convert
    if convert is None:
        return list(rows)
    return [convert(row) for row in rows]
