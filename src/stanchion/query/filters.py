"""Allow-listed filters: ``{"title__contains": "sql", "views__gte": 10}`` to a WHERE clause.

Each operator is a small function; a field accepts only the operators that fit its column type,
and values are converted to the column's Python type first, so bad input is an `InvalidQuery`.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Callable, Collection, Mapping
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import ColumnElement, and_
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.types import TypeDecorator

from stanchion.errors import InvalidQuery

Operator = Callable[[Any, Any], ColumnElement[bool]]
#: A named custom filter: takes the (already parsed) value, returns a condition.
CustomFilter = Callable[[Any], ColumnElement[bool]]

SEPARATOR = "__"
MAX_IN_VALUES = 1000


def escape_like(value: str, escape: str = "\\") -> str:
    """Escape LIKE wildcards so ``%`` and ``_`` match themselves."""
    return value.replace(escape, escape * 2).replace("%", escape + "%").replace("_", escape + "_")


def _contains(col: Any, v: str) -> ColumnElement[bool]:
    return col.like(f"%{escape_like(v)}%", escape="\\")  # type: ignore[no-any-return]


def _icontains(col: Any, v: str) -> ColumnElement[bool]:
    return col.ilike(f"%{escape_like(v)}%", escape="\\")  # type: ignore[no-any-return]


def _startswith(col: Any, v: str) -> ColumnElement[bool]:
    return col.like(f"{escape_like(v)}%", escape="\\")  # type: ignore[no-any-return]


def _endswith(col: Any, v: str) -> ColumnElement[bool]:
    return col.like(f"%{escape_like(v)}", escape="\\")  # type: ignore[no-any-return]


OPERATORS: dict[str, Operator] = {
    "eq": lambda c, v: c == v,
    "ne": lambda c, v: c != v,
    "lt": lambda c, v: c < v,
    "lte": lambda c, v: c <= v,
    "gt": lambda c, v: c > v,
    "gte": lambda c, v: c >= v,
    "in": lambda c, v: c.in_(v),
    "isnull": lambda c, v: c.is_(None) if v else c.is_not(None),
    "contains": _contains,
    "icontains": _icontains,
    "startswith": _startswith,
    "endswith": _endswith,
}

_EQUALITY = frozenset({"eq", "ne", "in", "isnull"})
_ORDERED = _EQUALITY | {"lt", "lte", "gt", "gte"}
_TEXT = _EQUALITY | {"contains", "icontains", "startswith", "endswith"}


def operators_for(python_type: type) -> frozenset[str]:
    """The operators that make sense for a column of `python_type`."""
    if issubclass(python_type, bool):
        return frozenset({"eq", "ne", "isnull"})
    if issubclass(python_type, str):
        return _TEXT
    if issubclass(python_type, (int, float, decimal.Decimal, dt.date, dt.datetime, dt.time)):
        return _ORDERED
    if issubclass(python_type, uuid.UUID):
        return _EQUALITY
    return frozenset({"eq", "ne", "isnull"})


def python_type(attribute: InstrumentedAttribute[Any]) -> type:
    """The Python type of `attribute`'s column (`object` when the type does not say)."""
    column_type = attribute.type
    try:
        found: type = column_type.python_type
        if found is object and isinstance(column_type, TypeDecorator):
            found = column_type.impl_instance.python_type
    except NotImplementedError:
        return object
    return found


def _needs_timezone(attribute: InstrumentedAttribute[Any]) -> bool:
    column_type = attribute.type
    if isinstance(column_type, TypeDecorator):
        column_type = column_type.impl_instance
    return bool(getattr(column_type, "timezone", False))


_ADAPTERS: dict[type, TypeAdapter[Any]] = {}


def coerce(value: Any, target: type, field: str) -> Any:
    """Convert `value` (often a query-string text) to `target`, or raise `InvalidQuery`."""
    if target is object or type(value) is target:
        return value
    adapter = _ADAPTERS.get(target)
    if adapter is None:
        adapter = _ADAPTERS.setdefault(target, TypeAdapter(target))
    try:
        return adapter.validate_python(value, strict=False)
    except ValidationError:
        raise InvalidQuery(
            f"invalid value for {field!r}: expected {target.__name__}", field=field
        ) from None


def parse_key(key: str) -> tuple[str, str]:
    """Split ``"title__contains"`` into ``("title", "contains")``; a bare field means ``eq``."""
    name, sep, op = key.partition(SEPARATOR)
    return name, (op if sep else "eq")


def build_filters(
    model: type[Any],
    filters: Mapping[str, Any],
    allowed: Collection[str],
    custom: Mapping[str, CustomFilter],
) -> ColumnElement[bool] | None:
    """One condition ANDing every filter; unknown fields and unfitting operators are refused."""
    conditions: list[ColumnElement[bool]] = []
    for key, value in filters.items():
        name, op = parse_key(key)
        if key in custom:
            conditions.append(custom[key](value))
            continue
        if name not in allowed:
            raise InvalidQuery(f"cannot filter on {name!r}", field=name)
        attribute = getattr(model, name)
        target = python_type(attribute)
        if op not in operators_for(target):
            raise InvalidQuery(f"operator {op!r} does not apply to {name!r}", field=name)
        converted = _value(value, op, target, name)
        if _needs_timezone(attribute) and _has_naive_datetime(converted):
            raise InvalidQuery(f"{name!r} needs a datetime with a timezone", field=name)
        conditions.append(OPERATORS[op](attribute, converted))
    if not conditions:
        return None
    return and_(*conditions)


def _has_naive_datetime(value: Any) -> bool:
    values = value if isinstance(value, list) else [value]
    return any(isinstance(v, dt.datetime) and v.tzinfo is None for v in values)


def _value(value: Any, op: str, target: type, field: str) -> Any:
    if op == "isnull":
        return coerce(value, bool, field)
    if op == "in":
        items = value.split(",") if isinstance(value, str) else list(value)
        if not items or len(items) > MAX_IN_VALUES:
            raise InvalidQuery(f"'in' on {field!r} takes 1 to {MAX_IN_VALUES} values", field=field)
        return [coerce(item, target, field) for item in items]
    if op in ("contains", "icontains", "startswith", "endswith"):
        return str(coerce(value, str, field))
    return coerce(value, target, field)
