"""Allow-listed filters: ``{"title__contains": "sql", "views__gte": 10}`` to a WHERE clause.

Each operator is a small function; a field accepts only the operators that fit its column type,
and values are converted to the column's Python type first, so bad input is an `InvalidQuery`.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import ColumnElement, and_, bindparam
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
        if key in custom:
            conditions.append(custom[key](value))
            continue
        _name, op, attribute, converted = check_filter(model, key, value, allowed)
        conditions.append(OPERATORS[op](attribute, converted))
    if not conditions:
        return None
    return and_(*conditions)


def check_filter(
    model: type[Any], key: str, value: Any, allowed: Collection[str]
) -> tuple[str, str, Any, Any]:
    """Validate one (non-custom) filter: its field name, operator, attribute and value."""
    name, op = parse_key(key)
    if name not in allowed:
        raise InvalidQuery(f"cannot filter on {name!r}", field=name)
    attribute = getattr(model, name)
    target = python_type(attribute)
    if op not in operators_for(target):
        raise InvalidQuery(f"operator {op!r} does not apply to {name!r}", field=name)
    converted = _value(value, op, target, name)
    if _needs_timezone(attribute) and _has_naive_datetime(converted):
        raise InvalidQuery(f"{name!r} needs a datetime with a timezone", field=name)
    return name, op, attribute, converted


# ----- plans: the same filters as a reusable statement shape plus parameter values -----

_PATTERNS = {"contains": "%{}%", "icontains": "%{}%", "startswith": "{}%", "endswith": "%{}"}
_BOUND: dict[str, Operator] = {
    **{op: OPERATORS[op] for op in ("eq", "ne", "lt", "lte", "gt", "gte", "in")},
    "contains": lambda c, p: c.like(p, escape="\\"),
    "icontains": lambda c, p: c.ilike(p, escape="\\"),
    "startswith": lambda c, p: c.like(p, escape="\\"),
    "endswith": lambda c, p: c.like(p, escape="\\"),
}


@dataclass(frozen=True, slots=True)
class FilterPlan:
    """Validated filters split in two: `shape` decides the SQL (hashable, so a statement built
    from it can be reused), `params` holds this call's values for its bound parameters."""

    shape: tuple[tuple[str, str, bool | None], ...]
    params: dict[str, Any]

    def condition(self, model: type[Any]) -> ColumnElement[bool] | None:
        """The WHERE condition, with a named bound parameter where each value goes."""
        conditions: list[ColumnElement[bool]] = []
        for i, (name, op, flag) in enumerate(self.shape):
            attribute = getattr(model, name)
            if op == "isnull":
                conditions.append(OPERATORS[op](attribute, flag))
            else:
                param: Any = bindparam(f"stanchion_f{i}", expanding=op == "in")
                conditions.append(_BOUND[op](attribute, param))
        return and_(*conditions) if conditions else None


NO_FILTERS = FilterPlan((), {})


def plan_filters(
    model: type[Any],
    filters: Mapping[str, Any],
    allowed: Collection[str],
    custom: Mapping[str, CustomFilter],
) -> FilterPlan | None:
    """`filters` as a `FilterPlan`, validated as `build_filters` does; None when a custom
    filter (arbitrary SQL) or a null comparison makes the shape depend on the values."""
    shape: list[tuple[str, str, bool | None]] = []
    params: dict[str, Any] = {}
    for i, (key, value) in enumerate(filters.items()):
        if key in custom:
            return None
        name, op, _attribute, converted = check_filter(model, key, value, allowed)
        if op == "isnull":
            shape.append((name, op, bool(converted)))
            continue
        if converted is None:
            return None  # "= NULL" and "IS NULL" differ: let build_filters decide
        shape.append((name, op, None))
        pattern = _PATTERNS.get(op)
        params[f"stanchion_f{i}"] = (
            converted if pattern is None else pattern.format(escape_like(converted))
        )
    return FilterPlan(tuple(shape), params)


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
